//! Supplier invitation links: how long they live and when the buyer's changes revoke them.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::helpers::{Member, PASSWORD, TestApp, TestResult, due_in, spawn_app, unique_email};

/// Runs `sql` with bound values (so timestamps are stored exactly as the app stores them).
pub async fn execute_bound(app: &TestApp, sql: &str, values: Vec<sea_orm::Value>) -> TestResult {
    let backend = app.db.get_database_backend();
    app.db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
    Ok(())
}

/// A buyer, one supplier invited by a campaign due in `due_days`: (buyer, supplier id,
/// contact email, assessment id, token).
async fn invited(app: &TestApp, due_days: i64) -> Result<(Member, String, String, String, String), String> {
    let buyer = app.signup("Buyer Motors").await;
    let (supplier_id, email) = app.create_supplier(&buyer, "Parts Co", 1).await;
    let template = app.builtin_template(&buyer).await;
    let body = json!({ "name": "FY2026", "template_id": template, "due_date": due_in(due_days), "supplier_ids": [supplier_id] });
    let campaign = app.post("/api/v1/campaigns", Some(&buyer.access_token), body).await;
    let assessment = campaign.body["assessments"][0]["id"].as_str().ok_or(format!("{}", campaign.body))?.to_owned();
    app.run_worker().await;
    let token = app.supplier_token_for(&email);
    Ok((buyer, supplier_id, email, assessment, token))
}

/// Asserts that both the preview and the acceptance of `token` answer 410 `code`.
async fn assert_link_gone(app: &TestApp, token: &str, code: &str) {
    app.get(&format!("/api/v1/invitations/{token}"), None).await.assert_problem(410, code);
    let accept =
        json!({ "name": "Mallory", "email": unique_email("mallory"), "password": PASSWORD, "organization_name": "M" });
    app.post(&format!("/api/v1/invitations/{token}/accept"), None, accept).await.assert_problem(410, code);
}

#[tokio::test]
async fn changing_the_contact_email_revokes_the_old_link_and_invites_the_new_address() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier_id, _, _, old) = invited(&app, 30).await?;
    let new_email = unique_email("corrected");

    let updated = app
        .patch(
            &format!("/api/v1/suppliers/{supplier_id}"),
            Some(&buyer.access_token),
            json!({ "contact_email": new_email }),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);

    assert_link_gone(&app, &old, "invitation_revoked").await;
    app.run_worker().await;
    let fresh = app.supplier_token_for(&new_email);
    let preview = app.get(&format!("/api/v1/invitations/{fresh}"), None).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(preview.body["email"], new_email);
    Ok(())
}

#[tokio::test]
async fn deleting_the_supplier_revokes_its_links() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier_id, _, assessment, token) = invited(&app, 30).await?;
    let deleted = app.delete(&format!("/api/v1/suppliers/{supplier_id}"), Some(&buyer.access_token)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    assert_link_gone(&app, &token, "invitation_revoked").await;
    // A resend cannot bring a live link back for a removed supplier.
    let resent = app
        .post(&format!("/api/v1/assessments/{assessment}/resend-invitation"), Some(&buyer.access_token), json!({}))
        .await;
    resent.assert_problem(409, "supplier_deleted");
    Ok(())
}

#[tokio::test]
async fn cancelling_the_assessment_revokes_its_link() -> TestResult {
    let app = spawn_app().await;
    let (buyer, _, _, assessment, token) = invited(&app, 30).await?;
    let cancelled =
        app.post(&format!("/api/v1/assessments/{assessment}/cancel"), Some(&buyer.access_token), json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_link_gone(&app, &token, "invitation_revoked").await;
    Ok(())
}

fn expires_at(preview: &serde_json::Value) -> Result<DateTime<Utc>, Box<dyn std::error::Error>> {
    Ok(preview["expires_at"].as_str().ok_or("expires_at")?.parse::<DateTime<Utc>>()?)
}

#[tokio::test]
async fn a_link_for_a_due_date_sixty_days_out_still_works_on_day_45() -> TestResult {
    let app = spawn_app().await;
    let (_, _, _, _, token) = invited(&app, 60).await?;
    let preview = app.get(&format!("/api/v1/invitations/{token}"), None).await;
    let expires = expires_at(&preview.body)?;
    let due: NaiveDate = due_in(60).parse()?;
    assert!(expires >= due.and_time(chrono::NaiveTime::MIN).and_utc() + Duration::days(14), "{expires}");

    // 45 days pass: the stored expiry moves 45 days closer, as the clock would.
    let day_45 = expires - Duration::days(45);
    execute_bound(&app, "UPDATE supplier_invitations SET expires_at = $1", vec![day_45.into()]).await?;
    assert_eq!(app.get(&format!("/api/v1/invitations/{token}"), None).await.status, StatusCode::OK);

    // Past the due date and its grace period, the link is dead.
    let day_76 = expires - Duration::days(76);
    execute_bound(&app, "UPDATE supplier_invitations SET expires_at = $1", vec![day_76.into()]).await?;
    assert_link_gone(&app, &token, "invitation_expired").await;
    Ok(())
}

#[tokio::test]
async fn a_link_resent_after_the_due_date_still_lives_a_week() -> TestResult {
    let app = spawn_app().await;
    let (buyer, _, email, assessment, first) = invited(&app, 30).await?;
    let long_past = Utc::now().date_naive() - Duration::days(40);
    execute_bound(&app, "UPDATE assessments SET due_date = $1", vec![long_past.into()]).await?;

    let resent = app
        .post(&format!("/api/v1/assessments/{assessment}/resend-invitation"), Some(&buyer.access_token), json!({}))
        .await;
    assert_eq!(resent.status, StatusCode::ACCEPTED, "{}", resent.body);
    app.run_worker().await;
    let tokens: Vec<String> =
        app.mails_to(&email).iter().filter_map(|m| crate::helpers::link_token(m, "/invitations/")).collect();
    let second = tokens.iter().find(|t| **t != first).ok_or("no second link")?;
    let preview = app.get(&format!("/api/v1/invitations/{second}"), None).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(expires_at(&preview.body)? >= Utc::now() + Duration::days(7) - Duration::minutes(5));
    Ok(())
}
