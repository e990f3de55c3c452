//! Deliveries: the organization's mails and webhook calls, with their attempts; dead ones
//! can be resent.

use actix_web::{HttpResponse, web};
use kensa_domain::deliveries::{self, Delivery, DeliveryFilter, DeliveryStatus};
use kensa_domain::jobs::Channel;
use kensa_domain::pagination::PageRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Query};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct DeliveryQuery {
    /// Only deliveries in this state (`dead`: failed after every attempt).
    pub status: Option<DeliveryStatus>,
    /// Only mail or only webhook calls.
    pub channel: Option<Channel>,
    /// Only deliveries to this address or endpoint URL.
    pub target: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub data: Vec<Delivery>,
    pub next_cursor: Option<String>,
}

/// List deliveries
///
/// Every mail and webhook call made for the organization, oldest first, with attempts, the
/// last error and (webhooks) the last HTTP status. Owners and admins.
#[utoipa::path(get, path = "/api/v1/deliveries", operation_id = "listDeliveries", tag = "deliveries",
    security(("bearer" = [])), params(DeliveryQuery),
    responses((status = 200, description = "A page of deliveries", body = DeliveryPage),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<DeliveryQuery>) -> ApiResult<HttpResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let filter = DeliveryFilter { status: query.status, channel: query.channel, target: query.target.clone() };
    let result = deliveries::list(&state.kensa, auth.0.admin()?, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(DeliveryPage { data: result.data, next_cursor: result.next_cursor }))
}

/// Get a delivery
///
/// Owners and admins.
#[utoipa::path(get, path = "/api/v1/deliveries/{id}", operation_id = "getDelivery", tag = "deliveries",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The delivery's id")),
    responses((status = 200, description = "The delivery", body = Delivery),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(deliveries::get(&state.kensa, auth.0.admin()?, path.into_inner()).await?))
}

/// Resend a dead delivery
///
/// Queues it again with a fresh set of attempts. Only a `dead` delivery (409 otherwise).
/// Owners and admins.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/resend", operation_id = "resendDelivery", tag = "deliveries",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The delivery's id")),
    responses((status = 200, description = "The delivery, pending again", body = Delivery),
              (status = 403, description = "`forbidden` for the role; `email_unverified` until the organization's owner verified their address", body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`invalid_transition`: not dead", body = Problem, content_type = "application/problem+json")))]
pub async fn resend(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(deliveries::resend(&state.kensa, auth.0.admin()?, path.into_inner()).await?))
}
