use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestResult, spawn_app, unique_email};

#[tokio::test]
async fn signup_returns_a_session_and_me_shows_the_owner() -> TestResult {
    let app = spawn_app().await;
    let email = unique_email("Aki");
    let reply = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({ "organization_name": "Acme Parts", "name": "Aki", "email": email, "password": PASSWORD, "locale": "en" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["token_type"], "Bearer");
    assert_eq!(reply.body["expires_in"], 900);
    assert_eq!(reply.body["user"]["email"], email.to_lowercase());
    assert!(reply.body["user"].get("password_hash").is_none());
    let token = reply.body["access_token"].as_str().ok_or("no token")?;

    let me = app.get("/api/v1/me", Some(token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["role"], "owner");
    assert_eq!(me.body["organization"]["name"], "Acme Parts");
    assert_eq!(me.body["user"]["locale"], "en");
    Ok(())
}

#[tokio::test]
async fn weak_passwords_are_refused_naming_each_failed_rule() -> TestResult {
    let app = spawn_app().await;
    for (password, rule) in [
        ("Short1!", "password_too_short"),
        ("abcdefghijklmnop", "password_single_character_class"),
        ("123456789012", "password_sequential"),
        ("Password1234", "password_common"),
    ] {
        let reply = app
            .post(
                "/api/v1/auth/signup",
                None,
                json!({ "organization_name": "Acme", "name": "A", "email": unique_email("weak"), "password": password }),
            )
            .await;
        reply.assert_problem(422, "validation_failed");
        let codes: Vec<&str> =
            reply.body["errors"].as_array().ok_or("errors")?.iter().filter_map(|e| e["code"].as_str()).collect();
        assert!(codes.contains(&rule), "{password}: expected {rule} in {codes:?}");
        assert!(reply.body["errors"].as_array().ok_or("errors")?.iter().all(|e| e["field"] == "password"));
    }
    Ok(())
}

#[tokio::test]
async fn breached_and_guessable_passwords_are_refused_with_zxcvbn_advice() -> TestResult {
    let app = spawn_app().await;
    for (password, org, rule) in [
        // Whole entries of the breach list, whatever the case or l33t swaps.
        ("123QweAsdZxc", "Globex", "password_common"),
        ("TheCakeIsAlie", "Globex", "password_common"),
        // Built from what the person typed: weak for them, fine for someone else.
        ("AcmeTrading-2024", "Acme Trading", "password_too_weak"),
        ("Monkey12345!", "Globex", "password_too_weak"),
    ] {
        let body = json!({ "organization_name": org, "name": "Sam Someone", "email": unique_email("weak"), "password": password });
        let reply = app.post("/api/v1/auth/signup", None, body).await;
        reply.assert_problem(422, "validation_failed");
        let errors = reply.body["errors"].as_array().ok_or("errors")?;
        let error = errors.iter().find(|e| e["code"] == rule);
        assert!(error.is_some_and(|e| e["field"] == "password"), "{password}: expected {rule} in {errors:?}");
        if rule == "password_too_weak" {
            let message = error.and_then(|e| e["message"].as_str()).unwrap_or_default();
            assert!(message.starts_with("is too easy to guess: "), "{password}: no advice in {message:?}");
        }
    }
    let elsewhere = json!({ "organization_name": "Globex", "name": "Kim Other", "email": unique_email("strong"), "password": "AcmeTrading-2024" });
    assert_eq!(app.post("/api/v1/auth/signup", None, elsewhere).await.status, StatusCode::CREATED);
    Ok(())
}

#[tokio::test]
async fn signup_lists_every_invalid_field_at_once() -> TestResult {
    let app = spawn_app().await;
    let reply = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({ "organization_name": " ", "name": "", "email": "not-an-email", "password": "x" }),
        )
        .await;
    reply.assert_problem(422, "validation_failed");
    let fields: Vec<&str> =
        reply.body["errors"].as_array().ok_or("errors")?.iter().filter_map(|e| e["field"].as_str()).collect();
    for field in ["organization_name", "name", "email", "password"] {
        assert!(fields.contains(&field), "{field} missing from {fields:?}");
    }
    Ok(())
}

#[tokio::test]
async fn an_email_is_taken_whatever_its_case() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let reply = app
        .post(
            "/api/v1/auth/signup",
            None,
            json!({ "organization_name": "Other", "name": "B", "email": owner.email.to_uppercase(), "password": PASSWORD }),
        )
        .await;
    reply.assert_problem(409, "email_taken");
    Ok(())
}

