//! `If-Match` on every resource that has a version (suppliers, templates, assessments with
//! their answers, submission, review, cancellation and evidence): a stale one is 412, also
//! when the race is lost inside the transaction; a malformed one 400; none at all 428 where
//! the deployment requires it. Responses carry `ETag`.

use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Member, Reply, TestApp, TestResult, spawn_app, spawn_app_with};

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec()
}

async fn with_if_match(
    app: &TestApp,
    method: Method,
    path: &str,
    member: &Member,
    if_match: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let headers: Vec<(&str, &str)> = if_match.map(|v| ("if-match", v)).into_iter().collect();
    app.send_with(method, path, Some(&member.access_token), &headers, body).await
}

async fn upload(app: &TestApp, member: &Member, id: &str, if_match: Option<&str>) -> Result<Reply, reqwest::Error> {
    let form = Form::new().part("file", Part::bytes(pdf()).file_name("policy.pdf").mime_str("application/pdf")?);
    let mut req =
        app.client.post(app.url(&format!("/api/v1/assessments/{id}/evidence"))).bearer_auth(&member.access_token);
    if let Some(v) = if_match {
        req = req.header("if-match", v);
    }
    Ok(TestApp::read(req.multipart(form).send().await?).await)
}

fn etag(reply: &Reply) -> String {
    reply.header("etag").to_owned()
}

/// A custom template (a clone of the built-in): (id, ETag).
async fn custom_template(app: &TestApp, buyer: &Member) -> (String, String) {
    let builtin = app.builtin_template(buyer).await;
    let clone = app.post(&format!("/api/v1/templates/{builtin}/clone"), Some(&buyer.access_token), json!({})).await;
    assert_eq!(clone.status, StatusCode::CREATED, "{}", clone.body);
    (clone.body["id"].as_str().unwrap_or_default().to_owned(), etag(&clone))
}

#[tokio::test]
async fn a_supplier_patch_with_a_stale_if_match_is_412_and_the_current_one_succeeds() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let (id, _) = app.create_supplier(&buyer, "Tokai Seiki", 1).await;
    let path = format!("/api/v1/suppliers/{id}");
    let read = app.get(&path, Some(&buyer.access_token)).await;
    assert_eq!(etag(&read), "\"1\"");
    assert_eq!(read.body["version"], 1);

    let stale =
        with_if_match(&app, Method::PATCH, &path, &buyer, Some("\"99\""), Some(json!({ "tier": "tier2" }))).await;
    stale.assert_problem(412, "precondition_failed");
    let ok = with_if_match(&app, Method::PATCH, &path, &buyer, Some("\"1\""), Some(json!({ "tier": "tier2" }))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(etag(&ok), "\"2\"");
    assert_eq!(ok.body["version"], 2);
    // The version the first write left is stale now.
    with_if_match(&app, Method::PATCH, &path, &buyer, Some("\"1\""), Some(json!({ "tier": "tier3" })))
        .await
        .assert_problem(412, "precondition_failed");
    with_if_match(&app, Method::PATCH, &path, &buyer, Some("yesterday"), Some(json!({ "tier": "tier3" })))
        .await
        .assert_problem(400, "bad_request");
    let any = with_if_match(&app, Method::PATCH, &path, &buyer, Some("*"), Some(json!({ "tier": "tier3" }))).await;
    assert_eq!(any.status, StatusCode::OK, "* matches any version");

    with_if_match(&app, Method::DELETE, &path, &buyer, Some("\"2\""), None)
        .await
        .assert_problem(412, "precondition_failed");
    let deleted = with_if_match(&app, Method::DELETE, &path, &buyer, Some("\"3\""), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    Ok(())
}

#[tokio::test]
async fn a_template_edit_moves_its_version_and_honours_if_match() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let (id, tag) = custom_template(&app, &buyer).await;
    assert_eq!(tag, "\"1\"");
    let path = format!("/api/v1/templates/{id}");
    assert_eq!(etag(&app.get(&path, Some(&buyer.access_token)).await), "\"1\"");
    with_if_match(&app, Method::PATCH, &path, &buyer, Some("\"99\""), Some(json!({ "name": "Ours" })))
        .await
        .assert_problem(412, "precondition_failed");
    let ok = with_if_match(&app, Method::PATCH, &path, &buyer, Some("\"1\""), Some(json!({ "name": "Ours" }))).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!((etag(&ok).as_str(), &ok.body["version"]), ("\"2\"", &json!(2)));
    // Without If-Match the edit applies to what is there (last writer wins, as before).
    let blind = app.patch(&path, Some(&buyer.access_token), json!({ "name_en": "Ours" })).await;
    assert_eq!(blind.status, StatusCode::OK, "{}", blind.body);
    assert_eq!((blind.body["name"].as_str(), &blind.body["version"]), (Some("Ours"), &json!(3)));
    Ok(())
}

