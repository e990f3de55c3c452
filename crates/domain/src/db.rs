//! Connecting to and migrating the database (SQLite or PostgreSQL).

use std::time::Duration;

use kensa_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait};

use crate::config::{ConfigError, Settings};
use crate::error::{DomainError, DomainResult};

/// How long a pooled connection may sit idle before it is checked on its way out.
const POOL_PING_AFTER_IDLE: Duration = Duration::from_secs(30);

pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, ConfigError> {
    let url = settings.database_url.expose().clone();
    let mut options = ConnectOptions::new(url.clone());
    options.sqlx_logging(false).connect_timeout(settings.db_connect_timeout).acquire_timeout(Duration::from_secs(10));
    // sqlx pings every connection it hands out by default: a round trip before each
    // statement or transaction (two of a bulk save's nine on PostgreSQL). Only a connection
    // idle long enough to have been dropped by the server or a proxy is pinged now; a hot
    // one that broke fails its statement, which the caller sees as a 503 like any outage.
    options.test_before_acquire_if_idle_for(POOL_PING_AFTER_IDLE);
    prepare_data_dir(settings)?;
    if settings.is_sqlite() {
        if let Some(path) = sqlite_path(&url) {
            prepare_sqlite_file(&path)?;
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
        let timeout = settings.db_connect_timeout;
        let address = reach_postgres(&url, timeout).await?;
        // The server accepted TCP but may still hang in TLS or the handshake: bound the first
        // connection too (later acquires keep the 10 s pool timeout).
        return match tokio::time::timeout(timeout, sea_orm::Database::connect(options)).await {
            Ok(connected) => connected.map_err(|e| {
                ConfigError::new(
                    "DATABASE_URL",
                    format!("cannot connect to PostgreSQL{address}: {}", redact_db_error(&e)),
                )
            }),
            Err(_) => Err(ConfigError::new(
                "DATABASE_URL",
                format!("PostgreSQL{address} did not answer within {} s (KENSA_DB_CONNECT_TIMEOUT)", timeout.as_secs()),
            )),
        };
    }
    sea_orm::Database::connect(options).await.map_err(|e| {
        ConfigError::new("DATABASE_URL", format!("cannot connect to the database: {}", redact_db_error(&e)))
    })
}

/// Fails fast, naming host and port (never the credentials), when PostgreSQL cannot be
/// reached: the pool would otherwise retry until its 10 s acquire timeout and say only
/// "pool timed out". Returns " at host:port" for later messages; a URL without a host (a
/// Unix socket in the query) is left to the pool.
async fn reach_postgres(url: &str, timeout: Duration) -> Result<String, ConfigError> {
    let Ok(parsed) = url::Url::parse(url) else { return Ok(String::new()) };
    let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else { return Ok(String::new()) };
    let port = parsed.port().unwrap_or(5432);
    let address = format!(" at {host}:{port}");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let fail = |why: String| ConfigError::new("DATABASE_URL", format!("cannot reach PostgreSQL{address}: {why}"));
    match tokio::time::timeout(timeout, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(address),
        Ok(Err(e)) => Err(fail(e.to_string())),
        Err(_) => Err(fail(format!("no answer within {} s (KENSA_DB_CONNECT_TIMEOUT)", timeout.as_secs()))),
    }
}

/// The data directory holds local state (generated JWT secret, outbox, evidence, SQLite):
/// made 0700 when Kensa will write there, and tightened at start if others may read it.
fn prepare_data_dir(settings: &Settings) -> Result<(), ConfigError> {
    let dir = &settings.data_dir;
    let local = settings.jwt_secret.is_none() || settings.smtp_url.is_none() || settings.s3.is_none();
    if !local && !dir.exists() {
        return Ok(());
    }
    let tightened = crate::config::private_dir(dir)
        .map_err(|e| ConfigError::new("KENSA_DATA_DIR", format!("{}: {e}", dir.display())))?;
    if let Some(mode) = tightened {
        tracing::warn!(path = %dir.display(), was = format!("{mode:o}"), "data directory tightened to 0700");
    }
    Ok(())
}

/// The SQLite file is created 0600 before SQLite opens it (SQLite gives its -wal and -shm
/// files the database file's mode); an existing database and its -wal/-shm are tightened.
fn prepare_sqlite_file(path: &std::path::Path) -> Result<(), ConfigError> {
    let io_err =
        |p: &std::path::Path, e: std::io::Error| ConfigError::new("DATABASE_URL", format!("{}: {e}", p.display()));
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && !parent.exists()
    {
        crate::config::private_dir(parent).map_err(|e| io_err(parent, e))?;
    }
    if !path.exists() {
        create_private_file(path).map_err(|e| io_err(path, e))?;
        return Ok(());
    }
    for suffix in ["", "-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        if let Some(mode) = crate::config::private_file(&file).map_err(|e| io_err(&file, e))? {
            tracing::warn!(path = %file.display(), was = format!("{mode:o}"), "database file tightened to 0600");
        }
    }
    Ok(())
}

#[cfg(unix)]
fn create_private_file(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map(drop),
    }
}

#[cfg(not(unix))]
fn create_private_file(_path: &std::path::Path) -> std::io::Result<()> {
    Ok(())
}

/// The SQLite database file `settings` name, if they name one (not PostgreSQL, not memory).
pub fn sqlite_file(settings: &Settings) -> Option<std::path::PathBuf> {
    settings.is_sqlite().then(|| sqlite_path(settings.database_url.expose())).flatten()
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
pub async fn migrate(k: &crate::Kensa) -> DomainResult<()> {
    let db = &k.db;
    let txn = db.begin().await?;
    if db.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_raw(Statement::from_string(DatabaseBackend::Postgres, "SELECT pg_advisory_xact_lock(7316354)"))
            .await?;
    }
    Migrator::up(&txn, None).await.map_err(|e| DomainError::Internal(format!("migration failed: {e}")))?;
    txn.commit().await?;
    let backfilled = crate::scoring::snapshot::backfill(k).await?;
    if backfilled > 0 {
        tracing::info!(backfilled, "stored the scores of assessments submitted before scores were kept");
    }
    let sealed = crate::audit::chain::seal_unchained(k).await?;
    if sealed > 0 {
        tracing::info!(sealed, "audit events recorded before the hash chain chained");
    }
    Ok(())
}

pub async fn ping(k: &crate::Kensa) -> DomainResult<()> {
    k.db.ping().await.map_err(|_| DomainError::Unavailable("database".into()))
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
