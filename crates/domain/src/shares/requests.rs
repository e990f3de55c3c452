//! Share requests: a buyer asks a supplier in its registry to share its answers to a
//! checklist instead of answering the buyer's own questionnaire.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::model::{NewShareRequest, ShareRequest, ShareRequestStatus};
use super::{procurer, repo, sharer};
use crate::Kensa;
use crate::entities::share_requests;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::pagination::{Page, PageRequest};
use crate::tenant::TenantCtx;
use crate::users::model::Validator;

async fn views(
    conn: &impl sea_orm::ConnectionTrait,
    rows: Vec<share_requests::Model>,
    viewer: Uuid,
) -> DomainResult<Vec<ShareRequest>> {
    let parties = rows.iter().flat_map(|r| [r.requester_organization_id, r.supplier_organization_id]);
    let names = repo::Names::of(conn, parties.collect(), rows.iter().map(|r| r.template_id).collect()).await?;
    let party = |id: Uuid| names.party(id);
    rows.into_iter()
        .map(|r| {
            Ok(ShareRequest {
                id: r.id,
                status: ShareRequestStatus::try_from(r.status.as_str())?,
                requester: party(r.requester_organization_id),
                supplier: party(r.supplier_organization_id),
                // The registry record is the requester's own business.
                supplier_id: r.supplier_id.filter(|_| r.requester_organization_id == viewer),
                template_id: r.template_id,
                template_name: names.template(r.template_id),
                message: r.message,
                share_id: r.share_id,
                reviewed_share_id: r.reviewed_share_id,
                created_at: r.created_at,
                resolved_at: r.resolved_at,
            })
        })
        .collect()
}

pub(super) async fn view(
    conn: &impl sea_orm::ConnectionTrait,
    row: share_requests::Model,
    viewer: Uuid,
) -> DomainResult<ShareRequest> {
    views(conn, vec![row], viewer).await?.pop().ok_or(DomainError::NotFound("share request"))
}

/// Asks the supplier of the caller's registry record `supplier_id` to share its answers to
/// the checklist of `template_id`. An open request for the same supplier and checklist is
/// answered again rather than repeated: `(request, false)`.
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn request(k: &Kensa, ctx: &TenantCtx, input: NewShareRequest) -> DomainResult<(ShareRequest, bool)> {
    procurer(ctx)?;
    let org = ctx.org_id().0;
    let mut v = Validator::default();
    if let Some(message) = &input.message {
        v.check(crate::text::multi_line("message", message, 2_000));
    }
    v.finish()?;
    let supplier = crate::suppliers::repo::find(&k.db, ctx, input.supplier_id).await?.ok_or_else(|| {
        DomainError::validation("supplier_id", ErrorCode::NotFound, "no such supplier in your registry")
    })?;
    let Some(supplier_org) = supplier.supplier_organization_id else {
        return Err(DomainError::validation(
            "supplier_id",
            ErrorCode::InvalidValue,
            "the supplier has no organization on Kensa yet: send it an assessment instead",
        ));
    };
    let template = crate::templates::repo::find_visible(&k.db, ctx, input.template_id)
        .await?
        .ok_or_else(|| DomainError::validation("template_id", ErrorCode::NotFound, "no such template"))?;
    let txn = k.begin_write().await?;
    // Two requests at once (PostgreSQL; also a review asking for changes) see each other's
    // open request instead of both inserting one.
    lock_requester(&txn, org).await?;
    if let Some(open) = repo::open_request(&txn, org, supplier_org, template.id).await? {
        txn.rollback().await?;
        return Ok((view(&k.db, open, org).await?, false));
    }
    let opening = Opening {
        supplier_id: Some(supplier.id),
        supplier_organization_id: supplier_org,
        template_id: template.id,
        message: crate::assessments::answers::trimmed(input.message),
        reviewed_share_id: None,
    };
    let row = open(&txn, ctx, opening).await?;
    txn.commit().await?;
    k.wake_worker();
    Ok((view(&k.db, row, org).await?, true))
}

/// A share request to open, by the caller's organization.
pub(super) struct Opening {
    /// The requester's registry record of the supplier, when it has one.
    pub supplier_id: Option<Uuid>,
    pub supplier_organization_id: Uuid,
    pub template_id: Uuid,
    pub message: Option<String>,
    /// The share whose review asks for changes, when one does.
    pub reviewed_share_id: Option<Uuid>,
}

