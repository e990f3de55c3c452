//! API keys for integrations: made by owners and admins, shown once, used as a Bearer
//! token with the rights of their scope, revocable, expiring, and named in the audit trail.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{spawn_app, unique_email};

#[tokio::test]
async fn a_key_is_shown_once_and_works_as_a_bearer_token_with_its_scope() {
    let app = spawn_app().await;
    let owner = app.signup("Key Motors").await;
    let created = app
        .post("/api/v1/api-keys", Some(&owner.access_token), json!({ "name": "ERP sync", "scope": "read_only" }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let key = created.body["key"].as_str().unwrap_or_default().to_owned();
    let prefix = created.body["prefix"].as_str().unwrap_or_default().to_owned();
    assert!(key.starts_with("kensa_live_") && key.len() > 40, "{key}");
    assert!(key.starts_with(&prefix) && prefix.len() == "kensa_live_".len() + 8, "{prefix}");
    assert_eq!(created.body["scope"], "read_only");

    // Listed without the key; its use is noted (when, from where).
    let read = app.get("/api/v1/suppliers", Some(&key)).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let list = app.get("/api/v1/api-keys", Some(&owner.access_token)).await;
    assert!(!list.body.to_string().contains(&key), "the key is never listed");
    assert_eq!(list.body["data"][0]["prefix"], prefix.as_str());
    assert!(list.body["data"][0]["last_used_at"].is_string(), "{}", list.body);
    assert_eq!(list.body["data"][0]["last_used_address"], "127.0.0.1");

    // GraphQL takes it too.
    let gql = app.graphql(Some(&key), "{ templates { edges { node { key } } } }").await;
    assert!(gql.body["errors"].is_null(), "{}", gql.body);

    // Read-only: no writes.
    let write = app
        .post(
            "/api/v1/suppliers",
            Some(&key),
            json!({ "name": "X", "contact_name": "C", "contact_email": unique_email("x"), "tier": "tier1" }),
        )
        .await;
    assert_eq!(write.status, StatusCode::FORBIDDEN, "{}", write.body);

    // An admin key writes, and the audit trail names the key as the actor.
    let admin = app
        .post("/api/v1/api-keys", Some(&owner.access_token), json!({ "name": "Registry feed", "scope": "admin" }))
        .await;
    let admin_key = admin.body["key"].as_str().unwrap_or_default().to_owned();
    let made = app
        .post(
            "/api/v1/suppliers",
            Some(&admin_key),
            json!({ "name": "Fed Parts", "contact_name": "C", "contact_email": unique_email("fed"), "tier": "tier1" }),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    let audit = app.get("/api/v1/audit-events?action=supplier.created", Some(&owner.access_token)).await;
    let event = &audit.body["data"][0];
    assert_eq!(event["details"]["actor_api_key"]["name"], "Registry feed", "{}", audit.body);
    assert_eq!(event["details"]["actor_api_key"]["prefix"], admin.body["prefix"]);
    assert!(event["actor_user_id"].is_null());

    // A key cannot make or revoke keys, even an admin key.
    let by_key = app.post("/api/v1/api-keys", Some(&admin_key), json!({ "name": "More", "scope": "admin" })).await;
    assert_eq!(by_key.status, StatusCode::FORBIDDEN);
    let id = created.body["id"].as_str().unwrap_or_default();
    assert_eq!(app.delete(&format!("/api/v1/api-keys/{id}"), Some(&admin_key)).await.status, StatusCode::FORBIDDEN);

    // Revoked: 401 at once; revoking again changes nothing.
    assert_eq!(
        app.delete(&format!("/api/v1/api-keys/{id}"), Some(&owner.access_token)).await.status,
        StatusCode::NO_CONTENT
    );
    let after = app.get("/api/v1/suppliers", Some(&key)).await;
    after.assert_problem(401, "invalid_token");
    assert_eq!(
        app.delete(&format!("/api/v1/api-keys/{id}"), Some(&owner.access_token)).await.status,
        StatusCode::NO_CONTENT
    );
    let revoked = app.get("/api/v1/api-keys", Some(&owner.access_token)).await;
    assert!(revoked.body["data"][0]["revoked_at"].is_string());
    let audit = app.get("/api/v1/audit-events?action=api_key.revoked", Some(&owner.access_token)).await;
    assert_eq!(audit.body["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn keys_expire_and_bad_input_is_refused_by_field() {
    let app = spawn_app().await;
    let owner = app.signup("Expiry Motors").await;
    let in_an_hour = (kensa_domain::clock::Clock::now(app.clock.as_ref()) + chrono::Duration::hours(1)).to_rfc3339();
    let created = app
        .post(
            "/api/v1/api-keys",
            Some(&owner.access_token),
            json!({ "name": "Short-lived", "scope": "reviewer", "expires_at": in_an_hour }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let key = created.body["key"].as_str().unwrap_or_default().to_owned();
    assert_eq!(app.get("/api/v1/assessments", Some(&key)).await.status, StatusCode::OK);
    app.clock.advance(chrono::Duration::hours(2));
    app.get("/api/v1/assessments", Some(&key)).await.assert_problem(401, "invalid_token");
    // An unknown key of the right shape is a 401 too.
    app.get("/api/v1/assessments", Some("kensa_live_nosuchkey")).await.assert_problem(401, "invalid_token");

    let owner = app.signed_in_again(&owner).await;
    let past = (kensa_domain::clock::Clock::now(app.clock.as_ref()) - chrono::Duration::hours(1)).to_rfc3339();
    let bad = app
        .post(
            "/api/v1/api-keys",
            Some(&owner.access_token),
            json!({ "name": "", "scope": "owner", "expires_at": past }),
        )
        .await;
    bad.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["name", "scope", "expires_at"], "{}", bad.body);
    // Only owners and admins make keys.
    let respondent = app.add_member(&owner, "respondent").await;
    let refused = app
        .post("/api/v1/api-keys", Some(&respondent.access_token), json!({ "name": "Mine", "scope": "read_only" }))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
