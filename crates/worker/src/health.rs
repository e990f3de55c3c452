//! The worker's own small port (`KENSA_WORKER_HEALTH_BIND`), for the orchestrator and the
//! scraper, never for users:
//!
//! - `GET /healthz`: the loop is alive. It finished a pass, a due-scan or a batch of jobs within
//!   `KENSA_WORKER_STALL_SECONDS`; otherwise 503. A worker stuck on a mail server that never
//!   answers, or on a lock, is restarted instead of silently sending nothing.
//! - `GET /readyz`: the database answers, and Redis when configured; otherwise 503.
//! - `GET /metrics`: this worker's counters ([`crate::vitals`]), in the Prometheus format. The
//!   outbox itself (jobs by kind and state) is on the API's `/metrics`: it is one table, the
//!   same whichever process reads it.
//!
//! Liveness reads the worker's clock (`Kensa::now`), so a test can move time past the limit.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::{DateTime, Utc};
use kensa_domain::Kensa;
use kensa_domain::config::{ConfigError, Settings};
use serde::Serialize;

use crate::Worker;
use crate::vitals::Vitals;

/// How long `/readyz` waits for the database or Redis before it calls it unreachable.
const PING_TIMEOUT: Duration = Duration::from_secs(2);
/// How long `healthcheck` waits for an answer (Docker's own default timeout is 30 s).
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// What the endpoints look at.
#[derive(Clone)]
pub struct Probe {
    pub kensa: Kensa,
    pub vitals: Arc<Vitals>,
    /// `/healthz` fails once the loop has finished nothing for longer than this.
    pub stall_after: Duration,
    /// Checked by `/readyz` when set.
    pub redis_url: Option<String>,
}

/// Starts the health port when `KENSA_WORKER_HEALTH_BIND` is set, for `worker`'s loop.
pub fn serve_if_configured(
    settings: &Settings,
    worker: &Worker,
    kensa: &Kensa,
) -> Result<Option<HealthServer>, ConfigError> {
    let Some(bind) = settings.worker_health_bind else { return Ok(None) };
    let probe = Probe {
        kensa: kensa.clone(),
        vitals: worker.vitals(),
        stall_after: settings.worker_stall_after,
        redis_url: settings.redis_url.as_ref().map(|url| url.expose().clone()),
    };
    let server = HealthServer::start(bind, probe)
        .map_err(|e| ConfigError::new("KENSA_WORKER_HEALTH_BIND", format!("cannot listen on {bind}: {e}")))?;
    tracing::info!(address = %server.address(), "worker health endpoints listening (/healthz, /readyz, /metrics)");
    Ok(Some(server))
}

/// The listening port; [`Self::stop`] ends it.
pub struct HealthServer {
    address: SocketAddr,
    handle: ServerHandle,
}

impl HealthServer {
    /// Listens on `bind` (port 0 picks a free one, see [`Self::address`]) and serves in the
    /// background on the current Tokio runtime.
    pub fn start(bind: SocketAddr, probe: Probe) -> std::io::Result<Self> {
        let listener = TcpListener::bind(bind)?;
        let address = listener.local_addr()?;
        let probe = web::Data::new(probe);
        let server: Server = HttpServer::new(move || {
            App::new()
                .app_data(probe.clone())
                .route("/healthz", web::get().to(healthz))
                .route("/readyz", web::get().to(readyz))
                .route("/metrics", web::get().to(metrics))
                .default_service(web::to(not_found))
        })
        // A private port read by a kubelet and a scraper: one thread and a few connections.
        .workers(1)
        .max_connections(64)
        .backlog(64)
        .client_request_timeout(Duration::from_secs(5))
        .disable_signals()
        .shutdown_timeout(2)
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self { address, handle })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops listening; a probe in progress is answered first.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

#[derive(Serialize)]
struct Alive {
    status: &'static str,
    /// When the loop last finished a pass, a scan or a batch.
    last_progress_at: DateTime<Utc>,
}

/// An RFC 9457 problem, as the API writes them.
#[derive(Serialize)]
struct Problem {
    #[serde(rename = "type")]
    type_: String,
    title: &'static str,
    status: u16,
    detail: String,
    code: &'static str,
}

fn problem(status: StatusCode, code: &'static str, title: &'static str, detail: String) -> HttpResponse {
    HttpResponse::build(status).content_type("application/problem+json").json(Problem {
        type_: format!("urn:kensa:problem:{code}"),
        title,
        status: status.as_u16(),
        detail,
        code,
    })
}

async fn healthz(probe: web::Data<Probe>) -> HttpResponse {
    let last = probe.vitals.last_progress();
    let idle = (probe.kensa.now() - last).to_std().unwrap_or_default();
    if idle > probe.stall_after {
        return problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "worker_stalled",
            "The worker loop is stalled",
            format!(
                "the loop has finished nothing for {} s (limit {} s, KENSA_WORKER_STALL_SECONDS); last progress at {}",
                idle.as_secs(),
                probe.stall_after.as_secs(),
                last.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        );
    }
    HttpResponse::Ok().json(Alive { status: "ok", last_progress_at: last })
}

async fn readyz(probe: web::Data<Probe>) -> HttpResponse {
    let unavailable = |what: &str| {
        problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "A service Kensa needs is unavailable",
            format!("{what} does not answer"),
        )
    };
    // A database that accepts connections but never answers must fail the probe, not hang it.
    let database = tokio::time::timeout(PING_TIMEOUT, kensa_domain::db::ping(&probe.kensa)).await;
    if !matches!(database, Ok(Ok(_))) {
        return unavailable("the database");
    }
    if let Some(url) = &probe.redis_url
        && !redis_answers(url).await
    {
        return unavailable("redis");
    }
    HttpResponse::Ok().json(serde_json::json!({ "status": "ready" }))
}

/// One short connection and a PING: the worker keeps no Redis connection of its own to borrow
/// (its wake-up listener holds a subscription, which cannot PING).
async fn redis_answers(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else { return false };
    let ping = async {
        let mut connection = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut connection).await
    };
    matches!(tokio::time::timeout(PING_TIMEOUT, ping).await, Ok(Ok(_)))
}

async fn metrics(probe: web::Data<Probe>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(probe.vitals.render())
}

async fn not_found() -> HttpResponse {
    problem(
        StatusCode::NOT_FOUND,
        "route_not_found",
        "Not found",
        "the worker's port serves GET /healthz, /readyz and /metrics only".into(),
    )
}

/// `kensa-api healthcheck` and `kensa-worker healthcheck` (Docker's HEALTHCHECK: the image has
/// no curl): `GET /healthz` on this container's own port; `Ok` with the answer when it is 2xx.
/// An unspecified bind address (`0.0.0.0`, `::`) is asked on loopback.
pub async fn check(bind: SocketAddr) -> Result<String, String> {
    let mut address = bind;
    if address.ip().is_unspecified() {
        address.set_ip(match address {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let url = format!("http://{address}/healthz");
    // reqwest has no TLS provider of its own and builds one even for plain HTTP (see webhook.rs).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(CHECK_TIMEOUT)
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let response = client.get(&url).send().await.map_err(|e| format!("{url}: no answer ({e})"))?;
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    if status.is_success() { Ok(body) } else { Err(format!("{url}: {status}: {body}")) }
}
