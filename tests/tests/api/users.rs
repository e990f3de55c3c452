//! Inviting users: the mail goes through the durable job queue, the link works once.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestResult, spawn_app, unique_email};

#[tokio::test]
async fn an_invitation_is_mailed_by_the_worker_and_accepted_once() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme Parts").await;
    let email = unique_email("Invitee");
    let reply = app
        .post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": email, "role": "reviewer" }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["email"], email.to_lowercase());
    assert!(app.mails().is_empty(), "the request must not send mail itself");

    let report = app.run_worker().await;
    assert_eq!(report.succeeded, 1);
    let mails = app.mails_to(&email);
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("Acme Parts"));
    assert!(mails[0].contains("http://kensa.test/join/"));
    assert!(mails[0].contains("招待"), "Japanese text expected");
    assert!(mails[0].contains("invited you"), "English text expected");
    // A second pass finds nothing left to do.
    assert_eq!(app.run_worker().await.succeeded, 0);

    let token = app.invitation_token_for(&email);
    let preview = app.get(&format!("/api/v1/user-invitations/{token}"), None).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(preview.body["organization_name"], "Acme Parts");
    assert_eq!(preview.body["role"], "reviewer");

    let weak = app
        .post(&format!("/api/v1/user-invitations/{token}/accept"), None, json!({ "name": "R", "password": "short" }))
        .await;
    weak.assert_problem(422, "validation_failed");

    let accepted = app
        .post(&format!("/api/v1/user-invitations/{token}/accept"), None, json!({ "name": "Rie", "password": PASSWORD }))
        .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
    assert_eq!(accepted.body["organization"]["id"], owner.org_id.as_str());
    assert_eq!(accepted.body["user"]["role"], "reviewer");

    let again = app
        .post(&format!("/api/v1/user-invitations/{token}/accept"), None, json!({ "name": "Rie", "password": PASSWORD }))
        .await;
    again.assert_problem(410, "invitation_used");
    app.get(&format!("/api/v1/user-invitations/{token}"), None).await.assert_problem(410, "invitation_used");
    assert_eq!(app.login(&email, PASSWORD).await.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn unknown_invitation_tokens_are_404() -> TestResult {
    let app = spawn_app().await;
    app.get("/api/v1/user-invitations/not-a-real-token", None).await.assert_problem(404, "not_found");
    app.post("/api/v1/user-invitations/not-a-real-token/accept", None, json!({ "name": "X", "password": PASSWORD }))
        .await
        .assert_problem(404, "not_found");
    Ok(())
}

#[tokio::test]
async fn inviting_again_replaces_the_earlier_link() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let email = unique_email("twice");
    let body = json!({ "email": email, "role": "viewer" });
    assert_eq!(
        app.post("/api/v1/users/invitations", Some(&owner.access_token), body.clone()).await.status,
        StatusCode::CREATED
    );
    app.run_worker().await;
    let first = app.invitation_token_for(&email);
    assert_eq!(
        app.post("/api/v1/users/invitations", Some(&owner.access_token), body).await.status,
        StatusCode::CREATED
    );
    app.run_worker().await;

    app.get(&format!("/api/v1/user-invitations/{first}"), None).await.assert_problem(410, "invitation_revoked");
    let mails = app.mails_to(&email);
    assert_eq!(mails.len(), 2);
    let tokens: Vec<String> = mails.iter().filter_map(|m| crate::helpers::link_token(m, "/join/")).collect();
    let second = tokens.into_iter().find(|t| *t != first).ok_or("no second link")?;
    assert_eq!(app.get(&format!("/api/v1/user-invitations/{second}"), None).await.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn an_expired_invitation_is_410() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let email = unique_email("late");
    app.post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": email, "role": "viewer" })).await;
    app.run_worker().await;
    let token = app.invitation_token_for(&email);
    // Seven days pass.
    app.execute_sql("UPDATE user_invitations SET expires_at = '2000-01-01T00:00:00+00:00'").await;
    app.get(&format!("/api/v1/user-invitations/{token}"), None).await.assert_problem(410, "invitation_expired");
    app.post(&format!("/api/v1/user-invitations/{token}/accept"), None, json!({ "name": "L", "password": PASSWORD }))
        .await
        .assert_problem(410, "invitation_expired");
    Ok(())
}

#[tokio::test]
async fn invitation_tokens_are_stored_only_as_hashes() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let email = unique_email("hashed");
    app.post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": email, "role": "viewer" })).await;
    app.run_worker().await;
    let token = app.invitation_token_for(&email);
    use sea_orm::{ConnectionTrait, Statement};
    let backend = app.db.get_database_backend();
    for table in ["user_invitations", "jobs", "audit_events"] {
        let rows = app.db.query_all_raw(Statement::from_string(backend, format!("SELECT * FROM {table}"))).await?;
        let dump = format!("{rows:?}");
        assert!(!dump.contains(&token), "{table} holds the raw token");
    }
    Ok(())
}
