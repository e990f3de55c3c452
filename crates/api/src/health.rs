//! `/healthz` (the process answers), `/readyz` (its dependencies answer), `/metrics`.

use actix_web::{HttpResponse, web};
use kensa_domain::DomainError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` (liveness) or `ready` (readiness).
    #[schema(value_type = HealthStatus)]
    pub status: &'static str,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum HealthStatus {
    Ok,
    Ready,
}

/// Liveness: the process is up
#[utoipa::path(get, path = "/healthz", operation_id = "checkLiveness", tag = "operations",
    responses((status = 200, description = "Up", body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the database answers, and Redis when configured
#[utoipa::path(get, path = "/readyz", operation_id = "checkReadiness", tag = "operations",
    responses((status = 200, description = "Ready", body = Health),
              (status = 503, description = "`service_unavailable`: the database or Redis does not answer", body = crate::error::Problem,
                  content_type = "application/problem+json")))]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    kensa_domain::db::ping(&state.kensa).await?;
    if let Some(redis) = &state.redis {
        let mut conn = redis.clone();
        let pong: Result<String, _> = redis::cmd("PING").query_async(&mut conn).await;
        pong.map_err(|_| ApiError::Domain(DomainError::Unavailable("redis".into())))?;
    }
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}

/// Metrics in Prometheus text format
///
/// Served on the public port only when `KENSA_METRICS_TOKEN` is set (then with
/// `Authorization: Bearer $KENSA_METRICS_TOKEN`) or outside production; otherwise on
/// `KENSA_METRICS_BIND` alone, and this port answers 404.
#[utoipa::path(get, path = "/metrics", operation_id = "getMetrics", tag = "operations",
    responses((status = 200, description = "The metrics", content_type = "text/plain", body = String),
              (status = 401, description = "The metrics token is missing or wrong", body = crate::error::Problem,
                  content_type = "application/problem+json"),
              (status = 404, description = "`route_not_found`: metrics are not served on this port", body = crate::error::Problem,
                  content_type = "application/problem+json")))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(state.metrics.render())
}
