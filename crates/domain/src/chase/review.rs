//! Annual re-reviews. Accepting an assessment sets its supplier's next review date; at the
//! lead time before it the worker opens the next assessment (the newest version of the same
//! template line, the same target level, due on the review date) prefilled with the
//! accepted answers, remediation plans and evidence, each marked carried over until the
//! supplier confirms or changes it. A buyer can open one at any time. Either way a supplier
//! with an assessment of that template line still in progress never gets a second one.

use chrono::{DateTime, Days, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::{info, instrument};
use uuid::Uuid;

use super::settings;
use crate::Kensa;
use crate::assessments::NewAssessment;
use crate::assessments::model::Assessment;
use crate::entities::{answers, assessments, evidence, suppliers, templates};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::ids::OrganizationId;
use crate::tenant::{EditorCtx, TenantCtx};

/// Statuses in which a supplier already has the review in hand.
const IN_FLIGHT: [&str; 4] = ["sent", "in_progress", "changes_requested", "submitted"];

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct OpenReviewInput {
    /// Default: the newest version of the template line the supplier was last accepted on.
    pub template_id: Option<Uuid>,
    /// 1–3. Default: the last accepted assessment's, or the supplier's target level.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub target_level: Option<i32>,
    /// After today. Default: the supplier's next review date if it is after today,
    /// otherwise the lead time from today.
    pub due_date: Option<NaiveDate>,
}

/// The newest version of `template`'s line.
async fn newest_in_line(conn: &impl ConnectionTrait, template: &templates::Model) -> DomainResult<templates::Model> {
    Ok(templates::Entity::find()
        .filter(templates::Column::OwnerKey.eq(&template.owner_key))
        .filter(templates::Column::Key.eq(&template.key))
        .order_by_desc(templates::Column::Version)
        .one(conn)
        .await?
        .unwrap_or_else(|| template.clone()))
}

/// Whether the supplier has an assessment of the template's line in hand.
async fn in_flight(conn: &impl ConnectionTrait, supplier_id: Uuid, template: &templates::Model) -> DomainResult<bool> {
    let line = crate::templates::repo::line_versions(conn, &template.owner_key, &template.key).await?;
    Ok(assessments::Entity::find()
        .filter(assessments::Column::SupplierId.eq(supplier_id))
        .filter(assessments::Column::TemplateId.is_in(line))
        .filter(assessments::Column::Status.is_in(IN_FLIGHT))
        .one(conn)
        .await?
        .is_some())
}

/// The supplier's latest accepted assessment (of the template's line, when given).
async fn last_accepted(
    conn: &impl ConnectionTrait,
    supplier_id: Uuid,
    line: Option<&templates::Model>,
) -> DomainResult<Option<assessments::Model>> {
    let mut query = assessments::Entity::find()
        .filter(assessments::Column::SupplierId.eq(supplier_id))
        .filter(assessments::Column::Status.eq("accepted"));
    if let Some(t) = line {
        let ids = crate::templates::repo::line_versions(conn, &t.owner_key, &t.key).await?;
        query = query.filter(assessments::Column::TemplateId.is_in(ids));
    }
    Ok(query.order_by_desc(assessments::Column::AcceptedAt).one(conn).await?)
}

/// One review to open: for whom, of what, and what it follows.
struct NewReview<'a> {
    supplier: &'a suppliers::Model,
    template: &'a templates::Model,
    target_level: i32,
    due_date: NaiveDate,
    /// The accepted assessment whose answers it carries over.
    from: Option<&'a assessments::Model>,
}

/// Creates the review in `tx` and carries `from`'s answers and evidence over to it.
async fn create(
    tx: &crate::WriteTx,
    ctx: &TenantCtx,
    review: NewReview<'_>,
    now: DateTime<Utc>,
) -> DomainResult<assessments::Model> {
    let NewReview { supplier, template, target_level, due_date, from } = review;
    let schedule = settings::load(tx, ctx.org_id().0).await?.schedule();
    let new = [NewAssessment {
        supplier,
        template_id: template.id,
        target_level,
        due_date,
        campaign_id: None,
        follows: from.map(|f| f.id),
    }];
    let row = crate::assessments::create_many(tx, ctx, &new, &schedule, now)
        .await?
        .pop()
        .ok_or_else(|| DomainError::internal("no review created"))?;
    if let Some(from) = from {
        carry_over(tx, from, &row, template, now).await?;
    }
    suppliers::Entity::update_many()
        .col_expr(suppliers::Column::ReviewOpensOn, Expr::value(Option::<NaiveDate>::None))
        .filter(suppliers::Column::Id.eq(supplier.id))
        .exec(tx)
        .await?;
    Ok(row)
}

