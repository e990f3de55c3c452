//! A forwarded invitation link cannot make a stranger the supplier: acceptance by an address
//! that is neither the invited contact's nor in its domain waits for the buyer's decision.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, PASSWORD, TestApp, TestResult, member, spawn_app};

/// An address outside the contacts' domain (`create_supplier` uses example.com).
pub fn stranger_email(prefix: &str) -> String {
    format!("{prefix}-{}@elsewhere.example", uuid::Uuid::new_v4().simple())
}

/// A buyer with one invited supplier: (buyer, supplier record id, link token).
pub async fn invited_supplier_link(app: &TestApp) -> (Member, String, String) {
    let buyer = app.signup("Buyer Motors").await;
    let (supplier_id, email) = app.create_supplier(&buyer, "Parts Co", 1).await;
    app.create_campaign(&buyer, std::slice::from_ref(&supplier_id), None).await;
    app.run_worker().await;
    let token = app.supplier_token_for(&email);
    (buyer, supplier_id, token)
}

/// A stranger's new account accepts the link: 202, the claim id.
pub async fn claim_as_new_account(app: &TestApp, token: &str, email: &str) -> Result<String, String> {
    let body = json!({ "name": "Mallory", "email": email, "password": PASSWORD, "organization_name": "Forwarded KK" });
    let reply = app.post(&format!("/api/v1/invitations/{token}/accept"), None, body).await;
    if reply.status != StatusCode::ACCEPTED || reply.body["status"] != "pending_confirmation" {
        return Err(format!("expected 202 pending_confirmation: {} {}", reply.status, reply.body));
    }
    reply.body["claim_id"].as_str().map(str::to_owned).ok_or_else(|| format!("no claim_id: {}", reply.body))
}

async fn supplier_assessments(app: &TestApp, who: &Member) -> usize {
    let mine = app.get("/api/v1/assessments?role=supplier", Some(&who.access_token)).await;
    mine.body["data"].as_array().map(Vec::len).unwrap_or(usize::MAX)
}

async fn supplier_record(app: &TestApp, buyer: &Member, id: &str) -> Value {
    app.get(&format!("/api/v1/suppliers/{id}"), Some(&buyer.access_token)).await.body
}

#[tokio::test]
async fn a_forwarded_link_accepted_by_a_stranger_waits_for_the_buyer_and_links_once_approved() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier_id, token) = invited_supplier_link(&app).await;
    let email = stranger_email("mallory");

    let claim_id = claim_as_new_account(&app, &token, &email).await?;
    // The account exists and can sign in, but sees nothing and the record is not linked.
    let login = app.login(&email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let stranger = member(email.clone(), &login.body);
    assert_eq!(supplier_assessments(&app, &stranger).await, 0);
    assert!(supplier_record(&app, &buyer, &supplier_id).await["organization_id"].is_null());

    // The buyer's owner is told, with the claimant quoted as data.
    app.run_worker().await;
    let mails = app.mails_to(&buyer.email);
    let mail = mails.iter().find(|m| m.contains("/supplier-claims/")).ok_or("no claim mail to the buyer")?;
    assert!(mail.contains("\"Mallory\"") && mail.contains("\"Forwarded KK\""), "{mail}");

    let list = app.get("/api/v1/supplier-claims?status=pending", Some(&buyer.access_token)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let claim = &list.body["data"][0];
    assert_eq!(claim["id"], claim_id.as_str());
    assert_eq!(claim["status"], "pending");
    assert_eq!(claim["supplier_id"], supplier_id.as_str());
    assert_eq!(claim["supplier_name"], "Parts Co");
    assert_eq!(claim["claimant_name"], "Mallory");
    assert_eq!(claim["claimant_email"], email.as_str());
    assert_eq!(claim["claimant_organization_name"], "Forwarded KK");
    assert_eq!(claim["claimant_organization_id"], stranger.org_id.as_str());
    assert!(claim["created_at"].is_string());

    let approved =
        app.post(&format!("/api/v1/supplier-claims/{claim_id}/approve"), Some(&buyer.access_token), json!({})).await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.body);
    assert_eq!(approved.body["status"], "approved");
    assert_eq!(supplier_assessments(&app, &stranger).await, 1);
    assert_eq!(supplier_record(&app, &buyer, &supplier_id).await["organization_id"], stranger.org_id.as_str());
    app.post(&format!("/api/v1/supplier-claims/{claim_id}/approve"), Some(&buyer.access_token), json!({}))
        .await
        .assert_problem(409, "claim_decided");
    app.get(&format!("/api/v1/invitations/{token}"), None).await.assert_problem(410, "invitation_used");
    Ok(())
}

