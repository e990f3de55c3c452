//! `RateLimit-Policy` / `RateLimit` where limits apply: sign-in, sign-up, anonymous GraphQL
//! (uploads: see `upload_bounds`). A refusal carries `Retry-After` and `r=0`.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestResult, spawn_app, spawn_app_with, unique_email};

#[tokio::test]
async fn sign_in_reports_both_of_its_quotas_and_a_refusal_says_when_to_come_back() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let ok = app.login(&owner.email, PASSWORD).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.header("ratelimit-policy"), "\"login-address\";q=20;w=900, \"login-account\";q=5;w=900");
    assert!(ok.header("ratelimit").starts_with("\"login-address\";r=19;t="), "{}", ok.header("ratelimit"));
    assert!(ok.header("ratelimit").contains("\"login-account\";r=4;t="), "{}", ok.header("ratelimit"));

    let mut last = ok;
    for _ in 0..6 {
        last = app.login(&owner.email, "not-the-password-1").await;
        if last.status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    last.assert_problem(429, "too_many_requests");
    let wait = last.header("retry-after").to_owned();
    assert!(wait.parse::<u64>().is_ok_and(|s| s >= 1), "Retry-After {wait:?}");
    assert!(
        last.header("ratelimit").contains(&format!("\"login-account\";r=0;t={wait}")),
        "{}",
        last.header("ratelimit")
    );
    Ok(())
}

#[tokio::test]
async fn sign_up_reports_the_allowance_of_the_address() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_SIGNUPS_PER_ADDRESS_PER_HOUR".into(), "2".into());
    })
    .await;
    let body =
        || json!({ "organization_name": "Acme", "name": "Aki", "email": unique_email("aki"), "password": PASSWORD });
    let first = app.post("/api/v1/auth/signup", None, body()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.header("ratelimit-policy"), "\"signup\";q=2;w=3600");
    assert!(first.header("ratelimit").starts_with("\"signup\";r=1;t="), "{}", first.header("ratelimit"));
    assert_eq!(app.post("/api/v1/auth/signup", None, body()).await.status, StatusCode::CREATED);
    let refused = app.post("/api/v1/auth/signup", None, body()).await;
    refused.assert_problem(429, "too_many_requests");
    let wait = refused.header("retry-after").to_owned();
    assert_eq!(refused.header("ratelimit"), format!("\"signup\";r=0;t={wait}"));
    Ok(())
}

#[tokio::test]
async fn anonymous_graphql_counts_down_its_minute() -> TestResult {
    let app = spawn_app().await;
    let first = app.graphql(None, "{ __typename }").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.header("ratelimit-policy"), "\"graphql-anonymous\";q=30;w=60");
    assert!(first.header("ratelimit").starts_with("\"graphql-anonymous\";r=29;t="), "{}", first.header("ratelimit"));
    let mut last = first;
    for _ in 0..30 {
        last = app.graphql(None, "{ __typename }").await;
    }
    last.assert_problem(429, "too_many_requests");
    assert!(last.header("ratelimit").starts_with("\"graphql-anonymous\";r=0;t="), "{}", last.header("ratelimit"));
    assert!(!last.header("retry-after").is_empty());
    // Signed-in callers are not rate-limited this way and get no such fields.
    let owner = app.signup("Acme").await;
    let signed_in = app.graphql(Some(&owner.access_token), "{ __typename }").await;
    assert_eq!(signed_in.header("ratelimit"), "");
    Ok(())
}
