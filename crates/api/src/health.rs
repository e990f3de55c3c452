//! `/healthz` (the process answers), `/readyz` (its dependencies answer), `/metrics`.

use actix_web::{HttpResponse, web};
use kensa_domain::DomainError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// Liveness: the process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the database answers, and Redis when configured.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    kensa_domain::db::ping(&state.kensa).await?;
    if let Some(redis) = &state.redis {
        let mut conn = redis.clone();
        let pong: Result<String, _> = redis::cmd("PING").query_async(&mut conn).await;
        pong.map_err(|_| ApiError::Domain(DomainError::Unavailable("redis".into())))?;
    }
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}

/// Prometheus text format. In production only on `KENSA_METRICS_BIND` or with
/// `Authorization: Bearer $KENSA_METRICS_TOKEN`.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, content_type = "text/plain", body = String),
    (status = 401, body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render())
}
