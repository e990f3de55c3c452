//! Verified addresses: sign-up mails a link; until the owner follows it, the organization
//! can explore but mails no one outside it (campaigns, invitations, resends, reviews).

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Member, TestApp, TestResult, due_in, graphql_input, link_token, spawn_app};
use crate::web_client::Visitor;

/// The token of the newest verification link mailed to `email`, and how many there are.
fn verification_links(app: &TestApp, email: &str) -> Vec<String> {
    app.mails_to(email).iter().filter_map(|m| link_token(m, "/verify/")).collect()
}

fn newest_verification_link(app: &TestApp, email: &str) -> Result<String, String> {
    verification_links(app, email).pop().ok_or(format!("no verification mail to {email}: {:?}", app.mails()))
}

async fn campaign_body(app: &TestApp, owner: &Member) -> serde_json::Value {
    let (supplier, _) = app.create_supplier(owner, "Parts Co", 1).await;
    let template = app.builtin_template(owner).await;
    json!({ "name": "FY2026", "template_id": template, "due_date": due_in(30), "supplier_ids": [supplier] })
}

#[tokio::test]
async fn an_unverified_organization_explores_but_mails_no_one_until_its_owner_follows_the_link() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup_unverified("New Buyer").await;
    let token = Some(owner.access_token.as_str());
    let me = app.get("/api/v1/me", token).await;
    assert_eq!(
        (me.body["user"]["email_verified"].clone(), me.body["organization"]["verified"].clone()),
        (json!(false), json!(false))
    );
    let gql_me = app.graphql(token, "{ me { user { emailVerified } organization { verified } } }").await;
    assert_eq!(
        gql_me.body["data"]["me"],
        json!({ "user": { "emailVerified": false }, "organization": { "verified": false } })
    );

    // Exploring works: a supplier registry, the templates.
    let campaign = campaign_body(&app, &owner).await;
    // Mailing anyone outside does not, over REST, GraphQL and the pages alike.
    let refused = app.post("/api/v1/campaigns", token, campaign.clone()).await;
    refused.assert_problem(403, "email_unverified");
    assert!(refused.body["detail"].as_str().is_some_and(|d| d.contains("verif")), "{}", refused.body);
    let invite = json!({ "email": crate::helpers::unique_email("colleague"), "role": "viewer" });
    app.post("/api/v1/users/invitations", token, invite.clone()).await.assert_problem(403, "email_unverified");
    let query = "mutation($i: CampaignInput!) { createCampaign(input: $i) { id } }";
    let gql =
        app.post("/graphql", token, json!({ "query": query, "variables": { "i": graphql_input(&campaign) } })).await;
    assert_eq!(gql.body["errors"][0]["extensions"]["code"], "email_unverified", "{}", gql.body);
    let mut browser = Visitor::signed_in(&app, &owner.email, "en").await;
    let banner = browser.get("/suppliers").await;
    assert!(banner.html.contains("not verified yet"), "{}", banner.html);
    let page =
        browser.submit("/settings", "/settings/invitations", &[("email", "x@example.com"), ("role", "viewer")]).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.html.contains("Verify your email address first"), "{}", page.html);

    // The mail, with its link; following it verifies the owner and the organization.
    app.run_worker().await;
    let link = newest_verification_link(&app, &owner.email)?;
    let mail = app.mails_to(&owner.email).pop().unwrap_or_default();
    assert!(
        mail.contains("http://kensa.test/verify/")
            && mail.contains("Please confirm that this address is yours")
            && mail.contains("あなたのものであることを確認"),
        "{mail}"
    );
    let verified = app.post(&format!("/api/v1/auth/verify-email/{link}"), None, json!({})).await;
    assert_eq!(verified.status, StatusCode::NO_CONTENT, "{}", verified.body);
    let me = app.get("/api/v1/me", token).await;
    assert_eq!(
        (me.body["user"]["email_verified"].clone(), me.body["organization"]["verified"].clone()),
        (json!(true), json!(true))
    );

    // Now it may send.
    assert_eq!(app.post("/api/v1/campaigns", token, campaign).await.status, StatusCode::CREATED);
    assert_eq!(app.post("/api/v1/users/invitations", token, invite).await.status, StatusCode::CREATED);

    // The link works once; the event is in the audit trail.
    app.post(&format!("/api/v1/auth/verify-email/{link}"), None, json!({})).await.assert_problem(410, "link_used");
    let audit = app.get("/api/v1/audit-events?limit=200", token).await;
    let event =
        audit.body["data"].as_array().and_then(|d| d.iter().find(|e| e["action"] == "auth.email_verified").cloned());
    let event = event.ok_or(format!("no auth.email_verified event: {}", audit.body))?;
    assert_eq!(event["actor_user_id"], owner.user_id.as_str(), "{event}");
    assert!(event["request_id"].as_str().is_some_and(|r| !r.is_empty()), "{event}");
    Ok(())
}

