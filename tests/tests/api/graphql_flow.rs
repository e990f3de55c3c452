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
        "mutation($i: SupplierInput!) { createSupplier(input: $i) { id name targetLevel } }",
        json!({ "i": { "name": "GQL Parts", "contactEmail": email, "targetLevel": 1 } }),
    )
    .await;
    let supplier_id = ok(&created)["createSupplier"]["id"].as_str().ok_or("id")?.to_owned();
    let template = app.builtin_template(&buyer).await;
    let campaign = gql(
        &app,
        b,
        "mutation($i: CampaignInput!) { createCampaign(input: $i) { id assessmentCount assessments { id status } } }",
        json!({ "i": { "name": "GQL", "templateId": template, "dueDate": due_in(20), "supplierIds": [supplier_id] } }),
    )
    .await;
    assert_eq!(ok(&campaign)["createCampaign"]["assessments"][0]["status"], "SENT");
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
    let refused =
        gql(&app, None, "mutation($t: String!) { acceptInvitation(token: $t) { status } }", json!({ "t": token }))
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
    // The body of REST's `POST …/answers`, in GraphQL's casing.
    let answers: Vec<Value> = numbers.iter().map(|no| json!({ "no": no, "status": "IMPLEMENTED" })).collect();
    let saved = gql(
        &app,
        s,
        "mutation($id: UUID!, $i: SaveAnswersInput!) { saveAnswers(assessmentId: $id, input: $i) { version answers { no status } } }",
        json!({ "id": assessment, "i": { "answers": answers } }),
    )
    .await;
    assert_eq!(ok(&saved)["saveAnswers"]["version"], 2);
    assert_eq!(ok(&saved)["saveAnswers"]["answers"].as_array().map(Vec::len), Some(50));
    assert_eq!(ok(&saved)["saveAnswers"]["answers"][0]["status"], "IMPLEMENTED");
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
    assert_eq!(ok(&submitted)["submitAssessment"]["status"], "SUBMITTED");

    gql(
        &app,
        b,
        "mutation($id: UUID!, $i: CommentInput!) { addComment(assessmentId: $id, input: $i) { id } }",
        json!({ "id": assessment, "i": { "body": "internal note", "visibility": "INTERNAL" } }),
    )
    .await;
    let review = gql(&app, b, "mutation($id: UUID!, $i: ReviewInput!) { reviewAssessment(id: $id, input: $i) { status } }",
        json!({ "id": assessment, "i": { "decision": "REQUEST_CHANGES", "items": [{ "no": numbers[0], "comment": "Evidence?" }] } })).await;
    assert_eq!(ok(&review)["reviewAssessment"]["status"], "CHANGES_REQUESTED");
    let seen = gql(
        &app,
        s,
        "query($id: UUID!) { assessmentComments(id: $id) { nodes { body visibility } } }",
        json!({ "id": assessment }),
    )
    .await;
    let bodies: Vec<&str> = ok(&seen)["assessmentComments"]["nodes"]
        .as_array()
        .ok_or("c")?
        .iter()
        .filter_map(|c| c["body"].as_str())
        .collect();
    assert_eq!(bodies, vec!["Evidence?"], "internal comments stay with the buyer over GraphQL too");

    let refused = gql(
        &app,
        s,
        "mutation($id: UUID!, $i: ReviewInput!) { reviewAssessment(id: $id, input: $i) { status } }",
        json!({ "id": assessment, "i": { "decision": "ACCEPT" } }),
    )
    .await;
    assert_eq!(refused["errors"][0]["extensions"]["code"], "forbidden");
    let pdf = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b"%PDF-1.4 evidence");
    let upload = "mutation($id: UUID!, $c: String!, $t: String!) { uploadEvidence(assessmentId: $id, input: { fileName: \"policy.pdf\", contentType: $t, contentBase64: $c, itemNo: 1 }) { id size } }";
    let uploaded = gql(&app, s, upload, json!({ "id": assessment, "c": pdf, "t": "application/pdf" })).await;
    let evidence_id = ok(&uploaded)["uploadEvidence"]["id"].as_str().ok_or("evidence")?.to_owned();
    assert_eq!(ok(&uploaded)["uploadEvidence"]["size"], 17);
    let mismatch = gql(&app, s, upload, json!({ "id": assessment, "c": "TVo=", "t": "application/pdf" })).await;
    assert_eq!(mismatch["errors"][0]["extensions"]["code"], "validation_failed");
    let listed_evidence = gql(
        &app,
        b,
        "query($id: UUID!) { assessmentEvidence(id: $id) { nodes { fileName } } }",
        json!({ "id": assessment }),
    )
    .await;
    assert_eq!(ok(&listed_evidence)["assessmentEvidence"]["nodes"][0]["fileName"], "policy.pdf");
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
        "mutation($id: UUID!, $a: AnswerInput!) { saveAnswer(assessmentId: $id, no: 1, input: $a) { version } }",
        json!({ "id": assessment, "a": { "status": "IMPLEMENTED", "comment": "see policy.pdf" } }),
    )
    .await;
    ok(&fixed);
    ok(&gql(&app, s, "mutation($id: UUID!) { submitAssessment(id: $id) { status } }", json!({ "id": assessment }))
        .await);
    let done = gql(&app, b, "mutation($id: UUID!, $i: ReviewInput!) { reviewAssessment(id: $id, input: $i) { status progress { answered total } } }",
        json!({ "id": assessment, "i": { "decision": "ACCEPT" } })).await;
    assert_eq!(ok(&done)["reviewAssessment"]["status"], "ACCEPTED");
    assert_eq!(ok(&done)["reviewAssessment"]["progress"]["answered"], 50);

    // Evidence is locked once the buyer accepted.
    let locked = gql(&app, s, upload, json!({ "id": assessment, "c": pdf, "t": "application/pdf" })).await;
    assert_eq!(locked["errors"][0]["extensions"]["code"], "assessment_locked");

    let listed = gql(
        &app,
        b,
        "{ suppliers { nodes { name reviewStatus organizationId } } campaigns { nodes { counts } } }",
        json!({}),
    )
    .await;
    assert_eq!(ok(&listed)["suppliers"]["nodes"][0]["reviewStatus"], "ACCEPTED");
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