/// Copies the answers (with remediation plans) and evidence references of `from` for the
/// items in the new review's scope, each answer marked carried over.
async fn carry_over(
    tx: &crate::WriteTx,
    from: &assessments::Model,
    to: &assessments::Model,
    template: &templates::Model,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let content: crate::templates::model::Content =
        serde_json::from_value(template.content.clone()).map_err(DomainError::internal)?;
    let scope = crate::assessments::service::scope(&content, to.target_level);
    let old = answers::Entity::find().filter(answers::Column::AssessmentId.eq(from.id)).all(tx).await?;
    let rows: Vec<answers::ActiveModel> = old
        .into_iter()
        .filter(|a| u32::try_from(a.item_no).is_ok_and(|n| scope.contains(&n)))
        .map(|a| {
            answers::ActiveModel::from(answers::Model {
                assessment_id: to.id,
                carried_over: true,
                remediation_done_at: None,
                remediation_followed_up_on: None,
                created_at: now,
                updated_at: now,
                ..a
            })
        })
        .collect();
    let carried = rows.len();
    for chunk in rows.chunks(300) {
        answers::Entity::insert_many(chunk.to_vec()).exec_without_returning(tx).await?;
    }
    let files = evidence::Entity::find().filter(evidence::Column::AssessmentId.eq(from.id)).all(tx).await?;
    let files: Vec<evidence::ActiveModel> = files
        .into_iter()
        .filter(|e| e.item_no.is_none_or(|n| u32::try_from(n).is_ok_and(|n| scope.contains(&n))))
        .map(|e| {
            evidence::ActiveModel::from(evidence::Model {
                id: Uuid::now_v7(),
                assessment_id: to.id,
                created_at: now,
                ..e
            })
        })
        .collect();
    for chunk in files.chunks(300) {
        evidence::Entity::insert_many(chunk.to_vec()).exec_without_returning(tx).await?;
    }
    info!(assessment = %to.id, follows = %from.id, answers = carried, "review prefilled");
    Ok(())
}

/// Opens every review whose date has come. Each supplier's date is cleared in the same
/// transaction that opens its review (a second worker finds nothing to do).
pub(crate) async fn open_due(k: &Kensa, today: NaiveDate, now: DateTime<Utc>) -> DomainResult<usize> {
    let due = suppliers::Entity::find()
        .filter(suppliers::Column::ReviewOpensOn.lte(today))
        .filter(suppliers::Column::DeletedAt.is_null())
        // By the indexed date: ordering by id makes SQLite walk the whole table.
        .order_by_asc(suppliers::Column::ReviewOpensOn)
        .all(&k.db)
        .await?;
    let mut opened = 0;
    for s in due {
        let txn = k.begin_write().await?;
        let claimed = suppliers::Entity::update_many()
            .col_expr(suppliers::Column::ReviewOpensOn, Expr::value(Option::<NaiveDate>::None))
            .filter(suppliers::Column::Id.eq(s.id))
            .filter(suppliers::Column::ReviewOpensOn.eq(s.review_opens_on))
            .exec(&txn)
            .await?;
        let from = match s.next_review_from {
            Some(id) => assessments::Entity::find_by_id(id).one(&txn).await?,
            None => None,
        };
        let template = match &from {
            Some(f) => templates::Entity::find_by_id(f.template_id).one(&txn).await?,
            None => None,
        };
        let (Some(from), Some(template)) = (from, template) else {
            txn.commit().await?;
            continue;
        };
        if claimed.rows_affected != 1 {
            txn.commit().await?;
            continue;
        }
        let template = newest_in_line(&txn, &template).await?;
        if in_flight(&txn, s.id, &template).await? {
            info!(supplier = %s.id, "review not opened: one is in progress");
            txn.commit().await?;
            continue;
        }
        let ctx = TenantCtx::for_background_job(OrganizationId(s.organization_id));
        let due_date = s.next_review_on.unwrap_or(today).max(today.succ_opt().unwrap_or(today));
        let review = NewReview {
            supplier: &s,
            template: &template,
            target_level: from.target_level,
            due_date,
            from: Some(&from),
        };
        let row = create(&txn, &ctx, review, now).await?;
        crate::audit::record_action(
            &txn,
            &ctx,
            "review.opened",
            Some(("assessment", row.id.to_string())),
            json!({ "supplier_id": s.id, "follows": from.id, "by": "schedule" }),
        )
        .await?;
        txn.commit().await?;
        info!(supplier = %s.id, assessment = %row.id, "annual review opened");
        opened += 1;
    }
    if opened > 0 {
        k.wake_worker();
    }
    Ok(opened)
}

