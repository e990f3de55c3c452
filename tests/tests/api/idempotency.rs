//! `Idempotency-Key` on creating POSTs: a retry answers the first response and does nothing
//! again; another request with the key is refused; keys are per organization.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::helpers::{Member, Reply, TestApp, TestResult, due_in, spawn_app};

async fn keyed(app: &TestApp, member: &Member, path: &str, key: &str, body: Value) -> Reply {
    app.send_with(Method::POST, path, Some(&member.access_token), &[("idempotency-key", key)], Some(body)).await
}

async fn count(app: &TestApp, member: &Member, path: &str) -> usize {
    app.get(path, Some(&member.access_token)).await.body["data"].as_array().map_or(0, Vec::len)
}

async fn stored_keys(app: &TestApp) -> Result<i64, sea_orm::DbErr> {
    let backend = app.db.get_database_backend();
    let row =
        app.db.query_one_raw(Statement::from_string(backend, "SELECT COUNT(*) AS n FROM idempotency_keys")).await?;
    Ok(row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(-1))
}

#[tokio::test]
async fn retrying_a_campaign_with_its_key_replays_it_and_mails_every_supplier_once() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let (a, mail_a) = app.create_supplier(&buyer, "Parts A", 1).await;
    let (b, mail_b) = app.create_supplier(&buyer, "Parts B", 1).await;
    let template = app.builtin_template(&buyer).await;
    let body = json!({ "name": "FY2026", "template_id": template, "due_date": due_in(30), "supplier_ids": [a, b] });

    let first = keyed(&app, &buyer, "/api/v1/campaigns", "campaign-fy2026-1", body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.header("idempotent-replayed"), "");
    // The client timed out and sends the same request again.
    let retry = keyed(&app, &buyer, "/api/v1/campaigns", "campaign-fy2026-1", body).await;
    assert_eq!(retry.status, StatusCode::CREATED, "{}", retry.body);
    assert_eq!(retry.body, first.body, "the first response, byte for byte");
    assert_eq!(retry.header("idempotent-replayed"), "true");
    assert_eq!(retry.content_type(), first.content_type());
    assert_ne!(retry.header("x-request-id"), first.header("x-request-id"), "the retry is its own request");

    assert_eq!(count(&app, &buyer, "/api/v1/campaigns").await, 1, "one campaign");
    app.run_worker().await;
    assert_eq!(app.mails_to(&mail_a).len(), 1, "supplier A is mailed once");
    assert_eq!(app.mails_to(&mail_b).len(), 1, "supplier B is mailed once");
    Ok(())
}

#[tokio::test]
async fn the_same_key_with_another_request_is_refused() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let created = keyed(
        &app,
        &buyer,
        "/api/v1/suppliers",
        "k-1",
        json!({ "name": "Tokai Seiki", "contact_email": "ito@tokai.example" }),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);

    let other_body = keyed(
        &app,
        &buyer,
        "/api/v1/suppliers",
        "k-1",
        json!({ "name": "Kanto Denki", "contact_email": "abe@kanto.example" }),
    )
    .await;
    other_body.assert_problem(422, "idempotency_key_reused");
    assert_eq!(other_body.body["errors"][0]["field"], "Idempotency-Key");

    let template = app.builtin_template(&buyer).await;
    let other_path = keyed(
        &app,
        &buyer,
        "/api/v1/campaigns",
        "k-1",
        json!({ "name": "FY2026", "template_id": template, "due_date": due_in(30), "supplier_ids": [created.body["id"]] }),
    )
    .await;
    other_path.assert_problem(422, "idempotency_key_reused");

    // A colleague in the same organization with the same key and body: not their request.
    let colleague = app.add_member(&buyer, "admin").await;
    let theirs = keyed(
        &app,
        &colleague,
        "/api/v1/suppliers",
        "k-1",
        json!({ "name": "Tokai Seiki", "contact_email": "ito@tokai.example" }),
    )
    .await;
    theirs.assert_problem(422, "idempotency_key_reused");
    assert_eq!(count(&app, &buyer, "/api/v1/suppliers").await, 1, "nothing was created by the refused requests");
    Ok(())
}

#[tokio::test]
async fn keys_belong_to_one_organization() -> TestResult {
    let app = spawn_app().await;
    let first = app.signup("Buyer One").await;
    let second = app.signup("Buyer Two").await;
    let body = json!({ "name": "Tokai Seiki", "contact_email": "ito@tokai.example" });
    let one = keyed(&app, &first, "/api/v1/suppliers", "shared-key", body.clone()).await;
    let two = keyed(&app, &second, "/api/v1/suppliers", "shared-key", body).await;
    assert_eq!(one.status, StatusCode::CREATED, "{}", one.body);
    assert_eq!(two.status, StatusCode::CREATED, "{}", two.body);
    assert_eq!(two.header("idempotent-replayed"), "", "another organization's key is not replayed");
    assert_ne!(one.body["id"], two.body["id"]);
    assert_eq!(count(&app, &second, "/api/v1/suppliers").await, 1);
    Ok(())
}

