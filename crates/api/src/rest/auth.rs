//! `/api/v1/auth/*`: sign-up, sign-in, token rotation, sign-out.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use kensa_domain::auth::mfa::{self, SecondFactor};
use kensa_domain::auth::{self, LoginInput, LoginOutcome, Session, SignupInput};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiResult, Problem};
use crate::extract::{JsonBody, Meta};
use crate::rate_limit;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub organization_name: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(max_length = 254)]
    pub email: String,
    /// At least 12 characters, two kinds of characters, not sequential or common.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
    /// The language of mails; `ja` by default.
    #[schema(value_type = Option<kensa_domain::users::model::Locale>)]
    pub locale: Option<String>,
}
kensa_domain::redacted_debug!(SignupRequest { organization_name, name, email, locale } secret { password });

/// Create an organization and its owner
///
/// Signs the owner in. Throttled per client address and overall (429 with `Retry-After`);
/// when too many password hashes are waiting, shed with 503 and `Retry-After`.
#[utoipa::path(post, path = "/api/v1/auth/signup", operation_id = "signUp", tag = "auth", request_body = SignupRequest,
    responses((status = 201, description = "Signed up and signed in", body = Session,
                  headers(("Location" = String, description = "`/api/v1/me`: the new user"))),
              (status = 409, description = "`email_taken`: the address already has an account", body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait"))),
              (status = 503, description = "`overloaded`: too many sign-ins at once; wait `Retry-After` seconds", body = Problem,
                  content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn signup(state: web::Data<AppState>, meta: Meta, body: JsonBody<SignupRequest>) -> ApiResult<HttpResponse> {
    let b = body.0;
    let input = SignupInput {
        organization_name: b.organization_name,
        name: b.name,
        email: b.email,
        password: b.password,
        locale: b.locale,
    };
    let session = auth::signup(&state.kensa, input, &meta.0).await;
    let created = session.map(|s| HttpResponse::Created().insert_header((header::LOCATION, "/api/v1/me")).json(s));
    rate_limit::answer_for(&meta.0, created.map_err(Into::into))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(max_length = 256)]
    pub password: String,
    /// For accounts with two-factor authentication: the current code, to sign in in one
    /// step instead of sending it with the ticket to `/auth/mfa`.
    #[schema(max_length = 64)]
    pub totp_code: Option<String>,
}
kensa_domain::redacted_debug!(LoginRequest { email } secret { password, totp_code });

/// Sign in
///
/// Answers the tokens, or, for an account with two-factor authentication (or whose
/// organization requires it), `{mfa_required: true, mfa_ticket, enrolment_required}` and
/// no tokens: send the ticket with a code to `POST /api/v1/auth/mfa` (or enrol first, see
/// `enrolment_required`). After 5 attempts for one account from one client address (20
/// from one address across accounts), each further attempt must wait twice as long as the
/// last: earlier ones answer 429 with `Retry-After` without checking the password. `email`
/// is at most 254 bytes and `password` at most 256 characters (422).
#[utoipa::path(post, path = "/api/v1/auth/login", operation_id = "logIn", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "Signed in, or a second factor is needed", body = LoginOutcome),
              (status = 401, description = "`invalid_credentials`: unknown address, wrong password or deactivated user; `invalid_mfa_code` (with `totp_code`)",
                  body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait"))),
              (status = 503, description = "`overloaded`: too many sign-ins at once; wait `Retry-After` seconds", body = Problem,
                  content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn login(state: web::Data<AppState>, meta: Meta, body: JsonBody<LoginRequest>) -> ApiResult<HttpResponse> {
    let LoginRequest { email, password, totp_code } = body.0;
    let k = &state.kensa;
    let outcome = match auth::login(k, LoginInput { email, password }, &meta.0).await {
        Ok(LoginOutcome::MfaRequired(challenge)) if !challenge.enrolment_required && totp_code.is_some() => {
            let code = totp_code.unwrap_or_default();
            mfa::complete_sign_in(k, &challenge.mfa_ticket, SecondFactor::parse(&code), &meta.0)
                .await
                .map(LoginOutcome::SignedIn)
        }
        other => other,
    };
    rate_limit::answer_for(&meta.0, outcome.map(|o| HttpResponse::Ok().json(o)).map_err(Into::into))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}
kensa_domain::redacted_debug!(RefreshRequest {} secret { refresh_token });

/// Exchange a refresh token for a new pair
///
/// Each refresh token works once; presenting a used one revokes every token of that sign-in.
#[utoipa::path(post, path = "/api/v1/auth/refresh", operation_id = "refreshSession", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, description = "A new pair of tokens", body = Session),
              (status = 401, description = "`invalid_refresh_token` (unknown, revoked or expired) or `refresh_token_reused` (every token of that sign-in is now revoked)", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn refresh(
    state: web::Data<AppState>,
    meta: Meta,
    body: JsonBody<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let session = auth::refresh(&state.kensa, &body.0.refresh_token, &meta.0).await?;
    Ok(HttpResponse::Ok().json(session))
}

/// Sign out
///
/// Revokes the refresh token and every token rotated from the same sign-in.
#[utoipa::path(post, path = "/api/v1/auth/logout", operation_id = "logOut", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "Signed out (also when the token was unknown)")))]
pub async fn logout(state: web::Data<AppState>, meta: Meta, body: JsonBody<RefreshRequest>) -> ApiResult<HttpResponse> {
    auth::logout(&state.kensa, &body.0.refresh_token, &meta.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_debug_output_never_shows_passwords_or_tokens() {
        let signup = SignupRequest {
            organization_name: "Acme".into(),
            name: "A".into(),
            email: "a@example.com".into(),
            password: "hunter2-Secret-pw".into(),
            locale: None,
        };
        let login = LoginRequest {
            email: "a@example.com".into(),
            password: "hunter2-Secret-pw".into(),
            totp_code: Some("123456".into()),
        };
        let refresh = RefreshRequest { refresh_token: "hunter2-Secret-pw".into() };
        for printed in [format!("{signup:?}"), format!("{login:?}"), format!("{refresh:?}")] {
            assert!(!printed.contains("hunter2"), "{printed}");
            assert!(printed.contains("[redacted]"), "{printed}");
        }
        assert!(!format!("{login:?}").contains("123456"));
        assert!(format!("{login:?}").contains("a@example.com"));
    }
}
