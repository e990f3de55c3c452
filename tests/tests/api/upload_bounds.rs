//! Evidence uploads are bounded before and while they are read (issue 7, item 3): parts,
//! files, body bytes, uploads at once per process, and each organization's storage.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::helpers::{Reply, TestApp, TestResult, spawn_app, spawn_app_with};

fn pdf(size: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.resize(size.max(9), b' ');
    bytes
}

fn file_part(bytes: Vec<u8>) -> Part {
    Part::bytes(bytes).file_name("policy.pdf").mime_str("application/pdf").unwrap_or_else(|_| Part::bytes(vec![]))
}

async fn send(token: &str, request: reqwest::RequestBuilder) -> Reply {
    match request.bearer_auth(token).send().await {
        Ok(r) => TestApp::read(r).await,
        Err(e) => panic!("upload failed: {e}"),
    }
}

fn post(app: &TestApp, id: &str) -> reqwest::RequestBuilder {
    app.client.post(app.url(&format!("/api/v1/assessments/{id}/evidence")))
}

#[tokio::test]
async fn a_form_of_twenty_thousand_parts_is_refused_at_the_ninth() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, id) = app.invited_supplier(1).await;
    // Written by hand: reqwest nests one stream per part, too deep for 20,000.
    let boundary = "many-parts";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&pdf(100));
    for i in 0..20_000 {
        body.extend_from_slice(
            format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"x{i}\"\r\n\r\n1").as_bytes(),
        );
    }
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let request =
        post(&app, &id).header("content-type", format!("multipart/form-data; boundary={boundary}")).body(body);
    let reply = send(&supplier.access_token, request).await;
    reply.assert_problem(422, "too_many_parts");
    let listed = app.get(&format!("/api/v1/assessments/{id}/evidence"), Some(&supplier.access_token)).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(0), "nothing stored");
    Ok(())
}

#[tokio::test]
async fn a_second_file_part_and_a_large_field_are_refused() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, id) = app.invited_supplier(1).await;
    let form = Form::new().part("file", file_part(pdf(100))).part("file", file_part(pdf(100)));
    send(&supplier.access_token, post(&app, &id).multipart(form)).await.assert_problem(422, "too_many_files");
    let form = Form::new().part("file", file_part(pdf(100))).text("note", "n".repeat(2_000));
    let reply = send(&supplier.access_token, post(&app, &id).multipart(form)).await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "note");
    assert_eq!(reply.body["errors"][0]["code"], "too_long");
    Ok(())
}

#[tokio::test]
async fn a_57_mib_body_is_refused_by_its_declared_length_and_a_streamed_one_as_it_arrives() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, id) = app.invited_supplier(1).await;
    // The attack: three 19 MiB parts, with Content-Length.
    let form = (0..3).fold(Form::new(), |f, i| f.part(format!("f{i}"), file_part(pdf(19 * 1024 * 1024))));
    send(&supplier.access_token, post(&app, &id).multipart(form)).await.assert_problem(413, "payload_too_large");
    // No declared length: 21 MiB of preamble before the first boundary is cut off as it arrives.
    let boundary = "kensa-test-boundary";
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..21)
        .map(|_| Ok(vec![b'x'; 1024 * 1024]))
        .chain(std::iter::once(Ok(format!("\r\n--{boundary}--\r\n").into_bytes())))
        .collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let request =
        post(&app, &id).header("content-type", format!("multipart/form-data; boundary={boundary}")).body(body);
    send(&supplier.access_token, request).await.assert_problem(413, "payload_too_large");
    Ok(())
}

