//! Two-factor authentication: the second step of a sign-in (`/api/v1/auth/mfa…`, with the
//! ticket the password gave) and the signed-in user's own TOTP (`/api/v1/me/mfa…`).

use actix_web::{HttpResponse, web};
use kensa_domain::auth::Session;
use kensa_domain::auth::mfa::{self, EnrolledSession, MfaStatus, RecoveryCodes, SecondFactor, TotpEnrolment};
use kensa_domain::{DomainError, ErrorCode};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody, Meta};
use crate::rate_limit;
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaSignInRequest {
    /// From the sign-in's answer.
    #[schema(max_length = 64)]
    pub mfa_ticket: String,
    /// The 6-digit code the authenticator app shows. Exactly one of `code` and `recovery_code`.
    #[schema(max_length = 64)]
    pub code: Option<String>,
    /// One of the recovery codes (each works once).
    #[schema(max_length = 64)]
    pub recovery_code: Option<String>,
}
kensa_domain::redacted_debug!(MfaSignInRequest {} secret { mfa_ticket, code, recovery_code });

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaTicketRequest {
    #[schema(max_length = 64)]
    pub mfa_ticket: String,
}
kensa_domain::redacted_debug!(MfaTicketRequest {} secret { mfa_ticket });

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaEnrolmentConfirmRequest {
    #[schema(max_length = 64)]
    pub mfa_ticket: String,
    /// The first code of the newly added app.
    #[schema(max_length = 64)]
    pub code: String,
}
kensa_domain::redacted_debug!(MfaEnrolmentConfirmRequest {} secret { mfa_ticket, code });

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaCodeRequest {
    /// A current code from the app (or, to turn MFA off or make new recovery codes, one of
    /// the recovery codes).
    #[schema(max_length = 64)]
    pub code: String,
}
kensa_domain::redacted_debug!(MfaCodeRequest {} secret { code });

const MFA_PROBLEMS: &str = "`invalid_mfa_ticket` (unknown, used, expired after 5 minutes, or 5 wrong codes: sign in again) or `invalid_mfa_code`";

/// Complete a sign-in with a second factor
///
/// The ticket from `POST /api/v1/auth/login` and the app's current code, or a recovery
/// code. A code is accepted once: the same code again (or an older one) is refused. Code
/// attempts are throttled per user like passwords (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/mfa", operation_id = "completeMfaSignIn", tag = "auth", request_body = MfaSignInRequest,
    responses((status = 200, description = "Signed in", body = Session),
              (status = 401, description = MFA_PROBLEMS, body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "neither or both of `code` and `recovery_code`", body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn complete(
    state: web::Data<AppState>,
    meta: Meta,
    body: JsonBody<MfaSignInRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    mfa::check_lengths(&[
        ("mfa_ticket", Some(&b.mfa_ticket)),
        ("code", b.code.as_deref()),
        ("recovery_code", b.recovery_code.as_deref()),
    ])?;
    let factor = match (b.code, b.recovery_code) {
        (Some(code), None) => SecondFactor::Totp(code.trim().to_owned()),
        (None, Some(code)) => SecondFactor::RecoveryCode(code),
        _ => {
            return Err(DomainError::validation(
                "code",
                ErrorCode::Required,
                "send exactly one of code and recovery_code",
            )
            .into());
        }
    };
    let session = mfa::complete_sign_in(&state.kensa, &b.mfa_ticket, factor, &meta.0).await;
    rate_limit::answer_for(&meta.0, session.map(|s| HttpResponse::Ok().json(s)).map_err(Into::into))
}

/// Enrol in two-factor authentication at sign-in
///
/// When the organization requires MFA and the user has none, the sign-in answers
/// `enrolment_required: true` with a ticket: this makes the TOTP secret (show
/// `otpauth_uri` as a QR code). Calling it again makes a new secret.
#[utoipa::path(post, path = "/api/v1/auth/mfa/totp", operation_id = "startMfaEnrolmentAtSignIn", tag = "auth",
    request_body = MfaTicketRequest,
    responses((status = 200, description = "The secret, not in force until confirmed", body = TotpEnrolment),
              (status = 401, description = "`invalid_mfa_ticket`", body = Problem, content_type = "application/problem+json")))]
pub async fn enrol_at_sign_in(
    state: web::Data<AppState>,
    meta: Meta,
    body: JsonBody<MfaTicketRequest>,
) -> ApiResult<HttpResponse> {
    mfa::check_lengths(&[("mfa_ticket", Some(&body.0.mfa_ticket))])?;
    let enrolment = mfa::start_enrolment_with_ticket(&state.kensa, &body.0.mfa_ticket, &meta.0).await?;
    Ok(HttpResponse::Ok().json(enrolment))
}

