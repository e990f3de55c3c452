//! Health, readiness, metrics and the API documentation.

use crate::helpers::{TestResult, spawn_app};

#[tokio::test]
async fn health_and_readiness_answer() -> TestResult {
    let app = spawn_app().await;
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status.as_u16(), 200);
    assert_eq!(health.body["status"], "ok");
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status.as_u16(), 200, "{}", ready.body);
    assert_eq!(ready.body["status"], "ready");
    Ok(())
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() -> TestResult {
    let app = spawn_app().await;
    app.kensa.close().await;
    app.get("/readyz", None).await.assert_problem(503, "service_unavailable");
    Ok(())
}

#[tokio::test]
async fn metrics_count_requests_per_route_and_status() -> TestResult {
    let app = spawn_app().await;
    app.get("/api/v1/me", None).await;
    app.get("/api/v1/me", None).await;
    let text = app.client.get(app.url("/metrics")).send().await?.text().await?;
    assert!(
        text.contains(r#"kensa_http_requests_total{method="GET",route="/api/v1/me",status="401"} 2"#),
        "metrics were:\n{text}"
    );
    assert!(text.contains("kensa_http_request_duration_seconds_bucket"));
    Ok(())
}

#[tokio::test]
async fn metrics_show_the_outbox_and_how_long_its_oldest_due_job_has_waited() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    for _ in 0..2 {
        let email = crate::helpers::unique_email("metrics");
        let body = serde_json::json!({ "email": email, "role": "viewer" });
        app.post("/api/v1/users/invitations", Some(&owner.access_token), body).await;
    }
    app.clock.advance(chrono::Duration::minutes(10));
    let scrape = || async { app.client.get(app.url("/metrics")).send().await?.text().await };
    let text = scrape().await?;
    for line in [
        r#"kensa_jobs{kind="user_invitation_mail",state="pending"} 2"#,
        "kensa_jobs_oldest_due_seconds 600",
        "kensa_jobs_scrape_ok 1",
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line} in:\n{text}");
    }
    app.run_worker().await;
    let text = scrape().await?;
    for line in [r#"kensa_jobs_completed_total{kind="user_invitation_mail"} 2"#, "kensa_jobs_oldest_due_seconds 0"] {
        assert!(text.lines().any(|l| l == line), "missing {line} in:\n{text}");
    }
    Ok(())
}

#[tokio::test]
async fn the_openapi_document_and_docs_ui_are_served() -> TestResult {
    let app = spawn_app().await;
    let doc = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(doc.status.as_u16(), 200);
    assert!(doc.body["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
    assert!(doc.body["paths"]["/api/v1/auth/signup"].is_object());

    let redirect = app.client.get(app.url("/docs")).send().await?;
    assert_eq!(redirect.status().as_u16(), 308);
    let ui = app.client.get(app.url("/docs/")).send().await?;
    assert_eq!(ui.status().as_u16(), 200);
    let html = ui.text().await?;
    assert!(html.contains("swagger"), "docs page: {html}");
    // The UI's assets are served by Kensa itself, so the docs work offline.
    assert!(!html.contains("https://"), "docs page must not load remote assets");
    let asset = app.client.get(app.url("/docs/swagger-ui-bundle.js")).send().await?;
    assert_eq!(asset.status().as_u16(), 200);
    Ok(())
}
