//! `updated_since` on the supplier and assessment lists: what changed at or after an
//! instant, for clients that keep a copy in step.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Member, TestApp, TestResult, spawn_app};

fn stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

async fn names(app: &TestApp, member: &Member, path: &str) -> Vec<String> {
    let reply = app.get(path, Some(&member.access_token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
    let mut names: Vec<String> = reply.body["data"]
        .as_array()
        .map(|d| d.iter().filter_map(|s| s["name"].as_str().or(s["id"].as_str()).map(str::to_owned)).collect())
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn the_supplier_list_shows_what_changed_since_an_instant() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let (tokai, _) = app.create_supplier(&buyer, "Tokai", 1).await;
    let (kanto, _) = app.create_supplier(&buyer, "Kanto", 1).await;
    app.clock.advance(chrono::Duration::minutes(5));
    let since = stamp(app.kensa.now());
    assert!(names(&app, &buyer, &format!("/api/v1/suppliers?updated_since={since}")).await.is_empty());

    app.clock.advance(chrono::Duration::minutes(1));
    let patched =
        app.patch(&format!("/api/v1/suppliers/{tokai}"), Some(&buyer.access_token), json!({ "tier": "t2" })).await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(names(&app, &buyer, &format!("/api/v1/suppliers?updated_since={since}")).await, ["Tokai"]);

    // A campaign changes each supplier's review status: that is a change a client syncs.
    let later = {
        app.clock.advance(chrono::Duration::minutes(1));
        stamp(app.kensa.now())
    };
    app.create_campaign(&buyer, &[kanto], None).await;
    let changed = app.get(&format!("/api/v1/suppliers?updated_since={later}"), Some(&buyer.access_token)).await;
    let data = changed.body["data"].as_array().ok_or("data")?;
    assert_eq!(data.len(), 1, "{}", changed.body);
    assert_eq!((data[0]["name"].as_str(), data[0]["review_status"].as_str()), (Some("Kanto"), Some("sent")));
    assert_eq!(data[0]["version"], 2);
    // The instant itself is included (a client passes the newest updated_at it saw).
    let at = data[0]["updated_at"].as_str().ok_or("updated_at")?.replace('+', "%2B");
    assert_eq!(names(&app, &buyer, &format!("/api/v1/suppliers?updated_since={at}")).await, ["Kanto"]);
    assert_eq!(names(&app, &buyer, "/api/v1/suppliers").await, ["Kanto", "Tokai"]);
    Ok(())
}

#[tokio::test]
async fn the_assessment_list_shows_what_changed_since_an_instant() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    app.clock.advance(chrono::Duration::minutes(5));
    let since = stamp(app.kensa.now());
    let path = format!("/api/v1/assessments?updated_since={since}");
    assert!(names(&app, &buyer, &path).await.is_empty());
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
    assert_eq!(saved.status, StatusCode::OK);
    assert_eq!(names(&app, &buyer, &path).await, vec![id.clone()]);
    assert_eq!(names(&app, &supplier, &path).await, vec![id.clone()], "both sides see it");
    let view = app.get(&format!("/api/v1/assessments/{id}"), Some(&buyer.access_token)).await;
    let updated = chrono::DateTime::parse_from_rfc3339(view.body["updated_at"].as_str().ok_or("updated_at")?)?;
    assert!(updated > chrono::DateTime::parse_from_rfc3339(&since)?, "{}", view.body);
    Ok(())
}

#[tokio::test]
async fn a_bad_updated_since_is_a_422_naming_the_field() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    for list in ["/api/v1/suppliers", "/api/v1/assessments"] {
        for bad in ["yesterday", "2026-13-01T00:00:00Z", "0001-01-01T00:00:00Z"] {
            let reply = app.get(&format!("{list}?updated_since={bad}"), Some(&buyer.access_token)).await;
            reply.assert_problem(422, "validation_failed");
            assert_eq!(reply.body["errors"][0]["field"], "updated_since", "{list} {bad}: {}", reply.body);
        }
    }
    Ok(())
}
