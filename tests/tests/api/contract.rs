//! What the OpenAPI document promises beyond the shapes, held over HTTP: every 201 says where
//! the new resource is (`Location`), and the CSV import takes the file the way generated
//! clients send it (multipart). The generated clients themselves run in CI
//! (`tests/clients/contract.sh`).

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, Reply, TestApp, TestResult, spawn_app, unique_email};

fn location(reply: &Reply) -> &str {
    reply.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or_default()
}

async fn import_form(app: &TestApp, token: &str, form: Form) -> Result<Reply, reqwest::Error> {
    let sent = app.client.post(app.url("/api/v1/suppliers/import")).bearer_auth(token).multipart(form).send().await?;
    Ok(TestApp::read(sent).await)
}

#[tokio::test]
async fn a_csv_import_also_takes_the_file_in_a_multipart_field() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let csv = "name,contact_email,target_level\nForm Parts,form@parts.example,2\n";
    let form = Form::new()
        .text("note", "ignored")
        .part("file", Part::bytes(csv.as_bytes().to_vec()).file_name("suppliers.csv").mime_str("text/csv")?);
    let imported = import_form(&app, &buyer.access_token, form).await?;
    assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
    assert_eq!(imported.body["created"], 1);
    let listed = app.get("/api/v1/suppliers?q=form", Some(&buyer.access_token)).await;
    assert_eq!(listed.body["data"][0]["target_level"], 2, "{}", listed.body);

    let without_file = import_form(&app, &buyer.access_token, Form::new().text("other", "x")).await?;
    without_file.assert_problem(422, "validation_failed");
    assert_eq!(without_file.body["errors"][0]["field"], "file");
    let two_files = Form::new()
        .part("file", Part::bytes(csv.as_bytes().to_vec()).file_name("a.csv"))
        .part("file", Part::bytes(csv.as_bytes().to_vec()).file_name("b.csv"));
    import_form(&app, &buyer.access_token, two_files).await?.assert_problem(422, "validation_failed");
    Ok(())
}

#[tokio::test]
async fn every_created_resource_answers_with_its_location() -> TestResult {
    let app = spawn_app().await;
    let signup = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({ "organization_name": "Loc KK", "name": "Owner", "email": unique_email("loc"), "password": PASSWORD }),
        )
        .await;
    assert_eq!((signup.status, location(&signup)), (StatusCode::CREATED, "/api/v1/me"));

    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    let buyer_token = Some(buyer.access_token.as_str());
    let created = app
        .post("/api/v1/suppliers", buyer_token, json!({ "name": "Second", "contact_email": unique_email("second") }))
        .await;
    assert_eq!(location(&created), format!("/api/v1/suppliers/{}", created.body["id"].as_str().unwrap_or("?")));

    let template = app.builtin_template(&buyer).await;
    let campaign = app
        .post(
            "/api/v1/campaigns",
            buyer_token,
            json!({ "name": "Again", "template_id": template, "due_date": crate::helpers::due_in(30),
                    "supplier_ids": [created.body["id"]] }),
        )
        .await;
    assert_eq!(location(&campaign), format!("/api/v1/campaigns/{}", campaign.body["id"].as_str().unwrap_or("?")));

    let clone = app.post(&format!("/api/v1/templates/{template}/clone"), buyer_token, json!({})).await;
    assert_eq!(location(&clone), format!("/api/v1/templates/{}", clone.body["id"].as_str().unwrap_or("?")));

    let invited = app
        .post("/api/v1/users/invitations", buyer_token, json!({ "email": unique_email("rie"), "role": "viewer" }))
        .await;
    assert_eq!(location(&invited), format!("/api/v1/users/invitations/{}", invited.body["id"].as_str().unwrap_or("?")));

    let comment =
        app.post(&format!("/api/v1/assessments/{assessment}/comments"), buyer_token, json!({ "body": "Hello" })).await;
    assert_eq!(
        (comment.status, location(&comment)),
        (
            StatusCode::CREATED,
            &*format!("/api/v1/assessments/{assessment}/comments/{}", comment.body["id"].as_str().unwrap_or("?"))
        )
    );
    // Each of those URLs answers with what was created.
    for made in [&created, &campaign, &clone, &invited, &comment] {
        let fetched = app.get(location(made), buyer_token).await;
        assert_eq!(fetched.status, StatusCode::OK, "{}: {}", location(made), fetched.body);
        assert_eq!(fetched.body["id"], made.body["id"], "{}", location(made));
    }

    let evidence = app.upload_evidence(&supplier, &assessment, "p.txt", "text/plain", b"policy\n".to_vec()).await;
    let download = format!("/api/v1/assessments/{assessment}/evidence/{}", evidence.body["id"].as_str().unwrap_or("?"));
    assert_eq!((evidence.status, location(&evidence)), (StatusCode::CREATED, download.as_str()));
    let fetched = app.client.get(app.url(&download)).bearer_auth(&buyer.access_token).send().await?;
    assert_eq!(fetched.status(), StatusCode::OK);
    Ok(())
}

/// A client that may send `If-Match` must be told the version to send: every success of an
/// operation that takes `If-Match` documents the `ETag` it returns (except deleting the
/// versioned resource itself, after which there is nothing to match).
#[test]
fn every_operation_that_takes_if_match_documents_the_etag_it_returns() -> TestResult {
    let doc: Value = serde_json::from_str(&kensa_api::openapi::json())?;
    let mut missing = Vec::new();
    for (path, ops) in doc["paths"].as_object().ok_or("paths")? {
        for (method, op) in ops.as_object().ok_or("ops")? {
            let takes_if_match = op["parameters"].as_array().is_some_and(|ps| {
                ps.iter().any(|p| p["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case("if-match")))
            });
            let deletes_itself = method == "delete" && path.ends_with("{id}");
            if !takes_if_match || deletes_itself {
                continue;
            }
            for (status, response) in op["responses"].as_object().ok_or("responses")? {
                let etag =
                    response["headers"].as_object().is_some_and(|h| h.keys().any(|k| k.eq_ignore_ascii_case("etag")));
                if status.starts_with('2') && !etag {
                    missing.push(format!("{method} {path} {status}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "no ETag documented: {missing:?}");
    Ok(())
}

/// Every `$ref` of the generated document points at a component it defines (a schema used
/// only by a query parameter must be registered by hand, and was once missed).
#[test]
fn every_reference_in_the_document_resolves() -> TestResult {
    fn walk(v: &Value, refs: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    refs.push(r.clone());
                }
                map.values().for_each(|v| walk(v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, refs)),
            _ => {}
        }
    }
    let doc: Value = serde_json::from_str(&kensa_api::openapi::json())?;
    let mut refs = Vec::new();
    walk(&doc, &mut refs);
    let unresolved: Vec<&String> = refs
        .iter()
        .filter(|r| r.trim_start_matches("#/").split('/').try_fold(&doc, |at, key| at.get(key)).is_none())
        .collect();
    assert!(!refs.is_empty(), "the document has references");
    assert!(unresolved.is_empty(), "unresolved: {unresolved:?}");
    Ok(())
}
