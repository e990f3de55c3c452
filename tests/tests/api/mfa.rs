//! TOTP two-factor authentication: enrolment, the sign-in's second step, recovery codes,
//! replayed codes, the organization's policy, throttling, and the routes that act on the
//! caller's own factor.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Member, PASSWORD, TestApp, TestResult, spawn_app};
use crate::isolation_coverage::OWN_FACTOR_ROUTES;

/// The code an authenticator app shows for `secret` at the app clock's time plus `offset`
/// seconds (computed here with the library apps' algorithm, not the server's code path).
pub fn code(app: &TestApp, secret: &str, offset: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned()).to_bytes().unwrap_or_default();
    let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, String::new());
    totp.generate(u64::try_from(app.kensa.now().timestamp() + offset).unwrap_or_default())
}

/// Turns MFA on for `m`; returns the secret and the recovery codes.
pub async fn enrol(app: &TestApp, m: &Member) -> Result<(String, Vec<String>), Box<dyn std::error::Error>> {
    let started = app.post("/api/v1/me/mfa/totp", Some(&m.access_token), json!(null)).await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let secret = started.body["secret"].as_str().ok_or("secret")?.to_owned();
    let confirmed =
        app.post("/api/v1/me/mfa/totp/confirm", Some(&m.access_token), json!({ "code": code(app, &secret, 0) })).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let codes: Vec<String> = confirmed.body["recovery_codes"]
        .as_array()
        .ok_or("recovery_codes")?
        .iter()
        .filter_map(|c| c.as_str().map(str::to_owned))
        .collect();
    Ok((secret, codes))
}

async fn ticket(app: &TestApp, email: &str) -> Result<String, Box<dyn std::error::Error>> {
    let login = app.login(email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    assert_eq!(login.body["mfa_required"], true, "{}", login.body);
    assert!(login.body.get("access_token").is_none(), "no token before the second factor: {}", login.body);
    Ok(login.body["mfa_ticket"].as_str().ok_or("mfa_ticket")?.to_owned())
}

async fn actions(app: &TestApp, m: &Member) -> Vec<String> {
    let events = app.get("/api/v1/audit-events?limit=200", Some(&m.access_token)).await;
    events.body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["action"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn enrolment_is_confirmed_by_a_first_code_and_then_sign_in_asks_for_one() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("MFA Co").await;
    let status = app.get("/api/v1/me/mfa", Some(&owner.access_token)).await;
    assert_eq!(status.body["enabled"], false, "{}", status.body);

    let started = app.post("/api/v1/me/mfa/totp", Some(&owner.access_token), json!(null)).await;
    let secret = started.body["secret"].as_str().ok_or("secret")?.to_owned();
    let uri = started.body["otpauth_uri"].as_str().ok_or("uri")?;
    assert!(uri.starts_with("otpauth://totp/Kensa:") && uri.contains(&format!("secret={secret}")), "{uri}");
    assert!(uri.contains("issuer=Kensa"), "{uri}");
    // Not in force until confirmed: the password alone still signs in.
    let before = app.login(&owner.email, PASSWORD).await;
    assert!(before.body["access_token"].is_string(), "{}", before.body);

    let wrong = app.post("/api/v1/me/mfa/totp/confirm", Some(&owner.access_token), json!({ "code": "000000" })).await;
    wrong.assert_problem(401, "invalid_mfa_code");
    let first = code(&app, &secret, 0);
    let confirmed = app.post("/api/v1/me/mfa/totp/confirm", Some(&owner.access_token), json!({ "code": first })).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let codes = confirmed.body["recovery_codes"].as_array().ok_or("codes")?;
    let distinct: std::collections::BTreeSet<&str> = codes.iter().filter_map(Value::as_str).collect();
    assert_eq!(distinct.len(), 10);
    let status = app.get("/api/v1/me/mfa", Some(&owner.access_token)).await;
    assert_eq!((status.body["enabled"].clone(), status.body["recovery_codes_left"].clone()), (json!(true), json!(10)));
    let again = app.post("/api/v1/me/mfa/totp", Some(&owner.access_token), json!(null)).await;
    again.assert_problem(409, "mfa_already_enabled");

    // The password now gives a ticket; the code of the step used to confirm is spent.
    let t = ticket(&app, &owner.email).await?;
    let replay = app.post("/api/v1/auth/mfa", None, json!({ "mfa_ticket": t, "code": first })).await;
    replay.assert_problem(401, "invalid_mfa_code");
    app.clock.advance(chrono::Duration::seconds(30));
    let next = code(&app, &secret, 0);
    let signed_in = app.post("/api/v1/auth/mfa", None, json!({ "mfa_ticket": t, "code": next })).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    let token = signed_in.body["access_token"].as_str().ok_or("token")?;
    assert_eq!(app.get("/api/v1/me", Some(token)).await.status, StatusCode::OK);
    // A ticket works once, and the same code does not work twice, even with a new ticket.
    let reused = app.post("/api/v1/auth/mfa", None, json!({ "mfa_ticket": t, "code": next })).await;
    reused.assert_problem(401, "invalid_mfa_ticket");
    let t2 = ticket(&app, &owner.email).await?;
    let replayed = app.post("/api/v1/auth/mfa", None, json!({ "mfa_ticket": t2, "code": next })).await;
    replayed.assert_problem(401, "invalid_mfa_code");
    // One step: the code with the password.
    app.clock.advance(chrono::Duration::seconds(30));
    let one_step = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": owner.email, "password": PASSWORD, "totp_code": code(&app, &secret, 0) }),
        )
        .await;
    assert!(one_step.body["access_token"].is_string(), "{}", one_step.body);

    let events = actions(&app, &owner).await;
    for action in ["auth.mfa_enrolment_started", "auth.mfa_enabled", "auth.mfa_failed"] {
        assert!(events.iter().any(|a| a == action), "{action} missing from {events:?}");
    }
    Ok(())
}

#[tokio::test]
async fn each_recovery_code_signs_in_once() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Recovery Co").await;
    let (_, codes) = enrol(&app, &owner).await?;
    let t = ticket(&app, &owner.email).await?;
    let used = app.post("/api/v1/auth/mfa", None, json!({ "mfa_ticket": t, "recovery_code": codes[0] })).await;
    assert_eq!(used.status, StatusCode::OK, "{}", used.body);
    let t = ticket(&app, &owner.email).await?;
    let again = app.post("/api/v1/auth/mfa", None, json!({ "mfa_ticket": t, "recovery_code": codes[0] })).await;
    again.assert_problem(401, "invalid_mfa_code");
    // Case and dashes do not matter.
    let typed = codes[1].to_uppercase().replace('-', "");
    let t = ticket(&app, &owner.email).await?;
    let second = app.post("/api/v1/auth/mfa", None, json!({ "mfa_ticket": t, "recovery_code": typed })).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let token = second.body["access_token"].as_str().ok_or("token")?;
    let status = app.get("/api/v1/me/mfa", Some(token)).await;
    assert_eq!(status.body["recovery_codes_left"], 8, "{}", status.body);
    let both =
        app.post("/api/v1/auth/mfa", None, json!({ "mfa_ticket": "x", "code": "1", "recovery_code": "2" })).await;
    assert_eq!(both.status.as_u16(), 422, "{}", both.body);
    Ok(())
}

