//! "Please answer this check sheet": the invitation to a supplier without an organization
//! in Kensa (its single-use link is made here, when the mail goes out, and only its hash is
//! stored) and the notice to a supplier that has one.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::Kensa;
use crate::assessments::invitations::link_expiry;
use crate::assessments::model::Status;
use crate::auth::tokens;
use crate::entities::{assessments, organizations, supplier_invitations, suppliers, templates};
use crate::error::DomainResult;
use crate::ids::JobId;

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

/// Gives the invitation a fresh single-use token, replacing any earlier one (only its hash
/// is stored), and returns it with the link's expiry; `None` when the invitation was
/// accepted or revoked meanwhile.
pub(crate) async fn fresh_token(
    k: &Kensa,
    job: JobId,
    invitation: &supplier_invitations::Model,
    assessment: &assessments::Model,
    now: DateTime<Utc>,
) -> DomainResult<Option<(String, DateTime<Utc>)>> {
    let token = k.jwt.mail_link_token(job, "supplier_invitation", invitation.id);
    // Counted from the moment the link goes out: a mail delayed by retries still gets its week.
    let expires_at = link_expiry(assessment.due_date, now).max(invitation.expires_at);
    // The write queue is held for the update only. The update repeats the checks: a resend,
    // cancel or contact change that landed since the read revoked this invitation, and its
    // mail must not go out with a dead link.
    let txn = k.begin_write().await?;
    let updated = supplier_invitations::Entity::update_many()
        .col_expr(supplier_invitations::Column::TokenHash, Expr::value(tokens::hash_token(&token)))
        .col_expr(supplier_invitations::Column::ExpiresAt, Expr::value(expires_at))
        .filter(supplier_invitations::Column::Id.eq(invitation.id))
        .filter(supplier_invitations::Column::AcceptedAt.is_null())
        .filter(supplier_invitations::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok((updated.rows_affected == 1).then_some((token, expires_at)))
}

/// Gives the invitation a fresh token (replacing any earlier one) and returns the mail;
/// `None` when the invitation no longer needs one.
pub async fn prepare_invitation(
    k: &Kensa,
    job: JobId,
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
    let to = invitation.email.clone();
    let Some((token, expires_at)) = fresh_token(k, job, &invitation, &assessment, now).await? else {
        return Ok(None);
    };
    let mut link = k.public_url.clone();
    link.set_path(&format!("/invitations/{token}"));
    let mut mail = mail_for(k, &assessment, Some(to), link.to_string(), true).await?;
    mail.expires_at = Some(expires_at);
    Ok(Some(mail))
}

/// `None` once the assessment is no longer open.
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
