//! Queries of assessments and of what hangs off them (answers, comments, evidence,
//! history). Lists take the tenant; everything about one assessment takes the proof of
//! access [`Visible`] (reads) or a capability made from it (writes), never a bare id.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, IdenStatic, ModelTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Select, Statement,
};
use serde_json::json;
use uuid::Uuid;

use super::access::{self, Answerer, Participant, Visible};
use super::history::{self, NewEvent};
use super::model::{HistoryKind, Status, Visibility};
use crate::WriteTx;
use crate::entities::{
    answers, assessment_comments, assessment_events, assessments, evidence, organizations, suppliers,
};
use crate::error::{DomainError, DomainResult};
use crate::pagination::{Page, PageRequest};
use crate::precondition::IfMatch;
use crate::tenant::TenantCtx;

/// Which of the caller's assessments a list shows (parsed and checked by the service).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ListScope {
    pub side: Option<super::model::Side>,
    pub status: Option<Status>,
    pub supplier_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    /// With the date it is judged against.
    pub overdue: Option<(bool, NaiveDate)>,
    /// Only those changed at or after this time (incremental sync).
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

pub(crate) async fn list(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    scope: ListScope,
    page: &PageRequest,
) -> DomainResult<Page<assessments::Model>> {
    use super::model::Side;
    let mut query = assessments::Entity::find();
    query = match scope.side {
        None => query.filter(access::visible_to(ctx)),
        Some(Side::Buyer) => query.filter(assessments::Column::BuyerOrganizationId.eq(ctx.org_id().0)),
        Some(Side::Supplier) => query.filter(assessments::Column::SupplierOrganizationId.eq(ctx.org_id().0)),
    };
    if let Some(status) = scope.status {
        query = query.filter(assessments::Column::Status.eq(status.as_str()));
    }
    if let Some(id) = scope.supplier_id {
        query = query.filter(assessments::Column::SupplierId.eq(id));
    }
    if let Some(id) = scope.campaign_id {
        query = query.filter(assessments::Column::CampaignId.eq(id));
    }
    let open = Status::EDITABLE.map(Status::as_str);
    match scope.overdue {
        Some((true, today)) => {
            query = query.filter(assessments::Column::Status.is_in(open)).filter(assessments::Column::DueDate.lt(today))
        }
        Some((false, today)) => {
            query = query.filter(
                sea_orm::Condition::any()
                    .add(assessments::Column::Status.is_not_in(open))
                    .add(assessments::Column::DueDate.gte(today)),
            )
        }
        None => {}
    }
    if let Some(since) = scope.updated_since {
        query = query.filter(assessments::Column::UpdatedAt.gte(since));
    }
    if let Some(cursor) = page.cursor {
        query = query.filter(assessments::Column::Id.gt(cursor));
    }
    let rows = query.order_by_asc(assessments::Column::Id).limit(page.limit + 1).all(conn).await?;
    Ok(Page::from_rows(rows, page.limit, |r| r.id))
}

/// Names and answered items for a batch of assessments the caller may see (each row came
/// through [`list`], [`access::load`] or a campaign scoped to the caller).
pub(crate) struct ViewParts {
    pub buyer_names: HashMap<Uuid, String>,
    pub supplier_names: HashMap<Uuid, String>,
    pub answered: HashMap<Uuid, Vec<u32>>,
}