#[tokio::test]
async fn login_compares_emails_case_insensitively_and_rejects_wrong_passwords() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let ok = app.login(&format!("  {}  ", owner.email.to_uppercase()), PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["user"]["id"], owner.user_id.as_str());

    app.login(&owner.email, "wrong-Password-123").await.assert_problem(401, "invalid_credentials");
    app.login(&unique_email("nobody"), PASSWORD).await.assert_problem(401, "invalid_credentials");
    Ok(())
}

#[tokio::test]
async fn refresh_rotates_and_reusing_a_used_token_revokes_the_whole_family() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;

    let first = app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": owner.refresh_token })).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let second_token = first.body["refresh_token"].as_str().ok_or("token")?.to_owned();
    assert_ne!(second_token, owner.refresh_token);
    let access = first.body["access_token"].as_str().ok_or("token")?;
    assert_eq!(app.get("/api/v1/me", Some(access)).await.status, StatusCode::OK);

    // The first token again, past the 30-second grace: theft is assumed, the family dies.
    app.clock.advance(chrono::Duration::seconds(31));
    app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": owner.refresh_token }))
        .await
        .assert_problem(401, "refresh_token_reused");
    app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": second_token }))
        .await
        .assert_problem(401, "invalid_refresh_token");

    // Another sign-in is a different family and still works.
    let other = app.login(&owner.email, PASSWORD).await;
    let other_token = other.body["refresh_token"].as_str().ok_or("token")?;
    assert_eq!(
        app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": other_token })).await.status,
        StatusCode::OK
    );
    Ok(())
}

#[tokio::test]
async fn unknown_refresh_tokens_are_refused() -> TestResult {
    let app = spawn_app().await;
    app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": "made-up" }))
        .await
        .assert_problem(401, "invalid_refresh_token");
    Ok(())
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let reply = app.post("/api/v1/auth/logout", None, json!({ "refresh_token": owner.refresh_token })).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": owner.refresh_token }))
        .await
        .assert_problem(401, "invalid_refresh_token");
    // Logging out twice is not an error.
    let again = app.post("/api/v1/auth/logout", None, json!({ "refresh_token": owner.refresh_token })).await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
    Ok(())
}

#[tokio::test]
async fn an_account_is_throttled_at_one_address_after_five_failures_even_with_the_right_password() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    for _ in 0..5 {
        app.login(&owner.email, "wrong-Password-123").await.assert_problem(401, "invalid_credentials");
    }
    let blocked = app.login(&owner.email, PASSWORD).await;
    blocked.assert_problem(429, "too_many_requests");
    let retry_after: u64 = blocked.headers.get("retry-after").ok_or("no Retry-After")?.to_str()?.parse()?;
    assert!(retry_after > 0 && retry_after <= 15 * 60, "Retry-After {retry_after}");
    Ok(())
}

#[tokio::test]
async fn a_client_address_is_throttled_after_twenty_failures_across_accounts() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    for _ in 0..20 {
        app.login(&unique_email("guess"), "wrong-Password-123").await.assert_problem(401, "invalid_credentials");
    }
    app.login(&owner.email, PASSWORD).await.assert_problem(429, "too_many_requests");
    Ok(())
}

#[tokio::test]
async fn a_successful_login_resets_the_account_counter() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    for _ in 0..3 {
        app.login(&owner.email, "wrong-Password-123").await.assert_problem(401, "invalid_credentials");
    }
    assert_eq!(app.login(&owner.email, PASSWORD).await.status, StatusCode::OK);
    // The address counter still holds 3; one more failure on the account is not a lock-out.
    app.login(&owner.email, "wrong-Password-123").await.assert_problem(401, "invalid_credentials");
    Ok(())
}
