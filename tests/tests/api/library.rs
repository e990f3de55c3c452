//! The supplier's answer library: filled by a submission, edited as a draft profile, and
//! prefilling any buyer's next assessment with a per-item comparison against what that
//! buyer last received.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, TestResult, spawn_app};
use crate::web_client::Visitor;

fn items(reply: &Value) -> Vec<Value> {
    reply["items"].as_array().cloned().unwrap_or_default()
}

fn item(plan: &Value, no: u64) -> Value {
    items(plan).into_iter().find(|i| i["no"] == no).unwrap_or(Value::Null)
}

/// Answers every in-scope item: `first` partially implemented with a plan, the rest
/// implemented; then submits.
async fn answer_and_submit(app: &TestApp, supplier: &Member, assessment: &str, scope: &[u64]) {
    let answers: Vec<Value> = scope
        .iter()
        .map(|no| match *no == scope[0] {
            true => json!({ "no": no, "status": "partially_implemented", "remediation_plan": "Roll out MFA",
                            "remediation_due": crate::helpers::due_in(90) }),
            false => json!({ "no": no, "status": "implemented" }),
        })
        .collect();
    let path = format!("/api/v1/assessments/{assessment}/answers");
    let saved = app.post(&path, Some(&supplier.access_token), json!({ "answers": answers })).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let submitted =
        app.post(&format!("/api/v1/assessments/{assessment}/submit"), Some(&supplier.access_token), json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
}

/// Uploads a small PDF named `name` as evidence for item `no`.
async fn upload_for_item(
    app: &TestApp,
    supplier: &Member,
    assessment: &str,
    no: u64,
    name: &str,
) -> Result<crate::helpers::Reply, Box<dyn std::error::Error>> {
    let file = reqwest::multipart::Part::bytes(format!("%PDF-1.4 {name}").into_bytes())
        .file_name(name.to_owned())
        .mime_str("application/pdf")?;
    let form = reqwest::multipart::Form::new().text("item_no", no.to_string()).part("file", file);
    let sent = app
        .client
        .post(app.url(&format!("/api/v1/assessments/{assessment}/evidence")))
        .bearer_auth(&supplier.access_token)
        .multipart(form)
        .send()
        .await?;
    Ok(TestApp::read(sent).await)
}

/// A second buyer sends the built-in sheet to the same supplier organization, which links
/// it to its account: the new assessment's id.
#[tokio::test]
async fn the_assessment_page_offers_the_librarys_answers_and_fills_them_in() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, first) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &first).await;
    answer_and_submit(&app, &supplier, &first, &scope).await;
    let other = second_buyers_assessment(&app, &supplier).await;
    let mut page = Visitor::signed_in(&app, &supplier.email, "en").await;
    let path = format!("/assessments/{other}");
    let sheet = page.get(&path).await;
    assert!(sheet.html.contains("prefill-form"), "{}", sheet.html);
    assert!(sheet.html.contains(&format!("Never answered to this buyer: {}", scope.len())), "{}", sheet.html);
    let done = page.submit(&path, &format!("{path}/prefill"), &[]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert!(done.location().ends_with("done=prefilled"), "{}", done.location());
    let s = Some(supplier.access_token.as_str());
    let questions = app.get(&format!("/api/v1/assessments/{other}/questions?limit=200"), s).await;
    let carried = questions.body["data"]
        .as_array()
        .map(|q| q.iter().filter(|q| q["answer"]["carried_over"] == true).count())
        .unwrap_or_default();
    assert_eq!(carried, scope.len(), "every item waits for confirmation");
    // Nothing more to fill in: the offer is gone.
    assert!(!page.get(&path).await.html.contains("prefill-form"));
    Ok(())
}

