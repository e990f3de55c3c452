//! `/api/v1/invitations/{token}`: a supplier's invitation, seen without an account.

use actix_web::{HttpRequest, HttpResponse, web};
use kensa_domain::assessments::invitations::{self, AcceptNew, Accepted, InvitationPreview};
use kensa_domain::auth::Session;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{Meta, app_state, bearer, parse_json, request_meta};
use crate::state::AppState;

/// Preview a supplier invitation
///
/// Who asks, for which checklist, up to which level, by when. The token (from the mailed
/// link) is the credential.
#[utoipa::path(get, path = "/api/v1/invitations/{token}", operation_id = "previewInvitation", tag = "invitations",
    params(("token" = String, Path, description = "The token of the mailed link")),
    responses((status = 200, description = "The invitation", body = InvitationPreview),
              (status = 410, description = "`invitation_used`, `invitation_revoked` or `invitation_expired`", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn preview(state: web::Data<AppState>, token: web::Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(invitations::preview(&state.kensa, &token).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkedDto {
    pub assessment_id: Uuid,
}

/// The accepting address is not the invited contact's: the buyer confirms first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PendingDto {
    /// Always `pending_confirmation`.
    #[schema(value_type = PendingStatus)]
    pub status: &'static str,
    pub claim_id: Uuid,
}

/// The status of an acceptance waiting for the buyer.
#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum PendingStatus {
    PendingConfirmation,
}

fn pending(claim_id: Uuid) -> HttpResponse {
    HttpResponse::Accepted().json(PendingDto { status: "pending_confirmation", claim_id })
}

/// Accept a supplier invitation
///
/// Without a token, the body `{name, email, password, organization_name}` creates the
/// supplier's organization and first user and returns their tokens (201); with
/// `Authorization: Bearer` (an owner or admin), the assessment joins the caller's
/// organization (200) and the body is ignored. When the new account's (or the caller's)
/// address is neither the invited contact's nor in its domain, nothing is linked: the answer
/// is 202 `pending_confirmation` and the buyer's owners and admins decide
/// (`/api/v1/supplier-claims`); a new account is created all the same and can sign in.
#[utoipa::path(post, path = "/api/v1/invitations/{token}/accept", operation_id = "acceptInvitation", tag = "invitations",
    params(("token" = String, Path, description = "The token of the mailed link")),
    request_body(content = AcceptNew, description = "Omit when calling with a Bearer token"),
    security((), ("bearer" = [])),
    responses((status = 201, description = "A new organization, linked and signed in", body = Session,
                  headers(("Location" = String, description = "`/api/v1/me`: the new user"))),
              (status = 200, description = "Linked to the caller's organization", body = LinkedDto),
              (status = 202, description = "Waiting for the buyer to confirm", body = PendingDto),
              (status = 401, description = "The Bearer token is invalid or expired", body = Problem,
                  content_type = "application/problem+json"),
              (status = 403, description = "Only owners and admins link their organization", body = Problem,
                  content_type = "application/problem+json"),
              (status = 409, description = "`email_taken`, `cannot_link_buyer`, `claim_pending` or `supplier_already_linked`", body = Problem,
                  content_type = "application/problem+json"),
              (status = 410, description = "`invitation_used`, `invitation_revoked` or `invitation_expired`", body = Problem,
                  content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait"))),
              (status = 503, description = "`overloaded`: too many sign-ups at once; wait `Retry-After` seconds", body = Problem,
                  content_type = "application/problem+json", headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn accept(
    req: HttpRequest,
    meta: Meta,
    token: web::Path<String>,
    body: web::Bytes,
) -> ApiResult<HttpResponse> {
    let state = app_state(&req)?;
    // A token that does not authenticate is answered here (401), never taken for anonymous.
    let caller = match bearer(&req)? {
        Some(access) => Some(kensa_domain::auth::authenticate(&state.kensa, &access, request_meta(&req)).await?),
        None => None,
    };
    // With a caller the body is not read; without one it holds the new account.
    let details = match caller {
        Some(_) => None,
        None if body.len() > crate::extract::JSON_LIMIT => {
            return Err(ApiError::PayloadTooLarge(crate::extract::JSON_LIMIT));
        }
        None => Some(parse_json::<AcceptNew>(&body)?),
    };
    Ok(match invitations::accept(&state.kensa, &token, caller.as_ref(), details, &meta.0).await? {
        Accepted::NewAccount(session) => {
            HttpResponse::Created().insert_header((actix_web::http::header::LOCATION, "/api/v1/me")).json(session)
        }
        Accepted::Linked { assessment_id, .. } => HttpResponse::Ok().json(LinkedDto { assessment_id }),
        Accepted::PendingConfirmation { claim_id } => pending(claim_id),
    })
}
