//! Evidence file names cannot disguise a file, and every stored name downloads (issue 7,
//! item 12).

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::helpers::{Member, TestApp, TestResult, spawn_app};

const PDF: &[u8] = b"%PDF-1.4\n%%EOF\n";

async fn upload_named(app: &TestApp, supplier: &Member, id: &str, name: &str) -> Result<String, String> {
    let part =
        Part::bytes(PDF.to_vec()).file_name(name.to_owned()).mime_str("application/pdf").map_err(|e| e.to_string())?;
    let response = app
        .client
        .post(app.url(&format!("/api/v1/assessments/{id}/evidence")))
        .bearer_auth(&supplier.access_token)
        .multipart(Form::new().percent_encode_noop().part("file", part))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let reply = TestApp::read(response).await;
    if reply.status != StatusCode::CREATED {
        return Err(format!("{}: {}", reply.status, reply.body));
    }
    Ok(reply.body["id"].as_str().unwrap_or_default().to_owned())
}

/// (status, Content-Disposition) of a download.
async fn disposition(
    app: &TestApp,
    member: &Member,
    id: &str,
    evidence: &str,
) -> Result<(StatusCode, String), reqwest::Error> {
    let response = app
        .client
        .get(app.url(&format!("/api/v1/assessments/{id}/evidence/{evidence}")))
        .bearer_auth(&member.access_token)
        .send()
        .await?;
    let value =
        response.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    Ok((response.status(), value))
}

async fn listed_name(app: &TestApp, member: &Member, id: &str) -> String {
    let listed = app.get(&format!("/api/v1/assessments/{id}/evidence"), Some(&member.access_token)).await;
    listed.body["data"][0]["file_name"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_bidi_disguised_name_is_stored_without_the_override_and_with_its_type_s_extension() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    let evidence = upload_named(&app, &supplier, &id, "report\u{202E}fdp.bat").await?;
    assert_eq!(listed_name(&app, &buyer, &id).await, "reportfdp.bat.pdf");
    let (status, header) = disposition(&app, &buyer, &id, &evidence).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header, "attachment; filename=\"reportfdp.bat.pdf\"; filename*=UTF-8''reportfdp.bat.pdf");
    Ok(())
}

#[tokio::test]
async fn a_japanese_name_downloads_with_an_ascii_fallback_and_the_utf8_name() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    let evidence = upload_named(&app, &supplier, &id, "監査報告書.pdf").await?;
    assert_eq!(listed_name(&app, &buyer, &id).await, "監査報告書.pdf");
    let (status, header) = disposition(&app, &buyer, &id, &evidence).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        header,
        "attachment; filename=\"_____.pdf\"; filename*=UTF-8''%E7%9B%A3%E6%9F%BB%E5%A0%B1%E5%91%8A%E6%9B%B8.pdf"
    );
    Ok(())
}

#[tokio::test]
async fn cr_lf_and_nul_are_removed_from_names_and_old_rows_with_them_still_download() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    // GraphQL strings can carry any character.
    let content = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, PDF);
    let reply = app
        .post(
            "/graphql",
            Some(&supplier.access_token),
            json!({ "query": "mutation($id: UUID!, $c: String!, $n: String!) { uploadEvidence(assessmentId: $id, input: { fileName: $n, contentType: \"application/pdf\", contentBase64: $c }) { id fileName } }",
                    "variables": { "id": id, "c": content, "n": "bad\r\nSet-Cookie: x\u{0}.pdf" } }),
        )
        .await;
    // Control characters in any GraphQL string are refused at the edge, naming the variable...
    assert_eq!(reply.body["errors"][0]["extensions"]["errors"][0]["field"], "variables.n", "{}", reply.body);
    assert_eq!(reply.body["errors"][0]["extensions"]["errors"][0]["code"], "invalid_characters", "{}", reply.body);
    // ...and a name that passes the edge still loses what a file name cannot carry.
    let reply = app
        .post(
            "/graphql",
            Some(&supplier.access_token),
            json!({ "query": "mutation($id: UUID!, $c: String!, $n: String!) { uploadEvidence(assessmentId: $id, input: { fileName: $n, contentType: \"application/pdf\", contentBase64: $c }) { id fileName } }",
                    "variables": { "id": id, "c": content, "n": "bad\u{202e}Set-Cookie: x.pdf" } }),
        )
        .await;
    assert_eq!(reply.body["data"]["uploadEvidence"]["fileName"], "badSet-Cookie_ x.pdf", "{}", reply.body);
    let evidence = reply.body["data"]["uploadEvidence"]["id"].as_str().ok_or("id")?.to_owned();

    // A row stored before names were sanitised (the only row of this fresh database).
    let postgres = app.settings.database_url.expose().starts_with("postgres");
    let (cr, lf, bell) = if postgres { ("chr(13)", "chr(10)", "chr(7)") } else { ("char(13)", "char(10)", "char(7)") };
    app.execute_sql(&format!("UPDATE evidence SET file_name = 'old' || {cr} || {lf} || 'name' || {bell} || '.pdf'"))
        .await;
    let (status, header) = disposition(&app, &buyer, &id, &evidence).await?;
    assert_eq!(status, StatusCode::OK, "a stored name never breaks the download");
    assert_eq!(header, "attachment; filename=\"oldname.pdf\"; filename*=UTF-8''oldname.pdf");
    assert_eq!(listed_name(&app, &buyer, &id).await, "oldname.pdf");
    Ok(())
}
