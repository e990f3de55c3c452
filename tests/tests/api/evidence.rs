//! Evidence files.

use futures_util::TryStreamExt;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::helpers::{TestApp, TestResult, external_service, spawn_app};

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec()
}

async fn download(
    app: &TestApp,
    token: &str,
    id: &str,
    evidence_id: &str,
) -> Result<reqwest::Response, reqwest::Error> {
    app.client.get(app.url(&format!("/api/v1/assessments/{id}/evidence/{evidence_id}"))).bearer_auth(token).send().await
}

async fn upload(
    app: &TestApp,
    token: &str,
    id: &str,
    name: &str,
    mime: &str,
    bytes: Vec<u8>,
    item: Option<u64>,
) -> crate::helpers::Reply {
    let mut form = Form::new().part(
        "file",
        Part::bytes(bytes).file_name(name.to_owned()).mime_str(mime).unwrap_or_else(|_| Part::bytes(vec![])),
    );
    if let Some(no) = item {
        form = form.text("item_no", no.to_string());
    }
    match app
        .client
        .post(app.url(&format!("/api/v1/assessments/{id}/evidence")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
    {
        Ok(r) => TestApp::read(r).await,
        Err(e) => panic!("upload failed: {e}"),
    }
}

#[tokio::test]
async fn evidence_is_uploaded_listed_downloaded_and_deleted() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &id).await;
    let saved = upload(&app, &supplier.access_token, &id, "policy.pdf", "application/pdf", pdf(), Some(scope[0])).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
    assert_eq!(saved.body["size"], pdf().len());
    assert_eq!(saved.body["item_no"], scope[0]);
    let sha = saved.body["sha256"].as_str().ok_or("sha")?.to_owned();
    let evidence_id = saved.body["id"].as_str().ok_or("id")?;

    let listed = app.get(&format!("/api/v1/assessments/{id}/evidence"), Some(&buyer.access_token)).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1));
    let download = download(&app, &buyer.access_token, &id, evidence_id).await?;
    assert_eq!(download.status(), StatusCode::OK);
    let disposition =
        download.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(disposition.starts_with("attachment") && disposition.contains("policy.pdf"), "{disposition}");
    assert_eq!(download.bytes().await?.to_vec(), pdf());

    // The buyer cannot delete; the supplier can while answers are editable.
    let refused =
        app.delete(&format!("/api/v1/assessments/{id}/evidence/{evidence_id}"), Some(&buyer.access_token)).await;
    refused.assert_problem(403, "forbidden");
    let deleted =
        app.delete(&format!("/api/v1/assessments/{id}/evidence/{evidence_id}"), Some(&supplier.access_token)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    app.get(&format!("/api/v1/assessments/{id}/evidence/{evidence_id}"), Some(&buyer.access_token))
        .await
        .assert_problem(404, "not_found");
    let history = app.get(&format!("/api/v1/assessments/{id}/history"), Some(&buyer.access_token)).await;
    let kinds: Vec<&str> =
        history.body["data"].as_array().ok_or("history")?.iter().filter_map(|e| e["kind"].as_str()).collect();
    assert!(kinds.contains(&"evidence_added") && kinds.contains(&"evidence_deleted"), "{kinds:?}");
    assert!(history.body.to_string().contains(&sha));
    Ok(())
}

#[tokio::test]
async fn evidence_whose_bytes_do_not_match_its_type_is_refused() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, id) = app.invited_supplier(1).await;
    let fake = upload(
        &app,
        &supplier.access_token,
        &id,
        "policy.pdf",
        "application/pdf",
        b"MZ\x90\x00 not a pdf".to_vec(),
        None,
    )
    .await;
    fake.assert_problem(422, "validation_failed");
    assert_eq!(fake.body["errors"][0]["code"], "content_mismatch");
    let exe =
        upload(&app, &supplier.access_token, &id, "tool.exe", "application/x-msdownload", b"MZ".to_vec(), None).await;
    exe.assert_problem(422, "validation_failed");
    assert_eq!(exe.body["errors"][0]["code"], "unsupported_type");
    let big = upload(
        &app,
        &supplier.access_token,
        &id,
        "big.pdf",
        "application/pdf",
        [pdf(), vec![b' '; 20 * 1024 * 1024]].concat(),
        None,
    )
    .await;
    big.assert_problem(413, "payload_too_large");
    Ok(())
}

#[tokio::test]
async fn evidence_goes_to_object_storage_when_configured() -> TestResult {
    let Some(endpoint) = external_service("TEST_S3_ENDPOINT")? else { return Ok(()) };
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    let saved = upload(&app, &supplier.access_token, &id, "policy.pdf", "application/pdf", pdf(), None).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
    let evidence_id = saved.body["id"].as_str().ok_or("id")?;
    assert!(!app.settings.data_dir.join("evidence").exists(), "nothing is written locally");
    // The object, read straight from the bucket (signed like any S3 client would).
    let store = kensa_api::s3_store::evidence_store(app.settings.s3.as_ref().ok_or("no S3 settings")?)?;
    let key = format!("{id}/{evidence_id}");
    let stored: Vec<_> = store.get(&key).await?.body.try_collect().await?;
    assert_eq!(stored.concat(), pdf());
    let anonymous = reqwest::get(format!(
        "{}/{}/{key}",
        endpoint.trim_end_matches('/'),
        app.settings.s3.as_ref().map(|s| s.bucket.as_str()).unwrap_or_default()
    ))
    .await?;
    assert_eq!(anonymous.status(), StatusCode::FORBIDDEN, "the bucket is not public");

    let downloaded = download(&app, &buyer.access_token, &id, evidence_id).await?;
    assert_eq!(downloaded.bytes().await?.to_vec(), pdf());
    let deleted =
        app.delete(&format!("/api/v1/assessments/{id}/evidence/{evidence_id}"), Some(&supplier.access_token)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(matches!(store.get(&key).await, Err(kensa_domain::DomainError::NotFound(_))), "deleted from the bucket");

    // A file larger than a part (5 MiB) goes up in parts and comes back whole, streamed.
    let large: Vec<u8> = [pdf(), (0..12 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect()].concat();
    let saved = upload(&app, &supplier.access_token, &id, "scan.pdf", "application/pdf", large.clone(), None).await;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
    let downloaded = download(&app, &buyer.access_token, &id, saved.body["id"].as_str().ok_or("id")?).await?;
    assert_eq!(downloaded.content_length(), Some(large.len() as u64));
    assert!(downloaded.bytes().await? == large, "the 12 MiB file came back changed");
    Ok(())
}
