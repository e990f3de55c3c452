//! An online backup of the embedded SQLite database (`kensa-api backup --output FILE`).
//!
//! `VACUUM INTO` runs inside one read transaction, so the copy is a consistent snapshot of
//! the last commit before it began, while the server keeps reading and writing (WAL lets
//! writers proceed past a reader). It goes through the application's own connection
//! settings, so an operator needs no `sqlite3` program. PostgreSQL is backed up with
//! `pg_dump` (see docs/operations.md), not here.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::Kensa;

/// Why a backup was not written. Its own type: these are operator-facing messages of a
/// command, not API problems.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(
        "DATABASE_URL is PostgreSQL: back it up with `pg_dump --format=custom` (see docs/operations.md); \
         `backup` copies the embedded SQLite database"
    )]
    NotSqlite,
    #[error("{0}: already exists; a backup never overwrites a file")]
    Exists(PathBuf),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    #[error("{0}: {1}")]
    Database(PathBuf, String),
    #[error("{0}: the copy failed its integrity check: {1}")]
    Corrupt(PathBuf, String),
}

/// What was written, for the command's report.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub path: PathBuf,
    pub bytes: u64,
    /// `VACUUM INTO` and the flush to disk.
    pub copy: Duration,
    /// Opening the copy and `PRAGMA integrity_check`.
    pub check: Duration,
    /// Rows of the tables that matter most, counted in the copy.
    pub counts: Vec<(&'static str, i64)>,
}

/// Tables whose rows the report counts (read from the copy, not the live database).
const COUNTED: [&str; 5] = ["organizations", "assessments", "answers", "evidence", "audit_events"];

/// Writes a consistent copy of the database to `output` (created 0600: it holds password
/// hashes and TOTP secrets), then opens the copy and checks it. The copy is made under a
/// name of its own (`output.<random>.partial`, so two backups to one name never share a
/// file) and linked to `output` only when complete, flushed and checked: an interrupted
/// backup never leaves a file that looks whole, and the link fails rather than overwrite a
/// file that appeared meanwhile.
pub async fn sqlite_snapshot(k: &Kensa, output: &Path) -> Result<Snapshot, BackupError> {
    if k.db.get_database_backend() != DatabaseBackend::Sqlite {
        return Err(BackupError::NotSqlite);
    }
    if output.exists() {
        return Err(BackupError::Exists(output.to_owned()));
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |e: std::io::Error| BackupError::Io(path, e)
    };
    // Absolute: SQLite opens `VACUUM INTO`'s target as a URI, and a relative name starting
    // with `file:` would be read as one.
    let absolute = std::path::absolute(output).map_err(io(output))?;
    let mut partial = absolute.into_os_string();
    partial.push(format!(".{}.partial", uuid::Uuid::new_v4().simple()));
    let partial = PathBuf::from(partial);
    // VACUUM INTO accepts an empty file: creating it first sets its mode.
    create_private(&partial).map_err(io(&partial))?;
    let target = partial.to_str().ok_or_else(|| {
        BackupError::Io(partial.clone(), std::io::Error::new(std::io::ErrorKind::InvalidInput, "not UTF-8"))
    })?;
    let started = Instant::now();
    let vacuum = Statement::from_sql_and_values(DatabaseBackend::Sqlite, "VACUUM INTO ?", [target.into()]);
    if let Err(e) = k.db.execute_raw(vacuum).await {
        let _ = std::fs::remove_file(&partial);
        return Err(BackupError::Database(output.to_owned(), e.to_string()));
    }
    // SQLite does not fsync what VACUUM INTO writes.
    std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(io(&partial))?;
    let copy = started.elapsed();
    // Checked before it takes the final name: a copy that fails the check is never published.
    let started = Instant::now();
    let counts = match check(&partial).await {
        Ok(counts) => counts,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    let checked = started.elapsed();
    publish(&partial, output)?;
    if let Some(dir) = output.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io(dir))?;
    }
    let bytes = std::fs::metadata(output).map_err(io(output))?.len();
    Ok(Snapshot { path: output.to_owned(), bytes, copy, check: checked, counts })
}

/// Gives the checked copy its final name without ever replacing a file: a hard link, which
/// fails if `output` exists. File systems without hard links (FAT, some network mounts) get
/// a check and a rename instead. Whatever fails, the copy stays under its partial name and
/// the error names it, so a good backup is never thrown away.
fn publish(partial: &Path, output: &Path) -> Result<(), BackupError> {
    let kept = |e: std::io::Error| {
        let detail = format!("{e}; the checked copy is kept as {}", partial.display());
        BackupError::Io(output.to_owned(), std::io::Error::new(e.kind(), detail))
    };
    match std::fs::hard_link(partial, output) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let _ = std::fs::remove_file(partial);
            return Err(BackupError::Exists(output.to_owned()));
        }
        Err(_) if !output.exists() => return std::fs::rename(partial, output).map_err(kept),
        Err(e) => return Err(kept(e)),
    }
    std::fs::remove_file(partial).map_err(kept)
}

/// Opens the copy read-only, as a restored server would, and checks every page and index.
async fn check(path: &Path) -> Result<Vec<(&'static str, i64)>, BackupError> {
    let fail = |e: sea_orm::DbErr| BackupError::Database(path.to_owned(), e.to_string());
    // The path as a file name, not inside a URL: `?`, `#` or `%` in it stay what they are.
    let file = path.to_owned();
    let mut options = sea_orm::ConnectOptions::new("sqlite::memory:");
    options
        .sqlx_logging(false)
        .max_connections(1)
        .map_sqlx_sqlite_opts(move |o| o.filename(&file).in_memory(false).shared_cache(false).read_only(true));
    let copy = sea_orm::Database::connect(options).await.map_err(fail)?;
    let sql = |text: &str| Statement::from_string(DatabaseBackend::Sqlite, text);
    let verdict: Vec<String> = copy
        .query_all_raw(sql("PRAGMA integrity_check"))
        .await
        .map_err(fail)?
        .iter()
        .filter_map(|row| row.try_get_by_index::<String>(0).ok())
        .collect();
    if verdict != ["ok"] {
        let _ = copy.close().await;
        return Err(BackupError::Corrupt(path.to_owned(), verdict.join("; ")));
    }
    let mut counts = Vec::with_capacity(COUNTED.len());
    for table in COUNTED {
        let row = copy.query_one_raw(sql(&format!("SELECT count(*) FROM {table}"))).await.map_err(fail)?;
        counts.push((table, row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or_default()));
    }
    copy.close().await.map_err(fail)?;
    Ok(counts)
}

#[cfg(unix)]
fn create_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map(drop)
}

#[cfg(not(unix))]
fn create_private(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new().write(true).create_new(true).open(path).map(drop)
}