#[tokio::test]
async fn uploads_beyond_the_concurrent_bound_answer_503_with_retry_after() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_MAX_CONCURRENT_UPLOADS".into(), "1".into());
    })
    .await;
    let (_, supplier, id) = app.invited_supplier(1).await;
    // A slow upload holds the only slot: its body arrives when the test says so.
    let boundary = "slow-boundary";
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 "
    );
    tx.send(Ok(head.into_bytes())).await?;
    let stream = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let slow = post(&app, &id)
        .bearer_auth(&supplier.access_token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(reqwest::Body::wrap_stream(stream))
        .send();
    let slow = tokio::spawn(slow);
    // It holds the slot once its file is being staged under the data directory.
    let staging = app.settings.data_dir.join("uploads");
    let staged = || std::fs::read_dir(&staging).map(|d| d.count() > 0).unwrap_or(false);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !staged() {
        assert!(tokio::time::Instant::now() < deadline, "the slow upload never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let form = Form::new().part("file", file_part(pdf(100)));
    let busy = send(&supplier.access_token, post(&app, &id).multipart(form)).await;
    busy.assert_problem(503, "uploads_busy");
    assert!(busy.headers.get("retry-after").is_some(), "Retry-After missing");
    assert_eq!(busy.header("ratelimit-policy"), "\"uploads\";q=1;qu=\"concurrent-requests\"");
    assert_eq!(busy.header("ratelimit"), "\"uploads\";r=0");
    tx.send(Ok(format!("\r\n--{boundary}--\r\n").into_bytes())).await?;
    drop(tx);
    let finished = tokio::time::timeout(Duration::from_secs(30), slow).await???;
    assert_eq!(finished.status(), StatusCode::CREATED);
    let form = Form::new().part("file", file_part(pdf(100)));
    let after = send(&supplier.access_token, post(&app, &id).multipart(form)).await;
    assert_eq!(after.status, StatusCode::CREATED, "the slot is free again: {}", after.body);
    assert_eq!(after.header("ratelimit"), "\"uploads\";r=1");
    Ok(())
}

#[tokio::test]
async fn an_organization_cannot_store_more_than_its_quota() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_ORG_STORAGE_QUOTA_MB".into(), "1".into());
    })
    .await;
    let (_, supplier, id) = app.invited_supplier(1).await;
    let form = Form::new().part("file", file_part(pdf(600 * 1024)));
    let first = send(&supplier.access_token, post(&app, &id).multipart(form)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let form = Form::new().part("file", file_part(pdf(600 * 1024)));
    let second = send(&supplier.access_token, post(&app, &id).multipart(form)).await;
    second.assert_problem(409, "storage_quota_exceeded");
    // GraphQL's upload counts against the same quota.
    let content = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pdf(600 * 1024));
    let reply = app
        .post(
            "/graphql",
            Some(&supplier.access_token),
            json!({ "query": "mutation($id: UUID!, $c: String!) { uploadEvidence(assessmentId: $id, input: { fileName: \"p.pdf\", contentType: \"application/pdf\", contentBase64: $c }) { id } }", "variables": { "id": id, "c": content } }),
        )
        .await;
    assert_eq!(reply.body["errors"][0]["extensions"]["code"], "storage_quota_exceeded", "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn one_supplier_spending_its_quota_leaves_the_buyers_other_suppliers_free_to_upload() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_ORG_STORAGE_QUOTA_MB".into(), "1".into());
    })
    .await;
    let buyer = app.signup("Buyer Motors").await;
    let (first_id, first_email) = app.create_supplier(&buyer, "First Parts", 1).await;
    let (second_id, second_email) = app.create_supplier(&buyer, "Second Parts", 1).await;
    let campaign = app.create_campaign(&buyer, &[first_id.clone(), second_id.clone()], None).await;
    app.run_worker().await;
    let first = app.accept_as_new_supplier(&app.supplier_token_for(&first_email), "First KK").await;
    let second = app.accept_as_new_supplier(&app.supplier_token_for(&second_email), "Second KK").await;
    let assessment_of = |supplier: &str| {
        campaign["assessments"]
            .as_array()
            .and_then(|all| all.iter().find(|a| a["supplier_id"] == supplier))
            .and_then(|a| a["id"].as_str())
            .map(str::to_owned)
            .ok_or("no assessment for the supplier")
    };
    let (first_assessment, second_assessment) = (assessment_of(&first_id)?, assessment_of(&second_id)?);
    for expected in [StatusCode::CREATED, StatusCode::CONFLICT] {
        let form = Form::new().part("file", file_part(pdf(600 * 1024)));
        let reply = send(&first.access_token, post(&app, &first_assessment).multipart(form)).await;
        assert_eq!(reply.status, expected, "{}", reply.body);
    }
    // The first supplier's files are its own: the buyer's other supplier still has room.
    let form = Form::new().part("file", file_part(pdf(600 * 1024)));
    let reply = send(&second.access_token, post(&app, &second_assessment).multipart(form)).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    Ok(())
}

#[test]
fn upload_settings_must_be_positive_whole_numbers() {
    for (variable, value) in [("KENSA_ORG_STORAGE_QUOTA_MB", "0"), ("KENSA_MAX_CONCURRENT_UPLOADS", "many")] {
        let mut vars = crate::helpers::base_vars(std::path::Path::new("/tmp/kensa-unused"));
        vars.insert(variable.into(), value.into());
        match kensa_domain::config::Settings::from_vars(vars) {
            Err(e) => assert_eq!(e.variable, variable),
            Ok(_) => panic!("{variable}={value} was accepted"),
        }
    }
}

#[tokio::test]
async fn downloads_beyond_the_concurrent_bound_answer_503_until_one_is_sent() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_MAX_CONCURRENT_UPLOADS".into(), "1".into());
    })
    .await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    // Larger than loopback's socket buffers: the first download cannot finish until read.
    let form = Form::new().part("file", file_part(pdf(19 * 1024 * 1024)));
    let uploaded = send(&supplier.access_token, post(&app, &id).multipart(form)).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let evidence = uploaded.body["id"].as_str().ok_or("evidence id")?.to_owned();
    let url = app.url(&format!("/api/v1/assessments/{id}/evidence/{evidence}"));
    let download = || app.client.get(&url).bearer_auth(&buyer.access_token).send();

    let first = download().await?;
    assert_eq!(first.status(), StatusCode::OK);
    let busy = download().await?;
    assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(busy.headers().get("retry-after").is_some(), "Retry-After missing");
    let problem: serde_json::Value = busy.json().await?;
    assert_eq!(problem["code"], "downloads_busy", "{problem}");

    assert_eq!(first.bytes().await?.len(), 19 * 1024 * 1024);
    // The slot is released once the body is sent; poll until the server has seen it go.
    let mut again = download().await?;
    for _ in 0..300 {
        if again.status() == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        again = download().await?;
    }
    assert_eq!(again.status(), StatusCode::OK);
    Ok(())
}
