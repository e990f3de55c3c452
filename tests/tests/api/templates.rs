//! The templates API: the built-in tree, filters, import, clone, edit, export.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, TestResult, graphql_input, spawn_app};

async fn builtin_id(app: &TestApp, member: &Member) -> Result<String, Box<dyn std::error::Error>> {
    let list = app.get("/api/v1/templates", Some(&member.access_token)).await;
    let id = list.body["data"]
        .as_array()
        .ok_or("data")?
        .iter()
        .find(|t| t["builtin"] == true && t["key"] == "jama-japia")
        .and_then(|t| t["id"].as_str())
        .ok_or("no built-in template")?;
    Ok(id.to_owned())
}

fn all_items(tree: &Value) -> Vec<Value> {
    tree["categories"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["sections"].as_array().into_iter().flatten())
        .flat_map(|s| s["items"].as_array().into_iter().flatten())
        .cloned()
        .collect()
}

/// A small valid custom template.
fn small_template(key: &str) -> Value {
    json!({
        "key": key, "name": "Supplier basics", "guideline_version": "2026.1", "language": "en",
        "categories": [{
            "number": 1, "name": "Policy", "purpose": "Have one",
            "sections": [{ "code": "1", "requirement": "A written policy", "items": [
                { "no": 1, "level": 1, "question": "Do you have a security policy?", "criteria": ["It is written down"] },
                { "no": 2, "level": 2, "question": "Is it reviewed yearly?", "frequency": ["1/year"] }
            ]}]
        }]
    })
}

#[tokio::test]
async fn the_builtin_tree_has_153_items_in_24_categories() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let id = builtin_id(&app, &owner).await?;
    let tree = app.get(&format!("/api/v1/templates/{id}"), Some(&owner.access_token)).await;
    assert_eq!(tree.status, StatusCode::OK, "{}", tree.body);
    assert_eq!(tree.body["builtin"], true);
    assert_eq!(tree.body["item_count"], 153);
    assert_eq!(tree.body["filtered_item_count"], 153);
    assert_eq!(tree.body["categories"].as_array().ok_or("categories")?.len(), 24);
    assert_eq!(tree.body["level_counts"], json!({ "1": 50, "2": 74, "3": 29 }));
    let items = all_items(&tree.body);
    assert_eq!(items.len(), 153);
    let inferred: Vec<u64> =
        items.iter().filter(|i| i["level_inferred"] == true).filter_map(|i| i["no"].as_u64()).collect();
    assert_eq!(inferred, vec![39, 40, 142, 153]);
    let first = &items[0];
    assert_eq!(first["no"], 1);
    assert_eq!(first["question"], "自社の情報セキュリティ対応方針(ポリシー)を策定している");
    assert_eq!(tree.body["categories"][5]["sections"][0]["code"], "6-1");
    assert_eq!(tree.body["categories"][0]["name_en"], "Policy");
    assert_eq!(tree.body["answer_scale"]["statuses"][1]["status"], "partially_implemented");
    assert_eq!(tree.body["answer_scale"]["statuses"][1]["credit"], 0.5);
    Ok(())
}

#[tokio::test]
async fn the_tree_filters_by_level_and_category() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let id = builtin_id(&app, &owner).await?;
    let token = Some(owner.access_token.as_str());

    for (level, expected) in [(1, 50), (2, 124), (3, 153)] {
        let tree = app.get(&format!("/api/v1/templates/{id}?max_level={level}"), token).await;
        let items = all_items(&tree.body);
        assert_eq!(items.len(), expected, "max_level={level}");
        assert_eq!(tree.body["filtered_item_count"], expected);
        assert!(items.iter().all(|i| i["level"].as_u64().is_some_and(|l| l <= level)));
    }
    let six = app.get(&format!("/api/v1/templates/{id}?category=6"), token).await;
    let codes: Vec<&str> = six.body["categories"][0]["sections"]
        .as_array()
        .ok_or("sections")?
        .iter()
        .filter_map(|s| s["code"].as_str())
        .collect();
    assert_eq!(codes, vec!["6-1", "6-2"]);
    assert_eq!(six.body["categories"].as_array().ok_or("categories")?.len(), 1);

    let both = app.get(&format!("/api/v1/templates/{id}?category=7&max_level=1"), token).await;
    assert!(all_items(&both.body).iter().all(|i| i["level"] == 1));

    app.get(&format!("/api/v1/templates/{id}?max_level=4"), token).await.assert_problem(422, "validation_failed");
    app.get(&format!("/api/v1/templates/{id}?max_level=one"), token).await.assert_problem(422, "validation_failed");
    app.get(&format!("/api/v1/templates/{id}?category=0"), token).await.assert_problem(422, "validation_failed");
    app.get("/api/v1/templates/00000000-0000-0000-0000-000000000000", token).await.assert_problem(404, "not_found");
    Ok(())
}