#[tokio::test]
async fn a_code_or_a_recovery_code_turns_mfa_off_and_new_codes_replace_old_ones() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Disable Co").await;
    let (secret, codes) = enrol(&app, &owner).await?;
    let token = Some(owner.access_token.as_str());
    app.clock.advance(chrono::Duration::seconds(30));
    let renewed = app.post("/api/v1/me/mfa/recovery-codes", token, json!({ "code": code(&app, &secret, 0) })).await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    let fresh = renewed.body["recovery_codes"][0].as_str().ok_or("code")?.to_owned();
    let old = app.request(Method::DELETE, "/api/v1/me/mfa/totp", token, Some(json!({ "code": codes[2] }))).await;
    old.assert_problem(401, "invalid_mfa_code");
    let off = app.request(Method::DELETE, "/api/v1/me/mfa/totp", token, Some(json!({ "code": fresh }))).await;
    assert_eq!(off.status, StatusCode::NO_CONTENT, "{}", off.body);
    let login = app.login(&owner.email, PASSWORD).await;
    assert!(login.body["access_token"].is_string(), "the password alone signs in again: {}", login.body);
    let events = actions(&app, &owner).await;
    assert!(
        events.iter().any(|a| a == "auth.mfa_disabled")
            && events.iter().any(|a| a == "auth.recovery_codes_regenerated")
    );
    Ok(())
}

