//! Building and running the HTTP application: used by `kensa-server` (which runs the
//! embedded worker beside it) and by the tests (on port 0).

use kensa_domain::ErrorCode;
use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use kensa_domain::auth::throttle::{LoginThrottle, MemoryThrottle};
use kensa_domain::config::{ConfigError, Settings};
use kensa_domain::{DomainError, Kensa};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::error::ApiError;
use crate::exposure::{self, Exposure};
use crate::metrics::Metrics;
use crate::rest::resource;
use crate::state::AppState;
use crate::{graphql, health, observe, redis_throttle, rest};

pub struct Application {
    port: u16,
    server: Server,
    /// The `KENSA_METRICS_BIND` listener and its port.
    metrics_server: Option<(Server, u16)>,
    kensa: Kensa,
}

async fn route_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound)
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header(("Location", "/docs/")).finish()
}

impl Application {
    /// Connects, migrates and binds. Every failure names the setting at fault.
    pub async fn build(settings: Settings) -> Result<Self, ConfigError> {
        Self::build_with_clock(settings, Arc::new(kensa_domain::clock::SystemClock)).await
    }

    /// The same, with the services reading "now" from `clock` (tests move it).
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn kensa_domain::clock::Clock>,
    ) -> Result<Self, ConfigError> {
        let redis = match &settings.redis_url {
            Some(url) => Some(redis_throttle::connect(url.expose()).await?),
            None => None,
        };
        let throttle: Arc<dyn LoginThrottle> = match &redis {
            Some(conn) => Arc::new(redis_throttle::RedisThrottle::new(conn.clone(), &settings.redis_prefix)),
            None => Arc::new(MemoryThrottle::default()),
        };
        let mut kensa = Kensa::connect(&settings, throttle).await?.with_clock(clock);
        if let Some(conn) = &redis {
            let channel = settings.wakeup_channel();
            kensa.remote_wakeup = Some(Arc::new(crate::redis_wake::RedisWake::new(conn.clone(), channel)));
        }
        if let Some(s3) = &settings.s3 {
            kensa.evidence_store = crate::s3_store::evidence_store(s3)?;
        }
        let started = std::time::Instant::now();
        kensa_domain::db::migrate(&kensa).await.map_err(|e| ConfigError::new("DATABASE_URL", e.to_string()))?;
        let loaded = kensa_domain::templates::catalog::ensure_builtins(&kensa)
            .await
            .map_err(|e| ConfigError::new("DATABASE_URL", format!("loading the built-in catalog failed: {e}")))?;
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, ?loaded, "database migrated, catalog loaded");
        // Uploads staged by a process that died mid-request; an hour is longer than any upload.
        match kensa_domain::assessments::staging::sweep_stale(
            &kensa.uploads.staging_dir,
            std::time::Duration::from_secs(3600),
        ) {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "removed stale staged uploads"),
            Err(e) => tracing::warn!(error = %e, "could not sweep the upload staging directory"),
        }

        let listener = TcpListener::bind(settings.bind)
            .map_err(|e| ConfigError::new("KENSA_BIND", format!("cannot listen on {}: {e}", settings.bind)))?;
        let port = listener.local_addr().map_err(|e| ConfigError::new("KENSA_BIND", e.to_string()))?.port();
        let state = web::Data::new(AppState {
            kensa: kensa.clone(),
            redis,
            metrics: Arc::new(Metrics::default()),
            secure_cookies: settings.env != kensa_domain::config::Environment::Development,
        });
        let schema = web::Data::new(graphql::build_schema());
        let exposure = web::Data::new(Exposure::from_settings(&settings));
        let (public_docs, public_metrics) = (settings.public_docs, settings.metrics_on_public_port());
        if !public_metrics && settings.metrics_bind.is_none() {
            tracing::info!("GET /metrics is not served: set KENSA_METRICS_BIND or KENSA_METRICS_TOKEN");
        }
        let metrics_server = match settings.metrics_bind {
            Some(bind) => Some(metrics_server(bind, state.clone(), exposure.clone())?),
            None => None,
        };
        let graphql_guard = web::Data::new(graphql::GraphqlGuard::new(settings.graphql.clone()));
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(exposure.clone())
                .app_data(schema.clone())
                .app_data(graphql_guard.clone())
                .app_data(web::PayloadConfig::new(crate::extract::JSON_LIMIT))
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    ApiError::from(DomainError::validation("query", ErrorCode::InvalidQuery, e.to_string())).into()
                }))
                .app_data(
                    web::PathConfig::default()
                        .error_handler(|_, _| ApiError::from(DomainError::NotFound("resource")).into()),
                )
                .wrap(from_fn(crate::text_guard::reject_control_characters))
                .wrap(from_fn(observe::observe))
                .wrap(from_fn(exposure::headers))
                .configure(rest::configure)
                .configure(crate::web::configure)
                .service(resource("/healthz").route(web::get().to(health::healthz)))
                .service(resource("/readyz").route(web::get().to(health::readyz)))
                .configure(|cfg| {
                    if public_metrics {
                        cfg.service(resource("/metrics").route(web::get().to(exposure::metrics)));
                    }
                })
                .service(
                    resource("/graphql")
                        .route(web::post().to(graphql::execute))
                        .route(web::get().to(graphql::graphiql)),
                )
                .service(resource("/graphql/assets/{name}").route(web::get().to(graphql::graphiql_asset)))
                .configure(|cfg| {
                    if public_docs {
                        cfg.service(resource("/docs").route(web::get().to(docs_redirect)))
                            .service(SwaggerUi::new("/docs/{_:.*}").config(Config::from("/api/v1/openapi.json")));
                    }
                })
                .default_service(web::to(route_not_found))
        })
        .listen(listener)
        .map_err(|e| ConfigError::new("KENSA_BIND", e.to_string()))?
        .shutdown_timeout(30)
        .run();
        Ok(Self { port, server, metrics_server, kensa })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the `KENSA_METRICS_BIND` listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(_, port)| *port)
    }

    /// The services: for the embedded worker, and for tests that drive the worker themselves.
    pub fn kensa(&self) -> Kensa {
        self.kensa.clone()
    }

    /// Serves until SIGTERM or SIGINT, when in-flight requests drain.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics_server.map(|(server, _)| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let result = self.server.await;
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        result
    }
}

/// The `KENSA_METRICS_BIND` listener: `GET /metrics` only, for a scraper on a private network.
fn metrics_server(
    bind: std::net::SocketAddr,
    state: web::Data<AppState>,
    exposure: web::Data<Exposure>,
) -> Result<(Server, u16), ConfigError> {
    let listener = TcpListener::bind(bind)
        .map_err(|e| ConfigError::new("KENSA_METRICS_BIND", format!("cannot listen on {bind}: {e}")))?;
    let port = listener.local_addr().map_err(|e| ConfigError::new("KENSA_METRICS_BIND", e.to_string()))?.port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(exposure.clone())
            .wrap(from_fn(exposure::headers))
            .service(resource("/metrics").route(web::get().to(exposure::metrics)))
            .default_service(web::to(route_not_found))
    })
    .workers(1)
    .listen(listener)
    .map_err(|e| ConfigError::new("KENSA_METRICS_BIND", e.to_string()))?
    .shutdown_timeout(5)
    .run();
    Ok((server, port))
}
