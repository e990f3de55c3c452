//! An organization's erasure: scheduled by an owner who signs in again, cancelled by any
//! owner during the grace period, carried out by the worker.

use actix_web::{HttpResponse, web};
use kensa_domain::portability::erasure::{self, OrganizationErasure, Reauthentication};

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody};
use crate::state::AppState;

/// Erase the organization
///
/// Schedules the erasure of the caller's organization after a grace period (30 days unless
/// the operator set `KENSA_ERASURE_GRACE_DAYS`); every user is mailed, and any owner can
/// cancel it until then (`DELETE /api/v1/organization/erasure`). Then the worker removes the
/// organization's users, sessions, keys, suppliers, campaigns, check sheets, library, shares,
/// evidence files, exports and audit trail. Answers it submitted to buyers stay with them,
/// with its people's names, addresses and ids replaced; a tombstone (the organization's id,
/// the time, rows per table) records the erasure. Owners only, signed in as a person, with
/// their password again (and a code when they use two-factor authentication).
#[utoipa::path(delete, path = "/api/v1/organization", operation_id = "eraseOrganization", tag = "organization",
    security(("bearer" = [])),
    request_body = Reauthentication,
    responses((status = 202, description = "Scheduled", body = OrganizationErasure),
              (status = 403, description = "Not an owner, an API key, or `reauthentication_failed`: the password is wrong",
                  body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`erasure_scheduled`: an erasure is scheduled already", body = Problem,
                  content_type = "application/problem+json"),
              (status = 422, description = "`code` missing (two-factor authentication is on) or wrong", body = Problem,
                  content_type = "application/problem+json"),
              (status = 429, body = Problem, content_type = "application/problem+json",
                  headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn schedule(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<Reauthentication>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Accepted().json(erasure::schedule(&state.kensa, &auth.0, body.0).await?))
}

/// Get the organization's erasure
///
/// The latest request: scheduled (with `erase_at`), cancelled or in progress. Owners only.
#[utoipa::path(get, path = "/api/v1/organization/erasure", operation_id = "getOrganizationErasure", tag = "organization",
    security(("bearer" = [])),
    responses((status = 200, description = "The latest erasure request", body = OrganizationErasure),
              (status = 403, description = "Not an owner", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "Never requested", body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(erasure::current(&state.kensa, &auth.0).await?))
}

/// Cancel the organization's erasure
///
/// Any owner, during the grace period; every user is mailed. Nothing was erased yet.
#[utoipa::path(delete, path = "/api/v1/organization/erasure", operation_id = "cancelOrganizationErasure", tag = "organization",
    security(("bearer" = [])),
    responses((status = 200, description = "Cancelled", body = OrganizationErasure),
              (status = 403, description = "Not an owner", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No erasure is scheduled", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`erasure_started`: the organization was erased meanwhile", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn cancel(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(erasure::cancel(&state.kensa, &auth.0).await?))
}
