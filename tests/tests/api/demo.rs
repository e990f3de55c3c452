//! `kensa-api demo`: a fresh database gets a buyer, twenty suppliers and assessments in every
//! state, and the printed credentials sign in; a used database is refused unless forced.

use std::collections::BTreeMap;

use kensa_server::demo::{self, DemoError};
use kensa_worker::mail;
use reqwest::StatusCode;

use crate::helpers::{TestResult, spawn_app};

#[tokio::test]
async fn the_demo_fills_a_fresh_database_with_assessments_in_every_state() -> TestResult {
    let app = spawn_app().await;
    let report = demo::run(&app.kensa, mail::from_settings(&app.settings)?, false).await?;
    assert_eq!(report.suppliers, 20);

    // The printed credentials work, and the buyer sees every state over the API.
    let login = app.login(&report.owner_email, &report.password).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let token = login.body["access_token"].as_str().ok_or("access_token")?.to_owned();
    let list = app.get("/api/v1/assessments?role=buyer&limit=200", Some(&token)).await;
    let rows = list.body["data"].as_array().ok_or("data")?;
    assert_eq!(rows.len(), 20);
    let mut states: BTreeMap<&str, usize> = BTreeMap::new();
    for row in rows {
        *states.entry(row["status"].as_str().ok_or("status")?).or_default() += 1;
    }
    for state in ["sent", "in_progress", "submitted", "changes_requested", "accepted", "cancelled"] {
        assert!(states.get(state).is_some_and(|n| *n > 0), "no assessment is {state}: {states:?}");
    }
    let overdue: Vec<_> = rows.iter().filter(|r| r["overdue"] == true).collect();
    assert_eq!(overdue.len(), 1, "one overdue assessment");
    assert_eq!(report.overdue, 1);

    // Answered assessments carry plausible answers: mostly implemented, some not.
    let accepted = rows.iter().find(|r| r["status"] == "accepted").ok_or("accepted")?;
    let progress = &accepted["progress"];
    assert_eq!(progress["answered"], progress["total"], "an accepted assessment is fully answered");
    let id = accepted["id"].as_str().ok_or("id")?;
    let questions = app.get(&format!("/api/v1/assessments/{id}/questions?limit=200"), Some(&token)).await;
    // A bare array today; `{data, next_cursor}` once the list shapes are made consistent.
    let questions = questions.body.get("data").unwrap_or(&questions.body).as_array().ok_or("questions")?;
    let statuses: std::collections::BTreeSet<&str> =
        questions.iter().filter_map(|q| q["answer"]["status"].as_str()).collect();
    assert!(statuses.contains("implemented") && statuses.len() > 1, "varied answers: {statuses:?}");
    let suppliers = app.get("/api/v1/suppliers?limit=200", Some(&token)).await;
    assert_eq!(suppliers.body["data"].as_array().map(Vec::len), Some(20));

    // A supplier signs in with the same password and sees its own assessment.
    let email = accepted["supplier"]["name"].as_str().ok_or("supplier name")?;
    let supplier = suppliers.body["data"]
        .as_array()
        .and_then(|list| list.iter().find(|s| s["name"] == email))
        .and_then(|s| s["contact_email"].as_str())
        .ok_or("contact email")?
        .to_owned();
    let login = app.login(&supplier, &report.password).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    // The invitations still pending are in the outbox, usable.
    assert_eq!(app.mails().len(), 20, "one invitation mail per supplier");
    Ok(())
}

#[tokio::test]
async fn the_demo_refuses_a_database_that_already_holds_organizations_unless_forced() -> TestResult {
    let app = spawn_app().await;
    app.signup("Existing Buyer").await;
    let refused = demo::run(&app.kensa, mail::from_settings(&app.settings)?, false).await;
    assert!(matches!(refused, Err(DemoError::NotEmpty(1))), "{refused:?}");
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("--force"), "the message says how to go on: {message}");

    let forced = demo::run(&app.kensa, mail::from_settings(&app.settings)?, true).await?;
    assert_eq!(forced.suppliers, 20);
    // Twice is fine too: a forced demo takes addresses of its own.
    let again = demo::run(&app.kensa, mail::from_settings(&app.settings)?, true).await?;
    assert_ne!(again.owner_email, forced.owner_email);
    Ok(())
}
