//! Every bound on `POST /graphql` (issue 7, items 1, 16 and 17): each test shows one is
//! enforced, with the code a client receives.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, TestResult, graphql_input, spawn_app, spawn_app_with};

async fn send(app: &TestApp, token: Option<&str>, body: &Value) -> Result<crate::helpers::Reply, reqwest::Error> {
    let mut request = app.client.post(app.url("/graphql")).header("content-type", "application/json");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    Ok(TestApp::read(request.body(body.to_string()).send().await?).await)
}

fn op(query: &str) -> Value {
    json!({ "query": query })
}

fn first_code(reply: &Value) -> &Value {
    &reply["errors"][0]["extensions"]["code"]
}

/// A template document of `items` items, for heavy (but valid) mutations.
fn big_template(key: &str, items: u32) -> Value {
    let items: Vec<Value> = (1..=items)
        .map(|no| json!({ "no": no, "level": 1, "question": format!("Question {no}?"), "criteria": ["written down"] }))
        .collect();
    // Sections hold at most 500 items (the template bounds), so a big template spreads out.
    let sections: Vec<Value> = items
        .chunks(500)
        .enumerate()
        .map(|(i, chunk)| json!({ "code": format!("1-{}", i + 1), "items": chunk }))
        .collect();
    json!({
        "key": key, "name": "Big", "guideline_version": "1", "language": "en",
        "categories": [{ "number": 1, "name": "All", "sections": sections }]
    })
}

const FULL_TREE: &str = "categories { number name nameEn purpose sections { code requirement items { no level levelInferred levelReason question criteria scope frequency notes textNote } } }";

