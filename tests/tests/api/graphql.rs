//! GraphQL's contract with REST: the same caller, the same decisions, the same error codes,
//! with `extensions.code` and `extensions.status` on every error.

use jsonwebtoken::Algorithm;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, TestResult, spawn_app, unique_email};
use crate::supplier_claims::invited_supplier_link;
use crate::tokens::{claims, sign};

async fn gql(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Reply {
    app.post("/graphql", token, json!({ "query": query, "variables": variables })).await
}

/// `(code, status)` of the reply's first error.
fn coded(reply: &Reply) -> (String, u64) {
    let extensions = &reply.body["errors"][0]["extensions"];
    (extensions["code"].as_str().unwrap_or("none").to_owned(), extensions["status"].as_u64().unwrap_or(0))
}

#[tokio::test]
async fn me_over_graphql_matches_rest() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let reply =
        app.graphql(Some(&owner.access_token), "{ me { role user { id email } organization { id name } } }").await;
    assert!(reply.body["errors"].is_null(), "{}", reply.body);
    let me = &reply.body["data"]["me"];
    assert_eq!(me["role"], "OWNER", "enums take GraphQL's casing");
    assert_eq!(app.get("/api/v1/me", Some(&owner.access_token)).await.body["role"], "owner", "REST keeps its own");
    assert_eq!(me["user"]["id"], owner.user_id.as_str());
    assert_eq!(me["organization"]["name"], "Acme");
    Ok(())
}

#[tokio::test]
async fn an_invalid_or_expired_token_is_a_401_error_on_queries_and_mutations() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let past = chrono::Utc::now().timestamp() - 3600;
    let expired = sign(Algorithm::HS256, &claims(&owner, json!({ "iat": past - 900, "exp": past })))?;
    let mutation = r#"mutation { createSupplier(input: { name: "Never", contactEmail: "never@example.com" }) { id } }"#;
    for (token, code) in [("not-a-jwt", "invalid_token"), (expired.as_str(), "token_expired")] {
        for query in ["{ me { role } }", "{ __typename }", r#"{ invitation(token: "x") { buyerName } }"#, mutation] {
            let reply = app.graphql(Some(token), query).await;
            assert_eq!(coded(&reply), (code.to_owned(), 401), "{query}: {}", reply.body);
            assert!(reply.body["data"].is_null(), "{query}: {}", reply.body);
        }
    }
    let listed = app.get("/api/v1/suppliers", Some(&owner.access_token)).await;
    assert_eq!(listed.body["data"], json!([]), "nothing was created: {}", listed.body);
    Ok(())
}

#[tokio::test]
async fn accepting_an_invitation_with_a_bad_token_is_401_over_graphql_as_over_rest() -> TestResult {
    let app = spawn_app().await;
    let (_, _, token) = invited_supplier_link(&app).await;
    let accept = "mutation($t: String!) { acceptInvitation(token: $t) { status assessmentId organizationId } }";
    let refused = gql(&app, Some("not-a-jwt"), accept, json!({ "t": token })).await;
    assert_eq!(coded(&refused), ("invalid_token".to_owned(), 401), "{}", refused.body);
    let rest = app
        .request(
            reqwest::Method::POST,
            &format!("/api/v1/invitations/{token}/accept"),
            Some("not-a-jwt"),
            Some(json!({ "name": "Sato", "email": unique_email("s"), "password": crate::helpers::PASSWORD, "organization_name": "Never KK" })),
        )
        .await;
    rest.assert_problem(401, "invalid_token");
    // Neither created anything: the link still works, for the real supplier.
    assert_eq!(app.get(&format!("/api/v1/invitations/{token}"), None).await.status, StatusCode::OK);

    // A signed-in owner at the invited contact's domain links their own organization.
    let supplier = app.signup("Parts Co KK").await;
    let linked = gql(&app, Some(&supplier.access_token), accept, json!({ "t": token })).await;
    assert!(linked.body["errors"].is_null(), "{}", linked.body);
    assert_eq!(linked.body["data"]["acceptInvitation"]["status"], "LINKED", "{}", linked.body);
    assert_eq!(linked.body["data"]["acceptInvitation"]["organizationId"], supplier.org_id.as_str());
    let mine = app.get("/api/v1/assessments?role=supplier", Some(&supplier.access_token)).await;
    assert_eq!(mine.body["data"][0]["id"], linked.body["data"]["acceptInvitation"]["assessmentId"]);
    Ok(())
}

#[tokio::test]
async fn errors_async_graphql_raises_itself_carry_a_code_and_a_status() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let t = Some(owner.access_token.as_str());
    for query in ["{ me { role ", "{ me { nope } }", "query($x: Nope) { __typename }", "{ ...F }"] {
        let reply = app.graphql(t, query).await;
        assert_eq!(coded(&reply), ("invalid_query".to_owned(), 400), "{query}: {}", reply.body);
        assert!(reply.body["errors"][0]["extensions"]["request_id"].is_string(), "{}", reply.body);
    }
    Ok(())
}

