//! Retention: a buyer that set `evidence_retention_years` has the evidence files of its
//! assessments deleted that many years after it accepted them. Answers, scores and history
//! stay; the deletion is in the buyer's audit trail. Applied by the worker's sweep.

use chrono::{DateTime, Months, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::entities::{assessments, evidence, organization_settings};
use crate::error::DomainResult;

/// Evidence rows deleted per organization and sweep (the rest at the next sweep).
const BATCH: u64 = 500;

/// Deletes the evidence that fell out of its organization's retention; returns how many
/// files' rows went.
pub async fn apply(k: &crate::Kensa, now: DateTime<Utc>) -> DomainResult<u64> {
    let limits: Vec<(Uuid, i32)> = organization_settings::Entity::find()
        .select_only()
        .column(organization_settings::Column::OrganizationId)
        .column(organization_settings::Column::EvidenceRetentionYears)
        .filter(organization_settings::Column::EvidenceRetentionYears.gt(0))
        .into_tuple()
        .all(&k.db)
        .await?;
    let mut deleted = 0;
    for (org, years) in limits {
        let months = u32::try_from(years).unwrap_or(0).saturating_mul(12);
        let Some(cutoff) = now.checked_sub_months(Months::new(months)) else { continue };
        deleted += expire(k, org, years, cutoff).await?;
    }
    Ok(deleted)
}

async fn expire(k: &crate::Kensa, org: Uuid, years: i32, cutoff: DateTime<Utc>) -> DomainResult<u64> {
    let accepted_before = sea_orm::sea_query::Query::select()
        .column(assessments::Column::Id)
        .from(assessments::Entity)
        .and_where(assessments::Column::BuyerOrganizationId.eq(org))
        .and_where(assessments::Column::Status.eq("accepted"))
        .and_where(assessments::Column::AcceptedAt.lt(cutoff))
        .to_owned();
    let tx = k.begin_write().await?;
    let expired: Vec<(Uuid, Uuid, String)> = evidence::Entity::find()
        .select_only()
        .columns([evidence::Column::Id, evidence::Column::AssessmentId, evidence::Column::StorageKey])
        .filter(evidence::Column::AssessmentId.in_subquery(accepted_before))
        .limit(BATCH)
        .into_tuple()
        .all(&tx)
        .await?;
    if expired.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = expired.iter().map(|(id, _, _)| *id).collect();
    evidence::Entity::delete_many().filter(evidence::Column::Id.is_in(ids)).exec(&tx).await?;
    let assessments: std::collections::BTreeSet<Uuid> = expired.iter().map(|(_, a, _)| *a).collect();
    let details = serde_json::json!({
        "retention_years": years,
        "accepted_before": cutoff,
        "files": expired.len(),
        "assessments": assessments,
    });
    let meta = crate::tenant::RequestMeta::default();
    let event = crate::audit::NewAuditEvent {
        organization_id: Some(crate::ids::OrganizationId(org)),
        actor_user_id: None,
        action: "evidence.retention_expired",
        target: None,
        meta: &meta,
        details,
    };
    crate::audit::record(&tx, event).await?;
    tx.commit().await?;
    for (_, _, key) in &expired {
        if !crate::assessments::repo::storage_key_in_use(&k.db, key).await? {
            k.evidence_store.delete(key).await?;
        }
    }
    Ok(expired.len() as u64)
}
