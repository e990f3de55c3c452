//! What integrators rely on over GraphQL as over REST: `idempotencyKey` on creating
//! mutations, `updatedSince` on the lists, and closed sets as enums.

use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, TestResult, due_in, spawn_app, unique_email};

async fn gql(app: &TestApp, member: &Member, query: &str, variables: Value) -> Value {
    app.post("/graphql", Some(&member.access_token), json!({ "query": query, "variables": variables })).await.body
}

const CREATE_CAMPAIGN: &str =
    "mutation($i: CampaignInput!, $k: String) { createCampaign(input: $i, idempotencyKey: $k) { id name } }";

#[tokio::test]
async fn a_retried_create_campaign_with_its_key_returns_the_first_and_mails_once() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let (supplier, mail) = app.create_supplier(&buyer, "Parts A", 1).await;
    let template = app.builtin_template(&buyer).await;
    let input = json!({ "name": "FY2026", "templateId": template, "dueDate": due_in(30), "supplierIds": [supplier] });

    let first = gql(&app, &buyer, CREATE_CAMPAIGN, json!({ "i": input, "k": "gql-campaign-1" })).await;
    let retry = gql(&app, &buyer, CREATE_CAMPAIGN, json!({ "i": input, "k": "gql-campaign-1" })).await;
    assert!(first["errors"].is_null(), "{first}");
    assert_eq!(retry["data"], first["data"], "the first result again");

    let listed = app.get("/api/v1/campaigns", Some(&buyer.access_token)).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1), "one campaign");
    app.run_worker().await;
    assert_eq!(app.mails_to(&mail).len(), 1, "the supplier is mailed once");

    // The same key with other input is refused, naming the argument; nothing is created.
    let other = json!({ "name": "FY2027", "templateId": template, "dueDate": due_in(30), "supplierIds": [supplier] });
    let reused = gql(&app, &buyer, CREATE_CAMPAIGN, json!({ "i": other, "k": "gql-campaign-1" })).await;
    assert_eq!(reused["errors"][0]["extensions"]["code"], "idempotency_key_reused", "{reused}");
    assert_eq!(reused["errors"][0]["extensions"]["status"], 422);
    let listed = app.get("/api/v1/campaigns", Some(&buyer.access_token)).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1));
    Ok(())
}

#[tokio::test]
async fn graphql_keys_are_per_organization_and_never_replay_a_rest_request() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let other = app.signup("Other Motors").await;
    let query = "mutation($i: SupplierInput!, $k: String) { createSupplier(input: $i, idempotencyKey: $k) { id } }";
    let input = json!({ "name": "Parts", "contactEmail": unique_email("p"), "targetLevel": 1 });
    let mine = gql(&app, &buyer, query, json!({ "i": input, "k": "shared-key" })).await;
    let theirs = gql(&app, &other, query, json!({ "i": input, "k": "shared-key" })).await;
    assert!(mine["errors"].is_null() && theirs["errors"].is_null(), "{mine} {theirs}");
    assert_ne!(mine["data"]["createSupplier"]["id"], theirs["data"]["createSupplier"]["id"], "two suppliers");

    // A key used over GraphQL is another request when REST sends it.
    let rest = app
        .send_with(
            reqwest::Method::POST,
            "/api/v1/suppliers",
            Some(&buyer.access_token),
            &[("idempotency-key", "shared-key")],
            Some(json!({ "name": "Parts", "contact_email": unique_email("p"), "target_level": 1 })),
        )
        .await;
    rest.assert_problem(422, "idempotency_key_reused");

    let bad = gql(&app, &buyer, query, json!({ "i": input, "k": "" })).await;
    assert_eq!(bad["errors"][0]["extensions"]["code"], "validation_failed", "{bad}");
    assert_eq!(bad["errors"][0]["extensions"]["errors"][0]["field"], "idempotencyKey");
    Ok(())
}

