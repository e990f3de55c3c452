//! `/api/v1/supplier-claims`: invitations accepted by someone who is not the invited
//! contact, waiting for the buyer's owners or admins to approve or reject them.

use actix_web::{HttpResponse, web};
use kensa_domain::assessments::claims::{self, ClaimStatus, SupplierClaim};
use kensa_domain::pagination::PageRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Query};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierClaimPage {
    pub data: Vec<SupplierClaim>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ClaimQuery {
    /// Only claims in this status; all when absent.
    #[param(value_type = Option<ClaimStatus>)]
    pub status: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List supplier claims
///
/// The buyer's claims, oldest first: who claimed (name, address, organization), when, and
/// which supplier. Owners and admins.
#[utoipa::path(get, path = "/api/v1/supplier-claims", operation_id = "listSupplierClaims", tag = "invitations",
    security(("bearer" = [])), params(ClaimQuery),
    responses((status = 200, description = "A page of claims", body = SupplierClaimPage),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<ClaimQuery>) -> ApiResult<HttpResponse> {
    let admin = auth.0.admin()?;
    let status = query.status.as_deref().map(ClaimStatus::parse_filter).transpose()?;
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let result = claims::list(&state.kensa, admin, status, &page).await?;
    Ok(HttpResponse::Ok().json(SupplierClaimPage { data: result.data, next_cursor: result.next_cursor }))
}

/// Approve a supplier claim
///
/// The claimant's organization becomes the supplier, as if it had accepted the invitation
/// as the contact. Owners and admins.
#[utoipa::path(post, path = "/api/v1/supplier-claims/{id}/approve", operation_id = "approveSupplierClaim", tag = "invitations",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The claim's id")),
    responses((status = 200, description = "The claim, approved", body = SupplierClaim),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`claim_decided`: the claim is no longer pending", body = Problem,
                  content_type = "application/problem+json"),
              (status = 410, description = "`invitation_revoked`: the link the claim came through no longer works", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn approve(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(claims::approve(&state.kensa, auth.0.admin()?, path.into_inner()).await?))
}

/// Reject a supplier claim
///
/// The supplier stays unlinked and the link the claim came through stops working. Owners
/// and admins.
#[utoipa::path(post, path = "/api/v1/supplier-claims/{id}/reject", operation_id = "rejectSupplierClaim", tag = "invitations",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The claim's id")),
    responses((status = 200, description = "The claim, rejected", body = SupplierClaim),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`claim_decided`: the claim is no longer pending", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn reject(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(claims::reject(&state.kensa, auth.0.admin()?, path.into_inner()).await?))
}
