//! The multi-tier cascade: a sub-supplier's forwarding consent, a Tier-1's forwards, and the
//! supply chain below as its buyer sees it.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use kensa_domain::pagination::PageRequest;
use kensa_domain::supply_chain::{
    self, ForwardingConsentView, NewSupplyChainForward, SetForwardingConsent, SupplyChainBelow, SupplyChainForward,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody, Query};
use crate::rest::page::PageQuery;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SupplyChainForwardPage {
    pub data: Vec<SupplyChainForward>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupplyChainBelowPage {
    pub data: Vec<SupplyChainBelow>,
    pub next_cursor: Option<String>,
}

/// `?template_id=&limit=&cursor=`
#[derive(Debug, Deserialize, IntoParams)]
pub struct SupplyChainBelowQuery {
    /// Only forwards of this template's line (any version).
    pub template_id: Option<Uuid>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Read a forwarding consent
///
/// Whether the supplier lets the buyer count this assessment's answers in the supply chain
/// figure the buyer forwards to its own customers (`none` until decided). Either side.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/forwarding-consent", operation_id = "getForwardingConsent",
    tag = "supply-chain", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The assessment's id")),
    responses((status = 200, body = ForwardingConsentView),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_consent(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(supply_chain::consent(&state.kensa, &auth.0, *id).await?))
}

/// Give or withdraw a forwarding consent
///
/// The supplier decides, for this assessment, whether its buyer may count its answers in the
/// figure the buyer forwards to its own customers: `none` (no, the default), `anonymous` (in
/// figures only) or `named` (with the organization's name and achieved level). A withdrawal
/// takes effect at the buyer's customers' next read. The supplier's owners and admins.
#[utoipa::path(put, path = "/api/v1/assessments/{id}/forwarding-consent", operation_id = "setForwardingConsent",
    tag = "supply-chain", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The assessment's id")),
    request_body = SetForwardingConsent,
    responses((status = 200, body = ForwardingConsentView),
              (status = 403, description = "Not the supplier's owner or admin", body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn set_consent(
    state: web::Data<AppState>,
    auth: Auth,
    id: web::Path<Uuid>,
    body: JsonBody<SetForwardingConsent>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(supply_chain::set_consent(&state.kensa, &auth.0, *id, body.0).await?))
}

/// Forward the supply chain below
///
/// The caller's organization (a Tier-1) shows the buyer of an assessment it answers the
/// figure of its own suppliers for that checklist's line: how many it asked and how many
/// answered; over those that consented, achieved levels and a category heat map; the names
/// of those that agreed to be named. Computed whenever the buyer reads it. A standing forward
/// to the same buyer for the same line is answered again (200). Owners and admins.
#[utoipa::path(post, path = "/api/v1/supply-chain/forwards", operation_id = "forwardSupplyChain", tag = "supply-chain",
    security(("bearer" = [])),
    request_body = NewSupplyChainForward,
    responses((status = 201, description = "Forwarded", body = SupplyChainForward,
                  headers(("Location" = String, description = "The forward's URL"))),
              (status = 200, description = "Already forwarded: the standing forward", body = SupplyChainForward),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "`validation_failed` naming `assessment_id`", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn forward(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<NewSupplyChainForward>,
) -> ApiResult<HttpResponse> {
    let (forward, created) = supply_chain::forward(&state.kensa, &auth.0, body.0).await?;
    Ok(if created {
        HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/supply-chain/forwards/{}", forward.id)))
            .json(forward)
    } else {
        HttpResponse::Ok().json(forward)
    })
}

/// List the organization's forwards
///
/// The forwards the caller's organization made, withdrawn ones included, oldest first.
#[utoipa::path(get, path = "/api/v1/supply-chain/forwards", operation_id = "listSupplyChainForwards",
    tag = "supply-chain", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "A page of forwards", body = SupplyChainForwardPage),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_forwards(state: web::Data<AppState>, auth: Auth, query: Query<PageQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let result = supply_chain::list_forwards(&state.kensa, &auth.0, &page).await?;
    Ok(HttpResponse::Ok().json(SupplyChainForwardPage { data: result.data, next_cursor: result.next_cursor }))
}

/// Read a forward with its figure
///
/// For its recipient while it stands, and for the Tier-1 that made it (what its buyer sees).
#[utoipa::path(get, path = "/api/v1/supply-chain/forwards/{id}", operation_id = "getSupplyChainForward",
    tag = "supply-chain", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The forward's id")),
    responses((status = 200, body = SupplyChainBelow),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_forward(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(supply_chain::supply_chain_forward(&state.kensa, &auth.0, *id).await?))
}

/// Withdraw a forward
///
/// Its recipient sees nothing of it from then on; withdrawing again changes nothing. The
/// Tier-1's owners and admins.
#[utoipa::path(delete, path = "/api/v1/supply-chain/forwards/{id}", operation_id = "revokeSupplyChainForward",
    tag = "supply-chain", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The forward's id")),
    responses((status = 200, description = "Withdrawn", body = SupplyChainForward),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke_forward(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(supply_chain::revoke_forward(&state.kensa, &auth.0, *id).await?))
}

/// Compare the supply chain below
///
/// Every forward the caller's organization receives, oldest first: each Tier-1, as the
/// caller registered it (null when it has no record of it), with the figure of its supply
/// chain below, computed now: at most 20 a page, whatever `limit` asks. Any member.
#[utoipa::path(get, path = "/api/v1/comparison/supply-chain", operation_id = "supplyChainComparison", tag = "scores",
    security(("bearer" = [])), params(SupplyChainBelowQuery),
    responses((status = 200, description = "A page of Tier-1s with their figures", body = SupplyChainBelowPage),
              (status = 422, description = "`validation_failed` naming `template_id`, `limit` or `cursor`", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn below(
    state: web::Data<AppState>,
    auth: Auth,
    query: Query<SupplyChainBelowQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let result = supply_chain::supply_chain_below(&state.kensa, &auth.0, q.template_id, &page).await?;
    Ok(HttpResponse::Ok().json(SupplyChainBelowPage { data: result.data, next_cursor: result.next_cursor }))
}
