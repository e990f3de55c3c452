//! Kensa's business rules and persistence. Knows no HTTP, SMTP or Redis: the API and the
//! worker drive it through the services in each module.

pub mod assessments;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod config;
pub mod db;
pub mod demo;
mod entities;
pub mod error;
pub mod export;
pub mod ids;
pub mod jobs;
pub mod notifications;
pub mod pagination;
pub mod suppliers;
pub mod templates;
pub mod tenant;
pub mod text;
pub mod users;

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use url::Url;

pub use error::{DomainError, DomainResult, FieldError};

/// A wake-up for workers in other processes (Redis pub/sub in production).
pub trait WakeSignal: Send + Sync {
    fn wake(&self);
}

/// The services' shared state: the database, token keys and the login throttle.
#[derive(Clone)]
pub struct Kensa {
    pub db: DatabaseConnection,
    pub jwt: auth::tokens::JwtKeys,
    pub throttle: Arc<dyn auth::throttle::LoginThrottle>,
    pub public_url: Url,
    /// Signalled after a transaction queues a job, so an in-process worker starts at once.
    pub job_wakeup: Arc<Notify>,
    /// Tells workers in other processes (through Redis) that jobs are waiting.
    pub remote_wakeup: Option<Arc<dyn WakeSignal>>,
    pub principals: Arc<auth::principal_cache::PrincipalCache>,
    /// Argon2 on dedicated threads behind bounded queues.
    pub passwords: Arc<auth::password::PasswordHasher>,
    /// Sign-up limits and trusted proxies.
    pub auth_limits: config::AuthLimits,
    pub template_contents: Arc<templates::repo::ContentCache>,
    /// Where evidence files live.
    pub evidence_store: Arc<dyn assessments::evidence::EvidenceStore>,
    /// Bounds on evidence uploads: concurrent ones, staging directory, organization quota.
    pub uploads: Arc<assessments::evidence::UploadLimits>,
    /// SQLite has one writer: write transactions queue here instead of in SQLite's
    /// busy handler, which sleeps with back-off (a p99 of 300 ms under 8 writers).
    sqlite_writer: Option<Arc<tokio::sync::Mutex<()>>>,
}

/// Held for the life of a write transaction (SQLite only; `None` on PostgreSQL).
pub type WriteGuard<'a> = Option<tokio::sync::MutexGuard<'a, ()>>;

impl Kensa {
    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE` (the write lock is taken
    /// up front, so a transaction that reads first can never fail to upgrade) behind an
    /// in-process queue; keep the guard until the transaction ends.
    pub async fn begin_write(&self) -> Result<(WriteGuard<'_>, sea_orm::DatabaseTransaction), sea_orm::DbErr> {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        let guard = match &self.sqlite_writer {
            Some(writer) => Some(writer.lock().await),
            None => None,
        };
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let txn = self.db.begin_with_options(options).await?;
        Ok((guard, txn))
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
            jwt: auth::tokens::JwtKeys::new(&secret),
            throttle,
            public_url: settings.public_url.clone(),
            job_wakeup: Arc::new(Notify::new()),
            remote_wakeup: None,
            principals: Arc::default(),
            passwords: Arc::new(auth::password::PasswordHasher::new(settings.auth.password_queue)),
            auth_limits: settings.auth.clone(),
            template_contents: Arc::default(),
            evidence_store: Arc::new(assessments::evidence::LocalStore::new(settings.data_dir.join("evidence"))),
            uploads: Arc::new(assessments::evidence::UploadLimits::new(
                settings.data_dir.join("uploads"),
                settings.max_concurrent_uploads,
                settings.org_storage_quota_mb,
            )),
            sqlite_writer: settings.is_sqlite().then(Arc::default),
        })
    }
}
