use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestResult, spawn_app, unique_email};

fn actions(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .map(|a| a.iter().filter_map(|e| e["action"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn state_changes_and_failed_logins_are_recorded() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    app.login(&owner.email, "wrong-Password-123").await.assert_problem(401, "invalid_credentials");
    let viewer = app.add_member(&owner, "viewer").await;
    app.patch(&format!("/api/v1/users/{}", viewer.user_id), Some(&owner.access_token), json!({ "role": "respondent" }))
        .await;

    let reply = app.get("/api/v1/audit-events", Some(&owner.access_token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let seen = actions(&reply.body);
    for expected in
        ["auth.signup", "auth.login_failed", "user.invited", "user.invitation_accepted", "user.role_changed"]
    {
        assert!(seen.iter().any(|a| a == expected), "{expected} missing from {seen:?}");
    }
    // Newest first.
    assert_eq!(seen[0], "user.role_changed");
    let event = &reply.body["data"][0];
    assert_eq!(event["actor_user_id"], owner.user_id.as_str());
    assert_eq!(event["target_type"], "user");
    assert_eq!(event["target_id"], viewer.user_id.as_str());
    assert_eq!(event["client_ip"], "127.0.0.1");
    assert!(event["request_id"].as_str().is_some_and(|r| !r.is_empty()));
    Ok(())
}

#[tokio::test]
async fn audit_events_filter_by_action_and_time_and_paginate() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    for _ in 0..3 {
        app.login(&owner.email, "wrong-Password-123").await;
    }
    let token = Some(owner.access_token.as_str());
    let failed = app.get("/api/v1/audit-events?action=auth.login_failed", token).await;
    assert_eq!(actions(&failed.body), vec!["auth.login_failed"; 3]);

    let first = app.get("/api/v1/audit-events?action=auth.login_failed&limit=2", token).await;
    assert_eq!(actions(&first.body).len(), 2);
    let cursor = first.body["next_cursor"].as_str().ok_or("no cursor")?;
    let second =
        app.get(&format!("/api/v1/audit-events?action=auth.login_failed&limit=2&cursor={cursor}"), token).await;
    assert_eq!(actions(&second.body).len(), 1);
    assert!(second.body["next_cursor"].is_null());
    assert_ne!(first.body["data"][0]["id"], second.body["data"][0]["id"]);

    let future = app.get("/api/v1/audit-events?from=2999-01-01T00:00:00Z", token).await;
    assert!(actions(&future.body).is_empty());
    let past = app.get("/api/v1/audit-events?to=2000-01-01T00:00:00Z", token).await;
    assert!(actions(&past.body).is_empty());
    Ok(())
}

#[tokio::test]
async fn failed_logins_for_unknown_accounts_reach_no_tenant() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    app.login(&unique_email("ghost"), "wrong-Password-123").await;
    let reply = app.get("/api/v1/audit-events?action=auth.login_failed", Some(&owner.access_token)).await;
    assert!(actions(&reply.body).is_empty());
    Ok(())
}
