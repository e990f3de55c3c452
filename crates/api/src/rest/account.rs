//! Verified addresses and password reset: `/api/v1/auth/verify-email/{token}`,
//! `/api/v1/auth/password-reset[/{token}]` (anonymous: the mailed token is the credential,
//! never logged) and `/api/v1/me/verify-email` (a new link for the signed-in user).

use actix_web::{HttpResponse, web};
use kensa_domain::auth::{reset, verification};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody, Meta};
use crate::rate_limit;
use crate::state::AppState;

/// What 202 answers: the same words whatever happens next.
#[derive(Serialize, ToSchema)]
pub struct RequestAccepted {
    /// `accepted`, or `already_verified` (nothing to send)
    pub status: &'static str,
    pub message: &'static str,
}

const RESET_ACCEPTED: RequestAccepted = RequestAccepted {
    status: "accepted",
    message: "if an account uses this address, a link to reset its password is on its way; it works once, for 30 minutes",
};

/// Verify an email address
///
/// Follows the link mailed at sign-up (`/verify/{token}`): the address it was sent to is
/// verified and, for an owner, the organization, which may then send campaigns and
/// invitations. The link works once, for 7 days.
#[utoipa::path(post, path = "/api/v1/auth/verify-email/{token}", operation_id = "verifyEmail", tag = "auth",
    params(("token" = String, Path, description = "The token of the mailed link", max_length = 64)),
    responses((status = 204, description = "Verified"),
              (status = 410, description = "`link_invalid` (unknown, or sent to an address the account no longer has), `link_used` or `link_expired`",
                  body = Problem, content_type = "application/problem+json")))]
pub async fn verify_email(state: web::Data<AppState>, meta: Meta, token: web::Path<String>) -> ApiResult<HttpResponse> {
    verification::verify(&state.kensa, &token, &meta.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mail a new verification link
///
/// For the signed-in user whose address is not verified yet (`status: accepted`); an
/// address verified already gets no mail (`status: already_verified`). At most 3 links an
/// hour (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/me/verify-email", operation_id = "resendVerificationMail", tag = "auth",
    security(("bearer" = [])),
    responses((status = 202, description = "A new link is on its way", body = RequestAccepted),
              (status = 404, description = "The caller is an API key: it has no address to verify", body = Problem,
                  content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn resend_verification(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let result = verification::resend(&state.kensa, &auth.0).await;
    let answer = result.map(|sent| {
        HttpResponse::Accepted().json(if sent {
            RequestAccepted { status: "accepted", message: "a new verification link is on its way to your address" }
        } else {
            RequestAccepted {
                status: "already_verified",
                message: "your address is verified already; no mail was sent",
            }
        })
    });
    rate_limit::answer_for(auth.0.meta(), answer.map_err(Into::into))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    #[schema(max_length = 254)]
    pub email: String,
}

/// Ask for a password-reset link
///
/// Always 202 with the same body, whether or not the address has an account: the answer
/// tells no one who uses Kensa. An account's address gets a link to `/reset/{token}` that
/// works once, for 30 minutes; a newer request ends the older links. At most 10 requests an
/// hour per client address and 3 per address asked for (429 with `Retry-After`).
#[utoipa::path(post, path = "/api/v1/auth/password-reset", operation_id = "requestPasswordReset", tag = "auth",
    request_body = PasswordResetRequest,
    responses((status = 202, description = "Accepted (whether or not the address has an account)", body = RequestAccepted),
              (status = 422, description = "`validation_failed`: `email` is not an address", body = Problem,
                  content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn request_reset(
    state: web::Data<AppState>,
    meta: Meta,
    body: JsonBody<PasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    let result = reset::request(&state.kensa, &body.0.email, &meta.0).await;
    rate_limit::answer_for(&meta.0, result.map(|()| HttpResponse::Accepted().json(RESET_ACCEPTED)).map_err(Into::into))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPasswordRequest {
    /// At least 12 characters, two kinds of characters, not sequential or common.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
}
kensa_domain::redacted_debug!(NewPasswordRequest {} secret { password });

/// Set a new password with a reset link
///
/// The password must pass the sign-up policy (422 otherwise; the link still works). Then
/// every session of the account ends (refresh tokens, access tokens, browser sessions), the
/// address counts as verified, and a notice goes to it. At most 10 an hour per client
/// address (429).
#[utoipa::path(post, path = "/api/v1/auth/password-reset/{token}", operation_id = "resetPassword", tag = "auth",
    params(("token" = String, Path, description = "The token of the mailed link", max_length = 64)),
    request_body = NewPasswordRequest,
    responses((status = 204, description = "The password is changed; every session ended"),
              (status = 410, description = "`link_invalid`, `link_used` or `link_expired`", body = Problem,
                  content_type = "application/problem+json"),
              (status = 422, description = "`validation_failed` naming `password`", body = Problem,
                  content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait"))),
              (status = 503, description = "`overloaded`: too many password hashes at once", body = Problem,
                  content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn reset_password(
    state: web::Data<AppState>,
    meta: Meta,
    token: web::Path<String>,
    body: JsonBody<NewPasswordRequest>,
) -> ApiResult<HttpResponse> {
    let result = reset::complete(&state.kensa, &token, &body.0.password, &meta.0).await;
    rate_limit::answer_for(&meta.0, result.map(|()| HttpResponse::NoContent().finish()).map_err(Into::into))
}
