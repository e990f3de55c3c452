//! Kensa's business rules and persistence. Knows no HTTP, SMTP or Redis: the API and the
//! worker drive it through the services in each module.

pub mod api_keys;
pub mod assessments;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod campaigns;
pub mod chase;
pub mod clock;
mod closed_set;
pub mod comparison;
pub mod config;
pub mod crosswalk;
pub mod db;
pub mod deliveries;
pub mod demo;
mod entities;
pub mod error;
mod error_code;
pub mod export;
#[cfg(feature = "graphql")]
pub mod graphql;
pub mod idempotency;
pub mod ids;
pub mod jobs;
pub mod library;
pub mod notifications;
pub mod pagination;
pub mod portability;
pub mod precondition;
pub mod scoring;
pub mod shares;
pub mod suppliers;
pub mod supply_chain;
pub mod templates;
pub mod tenant;
pub mod text;
pub mod users;
pub mod webhooks;
#[cfg(feature = "openapi")]
pub mod wire;
mod write;

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use url::Url;

pub use error::{DomainError, DomainResult, ErrorCode, FieldError};
pub use precondition::IfMatch;
pub use write::WriteTx;

/// A wake-up for workers in other processes (Redis pub/sub in production).
pub trait WakeSignal: Send + Sync {
    fn wake(&self);
}

/// The services' shared state: the database, token keys and the login throttle.
#[derive(Clone)]
pub struct Kensa {
    /// Private to the domain: the API and the worker call services, never the database.
    pub(crate) db: DatabaseConnection,
    pub jwt: auth::tokens::JwtKeys,
    pub throttle: Arc<dyn auth::throttle::LoginThrottle>,
    pub public_url: Url,
    /// Signalled after a transaction queues a job, so an in-process worker starts at once.
    pub job_wakeup: Arc<Notify>,
    /// Tells workers in other processes (through Redis) that jobs are waiting.
    pub remote_wakeup: Option<Arc<dyn WakeSignal>>,
    pub principals: Arc<auth::principal_cache::PrincipalCache>,
    /// Argon2 on the blocking pool, a few at once, behind bounded queues.
    pub passwords: Arc<auth::password::PasswordHasher>,
    /// Sign-up limits and trusted proxies.
    pub auth_limits: config::AuthLimits,
    pub template_contents: Arc<templates::repo::ContentCache>,
    /// Where evidence files live.
    pub evidence_store: assessments::evidence_store::EvidenceStore,
    /// Bounds on evidence uploads: concurrent ones, staging directory, organization quota.
    pub uploads: Arc<assessments::evidence::UploadLimits>,
    /// Writes to versioned resources must carry `If-Match` (428 otherwise).
    pub require_if_match: bool,
    /// Where webhook deliveries may go (checked when an endpoint is saved, and by the worker).
    pub webhooks: config::WebhookPolicy,
    writes: write::WriteQueue,
    /// Between an owner's request to erase the organization and the erasure.
    pub erasure_grace: chrono::Duration,
    /// Where "now" comes from (see [`clock`]).
    time: clock::Time,
}

impl Kensa {
    /// Starts the one kind of write transaction there is (see [`WriteTx`]).
    pub async fn begin_write(&self) -> Result<WriteTx, sea_orm::DbErr> {
        self.writes.begin(&self.db, self.time.now()).await
    }

    /// The same services on another clock: tests, and `kensa-worker run-once --now`.
    pub fn with_clock(mut self, clock: Arc<dyn clock::Clock>) -> Self {
        self.time = clock::Time::new(clock);
        self
    }

    /// Now, from the clock the services were built with (microsecond precision).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.time.now()
    }

    /// Today's date (UTC), from the same clock: due and overdue decisions use it.
    pub fn today(&self) -> chrono::NaiveDate {
        self.time.today()
    }

    /// Closes the connection pool: requests that need the database then fail with 503
    /// (graceful shutdown, and tests of an unavailable database).
    pub async fn close(&self) {
        if let Err(e) = self.db.close_by_ref().await {
            tracing::warn!(error = %e, "closing the database pool failed");
        }
    }

    /// Called after committing a transaction that queued jobs. Only a hint: workers poll
    /// anyway, so a lost signal delays a job by one poll interval, never loses it.
    pub fn wake_worker(&self) {
        self.job_wakeup.notify_one();
        if let Some(remote) = &self.remote_wakeup {
            remote.wake();
        }
    }
}

impl Kensa {
    /// Connects to the database and prepares the keys. Migrations are the caller's choice:
    /// the API runs them at start, the worker expects them done.
    pub async fn connect(
        settings: &config::Settings,
        throttle: Arc<dyn auth::throttle::LoginThrottle>,
    ) -> Result<Self, config::ConfigError> {
        let secret = settings.resolve_jwt_secret()?;
        let db = db::connect(settings).await?;
        Ok(Self {
            db,
            jwt: auth::tokens::JwtKeys::new(&secret, settings.jwt_previous_secret.as_ref()),
            throttle,
            public_url: settings.public_url.clone(),
            job_wakeup: Arc::new(Notify::new()),
            remote_wakeup: None,
            principals: Arc::default(),
            passwords: Arc::new(auth::password::PasswordHasher::new(settings.auth.password_queue)),
            auth_limits: settings.auth.clone(),
            template_contents: Arc::default(),
            evidence_store: assessments::evidence_store::EvidenceStore::local(&settings.data_dir.join("evidence"))?,
            uploads: Arc::new(assessments::evidence::UploadLimits::new(
                settings.data_dir.join("uploads"),
                settings.max_concurrent_uploads,
                settings.org_storage_quota_mb,
            )),
            require_if_match: settings.require_if_match,
            webhooks: settings.webhooks,
            writes: write::WriteQueue::new(settings.is_sqlite()),
            erasure_grace: chrono::Duration::days(i64::try_from(settings.erasure_grace_days).unwrap_or(30)),
            time: clock::Time::default(),
        })
    }
}
