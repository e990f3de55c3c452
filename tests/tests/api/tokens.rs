//! Access-token verification: algorithm pinned, expiry, audience, issuer, signature.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, Member, TestApp, TestResult, spawn_app};

/// The session id (`sid`) of a token the server issued.
fn session_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).and_then(|p| URL_SAFE_NO_PAD.decode(p).ok()).unwrap_or_default();
    serde_json::from_slice::<Value>(&payload).map(|c| c["sid"].clone()).unwrap_or(Value::Null)
}

pub fn claims(owner: &Member, overrides: Value) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "sub": owner.user_id, "org": owner.org_id, "aud": "kensa-api", "iss": "kensa",
        "iat": now, "exp": now + 600, "jti": uuid::Uuid::new_v4(), "sid": session_of(&owner.access_token),
    });
    if let (Some(base), Some(extra)) = (claims.as_object_mut(), overrides.as_object()) {
        for (k, v) in extra {
            base.insert(k.clone(), v.clone());
        }
    }
    claims
}

pub fn sign(alg: Algorithm, claims: &Value) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(JWT_SECRET.as_bytes()))
}

async fn me_status(app: &TestApp, token: &str) -> (u16, String) {
    let reply = app.get("/api/v1/me", Some(token)).await;
    (reply.status.as_u16(), reply.body["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_correctly_signed_token_is_accepted() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let token = sign(Algorithm::HS256, &claims(&owner, json!({})))?;
    assert_eq!(me_status(&app, &token).await.0, 200);
    Ok(())
}

#[tokio::test]
async fn an_unsigned_none_algorithm_token_is_rejected() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(&owner, json!({})))?);
    for token in [format!("{header}.{payload}."), format!("{header}.{payload}")] {
        assert_eq!(me_status(&app, &token).await, (401, "invalid_token".into()));
    }
    Ok(())
}

#[tokio::test]
async fn another_algorithm_with_the_right_secret_is_rejected() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let token = sign(alg, &claims(&owner, json!({})))?;
        assert_eq!(me_status(&app, &token).await, (401, "invalid_token".into()), "{alg:?}");
    }
    Ok(())
}

#[tokio::test]
async fn an_expired_token_is_rejected_as_expired() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let past = chrono::Utc::now().timestamp() - 3600;
    let token = sign(Algorithm::HS256, &claims(&owner, json!({ "iat": past - 900, "exp": past })))?;
    assert_eq!(me_status(&app, &token).await, (401, "token_expired".into()));
    Ok(())
}

#[tokio::test]
async fn a_wrong_audience_or_issuer_is_rejected() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    for overrides in [json!({ "aud": "another-service" }), json!({ "iss": "someone-else" })] {
        let token = sign(Algorithm::HS256, &claims(&owner, overrides.clone()))?;
        assert_eq!(me_status(&app, &token).await, (401, "invalid_token".into()), "{overrides}");
    }
    Ok(())
}

#[tokio::test]
async fn a_token_signed_with_another_secret_or_tampered_is_rejected() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let forged = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(&owner, json!({})),
        &EncodingKey::from_secret(b"some-other-secret-some-other-secret-0000"),
    )?;
    assert_eq!(me_status(&app, &forged).await, (401, "invalid_token".into()));
    let mut tampered = owner.access_token.clone();
    tampered.push('x');
    assert_eq!(me_status(&app, &tampered).await, (401, "invalid_token".into()));
    assert_eq!(me_status(&app, "not-a-jwt").await, (401, "invalid_token".into()));
    Ok(())
}

#[tokio::test]
async fn requests_without_a_bearer_token_are_unauthenticated() -> TestResult {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/me", None).await;
    reply.assert_problem(401, "unauthenticated");
    assert_eq!(reply.headers.get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"));
    let basic = app.client.get(app.url("/api/v1/me")).header("authorization", "Basic dXNlcjpwYXNz").send().await?;
    TestApp::read(basic).await.assert_problem(401, "invalid_token");
    Ok(())
}

#[tokio::test]
async fn an_access_token_expires_by_the_app_clock_not_the_system_clock() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    assert_eq!(me_status(&app, &owner.access_token).await.0, 200);
    // Fifteen minutes of life, five seconds of leeway: the services' clock decides.
    app.clock.advance(chrono::Duration::minutes(15) + chrono::Duration::seconds(4));
    assert_eq!(me_status(&app, &owner.access_token).await.0, 200);
    app.clock.advance(chrono::Duration::seconds(2));
    assert_eq!(me_status(&app, &owner.access_token).await, (401, "token_expired".to_owned()));
    Ok(())
}

/// Another replica on `app`'s database and clock, with its own JWT keys (a rolled pod).
async fn replica(app: &TestApp, current: &str, previous: Option<&str>) -> Result<String, Box<dyn std::error::Error>> {
    let mut vars = app.vars.clone();
    vars.insert("KENSA_JWT_SECRET".into(), current.into());
    match previous {
        Some(previous) => vars.insert("KENSA_JWT_PREVIOUS_SECRET".into(), previous.into()),
        None => vars.remove("KENSA_JWT_PREVIOUS_SECRET"),
    };
    let settings = kensa_domain::config::Settings::from_vars(vars)?;
    let replica = kensa_api::Application::build_with_clock(settings, app.clock.clone()).await?;
    let base = format!("http://127.0.0.1:{}", replica.port());
    tokio::spawn(replica.run_until_stopped());
    Ok(base)
}

async fn status_at(app: &TestApp, base: &str, token: &str) -> Result<u16, Box<dyn std::error::Error>> {
    Ok(app.client.get(format!("{base}/api/v1/me")).bearer_auth(token).send().await?.status().as_u16())
}

#[tokio::test]
async fn a_key_rotation_signs_nobody_out_and_ends_the_old_key_after_the_overlap() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let new_key = "rotated-secret-rotated-secret-rotated-0123456789";

    // During the overlap: the rolled replica accepts the old key's tokens...
    let rolled = replica(&app, new_key, Some(JWT_SECRET)).await?;
    assert_eq!(status_at(&app, &rolled, &owner.access_token).await?, 200);
    // ...and signs new ones with the new key only: the old replica does not know it.
    let login = app
        .client
        .post(format!("{rolled}/api/v1/auth/login"))
        .json(&json!({ "email": owner.email, "password": crate::helpers::PASSWORD }))
        .send()
        .await?;
    assert_eq!(login.status().as_u16(), 200);
    let fresh = login.json::<Value>().await?["access_token"].as_str().ok_or("no access token")?.to_owned();
    assert_eq!(status_at(&app, &rolled, &fresh).await?, 200);
    assert_eq!(status_at(&app, &app.address, &fresh).await?, 401, "the old replica cannot verify the new key");
    // The refresh token is a database row: it survives the rotation on either replica.
    let refreshed = app
        .client
        .post(format!("{rolled}/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": owner.refresh_token }))
        .send()
        .await?;
    assert_eq!(refreshed.status().as_u16(), 200);

    // After the overlap the previous key is dropped: its tokens are refused, the new ones verify.
    let after = replica(&app, new_key, None).await?;
    assert_eq!(status_at(&app, &after, &owner.access_token).await?, 401);
    assert_eq!(status_at(&app, &after, &fresh).await?, 200);
    Ok(())
}
