//! Webhooks end to end: an endpoint registered over the API, deliveries sent by the worker
//! to a receiver on this machine (the apps here allow private addresses unless a test is
//! about refusing them), signed, retried, given up, refused and listed.

use chrono::Duration;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, TestResult, spawn_app, spawn_app_with};
use crate::webhook_receiver::{Received, Receiver};

async fn allowing_private_addresses() -> TestApp {
    spawn_app_with(|vars| {
        vars.insert("KENSA_WEBHOOK_ALLOW_PRIVATE".into(), "true".into());
    })
    .await
}

/// Registers an endpoint; returns its id and secret.
async fn register(app: &TestApp, owner: &Member, url: &str) -> Result<(String, String), Box<dyn std::error::Error>> {
    let body = json!({ "url": url, "event_types": ["assessment.submitted", "assessment.accepted"] });
    let created = app.post("/api/v1/webhooks", Some(&owner.access_token), body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["id"].as_str().ok_or("id")?.to_owned();
    let secret = created.body["secret"].as_str().ok_or("secret")?.to_owned();
    Ok((id, secret))
}

async fn ping(app: &TestApp, owner: &Member, id: &str) -> Result<String, Box<dyn std::error::Error>> {
    let queued = app.post(&format!("/api/v1/webhooks/{id}/ping"), Some(&owner.access_token), json!({})).await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{}", queued.body);
    assert_eq!(queued.body["status"], "pending");
    Ok(queued.body["id"].as_str().ok_or("delivery id")?.to_owned())
}

/// The endpoint's only delivery, as listed.
async fn only_delivery(app: &TestApp, owner: &Member, id: &str) -> Result<Value, Box<dyn std::error::Error>> {
    let list = app.get(&format!("/api/v1/webhooks/{id}/deliveries"), Some(&owner.access_token)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let data = list.body["data"].as_array().ok_or("data")?;
    assert_eq!(data.len(), 1, "{}", list.body);
    Ok(data[0].clone())
}

/// Whether `Kensa-Signature` is the HMAC-SHA256 of "t.body" under `secret`.
pub fn signed_by(secret: &str, request: &Received) -> Result<bool, Box<dyn std::error::Error>> {
    let header = request.header("kensa-signature");
    let (t, v1) = header.split_once(',').ok_or("two fields")?;
    let (t, v1) = (t.strip_prefix("t=").ok_or("t=")?, v1.strip_prefix("v1=").ok_or("v1=")?);
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes())?;
    mac.update(format!("{t}.{}", request.body).as_bytes());
    Ok(mac.verify_slice(&hex::decode(v1)?).is_ok())
}

#[tokio::test]
async fn a_ping_arrives_signed_with_the_secret_that_is_shown_only_once() -> TestResult {
    let app = allowing_private_addresses().await;
    let receiver = Receiver::start().await?;
    let owner = app.signup("Hooked").await;
    let (id, secret) = register(&app, &owner, &receiver.url("/kensa")).await?;
    assert!(secret.starts_with("whsec_") && secret.len() > 40, "{secret}");
    for path in ["/api/v1/webhooks".to_owned(), format!("/api/v1/webhooks/{id}")] {
        let read = app.get(&path, Some(&owner.access_token)).await;
        assert_eq!(read.status, StatusCode::OK);
        assert!(!String::from_utf8_lossy(&read.bytes).contains(&secret), "{path} shows the secret");
    }
    let gql = app.graphql(Some(&owner.access_token), "{ webhooks { nodes { id url eventTypes active } } }").await;
    assert_eq!(
        gql.body["data"]["webhooks"]["nodes"][0]["eventTypes"],
        json!(["ASSESSMENT_SUBMITTED", "ASSESSMENT_ACCEPTED"])
    );

    let delivery = ping(&app, &owner, &id).await?;
    app.run_worker().await;
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/kensa"));
    assert_eq!(request.header("content-type"), "application/json");
    assert_eq!(request.header("kensa-event"), "ping");
    assert_eq!(request.header("kensa-delivery"), delivery);
    assert!(signed_by(&secret, request)?, "signature {}", request.header("kensa-signature"));
    assert!(!signed_by("whsec_another", request)?);
    let envelope: Value = serde_json::from_str(&request.body)?;
    assert!(envelope["id"].as_str().is_some_and(|e| e.starts_with("evt_")), "{envelope}");
    assert_eq!(envelope["type"], "ping");
    assert_eq!(envelope["data"], json!({ "webhook_id": id }));
    assert!(request.body.starts_with(r#"{"id":"#), "id, type, created_at, data: {}", request.body);

    let listed = only_delivery(&app, &owner, &id).await?;
    assert_eq!(listed["id"], delivery.as_str());
    assert_eq!((listed["channel"].clone(), listed["event"].clone()), (json!("webhook"), json!("ping")));
    assert_eq!(listed["target"], receiver.url("/kensa"));
    assert_eq!(listed["status"], "delivered");
    assert_eq!((listed["attempts"].clone(), listed["response_status"].clone()), (json!(1), json!(200)));
    assert_eq!(listed["last_error"], Value::Null);
    crate::webhook_snippets::readme_snippets_verify(&secret, request)?;
    Ok(())
}

#[tokio::test]
async fn a_failed_delivery_is_retried_after_its_back_off_with_the_same_body_then_delivered() -> TestResult {
    let app = allowing_private_addresses().await;
    let receiver = Receiver::start().await?;
    receiver.answer(&[500]);
    let owner = app.signup("Retried").await;
    let (id, secret) = register(&app, &owner, &receiver.url("/hook")).await?;
    ping(&app, &owner, &id).await?;
    let now = app.kensa.now();
    app.run_worker_at(now).await;
    let failed = only_delivery(&app, &owner, &id).await?;
    assert_eq!(failed["status"], "retrying", "{failed}");
    assert_eq!((failed["attempts"].clone(), failed["response_status"].clone()), (json!(1), json!(500)));
    assert!(failed["last_error"].as_str().is_some_and(|e| e.contains("HTTP 500")), "{failed}");
    app.run_worker_at(now + Duration::seconds(29)).await;
    assert_eq!(receiver.received().len(), 1, "not before the back-off");
    app.run_worker_at(now + kensa_domain::jobs::retry_delay(1)).await;
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].body, received[1].body, "every attempt sends the same envelope");
    assert_eq!(received[0].header("kensa-delivery"), received[1].header("kensa-delivery"));
    assert!(signed_by(&secret, &received[1])?);
    let delivered = only_delivery(&app, &owner, &id).await?;
    assert_eq!(delivered["status"], "delivered", "{delivered}");
    assert_eq!((delivered["attempts"].clone(), delivered["response_status"].clone()), (json!(2), json!(200)));
    assert_eq!(delivered["last_error"], Value::Null);
    Ok(())
}

#[tokio::test]
async fn a_delivery_is_dead_after_eight_failed_attempts() -> TestResult {
    let app = allowing_private_addresses().await;
    let receiver = Receiver::start().await?;
    receiver.answer(&[503; 9]);
    let owner = app.signup("Down").await;
    let (id, _) = register(&app, &owner, &receiver.url("/down")).await?;
    ping(&app, &owner, &id).await?;
    let mut at = app.kensa.now();
    for _ in 0..10 {
        app.run_worker_at(at).await;
        at += Duration::hours(2);
    }
    assert_eq!(receiver.received().len(), 8);
    let dead = only_delivery(&app, &owner, &id).await?;
    assert_eq!(dead["status"], "dead", "{dead}");
    assert_eq!((dead["attempts"].clone(), dead["response_status"].clone()), (json!(8), json!(503)));
    assert_eq!(dead["next_attempt_at"], Value::Null);
    assert!(dead["last_error"].as_str().is_some_and(|e| e.contains("HTTP 503")), "{dead}");
    Ok(())
}

#[tokio::test]
async fn internal_addresses_are_refused_when_saved_and_after_resolution_unless_allowed() -> TestResult {
    let app = spawn_app().await;
    let receiver = Receiver::start().await?;
    let owner = app.signup("Careful").await;
    let token = Some(owner.access_token.as_str());
    for url in [
        receiver.url("/x"),
        "http://[::1]/x".into(),
        "http://169.254.169.254/latest/meta-data".into(),
        "http://10.0.0.7/x".into(),
        "http://[::ffff:127.0.0.1]/x".into(),
    ] {
        let refused =
            app.post("/api/v1/webhooks", token, json!({ "url": url, "event_types": ["assessment.sent"] })).await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["field"], "url", "{url}");
        assert_eq!(refused.body["errors"][0]["code"], "address_not_allowed", "{url}: {}", refused.body);
    }
    // A name is judged after resolution: `localhost` is 127.0.0.1 (and ::1).
    let (id, _) = register(&app, &owner, &format!("http://localhost:{}/x", receiver.port)).await?;
    ping(&app, &owner, &id).await?;
    app.run_worker().await;
    assert!(receiver.received().is_empty(), "nothing reached the loopback receiver");
    let refused = only_delivery(&app, &owner, &id).await?;
    assert_eq!(refused["status"], "retrying");
    assert_eq!(refused["response_status"], Value::Null);
    let error = refused["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("refused") && error.contains("loopback") && error.contains("localhost"), "{error}");
    assert!(error.contains("KENSA_WEBHOOK_ALLOW_PRIVATE"), "{error}");
    Ok(())
}

#[tokio::test]
async fn redirects_are_not_followed() -> TestResult {
    let app = allowing_private_addresses().await;
    let (first, elsewhere) = (Receiver::start().await?, Receiver::start().await?);
    first.redirect_to(&elsewhere.url("/stolen"));
    let owner = app.signup("Redirected").await;
    let (id, _) = register(&app, &owner, &first.url("/hook")).await?;
    ping(&app, &owner, &id).await?;
    app.run_worker().await;
    assert_eq!(first.received().len(), 1);
    assert!(elsewhere.received().is_empty(), "the redirect was followed");
    let failed = only_delivery(&app, &owner, &id).await?;
    assert_eq!((failed["status"].clone(), failed["response_status"].clone()), (json!("retrying"), json!(302)));
    assert!(failed["last_error"].as_str().is_some_and(|e| e.contains("redirects are not followed")), "{failed}");
    Ok(())
}

#[tokio::test]
async fn another_organization_sees_none_of_the_endpoints_or_their_deliveries() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Owner A").await;
    let stranger = app.signup("Stranger B").await;
    let (id, _) = register(&app, &owner, "https://hooks.example.com/a").await?;
    let b = Some(stranger.access_token.as_str());
    let base = format!("/api/v1/webhooks/{id}");
    app.get(&base, b).await.assert_problem(404, "not_found");
    app.patch(&base, b, json!({ "active": false })).await.assert_problem(404, "not_found");
    app.post(&format!("{base}/ping"), b, json!({})).await.assert_problem(404, "not_found");
    app.get(&format!("{base}/deliveries"), b).await.assert_problem(404, "not_found");
    app.delete(&base, b).await.assert_problem(404, "not_found");
    assert_eq!(app.get("/api/v1/webhooks", b).await.body["data"], json!([]));
    let gql = app.graphql(b, &format!(r#"mutation {{ pingWebhook(id: "{id}") {{ id }} }}"#)).await;
    assert_eq!(gql.body["errors"][0]["extensions"]["code"], "not_found");
    // Still there for its owner.
    assert_eq!(app.get(&base, Some(&owner.access_token)).await.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn endpoints_are_validated_bounded_and_created_once_per_idempotency_key() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Bounded").await;
    let token = Some(owner.access_token.as_str());
    let post = |body: Value| app.post("/api/v1/webhooks", token, body);
    let fields = |reply: &crate::helpers::Reply| -> Vec<(String, String)> {
        let errors = reply.body["errors"].as_array().cloned().unwrap_or_default();
        errors
            .iter()
            .map(|e| (e["field"].as_str().unwrap_or("").into(), e["code"].as_str().unwrap_or("").into()))
            .collect()
    };
    let none = post(json!({ "url": "https://hooks.example.com/a", "event_types": [] })).await;
    assert_eq!(fields(&none), [("event_types".to_owned(), "required".to_owned())]);
    let unknown = post(json!({ "url": "https://hooks.example.com/a", "event_types": ["assessment.eaten"] })).await;
    assert_eq!(unknown.status.as_u16(), 422, "{}", unknown.body);
    let ping = post(json!({ "url": "https://hooks.example.com/a", "event_types": ["ping"] })).await;
    assert_eq!(ping.status.as_u16(), 422, "ping is not subscribable: {}", ping.body);
    let relative = post(json!({ "url": "hooks.example.com/a", "event_types": ["assessment.sent"] })).await;
    assert_eq!(fields(&relative), [("url".to_owned(), "invalid_url".to_owned())]);
    let credentials = post(json!({ "url": "https://u:p@hooks.example.com/", "event_types": ["review.opened"] })).await;
    assert_eq!(fields(&credentials), [("url".to_owned(), "invalid_url".to_owned())]);

    let body = json!({ "url": "https://hooks.example.com/once", "event_types": ["remediation.due"] });
    let headers = [("Idempotency-Key", "webhook-create-1")];
    let first = app.send_with(Method::POST, "/api/v1/webhooks", token, &headers, Some(body.clone())).await;
    let again = app.send_with(Method::POST, "/api/v1/webhooks", token, &headers, Some(body)).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.header("location"), format!("/api/v1/webhooks/{}", first.body["id"].as_str().unwrap_or("")));
    assert_eq!(
        (again.body["id"].clone(), again.body["secret"].clone()),
        (first.body["id"].clone(), first.body["secret"].clone())
    );
    for n in 1..kensa_domain::webhooks::MAX_ENDPOINTS {
        let created =
            post(json!({ "url": format!("https://hooks.example.com/{n}"), "event_types": ["assessment.sent"] })).await;
        assert_eq!(created.status, StatusCode::CREATED, "{n}: {}", created.body);
    }
    post(json!({ "url": "https://hooks.example.com/21", "event_types": ["assessment.sent"] }))
        .await
        .assert_problem(409, "too_many");
    let member = app.add_member(&owner, "reviewer").await;
    app.get("/api/v1/webhooks", Some(&member.access_token)).await.assert_problem(403, "forbidden");
    Ok(())
}

#[tokio::test]
async fn production_takes_only_https_endpoints() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_ENV".into(), "production".into());
    })
    .await;
    let owner = app.signup("Production").await;
    let plain = json!({ "url": "http://hooks.example.com/a", "event_types": ["assessment.sent"] });
    let refused = app.post("/api/v1/webhooks", Some(&owner.access_token), plain).await;
    assert_eq!(refused.body["errors"][0]["code"], "address_not_allowed", "{}", refused.body);
    register(&app, &owner, "https://hooks.example.com/a").await?;
    Ok(())
}

