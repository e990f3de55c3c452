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

#[tokio::test]
async fn owners_export_a_period_of_the_trail_as_csv_or_json() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Export Co").await;
    let admin = app.add_member(&owner, "admin").await;
    app.login(&owner.email, "Wrong-password-1").await.assert_problem(401, "invalid_credentials");
    let now = app.kensa.now();
    let from = (now - chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = (now + chrono::Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let period = format!("from={}&to={}", from.replace('+', "%2B"), to.replace('+', "%2B"));
    let t = Some(owner.access_token.as_str());

    let csv = app.get(&format!("/api/v1/audit-events/export?{period}"), t).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", String::from_utf8_lossy(&csv.bytes));
    assert!(csv.header("content-type").starts_with("text/csv"));
    assert!(csv.header("content-disposition").contains("audit-"), "{}", csv.header("content-disposition"));
    let text = String::from_utf8(csv.bytes.clone())?;
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(
        lines.next(),
        Some("id,created_at,action,actor_user_id,actor_api_key,target_type,target_id,client_ip,request_id,details")
    );
    let rows: Vec<&str> = lines.collect();
    assert!(rows.iter().any(|r| r.contains(",auth.signup,")), "{text}");
    assert!(rows.iter().any(|r| r.contains(",user.invitation_accepted,")), "{text}");
    assert!(rows.iter().any(|r| r.contains(",auth.login_failed,")), "{text}");

    let json = app.get(&format!("/api/v1/audit-events/export?{period}&format=json"), t).await;
    assert_eq!(json.status, StatusCode::OK);
    let events: Vec<Value> = serde_json::from_slice(&json.bytes)?;
    assert_eq!(events.len(), rows.len() + 1, "the same events both ways, and the CSV export's own");
    assert_eq!(events.last().map(|e| e["action"].clone()), Some(json!("audit.exported")));
    assert!(events.windows(2).all(|w| w[0]["id"].as_str() < w[1]["id"].as_str()), "oldest first");
    assert_eq!(events[0]["action"], "auth.signup");

    // Nothing outside the period; the export itself is recorded.
    let later = (now + chrono::Duration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let after = app.get(&format!("/api/v1/audit-events/export?from={to}&to={later}&format=json"), t).await;
    assert_eq!(serde_json::from_slice::<Vec<Value>>(&after.bytes)?.len(), 0);
    let listed = app.get("/api/v1/audit-events?action=audit.exported", t).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(3), "{}", listed.body);

    // Owners only; the period is required and at most 366 days.
    let by_admin = app.get(&format!("/api/v1/audit-events/export?{period}"), Some(&admin.access_token)).await;
    by_admin.assert_problem(403, "forbidden");
    let open = app.get("/api/v1/audit-events/export", t).await;
    open.assert_problem(422, "validation_failed");
    let too_long = app.get("/api/v1/audit-events/export?from=2024-01-01T00:00:00Z&to=2025-06-01T00:00:00Z", t).await;
    too_long.assert_problem(422, "validation_failed");
    Ok(())
}
