//! A sub-supplier's consent, per assessment: may its buyer count these answers in what it
//! forwards to its own customers, and by name? Asked in the invitation, given or withdrawn
//! at any time by the sub-supplier's owners and admins; both sides can read it.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::model::{ForwardingConsent, ForwardingConsentView, SetForwardingConsent};
use crate::Kensa;
use crate::assessments::{Side, access};
use crate::entities::forwarding_consents as consents;
use crate::error::{DomainError, DomainResult};
use crate::tenant::{Role, TenantCtx};

fn view(assessment_id: Uuid, row: Option<consents::Model>) -> DomainResult<ForwardingConsentView> {
    Ok(match row {
        None => ForwardingConsentView { assessment_id, consent: ForwardingConsent::None, updated_at: None },
        Some(r) => ForwardingConsentView {
            assessment_id,
            consent: ForwardingConsent::try_from(r.consent.as_str())?,
            updated_at: Some(r.updated_at),
        },
    })
}

/// `GET /api/v1/assessments/{id}/forwarding-consent`: either side of the assessment.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn consent(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<ForwardingConsentView> {
    let visible = access::load(&k.db, ctx, id).await?;
    view(visible.id(), consents::Entity::find_by_id(visible.id()).one(&k.db).await?)
}

/// `PUT /api/v1/assessments/{id}/forwarding-consent`: the supplier's owners and admins decide
/// for their organization, in any state of the assessment. A withdrawal (`none`) takes the
/// answers out of every figure at the next read.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn set_consent(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    input: SetForwardingConsent,
) -> DomainResult<ForwardingConsentView> {
    let visible = access::load(&k.db, ctx, id).await?;
    if visible.side() != Side::Supplier || !matches!(ctx.role(), Role::Owner | Role::Admin) {
        return Err(DomainError::Forbidden);
    }
    let txn = k.begin_write().await?;
    let now = txn.now();
    let row = consents::ActiveModel {
        assessment_id: Set(visible.id()),
        consent: Set(input.consent.as_str().to_owned()),
        updated_by: Set(ctx.user_id().map(|u| u.0)),
        updated_at: Set(now),
    };
    consents::Entity::insert(row)
        .on_conflict(
            OnConflict::column(consents::Column::AssessmentId)
                .update_columns([consents::Column::Consent, consents::Column::UpdatedBy, consents::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    crate::audit::record_action(
        &txn,
        ctx,
        "assessment.forwarding_consent_set",
        Some(("assessment", visible.id().to_string())),
        json!({ "consent": input.consent.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok(ForwardingConsentView { assessment_id: visible.id(), consent: input.consent, updated_at: Some(now) })
}
