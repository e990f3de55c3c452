//! A supplier's scores over time: the snapshot of each of its submitted or accepted
//! assessments, newest first, each with its change since the one before of the same template
//! (year over year). For the buyer whose registry holds the supplier, any member.
//!
//! Read from the stored snapshots' columns (`assessment_scores`), never recomputed: what is
//! listed is what each assessment was reviewed with. An assessment sent back for changes
//! leaves the history until it is submitted again: its snapshot no longer stands.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::Serialize;
use tracing::instrument;
use uuid::Uuid;

use super::PerLevel;
use crate::Kensa;
use crate::assessments::Status;
use crate::entities::{assessment_scores, assessments};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::pagination::{Page, PageRequest};
use crate::tenant::TenantCtx;

/// How an entry differs from the previous entry of the same template.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ScoreChange {
    /// The assessment compared with; `null` for the supplier's first of this template.
    pub previous_assessment_id: Option<Uuid>,
    /// `overall` minus the previous one's (−1 to 1); `null` for the first, or when either has
    /// nothing applicable.
    #[cfg_attr(feature = "openapi", schema(minimum = -1.0, maximum = 1.0))]
    pub overall: Option<f64>,
    /// `achieved_level` minus the previous one's (−3 to 3); `null` for the first.
    #[cfg_attr(feature = "openapi", schema(minimum = -3, maximum = 3))]
    pub achieved_level: Option<i32>,
}

/// One assessment's stored score, as the supplier's history lists it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ScoreHistoryEntry {
    pub assessment_id: Uuid,
    pub template_id: Uuid,
    /// `submitted` (awaiting review) or `accepted`.
    pub status: Status,
    /// The last submission: what the score was taken at, and the history's order.
    pub submitted_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub due_date: NaiveDate,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub target_level: u8,
    /// As the score's `overall` (0–1; `null` when nothing was applicable).
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub overall: Option<f64>,
    /// Each level's `achievement`, as in the score.
    #[cfg_attr(feature = "openapi", schema(value_type = super::model::openapi_names::LevelFractions))]
    pub levels: PerLevel<Option<f64>>,
    #[cfg_attr(feature = "openapi", schema(maximum = 3))]
    pub achieved_level: u8,
    pub meets_target: bool,
    /// Since the previous entry of the same template (older, whichever page it is on).
    pub change: ScoreChange,
}

/// The caller's (a buyer's) scored assessments of one supplier, in the history's order.
fn scored(ctx: &TenantCtx, supplier_id: Uuid) -> Select<assessments::Entity> {
    let org = ctx.org_id().0;
    let with_snapshot = Query::select()
        .column(assessment_scores::Column::AssessmentId)
        .from(assessment_scores::Entity)
        .and_where(assessment_scores::Column::BuyerOrganizationId.eq(org))
        .to_owned();
    assessments::Entity::find()
        .filter(assessments::Column::BuyerOrganizationId.eq(org))
        .filter(assessments::Column::SupplierId.eq(supplier_id))
        .filter(assessments::Column::Status.is_in([Status::Submitted.as_str(), Status::Accepted.as_str()]))
        .filter(assessments::Column::SubmittedAt.is_not_null())
        .filter(assessments::Column::Id.in_subquery(with_snapshot))
        .order_by_desc(assessments::Column::SubmittedAt)
        .order_by_desc(assessments::Column::Id)
}

/// Entries after `(at, id)` in the newest-first order: older, or as old with a smaller id.
fn older_than(at: DateTime<Utc>, id: Uuid) -> Condition {
    Condition::any()
        .add(assessments::Column::SubmittedAt.lt(at))
        .add(Condition::all().add(assessments::Column::SubmittedAt.eq(at)).add(assessments::Column::Id.lt(id)))
}

/// The key the cursor's assessment sorts by. An id that is not one of this supplier's
/// assessments is no cursor of this list; one that has left the list since (sent back for
/// changes) still has its place, so paging goes on where it was.
async fn cursor_key(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    supplier_id: Uuid,
    cursor: Uuid,
) -> DomainResult<(DateTime<Utc>, Uuid)> {
    let at: Option<Option<DateTime<Utc>>> = assessments::Entity::find_by_id(cursor)
        .select_only()
        .column(assessments::Column::SubmittedAt)
        .filter(assessments::Column::BuyerOrganizationId.eq(ctx.org_id().0))
        .filter(assessments::Column::SupplierId.eq(supplier_id))
        .into_tuple()
        .one(conn)
        .await?;
    match at.flatten() {
        Some(at) => Ok((at, cursor)),
        None => Err(DomainError::validation("cursor", ErrorCode::InvalidCursor, "not a cursor of this list")),
    }
}