#[tokio::test]
async fn concurrent_duplicates_create_one_supplier() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let body = json!({ "name": "Tokai Seiki", "contact_email": "ito@tokai.example" });
    let replies =
        futures_util::future::join_all((0..8).map(|_| keyed(&app, &buyer, "/api/v1/suppliers", "burst", body.clone())))
            .await;
    let mut ids = std::collections::BTreeSet::new();
    for reply in &replies {
        match reply.status.as_u16() {
            201 => {
                ids.insert(reply.body["id"].to_string());
            }
            409 => {
                reply.assert_problem(409, "idempotency_key_in_use");
                assert_eq!(reply.header("retry-after"), "1");
            }
            other => panic!("unexpected {other}: {}", reply.body),
        }
    }
    assert_eq!(ids.len(), 1, "every 201 is the same supplier: {ids:?}");
    assert_eq!(count(&app, &buyer, "/api/v1/suppliers").await, 1);
    // Once the first has finished, a retry is answered from the store.
    let later = keyed(&app, &buyer, "/api/v1/suppliers", "burst", body).await;
    assert_eq!(later.status, StatusCode::CREATED);
    assert_eq!(later.header("idempotent-replayed"), "true");
    Ok(())
}

#[tokio::test]
async fn a_failed_request_gives_its_key_back() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let failed = keyed(&app, &buyer, "/api/v1/suppliers", "k-2", json!({ "name": "" })).await;
    failed.assert_problem(422, "validation_failed");
    assert_eq!(failed.body["request_id"], failed.header("x-request-id"), "the problem quotes its request");
    let fixed = keyed(
        &app,
        &buyer,
        "/api/v1/suppliers",
        "k-2",
        json!({ "name": "Tokai", "contact_email": "ito@tokai.example" }),
    )
    .await;
    assert_eq!(fixed.status, StatusCode::CREATED, "nothing happened the first time, so the key runs: {}", fixed.body);
    assert_eq!(fixed.header("idempotent-replayed"), "");
    Ok(())
}

#[tokio::test]
async fn keys_expire_after_a_day_and_the_worker_deletes_them() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let first = keyed(
        &app,
        &buyer,
        "/api/v1/suppliers",
        "daily",
        json!({ "name": "Tokai", "contact_email": "ito@tokai.example" }),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED);
    app.clock.advance(chrono::Duration::hours(23));
    let buyer = app.signed_in_again(&buyer).await;
    let within = keyed(
        &app,
        &buyer,
        "/api/v1/suppliers",
        "daily",
        json!({ "name": "Kanto", "contact_email": "a@kanto.example" }),
    )
    .await;
    within.assert_problem(422, "idempotency_key_reused");

    app.clock.advance(chrono::Duration::hours(1) + chrono::Duration::seconds(1));
    app.run_worker().await;
    assert_eq!(stored_keys(&app).await?, 0, "the expired key is gone");
    let buyer = app.signed_in_again(&buyer).await;
    let after = keyed(
        &app,
        &buyer,
        "/api/v1/suppliers",
        "daily",
        json!({ "name": "Kanto", "contact_email": "a@kanto.example" }),
    )
    .await;
    assert_eq!(after.status, StatusCode::CREATED, "a new request after 24 hours: {}", after.body);
    assert_eq!(stored_keys(&app).await?, 1);
    Ok(())
}

#[tokio::test]
async fn a_malformed_key_is_a_400_naming_the_header() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let body = json!({ "name": "Tokai", "contact_email": "ito@tokai.example" });
    for bad in ["a".repeat(256), " ".to_owned(), "caf\u{e9}".to_owned()] {
        let mut req = app.client.post(app.url("/api/v1/suppliers")).bearer_auth(&buyer.access_token).json(&body);
        req = req.header("idempotency-key", reqwest::header::HeaderValue::from_bytes(bad.as_bytes())?);
        let reply = TestApp::read(req.send().await?).await;
        reply.assert_problem(400, "bad_request");
        assert!(reply.body["detail"].as_str().is_some_and(|d| d.starts_with("Idempotency-Key")), "{}", reply.body);
    }
    let longest = "k".repeat(255);
    assert_eq!(keyed(&app, &buyer, "/api/v1/suppliers", &longest, body).await.status, StatusCode::CREATED);
    assert_eq!(count(&app, &buyer, "/api/v1/suppliers").await, 1);
    Ok(())
}