async fn second_buyers_assessment(app: &TestApp, supplier: &Member) -> String {
    let buyer = app.signup("Second Motors").await;
    let (record, email) = app.create_supplier(&buyer, "Parts Co", 1).await;
    let campaign = app.create_campaign(&buyer, std::slice::from_ref(&record), None).await;
    app.run_worker().await;
    let token = app.supplier_token_for(&email);
    let linked =
        app.post(&format!("/api/v1/invitations/{token}/accept"), Some(&supplier.access_token), json!({})).await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.body);
    campaign["assessments"][0]["id"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_submission_fills_the_library_which_prefills_the_next_assessment_of_any_buyer() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, first) = app.invited_supplier(1).await;
    let s = Some(supplier.access_token.as_str());
    let scope = app.scope_of(&supplier, &first).await;
    let (lead, second_item) = (scope[0], scope[1]);
    let uploaded = upload_for_item(&app, &supplier, &first, lead, "mfa.pdf").await?;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    answer_and_submit(&app, &supplier, &first, &scope).await;

    // The submission is in the library, with the evidence of its item.
    let builtin = app.builtin_template(&supplier).await;
    let library = app.get(&format!("/api/v1/library/{builtin}"), s).await;
    assert_eq!(library.status, StatusCode::OK, "{}", library.body);
    assert_eq!(items(&library.body).len(), scope.len());
    let lead_entry = item(&library.body, lead);
    assert_eq!(lead_entry["status"], "partially_implemented");
    assert_eq!(lead_entry["remediation_plan"], "Roll out MFA");
    assert_eq!(lead_entry["source_assessment_id"], first.as_str());
    assert_eq!(lead_entry["evidence"][0]["file_name"], "mfa.pdf");
    // The library's lines: the built-in sheet's, with every submitted item.
    let lines = app.get("/api/v1/library", s).await;
    assert_eq!(lines.status, StatusCode::OK, "{}", lines.body);
    assert_eq!(lines.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(lines.body["data"][0]["template_id"], builtin.as_str());
    assert_eq!(lines.body["data"][0]["items"], scope.len());

    // Edited as a draft profile: checked like an answer, then kept without a source.
    let path = format!("/api/v1/library/{builtin}/items/{second_item}");
    let refused = app.request(reqwest::Method::PUT, &path, s, Some(json!({ "status": "not_applicable" }))).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.body["errors"][0]["field"], "reason", "{}", refused.body);
    let edited = app
        .request(reqwest::Method::PUT, &path, s, Some(json!({ "status": "not_applicable", "reason": "No plants" })))
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert!(edited.body["source_assessment_id"].is_null());
    let unknown = format!("/api/v1/library/{builtin}/items/9999");
    app.request(reqwest::Method::PUT, &unknown, s, Some(json!({ "status": "implemented" })))
        .await
        .assert_problem(404, "not_found");

    // Another buyer's new assessment: everything is new to that buyer.
    let other = second_buyers_assessment(&app, &supplier).await;
    let preview = app.get(&format!("/api/v1/assessments/{other}/prefill"), s).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(items(&preview.body).len(), scope.len());
    assert!(items(&preview.body).iter().all(|i| i["change"] == "new" && i["action"] == "prefill"), "{}", preview.body);
    assert!(preview.body["last_given_in"].is_null());
    assert_eq!(preview.body["prefilled"], 0);
    let untouched = app.get(&format!("/api/v1/assessments/{other}/questions"), s).await;
    let answered =
        untouched.body["data"].as_array().ok_or("questions")?.iter().filter(|q| !q["answer"].is_null()).count();
    assert_eq!(answered, 0, "a preview writes nothing");

    let prefilled = app.post(&format!("/api/v1/assessments/{other}/prefill"), s, json!({})).await;
    assert_eq!(prefilled.status, StatusCode::OK, "{}", prefilled.body);
    assert_eq!(prefilled.body["prefilled"].as_u64(), Some(scope.len() as u64));
    assert_eq!(prefilled.header("etag"), format!("\"{}\"", prefilled.body["version"]));
    let questions = app.get(&format!("/api/v1/assessments/{other}/questions"), s).await;
    let answers: Vec<&Value> =
        questions.body["data"].as_array().ok_or("questions")?.iter().map(|q| &q["answer"]).collect();
    assert!(answers.iter().all(|a| a["carried_over"] == true), "prefilled answers wait for confirmation");
    let second_answer = answers.iter().find(|a| a["no"] == second_item).ok_or("second item")?;
    assert_eq!(second_answer["reason"], "No plants", "the library's edit, not the submission");
    let evidence = app.get(&format!("/api/v1/assessments/{other}/evidence"), s).await;
    assert_eq!(evidence.body["data"][0]["file_name"], "mfa.pdf", "{}", evidence.body);
    assert_eq!(evidence.body["data"][0]["item_no"], lead);
    let download = app
        .get(
            &format!(
                "/api/v1/assessments/{other}/evidence/{}",
                evidence.body["data"][0]["id"].as_str().unwrap_or_default()
            ),
            s,
        )
        .await;
    assert_eq!(download.status, StatusCode::OK, "the copied evidence downloads");
    app.post(&format!("/api/v1/assessments/{other}/submit"), s, json!({}))
        .await
        .assert_problem(422, "assessment_incomplete");

    // Prefilled again, nothing is written: the confirmed answer is kept, the carried-over
    // ones are already the library's, and the evidence is not copied twice.
    let confirm = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/assessments/{other}/answers/{lead}"),
            s,
            Some(json!({ "status": "implemented" })),
        )
        .await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    let again = app.post(&format!("/api/v1/assessments/{other}/prefill"), s, json!({})).await;
    assert_eq!(item(&again.body, lead)["action"], "keep_answer", "{}", again.body);
    assert_eq!(again.body["prefilled"], 0, "{}", again.body);
    assert_eq!(again.body["version"], confirm.body["version"], "nothing written, no new version");
    let evidence = app.get(&format!("/api/v1/assessments/{other}/evidence"), s).await;
    assert_eq!(evidence.body["data"].as_array().map(Vec::len), Some(1));

    // The first buyer accepts and opens next year's review: compared with what that buyer
    // received, only the item edited in the library changed.
    let b = Some(buyer.access_token.as_str());
    let accepted = app.post(&format!("/api/v1/assessments/{first}/review"), b, json!({ "decision": "accept" })).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    let record = app.get("/api/v1/suppliers", b).await.body["data"][0]["id"].as_str().unwrap_or_default().to_owned();
    let review = app.post(&format!("/api/v1/suppliers/{record}/reviews"), b, json!({})).await;
    assert_eq!(review.status, StatusCode::CREATED, "{}", review.body);
    let next = review.body["id"].as_str().ok_or("review id")?;
    let preview = app.get(&format!("/api/v1/assessments/{next}/prefill"), s).await;
    assert_eq!(preview.body["last_given_in"], first.as_str(), "{}", preview.body);
    let changed: Vec<u64> =
        items(&preview.body).iter().filter(|i| i["change"] == "changed").filter_map(|i| i["no"].as_u64()).collect();
    assert_eq!(changed, vec![second_item]);
    let second = item(&preview.body, second_item);
    assert_eq!(second["last_given"]["status"], "implemented");
    assert_eq!(second["library"]["status"], "not_applicable");
    assert!(items(&preview.body).iter().filter(|i| i["no"] != second_item).all(|i| i["change"] == "unchanged"));
    Ok(())
}