#[tokio::test]
async fn export_import_and_export_again_round_trip_the_content_unchanged() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let token = Some(owner.access_token.as_str());
    let id = builtin_id(&app, &owner).await?;
    let mut exported = app.get(&format!("/api/v1/templates/{id}/export"), token).await.body;
    assert_eq!(exported["key"], "jama-japia");
    exported["key"] = json!("acme-jama");

    let imported = app.post("/api/v1/templates", token, exported.clone()).await;
    assert_eq!(imported.status, StatusCode::CREATED, "{}", imported.body);
    assert_eq!(imported.body["builtin"], false);
    assert_eq!(imported.body["item_count"], 153);
    let new_id = imported.body["id"].as_str().ok_or("id")?;
    let again = app.get(&format!("/api/v1/templates/{new_id}/export"), token).await.body;
    assert_eq!(again, exported);
    Ok(())
}

#[tokio::test]
async fn a_bad_import_lists_every_error_with_its_path() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let mut doc = small_template("broken");
    doc["categories"][0]["sections"][0]["items"] = json!([
        { "no": 1, "level": 1, "question": "ok" },
        { "no": 1, "level": 4, "question": "  " }
    ]);
    doc["answer_scale"] = json!({ "statuses": [
        { "status": "implemented", "label_ja": "実施", "label_en": "Yes", "credit": 0.7, "enabled": true },
        { "status": "partially_implemented", "label_ja": "一部", "label_en": "Partly", "credit": 0.5, "enabled": true },
        { "status": "not_implemented", "label_ja": "未", "label_en": "No", "credit": 0.0, "enabled": true },
        { "status": "not_applicable", "label_ja": "対象外", "label_en": "N/A", "credit": null, "enabled": true }
    ]});
    let reply = app.post("/api/v1/templates", Some(&owner.access_token), doc).await;
    reply.assert_problem(422, "validation_failed");
    let fields: Vec<&str> =
        reply.body["errors"].as_array().ok_or("errors")?.iter().filter_map(|e| e["field"].as_str()).collect();
    for expected in [
        "categories[0].sections[0].items[1].no",
        "categories[0].sections[0].items[1].level",
        "categories[0].sections[0].items[1].question",
        "answer_scale.statuses[0]",
    ] {
        assert!(fields.contains(&expected), "{expected} missing from {fields:?}");
    }
    Ok(())
}

#[tokio::test]
async fn an_import_over_2000_items_is_refused() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let mut doc = small_template("huge");
    let items: Vec<Value> =
        (1..=2001).map(|no| json!({ "no": no, "level": 1, "question": format!("Q{no}") })).collect();
    doc["categories"][0]["sections"][0]["items"] = Value::Array(items);
    let reply = app.post("/api/v1/templates", Some(&owner.access_token), doc).await;
    reply.assert_problem(422, "validation_failed");
    assert!(reply.body["errors"].as_array().ok_or("errors")?.iter().any(|e| e["code"] == "too_many"));
    Ok(())
}

#[tokio::test]
async fn a_buyer_clones_the_builtin_and_overrides_an_inferred_level() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let token = Some(owner.access_token.as_str());
    let id = builtin_id(&app, &owner).await?;
    let clone = app.post(&format!("/api/v1/templates/{id}/clone"), token, json!({ "name": "Acme check sheet" })).await;
    assert_eq!(clone.status, StatusCode::CREATED, "{}", clone.body);
    assert_eq!(clone.body["source_template_id"], id.as_str());
    assert_eq!(clone.body["name"], "Acme check sheet");
    let clone_id = clone.body["id"].as_str().ok_or("id")?;

    let mut categories = clone.body["categories"].clone();
    for category in categories.as_array_mut().ok_or("categories")? {
        for section in category["sections"].as_array_mut().ok_or("sections")? {
            for item in section["items"].as_array_mut().ok_or("items")? {
                if item["no"] == 39 {
                    item["level"] = json!(2);
                    item["level_inferred"] = json!(false);
                    item["level_reason"] = json!("Acme decided Lv2");
                }
                // A rewritten Japanese question sent back with its old English: the English
                // (a translation of the old text) is dropped; one given anew is kept.
                if item["no"] == 1 {
                    item["question"] = json!("自社の情報セキュリティ方針を策定し、経営層が承認している");
                }
                if item["no"] == 3 {
                    item["question"] = json!("情報セキュリティ方針を全従業員に周知している");
                    item["question_en"] = json!("The policy is made known to every employee.");
                }
            }
        }
    }
    let patched = app.patch(&format!("/api/v1/templates/{clone_id}"), token, json!({ "categories": categories })).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
    assert_eq!(patched.body["level_counts"], json!({ "1": 50, "2": 75, "3": 28 }));
    let items = all_items(&patched.body);
    let item = |no: u64| items.iter().find(|i| i["no"] == no).cloned().unwrap_or_default();
    assert!(item(1)["question_en"].is_null(), "{}", item(1));
    assert!(!item(1)["criteria_en"].as_array().is_none_or(Vec::is_empty), "criteria untouched keep theirs");
    assert_eq!(item(3)["question_en"], "The policy is made known to every employee.");
    assert!(item(2)["question_en"].is_string(), "an untouched item keeps its English");

    // The built-in is untouched.
    let original = app.get(&format!("/api/v1/templates/{id}"), token).await;
    assert_eq!(original.body["level_counts"], json!({ "1": 50, "2": 74, "3": 29 }));

    // Cloning without a body works too.
    let plain = app
        .client
        .post(app.url(&format!("/api/v1/templates/{id}/clone")))
        .bearer_auth(&owner.access_token)
        .send()
        .await?;
    assert_eq!(plain.status().as_u16(), 201);
    Ok(())
}

