//! One person's data on request: their archive, and their erasure after a grace period.
//! Owners for any member of the organization, anyone for themselves.

use actix_web::{HttpResponse, web};
use kensa_domain::ids::UserId;
use kensa_domain::portability::erasure::{OrganizationErasure, Reauthentication};
use kensa_domain::portability::exports::{self, OrganizationExport};
use kensa_domain::portability::person;
use uuid::Uuid;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody};
use crate::state::AppState;

/// Export one person's data
///
/// Starts writing an archive of every record of the organization that names the person (their
/// account without its password hash, sign-ins, the answers, comments and history they
/// wrote, shares and invitations they handled, their audit events), as JSON Lines per table
/// with a manifest (format `kensa-personal-data-v1`); no evidence files. Follow and download it
/// like the organization's export (`GET /api/v1/organization/exports/{id}`, then `…/link`),
/// which the person and whoever asked may do too. Owners for any member, anyone for
/// themselves; asking again while one is being written gives that one back.
#[utoipa::path(post, path = "/api/v1/users/{id}/export", operation_id = "startPersonalDataExport", tag = "users",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The user's id")),
    responses((status = 202, description = "Queued", body = OrganizationExport),
              (status = 403, description = "Neither an owner nor the person", body = Problem,
                  content_type = "application/problem+json"),
              (status = 404, description = "No such user in the organization", body = Problem,
                  content_type = "application/problem+json"),
              (status = 409, description = "`erasure_started`: the organization is being erased", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn export(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let export = exports::start_for_person(&state.kensa, &auth.0, UserId(path.into_inner())).await?;
    Ok(HttpResponse::Accepted().json(export))
}

/// Erase one person
///
/// Schedules the erasure of a member after the grace period (30 days unless the operator set
/// `KENSA_ERASURE_GRACE_DAYS`); they and the owners are mailed, and they or any owner can
/// cancel it until then (`DELETE /api/v1/users/{id}/erasure`). Then the worker signs them out
/// and removes their account, sessions, sign-ins and the invitations they sent; what they did
/// for the organization (answers, comments, history, shares, the audit trail) stays, with their
/// id emptied and their name and address replaced, in every organization. Owners for any
/// member, anyone for themselves, signed in as a person, with their password again (and a code
/// under two-factor authentication). The last owner cannot be erased.
#[utoipa::path(delete, path = "/api/v1/users/{id}", operation_id = "eraseUser", tag = "users",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The user's id")),
    request_body = Reauthentication,
    responses((status = 202, description = "Scheduled", body = OrganizationErasure),
              (status = 403, description = "Neither an owner nor the person, an API key, or `reauthentication_failed`: the password is wrong",
                  body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such user in the organization", body = Problem,
                  content_type = "application/problem+json"),
              (status = 409, description = "`erasure_scheduled`: already scheduled; `last_owner`: the organization's last owner",
                  body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "`code` missing (two-factor authentication is on) or wrong", body = Problem,
                  content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn erase(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: JsonBody<Reauthentication>,
) -> ApiResult<HttpResponse> {
    let erasure = person::schedule(&state.kensa, &auth.0, UserId(path.into_inner()), body.0).await?;
    Ok(HttpResponse::Accepted().json(erasure))
}

/// Get a person's erasure
///
/// The latest request about the member: scheduled (with `erase_at`), cancelled or in
/// progress. Owners, or the person.
#[utoipa::path(get, path = "/api/v1/users/{id}/erasure", operation_id = "getUserErasure", tag = "users",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The user's id")),
    responses((status = 200, description = "The latest erasure request", body = OrganizationErasure),
              (status = 403, description = "Neither an owner nor the person", body = Problem,
                  content_type = "application/problem+json"),
              (status = 404, description = "No such user, or never requested", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn get_erasure(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(person::current(&state.kensa, &auth.0, UserId(path.into_inner())).await?))
}

/// Cancel a person's erasure
///
/// Any owner, or the person, during the grace period; they and the owners are mailed.
#[utoipa::path(delete, path = "/api/v1/users/{id}/erasure", operation_id = "cancelUserErasure", tag = "users",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The user's id")),
    responses((status = 200, description = "Cancelled", body = OrganizationErasure),
              (status = 403, description = "Neither an owner nor the person", body = Problem,
                  content_type = "application/problem+json"),
              (status = 404, description = "No such user, or no erasure scheduled", body = Problem,
                  content_type = "application/problem+json"),
              (status = 409, description = "`erasure_started`: the person was erased meanwhile", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn cancel_erasure(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(person::cancel(&state.kensa, &auth.0, UserId(path.into_inner())).await?))
}
