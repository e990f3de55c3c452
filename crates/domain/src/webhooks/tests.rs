//! The fan-out's side of webhooks against a real (SQLite) database: which endpoints an
//! event reaches, once each, with an envelope whose id survives a second fan-out.

use std::collections::BTreeMap;
use std::sync::Arc;

use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{enqueue, event_id, wants};
use crate::Kensa;
use crate::entities::{jobs, organizations, webhook_endpoints};
use crate::jobs::Job;
use crate::notifications::events::EventType;

type TestResult = Result<(), Box<dyn std::error::Error>>;

async fn kensa(dir: &std::path::Path) -> Result<Kensa, Box<dyn std::error::Error>> {
    let vars = BTreeMap::from([
        ("KENSA_DATA_DIR".to_owned(), dir.display().to_string()),
        ("KENSA_JWT_SECRET".to_owned(), "a-domain-test-secret-of-32-bytes-or-more".to_owned()),
    ]);
    let settings = crate::config::Settings::from_vars(vars)?;
    let k = Kensa::connect(&settings, Arc::new(crate::auth::throttle::MemoryThrottle::default())).await?;
    crate::db::migrate(&k).await?;
    Ok(k)
}

async fn endpoint(k: &Kensa, org: Uuid, types: &[EventType], active: bool) -> Result<Uuid, sea_orm::DbErr> {
    let id = Uuid::now_v7();
    let types: Vec<&str> = types.iter().map(|t| t.as_str()).collect();
    webhook_endpoints::Entity::insert(webhook_endpoints::ActiveModel {
        id: Set(id),
        organization_id: Set(org),
        url: Set(format!("https://hooks.example.com/{id}")),
        secret: Set("whsec_test".into()),
        event_types: Set(serde_json::json!(types)),
        description: Set(None),
        active: Set(active),
        created_at: Set(k.now()),
        updated_at: Set(k.now()),
    })
    .exec_without_returning(&k.db)
    .await?;
    Ok(id)
}

#[tokio::test]
async fn an_event_reaches_each_active_subscribed_endpoint_once_with_a_stable_id() -> TestResult {
    let dir = tempfile::tempdir()?;
    let k = kensa(dir.path()).await?;
    let (org, other) = (Uuid::now_v7(), Uuid::now_v7());
    for id in [org, other] {
        let row = organizations::ActiveModel {
            id: Set(id),
            name: Set("Org".into()),
            created_at: Set(k.now()),
            verified_at: Set(Some(k.now())),
        };
        organizations::Entity::insert(row).exec_without_returning(&k.db).await?;
    }
    let submitted = EventType::AssessmentSubmitted;
    let both = endpoint(&k, org, &[EventType::AssessmentSent, submitted], true).await?;
    let only_submitted = endpoint(&k, org, &[submitted], true).await?;
    endpoint(&k, org, &[EventType::AssessmentSent], true).await?;
    endpoint(&k, org, &[submitted], false).await?;
    endpoint(&k, other, &[submitted], true).await?;
    assert!(wants(&k.db, org, submitted).await?);
    assert!(!wants(&k.db, org, EventType::RemediationDue).await?, "nobody subscribed to it");

    let assessment = Uuid::now_v7();
    let data = serde_json::json!({ "assessment_id": assessment, "status": "submitted" });
    let tx = k.begin_write().await?;
    assert_eq!(enqueue(&tx, org, submitted, "submitted:x:1", data.clone()).await?, 2);
    tx.commit().await?;
    // The event fanned out again (a retried fan-out) queues nothing more.
    let tx = k.begin_write().await?;
    assert_eq!(enqueue(&tx, org, submitted, "submitted:x:1", data.clone()).await?, 0);
    tx.commit().await?;

    let rows = jobs::Entity::find().filter(jobs::Column::Kind.eq("webhook_delivery")).all(&k.db).await?;
    let mut reached: Vec<Uuid> = rows.iter().filter_map(|r| r.webhook_endpoint_id).collect();
    reached.sort();
    assert_eq!(reached, vec![both, only_submitted]);
    for row in rows {
        assert_eq!(row.organization_id, Some(org));
        assert_eq!(row.channel.as_deref(), Some("webhook"));
        let Ok(Job::WebhookDelivery { body, .. }) = Job::from_stored(&row.kind, row.payload) else {
            return Err("not a webhook delivery".into());
        };
        let envelope: serde_json::Value = serde_json::from_str(&body)?;
        assert_eq!(envelope["id"], event_id("submitted:x:1"));
        assert_eq!(envelope["type"], "assessment.submitted");
        assert_eq!(envelope["data"], data);
        assert!(body.starts_with(r#"{"id":"evt_"#), "id, type, created_at, data in that order: {body}");
    }
    Ok(())
}
