//! Every bad input gets a problem+json answer with a stable code.

use serde_json::json;

use crate::helpers::{TestApp, TestResult, spawn_app};

#[tokio::test]
async fn malformed_json_is_400() -> TestResult {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(r#"{"email": "a@b.c", "password": "#)
        .send()
        .await?;
    TestApp::read(response).await.assert_problem(400, "malformed_json");
    Ok(())
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_422_naming_the_field() -> TestResult {
    let app = spawn_app().await;
    let reply = app.post("/api/v1/auth/login", None, json!({ "email": 42, "password": "x" })).await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "email");

    let missing = app.post("/api/v1/auth/login", None, json!({ "email": "a@b.c" })).await;
    missing.assert_problem(422, "validation_failed");
    assert_eq!(missing.body["errors"][0]["field"], "password");

    let unknown =
        app.post("/api/v1/auth/login", None, json!({ "email": "a@b.c", "password": "x", "admin": true })).await;
    unknown.assert_problem(422, "validation_failed");
    Ok(())
}

#[tokio::test]
async fn an_unknown_route_is_404() -> TestResult {
    let app = spawn_app().await;
    app.get("/api/v1/no-such-thing", None).await.assert_problem(404, "route_not_found");
    app.get("/nowhere", None).await.assert_problem(404, "route_not_found");
    Ok(())
}

#[tokio::test]
async fn a_wrong_method_is_405() -> TestResult {
    let app = spawn_app().await;
    app.request(reqwest::Method::DELETE, "/api/v1/me", None, None).await.assert_problem(405, "method_not_allowed");
    app.get("/api/v1/auth/login", None).await.assert_problem(405, "method_not_allowed");
    Ok(())
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_413() -> TestResult {
    let app = spawn_app().await;
    let big = format!(r#"{{"email": "a@b.c", "password": "{}"}}"#, "x".repeat(1024 * 1024 + 10));
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await?;
    TestApp::read(response).await.assert_problem(413, "payload_too_large");
    Ok(())
}

#[tokio::test]
async fn a_body_that_is_not_json_is_415() -> TestResult {
    let app = spawn_app().await;
    let response = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .body("email=a@b.c")
        .send()
        .await?;
    TestApp::read(response).await.assert_problem(415, "unsupported_media_type");
    let none = app.client.post(app.url("/api/v1/auth/login")).body("{}").send().await?;
    TestApp::read(none).await.assert_problem(415, "unsupported_media_type");
    Ok(())
}

#[tokio::test]
async fn a_conflict_is_409() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let reply = app
        .post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": owner.email, "role": "viewer" }))
        .await;
    reply.assert_problem(409, "email_taken");
    Ok(())
}

#[tokio::test]
async fn bad_path_and_query_parameters_are_client_errors() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    app.patch("/api/v1/users/not-a-uuid", Some(&owner.access_token), json!({ "active": false }))
        .await
        .assert_problem(404, "not_found");
    app.get("/api/v1/users?limit=abc", Some(&owner.access_token)).await.assert_problem(422, "validation_failed");
    app.get("/api/v1/users?limit=0", Some(&owner.access_token)).await.assert_problem(422, "validation_failed");
    app.get("/api/v1/users?cursor=%%%", Some(&owner.access_token)).await.assert_problem(422, "validation_failed");
    app.get("/api/v1/audit-events?from=yesterday", Some(&owner.access_token))
        .await
        .assert_problem(422, "validation_failed");
    Ok(())
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_errors_quote_it() -> TestResult {
    let app = spawn_app().await;
    let reply = app.get("/nowhere", None).await;
    let header = reply.headers.get("x-request-id").ok_or("no x-request-id")?.to_str()?;
    assert_eq!(reply.body["request_id"], header);

    let response = app.client.get(app.url("/healthz")).header("x-request-id", "trace-abc_123").send().await?;
    assert_eq!(response.headers().get("x-request-id").ok_or("none")?.to_str()?, "trace-abc_123");
    let response = app.client.get(app.url("/healthz")).header("x-request-id", "bad id\twith spaces").send().await?;
    assert_ne!(response.headers().get("x-request-id").ok_or("none")?.to_str()?, "bad id\twith spaces");
    Ok(())
}

#[tokio::test]
async fn graphql_bodies_are_capped_before_authentication() -> TestResult {
    let app = spawn_app().await;
    let huge = format!(r#"{{"query": "{{ me {{ role }} }}", "padding": "{}"}}"#, "x".repeat(9 * 1024 * 1024));
    let response =
        app.client.post(app.url("/graphql")).header("content-type", "application/json").body(huge).send().await?;
    TestApp::read(response).await.assert_problem(413, "payload_too_large");
    let garbage =
        app.client.post(app.url("/graphql")).header("content-type", "application/json").body("{nope").send().await?;
    TestApp::read(garbage).await.assert_problem(400, "malformed_json");
    Ok(())
}