#[tokio::test]
async fn anonymous_bodies_over_16_kib_are_refused_before_any_database_access() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let padded = |n: usize| json!({ "query": "{ __typename }", "padding": "x".repeat(n) });
    // Signed-in callers get the larger limit.
    let signed_in = send(&app, Some(&owner.access_token), &padded(20 * 1024)).await?;
    assert_eq!(signed_in.body["data"]["__typename"], "Query", "{}", signed_in.body);

    app.kensa.close().await;
    let refused = send(&app, None, &padded(20 * 1024)).await?;
    refused.assert_problem(413, "payload_too_large");
    // The same small request does reach the (now closed) database: the 413 came first.
    let lookup = send(&app, None, &op(r#"{ invitation(token: "nope") { buyerName } }"#)).await?;
    assert_ne!(lookup.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(lookup.body["errors"].is_array(), "{}", lookup.body);
    Ok(())
}

#[tokio::test]
async fn an_anonymous_batch_of_two_is_refused_whole() -> TestResult {
    let app = spawn_app().await;
    let reply = send(&app, None, &json!([op("{ __typename }"), op("{ __typename }")])).await?;
    reply.assert_problem(400, "batch_too_large");
    let one = send(&app, None, &json!([op("{ __typename }")])).await?;
    assert_eq!(one.body[0]["data"]["__typename"], "Query", "{}", one.body);
    Ok(())
}

#[tokio::test]
async fn a_signed_in_batch_of_eleven_is_refused_and_ten_run_in_order() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let eleven: Vec<Value> = (0..11).map(|_| op("{ me { role } }")).collect();
    send(&app, Some(&owner.access_token), &json!(eleven)).await?.assert_problem(400, "batch_too_large");

    // Sequential execution: the second operation sees the first one's write.
    let create = json!({ "query": "mutation($i: SupplierInput!) { createSupplier(input: $i) { id } }",
        "variables": { "i": { "name": "Batch Parts", "contactEmail": "batch@example.com", "targetLevel": 1 } } });
    let list = op("{ suppliers { nodes { name } } }");
    let reply = send(&app, Some(&owner.access_token), &json!([create, list])).await?;
    assert!(reply.body[0]["errors"].is_null(), "{}", reply.body);
    assert_eq!(reply.body[1]["data"]["suppliers"]["nodes"][0]["name"], "Batch Parts", "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn a_document_of_450_aliases_is_refused_before_it_runs() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let aliases: String = (0..450).map(|i| format!(r#"a{i}: invitation(token: "t{i}") {{ buyerName }} "#)).collect();
    let query = op(&format!("{{ {aliases} }}"));
    // Anonymous: 16 KiB is already too small for it.
    let anonymous = send(&app, None, &query).await?;
    assert_eq!(anonymous.status.as_u16(), 413);
    send(&app, Some(&owner.access_token), &query).await?.assert_problem(400, "too_many_aliases");
    let me: String = (0..21).map(|i| format!("m{i}: __typename ")).collect();
    send(&app, Some(&owner.access_token), &op(&format!("{{ {me} }}")))
        .await?
        .assert_problem(400, "too_many_root_fields");
    let fine: String = (0..20).map(|i| format!("m{i}: __typename ")).collect();
    let reply = send(&app, Some(&owner.access_token), &op(&format!("{{ {fine} }}"))).await?;
    assert_eq!(reply.body["data"]["m19"], "Query", "{}", reply.body);
    Ok(())
}

/// Found by fuzzing: a lone quote in a block string once hid the brackets after it from the
/// nesting bound, and the parser's recursion on 6,000 of them overflowed the stack, which
/// aborted the server, for an anonymous caller.
#[tokio::test]
async fn brackets_after_a_block_string_count_towards_the_nesting_bound() -> TestResult {
    let app = spawn_app().await;
    let (open, close) = ("[".repeat(6000), "]".repeat(6000));
    let deep = format!(r#"{{ invitation(token: """x " y""") {{ buyerName }} f(b: {open}{close}) }}"#);
    send(&app, None, &op(&deep)).await?.assert_problem(400, "query_too_deep");
    let reply = send(&app, None, &op("{ __typename }")).await?;
    assert_eq!(reply.body["data"]["__typename"], "Query", "the server still answers: {}", reply.body);
    Ok(())
}

#[tokio::test]
async fn a_9000_comment_mutation_document_is_refused_and_nothing_is_written() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let t = Some(owner.access_token.as_str());
    let comments: String = (0..9000)
        .map(|i| format!(r#"c{i}: addComment(assessmentId: "00000000-0000-0000-0000-000000000000", input: {{body: "x"}}) {{ id }} "#))
        .collect();
    // Refused from its length alone, before it is parsed.
    send(&app, t, &op(&format!("mutation {{ {comments} }}"))).await?.assert_problem(413, "query_too_large");

    // Eleven mutation fields spread over a batch: refused whole, none runs.
    let supplier = |i: u32| {
        format!(
            r#"s{i}: createSupplier(input: {{name: "S{i}", contactEmail: "s{i}@example.com", targetLevel: 1}}) {{ id }} "#
        )
    };
    let six: String = (0..6).map(supplier).collect();
    let five: String = (6..11).map(supplier).collect();
    let batch = json!([op(&format!("mutation {{ {six} }}")), op(&format!("mutation {{ {five} }}"))]);
    send(&app, t, &batch).await?.assert_problem(400, "too_many_mutations");
    let listed = app.get("/api/v1/suppliers", t).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(0), "{}", listed.body);
    Ok(())
}

#[tokio::test]
async fn a_big_variables_array_is_refused_before_it_is_parsed() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let zeros = vec![0u8; 300_000];
    let body = json!({ "query": "query($v: [Int!]) { __typename }", "variables": { "v": zeros } });
    send(&app, Some(&owner.access_token), &body).await?.assert_problem(413, "too_many_json_values");
    let many: serde_json::Map<String, Value> = (0..51).map(|i| (format!("v{i}"), json!(1))).collect();
    let body = json!({ "query": "{ __typename }", "variables": many });
    send(&app, Some(&owner.access_token), &body).await?.assert_problem(400, "too_many_variables");
    Ok(())
}

#[tokio::test]
async fn a_viewers_batch_of_template_trees_is_refused_by_cost() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let viewer = app.add_member(&owner, "viewer").await;
    let id = app.builtin_template(&owner).await;
    let tree = format!(r#"{{ template(id: "{id}") {{ id {FULL_TREE} }} }}"#);
    let v = Some(viewer.access_token.as_str());

    let one = send(&app, v, &op(&tree)).await?;
    assert!(one.body["errors"].is_null(), "one full tree is fine: {}", one.body);
    assert_eq!(one.body["data"]["template"]["categories"].as_array().map(Vec::len), Some(24));

    let batch: Vec<Value> = (0..10).map(|_| op(&tree)).collect();
    let reply = send(&app, v, &json!(batch)).await?;
    let answers = reply.body.as_array().ok_or("a batch answer")?;
    let refused = answers.iter().filter(|r| first_code(r) == "query_too_complex").count();
    let served = answers.iter().filter(|r| r["errors"].is_null()).count();
    assert!(served <= 6 && refused >= 4, "served {served}, refused {refused}");

    let aliased = format!(
        r#"{{ a: template(id: "{id}") {{ {FULL_TREE} }} b: template(id: "{id}") {{ {FULL_TREE} }}
              c: template(id: "{id}") {{ {FULL_TREE} }} d: template(id: "{id}") {{ {FULL_TREE} }} }}"#
    );
    let reply = send(&app, v, &op(&aliased)).await?;
    assert_eq!(first_code(&reply.body), "query_too_complex", "{}", reply.body);
    assert!(reply.body["data"].is_null());

    // Pages cost `first` × their fields: three pages of 200 are over, of 20 are fine.
    let fields = "edges { node { id name contactName contactEmail tier targetLevel tags organizationId reviewStatus createdAt updatedAt } }";
    let pages = format!(
        "{{ a: suppliers(first: 200) {{ {fields} }} b: suppliers(first: 200) {{ {fields} }} c: suppliers(first: 200) {{ {fields} }} }}"
    );
    assert_eq!(first_code(&send(&app, v, &op(&pages)).await?.body), "query_too_complex");
    let small = send(&app, v, &op(&pages.replace("200", "20"))).await?;
    assert!(small.body["errors"].is_null(), "{}", small.body);
    Ok(())
}

