//! Supplier invitations: a single-use link per assessment, mailed by the worker (the token
//! is made when the mail goes out, in `notifications::assessment`, and only its hash is
//! stored), previewed without an account, accepted by creating the supplier's organization
//! or by linking an existing one.

use crate::error::ErrorCode;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::claims;
use super::model::Status;
use crate::Kensa;
use crate::auth::{self, Session, SignupInput, tokens};
use crate::entities::{assessments, organizations, supplier_invitations, suppliers, templates, users};
use crate::error::{DomainError, DomainResult};
use crate::jobs::{self, Job};
use crate::tenant::{RequestMeta, Role, TenantCtx};

/// A link outlives the due date by this much, so a supplier that is a little late can
/// still start answering (the overdue reminders point at the same link).
pub const INVITATION_GRACE: chrono::Duration = chrono::Duration::days(14);
/// However close (or past) the due date, a link mailed now works at least this long.
pub const INVITATION_MIN_LIFETIME: chrono::Duration = chrono::Duration::days(7);

/// When a link sent at `now` for an assessment due on `due` stops working: the end of the
/// due date (UTC) plus [`INVITATION_GRACE`], and never sooner than [`INVITATION_MIN_LIFETIME`]
/// after sending.
pub fn link_expiry(due: NaiveDate, now: DateTime<Utc>) -> DateTime<Utc> {
    let end_of_due = due.succ_opt().unwrap_or(due).and_time(chrono::NaiveTime::MIN).and_utc();
    (end_of_due + INVITATION_GRACE).max(now + INVITATION_MIN_LIFETIME)
}

pub(crate) fn new_row(
    assessment_id: Uuid,
    due: NaiveDate,
    email: &str,
    now: DateTime<Utc>,
) -> supplier_invitations::Model {
    supplier_invitations::Model {
        id: Uuid::now_v7(),
        assessment_id,
        email: email.to_owned(),
        token_hash: None,
        expires_at: link_expiry(due, now),
        accepted_at: None,
        revoked_at: None,
        created_at: now,
    }
}

