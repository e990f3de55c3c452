//! Supplier invitations: a single-use link per assessment, mailed by the worker (the token
//! is made when the mail goes out and only its hash is stored), previewed without an
//! account, accepted by creating the supplier's organization or by linking an existing one.

use crate::error::ErrorCode;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
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
use crate::jobs::{self, JobKind};
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
        queue_mail(conn, assessment, &supplier.contact_email, now).await?;
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
pub enum Acceptance<T> {
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
    pub name: String,
    pub email: String,
    pub password: String,
    pub organization_name: String,
    pub locale: Option<String>,
}
crate::redacted_debug!(AcceptNew { name, email, organization_name, locale } secret { password });

/// Creates the supplier organization and its owner and, when the address is the invited
/// contact's, links the assessment and signs them in. Otherwise the account still exists
/// (its owner can sign in) but sees nothing until the buyer approves the claim.
#[instrument(skip_all)]
pub async fn accept_new(
    k: &Kensa,
    token: &str,
    input: AcceptNew,
    meta: &RequestMeta,
) -> DomainResult<Acceptance<Session>> {
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
    let txn = k.begin_write().await?;
    let session = auth::create_account(k, &txn, valid, meta).await?;
    let who = Acceptor {
        org: session.organization.id,
        user: Some(session.user.id),
        name: session.user.name.clone(),
        email: session.user.email.clone(),
        meta,
    };
    let claim = link_or_claim(&txn, &u, who, now).await?;
    txn.commit().await?;
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
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn accept_existing(k: &Kensa, token: &str, ctx: &TenantCtx) -> DomainResult<Acceptance<Uuid>> {
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
    queue_mail(&txn, visible.row(), &supplier.contact_email, now).await?;
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

/// Queues the mail for a new assessment: an invitation while the supplier has no
/// organization in Kensa, a notice once it has.
pub(crate) async fn queue_mail(
    conn: &crate::WriteTx,
    assessment: &assessments::Model,
    email: &str,
    now: DateTime<Utc>,
) -> DomainResult<Option<supplier_invitations::Model>> {
    if assessment.supplier_organization_id.is_some() {
        jobs::enqueue(conn, JobKind::AssessmentNoticeMail, json!({ "assessment_id": assessment.id }), now).await?;
        return Ok(None);
    }
    let invitation = new_row(assessment.id, assessment.due_date, email, now);
    supplier_invitations::Entity::insert(supplier_invitations::ActiveModel::from(invitation.clone()))
        .exec_without_returning(conn)
        .await?;
    jobs::enqueue(conn, JobKind::AssessmentInvitationMail, json!({ "invitation_id": invitation.id }), now).await?;
    Ok(Some(invitation))
}

/// What the worker needs to mail about an assessment. `link` may hold a live invitation
/// token, so `Debug` never prints it.
#[derive(Clone)]
pub struct AssessmentMail {
    pub to: String,
    pub locale: String,
    pub buyer_name: String,
    pub supplier_name: String,
    pub template_name: String,
    pub target_level: i32,
    pub due_date: NaiveDate,
    pub link: String,
    /// An invitation carries a single-use link; a notice points at the assessment.
    pub invitation: bool,
    /// When an invitation's link stops working.
    pub expires_at: Option<DateTime<Utc>>,
}
crate::redacted_debug!(AssessmentMail { to, locale, buyer_name, supplier_name, template_name, target_level, due_date, invitation, expires_at } secret { link });

async fn mail_for(
    k: &Kensa,
    assessment: &assessments::Model,
    to: Option<String>,
    link: String,
    invitation: bool,
) -> DomainResult<AssessmentMail> {
    let buyer = organizations::Entity::find_by_id(assessment.buyer_organization_id).one(&k.db).await?;
    let supplier = suppliers::Entity::find_by_id(assessment.supplier_id).one(&k.db).await?;
    let template = templates::Entity::find_by_id(assessment.template_id).one(&k.db).await?;
    Ok(AssessmentMail {
        to: to.or_else(|| supplier.as_ref().map(|s| s.contact_email.clone())).unwrap_or_default(),
        locale: supplier.as_ref().map(|s| s.contact_locale.clone()).unwrap_or_else(|| "ja".into()),
        buyer_name: buyer.map(|b| b.name).unwrap_or_default(),
        supplier_name: supplier.map(|s| s.name).unwrap_or_default(),
        template_name: template.map(|t| t.name).unwrap_or_default(),
        target_level: assessment.target_level,
        due_date: assessment.due_date,
        link,
        invitation,
        expires_at: None,
    })
}

/// Gives the invitation a fresh token (replacing any earlier one) and returns the mail;
/// `None` when the invitation no longer needs one.
pub async fn prepare_invitation(
    k: &Kensa,
    invitation_id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Option<AssessmentMail>> {
    let Some(invitation) = supplier_invitations::Entity::find_by_id(invitation_id).one(&k.db).await? else {
        return Ok(None);
    };
    if invitation.accepted_at.is_some() || invitation.revoked_at.is_some() {
        return Ok(None);
    }
    let Some(assessment) = assessments::Entity::find_by_id(invitation.assessment_id).one(&k.db).await? else {
        return Ok(None);
    };
    if !Status::try_from(assessment.status.as_str())?.open() {
        return Ok(None);
    }
    let token = tokens::random_token();
    let to = invitation.email.clone();
    // Counted from the moment the link goes out: a mail delayed by retries still gets its week.
    let expires_at = link_expiry(assessment.due_date, now).max(invitation.expires_at);
    let mut model: supplier_invitations::ActiveModel = invitation.into();
    model.token_hash = Set(Some(tokens::hash_token(&token)));
    model.expires_at = Set(expires_at);
    let tx = k.begin_write().await?;
    supplier_invitations::Entity::update(model).exec(&tx).await?;
    tx.commit().await?;
    let mut link = k.public_url.clone();
    link.set_path(&format!("/invitations/{token}"));
    let mut mail = mail_for(k, &assessment, Some(to), link.to_string(), true).await?;
    mail.expires_at = Some(expires_at);
    Ok(Some(mail))
}

pub async fn prepare_notice(k: &Kensa, assessment_id: Uuid) -> DomainResult<Option<AssessmentMail>> {
    let Some(assessment) = assessments::Entity::find_by_id(assessment_id).one(&k.db).await? else {
        return Ok(None);
    };
    if !Status::try_from(assessment.status.as_str())?.open() {
        return Ok(None);
    }
    let mut link = k.public_url.clone();
    link.set_path(&format!("/assessments/{assessment_id}"));
    mail_for(k, &assessment, None, link.to_string(), false).await.map(Some)
}