#[tokio::test]
async fn anonymous_callers_reach_only_the_invitation_preview() -> TestResult {
    let app = spawn_app().await;
    let typename = send(&app, None, &op("{ __typename }")).await?;
    assert_eq!(typename.body["data"]["__typename"], "Query");
    let preview = send(&app, None, &op(r#"{ invitation(token: "nope") { buyerName } }"#)).await?;
    assert_eq!(first_code(&preview.body), "not_found", "{}", preview.body);

    for query in [
        "{ templates { nodes { id } } }",
        r#"{ a: invitation(token: "x") { buyerName } b: invitation(token: "y") { buyerName } }"#,
        r#"mutation { acceptInvitation(token: "x") { status } }"#,
        "{ __schema { types { name } } }",
        "query Q { ...F } fragment F on Query { me { role } }",
    ] {
        let reply = send(&app, None, &op(query)).await?;
        assert_eq!(first_code(&reply.body), "unauthenticated", "{query}: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["extensions"]["status"], 401);
        assert!(reply.body["data"].is_null(), "{query}: {}", reply.body);
    }
    let forged = send_with_token(&app, "not-a-jwt", "{ templates { nodes { id } } }").await?;
    assert_eq!(first_code(&forged.body), "invalid_token");
    assert_eq!(forged.body["errors"][0]["extensions"]["status"], 401, "{}", forged.body);
    Ok(())
}

async fn send_with_token(app: &TestApp, token: &str, query: &str) -> Result<crate::helpers::Reply, reqwest::Error> {
    send(app, Some(token), &op(query)).await
}

#[tokio::test]
async fn anonymous_requests_are_rate_limited_per_address() -> TestResult {
    let app = spawn_app().await;
    for _ in 0..30 {
        let reply = send(&app, None, &op("{ __typename }")).await?;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let limited = send(&app, None, &op("{ __typename }")).await?;
    limited.assert_problem(429, "too_many_requests");
    assert!(limited.headers.get("retry-after").is_some());
    // Signed-in callers are not counted against the address.
    let owner = app.signup("Acme").await;
    let reply = send(&app, Some(&owner.access_token), &op("{ me { role } }")).await?;
    assert_eq!(reply.body["data"]["me"]["role"], "OWNER");
    Ok(())
}

#[tokio::test]
async fn production_turns_introspection_and_graphiql_off_unless_enabled() -> TestResult {
    let introspect = op("{ __schema { queryType { name } } }");
    let production = spawn_app_with(|vars| {
        vars.insert("KENSA_ENV".into(), "production".into());
    })
    .await;
    let owner = production.signup("Acme").await;
    let reply = send(&production, Some(&owner.access_token), &introspect).await?;
    assert_eq!(first_code(&reply.body), "introspection_disabled", "{}", reply.body);
    let nested = send(&production, Some(&owner.access_token), &op(r#"{ __type(name: "Query") { name } }"#)).await?;
    assert_eq!(first_code(&nested.body), "introspection_disabled", "{}", nested.body);
    let graphiql = production.client.get(production.url("/graphql")).send().await?;
    assert_eq!(graphiql.status(), StatusCode::NOT_FOUND);
    let asset = production.client.get(production.url("/graphql/assets/kensa-graphiql.js")).send().await?;
    assert_eq!(asset.status(), StatusCode::NOT_FOUND, "GraphiQL's assets are off with it");

    let enabled = spawn_app_with(|vars| {
        vars.insert("KENSA_ENV".into(), "production".into());
        vars.insert("KENSA_GRAPHQL_INTROSPECTION".into(), "true".into());
        vars.insert("KENSA_GRAPHIQL".into(), "true".into());
    })
    .await;
    let owner = enabled.signup("Acme").await;
    let reply = send(&enabled, Some(&owner.access_token), &introspect).await?;
    assert_eq!(reply.body["data"]["__schema"]["queryType"]["name"], "Query", "{}", reply.body);
    assert_eq!(enabled.client.get(enabled.url("/graphql")).send().await?.status(), StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn graphiqls_introspection_query_fits_the_bounds_in_development() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let query = include_str!("graphql_introspection.graphql");
    let reply = send(&app, Some(&owner.access_token), &op(query)).await?;
    assert!(reply.body["errors"].is_null(), "{}", reply.body);
    assert_eq!(reply.body["data"]["__schema"]["queryType"]["name"], "Query");
    Ok(())
}

#[tokio::test]
async fn a_request_over_the_time_limit_answers_503() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_GRAPHQL_TIMEOUT_MS".into(), "1".into());
    })
    .await;
    let owner = app.signup("Acme").await;
    // Five imports one after the other take far longer than a millisecond.
    let batch: Vec<Value> = (0..5)
        .map(|i| {
            json!({ "query": "mutation($d: TemplateDocumentInput!) { importTemplate(input: $d) { id } }",
            "variables": { "d": graphql_input(&big_template(&format!("slow{i}"), 1500)) } })
        })
        .collect();
    let reply = send(&app, Some(&owner.access_token), &json!(batch)).await?;
    reply.assert_problem(503, "query_timeout");
    assert!(reply.headers.get("retry-after").is_some());
    Ok(())
}

#[tokio::test]
async fn requests_beyond_the_concurrency_and_queue_are_shed_with_503() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_GRAPHQL_CONCURRENCY".into(), "1".into());
    })
    .await;
    let owner = app.signup("Acme").await;
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..30 {
        let body = json!({ "query": "mutation($d: TemplateDocumentInput!) { importTemplate(input: $d) { id } }",
            "variables": { "d": graphql_input(&big_template(&format!("k{i}"), 800)) } });
        let request = app.client.post(app.url("/graphql")).bearer_auth(&owner.access_token).json(&body);
        requests.spawn(async move { Ok::<_, reqwest::Error>(TestApp::read(request.send().await?).await) });
    }
    let mut shed = 0;
    while let Some(reply) = requests.join_next().await {
        let reply: crate::helpers::Reply = reply??;
        if reply.status == StatusCode::SERVICE_UNAVAILABLE {
            reply.assert_problem(503, "overloaded");
            assert!(reply.headers.get("retry-after").is_some());
            shed += 1;
        } else {
            assert!(reply.body["errors"].is_null(), "{}", reply.body);
        }
    }
    assert!(shed > 0, "one slot and a queue of four cannot take 30 requests at once");
    Ok(())
}

#[tokio::test]
async fn internal_errors_are_answered_with_the_request_id_and_no_detail() -> TestResult {
    let app = spawn_app().await;
    let owner: Member = app.signup("Acme").await;
    app.execute_sql("ALTER TABLE suppliers RENAME TO suppliers_gone").await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(&owner.access_token)
        .header("x-request-id", "gql-internal-1")
        .json(&op("{ suppliers { nodes { id } } }"))
        .send()
        .await?;
    let reply = TestApp::read(response).await;
    let error = &reply.body["errors"][0];
    assert_eq!(error["extensions"]["code"], "internal_error", "{}", reply.body);
    assert_eq!(error["extensions"]["request_id"], "gql-internal-1");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(!message.contains("suppliers") && message.contains("request id"), "{message}");
    Ok(())
}

#[tokio::test]
async fn every_graphql_error_carries_the_request_id() -> TestResult {
    let app = spawn_app().await;
    for query in ["{ me { role } }", "{ nope }", "{ invitation(token: 5) { buyerName } }"] {
        let response = app.client.post(app.url("/graphql")).json(&op(query)).send().await?;
        let header = response.headers().get("x-request-id").ok_or("x-request-id")?.to_str()?.to_owned();
        let reply = TestApp::read(response).await;
        let errors = reply.body["errors"].as_array().ok_or("errors")?;
        assert!(!errors.is_empty());
        for error in errors {
            assert_eq!(error["extensions"]["request_id"], header.as_str(), "{query}: {}", reply.body);
            assert!(error["extensions"]["code"].is_string(), "{query}: {}", reply.body);
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_template_document_over_4_mib_is_refused_over_graphql_as_over_rest() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    // 2,000 items of 2,200-character questions: within every per-field bound, 4.4 MB in all.
    let mut document = big_template("too-big", 2000);
    let long = "q".repeat(2200);
    for section in document["categories"][0]["sections"].as_array_mut().ok_or("sections")? {
        for item in section["items"].as_array_mut().ok_or("items")? {
            item["question"] = json!(long);
        }
    }
    let body = json!({ "query": "mutation($d: TemplateDocumentInput!) { importTemplate(input: $d) { id } }", "variables": { "d": graphql_input(&document) } });
    let reply = send(&app, Some(&owner.access_token), &body).await?;
    assert_eq!(first_code(&reply.body), "validation_failed", "{}", reply.body);
    assert_eq!(reply.body["errors"][0]["extensions"]["errors"][0]["field"], "input", "{}", reply.body);
    assert_eq!(reply.body["errors"][0]["extensions"]["errors"][0]["code"], "too_long", "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn trees_of_large_custom_templates_count_the_items_they_return() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    // 1,500 items: ten times the built-in, though the static cost prices every tree alike.
    let imported = app.post("/api/v1/templates", Some(&owner.access_token), big_template("large", 1500)).await;
    assert_eq!(imported.status, StatusCode::CREATED, "{}", imported.body);
    let id = imported.body["id"].as_str().ok_or("template id")?;
    let tree = "categories { sections { items { no question } } }";
    let one =
        send(&app, Some(&owner.access_token), &op(&format!(r#"{{ template(id: "{id}") {{ {tree} }} }}"#))).await?;
    assert!(one.body["errors"].is_null(), "one large tree is fine: {}", one.body);

    let two = format!(r#"{{ a: template(id: "{id}") {{ {tree} }} b: template(id: "{id}") {{ {tree} }} }}"#);
    let reply = send(&app, Some(&owner.access_token), &op(&two)).await?;
    assert_eq!(first_code(&reply.body), "query_too_complex", "{}", reply.body);
    let returned = ["a", "b"].iter().filter(|k| !reply.body["data"][**k].is_null()).count();
    assert!(returned <= 1, "at most one of the two trees is returned: {}", reply.body["data"]);
    Ok(())
}