pub(crate) async fn revoke_pending(conn: &crate::WriteTx, assessment_id: Uuid, now: DateTime<Utc>) -> DomainResult<()> {
    let live: Vec<Uuid> = supplier_invitations::Entity::find()
        .select_only()
        .column(supplier_invitations::Column::Id)
        .filter(supplier_invitations::Column::AssessmentId.eq(assessment_id))
        .filter(supplier_invitations::Column::AcceptedAt.is_null())
        .filter(supplier_invitations::Column::RevokedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    if live.is_empty() {
        return Ok(());
    }
    supplier_invitations::Entity::update_many()
        .col_expr(supplier_invitations::Column::RevokedAt, Expr::value(now))
        .filter(supplier_invitations::Column::Id.is_in(live.clone()))
        .exec(conn)
        .await?;
    super::claims::supersede_for_invitations(conn, live, now).await
}

/// Revokes every outstanding link of the supplier's assessments: its contact changed or the
/// record was deleted, so whoever holds an old link is no longer the person the buyer means.
pub(crate) async fn revoke_for_supplier(
    conn: &crate::WriteTx,
    supplier_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<u64> {
    let of_supplier = Query::select()
        .column(assessments::Column::Id)
        .from(assessments::Entity)
        .and_where(assessments::Column::SupplierId.eq(supplier_id))
        .to_owned();
    let revoked = supplier_invitations::Entity::update_many()
        .col_expr(supplier_invitations::Column::RevokedAt, Expr::value(now))
        .filter(supplier_invitations::Column::AssessmentId.in_subquery(of_supplier))
        .filter(supplier_invitations::Column::AcceptedAt.is_null())
        .filter(supplier_invitations::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(revoked.rows_affected)
}

/// A fresh invitation to `supplier`'s (new) contact for each of its assessments that is
/// still open and not yet answered by an organization; returns how many were queued.
pub(crate) async fn reinvite_open(
    conn: &crate::WriteTx,
    supplier: &suppliers::Model,
    now: DateTime<Utc>,
) -> DomainResult<usize> {
    let mut waiting: Vec<assessments::Model> = Vec::new();
    for a in assessments::Entity::find()
        .filter(assessments::Column::SupplierId.eq(supplier.id))
        .filter(assessments::Column::SupplierOrganizationId.is_null())
        .all(conn)
        .await?
    {
        if Status::try_from(a.status.as_str())?.open() {
            waiting.push(a);
        }
    }
    for assessment in &waiting {
        queue_mail(conn, assessment, &supplier.contact_email, false, now).await?;
    }
    Ok(waiting.len())
}

/// What an invited supplier sees before accepting.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct InvitationPreview {
    pub buyer_name: String,
    pub supplier_name: String,
    pub email: String,
    pub template_id: Uuid,
    pub template_name: String,
    pub target_level: i32,
    pub due_date: NaiveDate,
    pub expires_at: DateTime<Utc>,
}

struct Usable {
    invitation: supplier_invitations::Model,
    assessment: assessments::Model,
}

async fn usable(k: &Kensa, token: &str, now: DateTime<Utc>) -> DomainResult<Usable> {
    let invitation = supplier_invitations::Entity::find()
        .filter(supplier_invitations::Column::TokenHash.eq(tokens::hash_token(token)))
        .one(&k.db)
        .await?
        .ok_or(DomainError::NotFound("invitation"))?;
    tokens::ensure_link_usable(invitation.accepted_at, invitation.revoked_at, invitation.expires_at, now)?;
    let assessment = assessments::Entity::find_by_id(invitation.assessment_id)
        .one(&k.db)
        .await?
        .ok_or(DomainError::NotFound("invitation"))?;
    if Status::try_from(assessment.status.as_str())? == Status::Cancelled {
        return Err(DomainError::Gone {
            code: ErrorCode::InvitationRevoked,
            detail: "the buyer cancelled this assessment",
        });
    }
    let supplier_deleted = suppliers::Entity::find_by_id(assessment.supplier_id)
        .one(&k.db)
        .await?
        .is_none_or(|supplier| supplier.deleted_at.is_some());
    if supplier_deleted {
        return Err(DomainError::Gone {
            code: ErrorCode::InvitationRevoked,
            detail: "the buyer removed this supplier",
        });
    }
    Ok(Usable { invitation, assessment })
}

#[instrument(skip_all)]
pub async fn preview(k: &Kensa, token: &str) -> DomainResult<InvitationPreview> {
    let u = usable(k, token, k.now()).await?;
    let buyer = organizations::Entity::find_by_id(u.assessment.buyer_organization_id).one(&k.db).await?;
    let supplier = suppliers::Entity::find_by_id(u.assessment.supplier_id).one(&k.db).await?;
    let template = templates::Entity::find_by_id(u.assessment.template_id).one(&k.db).await?;
    Ok(InvitationPreview {
        buyer_name: buyer.map(|b| b.name).unwrap_or_default(),
        supplier_name: supplier.map(|s| s.name).unwrap_or_default(),
        email: u.invitation.email,
        template_id: u.assessment.template_id,
        template_name: template.map(|t| t.name).unwrap_or_default(),
        target_level: u.assessment.target_level,
        due_date: u.assessment.due_date,
        expires_at: u.invitation.expires_at,
    })
}

fn buyer_cannot_accept() -> DomainError {
    DomainError::conflict(
        ErrorCode::CannotLinkBuyer,
        "this invitation is for the supplier; the buying organization cannot accept it for itself",
    )
}

fn already_linked() -> DomainError {
    DomainError::conflict(
        ErrorCode::SupplierAlreadyLinked,
        "this supplier is already answered by another organization; ask the buyer",
    )
}

/// Links the supplier record and its unlinked assessments to `org`, in `conn`'s
/// transaction. Conditional: a second organization linking at the same moment finds it taken.
pub(crate) async fn link_supplier(conn: &crate::WriteTx, supplier_id: Uuid, org: Uuid) -> DomainResult<()> {
    use sea_orm::sea_query::ExprTrait;
    let supplier =
        suppliers::Entity::find_by_id(supplier_id).one(conn).await?.ok_or(DomainError::NotFound("invitation"))?;
    if supplier.organization_id == org {
        return Err(buyer_cannot_accept());
    }
    match supplier.supplier_organization_id {
        Some(linked) if linked != org => return Err(already_linked()),
        Some(_) => {}
        None => {
            let linked = suppliers::Entity::update_many()
                .col_expr(suppliers::Column::SupplierOrganizationId, Expr::value(org))
                .col_expr(suppliers::Column::Version, Expr::col(suppliers::Column::Version).add(1))
                .col_expr(suppliers::Column::UpdatedAt, Expr::value(conn.now()))
                .filter(suppliers::Column::Id.eq(supplier.id))
                .filter(suppliers::Column::SupplierOrganizationId.is_null())
                .exec(conn)
                .await?;
            if linked.rows_affected != 1 {
                return Err(already_linked());
            }
        }
    }
    assessments::Entity::update_many()
        .col_expr(assessments::Column::SupplierOrganizationId, Expr::value(org))
        // Seen by incremental sync; the version stays: nobody's answers or decision changed.
        .col_expr(assessments::Column::UpdatedAt, Expr::value(conn.now()))
        .filter(assessments::Column::SupplierId.eq(supplier_id))
        .filter(assessments::Column::SupplierOrganizationId.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Consumes the invitation and links the supplier to `org`; claims still waiting for the
/// buyer are closed, the contact having answered for itself. All in `conn`'s transaction.
async fn link(conn: &crate::WriteTx, u: &Usable, org: Uuid, now: DateTime<Utc>) -> DomainResult<()> {
    if org == u.assessment.buyer_organization_id {
        return Err(buyer_cannot_accept());
    }
    let consumed = supplier_invitations::Entity::update_many()
        .col_expr(supplier_invitations::Column::AcceptedAt, Expr::value(now))
        .filter(supplier_invitations::Column::Id.eq(u.invitation.id))
        .filter(supplier_invitations::Column::AcceptedAt.is_null())
        .filter(supplier_invitations::Column::RevokedAt.is_null())
        .filter(supplier_invitations::Column::ExpiresAt.gt(now))
        .exec(conn)
        .await?;
    if consumed.rows_affected != 1 {
        return Err(DomainError::Gone {
            code: ErrorCode::InvitationUsed,
            detail: "this invitation has already been accepted",
        });
    }
    link_supplier(conn, u.assessment.supplier_id, org).await?;
    claims::supersede_for_supplier(conn, u.assessment.supplier_id, now).await
}

/// How an acceptance ended: linked at once, or waiting for the buyer because the accepting
/// address is not the invited contact's (see [`claims`]).
#[derive(Clone, Debug)]
enum Acceptance<T> {
    Linked(T),
    PendingConfirmation { claim_id: Uuid },
}

/// Who is accepting, for the contact check and the claim record.
struct Acceptor<'a> {
    org: Uuid,
    user: Option<Uuid>,
    name: String,
    email: String,
    meta: &'a RequestMeta,
}

/// Links when `who` is the invited contact (or already answers for this supplier), opens a
/// claim otherwise. In `conn`'s transaction.
async fn link_or_claim(
    conn: &crate::WriteTx,
    u: &Usable,
    who: Acceptor<'_>,
    now: DateTime<Utc>,
) -> DomainResult<Option<Uuid>> {
    if who.org == u.assessment.buyer_organization_id {
        return Err(buyer_cannot_accept());
    }
    let supplier = suppliers::Entity::find_by_id(u.assessment.supplier_id)
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound("invitation"))?;
    let answers_already = supplier.supplier_organization_id == Some(who.org);
    if answers_already || claims::same_contact(&u.invitation.email, &who.email) {
        link(conn, u, who.org, now).await?;
        accepted_event(conn, u, who.org, who.user, who.meta).await?;
        return Ok(None);
    }
    if supplier.supplier_organization_id.is_some() {
        return Err(already_linked());
    }
    let claim = claims::NewClaim {
        buyer_organization_id: u.assessment.buyer_organization_id,
        supplier_id: supplier.id,
        assessment_id: u.assessment.id,
        invitation_id: u.invitation.id,
        claimant_organization_id: who.org,
        claimant_user_id: who.user,
        claimant_name: who.name,
        claimant_email: who.email,
        meta: who.meta,
    };
    claims::open(conn, claim, now).await.map(Some)
}

#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptNew {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(max_length = 254))]
    pub email: String,
    /// At least 12 characters, two kinds of characters, not sequential or common.
    #[cfg_attr(feature = "openapi", schema(min_length = 12, max_length = 256))]
    pub password: String,
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub organization_name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<crate::users::model::Locale>))]
    pub locale: Option<String>,
}
crate::redacted_debug!(AcceptNew { name, email, organization_name, locale } secret { password });