#[tokio::test]
async fn every_assessment_write_refuses_a_stale_if_match() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &id).await;
    let base = format!("/api/v1/assessments/{id}");
    let stale = Some("\"99\"");
    let answer = json!({ "status": "implemented" });

    let put = format!("{base}/answers/{}", scope[0]);
    with_if_match(&app, Method::PUT, &put, &supplier, stale, Some(answer.clone()))
        .await
        .assert_problem(412, "precondition_failed");
    let bulk = json!({ "answers": [{ "no": scope[0], "status": "implemented" }] });
    with_if_match(&app, Method::POST, &format!("{base}/answers"), &supplier, stale, Some(bulk))
        .await
        .assert_problem(412, "precondition_failed");
    upload(&app, &supplier, &id, stale).await?.assert_problem(412, "precondition_failed");
    let saved = upload(&app, &supplier, &id, Some("\"1\"")).await?;
    assert_eq!(saved.status, StatusCode::CREATED, "{}", saved.body);
    assert_eq!(etag(&saved), "\"2\"", "an upload moves the assessment's version");
    let file = format!("{base}/evidence/{}", saved.body["id"].as_str().unwrap_or_default());
    with_if_match(&app, Method::DELETE, &file, &supplier, Some("\"1\""), None)
        .await
        .assert_problem(412, "precondition_failed");
    let removed = with_if_match(&app, Method::DELETE, &file, &supplier, Some("\"2\""), None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(etag(&removed), "\"3\"");

    let all = app.answer_all(&supplier, &id).await;
    assert_eq!(all.status, StatusCode::OK);
    let current = etag(&all);
    with_if_match(&app, Method::POST, &format!("{base}/submit"), &supplier, stale, None)
        .await
        .assert_problem(412, "precondition_failed");
    let submitted = with_if_match(&app, Method::POST, &format!("{base}/submit"), &supplier, Some(&current), None).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    let review = json!({ "decision": "request_changes", "comment": "More detail" });
    with_if_match(&app, Method::POST, &format!("{base}/review"), &buyer, Some(&current), Some(review.clone()))
        .await
        .assert_problem(412, "precondition_failed");
    let reviewed =
        with_if_match(&app, Method::POST, &format!("{base}/review"), &buyer, Some(&etag(&submitted)), Some(review))
            .await;
    assert_eq!(reviewed.status, StatusCode::OK, "{}", reviewed.body);
    with_if_match(&app, Method::POST, &format!("{base}/cancel"), &buyer, Some(&etag(&submitted)), None)
        .await
        .assert_problem(412, "precondition_failed");
    let cancelled =
        with_if_match(&app, Method::POST, &format!("{base}/cancel"), &buyer, Some(&etag(&reviewed)), None).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    Ok(())
}

/// With `KENSA_REQUIRE_IF_MATCH=true`, every write to a versioned resource without
/// `If-Match` is 428; `*` or the current version passes.
#[tokio::test]
async fn a_server_that_requires_if_match_answers_428_without_it() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_REQUIRE_IF_MATCH".into(), "true".into());
    })
    .await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &id).await;
    let (supplier_id, _) = app.create_supplier(&buyer, "Other Parts", 1).await;
    let (template, _) = custom_template(&app, &buyer).await;
    let base = format!("/api/v1/assessments/{id}");
    let cases: Vec<(&Member, Method, String, Option<Value>)> = vec![
        (&buyer, Method::PATCH, format!("/api/v1/suppliers/{supplier_id}"), Some(json!({ "tier": "t2" }))),
        (&buyer, Method::DELETE, format!("/api/v1/suppliers/{supplier_id}"), None),
        (&buyer, Method::PATCH, format!("/api/v1/templates/{template}"), Some(json!({ "name": "Ours" }))),
        (&supplier, Method::PUT, format!("{base}/answers/{}", scope[0]), Some(json!({ "status": "implemented" }))),
        (
            &supplier,
            Method::POST,
            format!("{base}/answers"),
            Some(json!({ "answers": [{ "no": scope[0], "status": "implemented" }] })),
        ),
        (&supplier, Method::POST, format!("{base}/submit"), None),
        (&buyer, Method::POST, format!("{base}/review"), Some(json!({ "decision": "accept" }))),
        (&buyer, Method::POST, format!("{base}/cancel"), None),
    ];
    for (member, method, path, body) in cases {
        let reply = with_if_match(&app, method.clone(), &path, member, None, body).await;
        reply.assert_problem(428, "precondition_required");
        assert!(reply.body["detail"].as_str().is_some_and(|d| d.contains("If-Match")), "{method} {path}");
    }
    upload(&app, &supplier, &id, None).await?.assert_problem(428, "precondition_required");

    let put = format!("{base}/answers/{}", scope[0]);
    let current = etag(&app.get(&base, Some(&supplier.access_token)).await);
    let ok =
        with_if_match(&app, Method::PUT, &put, &supplier, Some(&current), Some(json!({ "status": "implemented" })))
            .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let any =
        with_if_match(&app, Method::PUT, &put, &supplier, Some("*"), Some(json!({ "status": "implemented" }))).await;
    assert_eq!(any.status, StatusCode::OK, "{}", any.body);
    let file = upload(&app, &supplier, &id, Some("*")).await?;
    assert_eq!(file.status, StatusCode::CREATED, "{}", file.body);
    let evidence = format!("{base}/evidence/{}", file.body["id"].as_str().unwrap_or_default());
    with_if_match(&app, Method::DELETE, &evidence, &supplier, None, None)
        .await
        .assert_problem(428, "precondition_required");
    Ok(())
}

