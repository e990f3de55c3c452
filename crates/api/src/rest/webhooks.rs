//! `/api/v1/webhooks`: the organization's webhook endpoints and their deliveries (owners and
//! admins).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use kensa_domain::deliveries::Delivery;
use kensa_domain::pagination::PageRequest;
use kensa_domain::webhooks::{self, CreatedWebhook, Webhook, WebhookCreate, WebhookPatch};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody, Query};
use crate::idempotency::Idempotency;
use crate::openapi::IdempotencyHeader;
use crate::rest::page::PageQuery;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookPage {
    pub data: Vec<Webhook>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDeliveryPage {
    pub data: Vec<Delivery>,
    pub next_cursor: Option<String>,
}

/// Register a webhook endpoint
///
/// Events of the listed types are POSTed to `url`, signed with the secret this answer
/// carries (`Kensa-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`).
/// The secret is shown only here: a replay of the same `Idempotency-Key` by the same user
/// answers it again, nothing else does. At most 20 endpoints per organization. Owners and
/// admins.
#[utoipa::path(post, path = "/api/v1/webhooks", operation_id = "createWebhook", tag = "webhooks", security(("bearer" = [])),
    params(IdempotencyHeader), request_body = WebhookCreate,
    responses((status = 201, description = "The endpoint and its signing secret", body = CreatedWebhook,
                  headers(("Location" = String, description = "`/api/v1/webhooks/{id}`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`too_many`: the organization has 20 endpoints", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    body: JsonBody<WebhookCreate>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.0.clone();
    idem.run(&state.kensa.clone(), &auth.0, async move {
        let created = webhooks::service::create(&state.kensa, ctx.admin()?, body.0).await?;
        Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, format!("/api/v1/webhooks/{}", created.webhook.id)))
            .json(created))
    })
    .await
}

/// List webhook endpoints
///
/// Without their secrets. Owners and admins.
#[utoipa::path(get, path = "/api/v1/webhooks", operation_id = "listWebhooks", tag = "webhooks", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of endpoints", body = WebhookPage),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<PageQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let result = webhooks::service::list(&state.kensa, auth.0.admin()?, &page).await?;
    Ok(HttpResponse::Ok().json(WebhookPage { data: result.data, next_cursor: result.next_cursor }))
}

/// Get a webhook endpoint
///
/// Without its secret. Owners and admins.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", operation_id = "getWebhook", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses((status = 200, description = "The endpoint", body = Webhook),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn get(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let webhook = webhooks::service::get(&state.kensa, auth.0.admin()?, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(webhook))
}

/// Change a webhook endpoint
///
/// Its URL, event types, description or whether it is active; the secret stays. Owners and
/// admins.
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", operation_id = "updateWebhook", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id")), request_body = WebhookPatch,
    responses((status = 200, description = "The endpoint as changed", body = Webhook),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: JsonBody<WebhookPatch>,
) -> ApiResult<HttpResponse> {
    let webhook = webhooks::service::update(&state.kensa, auth.0.admin()?, path.into_inner(), body.0).await?;
    Ok(HttpResponse::Ok().json(webhook))
}

/// Delete a webhook endpoint
///
/// Its deliveries still waiting are given up. Owners and admins.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", operation_id = "deleteWebhook", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses((status = 204, description = "Deleted"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn delete(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    webhooks::service::delete(&state.kensa, auth.0.admin()?, path.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Send a test delivery
///
/// Queues a `ping` event (`data: {webhook_id}`) to the endpoint now, also when it is
/// inactive, signed like every delivery; follow it in the endpoint's deliveries. Owners and
/// admins.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/ping", operation_id = "pingWebhook", tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses((status = 202, description = "The delivery, queued", body = Delivery,
                  headers(("Location" = String, description = "`/api/v1/webhooks/{id}/deliveries`"))),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn ping(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let delivery = webhooks::service::ping(&state.kensa, auth.0.admin()?, id).await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/webhooks/{id}/deliveries")))
        .json(delivery))
}

/// List an endpoint's deliveries
///
/// Newest first, with each one's status, attempts, last HTTP status and last error. Owners
/// and admins.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", operation_id = "listWebhookDeliveries", tag = "webhooks",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The endpoint's id"), PageQuery),
    responses((status = 200, description = "A page of deliveries", body = WebhookDeliveryPage),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn deliveries(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: Query<PageQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let result = webhooks::service::deliveries(&state.kensa, auth.0.admin()?, path.into_inner(), &page).await?;
    Ok(HttpResponse::Ok().json(WebhookDeliveryPage { data: result.data, next_cursor: result.next_cursor }))
}