#[tokio::test]
async fn the_answer_scale_can_switch_partial_off_but_not_break_the_formula() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let token = Some(owner.access_token.as_str());
    let created = app.post("/api/v1/templates", token, small_template("scale")).await;
    let id = created.body["id"].as_str().ok_or("id")?;
    let mut scale = created.body["answer_scale"].clone();
    scale["statuses"][1]["enabled"] = json!(false);
    let off = app.patch(&format!("/api/v1/templates/{id}"), token, json!({ "answer_scale": scale })).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!(off.body["answer_scale"]["statuses"][1]["enabled"], false);

    scale["statuses"][1]["credit"] = json!(1.5);
    app.patch(&format!("/api/v1/templates/{id}"), token, json!({ "answer_scale": scale }))
        .await
        .assert_problem(422, "validation_failed");
    Ok(())
}

#[tokio::test]
async fn builtin_and_used_templates_are_immutable() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let token = Some(owner.access_token.as_str());
    let id = builtin_id(&app, &owner).await?;
    app.patch(&format!("/api/v1/templates/{id}"), token, json!({ "name": "mine" }))
        .await
        .assert_problem(409, "template_immutable");

    let created = app.post("/api/v1/templates", token, small_template("used")).await;
    let custom = created.body["id"].as_str().ok_or("id")?;
    // An assessment starts using it (assessments arrive with the next issue).
    app.execute_sql("UPDATE templates SET in_use = true WHERE builtin = false").await;
    let reply = app.patch(&format!("/api/v1/templates/{custom}"), token, json!({ "name": "renamed" })).await;
    reply.assert_problem(409, "template_in_use");
    assert!(reply.body["detail"].as_str().is_some_and(|d| d.contains("clone")));
    Ok(())
}

#[tokio::test]
async fn template_keys_are_unique_within_an_organization() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let other = app.signup("Other").await;
    assert_eq!(
        app.post("/api/v1/templates", Some(&owner.access_token), small_template("k")).await.status,
        StatusCode::CREATED
    );
    app.post("/api/v1/templates", Some(&owner.access_token), small_template("k"))
        .await
        .assert_problem(409, "template_key_taken");
    assert_eq!(
        app.post("/api/v1/templates", Some(&other.access_token), small_template("k")).await.status,
        StatusCode::CREATED
    );
    Ok(())
}

#[tokio::test]
async fn graphql_serves_the_same_templates() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let id = builtin_id(&app, &owner).await?;
    let query = format!(
        r#"{{ templates {{ nodes {{ id key builtin itemCount }} }}
             template(id: "{id}", maxLevel: 1) {{ filteredItemCount categories {{ number nameEn sections {{ code items {{ no level levelInferred question }} }} }} }} }}"#
    );
    let reply = app.graphql(Some(&owner.access_token), &query).await;
    assert!(reply.body["errors"].is_null(), "{}", reply.body);
    assert_eq!(reply.body["data"]["templates"]["nodes"][0]["itemCount"], 153);
    assert_eq!(reply.body["data"]["template"]["filteredItemCount"], 50);

    let viewer = app.add_member(&owner, "viewer").await;
    let mutation = format!(r#"mutation {{ cloneTemplate(id: "{id}") {{ id }} }}"#);
    let refused = app.graphql(Some(&viewer.access_token), &mutation).await;
    assert_eq!(refused.body["errors"][0]["extensions"]["code"], "forbidden");

    let import = app
        .post(
            "/graphql",
            Some(&owner.access_token),
            json!({ "query": "mutation($d: TemplateDocumentInput!) { importTemplate(input: $d) { key itemCount } }", "variables": { "d": graphql_input(&small_template("gql")) } }),
        )
        .await;
    assert!(import.body["errors"].is_null(), "{}", import.body);
    assert_eq!(import.body["data"]["importTemplate"]["itemCount"], 2);

    let mut bad = small_template("gql-bad");
    bad["categories"][0]["sections"][0]["items"][0]["level"] = json!(9);
    let invalid = app
        .post(
            "/graphql",
            Some(&owner.access_token),
            json!({ "query": "mutation($d: TemplateDocumentInput!) { importTemplate(input: $d) { key } }", "variables": { "d": graphql_input(&bad) } }),
        )
        .await;
    assert_eq!(invalid.body["errors"][0]["extensions"]["code"], "validation_failed");
    assert_eq!(
        invalid.body["errors"][0]["extensions"]["errors"][0]["field"],
        "categories[0].sections[0].items[0].level"
    );
    Ok(())
}
