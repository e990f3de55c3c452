//! `/healthz` (the process answers), `/readyz` (its dependencies answer), `/metrics`.

use actix_web::{HttpResponse, web};
use kensa_domain::DomainError;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How long `/readyz` waits for the database or Redis.
const PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

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
    // A dependency that accepts connections but never answers must fail the probe, not hang it
    // past the kubelet's timeout (which would read as a failure with no reason given).
    let unavailable = |what: &str| ApiError::Domain(DomainError::Unavailable(what.into()));
    tokio::time::timeout(PING_TIMEOUT, kensa_domain::db::ping(&state.kensa))
        .await
        .map_err(|_| unavailable("database"))??;
    if let Some(redis) = &state.redis {
        let mut conn = redis.clone();
        let pong = tokio::time::timeout(PING_TIMEOUT, redis::cmd("PING").query_async::<String>(&mut conn)).await;
        if !matches!(pong, Ok(Ok(_))) {
            return Err(unavailable("redis"));
        }
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
    let mut body = state.metrics.render();
    body.push_str(&jobs_text(&state.kensa).await);
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(body)
}

/// The durable outbox as the orchestrator sees it: jobs per kind and state (gauges), and
/// completed jobs per kind (a counter). When the database does not answer, only
/// `kensa_jobs_scrape_ok 0`.
async fn jobs_text(k: &kensa_domain::Kensa) -> String {
    use std::fmt::Write as _;
    let Ok(mut rows) = kensa_domain::jobs::gauges(k).await else {
        return "# TYPE kensa_jobs_scrape_ok gauge\nkensa_jobs_scrape_ok 0\n".to_owned();
    };
    // Label values are known kinds only (a corrupt row cannot break the exposition format).
    for row in &mut rows {
        if !kensa_domain::jobs::Job::KINDS.contains(&row.0.as_str()) {
            "unknown".clone_into(&mut row.0);
        }
    }
    let mut out = String::from(
        "# HELP kensa_jobs Jobs and deliveries in the durable outbox, by kind and state.\n# TYPE kensa_jobs gauge\n",
    );
    for (kind, state, n) in rows.iter().filter(|r| r.1 != "done") {
        let _ = writeln!(out, "kensa_jobs{{kind=\"{kind}\",state=\"{state}\"}} {n}");
    }
    out.push_str(
        "# HELP kensa_jobs_completed_total Jobs carried out, by kind.\n# TYPE kensa_jobs_completed_total counter\n",
    );
    for (kind, _, n) in rows.iter().filter(|r| r.1 == "done") {
        let _ = writeln!(out, "kensa_jobs_completed_total{{kind=\"{kind}\"}} {n}");
    }
    // How far behind the workers are: 0 when nothing due waits.
    let now = k.now();
    let Ok(oldest) = kensa_domain::jobs::oldest_due(k, now).await else {
        out.push_str("# TYPE kensa_jobs_scrape_ok gauge\nkensa_jobs_scrape_ok 0\n");
        return out;
    };
    let waited = oldest.map_or(0.0, |at| (now - at).num_milliseconds().max(0) as f64 / 1000.0);
    let _ = writeln!(
        out,
        "# HELP kensa_jobs_oldest_due_seconds How long the longest-waiting due job has waited.\n\
         # TYPE kensa_jobs_oldest_due_seconds gauge\nkensa_jobs_oldest_due_seconds {waited}"
    );
    out.push_str("# TYPE kensa_jobs_scrape_ok gauge\nkensa_jobs_scrape_ok 1\n");
    out
}