#[tokio::test]
async fn only_the_supplier_organizations_keepers_see_its_library() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &assessment).await;
    answer_and_submit(&app, &supplier, &assessment, &scope).await;
    let builtin = app.builtin_template(&supplier).await;
    let library = format!("/api/v1/library/{builtin}");

    // The buyer side of the assessment reads it but not the supplier's library or prefill.
    let b = Some(buyer.access_token.as_str());
    assert_eq!(items(&app.get(&library, b).await.body).len(), 0, "the buyer's own library is empty");
    app.get(&format!("/api/v1/assessments/{assessment}/prefill"), b).await.assert_problem(403, "forbidden");
    // A stranger: its own, empty library; nothing of the assessment.
    let stranger = app.signup("Stranger KK").await;
    let x = Some(stranger.access_token.as_str());
    assert_eq!(items(&app.get(&library, x).await.body).len(), 0);
    app.get(&format!("/api/v1/assessments/{assessment}/prefill"), x).await.assert_problem(404, "not_found");
    app.post(&format!("/api/v1/assessments/{assessment}/prefill"), x, json!({})).await.assert_problem(404, "not_found");
    // A template nobody showed the stranger is not found.
    let clone = app.post(&format!("/api/v1/templates/{builtin}/clone"), b, json!({})).await;
    let own = clone.body["id"].as_str().ok_or("clone")?;
    app.get(&format!("/api/v1/library/{own}"), x).await.assert_problem(404, "not_found");
    // A supplier viewer or reviewer does not keep the library.
    let viewer = app.add_member(&supplier, "viewer").await;
    app.get(&library, Some(&viewer.access_token)).await.assert_problem(403, "forbidden");
    let respondent = app.add_member(&supplier, "respondent").await;
    assert_eq!(items(&app.get(&library, Some(&respondent.access_token)).await.body).len(), scope.len());
    // Removing an item removes it; removing it again is not found.
    let entry = format!("{library}/items/{}", scope[0]);
    assert_eq!(app.delete(&entry, Some(&supplier.access_token)).await.status, StatusCode::NO_CONTENT);
    app.delete(&entry, Some(&supplier.access_token)).await.assert_problem(404, "not_found");
    assert_eq!(items(&app.get(&library, Some(&supplier.access_token)).await.body).len(), scope.len() - 1);
    Ok(())
}

