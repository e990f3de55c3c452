//! Issue 7, items 4–7, 10 (auth) and 18: throttled sign-up and sign-in, a bounded hashing
//! queue, lockout that spares the owner, sessions that end at once, and what an anonymous
//! caller or another tenant's admin can learn.

use futures_util::future::join_all;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Reply, TestApp, TestResult, spawn_app, spawn_app_with, unique_email};

const WRONG: &str = "wrong-Password-123";

/// A POST as if from `client`, relayed by the (trusted) proxy at 127.0.0.1.
async fn post_from(app: &TestApp, client: &str, path: &str, body: Value) -> Reply {
    let sent = app.client.post(app.url(path)).header("x-forwarded-for", client).json(&body).send().await;
    match sent {
        Ok(response) => TestApp::read(response).await,
        Err(e) => panic!("{path}: {e}"),
    }
}

fn signup_body() -> Value {
    json!({ "organization_name": "Flood KK", "name": "F", "email": unique_email("flood"), "password": PASSWORD })
}

fn retry_after(reply: &Reply) -> Result<u64, Box<dyn std::error::Error>> {
    Ok(reply.headers.get("retry-after").ok_or("no Retry-After")?.to_str()?.parse()?)
}

/// Rows of `audit_events` with this action, as debug text (to count and to search).
async fn audit_rows(app: &TestApp, action: &str) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let backend = app.db.get_database_backend();
    let sql = format!("SELECT * FROM audit_events WHERE action = '{action}'");
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql)).await?;
    Ok(rows.iter().map(|r| format!("{r:?}")).collect())
}

#[tokio::test]
async fn the_signup_past_the_allowance_of_one_address_gets_429_with_retry_after() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_SIGNUPS_PER_ADDRESS_PER_HOUR".into(), "3".into());
        vars.insert("KENSA_TRUSTED_PROXIES".into(), "127.0.0.1/32".into());
    })
    .await;
    for _ in 0..3 {
        let reply = post_from(&app, "203.0.113.7", "/api/v1/auth/signup", signup_body()).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    let refused = post_from(&app, "203.0.113.7", "/api/v1/auth/signup", signup_body()).await;
    refused.assert_problem(429, "too_many_requests");
    let wait = retry_after(&refused)?;
    assert!(wait > 0 && wait <= 3600, "Retry-After {wait}");
    // Accepting an invitation as a new user creates an account too: the same allowance.
    let accept = post_from(
        &app,
        "203.0.113.7",
        "/api/v1/invitations/some-token/accept",
        json!({ "name": "S", "email": unique_email("s"), "password": PASSWORD, "organization_name": "S KK" }),
    )
    .await;
    accept.assert_problem(429, "too_many_requests");
    // Another address is not affected.
    let other = post_from(&app, "203.0.113.8", "/api/v1/auth/signup", signup_body()).await;
    assert_eq!(other.status, StatusCode::CREATED, "{}", other.body);
    Ok(())
}

#[tokio::test]
async fn a_full_hashing_queue_sheds_sign_ups_with_503_while_sign_in_still_succeeds() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_PASSWORD_QUEUE".into(), "1".into());
    })
    .await;
    let owner = app.signup("Acme").await;
    let flood = join_all((0..32).map(|_| app.post("/api/v1/auth/signup", None, signup_body())));
    let (replies, login) = tokio::join!(flood, app.login(&owner.email, PASSWORD));
    assert_eq!(login.status, StatusCode::OK, "sign-in during the flood: {}", login.body);
    let shed: Vec<&Reply> = replies.iter().filter(|r| r.status == StatusCode::SERVICE_UNAVAILABLE).collect();
    assert!(!shed.is_empty(), "no sign-up was shed: {:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    for reply in shed {
        reply.assert_problem(503, "overloaded");
        assert!(retry_after(reply)? >= 1);
    }
    assert!(replies.iter().all(|r| matches!(r.status.as_u16(), 201 | 503)));
    Ok(())
}

#[tokio::test]
async fn forty_concurrent_wrong_passwords_get_at_most_five_guesses_evaluated() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_TRUSTED_PROXIES".into(), "127.0.0.1".into());
    })
    .await;
    let owner = app.signup("Acme").await;
    let body = json!({ "email": owner.email, "password": WRONG });
    let burst = join_all((0..40).map(|_| post_from(&app, "198.51.100.20", "/api/v1/auth/login", body.clone()))).await;
    let right =
        post_from(&app, "198.51.100.20", "/api/v1/auth/login", json!({ "email": owner.email, "password": PASSWORD }))
            .await;

    let evaluated = audit_rows(&app, "auth.login_failed").await?.len();
    assert!(evaluated <= 5, "{evaluated} guesses were evaluated");
    let throttled = burst.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(throttled >= 35, "only {throttled} of 40 were throttled");
    assert!(burst.iter().all(|r| matches!(r.status.as_u16(), 401 | 429)));
    right.assert_problem(429, "too_many_requests");
    Ok(())
}