#[tokio::test]
async fn graphql_registers_changes_pings_and_deletes_an_endpoint() -> TestResult {
    let app = allowing_private_addresses().await;
    let receiver = Receiver::start().await?;
    let owner = app.signup("Graph").await;
    let token = Some(owner.access_token.as_str());
    let create = format!(
        r#"mutation {{ createWebhook(input: {{ url: "{}", eventTypes: [ASSESSMENT_SENT] }}) {{ id secret active }} }}"#,
        receiver.url("/g")
    );
    let created = app.graphql(token, &create).await;
    let id = created.body["data"]["createWebhook"]["id"].as_str().ok_or(format!("{}", created.body))?.to_owned();
    let secret = created.body["data"]["createWebhook"]["secret"].as_str().ok_or("secret")?.to_owned();
    let hidden = app.graphql(token, "{ webhooks { nodes { secret } } }").await;
    assert!(hidden.body["errors"].is_array(), "a listed endpoint has no secret field: {}", hidden.body);
    let update = format!(r#"mutation {{ updateWebhook(id: "{id}", input: {{ active: false }}) {{ active }} }}"#);
    assert_eq!(app.graphql(token, &update).await.body["data"]["updateWebhook"]["active"], false);
    let pinged = app.graphql(token, &format!(r#"mutation {{ pingWebhook(id: "{id}") {{ id status }} }}"#)).await;
    assert_eq!(pinged.body["data"]["pingWebhook"]["status"], "PENDING", "{}", pinged.body);
    app.run_worker().await;
    assert!(signed_by(&secret, receiver.received().first().ok_or("the ping of an inactive endpoint")?)?);
    let listed = app
        .graphql(token, &format!(r#"{{ webhookDeliveries(id: "{id}") {{ nodes {{ status responseStatus }} }} }}"#))
        .await;
    assert_eq!(
        listed.body["data"]["webhookDeliveries"]["nodes"],
        json!([{ "status": "DELIVERED", "responseStatus": 200 }])
    );
    let deleted = app.graphql(token, &format!(r#"mutation {{ deleteWebhook(id: "{id}") }}"#)).await;
    assert_eq!(deleted.body["data"]["deleteWebhook"], true);
    app.get(&format!("/api/v1/webhooks/{id}"), token).await.assert_problem(404, "not_found");
    Ok(())
}
