//! Input at the edge (issue 7, items 10, 11, 13, 15): NUL and other control characters,
//! out-of-range dates, one-line names, email normalisation, and every field problem reported
//! at once with its path — on SQLite and PostgreSQL alike, never a 500.

use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{Member, PASSWORD, Reply, TestApp, TestResult, due_in, spawn_app, unique_email};

/// What is sent, how, where, by whom, and the field the 422 must name.
type Case<'a> = (&'a str, Method, String, Option<&'a str>, Value, &'a str);

/// The fields a 422 names, each with its code.
fn named(reply: &Reply) -> Vec<(String, String)> {
    reply.body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (e["field"].as_str().unwrap_or_default().to_owned(), e["code"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

fn assert_names(reply: &Reply, what: &str, field: &str, code: &str) {
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {}", reply.body);
    assert_eq!(reply.content_type(), "application/problem+json", "{what}");
    assert!(
        named(reply).iter().any(|(f, c)| f == field && c == code),
        "{what}: expected {field} / {code} in {}",
        reply.body
    );
}

async fn csv_import(app: &TestApp, token: &str, body: &str) -> Reply {
    let response = app
        .client
        .post(app.url("/api/v1/suppliers/import"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body.to_owned())
        .send()
        .await;
    match response {
        Ok(r) => TestApp::read(r).await,
        Err(e) => panic!("import failed: {e}"),
    }
}

/// A buyer, its supplier's user and an assessment in progress with one in-scope item.
async fn answering(app: &TestApp) -> (Member, Member, String, u64) {
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    let first = app.scope_of(&supplier, &assessment).await.first().copied().unwrap_or(1);
    (buyer, supplier, assessment, first)
}

#[tokio::test]
async fn a_nul_byte_in_any_text_field_answers_422_naming_the_field_never_500() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment, no) = answering(&app).await;
    let (b, s) = (Some(buyer.access_token.as_str()), Some(supplier.access_token.as_str()));
    let template = app.builtin_template(&buyer).await;
    let supplier_id = app.create_supplier(&buyer, "Nul Parts", 1).await.0;
    let signup =
        json!({ "organization_name": "Acme\u{0}", "name": "Aki", "email": unique_email("nul"), "password": PASSWORD });
    let document = json!({ "key": "nul", "name": "Basics", "guideline_version": "1", "language": "en",
        "categories": [{ "number": 1, "name": "Policy", "purpose": "p", "sections": [{ "code": "1", "requirement": "r",
            "items": [{ "no": 1, "level": 1, "question": "Q\u{0}?" }] }] }] });
    let cases: Vec<Case> = vec![
        ("sign-up", Method::POST, "/api/v1/auth/signup".into(), None, signup, "organization_name"),
        (
            "login email",
            Method::POST,
            "/api/v1/auth/login".into(),
            None,
            json!({ "email": "a\u{0}@example.com", "password": PASSWORD }),
            "email",
        ),
        (
            "login password",
            Method::POST,
            "/api/v1/auth/login".into(),
            None,
            json!({ "email": buyer.email, "password": "x\u{0}" }),
            "password",
        ),
        (
            "supplier create",
            Method::POST,
            "/api/v1/suppliers".into(),
            b,
            json!({ "name": "Parts\u{0}", "contact_email": unique_email("c") }),
            "name",
        ),
        (
            "supplier update",
            Method::PATCH,
            format!("/api/v1/suppliers/{supplier_id}"),
            b,
            json!({ "tier": "t\u{0}" }),
            "tier",
        ),
        (
            "campaign create",
            Method::POST,
            "/api/v1/campaigns".into(),
            b,
            json!({ "name": "FY\u{0}", "template_id": template, "due_date": due_in(30), "supplier_ids": [supplier_id] }),
            "name",
        ),
        (
            "answer save",
            Method::PUT,
            format!("/api/v1/assessments/{assessment}/answers/{no}"),
            s,
            json!({ "status": "implemented", "comment": "ok\u{0}" }),
            "comment",
        ),
        (
            "answers bulk",
            Method::POST,
            format!("/api/v1/assessments/{assessment}/answers"),
            s,
            json!({ "answers": [{ "no": no, "status": "implemented", "comment": "\u{0}" }] }),
            "answers[0].comment",
        ),
        (
            "comment",
            Method::POST,
            format!("/api/v1/assessments/{assessment}/comments"),
            s,
            json!({ "body": "see \u{0}" }),
            "body",
        ),
        (
            "template import",
            Method::POST,
            "/api/v1/templates".into(),
            b,
            document,
            "categories[0].sections[0].items[0].question",
        ),
        (
            "user invitation",
            Method::POST,
            "/api/v1/users/invitations".into(),
            b,
            json!({ "email": "x\u{0}@example.com", "role": "viewer" }),
            "email",
        ),
        (
            "invitation accept",
            Method::POST,
            "/api/v1/invitations/nope/accept".into(),
            None,
            json!({ "name": "N\u{0}", "email": unique_email("a"), "password": PASSWORD, "organization_name": "O" }),
            "name",
        ),
    ];
    for (what, method, path, token, body, field) in cases {
        let reply = app.request(method, &path, token, Some(body)).await;
        assert_names(&reply, what, field, "invalid_characters");
    }
    let queries = [
        ("audit-events query", "/api/v1/audit-events?action=auth.login%00", "action"),
        ("supplier search", "/api/v1/suppliers?q=a%00b", "q"),
        ("invitation preview path", "/api/v1/invitations/abc%00def", "path"),
        ("user invitation path", "/api/v1/user-invitations/abc%00", "path"),
    ];
    for (what, path, field) in queries {
        assert_names(&app.get(path, b).await, what, field, "invalid_characters");
    }
    let csv = csv_import(&app, &buyer.access_token, "name,contact_email\nBad\u{0}Co,nul@example.com\n").await;
    csv.assert_problem(422, "import_rejected");
    assert!(csv.body["errors"][0]["message"].as_str().is_some_and(|m| m.contains("name")), "{}", csv.body);
    Ok(())
}

#[tokio::test]
async fn graphql_strings_with_control_characters_are_refused_naming_the_argument() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let literal = app.graphql(None, r#"{ invitation(token: "abc\u0000") { buyerName } }"#).await;
    let error = &literal.body["errors"][0]["extensions"];
    assert_eq!(error["errors"][0]["field"], "invitation.token", "{}", literal.body);
    assert_eq!(error["errors"][0]["code"], "invalid_characters", "{}", literal.body);
    let query = "mutation($i: SupplierInput!) { createSupplier(input: $i) { id } }";
    let variables = json!({ "i": { "name": "Parts\u{0}", "contactEmail": unique_email("g") } });
    let reply =
        app.post("/graphql", Some(&buyer.access_token), json!({ "query": query, "variables": variables })).await;
    let error = &reply.body["errors"][0]["extensions"];
    assert_eq!(error["errors"][0]["field"], "variables.i.name", "{}", reply.body);
    assert_eq!(error["errors"][0]["code"], "invalid_characters", "{}", reply.body);
    assert!(reply.body["data"].is_null(), "nothing ran: {}", reply.body);
    Ok(())
}

#[tokio::test]
async fn dates_outside_the_years_1900_to_9999_answer_422_naming_the_field() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment, no) = answering(&app).await;
    let answer = app
        .request(
            Method::PUT,
            &format!("/api/v1/assessments/{assessment}/answers/{no}"),
            Some(&supplier.access_token),
            Some(
                json!({ "status": "not_implemented", "remediation_plan": "later", "remediation_due": "-200000-01-01" }),
            ),
        )
        .await;
    assert_names(&answer, "remediation_due", "remediation_due", "out_of_range");
    let audit = app.get("/api/v1/audit-events?from=-5000-01-01T00:00:00Z", Some(&buyer.access_token)).await;
    assert_names(&audit, "audit from", "from", "out_of_range");
    let supplier_id = app.create_supplier(&buyer, "Dated", 1).await.0;
    let template = app.builtin_template(&buyer).await;
    let campaign = app
        .post(
            "/api/v1/campaigns",
            Some(&buyer.access_token),
            json!({ "name": "Far", "template_id": template, "due_date": "+12000-01-01", "supplier_ids": [supplier_id] }),
        )
        .await;
    assert_eq!(campaign.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", campaign.body);
    assert!(named(&campaign).iter().any(|(f, _)| f == "due_date"), "{}", campaign.body);
    Ok(())
}

#[tokio::test]
async fn a_body_with_three_bad_fields_lists_all_three_with_their_paths() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment, no) = answering(&app).await;
    let template = app.builtin_template(&buyer).await;
    let campaign = app
        .post(
            "/api/v1/campaigns",
            Some(&buyer.access_token),
            json!({ "name": "FY", "template_id": template, "due_date": "next week",
                    "supplier_ids": ["not-a-uuid"], "target_level": "high" }),
        )
        .await;
    assert_eq!(campaign.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", campaign.body);
    let mut fields: Vec<String> = named(&campaign).into_iter().map(|(f, _)| f).collect();
    fields.sort();
    assert_eq!(fields, ["due_date", "supplier_ids[0]", "target_level"], "{}", campaign.body);

    let answers = json!({ "answers": [
        { "no": no, "status": "implemented" },
        { "no": no, "status": "maybe" },
        { "no": "one", "status": "implemented" },
        { "no": no, "status": "not_implemented", "remediation_due": "soon" },
    ]});
    let path = format!("/api/v1/assessments/{assessment}/answers");
    let reply = app.post(&path, Some(&supplier.access_token), answers.clone()).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    let fields: Vec<String> = named(&reply).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["answers[1].status", "answers[2].no", "answers[3].remediation_due"], "{}", reply.body);

    // GraphQL lists the same three, each with its path in the variable and its code.
    let query = "mutation($a: UUID!, $x: SaveAnswersInput!) { saveAnswers(assessmentId: $a, input: $x) { version } }";
    let answers = json!({ "answers": [
        { "no": no, "status": "IMPLEMENTED" },
        { "no": no, "status": "MAYBE" },
        { "no": "one", "status": "IMPLEMENTED" },
        { "no": no, "status": "NOT_IMPLEMENTED", "remediationDue": "soon" },
    ]});
    let variables = json!({ "a": assessment, "x": answers });
    let gql =
        app.post("/graphql", Some(&supplier.access_token), json!({ "query": query, "variables": variables })).await;
    let error = &gql.body["errors"][0]["extensions"];
    assert_eq!((&error["code"], &error["status"]), (&json!("validation_failed"), &json!(422)), "{}", gql.body);
    let listed: Vec<(&str, &str)> = error["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| Some((e["field"].as_str()?, e["code"].as_str()?)))
        .collect();
    assert_eq!(
        listed,
        [
            ("variables.x.answers[1].status", "invalid_value"),
            ("variables.x.answers[2].no", "invalid_value"),
            ("variables.x.answers[3].remediationDue", "invalid_value")
        ],
        "{}",
        gql.body
    );
    assert!(gql.body["data"].is_null(), "nothing ran: {}", gql.body);
    Ok(())
}

