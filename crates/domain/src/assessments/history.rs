//! The assessment's history: every transition and answer change, readable by both sides.

use sea_orm::EntityTrait;
use uuid::Uuid;

use super::model::{HistoryEvent, HistoryKind};
use crate::entities::assessment_events;
use crate::error::DomainResult;
use crate::tenant::TenantCtx;

pub struct NewEvent {
    pub assessment_id: Uuid,
    pub kind: HistoryKind,
    pub item_no: Option<i32>,
    pub old_value: Option<serde_json::Value>,
    pub new_value: Option<serde_json::Value>,
}

pub fn row(ctx: &TenantCtx, now: chrono::DateTime<chrono::Utc>, e: NewEvent) -> assessment_events::Model {
    assessment_events::Model {
        id: Uuid::now_v7(),
        assessment_id: e.assessment_id,
        actor_user_id: ctx.user_id().map(|u| u.0),
        actor_organization_id: Some(ctx.org_id().0),
        kind: e.kind.as_str().to_owned(),
        item_no: e.item_no,
        old_value: e.old_value,
        new_value: e.new_value,
        created_at: now,
    }
}

pub async fn record(conn: &crate::WriteTx, rows: Vec<assessment_events::Model>) -> DomainResult<()> {
    for chunk in rows.chunks(300) {
        assessment_events::Entity::insert_many(chunk.iter().cloned().map(assessment_events::ActiveModel::from))
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

pub(crate) fn view(r: assessment_events::Model) -> DomainResult<HistoryEvent> {
    Ok(HistoryEvent {
        id: r.id,
        kind: HistoryKind::try_from(r.kind.as_str())?,
        item_no: r.item_no,
        actor_user_id: r.actor_user_id,
        actor_organization_id: r.actor_organization_id,
        old_value: r.old_value,
        new_value: r.new_value,
        created_at: r.created_at,
    })
}
