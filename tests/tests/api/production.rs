//! Production defaults: security headers everywhere, no-store on token responses, docs and
//! metrics kept off the public port, local state readable by the service account only.

use std::collections::BTreeMap;

use kensa_api::Application;
use kensa_domain::config::Settings;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, Reply, TestApp, TestResult, base_vars, spawn_app, spawn_app_with, unique_email};

fn header<'a>(reply: &'a Reply, name: &str) -> &'a str {
    reply.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn assert_security_headers(reply: &Reply, what: &str) {
    assert_eq!(header(reply, "x-content-type-options"), "nosniff", "{what}");
    assert_eq!(header(reply, "referrer-policy"), "no-referrer", "{what}");
    assert_eq!(header(reply, "x-frame-options"), "DENY", "{what}");
    assert!(header(reply, "content-security-policy").contains("frame-ancestors 'none'"), "{what}");
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let ok = app.get("/api/v1/me", Some(&owner.access_token)).await;
    let missing = app.get("/no/such/route", None).await;
    let invalid = app.post("/api/v1/auth/signup", None, json!({ "email": "nobody" })).await;
    let anonymous = app.get("/api/v1/me", None).await;
    let graphql = app.graphql(Some(&owner.access_token), "{ me { role } }").await;
    let health = app.get("/healthz", None).await;
    assert_eq!(
        [ok.status, missing.status, invalid.status, anonymous.status, graphql.status, health.status]
            .map(|s| s.as_u16()),
        [200, 404, 422, 401, 200, 200]
    );
    for (reply, what) in [
        (&ok, "200"),
        (&missing, "404"),
        (&invalid, "422"),
        (&anonymous, "401"),
        (&graphql, "graphql"),
        (&health, "healthz"),
    ] {
        assert_security_headers(reply, what);
        assert!(header(reply, "content-security-policy").contains("default-src 'none'"), "{what}: JSON loads nothing");
        assert_eq!(header(reply, "cache-control"), "no-store", "{what}");
    }

    // The HTML pages keep working: their policy forbids framing but lets their scripts run
    // (GraphiQL's, all served from this origin, under a policy that allows only it).
    for path in ["/docs/", "/graphql"] {
        let page = app.client.get(app.url(path)).send().await?;
        let page = TestApp::read(page).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(page.content_type().starts_with("text/html"), "{path}");
        assert_security_headers(&page, path);
        let csp = header(&page, "content-security-policy");
        let runs = if path == "/graphql" { csp.contains("script-src 'self'") } else { !csp.contains("default-src") };
        assert!(runs, "{path} would break: {csp}");
    }
    Ok(())
}

#[tokio::test]
async fn every_response_that_carries_a_token_is_never_stored() -> TestResult {
    let app = spawn_app().await;
    let email = unique_email("owner");
    let body = json!({ "organization_name": "Acme", "name": "Aki", "email": email, "password": PASSWORD });
    let signup = app.post("/api/v1/auth/signup", None, body).await;
    let login = app.login(&email, PASSWORD).await;
    let refresh =
        app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": login.body["refresh_token"].as_str() })).await;
    let owner = crate::helpers::member(email, &login.body);
    app.mark_verified(&owner).await;

    let invitee = unique_email("reviewer");
    let invited = app
        .post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": invitee, "role": "reviewer" }))
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    app.run_worker().await;
    let token = app.invitation_token_for(&invitee);
    let joined = app
        .post(&format!("/api/v1/user-invitations/{token}/accept"), None, json!({ "name": "Rie", "password": PASSWORD }))
        .await;

    let (supplier_id, contact) = app.create_supplier(&owner, "Parts Co", 1).await;
    app.create_campaign(&owner, &[supplier_id], None).await;
    app.run_worker().await;
    let token = app.supplier_token_for(&contact);
    let accepted = app
        .post(
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            json!({ "name": "Sato", "email": unique_email("supplier"), "password": PASSWORD, "organization_name": "Parts KK" }),
        )
        .await;

    for (reply, what) in [
        (&signup, "signup"),
        (&login, "login"),
        (&refresh, "refresh"),
        (&joined, "user invitation"),
        (&accepted, "supplier invitation"),
    ] {
        assert!(reply.status.is_success() && reply.body["access_token"].is_string(), "{what}: {}", reply.body);
        assert_eq!(header(reply, "cache-control"), "no-store", "{what}");
    }
    Ok(())
}

fn production(vars: &mut BTreeMap<String, String>) {
    vars.insert("KENSA_ENV".into(), "production".into());
}

