//! The domain's one error type. Each variant documents the HTTP status the API gives it;
//! the API and GraphQL translate it once, at the edge.

use serde::Serialize;

pub use crate::error_code::ErrorCode;

/// One problem with one input field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    /// Stable snake_case name of the rule that failed.
    pub code: ErrorCode,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { field: field.into(), code, message: message.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// 422: the input is well-formed but breaks a rule; every problem is listed.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// 422 with its own code: the request is valid but the resource is not ready for it
    /// (e.g. submitting with unanswered items); every problem is listed.
    #[error("{detail}")]
    Unprocessable { code: ErrorCode, detail: String, errors: Vec<FieldError> },
    /// 412: `If-Match` names a version that is no longer current.
    #[error("the resource changed since version {expected}; reload it (current version {current})")]
    PreconditionFailed { expected: i32, current: i32 },
    /// 428: this deployment requires `If-Match` on writes to versioned resources
    /// (`KENSA_REQUIRE_IF_MATCH`), and none was sent.
    #[error("send If-Match with the ETag of the version you read (this server requires it)")]
    PreconditionRequired,
    /// 401: missing, invalid or expired credentials.
    #[error("{detail}")]
    Unauthenticated { code: ErrorCode, detail: &'static str },
    /// 403: authenticated, but the role does not allow this.
    #[error("your role does not allow this action")]
    Forbidden,
    /// 403 with its own code: allowed for the role, but not yet for this account (e.g. an
    /// organization whose owner has not verified their address mails no one).
    #[error("{detail}")]
    Refused { code: ErrorCode, detail: &'static str },
    /// 404: absent, or belonging to another tenant (which must look the same).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409: the request conflicts with the current state.
    #[error("{detail}")]
    Conflict { code: ErrorCode, detail: String },
    /// 410: the link existed but is expired, revoked or used.
    #[error("{detail}")]
    Gone { code: ErrorCode, detail: &'static str },
    /// 429: throttled; retry after the given number of seconds.
    #[error("too many attempts; retry later")]
    TooManyRequests { retry_after_secs: u64 },
    /// 503 with `Retry-After`: this process is at a bound it sets itself (e.g. concurrent
    /// uploads); the request was not started.
    #[error("{detail}")]
    Overloaded { code: ErrorCode, detail: &'static str, retry_after_secs: u64 },
    /// 503: a dependency (database, Redis) is unavailable.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// 500: a bug or an infrastructure failure; logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn validation(field: &str, code: ErrorCode, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, code, message)])
    }

    pub fn conflict(code: ErrorCode, detail: impl Into<String>) -> Self {
        Self::Conflict { code, detail: detail.into() }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }
}

/// A closed-set column (status, role, kind) holds a value the code does not know: the row is
/// corrupt or was written by a newer version. It is a 500, logged, never read as a default.
pub(crate) fn unknown_stored(column: &str, raw: &str) -> DomainError {
    DomainError::Internal(format!("unknown stored {column} {raw:?}"))
}

/// True when the database refused a write because of a unique index (or primary key).
/// Read from the driver's error code (SQLite 2067/1555, PostgreSQL 23505) through sea-orm's
/// [`sea_orm::DbErr::sql_err`], not from the message text, which differs per backend and
/// version.
pub(crate) fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// Turns a unique-index refusal (a race the service's own check lost) into the 409 it is;
/// every other database error converts as usual.
pub(crate) trait OnUnique<T> {
    fn on_unique(self, code: ErrorCode, detail: &str) -> DomainResult<T>;
}

impl<T> OnUnique<T> for Result<T, sea_orm::DbErr> {
    fn on_unique(self, code: ErrorCode, detail: &str) -> DomainResult<T> {
        self.map_err(|e| if is_unique_violation(&e) { DomainError::conflict(code, detail) } else { e.into() })
    }
}

impl From<sea_orm::DbErr> for DomainError {
    fn from(e: sea_orm::DbErr) -> Self {
        match &e {
            sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => Self::Unavailable("database".into()),
            // A pooled connection that broke since its last use (pooled connections are only
            // checked after being idle, see `db::connect`): the database is away, not wrong.
            sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(sqlx))
            | sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(sqlx))
                if matches!(
                    **sqlx,
                    sea_orm::sqlx::Error::Io(_) | sea_orm::sqlx::Error::PoolClosed | sea_orm::sqlx::Error::PoolTimedOut
                ) =>
            {
                Self::Unavailable("database".into())
            }
            _ => Self::Internal(e.to_string()),
        }
    }
}

impl<E: std::error::Error> From<sea_orm::TransactionError<E>> for DomainError
where
    DomainError: From<E>,
{
    fn from(e: sea_orm::TransactionError<E>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner.into(),
        }
    }
}

pub type DomainResult<T> = Result<T, DomainError>;

#[cfg(test)]
mod tests {
    use sea_orm::{ConnectionTrait, Database};

    use super::*;

    #[tokio::test]
    async fn a_second_row_under_a_unique_index_reads_as_a_conflict_and_other_errors_do_not() -> Result<(), DomainError>
    {
        let db = Database::connect("sqlite::memory:").await?;
        db.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)").await?;
        db.execute_unprepared("INSERT INTO t (id, email) VALUES (1, 'a@example.com')").await?;
        let twice = db.execute_unprepared("INSERT INTO t (id, email) VALUES (2, 'a@example.com')").await;
        assert!(matches!(
            twice.on_unique(ErrorCode::EmailTaken, "taken"),
            Err(DomainError::Conflict { code: ErrorCode::EmailTaken, .. })
        ));
        let same_key = db.execute_unprepared("INSERT INTO t (id, email) VALUES (1, 'b@example.com')").await;
        assert!(same_key.as_ref().is_err_and(is_unique_violation), "{same_key:?}");
        let null = db.execute_unprepared("INSERT INTO t (id, email) VALUES (3, NULL)").await;
        assert!(matches!(null.on_unique(ErrorCode::EmailTaken, "taken"), Err(DomainError::Internal(_))));
        Ok(())
    }
}
