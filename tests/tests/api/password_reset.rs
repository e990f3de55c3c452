//! Password reset by mail: the same answer whether or not the address has an account, a
//! single-use 30-minute link, every session ended after the reset, a notice to the address.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Member, PASSWORD, TestApp, TestResult, link_token, spawn_app, unique_email};
use crate::web_client::Visitor;

const NEW_PASSWORD: &str = "Another-Staple-battery-42";

async fn ask(app: &TestApp, email: &str) -> crate::helpers::Reply {
    app.post("/api/v1/auth/password-reset", None, json!({ "email": email })).await
}

fn reset_links(app: &TestApp, email: &str) -> Vec<String> {
    app.mails_to(email).iter().filter_map(|m| link_token(m, "/reset/")).collect()
}

/// Asks for a link for `m`, delivers it and returns its token (the one new link).
async fn mailed_link(app: &TestApp, m: &Member) -> Result<String, String> {
    let before = reset_links(app, &m.email);
    let asked = ask(app, &m.email).await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
    app.run_worker().await;
    let mut new: Vec<String> = reset_links(app, &m.email).into_iter().filter(|l| !before.contains(l)).collect();
    match (new.pop(), new.is_empty()) {
        (Some(link), true) => Ok(link),
        _ => Err(format!("expected one new reset mail to {}", m.email)),
    }
}

async fn reset(app: &TestApp, token: &str, password: &str) -> crate::helpers::Reply {
    app.post(&format!("/api/v1/auth/password-reset/{token}"), None, json!({ "password": password })).await
}

#[tokio::test]
async fn the_answer_is_the_same_whether_or_not_the_address_has_an_account() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let nobody = unique_email("nobody");
    let known = ask(&app, &owner.email).await;
    let unknown = ask(&app, &nobody).await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!((unknown.status, &unknown.body), (known.status, &known.body), "the answers differ");
    assert_eq!(known.content_type(), unknown.content_type());
    // Upper case and spaces name the same account, and answer the same too (a second
    // request, a second later: the app's clock stands still until moved).
    app.clock.advance(Duration::seconds(1));
    assert_eq!(ask(&app, &format!(" {} ", owner.email.to_uppercase())).await.body, known.body);
    app.run_worker().await;
    assert_eq!(reset_links(&app, &owner.email).len(), 2, "{:?}", app.mails());
    assert!(app.mails_to(&nobody).is_empty());
    // Not an address at all: a 422 naming the field, which says nothing about accounts.
    ask(&app, "not an address").await.assert_problem(422, "validation_failed");
    // Only the existing account's request is in the trail (its own organization's).
    let audit = app.get("/api/v1/audit-events?limit=200", Some(&owner.access_token)).await;
    let requested: Vec<_> = audit.body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "auth.password_reset_requested")
        .collect();
    assert_eq!(requested.len(), 2, "{}", audit.body);
    assert_eq!(requested[0]["client_ip"], "127.0.0.1", "{}", requested[0]);
    assert!(requested[0]["request_id"].as_str().is_some_and(|r| !r.is_empty()), "{}", requested[0]);
    Ok(())
}

#[tokio::test]
async fn a_reset_ends_every_session_verifies_the_address_and_mails_a_notice() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup_unverified("Acme").await;
    let second = app.signed_in_again(&owner).await;
    let mut browser = Visitor::signed_in(&app, &owner.email, "en").await;
    assert_eq!(browser.get("/assessments").await.status, StatusCode::OK);

    let link = mailed_link(&app, &owner).await?;
    let mail = app.mails_to(&owner.email).into_iter().find(|m| m.contains("/reset/")).unwrap_or_default();
    assert!(mail.contains("http://kensa.test/reset/") && mail.contains("パスワードの再設定"), "{mail}");
    let done = reset(&app, &link, NEW_PASSWORD).await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);

    // Every way in that existed before is closed.
    for m in [&owner, &second] {
        app.get("/api/v1/me", Some(&m.access_token)).await.assert_problem(401, "session_revoked");
        let refreshed = app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": m.refresh_token })).await;
        assert_eq!(refreshed.status, StatusCode::UNAUTHORIZED, "{}", refreshed.body);
    }
    let page = browser.get("/assessments").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "the browser session ended");
    assert!(page.location().starts_with("/sign-in"), "{}", page.location());
    app.login(&owner.email, PASSWORD).await.assert_problem(401, "invalid_credentials");
    let signed_in = app.login(&owner.email, NEW_PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    // The mail reached the address: it is verified (and so is the owner's organization).
    assert_eq!(signed_in.body["user"]["email_verified"], true);
    assert_eq!(signed_in.body["organization"]["verified"], true);

    // "Your password was changed", with when and from where.
    app.run_worker().await;
    let notice =
        app.mails_to(&owner.email).into_iter().find(|m| m.contains("password was changed")).ok_or("no notice")?;
    assert!(notice.contains("From address: 127.0.0.1") && notice.contains("接続元: 127.0.0.1"), "{notice}");
    assert!(notice.contains("If this was not you") && notice.contains("/forgot-password"), "{notice}");
    let token = signed_in.body["access_token"].as_str();
    let audit = app.get("/api/v1/audit-events?limit=200", token).await;
    let actions: Vec<&str> =
        audit.body["data"].as_array().into_iter().flatten().filter_map(|e| e["action"].as_str()).collect();
    assert!(actions.contains(&"auth.password_reset") && actions.contains(&"auth.email_verified"), "{actions:?}");
    Ok(())
}

