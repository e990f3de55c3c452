//! Every list and string of a template document is bounded (issue 7, item 2): a million
//! one-character criteria must not reach the database or the cache.

use serde_json::{Value, json};

use crate::helpers::{TestResult, spawn_app};

fn template(key: &str) -> Value {
    json!({
        "key": key, "name": "Bounded", "guideline_version": "1", "language": "en",
        "categories": [{
            "number": 1, "name": "Policy", "purpose": "Have one",
            "sections": [{ "code": "1", "requirement": "A policy", "items": [
                { "no": 1, "level": 1, "question": "Policy?", "criteria": ["Written"] },
                { "no": 2, "level": 1, "question": "Reviewed?" }
            ]}]
        }]
    })
}

fn errors(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (e["field"].as_str().unwrap_or("").to_owned(), e["code"].as_str().unwrap_or("").to_owned()))
        .collect()
}

#[tokio::test]
async fn too_many_lines_and_too_long_strings_are_refused_each_with_its_path() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let mut doc = template("bounded");
    doc["categories"][0]["sections"][0]["items"][0]["criteria"] = json!(vec!["a"; 51]);
    doc["categories"][0]["sections"][0]["items"][1]["scope"] = json!(["ok", "x".repeat(1_001)]);
    doc["categories"][0]["sections"][0]["requirement"] = json!("r".repeat(4_001));
    doc["categories"][0]["purpose"] = json!("p".repeat(4_001));
    let reply = app.post("/api/v1/templates", Some(&owner.access_token), doc).await;
    reply.assert_problem(422, "validation_failed");
    let found = errors(&reply.body);
    for (field, code) in [
        ("categories[0].sections[0].items[0].criteria", "too_many"),
        ("categories[0].sections[0].items[1].scope[1]", "too_long"),
        ("categories[0].sections[0].requirement", "too_long"),
        ("categories[0].purpose", "too_long"),
    ] {
        assert!(found.contains(&(field.to_owned(), code.to_owned())), "{field} {code} missing from {found:?}");
    }
    // Fifty lines is fine.
    let mut ok = template("fifty");
    ok["categories"][0]["sections"][0]["items"][0]["criteria"] = json!(vec!["a"; 50]);
    let created = app.post("/api/v1/templates", Some(&owner.access_token), ok).await;
    assert_eq!(created.status.as_u16(), 201, "{}", created.body);
    Ok(())
}

#[tokio::test]
async fn too_many_sections_and_categories_are_refused_on_edit_too() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let created = app.post("/api/v1/templates", Some(&owner.access_token), template("editable")).await;
    let id = created.body["id"].as_str().ok_or("id")?;
    let sections: Vec<Value> = (0..101)
        .map(|i| json!({ "code": format!("s{i}"), "items": [{ "no": i + 1, "level": 1, "question": "Q" }] }))
        .collect();
    let categories = json!([{ "number": 1, "name": "Many", "sections": sections }]);
    let reply = app
        .patch(&format!("/api/v1/templates/{id}"), Some(&owner.access_token), json!({ "categories": categories }))
        .await;
    reply.assert_problem(422, "validation_failed");
    assert!(errors(&reply.body).contains(&("categories[0].sections".into(), "too_many".into())), "{}", reply.body);

    let many: Vec<Value> = (0..101)
        .map(|i| json!({ "number": i + 1, "name": "C", "sections": [{ "code": format!("c{i}"), "items": [{ "no": i + 1, "level": 1, "question": "Q" }] }] }))
        .collect();
    let reply =
        app.patch(&format!("/api/v1/templates/{id}"), Some(&owner.access_token), json!({ "categories": many })).await;
    reply.assert_problem(422, "validation_failed");
    assert!(errors(&reply.body).contains(&("categories".into(), "too_many".into())), "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn a_template_document_over_4_mib_is_refused_unread() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let mut doc = template("huge");
    // The issue's attack: a few megabytes of one-character criteria.
    doc["categories"][0]["sections"][0]["items"][0]["criteria"] = json!(vec!["a"; 1_100_000]);
    let reply = app.post("/api/v1/templates", Some(&owner.access_token), doc).await;
    reply.assert_problem(413, "payload_too_large");
    Ok(())
}

#[tokio::test]
async fn a_document_of_a_quarter_million_values_is_refused_before_it_is_parsed() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    // 1 MB of one-character criteria: under the byte limit, but parsed it would take far more.
    let criteria = vec!["a"; 250_000];
    let document = serde_json::json!({
        "key": "values", "name": "Values", "guideline_version": "1", "language": "en",
        "categories": [{ "number": 1, "name": "All", "sections": [{ "code": "1",
            "items": [{ "no": 1, "level": 1, "question": "Q?", "criteria": criteria }] }] }]
    });
    let reply = app.post("/api/v1/templates", Some(&owner.access_token), document).await;
    reply.assert_problem(413, "too_many_json_values");
    Ok(())
}