/// Confirm the enrolment and sign in
///
/// The first code of the app turns MFA on and signs the user in; the answer carries the
/// tokens and the 10 recovery codes, shown this once.
#[utoipa::path(post, path = "/api/v1/auth/mfa/totp/confirm", operation_id = "confirmMfaEnrolmentAtSignIn", tag = "auth",
    request_body = MfaEnrolmentConfirmRequest,
    responses((status = 200, description = "Signed in, with recovery codes", body = EnrolledSession),
              (status = 401, description = MFA_PROBLEMS, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`mfa_not_enabled`: no enrolment was started with this ticket", body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn confirm_at_sign_in(
    state: web::Data<AppState>,
    meta: Meta,
    body: JsonBody<MfaEnrolmentConfirmRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    mfa::check_lengths(&[("mfa_ticket", Some(&b.mfa_ticket)), ("code", Some(&b.code))])?;
    let session = mfa::confirm_enrolment_with_ticket(&state.kensa, &b.mfa_ticket, &b.code, &meta.0).await;
    rate_limit::answer_for(&meta.0, session.map(|s| HttpResponse::Ok().json(s)).map_err(Into::into))
}

/// The caller's second factor
///
/// Whether TOTP is on, since when, how many recovery codes are left, and whether the
/// organization requires it. A user's own: an API key gets 404.
#[utoipa::path(get, path = "/api/v1/me/mfa", operation_id = "getMyMfa", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The status", body = MfaStatus),
              (status = 404, description = "The caller is an API key", body = Problem, content_type = "application/problem+json")))]
pub async fn status(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(mfa::status(&state.kensa, &auth.0).await?))
}

/// Start TOTP enrolment
///
/// A new secret (base32) and its `otpauth://` URI for the authenticator app (SHA-1, 6
/// digits, 30 s). MFA is not on until a first code confirms it; starting again replaces a
/// pending secret.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp", operation_id = "startMfaEnrolment", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The secret", body = TotpEnrolment),
              (status = 404, description = "The caller is an API key", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`mfa_already_enabled`", body = Problem, content_type = "application/problem+json")))]
pub async fn start(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(mfa::start_enrolment(&state.kensa, &auth.0).await?))
}

/// Confirm TOTP enrolment
///
/// The first code from the app turns MFA on. The answer carries 10 single-use recovery
/// codes, shown this once.
#[utoipa::path(post, path = "/api/v1/me/mfa/totp/confirm", operation_id = "confirmMfaEnrolment", tag = "auth", security(("bearer" = [])),
    request_body = MfaCodeRequest,
    responses((status = 200, description = "MFA is on", body = RecoveryCodes),
              (status = 401, description = "`invalid_mfa_code`", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "The caller is an API key", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`mfa_already_enabled` or `mfa_not_enabled` (no enrolment started)", body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn confirm(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<MfaCodeRequest>,
) -> ApiResult<HttpResponse> {
    mfa::check_lengths(&[("code", Some(&body.0.code))])?;
    let codes = mfa::confirm_enrolment(&state.kensa, &auth.0, &body.0.code).await;
    rate_limit::answer_for(auth.0.meta(), codes.map(|c| HttpResponse::Ok().json(c)).map_err(Into::into))
}

/// Turn TOTP off
///
/// With a current code or a recovery code. Refused (409 `mfa_required_by_policy`) while
/// the organization requires MFA of the caller.
#[utoipa::path(delete, path = "/api/v1/me/mfa/totp", operation_id = "disableMfa", tag = "auth", security(("bearer" = [])),
    request_body = MfaCodeRequest,
    responses((status = 204, description = "MFA is off"),
              (status = 401, description = "`invalid_mfa_code`", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "The caller is an API key", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`mfa_not_enabled` or `mfa_required_by_policy`", body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn disable(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<MfaCodeRequest>,
) -> ApiResult<HttpResponse> {
    mfa::check_lengths(&[("code", Some(&body.0.code))])?;
    let done = mfa::disable(&state.kensa, &auth.0, &body.0.code).await;
    rate_limit::answer_for(auth.0.meta(), done.map(|()| HttpResponse::NoContent().finish()).map_err(Into::into))
}

/// Make new recovery codes
///
/// With a current code (or a recovery code); the old codes stop working.
#[utoipa::path(post, path = "/api/v1/me/mfa/recovery-codes", operation_id = "regenerateRecoveryCodes", tag = "auth",
    security(("bearer" = [])), request_body = MfaCodeRequest,
    responses((status = 200, description = "The new codes, shown this once", body = RecoveryCodes),
              (status = 401, description = "`invalid_mfa_code`", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "The caller is an API key", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`mfa_not_enabled`", body = Problem, content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn regenerate(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<MfaCodeRequest>,
) -> ApiResult<HttpResponse> {
    mfa::check_lengths(&[("code", Some(&body.0.code))])?;
    let codes = mfa::regenerate_recovery_codes(&state.kensa, &auth.0, &body.0.code).await;
    rate_limit::answer_for(auth.0.meta(), codes.map(|c| HttpResponse::Ok().json(c)).map_err(Into::into))
}