#[tokio::test]
async fn a_reset_link_works_once_and_for_thirty_minutes() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let link = mailed_link(&app, &owner).await?;
    assert_eq!(reset(&app, &link, NEW_PASSWORD).await.status, StatusCode::NO_CONTENT);
    reset(&app, &link, "Yet-another-Horse-77").await.assert_problem(410, "link_used");

    // Thirty minutes after it was mailed, a link is dead.
    app.clock.advance(Duration::seconds(1));
    let late = mailed_link(&app, &owner).await?;
    app.clock.advance(Duration::minutes(30) + Duration::seconds(1));
    reset(&app, &late, "Yet-another-Horse-77").await.assert_problem(410, "link_expired");
    Ok(())
}

#[tokio::test]
async fn only_the_newest_reset_link_works_and_made_up_ones_are_refused() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let older = mailed_link(&app, &owner).await?;
    app.clock.advance(Duration::seconds(1));
    let newer = mailed_link(&app, &owner).await?;
    assert_ne!(older, newer);
    reset(&app, &older, "Yet-another-Horse-77").await.assert_problem(410, "link_used");
    assert_eq!(reset(&app, &newer, "Yet-another-Horse-77").await.status, StatusCode::NO_CONTENT);

    // Made-up tokens, and a verification link used as a reset link, are refused alike.
    reset(&app, "not-a-real-token", NEW_PASSWORD).await.assert_problem(410, "link_invalid");
    let unverified = app.signup_unverified("Other").await;
    app.run_worker().await;
    let verify = app.mails_to(&unverified.email).iter().find_map(|m| link_token(m, "/verify/")).ok_or("no mail")?;
    reset(&app, &verify, NEW_PASSWORD).await.assert_problem(410, "link_invalid");
    Ok(())
}

#[tokio::test]
async fn a_weak_password_is_refused_and_the_link_still_works() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let link = mailed_link(&app, &owner).await?;
    let weak = reset(&app, &link, "password").await;
    weak.assert_problem(422, "validation_failed");
    assert!(weak.body["errors"].as_array().into_iter().flatten().all(|e| e["field"] == "password"), "{}", weak.body);
    // The old password still signs in: nothing changed.
    assert_eq!(app.login(&owner.email, PASSWORD).await.status, StatusCode::OK);
    assert_eq!(reset(&app, &link, NEW_PASSWORD).await.status, StatusCode::NO_CONTENT);
    Ok(())
}

#[tokio::test]
async fn requests_are_throttled_per_address_asked_for_and_per_client() -> TestResult {
    let app = spawn_app().await;
    let victim = unique_email("victim");
    for _ in 0..3 {
        assert_eq!(ask(&app, &victim).await.status, StatusCode::ACCEPTED);
    }
    let refused = ask(&app, &victim).await;
    refused.assert_problem(429, "too_many_requests");
    assert!(refused.header("retry-after").parse::<u64>().is_ok_and(|s| s > 0 && s <= 3600), "{:?}", refused.headers);
    // Other addresses from the same client, up to its allowance of 10 an hour.
    for _ in 0..6 {
        assert_eq!(ask(&app, &unique_email("other")).await.status, StatusCode::ACCEPTED);
    }
    ask(&app, &unique_email("one-more")).await.assert_problem(429, "too_many_requests");
    Ok(())
}

#[tokio::test]
async fn the_pages_ask_for_a_link_and_set_a_new_password() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let mut visitor = Visitor::new(&app).english();
    let sign_in = visitor.get("/sign-in").await;
    assert!(sign_in.html.contains("href=\"/forgot-password\""), "{}", sign_in.html);
    let known = visitor.submit("/forgot-password", "/forgot-password", &[("email", &owner.email)]).await;
    let unknown = visitor.submit("/forgot-password", "/forgot-password", &[("email", &unique_email("nobody"))]).await;
    assert_eq!((known.status, unknown.status), (StatusCode::OK, StatusCode::OK));
    let notice = |html: &str| {
        html.split("role=\"status\"").nth(1).map(|r| r.split("</div>").next().unwrap_or_default().to_owned())
    };
    assert_eq!(notice(&known.html), notice(&unknown.html), "the pages differ");
    assert!(notice(&known.html).is_some_and(|n| n.contains("If an account uses this address")), "{}", known.html);

    app.run_worker().await;
    let link = reset_links(&app, &owner.email).pop().ok_or("no mail")?;
    let form = visitor.get(&format!("/reset/{link}")).await;
    assert!(form.status == StatusCode::OK && form.html.contains("New password"), "{}", form.html);
    let weak = visitor.submit(&format!("/reset/{link}"), &format!("/reset/{link}"), &[("password", "short")]).await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done =
        visitor.submit(&format!("/reset/{link}"), &format!("/reset/{link}"), &[("password", NEW_PASSWORD)]).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert!(done.html.contains("Your password was changed"), "{}", done.html);
    let used = visitor.get(&format!("/reset/{link}")).await;
    assert_eq!(used.status, StatusCode::GONE);
    assert!(used.html.contains("This link does not work"), "{}", used.html);
    assert_eq!(app.login(&owner.email, NEW_PASSWORD).await.status, StatusCode::OK);
    Ok(())
}