/// How an invitation was accepted, whichever way.
#[derive(Clone, Debug)]
pub enum Accepted {
    /// A new supplier organization and its owner, linked to the assessment: their tokens.
    NewAccount(Box<Session>),
    /// The signed-in caller's organization now answers the assessment.
    Linked { assessment_id: Uuid, organization_id: Uuid },
    /// The accepting address is not the invited contact's: nothing is linked until the
    /// buyer's owners or admins decide the claim (a new account exists all the same).
    PendingConfirmation { claim_id: Uuid },
}

/// Accepts an invitation: the one place that decides between linking the signed-in caller's
/// organization and creating a new one, for REST and GraphQL alike.
///
/// `caller` is who authentication found. An edge that received a credential which did not
/// authenticate (invalid, expired, revoked) must answer that error itself and never call
/// this as `None`: a bad token is a 401, not an anonymous acceptance. A signed-in caller
/// links (owners and admins; `details` are not used); without one, `details` create the
/// supplier's organization and owner.
#[instrument(skip_all, fields(signed_in = caller.is_some()))]
pub async fn accept(
    k: &Kensa,
    token: &str,
    caller: Option<&TenantCtx>,
    details: Option<AcceptNew>,
    meta: &RequestMeta,
) -> DomainResult<Accepted> {
    match (caller, details) {
        (Some(ctx), _) => Ok(match accept_existing(k, token, ctx).await? {
            Acceptance::Linked(assessment_id) => Accepted::Linked { assessment_id, organization_id: ctx.org_id().0 },
            Acceptance::PendingConfirmation { claim_id } => Accepted::PendingConfirmation { claim_id },
        }),
        (None, Some(details)) => Ok(match accept_new(k, token, details, meta).await? {
            Acceptance::Linked(session) => Accepted::NewAccount(Box::new(session)),
            Acceptance::PendingConfirmation { claim_id } => Accepted::PendingConfirmation { claim_id },
        }),
        (None, None) => Err(DomainError::validation(
            "body",
            ErrorCode::Required,
            "send the new account's details, or sign in to link your organization",
        )),
    }
}