#[tokio::test]
async fn graphql_reads_edits_and_prefills_through_the_same_services() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, first) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &first).await;
    answer_and_submit(&app, &supplier, &first, &scope).await;
    let builtin = app.builtin_template(&supplier).await;
    let s = Some(supplier.access_token.as_str());
    let read = app.graphql(s, &format!(r#"{{ library(templateId: "{builtin}") {{ items {{ no status }} }} }}"#)).await;
    assert_eq!(read.body["data"]["library"]["items"].as_array().map(Vec::len), Some(scope.len()), "{}", read.body);
    let no = scope[1];
    let saved = app
        .graphql(
            s,
            &format!(
                r#"mutation {{ saveLibraryAnswer(templateId: "{builtin}", no: {no}, input: {{ status: NOT_APPLICABLE }}) {{ no }} }}"#
            ),
        )
        .await;
    assert_eq!(saved.body["errors"][0]["extensions"]["code"], "validation_failed", "{}", saved.body);
    let other = second_buyers_assessment(&app, &supplier).await;
    let preview = app
        .graphql(s, &format!(r#"{{ prefillPreview(assessmentId: "{other}") {{ items {{ no action change }} }} }}"#))
        .await;
    let planned = preview.body["data"]["prefillPreview"]["items"].as_array().ok_or("items")?;
    assert!(planned.iter().all(|i| i["action"] == "PREFILL" && i["change"] == "NEW"), "{}", preview.body);
    let done = app
        .graphql(s, &format!(r#"mutation {{ prefillAssessment(assessmentId: "{other}") {{ prefilled version }} }}"#))
        .await;
    assert_eq!(done.body["data"]["prefillAssessment"]["prefilled"].as_u64(), Some(scope.len() as u64), "{}", done.body);
    let removed =
        app.graphql(s, &format!(r#"mutation {{ deleteLibraryAnswer(templateId: "{builtin}", no: {no}) }}"#)).await;
    assert_eq!(removed.body["data"]["deleteLibraryAnswer"], true, "{}", removed.body);
    Ok(())
}

#[tokio::test]
async fn a_stored_file_stays_while_a_library_names_it_and_goes_with_the_last_name() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, first) = app.invited_supplier(1).await;
    let s = Some(supplier.access_token.as_str());
    let scope = app.scope_of(&supplier, &first).await;
    let uploaded = upload_for_item(&app, &supplier, &first, scope[0], "kept.pdf").await?;
    let evidence = uploaded.body["id"].as_str().ok_or("evidence id")?.to_owned();
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    // Where the upload stored the file (`assessments::evidence`: assessment/evidence).
    let key = format!("{first}/{evidence}");
    assert!(app.kensa.evidence_store.get(&key).await.is_ok(), "the upload is stored under {key}");
    answer_and_submit(&app, &supplier, &first, &scope).await;
    let changes = json!({ "decision": "request_changes", "comment": "Please check" });
    let sent_back = app.post(&format!("/api/v1/assessments/{first}/review"), Some(&buyer.access_token), changes).await;
    assert_eq!(sent_back.status, StatusCode::OK, "{}", sent_back.body);

    // Removed from the assessment, the file stays: the library still names it.
    let path = format!("/api/v1/assessments/{first}/evidence/{evidence}");
    assert_eq!(app.delete(&path, s).await.status, StatusCode::NO_CONTENT);
    assert!(app.kensa.evidence_store.get(&key).await.is_ok(), "the library's file was removed");
    // Submitted again without it, nothing names the file any more: it goes.
    let resubmitted = app.post(&format!("/api/v1/assessments/{first}/submit"), s, json!({})).await;
    assert_eq!(resubmitted.status, StatusCode::OK, "{}", resubmitted.body);
    let builtin = app.builtin_template(&supplier).await;
    let library = app.get(&format!("/api/v1/library/{builtin}"), s).await;
    assert_eq!(item(&library.body, scope[0])["evidence"], json!([]), "{}", library.body);
    assert!(app.kensa.evidence_store.get(&key).await.is_err(), "a file nothing names was kept");
    Ok(())
}

#[tokio::test]
async fn the_library_pages_show_a_line_of_a_buyers_own_checklist() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, _) = app.invited_supplier(1).await;
    let b = Some(buyer.access_token.as_str());
    let builtin = app.builtin_template(&buyer).await;
    let clone =
        app.post(&format!("/api/v1/templates/{builtin}/clone"), b, json!({ "name": "Buyer Motors sheet" })).await;
    assert_eq!(clone.status, StatusCode::CREATED, "{}", clone.body);
    let own = clone.body["id"].as_str().ok_or("clone")?.to_owned();
    let record = app.get("/api/v1/suppliers", b).await.body["data"][0]["id"].clone();
    let body = json!({ "name": "Own sheet", "template_id": own, "due_date": crate::helpers::due_in(30), "supplier_ids": [record] });
    let campaign = app.post("/api/v1/campaigns", b, body).await;
    assert_eq!(campaign.status, StatusCode::CREATED, "{}", campaign.body);
    let assessment = campaign.body["assessments"][0]["id"].as_str().ok_or("assessment")?.to_owned();
    let scope = app.scope_of(&supplier, &assessment).await;
    answer_and_submit(&app, &supplier, &assessment, &scope).await;

    // The supplier's library page lists the line by the version it was sent and opens it.
    let mut page = Visitor::signed_in(&app, &supplier.email, "en").await;
    let lines = page.get("/library").await;
    assert!(
        lines.html.contains(&format!("/library/{own}")) && lines.html.contains("Buyer Motors sheet"),
        "{}",
        lines.html
    );
    let line = page.get(&format!("/library/{own}")).await;
    assert_eq!(line.status, StatusCode::OK, "{}", line.html);
    assert!(line.html.contains(&format!(r#"id="item-{}""#, scope[0])), "{}", line.html);
    // In English with the Japanese original one click away (the copy kept the translation).
    let questions = app.get(&format!("/api/v1/assessments/{assessment}/questions"), Some(&supplier.access_token)).await;
    let first = &questions.body["data"][0];
    let (ja, en) = (first["question"].as_str().ok_or("ja")?, first["question_en"].as_str().ok_or("en")?);
    let card = line.html.split("<article").find(|a| a.contains(&format!(r#"id="item-{}""#, scope[0]))).unwrap_or("");
    let escaped = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    assert!(card.contains(&escaped(en)), "{card}");
    assert!(card.contains(r#"<details class="original">"#) && card.contains(&escaped(ja)), "{card}");
    // A stranger's library has no such line, and the page is not found for it.
    let stranger = app.signup("Stranger KK").await;
    let mut other = Visitor::signed_in(&app, &stranger.email, "en").await;
    assert_eq!(other.get(&format!("/library/{own}")).await.status, StatusCode::NOT_FOUND);
    Ok(())
}