#[tokio::test]
async fn a_rejected_claim_leaves_the_supplier_unlinked_and_the_link_revoked() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier_id, token) = invited_supplier_link(&app).await;
    // An existing organization's owner, signed in, at an unrelated domain.
    let email = stranger_email("owner");
    let body = json!({ "organization_name": "Unrelated Co", "name": "Eve", "email": email, "password": PASSWORD });
    let signup = app.post("/api/v1/auth/signup", None, body).await;
    assert_eq!(signup.status, StatusCode::CREATED, "{}", signup.body);
    let stranger = member(email.clone(), &signup.body);

    let claimed =
        app.post(&format!("/api/v1/invitations/{token}/accept"), Some(&stranger.access_token), json!({})).await;
    assert_eq!(claimed.status, StatusCode::ACCEPTED, "{}", claimed.body);
    assert_eq!(claimed.body["status"], "pending_confirmation");
    let claim_id = claimed.body["claim_id"].as_str().ok_or("claim_id")?;

    // The same decisions through GraphQL.
    let listed = app
        .graphql(
            Some(&buyer.access_token),
            "{ supplierClaims(status: PENDING) { nodes { id claimantEmail claimantOrganizationName } } }",
        )
        .await;
    let claims = &listed.body["data"]["supplierClaims"]["nodes"];
    assert_eq!(claims[0]["id"], claim_id, "{}", listed.body);
    assert_eq!(claims[0]["claimantEmail"], email.as_str());
    assert_eq!(claims[0]["claimantOrganizationName"], "Unrelated Co");
    let rejected = app
        .graphql(
            Some(&buyer.access_token),
            &format!(r#"mutation {{ rejectSupplierClaim(id: "{claim_id}") {{ status }} }}"#),
        )
        .await;
    assert_eq!(rejected.body["data"]["rejectSupplierClaim"]["status"], "REJECTED", "{}", rejected.body);

    assert!(supplier_record(&app, &buyer, &supplier_id).await["organization_id"].is_null());
    assert_eq!(supplier_assessments(&app, &stranger).await, 0);
    app.get(&format!("/api/v1/invitations/{token}"), None).await.assert_problem(410, "invitation_revoked");
    app.post(&format!("/api/v1/invitations/{token}/accept"), Some(&stranger.access_token), json!({}))
        .await
        .assert_problem(410, "invitation_revoked");
    Ok(())
}

#[tokio::test]
async fn the_invited_contact_still_links_at_once_while_a_claim_waits() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier_id, token) = invited_supplier_link(&app).await;
    let claim_id = claim_as_new_account(&app, &token, &stranger_email("mallory")).await?;
    // One claim waits at a time; a second stranger is turned away (and no account is made).
    let second = stranger_email("trudy");
    let body = json!({ "name": "Trudy", "email": second, "password": PASSWORD, "organization_name": "T" });
    app.post(&format!("/api/v1/invitations/{token}/accept"), None, body).await.assert_problem(409, "claim_pending");
    assert_eq!(app.login(&second, PASSWORD).await.status, StatusCode::UNAUTHORIZED);

    // Someone at the contact's own domain (example.com) accepts: linked, the claim closes.
    let contact = app.accept_as_new_supplier(&token, "Parts Co KK").await;
    assert_eq!(supplier_assessments(&app, &contact).await, 1);
    assert_eq!(supplier_record(&app, &buyer, &supplier_id).await["organization_id"], contact.org_id.as_str());
    let list = app.get("/api/v1/supplier-claims", Some(&buyer.access_token)).await;
    assert_eq!(list.body["data"][0]["id"], claim_id.as_str());
    assert_eq!(list.body["data"][0]["status"], "superseded");
    app.post(&format!("/api/v1/supplier-claims/{claim_id}/approve"), Some(&buyer.access_token), json!({}))
        .await
        .assert_problem(409, "claim_decided");
    Ok(())
}

#[tokio::test]
async fn a_resend_closes_the_waiting_claim_and_a_claim_on_a_dead_link_cannot_be_approved() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier_id, token) = invited_supplier_link(&app).await;
    let first = claim_as_new_account(&app, &token, &stranger_email("mallory")).await?;
    let listed = app.get("/api/v1/assessments?role=buyer", Some(&buyer.access_token)).await;
    let assessment = listed.body["data"][0]["id"].as_str().ok_or("assessment id")?.to_owned();

    // The buyer resends to the right contact: the old link dies and its claim closes with it.
    let resent = app
        .post(&format!("/api/v1/assessments/{assessment}/resend-invitation"), Some(&buyer.access_token), json!({}))
        .await;
    assert!(resent.status.is_success(), "{}", resent.body);
    let closed = app.get("/api/v1/supplier-claims", Some(&buyer.access_token)).await;
    let claim = closed.body["data"].as_array().and_then(|all| all.iter().find(|c| c["id"] == first.as_str()));
    assert_eq!(claim.map(|c| c["status"].clone()), Some(json!("superseded")), "{}", closed.body);
    let approve =
        app.post(&format!("/api/v1/supplier-claims/{first}/approve"), Some(&buyer.access_token), json!({})).await;
    assert_eq!(approve.status, StatusCode::CONFLICT, "{}", approve.body);

    // A claim whose link expired while it waited cannot be approved either.
    app.run_worker().await;
    let contact =
        supplier_record(&app, &buyer, &supplier_id).await["contact_email"].as_str().unwrap_or_default().to_owned();
    // Of the two links mailed, the resent one is the one that still previews.
    let mut token = None;
    for candidate in app.mails_to(&contact).iter().filter_map(|m| crate::helpers::link_token(m, "/invitations/")) {
        if app.get(&format!("/api/v1/invitations/{candidate}"), None).await.status == StatusCode::OK {
            token = Some(candidate);
        }
    }
    let token = token.ok_or("no live resent link")?;
    let second = claim_as_new_account(&app, &token, &stranger_email("eve")).await?;
    app.execute_sql("UPDATE supplier_invitations SET expires_at = '2000-01-01 00:00:00+00'").await;
    let refused =
        app.post(&format!("/api/v1/supplier-claims/{second}/approve"), Some(&buyer.access_token), json!({})).await;
    refused.assert_problem(410, "invitation_revoked");
    assert!(supplier_record(&app, &buyer, &supplier_id).await["organization_id"].is_null(), "nothing was linked");
    Ok(())
}