#[tokio::test]
async fn the_organizations_policy_forces_enrolment_at_the_next_sign_in() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Policy Co").await;
    let respondent = app.add_member(&owner, "respondent").await;
    let set = app
        .patch("/api/v1/organization/settings", Some(&owner.access_token), json!({ "mfa_required_for_admins": true }))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.body["mfa_required_for_admins"], true);
    // Owners and admins only: the respondent signs in with the password.
    let r = app.login(&respondent.email, PASSWORD).await;
    assert!(r.body["access_token"].is_string(), "{}", r.body);

    let login = app.login(&owner.email, PASSWORD).await;
    assert_eq!(
        (login.body["mfa_required"].clone(), login.body["enrolment_required"].clone()),
        (json!(true), json!(true))
    );
    assert!(login.body.get("access_token").is_none(), "{}", login.body);
    let t = login.body["mfa_ticket"].as_str().ok_or("ticket")?;
    // An enrolment ticket is no sign-in ticket.
    let wrong_kind = app.post("/api/v1/auth/mfa", None, json!({ "mfa_ticket": t, "code": "123456" })).await;
    wrong_kind.assert_problem(401, "invalid_mfa_ticket");
    let enrolment = app.post("/api/v1/auth/mfa/totp", None, json!({ "mfa_ticket": t })).await;
    let secret = enrolment.body["secret"].as_str().ok_or("secret")?;
    let done = app
        .post("/api/v1/auth/mfa/totp/confirm", None, json!({ "mfa_ticket": t, "code": code(&app, secret, 0) }))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    assert_eq!(done.body["recovery_codes"].as_array().map(Vec::len), Some(10), "{}", done.body);
    let token = done.body["access_token"].as_str().ok_or("token")?;
    let status = app.get("/api/v1/me/mfa", Some(token)).await;
    assert_eq!((status.body["enabled"].clone(), status.body["required_by_policy"].clone()), (json!(true), json!(true)));
    app.clock.advance(chrono::Duration::seconds(30));
    let off = app
        .request(Method::DELETE, "/api/v1/me/mfa/totp", Some(token), Some(json!({ "code": code(&app, secret, 0) })))
        .await;
    off.assert_problem(409, "mfa_required_by_policy");
    // The next sign-in asks for a code, not for enrolment.
    let next = app.login(&owner.email, PASSWORD).await;
    assert_eq!(next.body["enrolment_required"], false, "{}", next.body);
    let events = actions(&app, &owner).await;
    assert!(events.iter().any(|a| a == "organization.security_policy_updated"), "{events:?}");
    Ok(())
}

#[tokio::test]
async fn wrong_codes_are_throttled_and_a_ticket_takes_five_at_most() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Guess Co").await;
    let (secret, _) = enrol(&app, &owner).await?;
    // Both tickets first: password checks take time, code checks must follow each other.
    let t = ticket(&app, &owner.email).await?;
    let other = ticket(&app, &owner.email).await?;
    for _ in 0..5 {
        let wrong = app.post("/api/v1/auth/mfa", None, json!({ "mfa_ticket": t, "code": "000000" })).await;
        wrong.assert_problem(401, "invalid_mfa_code");
    }
    // Five wrong codes for the user, whatever the ticket: the next attempt must wait.
    let throttled =
        app.post("/api/v1/auth/mfa", None, json!({ "mfa_ticket": other, "code": code(&app, &secret, 0) })).await;
    throttled.assert_problem(429, "too_many_requests");
    assert!(!throttled.header("retry-after").is_empty());
    // The ticket that took five wrong codes is dead, even with the right one.
    app.clock.advance(chrono::Duration::seconds(30));
    let dead = app.post("/api/v1/auth/mfa", None, json!({ "mfa_ticket": t, "code": code(&app, &secret, 0) })).await;
    dead.assert_problem(401, "invalid_mfa_ticket");
    let t = other;
    // Tickets expire after five minutes.
    app.clock.advance(chrono::Duration::minutes(6));
    let late = app.post("/api/v1/auth/mfa", None, json!({ "mfa_ticket": t, "code": code(&app, &secret, 0) })).await;
    late.assert_problem(401, "invalid_mfa_ticket");
    Ok(())
}