#[tokio::test]
async fn names_are_one_line_without_hidden_characters_or_links() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let b = Some(buyer.access_token.as_str());
    let bad = [
        ("Acme\r\nSubject: hi", "invalid_characters"),
        ("Acme\u{202e}gpj.exe", "invalid_characters"),
        ("Ac\u{200b}me", "invalid_characters"),
        ("URGENT log in at https://evil.example/login", "link_not_allowed"),
    ];
    for (name, code) in bad {
        let signup = app
            .post(
                "/api/v1/auth/signup",
                None,
                json!({ "organization_name": name, "name": name, "email": unique_email("n"), "password": PASSWORD }),
            )
            .await;
        assert_names(&signup, "signup organization", "organization_name", code);
        assert_names(&signup, "signup user", "name", code);
        let supplier =
            app.post("/api/v1/suppliers", b, json!({ "name": name, "contact_email": unique_email("s") })).await;
        assert_names(&supplier, "supplier", "name", code);
        let campaign = app
            .post(
                "/api/v1/campaigns",
                b,
                json!({ "name": name, "template_id": uuid::Uuid::nil(),
            "due_date": due_in(10), "supplier_ids": [uuid::Uuid::nil()] }),
            )
            .await;
        assert_names(&campaign, "campaign", "name", code);
    }
    let long =
        app.post("/api/v1/suppliers", b, json!({ "name": "x".repeat(201), "contact_email": unique_email("s") })).await;
    assert_names(&long, "long supplier name", "name", "too_long");
    let trimmed =
        app.post("/api/v1/suppliers", b, json!({ "name": "  Parts Co  ", "contact_email": unique_email("s") })).await;
    assert_eq!(trimmed.body["name"], "Parts Co", "{}", trimmed.body);
    Ok(())
}