/// Creates the supplier organization and its owner and, when the address is the invited
/// contact's, links the assessment and signs them in. Otherwise the account still exists
/// (its owner can sign in) but sees nothing until the buyer approves the claim.
async fn accept_new(k: &Kensa, token: &str, input: AcceptNew, meta: &RequestMeta) -> DomainResult<Acceptance<Session>> {
    auth::reserve_account_creation(k, meta).await?;
    let now = k.now();
    let u = usable(k, token, now).await?;
    let valid = auth::validate_signup(
        k,
        SignupInput {
            organization_name: input.organization_name,
            name: input.name,
            email: input.email,
            password: input.password,
            locale: input.locale,
        },
    )
    .await?;
    // Accepting as the very address the invitation was mailed to proves it (a colleague at
    // the same domain is linked too, but their own address is still unproven).
    let proven = u.invitation.email.trim().eq_ignore_ascii_case(valid.email());
    let txn = k.begin_write().await?;
    let session = auth::create_account(k, &txn, valid, proven, meta).await?;
    let who = Acceptor {
        org: session.organization.id,
        user: Some(session.user.id),
        name: session.user.name.clone(),
        email: session.user.email.clone(),
        meta,
    };
    let claim = link_or_claim(&txn, &u, who, now).await?;
    txn.commit().await?;
    if !proven {
        k.wake_worker();
    }
    match claim {
        None => Ok(Acceptance::Linked(session)),
        Some(claim_id) => {
            k.wake_worker();
            Ok(Acceptance::PendingConfirmation { claim_id })
        }
    }
}