#[tokio::test]
async fn own_factor_routes_refuse_anonymous_callers_and_api_keys() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Own Co").await;
    let key = app.post("/api/v1/api-keys", Some(&owner.access_token), json!({ "name": "K", "scope": "admin" })).await;
    let key = key.body["key"].as_str().ok_or("key")?.to_owned();
    for (method, path) in OWN_FACTOR_ROUTES {
        let method = Method::from_bytes(method.as_bytes())?;
        let body = Some(json!({ "code": "000000" }));
        let anonymous = app.request(method.clone(), path, None, body.clone()).await;
        assert_eq!(anonymous.status.as_u16(), 401, "{method} {path}: {}", anonymous.body);
        let by_key = app.request(method.clone(), path, Some(&key), body.clone()).await;
        by_key.assert_problem(404, "not_found");
        // A user without MFA has nothing to confirm, turn off or renew.
        let none = app.request(method.clone(), path, Some(&owner.access_token), body).await;
        none.assert_problem(409, "mfa_not_enabled");
    }
    for path in ["/api/v1/me/mfa", "/api/v1/me/sessions"] {
        app.get(path, Some(&key)).await.assert_problem(404, "not_found");
    }
    for field in ["confirmTotpEnrolment(code: \"000000\") { recoveryCodes }", "disableTotp(code: \"000000\")"] {
        let reply = app.graphql(Some(&owner.access_token), &format!("mutation {{ {field} }}")).await;
        assert_eq!(reply.body["errors"][0]["extensions"]["code"], "mfa_not_enabled", "{}", reply.body);
    }
    let reply =
        app.graphql(Some(&key), "mutation { regenerateRecoveryCodes(code: \"000000\") { recoveryCodes } }").await;
    assert_eq!(reply.body["errors"][0]["extensions"]["code"], "not_found", "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn graphql_enrols_and_turns_off_like_rest() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("GraphQL MFA").await;
    let token = Some(owner.access_token.as_str());
    let started = app.graphql(token, "mutation { startTotpEnrolment { secret otpauthUri } }").await;
    let secret = started.body["data"]["startTotpEnrolment"]["secret"].as_str().ok_or("secret")?.to_owned();
    let q = format!(r#"mutation {{ confirmTotpEnrolment(code: "{}") {{ recoveryCodes }} }}"#, code(&app, &secret, 0));
    let confirmed = app.graphql(token, &q).await;
    assert_eq!(confirmed.body["data"]["confirmTotpEnrolment"]["recoveryCodes"].as_array().map(Vec::len), Some(10));
    let status = app.graphql(token, "{ mfaStatus { enabled recoveryCodesLeft } }").await;
    assert_eq!(status.body["data"]["mfaStatus"], json!({ "enabled": true, "recoveryCodesLeft": 10 }));
    app.clock.advance(chrono::Duration::seconds(30));
    let off = app.graphql(token, &format!(r#"mutation {{ disableTotp(code: "{}") }}"#, code(&app, &secret, 0))).await;
    assert_eq!(off.body["data"]["disableTotp"], true, "{}", off.body);
    Ok(())
}

#[tokio::test]
async fn a_new_colleague_enrols_before_any_token_when_the_policy_requires_it() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Join Policy").await;
    let set =
        app.patch("/api/v1/organization/settings", Some(&owner.access_token), json!({ "mfa_required": true })).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let email = crate::helpers::unique_email("joiner");
    let invited = app
        .post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": email, "role": "viewer" }))
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
    app.run_worker().await;
    let token = app.invitation_token_for(&email);
    let accepted = app
        .post(
            &format!("/api/v1/user-invitations/{token}/accept"),
            None,
            json!({ "name": "Joiner", "password": PASSWORD }),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
    assert_eq!(accepted.body["enrolment_required"], true, "{}", accepted.body);
    assert!(accepted.body.get("access_token").is_none(), "no token before enrolment: {}", accepted.body);
    let t = accepted.body["mfa_ticket"].as_str().ok_or("ticket")?;
    let enrolment = app.post("/api/v1/auth/mfa/totp", None, json!({ "mfa_ticket": t })).await;
    let secret = enrolment.body["secret"].as_str().ok_or("secret")?;
    let done = app
        .post("/api/v1/auth/mfa/totp/confirm", None, json!({ "mfa_ticket": t, "code": code(&app, secret, 0) }))
        .await;
    assert!(done.body["access_token"].is_string(), "{}", done.body);
    Ok(())
}

#[tokio::test]
async fn an_api_key_cannot_change_the_security_policy() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Key Policy").await;
    let key = app.post("/api/v1/api-keys", Some(&owner.access_token), json!({ "name": "K", "scope": "admin" })).await;
    let key = key.body["key"].as_str().ok_or("key")?.to_owned();
    let weaker = app.patch("/api/v1/organization/settings", Some(&key), json!({ "session_lifetime_days": 30 })).await;
    weaker.assert_problem(403, "forbidden");
    let schedule = app.patch("/api/v1/organization/settings", Some(&key), json!({ "review_lead_days": 20 })).await;
    assert_eq!(schedule.status, StatusCode::OK, "the schedule stays an admin key's: {}", schedule.body);
    let long =
        app.post("/api/v1/me/mfa/totp/confirm", Some(&owner.access_token), json!({ "code": "1".repeat(65) })).await;
    long.assert_problem(422, "validation_failed");
    Ok(())
}