#[tokio::test]
async fn failures_from_one_address_slow_it_down_but_never_lock_out_the_owner_elsewhere() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_TRUSTED_PROXIES".into(), "127.0.0.0/8, ::1".into());
    })
    .await;
    let owner = app.signup("Acme").await;
    let wrong = json!({ "email": owner.email, "password": WRONG });
    for _ in 0..5 {
        post_from(&app, "192.0.2.1", "/api/v1/auth/login", wrong.clone())
            .await
            .assert_problem(401, "invalid_credentials");
    }
    let mut waits = Vec::new();
    for _ in 0..3 {
        let reply = post_from(&app, "192.0.2.1", "/api/v1/auth/login", wrong.clone()).await;
        reply.assert_problem(429, "too_many_requests");
        waits.push(retry_after(&reply)?);
    }
    assert!(waits.windows(2).all(|w| w[1] > w[0]), "Retry-After does not grow: {waits:?}");

    let owner_elsewhere =
        post_from(&app, "192.0.2.2", "/api/v1/auth/login", json!({ "email": owner.email, "password": PASSWORD })).await;
    assert_eq!(owner_elsewhere.status, StatusCode::OK, "{}", owner_elsewhere.body);

    // The owner hears about it once, however long the attack goes on.
    app.run_worker().await;
    for _ in 0..5 {
        post_from(&app, "192.0.2.3", "/api/v1/auth/login", wrong.clone())
            .await
            .assert_problem(401, "invalid_credentials");
    }
    app.run_worker().await;
    let notices: Vec<String> =
        app.mails_to(&owner.email).into_iter().filter(|m| m.contains("192.0.2.1") || m.contains("192.0.2.3")).collect();
    assert_eq!(notices.len(), 1, "{notices:#?}");
    assert!(notices[0].contains("failed sign-ins"), "{}", notices[0]);
    assert!(notices[0].contains("192.0.2.1"));
    Ok(())
}

#[tokio::test]
async fn an_untrusted_peer_cannot_pick_its_address_with_x_forwarded_for() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let wrong = json!({ "email": owner.email, "password": WRONG });
    for i in 0..5 {
        post_from(&app, &format!("192.0.2.{i}"), "/api/v1/auth/login", wrong.clone())
            .await
            .assert_problem(401, "invalid_credentials");
    }
    // All five came from 127.0.0.1, whatever the header said.
    post_from(&app, "192.0.2.99", "/api/v1/auth/login", wrong).await.assert_problem(429, "too_many_requests");
    Ok(())
}

#[tokio::test]
async fn after_logout_the_old_access_token_is_refused_at_once() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    assert_eq!(app.get("/api/v1/me", Some(&owner.access_token)).await.status, StatusCode::OK);
    let out = app.post("/api/v1/auth/logout", None, json!({ "refresh_token": owner.refresh_token })).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    app.get("/api/v1/me", Some(&owner.access_token)).await.assert_problem(401, "session_revoked");
    // Another sign-in of the same user is another session and keeps working.
    let other = app.login(&owner.email, PASSWORD).await;
    let token = other.body["access_token"].as_str().ok_or("token")?;
    assert_eq!(app.get("/api/v1/me", Some(token)).await.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn reusing_a_refresh_token_ends_the_access_tokens_of_that_sign_in() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let rotated = app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": owner.refresh_token })).await;
    let new_access = rotated.body["access_token"].as_str().ok_or("token")?.to_owned();
    assert_eq!(app.get("/api/v1/me", Some(&new_access)).await.status, StatusCode::OK);
    app.clock.advance(chrono::Duration::seconds(31));
    app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": owner.refresh_token }))
        .await
        .assert_problem(401, "refresh_token_reused");
    app.get("/api/v1/me", Some(&new_access)).await.assert_problem(401, "session_revoked");
    app.get("/api/v1/me", Some(&owner.access_token)).await.assert_problem(401, "session_revoked");
    Ok(())
}

#[tokio::test]
async fn a_megabyte_login_email_is_refused_and_never_stored() -> TestResult {
    let app = spawn_app().await;
    let huge = format!("{}@example.com", "a".repeat(1_000_000));
    let reply = app.login(&huge, WRONG).await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "email");
    let long = format!("{}@example.com", "b".repeat(300));
    app.login(&long, WRONG).await.assert_problem(422, "validation_failed");
    // A plausible address that fails is recorded, bounded.
    app.login(&unique_email("nobody"), WRONG).await.assert_problem(401, "invalid_credentials");
    let rows = audit_rows(&app, "auth.login_failed").await?;
    assert_eq!(rows.len(), 1);
    assert!(rows.iter().all(|r| r.len() < 2_000 && !r.contains("aaaaaaaaaa")));
    Ok(())
}

#[tokio::test]
async fn inviting_an_address_of_another_organization_answers_like_any_invitation() -> TestResult {
    let app = spawn_app().await;
    let elsewhere = app.signup("Other Org").await;
    let admin = app.signup("Acme").await;
    let taken = app
        .post(
            "/api/v1/users/invitations",
            Some(&admin.access_token),
            json!({ "email": elsewhere.email, "role": "viewer" }),
        )
        .await;
    let fresh = app
        .post(
            "/api/v1/users/invitations",
            Some(&admin.access_token),
            json!({ "email": unique_email("fresh"), "role": "viewer" }),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CREATED, "{}", taken.body);
    assert_eq!(fresh.status, StatusCode::CREATED);
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&taken.body), keys(&fresh.body));

    // The invitee learns it on accepting, with a clear conflict.
    app.run_worker().await;
    let token = app.invitation_token_for(&elsewhere.email);
    app.post(&format!("/api/v1/user-invitations/{token}/accept"), None, json!({ "name": "X", "password": PASSWORD }))
        .await
        .assert_problem(409, "email_taken");
    // A member of the admin's own organization may still be reported.
    app.post("/api/v1/users/invitations", Some(&admin.access_token), json!({ "email": admin.email, "role": "viewer" }))
        .await
        .assert_problem(409, "email_taken");
    Ok(())
}