/// Links the assessment to the caller's existing organization (a supplier answering several
/// buyers keeps one account), or opens a claim when the caller's address is not the invited
/// contact's. Owners and admins decide that for their organization.
async fn accept_existing(k: &Kensa, token: &str, ctx: &TenantCtx) -> DomainResult<Acceptance<Uuid>> {
    if !matches!(ctx.role(), Role::Owner | Role::Admin) {
        return Err(DomainError::Forbidden);
    }
    let now = k.now();
    let u = usable(k, token, now).await?;
    let user = match ctx.user_id() {
        Some(id) => users::Entity::find_by_id(id.0).one(&k.db).await?,
        None => None,
    };
    let (name, email) = user.map(|u| (u.name, u.email)).unwrap_or_default();
    let who = Acceptor { org: ctx.org_id().0, user: ctx.user_id().map(|u| u.0), name, email, meta: ctx.meta() };
    let txn = k.begin_write().await?;
    let claim = link_or_claim(&txn, &u, who, now).await?;
    txn.commit().await?;
    match claim {
        None => Ok(Acceptance::Linked(u.assessment.id)),
        Some(claim_id) => {
            k.wake_worker();
            Ok(Acceptance::PendingConfirmation { claim_id })
        }
    }
}

async fn accepted_event(
    conn: &crate::WriteTx,
    u: &Usable,
    org: Uuid,
    user: Option<Uuid>,
    meta: &RequestMeta,
) -> DomainResult<()> {
    crate::audit::record(
        conn,
        crate::audit::NewAuditEvent {
            organization_id: Some(crate::ids::OrganizationId(u.assessment.buyer_organization_id)),
            actor_user_id: None,
            action: "supplier.invitation_accepted",
            target: Some(("assessment", u.assessment.id.to_string())),
            meta,
            details: json!({ "supplier_id": u.assessment.supplier_id, "supplier_organization_id": org, "user_id": user }),
        },
    )
    .await
}

/// The buyer sends the link again; the earlier link stops working.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn resend(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<()> {
    let visible = super::access::load(&k.db, ctx, id).await?;
    visible.reviewer()?;
    if !visible.status()?.open() {
        return Err(DomainError::conflict(
            ErrorCode::InvalidTransition,
            format!("nothing to resend: the assessment is {}", visible.row().status),
        ));
    }
    let supplier = suppliers::Entity::find_by_id(visible.row().supplier_id)
        .one(&k.db)
        .await?
        .ok_or(DomainError::NotFound("supplier"))?;
    if supplier.deleted_at.is_some() {
        return Err(DomainError::conflict(ErrorCode::SupplierDeleted, "the supplier was removed; nothing to resend"));
    }
    let now = k.now();
    let txn = k.begin_write().await?;
    revoke_pending(&txn, id, now).await?;
    queue_mail(&txn, visible.row(), &supplier.contact_email, true, now).await?;
    crate::audit::record_action(
        &txn,
        ctx,
        "assessment.invitation_resent",
        Some(("assessment", id.to_string())),
        json!({}),
    )
    .await?;
    txn.commit().await?;
    k.wake_worker();
    Ok(())
}

/// A mail about the assessment, in its buyer's list of deliveries.
pub(crate) fn mail_to(assessment: &assessments::Model, email: &str) -> jobs::Delivery {
    jobs::Delivery {
        organization_id: assessment.buyer_organization_id,
        channel: jobs::Channel::Mail,
        target: email.to_owned(),
    }
}

/// Queues the mail for an assessment: an invitation while the supplier has no organization
/// in Kensa, a notice once it has (`resent`: the buyer sends it again, so a notice is a new
/// step rather than a duplicate of the first).
pub(crate) async fn queue_mail(
    conn: &crate::WriteTx,
    assessment: &assessments::Model,
    email: &str,
    resent: bool,
    now: DateTime<Utc>,
) -> DomainResult<Option<supplier_invitations::Model>> {
    crate::auth::verification::ensure_may_mail(conn, assessment.buyer_organization_id).await?;
    if assessment.supplier_organization_id.is_some() {
        let resent_at = resent.then_some(now);
        let job = Job::AssessmentNoticeMail { assessment_id: assessment.id, resent_at };
        jobs::enqueue_deliveries(conn, &[(job, mail_to(assessment, email))], now).await?;
        return Ok(None);
    }
    let invitation = new_row(assessment.id, assessment.due_date, email, now);
    supplier_invitations::Entity::insert(supplier_invitations::ActiveModel::from(invitation.clone()))
        .exec_without_returning(conn)
        .await?;
    let job = Job::AssessmentInvitationMail { invitation_id: invitation.id };
    jobs::enqueue_deliveries(conn, &[(job, mail_to(assessment, email))], now).await?;
    Ok(Some(invitation))
}