/// A buyer opens a review now (`POST /suppliers/{id}/reviews`).
#[instrument(skip_all, fields(org = %editor.tenant().org_id(), supplier = %supplier_id))]
pub async fn open_now(
    k: &Kensa,
    editor: EditorCtx<'_>,
    supplier_id: Uuid,
    input: OpenReviewInput,
) -> DomainResult<Assessment> {
    let ctx = editor.tenant();
    let supplier = crate::suppliers::repo::find_many(&k.db, ctx, &[supplier_id])
        .await?
        .pop()
        .ok_or(DomainError::NotFound("supplier"))?;
    let today = k.today();
    let mut errors = Vec::new();
    let given = match input.template_id {
        Some(id) => {
            let found = crate::templates::repo::find_visible(&k.db, ctx, id).await?;
            if found.is_none() {
                errors.push(FieldError::new("template_id", ErrorCode::NotFound, "no such template"));
            }
            found
        }
        None => None,
    };
    let from = last_accepted(&k.db, supplier.id, given.as_ref()).await?;
    let template = match (given, &from) {
        (Some(t), _) => Some(t),
        (None, Some(f)) => templates::Entity::find_by_id(f.template_id).one(&k.db).await?,
        (None, None) => {
            errors.push(FieldError::new(
                "template_id",
                ErrorCode::Required,
                "the supplier has no accepted assessment to follow: name the template",
            ));
            None
        }
    };
    if let Some(level) = input.target_level
        && !(1..=3).contains(&level)
    {
        errors.push(FieldError::new("target_level", ErrorCode::OutOfRange, "must be 1, 2 or 3"));
    }
    if let Some(due) = input.due_date {
        // The same rules as a campaign's due date.
        if let Err(e) = crate::text::date("due_date", due) {
            errors.push(e);
        } else if due <= today {
            errors.push(FieldError::new("due_date", ErrorCode::NotInFuture, "the due date must be after today"));
        }
    }
    let Some(template) = template.filter(|_| errors.is_empty()) else {
        return Err(DomainError::Validation(errors));
    };
    let schedule = settings::load(&k.db, ctx.org_id().0).await?.schedule();
    let due_date = input.due_date.unwrap_or_else(|| match supplier.next_review_on.filter(|d| *d > today) {
        Some(d) => d,
        None => today.checked_add_days(Days::new(schedule.review_lead_days.into())).unwrap_or(today),
    });
    let target_level = input.target_level.or(from.as_ref().map(|f| f.target_level)).unwrap_or(supplier.target_level);
    let txn = k.begin_write().await?;
    let now = txn.now();
    // The supplier's row is the lock two openings of its review meet at (the worker's takes
    // it too): the second sees the first's assessment.
    suppliers::Entity::find_by_id(supplier.id).lock_exclusive().one(&txn).await?;
    let template = newest_in_line(&txn, &template).await?;
    if in_flight(&txn, supplier.id, &template).await? {
        return Err(DomainError::conflict(
            ErrorCode::ReviewAlreadyOpen,
            "the supplier already has an assessment of this checklist in progress",
        ));
    }
    let review = NewReview { supplier: &supplier, template: &template, target_level, due_date, from: from.as_ref() };
    let row = create(&txn, ctx, review, now).await?;
    crate::audit::record_action(
        &txn,
        ctx,
        "review.opened",
        Some(("assessment", row.id.to_string())),
        json!({ "supplier_id": supplier.id, "follows": from.as_ref().map(|f| f.id), "by": "buyer" }),
    )
    .await?;
    txn.commit().await?;
    k.wake_worker();
    crate::assessments::service::view(k, row).await
}