/// The supplier's score history, newest first; only `template_id`'s assessments when given.
/// Another organization's supplier (or a deleted one) is not found.
#[instrument(skip_all, fields(org = %ctx.org_id(), supplier = %supplier_id))]
pub async fn of_supplier(
    k: &Kensa,
    ctx: &TenantCtx,
    supplier_id: Uuid,
    template_id: Option<Uuid>,
    page: &PageRequest,
) -> DomainResult<Page<ScoreHistoryEntry>> {
    let conn = &k.db;
    crate::suppliers::repo::find(conn, ctx, supplier_id).await?.ok_or(DomainError::NotFound("supplier"))?;
    let mut query = scored(ctx, supplier_id);
    if let Some(template_id) = template_id {
        query = query.filter(assessments::Column::TemplateId.eq(template_id));
    }
    if let Some(cursor) = page.cursor {
        let (at, id) = cursor_key(conn, ctx, supplier_id, cursor).await?;
        query = query.filter(older_than(at, id));
    }
    let rows = query.limit(page.limit + 1).all(conn).await?;
    let rows = Page::from_rows(rows, page.limit, |r| r.id);

    // Each entry's predecessor is the next one of its template on this page; the last of
    // each template on the page looks further back, once per template.
    let mut previous: Vec<Option<Uuid>> = vec![None; rows.data.len()];
    let mut last_of_template: HashMap<Uuid, usize> = HashMap::new();
    for (i, row) in rows.data.iter().enumerate() {
        if let Some(newer) = last_of_template.insert(row.template_id, i) {
            previous[newer] = Some(row.id);
        }
    }
    for &i in last_of_template.values() {
        let row = &rows.data[i];
        let Some(at) = row.submitted_at else { continue };
        previous[i] = scored(ctx, supplier_id)
            .select_only()
            .column(assessments::Column::Id)
            .filter(assessments::Column::TemplateId.eq(row.template_id))
            .filter(older_than(at, row.id))
            .into_tuple()
            .one(conn)
            .await?;
    }

    let mut wanted: Vec<Uuid> = rows.data.iter().map(|r| r.id).collect();
    wanted.extend(previous.iter().flatten());
    let snapshots: HashMap<Uuid, assessment_scores::Model> = assessment_scores::Entity::find()
        .filter(assessment_scores::Column::BuyerOrganizationId.eq(ctx.org_id().0))
        .filter(assessment_scores::Column::AssessmentId.is_in(wanted))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.assessment_id, s))
        .collect();
    let snapshot = |id: Uuid| snapshots.get(&id).ok_or_else(|| DomainError::internal("a listed score is gone"));

    let mut entries = Vec::with_capacity(rows.data.len());
    for (row, previous) in rows.data.iter().zip(previous) {
        let current = snapshot(row.id)?;
        let change = match previous {
            None => ScoreChange { previous_assessment_id: None, overall: None, achieved_level: None },
            Some(id) => {
                let before = snapshot(id)?;
                ScoreChange {
                    previous_assessment_id: Some(id),
                    overall: current.overall.zip(before.overall).map(|(now, then)| now - then),
                    achieved_level: Some(current.achieved_level - before.achieved_level),
                }
            }
        };
        entries.push(entry(row, current, change)?);
    }
    Ok(Page { data: entries, next_cursor: rows.next_cursor })
}

fn entry(
    row: &assessments::Model,
    s: &assessment_scores::Model,
    change: ScoreChange,
) -> DomainResult<ScoreHistoryEntry> {
    Ok(ScoreHistoryEntry {
        assessment_id: row.id,
        template_id: row.template_id,
        status: Status::try_from(row.status.as_str())?,
        submitted_at: row
            .submitted_at
            .ok_or_else(|| DomainError::internal("a scored assessment without submission"))?,
        accepted_at: row.accepted_at,
        due_date: row.due_date,
        target_level: u8::try_from(s.target_level).map_err(DomainError::internal)?,
        overall: s.overall,
        levels: PerLevel { l1: s.level1, l2: s.level2, l3: s.level3 },
        achieved_level: u8::try_from(s.achieved_level).map_err(DomainError::internal)?,
        meets_target: s.meets_target,
        change,
    })
}
