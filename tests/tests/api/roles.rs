//! Roles inside one organization: 403 for the wrong role, the last-owner rule, deactivation.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestResult, spawn_app, unique_email};

#[tokio::test]
async fn members_below_admin_cannot_manage_users() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    for role in ["viewer", "respondent", "reviewer"] {
        let member = app.add_member(&owner, role).await;
        let token = Some(member.access_token.as_str());
        app.get("/api/v1/users", token).await.assert_problem(403, "forbidden");
        app.post("/api/v1/users/invitations", token, json!({ "email": unique_email("x"), "role": "viewer" }))
            .await
            .assert_problem(403, "forbidden");
        app.patch(&format!("/api/v1/users/{}", owner.user_id), token, json!({ "active": false }))
            .await
            .assert_problem(403, "forbidden");
        app.get("/api/v1/audit-events", token).await.assert_problem(403, "forbidden");
        assert_eq!(app.get("/api/v1/me", token).await.body["role"], role);
    }
    Ok(())
}

#[tokio::test]
async fn admins_manage_members_but_not_owners() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let admin = app.add_member(&owner, "admin").await;
    let viewer = app.add_member(&owner, "viewer").await;
    let token = Some(admin.access_token.as_str());

    let listed = app.get("/api/v1/users", token).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["data"].as_array().ok_or("data")?.len(), 3);

    let promoted = app.patch(&format!("/api/v1/users/{}", viewer.user_id), token, json!({ "role": "reviewer" })).await;
    assert_eq!(promoted.status, StatusCode::OK, "{}", promoted.body);
    assert_eq!(promoted.body["role"], "reviewer");
    assert_eq!(app.get("/api/v1/me", Some(&viewer.access_token)).await.body["role"], "reviewer");

    app.patch(&format!("/api/v1/users/{}", viewer.user_id), token, json!({ "role": "owner" }))
        .await
        .assert_problem(403, "forbidden");
    app.patch(&format!("/api/v1/users/{}", owner.user_id), token, json!({ "role": "viewer" }))
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/users/invitations", token, json!({ "email": unique_email("o"), "role": "owner" }))
        .await
        .assert_problem(403, "forbidden");
    Ok(())
}

#[tokio::test]
async fn the_last_owner_can_be_neither_demoted_nor_deactivated() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let path = format!("/api/v1/users/{}", owner.user_id);
    let token = Some(owner.access_token.as_str());
    app.patch(&path, token, json!({ "role": "admin" })).await.assert_problem(409, "last_owner");
    app.patch(&path, token, json!({ "active": false })).await.assert_problem(409, "last_owner");

    // With a second owner, the first may step down.
    let second = app.add_member(&owner, "admin").await;
    let promoted = app.patch(&format!("/api/v1/users/{}", second.user_id), token, json!({ "role": "owner" })).await;
    assert_eq!(promoted.status, StatusCode::OK, "{}", promoted.body);
    let demoted = app.patch(&path, token, json!({ "role": "admin" })).await;
    assert_eq!(demoted.status, StatusCode::OK, "{}", demoted.body);
    app.patch(&format!("/api/v1/users/{}", second.user_id), Some(&second.access_token), json!({ "role": "viewer" }))
        .await
        .assert_problem(409, "last_owner");
    Ok(())
}

#[tokio::test]
async fn a_deactivated_user_is_locked_out_at_once() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let member = app.add_member(&owner, "respondent").await;
    let reply = app
        .patch(&format!("/api/v1/users/{}", member.user_id), Some(&owner.access_token), json!({ "active": false }))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["active"], false);

    app.get("/api/v1/me", Some(&member.access_token)).await.assert_problem(401, "invalid_token");
    app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": member.refresh_token }))
        .await
        .assert_problem(401, "invalid_refresh_token");
    app.login(&member.email, PASSWORD).await.assert_problem(401, "invalid_credentials");
    Ok(())
}
