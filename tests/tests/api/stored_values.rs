//! A status, role or kind column holding a value the code does not know (a corrupt row, or one
//! written by a newer version) is a logged 500, never silently read as another value.

use serde_json::json;

use crate::helpers::{TestResult, spawn_app};
use crate::supplier_claims::{claim_as_new_account, invited_supplier_link, stranger_email};

#[tokio::test]
async fn an_unknown_stored_assessment_status_is_an_internal_error_not_a_cancelled_assessment() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let (supplier, _) = app.create_supplier(&buyer, "Parts Co", 1).await;
    let campaign = app.create_campaign(&buyer, &[supplier], None).await;
    let campaign_id = campaign["id"].as_str().ok_or("campaign id")?;
    app.execute_sql("UPDATE assessments SET status = 'archived'").await;

    app.get("/api/v1/assessments", Some(&buyer.access_token)).await.assert_problem(500, "internal_error");
    app.get(&format!("/api/v1/campaigns/{campaign_id}"), Some(&buyer.access_token))
        .await
        .assert_problem(500, "internal_error");
    Ok(())
}

#[tokio::test]
async fn an_unknown_stored_claim_status_is_an_internal_error_not_a_pending_claim() -> TestResult {
    let app = spawn_app().await;
    let (buyer, _, token) = invited_supplier_link(&app).await;
    let claim_id = claim_as_new_account(&app, &token, &stranger_email("mallory")).await?;
    app.execute_sql("UPDATE supplier_claims SET status = 'withdrawn'").await;

    app.get("/api/v1/supplier-claims", Some(&buyer.access_token)).await.assert_problem(500, "internal_error");
    app.post(&format!("/api/v1/supplier-claims/{claim_id}/approve"), Some(&buyer.access_token), json!({}))
        .await
        .assert_problem(500, "internal_error");
    Ok(())
}

/// The service checks for a taken address before hashing the password, so concurrent sign-ups
/// with one address race past that check and meet at the unique index; the loser must get the
/// same 409 as a late caller, read from the database's error code, never a 500.
#[tokio::test]
async fn concurrent_sign_ups_with_one_address_create_one_account_and_the_others_get_email_taken() -> TestResult {
    let app = spawn_app().await;
    let email = crate::helpers::unique_email("race");
    let body =
        json!({ "organization_name": "Race KK", "name": "R", "email": email, "password": crate::helpers::PASSWORD });
    let replies =
        futures_util::future::join_all((0..4).map(|_| app.post("/api/v1/auth/signup", None, body.clone()))).await;
    let created = replies.iter().filter(|r| r.status.as_u16() == 201).count();
    assert_eq!(created, 1, "{:?}", replies.iter().map(|r| (r.status, &r.body)).collect::<Vec<_>>());
    for reply in replies.iter().filter(|r| r.status.as_u16() != 201) {
        reply.assert_problem(409, "email_taken");
    }
    Ok(())
}
