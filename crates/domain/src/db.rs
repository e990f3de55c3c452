//! Connecting to and migrating the database (SQLite or PostgreSQL).

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use kensa_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait};

use crate::config::{ConfigError, Settings};
use crate::error::{DomainError, DomainResult};

pub use sea_orm::DatabaseConnection as Db;

/// Timestamps are kept at microsecond precision: what PostgreSQL stores, so both backends
/// hand back exactly what was written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, ConfigError> {
    let url = settings.database_url.expose().clone();
    let mut options = ConnectOptions::new(url.clone());
    options.sqlx_logging(false).connect_timeout(Duration::from_secs(5)).acquire_timeout(Duration::from_secs(10));
    if settings.is_sqlite() {
        if let Some(parent) = sqlite_path(&url).and_then(|p| p.parent().map(|p| p.to_path_buf()))
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(&parent)
                .map_err(|e| ConfigError::new("DATABASE_URL", format!("cannot create {}: {e}", parent.display())))?;
        }
        // WAL lets readers proceed while one writer commits; the busy timeout makes writers
        // queue instead of failing with "database is locked".
        options.max_connections(8).map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    } else {
        options.max_connections(20);
    }
    sea_orm::Database::connect(options).await.map_err(|e| {
        ConfigError::new("DATABASE_URL", format!("cannot connect to the database: {}", redact_db_error(&e)))
    })
}

fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(path))
}

/// Database errors can quote the connection string; keep only the kind of failure.
fn redact_db_error(e: &sea_orm::DbErr) -> String {
    let text = e.to_string();
    match text.find("://") {
        Some(_) => "connection failed".into(),
        None => text,
    }
}

/// Applies pending migrations. On PostgreSQL an advisory lock serialises replicas that
/// start together; SQLite serialises writers by itself.
pub async fn migrate(db: &DatabaseConnection) -> DomainResult<()> {
    let txn = db.begin().await?;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_raw(Statement::from_string(DatabaseBackend::Postgres, "SELECT pg_advisory_xact_lock(7316354)"))
            .await?;
    }
    Migrator::up(&txn, None).await.map_err(|e| DomainError::Internal(format!("migration failed: {e}")))?;
    txn.commit().await?;
    Ok(())
}

pub async fn ping(db: &DatabaseConnection) -> DomainResult<()> {
    db.ping().await.map_err(|_| DomainError::Unavailable("database".into()))
}

/// Builds a statement for the connection's backend from PostgreSQL-style SQL (`$1`);
/// SQLite accepts the same numbered parameters written `?1`.
pub fn statement(backend: DatabaseBackend, sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    let sql = match backend {
        DatabaseBackend::Sqlite => sql.replace('$', "?"),
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}
