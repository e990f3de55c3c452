//! Sign-ins a user sees and ends, the organization's idle timeout and session lifetime
//! (driven by the app's clock), and the notice of a sign-in from a new address.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Member, PASSWORD, TestApp, TestResult, member, spawn_app, spawn_app_with};

async fn login_as(app: &TestApp, email: &str, headers: &[(&str, &str)]) -> Member {
    let reply = app
        .send_with(
            Method::POST,
            "/api/v1/auth/login",
            None,
            headers,
            Some(json!({ "email": email, "password": PASSWORD })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    member(email.to_owned(), &reply.body)
}

async fn refresh(app: &TestApp, m: &Member) -> crate::helpers::Reply {
    app.post("/api/v1/auth/refresh", None, json!({ "refresh_token": m.refresh_token })).await
}

fn listed(reply: &crate::helpers::Reply) -> Vec<Value> {
    reply.body["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_user_lists_their_sign_ins_and_ends_one_or_all_others() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Sessions Co").await;
    let laptop = login_as(&app, &owner.email, &[("user-agent", "Laptop/1.0")]).await;
    let phone = login_as(&app, &owner.email, &[("user-agent", "Phone/2.0")]).await;
    let list = app.get("/api/v1/me/sessions", Some(&laptop.access_token)).await;
    let sessions = listed(&list);
    assert_eq!(sessions.len(), 3, "{}", list.body);
    let current: Vec<&Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["user_agent"], "Laptop/1.0");
    assert_eq!(current[0]["address"], "127.0.0.1");
    let phone_id =
        sessions.iter().find(|s| s["user_agent"] == "Phone/2.0").and_then(|s| s["id"].as_str()).ok_or("phone")?;

    // Another user cannot end it, nor see it.
    let stranger = app.signup("Stranger").await;
    let theirs = app.delete(&format!("/api/v1/me/sessions/{phone_id}"), Some(&stranger.access_token)).await;
    theirs.assert_problem(404, "not_found");
    assert_eq!(listed(&app.get("/api/v1/me/sessions", Some(&stranger.access_token)).await).len(), 1);

    let ended = app.delete(&format!("/api/v1/me/sessions/{phone_id}"), Some(&laptop.access_token)).await;
    assert_eq!(ended.status, StatusCode::NO_CONTENT, "{}", ended.body);
    refresh(&app, &phone).await.assert_problem(401, "invalid_refresh_token");
    app.get("/api/v1/me", Some(&phone.access_token)).await.assert_problem(401, "session_revoked");
    let again = app.delete(&format!("/api/v1/me/sessions/{phone_id}"), Some(&laptop.access_token)).await;
    again.assert_problem(404, "not_found");

    let others = app.delete("/api/v1/me/sessions", Some(&laptop.access_token)).await;
    assert_eq!(others.body["ended"], 1, "{}", others.body);
    refresh(&app, &owner).await.assert_problem(401, "invalid_refresh_token");
    let left = listed(&app.get("/api/v1/me/sessions", Some(&laptop.access_token)).await);
    assert_eq!(left.len(), 1);
    assert_eq!(refresh(&app, &laptop).await.status, StatusCode::OK, "the current sign-in goes on");
    let gql = app.graphql(Some(&laptop.access_token), "{ mySessions { current userAgent } }").await;
    assert_eq!(gql.body["data"]["mySessions"], json!([{ "current": true, "userAgent": "Laptop/1.0" }]));
    Ok(())
}

#[tokio::test]
async fn the_default_idle_timeout_ends_a_sign_in_at_its_next_refresh() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Idle Co").await;
    app.clock.advance(chrono::Duration::hours(7) + chrono::Duration::minutes(59));
    let renewed = refresh(&app, &owner).await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
    let renewed = member(owner.email.clone(), &renewed.body);
    app.clock.advance(chrono::Duration::hours(8));
    refresh(&app, &renewed).await.assert_problem(401, "session_expired");
    // Ended, not only refused: the same token stays refused.
    refresh(&app, &renewed).await.assert_problem(401, "invalid_refresh_token");
    Ok(())
}

#[tokio::test]
async fn the_organizations_limits_are_enforced_on_refresh() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Limits Co").await;
    let t = Some(owner.access_token.as_str());
    let bad = app
        .patch("/api/v1/organization/settings", t, json!({ "session_idle_minutes": 2, "session_lifetime_days": 31 }))
        .await;
    bad.assert_problem(422, "validation_failed");
    let fields: Vec<&str> =
        bad.body["errors"].as_array().into_iter().flatten().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, ["session_idle_minutes", "session_lifetime_days"], "{}", bad.body);
    let longer = app
        .patch("/api/v1/organization/settings", t, json!({ "session_idle_minutes": 10080, "session_lifetime_days": 1 }))
        .await;
    longer.assert_problem(422, "validation_failed");
    let set = app
        .patch("/api/v1/organization/settings", t, json!({ "session_idle_minutes": 60, "session_lifetime_days": 1 }))
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);

    // Idle: 59 minutes pass, a refresh; 60 more, refused.
    let mut m = login_as(&app, &owner.email, &[]).await;
    app.clock.advance(chrono::Duration::minutes(59));
    let r = refresh(&app, &m).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    m = member(m.email.clone(), &r.body);
    app.clock.advance(chrono::Duration::minutes(60));
    refresh(&app, &m).await.assert_problem(401, "session_expired");

    // Lifetime: used every 50 minutes, it still ends a day after the password was given.
    let mut m = login_as(&app, &owner.email, &[]).await;
    let mut refreshed = 0;
    loop {
        app.clock.advance(chrono::Duration::minutes(50));
        let r = refresh(&app, &m).await;
        if r.status != StatusCode::OK {
            r.assert_problem(401, "session_expired");
            break;
        }
        refreshed += 1;
        m = member(m.email.clone(), &r.body);
    }
    assert_eq!(refreshed, 28, "24 h / 50 min: the 29th refresh is past the lifetime");
    let events = app.get("/api/v1/audit-events?limit=200", Some(&app.signed_in_again(&owner).await.access_token)).await;
    let expired: Vec<&Value> = events.body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["action"] == "auth.session_expired")
        .collect();
    let reasons: Vec<&str> = expired.iter().filter_map(|e| e["details"]["reason"].as_str()).collect();
    assert!(reasons.contains(&"idle_timeout") && reasons.contains(&"lifetime"), "{reasons:?}");
    Ok(())
}

#[tokio::test]
async fn a_sign_in_from_a_new_address_is_mailed_to_the_user_once() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_TRUSTED_PROXIES".into(), "127.0.0.1/32".into());
    })
    .await;
    let owner = app.signup("Notice Co").await;
    login_as(&app, &owner.email, &[]).await;
    app.run_worker().await;
    let notice = |m: &String| m.contains("203.0.113.7");
    assert!(!app.mails_to(&owner.email).iter().any(notice), "the sign-up's own address is known");
    let from = [("x-forwarded-for", "203.0.113.7"), ("user-agent", "Mallory/9")];
    login_as(&app, &owner.email, &from).await;
    login_as(&app, &owner.email, &from).await;
    app.run_worker().await;
    let mails: Vec<String> = app.mails_to(&owner.email).into_iter().filter(notice).collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(mails[0].contains("Mallory/9") && mails[0].contains("/account"), "{}", mails[0]);
    Ok(())
}