/// Opens the request in the caller's transaction (after [`lock_requester`] and a check
/// that none is open): the row, the supplier's mail, the requester's audit event.
pub(super) async fn open(tx: &crate::WriteTx, ctx: &TenantCtx, o: Opening) -> DomainResult<share_requests::Model> {
    let row = share_requests::Model {
        id: Uuid::now_v7(),
        requester_organization_id: ctx.org_id().0,
        supplier_id: o.supplier_id,
        supplier_organization_id: o.supplier_organization_id,
        template_id: o.template_id,
        message: o.message,
        status: ShareRequestStatus::Open.as_str().to_owned(),
        share_id: None,
        reviewed_share_id: o.reviewed_share_id,
        created_by: ctx.user_id().map(|u| u.0),
        created_at: tx.now(),
        resolved_at: None,
        mailed_at: None,
    };
    share_requests::Entity::insert(share_requests::ActiveModel::from(row.clone())).exec_without_returning(tx).await?;
    crate::notifications::sharing::queue_request(tx, &row).await?;
    let details = json!({
        "supplier_id": row.supplier_id, "template_id": row.template_id, "reviewed_share_id": row.reviewed_share_id,
    });
    let target = Some(("share_request", row.id.to_string()));
    crate::audit::record_action(tx, ctx, "share_request.created", target, details).await?;
    Ok(row)
}

/// Requests the caller's organization made or was asked, oldest first.
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn list_requests(k: &Kensa, ctx: &TenantCtx, page: &PageRequest) -> DomainResult<Page<ShareRequest>> {
    let org = ctx.org_id().0;
    let rows = repo::requests_page(&k.db, org, page).await?;
    let page_rows = Page::from_rows(rows, page.limit, |r| r.id);
    Ok(Page { data: views(&k.db, page_rows.data, org).await?, next_cursor: page_rows.next_cursor })
}

/// Locks the requesting organization's row: every path that opens a share request takes
/// it first, so that one open request per supplier and checklist holds on PostgreSQL.
pub(super) async fn lock_requester(tx: &crate::WriteTx, organization: Uuid) -> DomainResult<()> {
    crate::entities::organizations::Entity::find_by_id(organization).lock_exclusive().one(tx).await?;
    Ok(())
}

/// Moves the request from open to `status` (with the share that fulfilled it); false when
/// it was no longer open. One conditional update: of two closings racing, one wins.
pub(super) async fn close_if_open(
    tx: &crate::WriteTx,
    id: Uuid,
    status: ShareRequestStatus,
    share: Option<Uuid>,
) -> DomainResult<bool> {
    use share_requests::Column as C;
    let done = share_requests::Entity::update_many()
        .col_expr(C::Status, Expr::value(status.as_str()))
        .col_expr(C::ShareId, Expr::value(share))
        .col_expr(C::ResolvedAt, Expr::value(tx.now()))
        .filter(C::Id.eq(id))
        .filter(C::Status.eq(ShareRequestStatus::Open.as_str()))
        .exec(tx)
        .await?;
    Ok(done.rows_affected == 1)
}

/// Closes an open request as `status`, by the side `allowed` says may.
async fn close(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    status: ShareRequestStatus,
    side_may: impl Fn(&share_requests::Model, Uuid) -> bool,
    role: fn(&TenantCtx) -> DomainResult<()>,
    action: &'static str,
) -> DomainResult<ShareRequest> {
    let org = ctx.org_id().0;
    let row = repo::request_of(&k.db, org, id).await?.ok_or(DomainError::NotFound("share request"))?;
    if !side_may(&row, org) {
        return Err(DomainError::Forbidden);
    }
    role(ctx)?;
    let txn = k.begin_write().await?;
    if !close_if_open(&txn, id, status, None).await? {
        return Err(DomainError::Conflict {
            code: ErrorCode::RequestClosed,
            detail: "the request is no longer open".into(),
        });
    }
    crate::audit::record_action(&txn, ctx, action, Some(("share_request", id.to_string())), json!({})).await?;
    txn.commit().await?;
    let row = repo::request_of(&k.db, org, id).await?.ok_or(DomainError::NotFound("share request"))?;
    view(&k.db, row, org).await
}

/// The supplier's owners and admins decline an open request.
#[instrument(skip_all, fields(org = %ctx.org_id(), request = %id))]
pub async fn decline_request(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<ShareRequest> {
    let asked = |r: &share_requests::Model, org: Uuid| r.supplier_organization_id == org;
    close(k, ctx, id, ShareRequestStatus::Declined, asked, sharer, "share_request.declined").await
}

/// The requester's owners, admins and reviewers withdraw an open request.
#[instrument(skip_all, fields(org = %ctx.org_id(), request = %id))]
pub async fn cancel_request(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<ShareRequest> {
    let asked_by = |r: &share_requests::Model, org: Uuid| r.requester_organization_id == org;
    close(k, ctx, id, ShareRequestStatus::Cancelled, asked_by, procurer, "share_request.cancelled").await
}
