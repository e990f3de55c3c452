//! Refresh-token rotation with a 30-second grace: two processes refreshing one session do
//! not log each other out; a used token presented later still ends the sign-in.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Reply, TestApp, TestResult, spawn_app};

async fn refresh(app: &TestApp, token: &str) -> Reply {
    app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": token })).await
}

fn field(reply: &Reply, name: &str) -> Result<String, String> {
    reply.body[name].as_str().map(str::to_owned).ok_or_else(|| format!("no {name} in {}", reply.body))
}

#[tokio::test]
async fn a_second_refresh_within_the_grace_gets_a_valid_pair_of_the_same_session() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let first = refresh(&app, &owner.refresh_token).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    app.clock.advance(chrono::Duration::seconds(29));
    let second = refresh(&app, &owner.refresh_token).await;
    assert_eq!(second.status, StatusCode::OK, "within 30 s: {}", second.body);
    assert_ne!(field(&second, "refresh_token")?, field(&first, "refresh_token")?);

    // Both pairs work, and both go on rotating.
    for pair in [&first, &second] {
        assert_eq!(app.get("/api/v1/me", Some(&field(pair, "access_token")?)).await.status, StatusCode::OK);
        assert_eq!(refresh(&app, &field(pair, "refresh_token")?).await.status, StatusCode::OK);
    }
    // One session: signing out with the second pair ends the first pair's access too.
    let out = app.post("/api/v1/auth/logout", None, json!({ "refresh_token": field(&second, "refresh_token")? })).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    app.get("/api/v1/me", Some(&field(&first, "access_token")?)).await.assert_problem(401, "session_revoked");
    Ok(())
}

#[tokio::test]
async fn a_used_token_after_the_grace_still_revokes_the_family() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let first = refresh(&app, &owner.refresh_token).await;
    assert_eq!(first.status, StatusCode::OK);
    app.clock.advance(chrono::Duration::seconds(31));
    refresh(&app, &owner.refresh_token).await.assert_problem(401, "refresh_token_reused");
    app.get("/api/v1/me", Some(&field(&first, "access_token")?)).await.assert_problem(401, "session_revoked");
    refresh(&app, &field(&first, "refresh_token")?).await.assert_problem(401, "invalid_refresh_token");
    Ok(())
}

#[tokio::test]
async fn two_processes_refreshing_at_the_same_moment_both_stay_signed_in() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let (a, b) = tokio::join!(refresh(&app, &owner.refresh_token), refresh(&app, &owner.refresh_token));
    for pair in [&a, &b] {
        assert_eq!(pair.status, StatusCode::OK, "{}", pair.body);
        assert_eq!(app.get("/api/v1/me", Some(&field(pair, "access_token")?)).await.status, StatusCode::OK);
    }
    Ok(())
}

#[tokio::test]
async fn the_grace_does_not_bring_back_a_signed_out_session() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let first = refresh(&app, &owner.refresh_token).await;
    assert_eq!(first.status, StatusCode::OK);
    app.post("/api/v1/auth/logout", None, json!({ "refresh_token": field(&first, "refresh_token")? })).await;
    refresh(&app, &owner.refresh_token).await.assert_problem(401, "invalid_refresh_token");
    Ok(())
}
