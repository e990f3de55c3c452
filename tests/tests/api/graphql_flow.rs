//! The whole questionnaire flow through GraphQL alone.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, TestResult, due_in, spawn_app, unique_email};

async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    app.post("/graphql", token, json!({ "query": query, "variables": variables })).await.body
}

fn ok(reply: &Value) -> &Value {
    assert!(reply["errors"].is_null(), "GraphQL errors: {reply}");
    &reply["data"]
}

#[tokio::test]
async fn suppliers_campaigns_answers_and_review_work_over_graphql() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("GQL Buyer").await;
    let b = Some(buyer.access_token.as_str());
    let email = unique_email("gql-supplier");
    let created = gql(
        &app,
        b,
        "mutation($i: JSON!) { createSupplier(input: $i) { id name targetLevel } }",
        json!({ "i": { "name": "GQL Parts", "contact_email": email, "target_level": 1 } }),
    )
    .await;
    let supplier_id = ok(&created)["createSupplier"]["id"].as_str().ok_or("id")?.to_owned();
    let template = app.builtin_template(&buyer).await;
    let campaign = gql(&app, b, "mutation($i: JSON!) { createCampaign(input: $i) { id assessmentCount assessments { id status } } }",
        json!({ "i": { "name": "GQL", "template_id": template, "due_date": due_in(20), "supplier_ids": [supplier_id] } })).await;
    let assessment = ok(&campaign)["createCampaign"]["assessments"][0]["id"].as_str().ok_or("assessment")?.to_owned();
    app.run_worker().await;
    let token = app.supplier_token_for(&email);

    let preview = gql(
        &app,
        None,
        "query($t: String!) { invitation(token: $t) { buyerName targetLevel } }",
        json!({ "t": token }),
    )
    .await;
    assert_eq!(ok(&preview)["invitation"]["buyerName"], "GQL Buyer");
    // Anonymous GraphQL serves the preview only: a new account is made over REST.
    let new_account = json!({ "name": "Sato", "email": unique_email("s"), "password": PASSWORD, "organization_name": "GQL Parts KK" });
    let refused = gql(
        &app,
        None,
        "mutation($t: String!, $i: JSON) { acceptInvitation(token: $t, input: $i) { accessToken } }",
        json!({ "t": token, "i": new_account }),
    )
    .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "unauthenticated");
    let accepted = app.post(&format!("/api/v1/invitations/{token}/accept"), None, new_account).await;
    let supplier_token = accepted.body["access_token"].as_str().ok_or("token")?.to_owned();
    let s = Some(supplier_token.as_str());

    let questions =
        gql(&app, s, "query($id: UUID!) { assessmentQuestions(id: $id) { no level } }", json!({ "id": assessment }))
            .await;
    let numbers: Vec<u64> =
        ok(&questions)["assessmentQuestions"].as_array().ok_or("q")?.iter().filter_map(|q| q["no"].as_u64()).collect();
    assert_eq!(numbers.len(), 50);
    let answers: Vec<Value> = numbers.iter().map(|no| json!({ "no": no, "status": "implemented" })).collect();
    let saved = gql(
        &app,
        s,
        "mutation($id: UUID!, $a: JSON!) { saveAnswers(assessmentId: $id, answers: $a) { version } }",
        json!({ "id": assessment, "a": answers }),
    )
    .await;
    assert_eq!(ok(&saved)["saveAnswers"]["version"], 2);
    let stale = gql(
        &app,
        s,
        "mutation($id: UUID!) { submitAssessment(id: $id, ifMatch: 1) { status } }",
        json!({ "id": assessment }),
    )
    .await;
    assert_eq!(stale["errors"][0]["extensions"]["code"], "precondition_failed");
    let submitted = gql(
        &app,
        s,
        "mutation($id: UUID!) { submitAssessment(id: $id, ifMatch: 2) { status } }",
        json!({ "id": assessment }),
    )
    .await;
    assert_eq!(ok(&submitted)["submitAssessment"]["status"], "submitted");

    gql(
        &app,
        b,
        "mutation($id: UUID!, $i: JSON!) { addComment(assessmentId: $id, input: $i) { id } }",
        json!({ "id": assessment, "i": { "body": "internal note", "visibility": "internal" } }),
    )
    .await;
    let review = gql(&app, b, "mutation($id: UUID!, $i: JSON!) { reviewAssessment(id: $id, input: $i) { status } }",
        json!({ "id": assessment, "i": { "decision": "request_changes", "items": [{ "no": numbers[0], "comment": "Evidence?" }] } })).await;
    assert_eq!(ok(&review)["reviewAssessment"]["status"], "changes_requested");
    let seen = gql(
        &app,
        s,
        "query($id: UUID!) { assessmentComments(id: $id) { body visibility } }",
        json!({ "id": assessment }),
    )
    .await;
    let bodies: Vec<&str> =
        ok(&seen)["assessmentComments"].as_array().ok_or("c")?.iter().filter_map(|c| c["body"].as_str()).collect();
    assert_eq!(bodies, vec!["Evidence?"], "internal comments stay with the buyer over GraphQL too");

    let refused = gql(
        &app,
        s,
        "mutation($id: UUID!, $i: JSON!) { reviewAssessment(id: $id, input: $i) { status } }",
        json!({ "id": assessment, "i": { "decision": "accept" } }),
    )
    .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "forbidden");
    let pdf = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b"%PDF-1.4 evidence");
    let upload = "mutation($id: UUID!, $c: String!, $t: String!) { uploadEvidence(assessmentId: $id, fileName: \"policy.pdf\", contentType: $t, contentBase64: $c, itemNo: 1) { id size } }";
    let uploaded = gql(&app, s, upload, json!({ "id": assessment, "c": pdf, "t": "application/pdf" })).await;
    let evidence_id = ok(&uploaded)["uploadEvidence"]["id"].as_str().ok_or("evidence")?.to_owned();
    assert_eq!(ok(&uploaded)["uploadEvidence"]["size"], 17);
    let mismatch = gql(&app, s, upload, json!({ "id": assessment, "c": "TVo=", "t": "application/pdf" })).await;
    assert_eq!(mismatch["errors"][0]["extensions"]["code"], "validation_failed");
    let listed_evidence =
        gql(&app, b, "query($id: UUID!) { assessmentEvidence(id: $id) { fileName } }", json!({ "id": assessment }))
            .await;
    assert_eq!(ok(&listed_evidence)["assessmentEvidence"][0]["fileName"], "policy.pdf");
    let removed = gql(
        &app,
        s,
        "mutation($id: UUID!, $e: UUID!) { deleteEvidence(assessmentId: $id, evidenceId: $e) }",
        json!({ "id": assessment, "e": evidence_id }),
    )
    .await;
    assert_eq!(ok(&removed)["deleteEvidence"], true);
    let kept = gql(&app, s, upload, json!({ "id": assessment, "c": pdf, "t": "application/pdf" })).await;
    ok(&kept);

    let fixed = gql(
        &app,
        s,
        "mutation($id: UUID!, $a: JSON!) { saveAnswer(assessmentId: $id, no: 1, answer: $a) { version } }",
        json!({ "id": assessment, "a": { "status": "implemented", "comment": "see policy.pdf" } }),
    )
    .await;
    ok(&fixed);
    ok(&gql(&app, s, "mutation($id: UUID!) { submitAssessment(id: $id) { status } }", json!({ "id": assessment }))
        .await);
    let done = gql(&app, b, "mutation($id: UUID!, $i: JSON!) { reviewAssessment(id: $id, input: $i) { status progress { answered total } } }",
        json!({ "id": assessment, "i": { "decision": "accept" } })).await;
    assert_eq!(ok(&done)["reviewAssessment"]["status"], "accepted");
    assert_eq!(ok(&done)["reviewAssessment"]["progress"]["answered"], 50);

    // Evidence is locked once the buyer accepted.
    let locked = gql(&app, s, upload, json!({ "id": assessment, "c": pdf, "t": "application/pdf" })).await;
    assert_eq!(locked["errors"][0]["extensions"]["code"], "assessment_locked");

    let listed = gql(
        &app,
        b,
        "{ suppliers { data { name reviewStatus organizationId } } campaigns { data { counts } } }",
        json!({}),
    )
    .await;
    assert_eq!(ok(&listed)["suppliers"]["data"][0]["reviewStatus"], "accepted");
    let stranger = app.signup("Stranger").await;
    let hidden = gql(
        &app,
        Some(&stranger.access_token),
        "query($id: UUID!) { assessment(id: $id) { id } }",
        json!({ "id": assessment }),
    )
    .await;
    assert_eq!(hidden["errors"][0]["extensions"]["code"], "not_found");
    Ok(())
}
