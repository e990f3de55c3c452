//! Every list answers `{data, next_cursor}`; the CSV import takes the contact's language.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, TestResult, spawn_app};

/// Follows `next_cursor` from `path` with `limit`; returns every item and the pages seen.
async fn walk(app: &TestApp, token: &str, path: &str, limit: u32) -> Result<(Vec<Value>, usize), String> {
    let (mut items, mut pages, mut cursor) = (Vec::new(), 0, String::new());
    let join = if path.contains('?') { '&' } else { '?' };
    loop {
        let reply = app.get(&format!("{path}{join}limit={limit}&cursor={cursor}"), Some(token)).await;
        let data = reply.body["data"].as_array().ok_or_else(|| format!("{path}: not a page: {}", reply.body))?;
        if data.len() > limit as usize {
            return Err(format!("{path}: {} items on a page of {limit}", data.len()));
        }
        items.extend(data.iter().cloned());
        pages += 1;
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None if reply.body.get("next_cursor").is_some() => return Ok((items, pages)),
            None => return Err(format!("{path}: no next_cursor key: {}", reply.body)),
        }
    }
}

async fn upload(app: &TestApp, token: &str, id: &str, name: &str) -> Result<Reply, reqwest::Error> {
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let part = Part::bytes(pdf).file_name(name.to_owned()).mime_str("application/pdf")?;
    let response = app
        .client
        .post(app.url(&format!("/api/v1/assessments/{id}/evidence")))
        .bearer_auth(token)
        .multipart(Form::new().part("file", part))
        .send()
        .await?;
    Ok(TestApp::read(response).await)
}

#[tokio::test]
async fn questions_history_comments_and_evidence_answer_pages_like_every_other_list() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    let (b, s) = (buyer.access_token.as_str(), supplier.access_token.as_str());

    let questions = app.get(&format!("/api/v1/assessments/{id}/questions"), Some(s)).await;
    let scope = questions.body["data"].as_array().ok_or("questions are not a page")?;
    assert!(!scope.is_empty() && questions.body["next_cursor"].is_null(), "{}", questions.body);

    for n in 0..3 {
        let reply =
            app.post(&format!("/api/v1/assessments/{id}/comments"), Some(s), json!({ "body": format!("c{n}") })).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let saved = upload(&app, s, &id, &format!("policy-{n}.pdf")).await?;
        assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
    }
    let (comments, pages) = walk(&app, b, &format!("/api/v1/assessments/{id}/comments"), 2).await?;
    let bodies: Vec<&str> = comments.iter().filter_map(|c| c["body"].as_str()).collect();
    assert_eq!((bodies, pages), (vec!["c0", "c1", "c2"], 2));
    let (evidence, pages) = walk(&app, b, &format!("/api/v1/assessments/{id}/evidence"), 2).await?;
    assert_eq!((evidence.len(), pages), (3, 2));
    let (history, _) = walk(&app, s, &format!("/api/v1/assessments/{id}/history"), 1).await?;
    let whole = app.get(&format!("/api/v1/assessments/{id}/history?limit=200"), Some(s)).await;
    assert_eq!(Some(&history), whole.body["data"].as_array(), "paging lost or repeated events");
    assert!(history.iter().filter(|e| e["kind"] == "evidence_added").count() == 3, "{history:?}");

    app.get(&format!("/api/v1/assessments/{id}/history?limit=0"), Some(s))
        .await
        .assert_problem(422, "validation_failed");
    app.get(&format!("/api/v1/assessments/{id}/evidence?cursor=nonsense"), Some(s))
        .await
        .assert_problem(422, "validation_failed");
    Ok(())
}

async fn import(app: &TestApp, token: &str, body: Vec<u8>) -> Result<Reply, reqwest::Error> {
    let response = app
        .client
        .post(app.url("/api/v1/suppliers/import"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await?;
    Ok(TestApp::read(response).await)
}

fn locale_of(list: &Value, email: &str) -> Option<String> {
    list["data"].as_array()?.iter().find(|s| s["contact_email"] == email)?["contact_locale"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn the_csv_import_takes_the_contact_language_in_utf8_and_shift_jis() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let token = buyer.access_token.as_str();
    let utf8 = "name,contact_name,contact_email,contact_locale,tier,target_level,tags\n\
                Global Parts,Smith,smith@global.example,en,tier1,1,\n\
                東海精機株式会社,伊藤,ito@tokai.example,,一次,1,\n";
    let reply = import(&app, token, utf8.as_bytes().to_vec()).await?;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let sjis = "name,contact_email,contact_locale\n北陸電装株式会社,kato@hokuriku.example,ja\n";
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(sjis);
    assert!(std::str::from_utf8(&bytes).is_err(), "the fixture must not be UTF-8");
    let reply = import(&app, token, bytes.into_owned()).await?;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    let list = app.get("/api/v1/suppliers?limit=200", Some(token)).await;
    assert_eq!(locale_of(&list.body, "smith@global.example").as_deref(), Some("en"), "{}", list.body);
    assert_eq!(locale_of(&list.body, "ito@tokai.example").as_deref(), Some("ja"), "an empty cell means ja");
    assert_eq!(locale_of(&list.body, "kato@hokuriku.example").as_deref(), Some("ja"));

    // The invitation is written in the contact's language first.
    let ids: Vec<String> = list.body["data"]
        .as_array()
        .ok_or("data")?
        .iter()
        .filter_map(|s| s["id"].as_str().map(str::to_owned))
        .collect();
    app.create_campaign(&buyer, &ids, None).await;
    app.run_worker().await;
    for (email, english_first) in [("smith@global.example", true), ("ito@tokai.example", false)] {
        let mail = app.mails_to(email).pop().ok_or("no invitation mail")?;
        let (en, ja) = (
            mail.find("This is a message from Kensa").ok_or("no English part")?,
            mail.find("Kensa からのお知らせです").ok_or("no Japanese part")?,
        );
        assert_eq!(en < ja, english_first, "{email}: {mail}");
    }

    // A language Kensa does not write is refused, naming the line and the column.
    let bad = "name,contact_email,contact_locale\nX,x@example.com,fr\n";
    let refused = import(&app, token, bad.as_bytes().to_vec()).await?;
    refused.assert_problem(422, "import_rejected");
    assert!(refused.body.to_string().contains("contact_locale"), "{}", refused.body);
    Ok(())
}