#[tokio::test]
async fn a_full_width_spelling_of_an_email_address_is_the_same_account() -> TestResult {
    let app = spawn_app().await;
    let first = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({ "organization_name": "Taro KK", "name": "Taro", "email": "taro@example.com", "password": PASSWORD }),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let second = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({ "organization_name": "Other", "name": "Taro", "email": "ｔａｒｏ＠ＥＸＡＭＰＬＥ．ｃｏｍ", "password": PASSWORD }),
        )
        .await;
    second.assert_problem(409, "email_taken");
    let login = app.login(" ＴＡＲＯ@Example.com ", PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "full-width login: {}", login.body);
    assert_eq!(login.body["user"]["email"], "taro@example.com");
    Ok(())
}

#[tokio::test]
async fn implausible_email_addresses_are_refused_everywhere() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let b = Some(buyer.access_token.as_str());
    let long = format!("{}@example.com", "a".repeat(250));
    let bad = [
        "taro\u{200b}@example.com",
        "taro\u{202e}@example.com",
        "ta ro@example.com",
        "taro@",
        "taro@localhost",
        "taro@exa_mple.com",
        "tаro@example.com",
        "taro@@example.com",
        ".taro@example.com",
        long.as_str(),
    ];
    for email in bad {
        let signup = app
            .post(
                "/api/v1/auth/signup",
                None,
                json!({ "organization_name": "O", "name": "N", "email": email, "password": PASSWORD }),
            )
            .await;
        assert_names(&signup, email, "email", "invalid_email");
        let invite = app.post("/api/v1/users/invitations", b, json!({ "email": email, "role": "viewer" })).await;
        assert_names(&invite, email, "email", "invalid_email");
        let supplier = app.post("/api/v1/suppliers", b, json!({ "name": "S", "contact_email": email })).await;
        assert_names(&supplier, email, "contact_email", "invalid_email");
        let login = app.login(email, PASSWORD).await;
        assert_names(&login, email, "email", "invalid_email");
    }
    Ok(())
}

#[tokio::test]
async fn every_unusable_query_parameter_is_named() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let reply = app.get("/api/v1/suppliers?limit=many&target_level=high&q=ok", Some(&buyer.access_token)).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
    let mut fields: Vec<String> = named(&reply).into_iter().map(|(f, _)| f).collect();
    fields.sort();
    assert_eq!(fields, ["limit", "target_level"], "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn a_login_with_an_overlong_email_is_refused_before_anything_is_recorded() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let huge = format!("{}@example.com", "a".repeat(100_000));
    let reply = app.login(&huge, "wrong-password-123").await;
    assert_names(&reply, "overlong login", "email", "invalid_email");
    let known = app.login(&owner.email, "wrong-password-123").await;
    assert_eq!(known.status, StatusCode::UNAUTHORIZED, "a plausible address is checked: {}", known.body);
    let stored: usize = app
        .db
        .query_all_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id FROM audit_events WHERE CAST(details AS TEXT) LIKE '%aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa%'",
        ))
        .await?
        .len();
    assert_eq!(stored, 0, "no record holds the submitted address");
    Ok(())
}