#[tokio::test]
async fn a_connection_pages_through_with_page_info_and_end_cursor() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Pager").await;
    let b = Some(buyer.access_token.as_str());
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(app.create_supplier(&buyer, &format!("Paged {i}"), 1).await.0);
    }
    let query = "query($after: String) { suppliers(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }";
    let (mut seen, mut after, mut pages) = (Vec::new(), Value::Null, 0);
    loop {
        let reply = gql(&app, b, query, json!({ "after": after })).await;
        let connection = &ok(&reply)["suppliers"];
        let edges = connection["edges"].as_array().ok_or("edges")?;
        assert!(edges.len() <= 2, "{reply}");
        seen.extend(edges.iter().filter_map(|e| e["node"]["id"].as_str().map(str::to_owned)));
        let info = &connection["pageInfo"];
        assert_eq!(info["hasPreviousPage"], false);
        assert_eq!(info["endCursor"], edges.last().map_or(Value::Null, |e| e["cursor"].clone()), "{reply}");
        pages += 1;
        if info["hasNextPage"] != true {
            break;
        }
        after = info["endCursor"].clone();
    }
    assert_eq!(pages, 3);
    let mut expected = created.clone();
    expected.sort();
    let mut listed = seen.clone();
    listed.sort();
    assert_eq!(listed, expected, "every supplier once");
    // An edge's cursor continues after that edge, as REST's `next_cursor` does.
    let first = gql(&app, b, query, json!({ "after": null })).await;
    let cursor = ok(&first)["suppliers"]["edges"][0]["cursor"].clone();
    let next = gql(&app, b, query, json!({ "after": cursor })).await;
    assert_eq!(ok(&next)["suppliers"]["edges"][0]["node"]["id"], seen[1].as_str());
    let rest = app.get("/api/v1/suppliers?limit=2", b).await;
    assert_eq!(rest.body["next_cursor"], ok(&first)["suppliers"]["pageInfo"]["endCursor"], "{}", rest.body);
    Ok(())
}
