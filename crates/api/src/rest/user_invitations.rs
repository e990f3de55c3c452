//! `/api/v1/user-invitations/{token}`: what an invited person sees and accepts, without
//! being signed in. The token in the path is the secret; it is never logged.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use kensa_domain::auth::LoginOutcome;
use kensa_domain::users::InvitationPreview;
use kensa_domain::users::invitations::{self, AcceptInput};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::error::{ApiResult, Problem};
use crate::extract::{JsonBody, Meta};
use crate::state::AppState;

/// Preview a colleague invitation
///
/// The organization, email and role, for the invitee before accepting. The token (from the
/// mailed link) is the credential.
#[utoipa::path(get, path = "/api/v1/user-invitations/{token}", operation_id = "previewUserInvitation", tag = "users",
    params(("token" = String, Path, description = "The token of the mailed link")),
    responses((status = 200, description = "The invitation", body = InvitationPreview),
              (status = 410, description = "`invitation_used`, `invitation_revoked` or `invitation_expired`", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn preview(state: web::Data<AppState>, token: web::Path<String>) -> ApiResult<HttpResponse> {
    let preview = invitations::preview(&state.kensa, &token).await?;
    Ok(HttpResponse::Ok().json(preview))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// At least 12 characters, two kinds of characters, not sequential or common.
    #[schema(min_length = 12, max_length = 256)]
    pub password: String,
    /// The language of mails; `ja` by default.
    #[schema(value_type = Option<kensa_domain::users::model::Locale>)]
    pub locale: Option<String>,
}
kensa_domain::redacted_debug!(AcceptInvitationRequest { name, locale } secret { password });

/// Accept a colleague invitation
///
/// Creates the user with the invited email and role and signs them in; when the
/// organization requires a second factor of that role, the answer is instead
/// `{mfa_required: true, enrolment_required: true, mfa_ticket}` (enrol with it at
/// `POST /api/v1/auth/mfa/totp`, as at a sign-in). 409 `email_taken`
/// when the address already has an account (in any organization); 429 and 503 as for
/// sign-up.
#[utoipa::path(post, path = "/api/v1/user-invitations/{token}/accept", operation_id = "acceptUserInvitation", tag = "users",
    params(("token" = String, Path, description = "The token of the mailed link")), request_body = AcceptInvitationRequest,
    responses((status = 201, description = "The user exists and is signed in (or must enrol a second factor first)", body = LoginOutcome,
                  headers(("Location" = String, description = "`/api/v1/me`: the new user"))),
              (status = 409, description = "`email_taken`: the address already has an account", body = Problem,
                  content_type = "application/problem+json"),
              (status = 410, description = "`invitation_used`, `invitation_revoked` or `invitation_expired`", body = Problem,
                  content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait"))),
              (status = 503, description = "`overloaded`: too many sign-ins at once; wait `Retry-After` seconds", body = Problem,
                  content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn accept(
    state: web::Data<AppState>,
    meta: Meta,
    token: web::Path<String>,
    body: JsonBody<AcceptInvitationRequest>,
) -> ApiResult<HttpResponse> {
    let input = AcceptInput { name: body.0.name, password: body.0.password, locale: body.0.locale };
    let outcome = invitations::accept(&state.kensa, &token, input, &meta.0).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, "/api/v1/me")).json(outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_debug_output_never_shows_the_password() {
        let body = AcceptInvitationRequest { name: "B".into(), password: "hunter2-Secret-pw".into(), locale: None };
        let domain = kensa_domain::assessments::invitations::AcceptNew {
            name: "B".into(),
            email: "b@example.com".into(),
            password: "hunter2-Secret-pw".into(),
            organization_name: "B KK".into(),
            locale: None,
        };
        for printed in [format!("{body:?}"), format!("{domain:?}")] {
            assert!(!printed.contains("hunter2"), "{printed}");
        }
    }
}
