//! The supplier registry and its CSV import.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResult, spawn_app};

fn names(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .map(|d| d.iter().filter_map(|s| s["name"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_buyer_registers_lists_updates_and_deletes_suppliers() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let token = Some(buyer.access_token.as_str());
    let created = app
        .post(
            "/api/v1/suppliers",
            token,
            json!({ "name": "Tokai Seiki", "contact_name": "Ito", "contact_email": "Ito@Tokai.example", "tier": "tier2",
                    "target_level": 2, "review_interval_months": 24, "tags": ["castings", "aichi"] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["contact_email"], "ito@tokai.example");
    assert_eq!(created.body["organization_id"], Value::Null);
    assert_eq!(created.body["review_status"], "not_started");
    let id = created.body["id"].as_str().ok_or("id")?;
    app.create_supplier(&buyer, "Kanto Denki", 1).await;

    assert_eq!(names(&app.get("/api/v1/suppliers?q=TOKAI", token).await.body), vec!["Tokai Seiki"]);
    assert_eq!(names(&app.get("/api/v1/suppliers?q=tokai.example", token).await.body), vec!["Tokai Seiki"]);
    assert_eq!(names(&app.get("/api/v1/suppliers?tag=aichi", token).await.body), vec!["Tokai Seiki"]);
    assert_eq!(names(&app.get("/api/v1/suppliers?target_level=1", token).await.body), vec!["Kanto Denki"]);
    assert_eq!(names(&app.get("/api/v1/suppliers?tier=tier2", token).await.body), vec!["Tokai Seiki"]);
    assert_eq!(names(&app.get("/api/v1/suppliers?review_status=not_started", token).await.body).len(), 2);
    let first = app.get("/api/v1/suppliers?limit=1", token).await;
    let cursor = first.body["next_cursor"].as_str().ok_or("cursor")?;
    assert_eq!(names(&app.get(&format!("/api/v1/suppliers?limit=1&cursor={cursor}"), token).await.body).len(), 1);

    let updated = app.patch(&format!("/api/v1/suppliers/{id}"), token, json!({ "target_level": 3, "tags": [] })).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(updated.body["target_level"], 3);
    assert_eq!(updated.body["name"], "Tokai Seiki");

    let deleted = app.delete(&format!("/api/v1/suppliers/{id}"), token).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    app.get(&format!("/api/v1/suppliers/{id}"), token).await.assert_problem(404, "not_found");
    assert_eq!(names(&app.get("/api/v1/suppliers", token).await.body), vec!["Kanto Denki"]);
    // A deleted record no longer holds its email.
    let again = app
        .post("/api/v1/suppliers", token, json!({ "name": "Tokai Seiki", "contact_email": "ito@tokai.example" }))
        .await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    Ok(())
}

#[tokio::test]
async fn supplier_input_is_validated_field_by_field() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let reply = app
        .post(
            "/api/v1/suppliers",
            Some(&buyer.access_token),
            json!({ "name": "", "contact_email": "nope", "target_level": 4, "review_interval_months": 61 }),
        )
        .await;
    reply.assert_problem(422, "validation_failed");
    let fields: Vec<&str> =
        reply.body["errors"].as_array().ok_or("errors")?.iter().filter_map(|e| e["field"].as_str()).collect();
    for f in ["name", "contact_email", "target_level", "review_interval_months"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    let (_, email) = app.create_supplier(&buyer, "Dup", 1).await;
    app.post("/api/v1/suppliers", Some(&buyer.access_token), json!({ "name": "Again", "contact_email": email }))
        .await
        .assert_problem(409, "supplier_email_taken");
    app.get("/api/v1/suppliers?target_level=9", Some(&buyer.access_token))
        .await
        .assert_problem(422, "validation_failed");
    Ok(())
}

async fn import(app: &TestApp, token: &str, body: Vec<u8>, query: &str) -> crate::helpers::Reply {
    let response = app
        .client
        .post(app.url(&format!("/api/v1/suppliers/import{query}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await;
    match response {
        Ok(r) => TestApp::read(r).await,
        Err(e) => panic!("import failed: {e}"),
    }
}

#[tokio::test]
async fn a_csv_import_creates_and_updates_by_contact_email() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let (_, existing) = app.create_supplier(&buyer, "Old Name", 1).await;
    let csv = format!(
        "\u{feff}name,contact_name,contact_email,tier,target_level,tags\n\
         New Name,Abe,{existing},tier1,2,a;b\n\
         \"Suzuki, Ltd\",Suzuki,suzuki@example.com,tier2,1,\n"
    );
    let reply = import(&app, &buyer.access_token, csv.into_bytes(), "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!((reply.body["created"].as_u64(), reply.body["updated"].as_u64()), (Some(1), Some(1)));
    let list = app.get("/api/v1/suppliers", Some(&buyer.access_token)).await;
    let mut got = names(&list.body);
    got.sort();
    assert_eq!(got, vec!["New Name", "Suzuki, Ltd"]);
    Ok(())
}

#[tokio::test]
async fn a_shift_jis_csv_is_read() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let text =
        "name,contact_name,contact_email,tier,target_level,tags\n東海精機株式会社,伊藤,ito@tokai.example,一次,2,鋳造\n";
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    assert!(std::str::from_utf8(&bytes).is_err(), "the fixture must not be UTF-8");
    let reply = import(&app, &buyer.access_token, bytes.into_owned(), "").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let list = app.get("/api/v1/suppliers?q=ito@tokai", Some(&buyer.access_token)).await;
    assert_eq!(list.body["data"][0]["name"], "東海精機株式会社");
    assert_eq!(list.body["data"][0]["tags"], json!(["鋳造"]));
    Ok(())
}

#[tokio::test]
async fn a_csv_with_a_bad_row_imports_nothing_unless_partial() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let csv = "name,contact_name,contact_email,tier,target_level,tags\n\
               Good,A,good@example.com,,1,\n\
               Bad,B,not-an-email,,1,\n\
               Worse,C,worse@example.com,,7,\n";
    let refused = import(&app, &buyer.access_token, csv.as_bytes().to_vec(), "").await;
    refused.assert_problem(422, "import_rejected");
    let lines: Vec<&str> =
        refused.body["errors"].as_array().ok_or("errors")?.iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(lines, vec!["line 3", "line 4"]);
    assert!(names(&app.get("/api/v1/suppliers", Some(&buyer.access_token)).await.body).is_empty());

    let partial = import(&app, &buyer.access_token, csv.as_bytes().to_vec(), "?partial=true").await;
    assert_eq!(partial.status, StatusCode::OK, "{}", partial.body);
    assert_eq!(partial.body["created"], 1);
    assert_eq!(partial.body["rejected"].as_array().map(Vec::len), Some(2));
    assert_eq!(names(&app.get("/api/v1/suppliers", Some(&buyer.access_token)).await.body), vec!["Good"]);

    let wrong_type = app
        .client
        .post(app.url("/api/v1/suppliers/import"))
        .bearer_auth(&buyer.access_token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await?;
    TestApp::read(wrong_type).await.assert_problem(415, "unsupported_media_type");
    let header_only = import(&app, &buyer.access_token, b"foo,bar\n1,2\n".to_vec(), "").await;
    header_only.assert_problem(422, "validation_failed");
    Ok(())
}

#[tokio::test]
async fn a_csv_update_keeps_what_the_file_does_not_say() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let token = Some(buyer.access_token.as_str());
    let created = app
        .post(
            "/api/v1/suppliers",
            token,
            json!({ "name": "Old", "contact_email": "keep@example.com", "contact_locale": "en", "tier": "tier1",
                    "review_interval_months": 24, "tags": ["x"], "target_level": 2 }),
        )
        .await;
    let id = created.body["id"].as_str().ok_or("id")?;
    let reply = import(&app, &buyer.access_token, b"name,contact_email\nRenamed,keep@example.com\n".to_vec(), "").await;
    assert_eq!(reply.body["updated"], 1, "{}", reply.body);
    let after = app.get(&format!("/api/v1/suppliers/{id}"), token).await;
    assert_eq!(after.body["name"], "Renamed");
    for (field, value) in [
        ("contact_locale", json!("en")),
        ("tier", json!("tier1")),
        ("review_interval_months", json!(24)),
        ("tags", json!(["x"])),
        ("target_level", json!(2)),
    ] {
        assert_eq!(after.body[field], value, "{field} was overwritten");
    }
    Ok(())
}