#[tokio::test]
async fn a_verification_link_expires_after_seven_days_and_an_unknown_one_is_refused_alike() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup_unverified("Slow Buyer").await;
    app.run_worker().await;
    let link = newest_verification_link(&app, &owner.email)?;
    app.clock.advance(Duration::days(7) + Duration::seconds(1));
    app.post(&format!("/api/v1/auth/verify-email/{link}"), None, json!({})).await.assert_problem(410, "link_expired");
    for made_up in ["not-a-real-token", &"x".repeat(300)] {
        app.post(&format!("/api/v1/auth/verify-email/{made_up}"), None, json!({}))
            .await
            .assert_problem(410, "link_invalid");
    }
    let me = app.get("/api/v1/me", Some(&app.signed_in_again(&owner).await.access_token)).await;
    assert_eq!(me.body["user"]["email_verified"], false);
    Ok(())
}

#[tokio::test]
async fn an_owner_asks_for_a_new_link_a_few_times_an_hour_and_any_link_of_theirs_works() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup_unverified("Forgetful Buyer").await;
    let token = Some(owner.access_token.as_str());
    for _ in 0..3 {
        app.clock.advance(Duration::seconds(1));
        let asked = app.post("/api/v1/me/verify-email", token, json!({})).await;
        assert_eq!(
            (asked.status, asked.body["status"].clone()),
            (StatusCode::ACCEPTED, json!("accepted")),
            "{}",
            asked.body
        );
    }
    let refused = app.post("/api/v1/me/verify-email", token, json!({})).await;
    refused.assert_problem(429, "too_many_requests");
    assert!(refused.header("retry-after").parse::<u64>().is_ok_and(|s| s > 0 && s <= 3600), "{:?}", refused.headers);
    app.run_worker().await;
    let links = verification_links(&app, &owner.email);
    assert_eq!(links.len(), 4, "the sign-up's link and three more");
    // An older link still works (it proves the same address).
    let verified = app.post(&format!("/api/v1/auth/verify-email/{}", links[0]), None, json!({})).await;
    assert_eq!(verified.status, StatusCode::NO_CONTENT, "{}", verified.body);
    // Verified: nothing more is sent.
    let again = app.graphql(token, "mutation { resendVerificationMail }").await;
    assert_eq!(again.body["data"]["resendVerificationMail"], false, "{}", again.body);
    Ok(())
}

#[tokio::test]
async fn the_queued_mail_is_not_sent_once_the_address_is_verified() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup_unverified("Quick Buyer").await;
    app.run_worker().await;
    let link = newest_verification_link(&app, &owner.email)?;
    app.clock.advance(Duration::seconds(1));
    let asked = app.post("/api/v1/me/verify-email", Some(&owner.access_token), json!({})).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    app.post(&format!("/api/v1/auth/verify-email/{link}"), None, json!({})).await;
    app.run_worker().await;
    assert_eq!(verification_links(&app, &owner.email).len(), 1, "the second mail was skipped");
    let asked = app.post("/api/v1/me/verify-email", Some(&owner.access_token), json!({})).await;
    assert_eq!(asked.body["status"], "already_verified", "{}", asked.body);
    Ok(())
}

