//! The account-security pages: the sign-in's second step, the enrolment a policy forces,
//! and `/account` (two-factor on and off, sign-ins ended).

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestResult, spawn_app};
use crate::mfa::{code, enrol};
use crate::web_client::{Page, Visitor};

/// The value of the first `name="…"` input of the page.
fn field(page: &Page, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    page.html
        .find(&marker)
        .map(|i| &page.html[i + marker.len()..])
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

/// A visitor who chose English (a signed-in user's own language wins over the header).
async fn english(app: &crate::helpers::TestApp) -> Visitor<'_> {
    let mut visitor = Visitor::with_language(app, "en");
    visitor.get("/language/en?next=/sign-in").await;
    visitor
}

#[tokio::test]
async fn a_user_with_two_factors_gives_the_code_on_the_second_page() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Pages MFA").await;
    let (secret, _) = enrol(&app, &owner).await?;
    let mut visitor = english(&app).await;
    let step = visitor.submit("/sign-in", "/sign-in", &[("email", &owner.email), ("password", PASSWORD)]).await;
    assert_eq!(step.status, StatusCode::OK, "{}", step.html);
    assert!(!visitor.cookies.keys().any(|k| k.ends_with("kensa_session")), "no session before the code");
    assert!(step.html.contains("autocomplete=\"one-time-code\""), "{}", step.html);
    let ticket = field(&step, "mfa_ticket");
    let wrong =
        visitor.post("/sign-in/mfa", &[("_csrf", &step.csrf()), ("mfa_ticket", &ticket), ("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.html.contains("The code is not valid"), "{}", wrong.html);
    app.clock.advance(chrono::Duration::seconds(30));
    let right = code(&app, &secret, 0);
    let done =
        visitor.post("/sign-in/mfa", &[("_csrf", &wrong.csrf()), ("mfa_ticket", &ticket), ("code", &right)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    assert!(visitor.cookies.keys().any(|k| k.ends_with("kensa_session")));
    let account = visitor.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(
        account.html.contains("Two-factor authentication is on") && account.html.contains("this device"),
        "{}",
        account.html
    );
    // A dead ticket sends the visitor back to the password.
    let again =
        visitor.post("/sign-in/mfa", &[("_csrf", &account.csrf()), ("mfa_ticket", &ticket), ("code", &right)]).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert!(again.html.contains("name=\"password\""), "{}", again.html);
    Ok(())
}

#[tokio::test]
async fn a_required_enrolment_shows_a_qr_code_then_the_recovery_codes() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Pages Policy").await;
    let set =
        app.patch("/api/v1/organization/settings", Some(&owner.access_token), json!({ "mfa_required": true })).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let mut visitor = english(&app).await;
    let step = visitor.submit("/sign-in", "/sign-in", &[("email", &owner.email), ("password", PASSWORD)]).await;
    assert_eq!(step.status, StatusCode::OK, "{}", step.html);
    assert!(step.html.contains("Your organization requires two-factor authentication"), "{}", step.html);
    assert!(step.html.contains("<svg"), "a QR code");
    let secret = field(&step, "secret");
    let form = [
        ("_csrf", step.csrf()),
        ("mfa_ticket", field(&step, "mfa_ticket")),
        ("secret", secret.clone()),
        ("otpauth_uri", field(&step, "otpauth_uri")),
        ("code", code(&app, &secret, 0)),
    ];
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let done = visitor.post("/sign-in/mfa/enrol", &fields).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    assert_eq!(done.html.matches("<li><code>").count(), 10, "{}", done.html);
    assert!(visitor.cookies.keys().any(|k| k.ends_with("kensa_session")));
    assert_eq!(visitor.get("/assessments").await.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn the_account_page_turns_two_factors_on_and_off_and_ends_other_sign_ins() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Pages Account").await;
    let mut visitor = english(&app).await;
    visitor.sign_in(&owner.email, PASSWORD).await;
    let page = visitor.get("/account").await;
    assert!(page.html.contains("Two-factor authentication is off"), "{}", page.html);
    let enrolment = visitor.post("/account/mfa", &[("_csrf", &page.csrf())]).await;
    assert_eq!(enrolment.status, StatusCode::OK, "{}", enrolment.html);
    let secret = field(&enrolment, "secret");
    let uri = field(&enrolment, "otpauth_uri");
    let wrong = visitor
        .post(
            "/account/mfa/confirm",
            &[("_csrf", &page.csrf()), ("secret", &secret), ("otpauth_uri", &uri), ("code", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(field(&wrong, "secret"), secret, "the same QR code again");
    let ok = visitor.post("/account/mfa/confirm", &[("_csrf", &page.csrf()), ("code", &code(&app, &secret, 0))]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.html);
    assert_eq!(ok.html.matches("<li><code>").count(), 10);
    assert!(visitor.get("/account").await.html.contains("Two-factor authentication is on"));
    app.clock.advance(chrono::Duration::seconds(30));
    let off = visitor.post("/account/mfa/disable", &[("_csrf", &page.csrf()), ("code", &code(&app, &secret, 0))]).await;
    assert_eq!(off.location(), "/account?done=mfa_off");

    // The sign-up's API sign-in is another device: ended from here.
    assert!(visitor.get("/account").await.html.matches("/end\"").count() >= 2);
    let ended = visitor.post("/account/sessions/end-others", &[("_csrf", &page.csrf())]).await;
    assert_eq!(ended.location(), "/account?done=sessions_ended");
    let refused = app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": owner.refresh_token })).await;
    refused.assert_problem(401, "invalid_refresh_token");
    assert_eq!(visitor.get("/account").await.status, StatusCode::OK, "this browser stays signed in");
    Ok(())
}

#[tokio::test]
async fn owners_set_the_security_policy_and_manage_api_keys_in_the_settings() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Pages Settings").await;
    let mut visitor = english(&app).await;
    visitor.sign_in(&owner.email, PASSWORD).await;
    let page = visitor.get("/settings").await;
    assert!(page.html.contains("Account security policy") && page.html.contains("API keys"), "{}", page.html);
    let csrf = page.csrf();
    let bad = visitor
        .post("/settings/security", &[("_csrf", &csrf), ("session_idle_minutes", "1"), ("session_lifetime_days", "30")])
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("aria-invalid=\"true\""), "{}", bad.html);
    let saved = visitor
        .post(
            "/settings/security",
            &[
                ("_csrf", &csrf),
                ("mfa_required_for_admins", "1"),
                ("session_idle_minutes", "60"),
                ("session_lifetime_days", "7"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let settings = app.get("/api/v1/organization/settings", Some(&owner.access_token)).await;
    assert_eq!(
        (
            &settings.body["mfa_required"],
            &settings.body["mfa_required_for_admins"],
            &settings.body["session_idle_minutes"]
        ),
        (&json!(false), &json!(true), &json!(60))
    );

    let created =
        visitor.post("/settings/api-keys", &[("_csrf", &csrf), ("name", "ERP"), ("scope", "read_only")]).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.html);
    let marker = "id=\"new-key\">";
    let start = created.html.find(marker).ok_or("no key shown")? + marker.len();
    let key: String = created.html[start..].chars().take_while(|c| *c != '<').collect();
    assert!(key.starts_with("kensa_live_"), "{key}");
    assert_eq!(app.get("/api/v1/suppliers", Some(&key)).await.status, StatusCode::OK);
    let listed = app.get("/api/v1/api-keys", Some(&owner.access_token)).await;
    let id = listed.body["data"][0]["id"].as_str().ok_or("id")?.to_owned();
    assert!(!visitor.get("/settings").await.html.contains(&key), "shown once only");
    let revoked = visitor.post(&format!("/settings/api-keys/{id}/revoke"), &[("_csrf", &csrf)]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    app.get("/api/v1/suppliers", Some(&key)).await.assert_problem(401, "invalid_token");
    Ok(())
}

#[tokio::test]
async fn a_member_takes_their_data_and_schedules_then_cancels_their_erasure_on_the_account_page() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Pages Data").await;
    let member = app.add_member(&owner, "respondent").await;
    // A signed-in user's own language wins: theirs is English.
    app.execute_sql("UPDATE users SET locale = 'en'").await;
    let mut visitor = Visitor::new(&app).english();
    visitor.sign_in(&member.email, PASSWORD).await;
    let page = visitor.get("/account").await;
    assert!(page.html.contains("Your data") && page.html.contains("Prepare an archive of my data"), "{}", page.html);

    let started = visitor.submit("/account", "/account/data/export", &[]).await;
    assert_eq!((started.status, started.location()), (StatusCode::SEE_OTHER, "/account?done=export_started#data"));
    app.run_worker().await;
    let page = visitor.get("/account").await;
    assert!(page.html.contains("Ready"), "{}", page.html);
    let marker = "action=\"/account/data/exports/";
    let id = page.html.find(marker).map(|i| &page.html[i + marker.len()..]).and_then(|r| r.split('/').next());
    let id = id.ok_or("no download form")?.to_owned();
    let link = visitor.post(&format!("/account/data/exports/{id}/download"), &[("_csrf", &page.csrf())]).await;
    assert_eq!(link.status, StatusCode::SEE_OTHER, "{}", link.html);
    assert!(link.location().starts_with("/api/v1/exports/download/"), "{}", link.location());
    let archive = app.get(link.location(), None).await;
    assert_eq!((archive.status, archive.content_type()), (StatusCode::OK, "application/zip"));

    let wrong = visitor.submit("/account", "/account/erasure", &[("password", "not the password")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.html.contains("The password is not correct."), "{}", wrong.html);
    let scheduled = visitor.submit("/account", "/account/erasure", &[("password", PASSWORD)]).await;
    assert_eq!(scheduled.status, StatusCode::SEE_OTHER, "{}", scheduled.html);
    let page = visitor.get("/account?done=erasure_scheduled").await;
    assert!(page.html.contains("This account will be erased at"), "{}", page.html);
    let cancelled = visitor.submit("/account", "/account/erasure/cancel", &[]).await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    let page = visitor.get("/account?done=erasure_cancelled").await;
    assert!(page.html.contains("The erasure of your account was cancelled."), "{}", page.html);
    assert!(page.html.contains("Erase my account"), "{}", page.html);
    let erasure = app.get(&format!("/api/v1/users/{}/erasure", member.user_id), Some(&owner.access_token)).await;
    assert_eq!(erasure.body["status"], "cancelled", "{}", erasure.body);

    // The organization's last owner is told why not.
    let mut owner_visitor = Visitor::new(&app).english();
    owner_visitor.sign_in(&owner.email, PASSWORD).await;
    let refused = owner_visitor.submit("/account", "/account/erasure", &[("password", PASSWORD)]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // (The owner's cached principal still reads Japanese: the words are the same.)
    let said = ["last owner cannot be erased", "組織の最後のオーナーは消去できません"];
    assert!(said.iter().any(|s| refused.html.contains(s)), "{}", refused.html);
    Ok(())
}

#[tokio::test]
async fn an_owner_sets_retention_exports_and_schedules_then_cancels_the_erasure_in_the_settings() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Pages Org Data").await;
    let admin = app.add_member(&owner, "admin").await;
    app.execute_sql("UPDATE users SET locale = 'en'").await;
    // The principal this process cached a moment ago still reads Japanese.
    app.kensa.principals.invalidate(owner.user_id.parse()?);
    // Admins see the settings, not the organization's data.
    let mut admin_visitor = Visitor::new(&app).english();
    admin_visitor.sign_in(&admin.email, PASSWORD).await;
    let page = admin_visitor.get("/settings").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains("organization-data"), "{}", page.html);

    let mut visitor = Visitor::new(&app).english();
    visitor.sign_in(&owner.email, PASSWORD).await;
    let page = visitor.get("/settings").await;
    assert!(page.html.contains("id=\"organization-data\""), "{}", page.html);
    let refused = visitor.submit("/settings", "/settings/retention", &[("evidence_retention_years", "31")]).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.html);
    let saved = visitor.submit("/settings", "/settings/retention", &[("evidence_retention_years", "5")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let settings = app.get("/api/v1/organization/settings", Some(&owner.access_token)).await;
    assert_eq!(settings.body["evidence_retention_years"], 5, "{}", settings.body);

    let started = visitor.submit("/settings", "/settings/export", &[]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    app.run_worker().await;
    let page = visitor.get("/settings").await;
    let marker = "action=\"/settings/exports/";
    let id = page.html.find(marker).map(|i| &page.html[i + marker.len()..]).and_then(|r| r.split('/').next());
    let id = id.ok_or("no download form")?.to_owned();
    let link = visitor.post(&format!("/settings/exports/{id}/download"), &[("_csrf", &page.csrf())]).await;
    assert!(link.location().starts_with("/api/v1/exports/download/"), "{}", link.location());
    assert_eq!(app.get(link.location(), None).await.status, StatusCode::OK);

    let wrong = visitor.submit("/settings", "/settings/erasure", &[("password", "not the password")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.html.contains("The password is not correct."), "{}", wrong.html);
    let scheduled = visitor.submit("/settings", "/settings/erasure", &[("password", PASSWORD)]).await;
    assert_eq!(scheduled.status, StatusCode::SEE_OTHER, "{}", scheduled.html);
    let page = visitor.get("/settings").await;
    assert!(page.html.contains("The organization will be erased at"), "{}", page.html);
    let cancelled = visitor.submit("/settings", "/settings/erasure/cancel", &[]).await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    let erasure = app.get("/api/v1/organization/erasure", Some(&owner.access_token)).await;
    assert_eq!(erasure.body["status"], "cancelled", "{}", erasure.body);
    Ok(())
}
