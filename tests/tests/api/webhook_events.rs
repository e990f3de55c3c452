//! Assessment events reach the endpoints subscribed to them, through the event fan-out:
//! signed, with the assessment's ids and status, and held back while an endpoint is
//! inactive.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestResult, spawn_app_with};
use crate::webhook_receiver::Receiver;

#[tokio::test]
async fn assessment_events_reach_subscribed_endpoints_and_wait_while_one_is_inactive() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_WEBHOOK_ALLOW_PRIVATE".into(), "true".into());
    })
    .await;
    let (receiver, unsubscribed) = (Receiver::start().await?, Receiver::start().await?);
    let buyer = app.signup("Eventful").await;
    let token = Some(buyer.access_token.as_str());
    let hook = json!({ "url": receiver.url("/events"), "event_types": ["assessment.sent", "assessment.cancelled"] });
    let created = app.post("/api/v1/webhooks", token, hook).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let (id, secret) = (created.body["id"].as_str().ok_or("id")?, created.body["secret"].as_str().ok_or("secret")?);
    let other = json!({ "url": unsubscribed.url("/x"), "event_types": ["review.opened"] });
    assert_eq!(app.post("/api/v1/webhooks", token, other).await.status, StatusCode::CREATED);

    let (supplier, _) = app.create_supplier(&buyer, "Evented Co", 1).await;
    let campaign = app.create_campaign(&buyer, std::slice::from_ref(&supplier), None).await;
    let assessment = campaign["assessments"][0]["id"].as_str().ok_or("assessment")?.to_owned();
    app.run_worker().await;
    let cancelled = app.post(&format!("/api/v1/assessments/{assessment}/cancel"), token, json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    app.run_worker().await;

    let received = receiver.received();
    let types: Vec<&str> = received.iter().map(|r| r.header("kensa-event")).collect();
    assert_eq!(types, ["assessment.sent", "assessment.cancelled"]);
    assert!(unsubscribed.received().is_empty(), "an endpoint hears only the types it chose");
    for request in &received {
        assert!(crate::webhooks::signed_by(secret, request)?);
        let envelope: Value = serde_json::from_str(&request.body)?;
        assert_eq!(envelope["type"], request.header("kensa-event"));
        assert_eq!(envelope["data"]["assessment_id"], json!(assessment));
        assert_eq!(envelope["data"]["supplier_id"], json!(supplier));
    }
    let last: Value = serde_json::from_str(&received[1].body)?;
    assert_eq!(last["data"]["status"], "cancelled");

    // Switched off, an endpoint is sent nothing: events meanwhile pass it by, and a delivery
    // already queued waits (retried) until it is back on.
    receiver.answer(&[500]);
    let (second, _) = app.create_supplier(&buyer, "Second Co", 1).await;
    app.create_campaign(&buyer, &[second], None).await;
    let now = app.kensa.now();
    app.run_worker_at(now).await;
    assert_eq!(receiver.received().len(), 3, "the third event's first attempt got a 500");
    let path = format!("/api/v1/webhooks/{id}");
    assert_eq!(app.patch(&path, token, json!({ "active": false })).await.body["active"], false);
    let (third, _) = app.create_supplier(&buyer, "Third Co", 1).await;
    app.create_campaign(&buyer, &[third], None).await;
    app.run_worker_at(now + Duration::minutes(1)).await;
    assert_eq!(receiver.received().len(), 3, "nothing goes to an inactive endpoint");
    let deliveries = app.get(&format!("{path}/deliveries"), token).await;
    let listed = deliveries.body["data"].as_array().ok_or("data")?;
    assert_eq!(listed.len(), 3, "the event while it was off was not queued for it: {}", deliveries.body);
    assert_eq!((listed[0]["status"].clone(), listed[0]["attempts"].clone()), (json!("retrying"), json!(2)));
    assert!(listed[0]["last_error"].as_str().is_some_and(|e| e.contains("inactive")), "{}", listed[0]);
    app.patch(&path, token, json!({ "active": true })).await;
    app.run_worker_at(now + Duration::hours(1)).await;
    let received = receiver.received();
    assert_eq!(received.len(), 4);
    assert_eq!(received[3].body, received[2].body, "the waiting delivery, as first sent");
    Ok(())
}