/// Every creating POST replays a retry instead of doing its work twice.
#[tokio::test]
async fn every_creating_post_replays_a_retry() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    let template = app.builtin_template(&buyer).await;
    let scope = app.scope_of(&supplier, &assessment).await;
    let (supplier_id, _) = app.create_supplier(&buyer, "Second Parts", 1).await;
    let cases: Vec<(&Member, String, Value, &str)> = vec![
        (
            &buyer,
            "/api/v1/users/invitations".into(),
            json!({ "email": "rie@buyer.example", "role": "reviewer" }),
            "/api/v1/users",
        ),
        (&buyer, format!("/api/v1/assessments/{assessment}/comments"), json!({ "body": "Please hurry" }), ""),
        (&buyer, format!("/api/v1/templates/{template}/clone"), json!({ "key": "ours" }), "/api/v1/templates"),
        (
            &supplier,
            format!("/api/v1/assessments/{assessment}/answers"),
            json!({ "answers": [{ "no": scope[0], "status": "implemented" }] }),
            "",
        ),
        (
            &buyer,
            "/api/v1/campaigns".into(),
            json!({ "name": "Second", "template_id": template, "due_date": due_in(40), "supplier_ids": [supplier_id] }),
            "/api/v1/campaigns",
        ),
    ];
    for (member, path, body, list) in cases {
        let before = if list.is_empty() { 0 } else { count(&app, member, list).await };
        let first = keyed(&app, member, &path, &format!("key {path}"), body.clone()).await;
        assert!(first.status.is_success(), "{path}: {}", first.body);
        let retry = keyed(&app, member, &path, &format!("key {path}"), body).await;
        assert_eq!(retry.status, first.status, "{path}");
        assert_eq!(retry.body, first.body, "{path}");
        assert_eq!(retry.header("idempotent-replayed"), "true", "{path}");
        assert_eq!(retry.header("etag"), first.header("etag"), "{path}");
        if !list.is_empty() && list != "/api/v1/users" {
            assert_eq!(count(&app, member, list).await, before + 1, "{path} created once");
        }
    }
    // The answer save ran once: one version step, one history entry.
    let now = app.get(&format!("/api/v1/assessments/{assessment}"), Some(&supplier.access_token)).await;
    assert_eq!(now.body["version"], 2, "{}", now.body);
    let comments = app.get(&format!("/api/v1/assessments/{assessment}/comments"), Some(&buyer.access_token)).await;
    assert_eq!(comments.body["data"].as_array().map(Vec::len), Some(1));

    // A CSV import and a resend, whose bodies are not JSON.
    let csv = "name,contact_email\nKanto Denki,abe@kanto.example\n";
    let import = |key: &'static str| {
        app.client
            .post(app.url("/api/v1/suppliers/import"))
            .bearer_auth(&buyer.access_token)
            .header("content-type", "text/csv")
            .header("idempotency-key", key)
            .body(csv)
            .send()
    };
    let first = TestApp::read(import("csv-1").await?).await;
    let retry = TestApp::read(import("csv-1").await?).await;
    assert_eq!(first.body["created"], 1, "{}", first.body);
    assert_eq!(retry.body, first.body, "the retry reports the first import (created 1), not an update");
    assert_eq!(retry.header("idempotent-replayed"), "true");
    let (third, third_mail) = app.create_supplier(&buyer, "Third Parts", 1).await;
    let campaign = app.create_campaign(&buyer, &[third], None).await;
    app.run_worker().await;
    let resend = format!(
        "/api/v1/assessments/{}/resend-invitation",
        campaign["assessments"][0]["id"].as_str().unwrap_or_default()
    );
    for replayed in ["", "true"] {
        let reply = keyed(&app, &buyer, &resend, "resend-1", json!({})).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.body);
        assert_eq!(reply.header("idempotent-replayed"), replayed);
    }
    app.run_worker().await;
    assert_eq!(app.mails_to(&third_mail).len(), 2, "the first invitation and one resend");
    assert_eq!(app.mails_to("rie@buyer.example").len(), 1, "one user invitation");
    Ok(())
}

async fn upload(app: &TestApp, token: &str, id: &str, key: &str, bytes: &[u8]) -> Result<Reply, reqwest::Error> {
    let form = Form::new()
        .part("file", Part::bytes(bytes.to_vec()).file_name("policy.pdf").mime_str("application/pdf")?)
        .text("item_no", "1");
    let reply = app
        .client
        .post(app.url(&format!("/api/v1/assessments/{id}/evidence")))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .multipart(form)
        .send()
        .await?;
    Ok(TestApp::read(reply).await)
}

#[tokio::test]
async fn an_upload_retried_with_a_new_multipart_boundary_is_replayed_even_after_submission() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, id) = app.invited_supplier(1).await;
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n";
    let first = upload(&app, &supplier.access_token, &id, "up-1", pdf).await?;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    app.answer_all(&supplier, &id).await;
    let submitted =
        app.post(&format!("/api/v1/assessments/{id}/submit"), Some(&supplier.access_token), json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);

    // Each form gets a fresh boundary: the request is compared by what it holds.
    let retry = upload(&app, &supplier.access_token, &id, "up-1", pdf).await?;
    assert_eq!(retry.status, StatusCode::CREATED, "{}", retry.body);
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.header("idempotent-replayed"), "true");
    let other = upload(&app, &supplier.access_token, &id, "up-1", b"%PDF-1.4\nanother file\n%%EOF\n").await?;
    other.assert_problem(422, "idempotency_key_reused");
    let files = app.get(&format!("/api/v1/assessments/{id}/evidence"), Some(&supplier.access_token)).await;
    assert_eq!(files.body["data"].as_array().map(Vec::len), Some(1));
    Ok(())
}