pub(crate) async fn view_parts(conn: &impl ConnectionTrait, rows: &[assessments::Model]) -> DomainResult<ViewParts> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let org_ids: Vec<Uuid> = rows.iter().map(|r| r.buyer_organization_id).collect();
    let supplier_ids: Vec<Uuid> = rows.iter().map(|r| r.supplier_id).collect();
    let buyer_names = organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(org_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let supplier_names = suppliers::Entity::find()
        .filter(suppliers::Column::Id.is_in(supplier_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let numbers: Vec<(Uuid, i32)> = answers::Entity::find()
        .select_only()
        .column(answers::Column::AssessmentId)
        .column(answers::Column::ItemNo)
        .filter(answers::Column::AssessmentId.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    let mut answered: HashMap<Uuid, Vec<u32>> = HashMap::new();
    for (id, no) in numbers {
        answered.entry(id).or_default().push(u32::try_from(no).unwrap_or_default());
    }
    Ok(ViewParts { buyer_names, supplier_names, answered })
}

/// Every answer of the assessment, by item number.
pub(crate) async fn answers(conn: &impl ConnectionTrait, v: &Visible) -> DomainResult<HashMap<i32, answers::Model>> {
    answers_where(conn, v, None).await
}

/// The answers to `numbers`, read inside the writer's transaction.
pub(crate) async fn answers_to(
    tx: &WriteTx,
    a: Answerer<'_>,
    numbers: Vec<i32>,
) -> DomainResult<HashMap<i32, answers::Model>> {
    // A checklist saved whole names most items: reading all of the assessment's answers (at
    // most one per item) is cheaper than binding every number into the query.
    if numbers.len() <= NUMBERS_BOUND {
        return answers_where(tx, a.visible(), Some(numbers)).await;
    }
    let mut all = answers_where(tx, a.visible(), None).await?;
    let wanted: std::collections::HashSet<i32> = numbers.into_iter().collect();
    all.retain(|no, _| wanted.contains(no));
    Ok(all)
}

/// The most item numbers [`answers_to`] puts into its query.
const NUMBERS_BOUND: usize = 16;

async fn answers_where(
    conn: &impl ConnectionTrait,
    v: &Visible,
    numbers: Option<Vec<i32>>,
) -> DomainResult<HashMap<i32, answers::Model>> {
    let mut query = answers::Entity::find()
        .select_only()
        .columns(answers::ByPosition::columns())
        .filter(answers::Column::AssessmentId.eq(v.id()));
    if let Some(numbers) = numbers {
        query = query.filter(answers::Column::ItemNo.is_in(numbers));
    }
    let rows = query.into_model::<answers::ByPosition>().all(conn).await?;
    Ok(rows.into_iter().map(|answers::ByPosition(a)| (a.item_no, a)).collect())
}

/// What a save overwrites in an answer that exists; the rest (when it was created, its
/// remediation progress) stays.
const OVERWRITTEN: [answers::Column; 8] = [
    answers::Column::Status,
    answers::Column::Comment,
    answers::Column::Reason,
    answers::Column::RemediationPlan,
    answers::Column::RemediationDue,
    answers::Column::AnsweredBy,
    answers::Column::CarriedOver,
    answers::Column::UpdatedAt,
];

/// Most answers in one statement (14 values each: within SQLite's 32,766 parameters).
const UPSERT_CHUNK: usize = 300;

/// Inserts new answers and overwrites existing ones in place, one statement per chunk.
pub(crate) async fn upsert_answers(tx: &WriteTx, a: Answerer<'_>, rows: &[answers::Model]) -> DomainResult<()> {
    if rows.iter().any(|r| r.assessment_id != a.visible().id()) {
        return Err(DomainError::internal("an answer of another assessment"));
    }
    let backend = tx.get_database_backend();
    for chunk in rows.chunks(UPSERT_CHUNK) {
        let values: Vec<sea_orm::Value> =
            chunk.iter().flat_map(|row| answers::ByPosition::columns().map(|c| row.get(c))).collect();
        tx.execute_raw(Statement::from_sql_and_values(backend, &*upsert_sql(backend, chunk.len()), values)).await?;
    }
    Ok(())
}

/// The upsert of `rows` answers (their values in [`answers::ByPosition::columns`] order),
/// written once per backend and row count. Built by sea-orm's `insert_many` for every save,
/// the statement of a 153-answer bulk save (2,142 placeholders) cost 15 % of the request's
/// server CPU (docs/benchmarks.md, "Against the physical limit").
fn upsert_sql(backend: DatabaseBackend, rows: usize) -> Arc<str> {
    type Written = Mutex<HashMap<(bool, usize), Arc<str>>>;
    static WRITTEN: LazyLock<Written> = LazyLock::new(Written::default);
    let numbered = backend == DatabaseBackend::Postgres;
    let mut written = WRITTEN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    written
        .entry((numbered, rows))
        .or_insert_with(|| {
            let columns: Vec<&str> = answers::ByPosition::columns().map(|c| c.as_str()).collect();
            let mut sql = format!("INSERT INTO answers ({}) VALUES ", columns.join(", "));
            let mut n = 0;
            for row in 0..rows {
                sql.push_str(if row == 0 { "(" } else { ", (" });
                for column in 0..columns.len() {
                    n += 1;
                    let separator = if column == 0 { "" } else { ", " };
                    let _ = if numbered { write!(sql, "{separator}${n}") } else { write!(sql, "{separator}?") };
                }
                sql.push(')');
            }
            let overwrite: Vec<String> =
                OVERWRITTEN.iter().map(|c| format!("{0} = excluded.{0}", c.as_str())).collect();
            sql.push_str(" ON CONFLICT (assessment_id, item_no) DO UPDATE SET ");
            sql.push_str(&overwrite.join(", "));
            Arc::from(sql)
        })
        .clone()
}

/// One write to the assessment, inside `tx`: reads the row again as it is now (locked until
/// commit on PostgreSQL; SQLite's write lock is already held), checks `If-Match` against the
/// version it finds (412 when another write got there first), applies `step` to the status
/// it finds (so a step that became illegal meanwhile is refused as such), moves the version
/// on, and records a status change in the history and on the supplier record. Writers
/// without `If-Match` queue on the row and never fail for having been second. Returns the
/// status the assessment had and its new version.
pub(crate) async fn advance(
    tx: &WriteTx,
    ctx: &TenantCtx,
    v: &Visible,
    if_match: IfMatch,
    step: impl FnOnce(Status) -> DomainResult<Status>,
) -> DomainResult<(Status, i32)> {
    let now = tx.now();
    let row = assessments::Entity::find_by_id(v.id())
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or(DomainError::NotFound("assessment"))?;
    if_match.still(row.version)?;
    let from = Status::try_from(row.status.as_str())?;
    let to = step(from)?;
    let mut update = assessments::Entity::update_many()
        .col_expr(assessments::Column::Version, Expr::value(row.version + 1))
        .col_expr(assessments::Column::Status, Expr::value(to.as_str()))
        .col_expr(assessments::Column::UpdatedAt, Expr::value(now));
    if to != from {
        match to {
            Status::Submitted => update = update.col_expr(assessments::Column::SubmittedAt, Expr::value(now)),
            Status::Accepted => update = update.col_expr(assessments::Column::AcceptedAt, Expr::value(now)),
            Status::Cancelled => update = update.col_expr(assessments::Column::CancelledAt, Expr::value(now)),
            _ => {}
        }
    }
    // The row is locked: the version cannot have moved. Kept as a guard all the same.
    let result = update
        .filter(assessments::Column::Id.eq(row.id))
        .filter(assessments::Column::Version.eq(row.version))
        .exec(tx)
        .await?;
    if result.rows_affected != 1 {
        return Err(DomainError::internal("the locked assessment changed under its lock"));
    }
    if to != from {
        crate::scoring::snapshot::refresh_comparison(tx, row.buyer_organization_id, row.supplier_id, row.template_id)
            .await?;
        let event = NewEvent {
            assessment_id: row.id,
            kind: HistoryKind::StatusChanged,
            item_no: None,
            old_value: Some(json!(from.as_str())),
            new_value: Some(json!(to.as_str())),
        };
        history::record(tx, vec![history::row(ctx, now, event)]).await?;
        crate::suppliers::repo::mirror_review_status(tx, [row.supplier_id], to.as_str(), now).await?;
        crate::chase::plan::on_transition(tx, &row, to).await?;
    }
    Ok((from, row.version + 1))
}

/// Evidence may change only while the assessment is editable; the change moves its version on
/// like an answer does, so it races neither a submission nor a stale `If-Match`.
pub(crate) async fn touch_editable(
    tx: &WriteTx,
    ctx: &TenantCtx,
    a: Answerer<'_>,
    if_match: IfMatch,
) -> DomainResult<i32> {
    let (_, version) = advance(tx, ctx, a.visible(), if_match, |s| s.ensure_editable().map(|()| s)).await?;
    Ok(version)
}

/// Comments the proof's side may read (the supplier never sees internal ones), oldest first;
/// a page when `page` is given.
pub(crate) async fn comments(
    conn: &impl ConnectionTrait,
    v: &Visible,
    item_no: Option<u32>,
    page: Option<&PageRequest>,
) -> DomainResult<Page<assessment_comments::Model>> {
    let mut query = assessment_comments::Entity::find().filter(assessment_comments::Column::AssessmentId.eq(v.id()));
    if !v.reads_internal() {
        query = query.filter(assessment_comments::Column::Visibility.eq(Visibility::Shared.as_str()));
    }
    if let Some(no) = item_no {
        query = query.filter(assessment_comments::Column::ItemNo.eq(i32::try_from(no).unwrap_or_default()));
    }
    paged(conn, query, assessment_comments::Column::Id, page, |r| r.id).await
}

/// One comment by id, if the proof's side may read it.
pub(crate) async fn comment(
    conn: &impl ConnectionTrait,
    v: &Visible,
    comment_id: Uuid,
) -> DomainResult<Option<assessment_comments::Model>> {
    let mut query = assessment_comments::Entity::find_by_id(comment_id)
        .filter(assessment_comments::Column::AssessmentId.eq(v.id()));
    if !v.reads_internal() {
        query = query.filter(assessment_comments::Column::Visibility.eq(Visibility::Shared.as_str()));
    }
    Ok(query.one(conn).await?)
}

/// Stores comments and, for the shared ones, their history events.
pub(crate) async fn insert_comments(
    tx: &WriteTx,
    ctx: &TenantCtx,
    p: Participant<'_>,
    rows: Vec<assessment_comments::Model>,
) -> DomainResult<()> {
    if rows.iter().any(|c| c.assessment_id != p.visible().id()) {
        return Err(DomainError::internal("a comment on another assessment"));
    }
    let events = rows
        .iter()
        .filter(|c| c.visibility == Visibility::Shared.as_str())
        .map(|c| {
            let event = NewEvent {
                assessment_id: c.assessment_id,
                kind: HistoryKind::CommentAdded,
                item_no: c.item_no,
                old_value: None,
                new_value: Some(json!({ "comment_id": c.id })),
            };
            history::row(ctx, tx.now(), event)
        })
        .collect();
    for row in rows {
        assessment_comments::Entity::insert(assessment_comments::ActiveModel::from(row))
            .exec_without_returning(tx)
            .await?;
    }
    history::record(tx, events).await
}

/// The history, oldest first; a page when `page` is given.
pub(crate) async fn history(
    conn: &impl ConnectionTrait,
    v: &Visible,
    page: Option<&PageRequest>,
) -> DomainResult<Page<assessment_events::Model>> {
    let query = assessment_events::Entity::find().filter(assessment_events::Column::AssessmentId.eq(v.id()));
    paged(conn, query, assessment_events::Column::Id, page, |r| r.id).await
}

/// The evidence files, oldest first; a page when `page` is given.
pub(crate) async fn evidence(
    conn: &impl ConnectionTrait,
    v: &Visible,
    page: Option<&PageRequest>,
) -> DomainResult<Page<evidence::Model>> {
    let query = evidence::Entity::find().filter(evidence::Column::AssessmentId.eq(v.id()));
    paged(conn, query, evidence::Column::Id, page, |r| r.id).await
}

pub(crate) async fn evidence_file(
    conn: &impl ConnectionTrait,
    v: &Visible,
    evidence_id: Uuid,
) -> DomainResult<evidence::Model> {
    evidence::Entity::find_by_id(evidence_id)
        .filter(evidence::Column::AssessmentId.eq(v.id()))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound("evidence"))
}

pub(crate) async fn insert_evidence(tx: &WriteTx, a: Answerer<'_>, row: &evidence::Model) -> DomainResult<()> {
    if row.assessment_id != a.visible().id() {
        return Err(DomainError::internal("evidence of another assessment"));
    }
    evidence::Entity::insert(evidence::ActiveModel::from(row.clone())).exec_without_returning(tx).await?;
    Ok(())
}

pub(crate) async fn delete_evidence(tx: &WriteTx, a: Answerer<'_>, row: &evidence::Model) -> DomainResult<()> {
    evidence::Entity::delete_many()
        .filter(evidence::Column::Id.eq(row.id))
        .filter(evidence::Column::AssessmentId.eq(a.visible().id()))
        .exec(tx)
        .await?;
    Ok(())
}

/// Whether an evidence row, a supplier's answer library or a share still names the stored
/// file (reviews share last year's files; libraries keep the files of submitted answers;
/// a snapshot share keeps the files it was given).
pub(crate) async fn storage_key_in_use(conn: &impl ConnectionTrait, key: &str) -> DomainResult<bool> {
    if evidence::Entity::find().filter(evidence::Column::StorageKey.eq(key)).one(conn).await?.is_some() {
        return Ok(true);
    }
    Ok(crate::library::refers_to(conn, key).await? || crate::shares::refers_to(conn, key).await?)
}

/// Bytes of evidence held by the assessment.
pub(crate) async fn evidence_bytes(conn: &impl ConnectionTrait, v: &Visible) -> DomainResult<i64> {
    let sizes: Vec<i64> = evidence::Entity::find()
        .select_only()
        .column(evidence::Column::Size)
        .filter(evidence::Column::AssessmentId.eq(v.id()))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(sizes.iter().sum())
}

/// Bytes of evidence in the assessments the caller's organization answers (only answerers
/// upload, so that is what its quota counts).
pub(crate) async fn organization_evidence_bytes(conn: &impl ConnectionTrait, ctx: &TenantCtx) -> DomainResult<i64> {
    let theirs = assessments::Entity::find()
        .select_only()
        .column(assessments::Column::Id)
        .filter(assessments::Column::SupplierOrganizationId.eq(ctx.org_id().0))
        .into_query();
    let total: Option<i64> = evidence::Entity::find()
        .select_only()
        // PostgreSQL sums bigints as numeric: cast back.
        .column_as(Expr::cust("CAST(COALESCE(SUM(size), 0) AS BIGINT)"), "total")
        .filter(evidence::Column::AssessmentId.in_subquery(theirs))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(total.unwrap_or_default())
}

/// Oldest first by `id` (UUIDv7); everything, or one page after the cursor.
async fn paged<E, C>(
    conn: &impl ConnectionTrait,
    mut query: Select<E>,
    id: C,
    page: Option<&PageRequest>,
    key: impl Fn(&E::Model) -> Uuid,
) -> DomainResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ColumnTrait + Copy,
{
    let Some(page) = page else {
        let data = query.order_by_asc(id).all(conn).await?;
        return Ok(Page { data, next_cursor: None });
    };
    if let Some(cursor) = page.cursor {
        query = query.filter(id.gt(cursor));
    }
    let rows = query.order_by_asc(id).limit(page.limit + 1).all(conn).await?;
    Ok(Page::from_rows(rows, page.limit, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_upsert_numbers_every_value_on_postgres_and_marks_them_on_sqlite() {
        let pg = upsert_sql(DatabaseBackend::Postgres, 2);
        assert!(pg.contains("($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14), ($15, "), "{pg}");
        assert!(pg.contains("$28)") && !pg.contains("$29"), "{pg}");
        let sqlite = upsert_sql(DatabaseBackend::Sqlite, 1);
        assert_eq!(sqlite.matches('?').count(), 14, "{sqlite}");
        for sql in [&pg, &sqlite] {
            assert!(sql.ends_with("updated_at = excluded.updated_at"), "{sql}");
            assert!(!sql.contains("created_at = excluded"), "creation time and remediation progress stay: {sql}");
        }
    }
}
