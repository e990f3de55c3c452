use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Kensa;
use crate::db::statement;
use crate::entities::jobs;
use crate::error::{DomainError, DomainResult};
use crate::ids::JobId;

pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claimed job stays reserved for its worker.
const LEASE: Duration = Duration::minutes(5);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Mail a user invitation (payload: `{"invitation_id": …}`).
    UserInvitationMail,
    /// Mail a supplier its assessment invitation (payload: `{"invitation_id": …}`).
    AssessmentInvitationMail,
    /// Tell an already linked supplier about a new assessment (payload: `{"assessment_id": …}`).
    AssessmentNoticeMail,
    /// Tell a user their account saw repeated failed sign-ins (payload: `{"user_id": …,
    /// "failures": n, "address": "…"}`).
    LoginFailureNoticeMail,
    /// Tell one of the buyer's owners or admins that an invitation was claimed by someone
    /// other than the invited contact (payload: `{"claim_id": …, "user_id": …}`).
    SupplierClaimMail,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::UserInvitationMail => "user_invitation_mail",
            JobKind::AssessmentInvitationMail => "assessment_invitation_mail",
            JobKind::AssessmentNoticeMail => "assessment_notice_mail",
            JobKind::LoginFailureNoticeMail => "login_failure_notice_mail",
            JobKind::SupplierClaimMail => "supplier_claim_mail",
        }
    }

    const ALL: [JobKind; 5] = [
        JobKind::UserInvitationMail,
        JobKind::AssessmentInvitationMail,
        JobKind::AssessmentNoticeMail,
        JobKind::LoginFailureNoticeMail,
        JobKind::SupplierClaimMail,
    ];
}

/// A stored `jobs.kind`. An unknown kind (a row from a newer version, or a corrupt one) is an
/// error, never another kind: [`claim_due`] keeps it as `None` with the raw text so the worker
/// fails that job loudly, with the kind in the log, and retries it (a newer worker may know it).
impl TryFrom<&str> for JobKind {
    type Error = DomainError;
    fn try_from(s: &str) -> Result<Self, DomainError> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| crate::error::unknown_stored("job kind", s))
    }
}

#[derive(Clone, Debug)]
pub struct ClaimedJob {
    pub id: JobId,
    pub kind: Option<JobKind>,
    pub raw_kind: String,
    pub payload: serde_json::Value,
    /// Including this one.
    pub attempts: i32,
}

#[derive(FromQueryResult)]
struct ClaimedRow {
    id: Uuid,
    kind: String,
    payload: serde_json::Value,
    attempts: i32,
}

/// A pending job row, for callers that insert many at once.
pub fn new_row(kind: JobKind, payload: serde_json::Value, run_at: DateTime<Utc>, now: DateTime<Utc>) -> jobs::Model {
    jobs::Model {
        id: JobId::generate().0,
        kind: kind.as_str().to_owned(),
        payload,
        status: "pending".into(),
        attempts: 0,
        run_at,
        locked_until: None,
        locked_by: None,
        last_error: None,
        created_at: now,
        updated_at: now,
    }
}

pub async fn enqueue(
    conn: &crate::WriteTx,
    kind: JobKind,
    payload: serde_json::Value,
    run_at: DateTime<Utc>,
) -> DomainResult<JobId> {
    let row = new_row(kind, payload, run_at, conn.now());
    let id = JobId(row.id);
    jobs::Entity::insert(jobs::ActiveModel::from(row)).exec_without_returning(conn).await?;
    Ok(id)
}

/// Claims up to `limit` jobs due at `now`, including running ones whose lease expired.
pub async fn claim_due(k: &Kensa, now: DateTime<Utc>, worker: &str, limit: u64) -> DomainResult<Vec<ClaimedJob>> {
    let tx = k.begin_write().await?;
    let backend = tx.get_database_backend();
    let lock = if backend == DatabaseBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $1, locked_by = $2, updated_at = $3 \
         WHERE id IN (SELECT id FROM jobs \
             WHERE (status = 'pending' AND run_at <= $3) OR (status = 'running' AND locked_until < $3) \
             ORDER BY run_at LIMIT $4 {lock}) \
         RETURNING id, kind, payload, attempts"
    );
    let limit = i64::try_from(limit).map_err(DomainError::internal)?;
    let stmt = statement(backend, &sql, vec![(now + LEASE).into(), worker.into(), now.into(), limit.into()]);
    let rows = ClaimedRow::find_by_statement(stmt).all(&tx).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| ClaimedJob {
            id: JobId(r.id),
            kind: JobKind::try_from(r.kind.as_str()).ok(),
            raw_kind: r.kind,
            payload: r.payload,
            attempts: r.attempts,
        })
        .collect())
}

pub async fn complete(k: &Kensa, id: JobId, now: DateTime<Utc>) -> DomainResult<()> {
    let sql = "UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = $1, last_error = NULL WHERE id = $2";
    let tx = k.begin_write().await?;
    tx.execute_raw(statement(tx.get_database_backend(), sql, vec![now.into(), id.0.into()])).await?;
    tx.commit().await?;
    Ok(())
}

/// Exponential back-off: 30 s, 1 min, 2 min … capped at 1 h.
pub fn retry_delay(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 8) - 1).unwrap_or(0);
    Duration::seconds((30_i64 * 2_i64.pow(exp)).min(3600))
}

/// Puts the job back for a later attempt, or marks it failed after [`MAX_ATTEMPTS`].
pub async fn fail(k: &Kensa, job: &ClaimedJob, error: &str, now: DateTime<Utc>) -> DomainResult<()> {
    let (status, run_at) =
        if job.attempts >= MAX_ATTEMPTS { ("failed", now) } else { ("pending", now + retry_delay(job.attempts)) };
    let sql =
        "UPDATE jobs SET status = $1, run_at = $2, locked_until = NULL, last_error = $3, updated_at = $4 WHERE id = $5";
    let error: String = error.chars().take(2000).collect();
    let tx = k.begin_write().await?;
    tx.execute_raw(statement(
        tx.get_database_backend(),
        sql,
        vec![status.into(), run_at.into(), error.into(), now.into(), job.id.0.into()],
    ))
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Counts per status, for metrics and tests.
pub async fn stats(k: &Kensa) -> DomainResult<Vec<(String, i64)>> {
    #[derive(FromQueryResult)]
    struct Row {
        status: String,
        n: i64,
    }
    let stmt = statement(
        k.db.get_database_backend(),
        "SELECT status, COUNT(*) AS n FROM jobs GROUP BY status ORDER BY status",
        vec![],
    );
    Ok(Row::find_by_statement(stmt).all(&k.db).await?.into_iter().map(|r| (r.status, r.n)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_job_kind_reads_back_as_itself() -> Result<(), DomainError> {
        for kind in JobKind::ALL {
            assert_eq!(JobKind::try_from(kind.as_str())?, kind);
        }
        Ok(())
    }

    #[test]
    fn an_unknown_stored_job_kind_is_an_internal_error() {
        let read = JobKind::try_from("webhook_delivery");
        assert!(matches!(&read, Err(DomainError::Internal(m)) if m.contains("webhook_delivery")), "{read:?}");
    }
}