#[tokio::test]
async fn people_who_join_through_a_mailed_link_have_proven_their_address() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, _) = app.invited_supplier(1).await;
    let colleague = app.add_member(&buyer, "admin").await;
    let me = app.get("/api/v1/me", Some(&colleague.access_token)).await;
    assert_eq!(me.body["user"]["email_verified"], true, "{}", me.body);
    let me = app.get("/api/v1/me", Some(&supplier.access_token)).await;
    assert_eq!(
        (me.body["user"]["email_verified"].clone(), me.body["organization"]["verified"].clone()),
        (json!(true), json!(true))
    );
    // Neither got a verification mail.
    app.run_worker().await;
    assert!(
        verification_links(&app, &colleague.email).is_empty() && verification_links(&app, &supplier.email).is_empty()
    );

    // Someone else accepting the invitation (a claim) proved no address: their new
    // organization must verify like any sign-up.
    app.claimed_invitation(&buyer, "Other Parts", "someone@elsewhere.example").await;
    let signed_in = app.login("someone@elsewhere.example", crate::helpers::PASSWORD).await;
    let claimant = app.get("/api/v1/me", signed_in.body["access_token"].as_str()).await;
    assert_eq!(claimant.body["organization"]["verified"], false, "{}", claimant.body);
    app.run_worker().await;
    assert_eq!(verification_links(&app, "someone@elsewhere.example").len(), 1);
    Ok(())
}

#[tokio::test]
async fn the_gate_also_covers_resends_and_reviews() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let (supplier, _) = app.create_supplier(&buyer, "Parts Co", 1).await;
    let campaign = app.create_campaign(&buyer, std::slice::from_ref(&supplier), None).await;
    let assessment = campaign["assessments"][0]["id"].as_str().unwrap_or_default().to_owned();
    // As if the organization had never verified (the gate reads the database each time).
    let org: uuid::Uuid = buyer.org_id.parse()?;
    crate::invitation_links::execute_bound(
        &app,
        "UPDATE organizations SET verified_at = NULL WHERE id = $1",
        vec![org.into()],
    )
    .await?;
    let token = Some(buyer.access_token.as_str());
    app.post(&format!("/api/v1/assessments/{assessment}/resend-invitation"), token, json!({}))
        .await
        .assert_problem(403, "email_unverified");
    app.post(&format!("/api/v1/assessments/{assessment}/cancel"), token, json!({})).await;
    let template = app.builtin_template(&buyer).await;
    app.post(&format!("/api/v1/suppliers/{supplier}/reviews"), token, json!({ "template_id": template }))
        .await
        .assert_problem(403, "email_unverified");
    Ok(())
}

#[tokio::test]
async fn the_verify_page_verifies_only_when_its_button_is_pressed() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup_unverified("Page Buyer").await;
    app.run_worker().await;
    let link = newest_verification_link(&app, &owner.email)?;
    let mut visitor = Visitor::new(&app).english();
    // Opening the link (as a mail scanner would) changes nothing.
    let page = visitor.get(&format!("/verify/{link}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains("Verify my address"), "{}", page.html);
    let me = app.get("/api/v1/me", Some(&owner.access_token)).await;
    assert_eq!(me.body["user"]["email_verified"], false);
    let done = visitor.submit(&format!("/verify/{link}"), &format!("/verify/{link}"), &[]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.html.contains("Your address is verified"), "{}", done.html);
    let again = visitor.submit(&format!("/verify/{link}"), &format!("/verify/{link}"), &[]).await;
    assert_eq!(again.status, StatusCode::GONE);
    assert!(again.html.contains("This link does not work"), "{}", again.html);
    let me = app.get("/api/v1/me", Some(&owner.access_token)).await;
    assert_eq!(me.body["organization"]["verified"], true, "{}", me.body);
    Ok(())
}