/// Writers racing with the same `If-Match`: one wins, every other one is 412, whether it
/// lost before its transaction or inside it. Never two winners, never a 409.
#[tokio::test]
async fn writers_racing_with_the_same_if_match_get_one_success_and_412s() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, id) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &id).await;
    let (app, supplier, id) = (&app, &supplier, &id);
    let replies = futures_util::future::join_all(scope.iter().take(8).map(|no| async move {
        let path = format!("/api/v1/assessments/{id}/answers/{no}");
        with_if_match(app, Method::PUT, &path, supplier, Some("\"1\""), Some(json!({ "status": "implemented" }))).await
    }))
    .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    for reply in replies.iter().filter(|r| r.status != StatusCode::OK) {
        reply.assert_problem(412, "precondition_failed");
    }
    let after = app.get(&format!("/api/v1/assessments/{id}"), Some(&supplier.access_token)).await;
    assert_eq!(after.body["version"], 2);
    assert_eq!(after.body["progress"]["answered"], 1);

    // Suppliers too.
    let buyer = app.signup("Buyer Two").await;
    let (sid, _) = app.create_supplier(&buyer, "Tokai", 1).await;
    let tiers = ["a", "b", "c", "d", "e", "f"];
    let path = format!("/api/v1/suppliers/{sid}");
    let replies =
        futures_util::future::join_all(tiers.iter().map(|tier| {
            with_if_match(app, Method::PATCH, &path, &buyer, Some("\"1\""), Some(json!({ "tier": tier })))
        }))
        .await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 412), "{statuses:?}");
    Ok(())
}

/// Colleagues answering different items at the same moment, without `If-Match`: every save
/// succeeds (no spurious 409), each moves the version once, and history has each change.
#[tokio::test]
async fn concurrent_saves_of_different_answers_without_if_match_all_succeed() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, id) = app.invited_supplier(1).await;
    let colleague = app.add_member(&supplier, "respondent").await;
    let scope = app.scope_of(&supplier, &id).await;
    let items: Vec<u64> = scope.iter().take(12).copied().collect();
    let (app, id) = (&app, &id);
    let replies = futures_util::future::join_all(items.iter().enumerate().map(|(i, no)| {
        let member = if i % 2 == 0 { &supplier } else { &colleague };
        async move {
            let path = format!("/api/v1/assessments/{id}/answers/{no}");
            let body = json!({ "status": "implemented", "comment": format!("by {i}") });
            app.request(Method::PUT, &path, Some(&member.access_token), Some(body)).await
        }
    }))
    .await;
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let mut versions: Vec<i64> = replies.iter().filter_map(|r| r.body["version"].as_i64()).collect();
    versions.sort_unstable();
    assert_eq!(versions, (2..2 + items.len() as i64).collect::<Vec<_>>(), "one step each, none lost");
    let after = app.get(&format!("/api/v1/assessments/{id}"), Some(&supplier.access_token)).await;
    assert_eq!(after.body["status"], "in_progress");
    assert_eq!(after.body["version"], 1 + items.len());
    assert_eq!(after.body["progress"]["answered"], items.len());
    let history = app.get(&format!("/api/v1/assessments/{id}/history?limit=200"), Some(&supplier.access_token)).await;
    let events = history.body["data"].as_array().ok_or("history")?;
    assert_eq!(events.iter().filter(|e| e["kind"] == "answer_changed").count(), items.len());
    assert_eq!(events.iter().filter(|e| e["kind"] == "status_changed").count(), 1, "sent → in_progress once");
    Ok(())
}
