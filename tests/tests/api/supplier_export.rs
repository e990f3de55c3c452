//! `GET /api/v1/suppliers/export`: the registry as CSV with formula cells neutralised, which
//! the import takes back unchanged (issue 7, item 14).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, TestResult, spawn_app, unique_email};

async fn export(app: &TestApp, member: &Member) -> Result<(StatusCode, String, Vec<u8>), reqwest::Error> {
    let response = app.client.get(app.url("/api/v1/suppliers/export")).bearer_auth(&member.access_token).send().await?;
    let status = response.status();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    Ok((status, content_type, response.bytes().await?.to_vec()))
}

async fn import(app: &TestApp, member: &Member, csv: Vec<u8>) -> Result<TestReply, reqwest::Error> {
    let response = app
        .client
        .post(app.url("/api/v1/suppliers/import"))
        .bearer_auth(&member.access_token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await?;
    Ok(TestApp::read(response).await)
}

type TestReply = crate::helpers::Reply;

/// The fields the export carries, per supplier, sorted by email.
async fn registry(app: &TestApp, member: &Member) -> Vec<Value> {
    let list = app.get("/api/v1/suppliers?limit=100", Some(&member.access_token)).await;
    let mut rows: Vec<Value> = list.body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            json!({ "name": s["name"], "contact_name": s["contact_name"], "contact_email": s["contact_email"],
                    "tier": s["tier"], "target_level": s["target_level"], "tags": s["tags"] })
        })
        .collect();
    rows.sort_by_key(|r| r["contact_email"].as_str().unwrap_or("").to_owned());
    rows
}

#[tokio::test]
async fn formula_cells_are_exported_with_a_leading_quote() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let email = unique_email("evil");
    let created = app
        .post(
            "/api/v1/suppliers",
            Some(&buyer.access_token),
            json!({ "name": "=HYPERLINK(\"evil.example\",\"Click\")", "contact_name": "@admin",
                    "contact_email": email, "tier": "+1", "tags": ["-x", "safe"] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let (status, content_type, bytes) = export(&app, &buyer).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with a byte-order mark for Excel");
    let text = String::from_utf8(bytes)?;
    let mut lines = text.trim_start_matches('\u{FEFF}').lines();
    assert_eq!(lines.next(), Some("name,contact_name,contact_email,contact_locale,tier,target_level,tags"));
    let row = lines.next().ok_or("a row")?;
    assert!(row.starts_with("\"'=HYPERLINK(\"\"evil.example\"\",\"\"Click\"\")\",'@admin,"), "{row}");
    assert!(row.ends_with(",ja,'+1,1,'-x;safe"), "{row}");
    Ok(())
}

#[tokio::test]
async fn an_export_imported_back_leaves_the_registry_unchanged() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    for (name, contact, tier, level, tags) in [
        ("=1+1", "-Tanaka", "tier1", 2, json!(["@tag", "二次"])),
        ("東海精機株式会社", "伊藤", "tier2", 3, json!([])),
        ("'=already quoted", "'plain", "+x", 1, json!(["a", "b"])),
    ] {
        let reply = app
            .post(
                "/api/v1/suppliers",
                Some(&buyer.access_token),
                json!({ "name": name, "contact_name": contact, "contact_email": unique_email("rt"),
                        "tier": tier, "target_level": level, "tags": tags }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }
    let before = registry(&app, &buyer).await;
    let (_, _, csv) = export(&app, &buyer).await?;
    let report = import(&app, &buyer, csv).await?;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(report.body["updated"], 3, "{}", report.body);
    assert_eq!(report.body["created"], 0);
    assert_eq!(registry(&app, &buyer).await, before);
    Ok(())
}