#[tokio::test]
async fn validation_errors_list_each_field_with_its_code_before_and_after_execution() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let t = Some(owner.access_token.as_str());
    let fields = |reply: &Reply| -> Vec<(String, String)> {
        reply.body["errors"][0]["extensions"]["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| (e["field"].as_str().unwrap_or("").to_owned(), e["code"].as_str().unwrap_or("").to_owned()))
            .collect()
    };
    // Types: every problem of the input at once, each named in the variable.
    let create = "mutation($i: SupplierInput!) { createSupplier(input: $i) { id } }";
    let typed = gql(&app, t, create, json!({ "i": { "name": 7, "targetLevel": -1, "tier2": "x" } })).await;
    assert_eq!(coded(&typed), ("validation_failed".to_owned(), 422), "{}", typed.body);
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(f, c)| ((*f).to_owned(), (*c).to_owned())).collect()
    };
    assert_eq!(
        fields(&typed),
        pairs(&[
            ("variables.i.name", "invalid_value"),
            ("variables.i.targetLevel", "out_of_range"),
            ("variables.i.tier2", "unknown_field")
        ]),
        "{}",
        typed.body
    );
    // The business rules: the same codes as REST, the fields in GraphQL's casing.
    let rules =
        gql(&app, t, create, json!({ "i": { "name": "Ok", "contactEmail": "no-at-sign", "targetLevel": 5 } })).await;
    assert_eq!(coded(&rules), ("validation_failed".to_owned(), 422), "{}", rules.body);
    assert_eq!(
        fields(&rules),
        pairs(&[("contactEmail", "invalid_email"), ("targetLevel", "out_of_range")]),
        "{}",
        rules.body
    );
    let rest = app
        .post("/api/v1/suppliers", t, json!({ "name": "Ok", "contact_email": "no-at-sign", "target_level": 5 }))
        .await;
    let rest_codes: Vec<&str> =
        rest.body["errors"].as_array().into_iter().flatten().filter_map(|e| e["code"].as_str()).collect();
    assert_eq!(rest_codes, ["invalid_email", "out_of_range"], "{}", rest.body);
    // Literal arguments are named by field and argument.
    let literal =
        app.graphql(t, r#"{ suppliers(first: 0, after: "%%%") { nodes { id } } assessment(id: "x") { id } }"#).await;
    assert_eq!(fields(&literal), pairs(&[("assessment.id", "invalid_value")]), "{}", literal.body);
    let paged = app.graphql(t, r#"{ suppliers(first: 0) { nodes { id } } }"#).await;
    assert_eq!(fields(&paged), pairs(&[("first", "out_of_range")]), "{}", paged.body);
    Ok(())
}

#[tokio::test]
async fn graphiql_and_every_asset_it_loads_come_from_the_app_itself() -> TestResult {
    let app = spawn_app().await;
    let page = app.client.get(app.url("/graphql")).send().await?;
    assert_eq!(page.status().as_u16(), 200);
    let csp = page.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("connect-src 'self'"), "{csp}");
    assert!(!csp.contains("http") && !csp.contains("unsafe"), "only this origin: {csp}");
    let html = page.text().await?;
    assert!(html.contains("graphiql"), "{html}");
    assert!(!html.contains("//"), "no URL of another origin (nor a protocol-relative one): {html}");
    let references: Vec<&str> =
        html.split(['"', '\'']).filter(|part| part.starts_with('/') || part.contains("://")).collect();
    assert!(references.len() >= 5, "the page loads its scripts and styles: {references:?}");
    for reference in references {
        assert!(reference.starts_with("/graphql/assets/"), "{reference}");
        let asset = app.client.get(app.url(reference)).send().await?;
        assert_eq!(asset.status().as_u16(), 200, "{reference}");
        let header = |name: &str| asset.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(header("cache-control").contains("max-age=31536000"), "{reference}: {}", header("cache-control"));
        let kind = header("content-type");
        let body = asset.text().await?;
        if kind.starts_with("text/css") {
            // A stylesheet could pull fonts or images from elsewhere: it pulls none.
            assert!(!body.contains("@import"), "{reference}");
            for url in body.split("url(").skip(1) {
                assert!(url.starts_with("data:"), "{reference} loads {}", &url[..url.len().min(60)]);
            }
        } else {
            assert!(kind.starts_with("text/javascript"), "{reference}: {kind}");
            if reference.contains("/react") {
                // React's license header names the build: the production one.
                assert!(body.contains(".production.min.js"), "{reference} is not React's production build");
            }
        }
    }
    Ok(())
}