#[tokio::test]
async fn a_retried_create_share_with_its_key_returns_the_first_share_and_its_link_once() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, _) = app.invited_supplier(1).await;
    let template = app.builtin_template(&supplier).await;
    let query = "mutation($i: NewShare!, $k: String) { createShare(input: $i, idempotencyKey: $k) { id linkToken } }";
    let input = json!({ "templateId": template, "recipientDomain": "chubu.example", "scope": "SCORES" });
    let first = gql(&app, &supplier, query, json!({ "i": input, "k": "gql-share-1" })).await;
    let retry = gql(&app, &supplier, query, json!({ "i": input, "k": "gql-share-1" })).await;
    assert!(first["errors"].is_null() && first["data"]["createShare"]["linkToken"].is_string(), "{first}");
    assert_eq!(retry["data"], first["data"], "the first share and its link again");
    let listed = app.get("/api/v1/shares?direction=outgoing", Some(&supplier.access_token)).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1), "one share: {}", listed.body);
    let other = json!({ "templateId": template, "recipientDomain": "kanto.example", "scope": "SCORES" });
    let reused = gql(&app, &supplier, query, json!({ "i": other, "k": "gql-share-1" })).await;
    assert_eq!(reused["errors"][0]["extensions"]["code"], "idempotency_key_reused", "{reused}");
    Ok(())
}

#[tokio::test]
async fn graphql_lists_filter_by_updated_since_and_closed_sets_are_enums() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    let (_, _) = app.create_supplier(&buyer, "Untouched", 1).await;
    app.clock.advance(chrono::Duration::minutes(5));
    let since = app.kensa.now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let suppliers = "query($s: DateTime) { suppliers(updatedSince: $s) { nodes { name reviewStatus contactLocale } } }";
    let assessments =
        "query($s: DateTime, $r: AssessmentSide) { assessments(updatedSince: $s, role: $r) { nodes { id status } } }";
    let quiet = gql(&app, &buyer, suppliers, json!({ "s": since })).await;
    assert_eq!(quiet["data"]["suppliers"]["nodes"], json!([]), "{quiet}");
    let quiet = gql(&app, &buyer, assessments, json!({ "s": since, "r": "BUYER" })).await;
    assert_eq!(quiet["data"]["assessments"]["nodes"], json!([]), "{quiet}");

    app.clock.advance(chrono::Duration::seconds(1));
    let scope = app.scope_of(&supplier, &id).await;
    let saved = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/assessments/{id}/answers/{}", scope[0]),
            Some(&supplier.access_token),
            Some(json!({ "status": "implemented" })),
        )
        .await;
    assert_eq!(saved.status, reqwest::StatusCode::OK, "{}", saved.body);

    let changed = gql(&app, &buyer, assessments, json!({ "s": since, "r": "BUYER" })).await;
    assert_eq!(changed["data"]["assessments"]["nodes"], json!([{ "id": id, "status": "IN_PROGRESS" }]), "{changed}");
    let other_side = gql(&app, &buyer, assessments, json!({ "s": since, "r": "SUPPLIER" })).await;
    assert_eq!(other_side["data"]["assessments"]["nodes"], json!([]));
    let all = gql(&app, &buyer, suppliers, json!({ "s": null })).await;
    let mut rows = all["data"]["suppliers"]["nodes"].as_array().ok_or("nodes")?.clone();
    rows.sort_by_key(|r| r["name"].as_str().map(str::to_owned));
    assert_eq!(rows[1], json!({ "name": "Untouched", "reviewStatus": "NOT_STARTED", "contactLocale": "JA" }));
    assert_eq!(rows[0]["reviewStatus"], "IN_PROGRESS", "{all}");

    // A value outside the set is refused by the schema, naming the variable.
    let refused = gql(&app, &buyer, assessments, json!({ "s": null, "r": "buyer" })).await;
    assert_eq!(refused["errors"][0]["extensions"]["status"], 422, "{refused}");
    assert_eq!(refused["errors"][0]["extensions"]["errors"][0]["field"], "variables.r");
    Ok(())
}