#[tokio::test]
async fn production_serves_neither_docs_nor_metrics_on_the_public_port_unless_asked() -> TestResult {
    let app = spawn_app_with(production).await;
    for path in ["/docs", "/docs/", "/api/v1/openapi.json", "/metrics"] {
        app.get(path, None).await.assert_problem(404, "route_not_found");
    }
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);

    let app = spawn_app_with(|v| {
        production(v);
        v.insert("KENSA_PUBLIC_DOCS".into(), "true".into());
        v.insert("KENSA_METRICS_TOKEN".into(), "metrics-token-0123456789".into());
    })
    .await;
    assert_eq!(app.get("/api/v1/openapi.json", None).await.status, StatusCode::OK);
    assert_eq!(app.client.get(app.url("/docs/")).send().await?.status(), StatusCode::OK);
    app.get("/metrics", None).await.assert_problem(401, "unauthenticated");
    app.get("/metrics", Some("wrong-token-0123456789")).await.assert_problem(401, "invalid_token");
    let scraped = app.client.get(app.url("/metrics")).bearer_auth("metrics-token-0123456789").send().await?;
    assert_eq!(scraped.status(), StatusCode::OK);
    assert!(scraped.text().await?.contains("kensa_http_requests_total"));

    let dev = spawn_app().await;
    assert_eq!(dev.client.get(dev.url("/metrics")).send().await?.status(), StatusCode::OK, "development keeps it");
    assert_eq!(dev.get("/api/v1/openapi.json", None).await.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn a_metrics_bind_address_serves_metrics_there_and_only_there() -> TestResult {
    kensa_api::s3_store::install_crypto_provider();
    let dir = std::env::temp_dir().join(format!("kensa-metrics-{}", uuid::Uuid::new_v4().simple()));
    let mut vars = base_vars(&dir);
    production(&mut vars);
    vars.insert("KENSA_METRICS_BIND".into(), "127.0.0.1:0".into());
    let app = Application::build(Settings::from_vars(vars)?).await?;
    let (port, metrics_port) = (app.port(), app.metrics_port().ok_or("no metrics listener")?);
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let public = client.get(format!("http://127.0.0.1:{port}/metrics")).send().await?;
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    let private = client.get(format!("http://127.0.0.1:{metrics_port}/metrics")).send().await?;
    assert_eq!(private.status(), StatusCode::OK);
    assert_eq!(
        client.get(format!("http://127.0.0.1:{metrics_port}/api/v1/me")).send().await?.status(),
        StatusCode::NOT_FOUND,
        "the metrics listener serves nothing else"
    );
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> Result<u32, std::io::Error> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
}

#[cfg(unix)]
fn sqlite(vars: &mut BTreeMap<String, String>, dir: &std::path::Path) {
    vars.insert("DATABASE_URL".into(), format!("sqlite://{}/kensa.db?mode=rwc", dir.display()));
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_the_database_are_private_to_the_service_account() -> TestResult {
    let dir = std::env::temp_dir().join(format!("kensa-modes-{}", uuid::Uuid::new_v4().simple())).join("data");
    let app = spawn_app_with(|v| {
        v.insert("KENSA_DATA_DIR".into(), dir.display().to_string());
        sqlite(v, &dir);
    })
    .await;
    app.signup("Acme").await;
    assert_eq!(mode(&dir)?, 0o700);
    for file in ["kensa.db", "kensa.db-wal", "kensa.db-shm"] {
        assert_eq!(mode(&dir.join(file))?, 0o600, "{file}");
    }
    drop(app);
    let _ = std::fs::remove_dir_all(dir.parent().ok_or("parent")?);
    Ok(())
}

#[cfg(unix)]
#[tokio::test]
async fn readable_local_state_is_tightened_at_start() -> TestResult {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("kensa-modes-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
    for file in ["kensa.db", "kensa.db-wal"] {
        std::fs::write(dir.join(file), b"")?;
        std::fs::set_permissions(dir.join(file), std::fs::Permissions::from_mode(0o644))?;
    }
    let app = spawn_app_with(|v| {
        v.insert("KENSA_DATA_DIR".into(), dir.display().to_string());
        sqlite(v, &dir);
    })
    .await;
    assert_eq!(mode(&dir)?, 0o700);
    assert_eq!(mode(&dir.join("kensa.db"))?, 0o600);
    assert_eq!(mode(&dir.join("kensa.db-wal"))?, 0o600);
    drop(app);
    Ok(())
}
