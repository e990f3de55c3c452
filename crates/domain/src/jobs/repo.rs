use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, TryInsertResult};
use uuid::Uuid;

use super::job::Job;
use crate::Kensa;
use crate::db::statement;
use crate::entities::jobs;
use crate::error::{DomainError, DomainResult};
use crate::ids::JobId;

pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claimed job stays reserved for its worker.
const LEASE: Duration = Duration::minutes(5);

#[derive(Clone, Debug)]
pub struct ClaimedJob {
    pub id: JobId,
    /// `jobs.kind` as stored, for logs (also when it names no known kind).
    pub kind: String,
    /// The job, or why the row cannot be read as one (see [`Job::from_stored`]).
    pub job: Result<Job, String>,
    /// Including this one.
    pub attempts: i32,
    /// The worker holding the lease: completion and failure only touch the row while it
    /// still does (a worker whose lease lapsed and was taken over writes nothing).
    pub locked_by: String,
}

#[derive(FromQueryResult)]
struct ClaimedRow {
    id: Uuid,
    kind: String,
    payload: serde_json::Value,
    attempts: i32,
}

/// What queuing a job did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueued {
    Queued(JobId),
    /// A job with the same [`Job::dedupe_key`] exists (pending, running or finished):
    /// nothing was written.
    Duplicate,
}

/// What a delivery job (a mail to one recipient, a webhook call to one endpoint) shows in
/// its organization's list of deliveries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub organization_id: Uuid,
    pub channel: Channel,
    /// The recipient's address or the endpoint's URL.
    pub target: String,
}

crate::closed_set::closed_set! {
    /// How a delivery goes out.
    #[cfg_attr(feature = "openapi", schema(as = DeliveryChannel))]
    #[cfg_attr(feature = "graphql", graphql(name = "DeliveryChannel"))]
    pub enum Channel("delivery channel") {
        Mail => "mail",
        Webhook => "webhook",
        /// An event being fanned out into its mails and webhook calls.
        Event => "event",
    }
}

/// A pending job row.
fn new_row(job: &Job, run_at: DateTime<Utc>, now: DateTime<Utc>) -> DomainResult<jobs::Model> {
    Ok(jobs::Model {
        id: JobId::generate().0,
        kind: job.kind().to_owned(),
        dedupe_key: job.dedupe_key(),
        payload: job.payload()?,
        status: "pending".into(),
        attempts: 0,
        run_at,
        locked_until: None,
        locked_by: None,
        last_error: None,
        organization_id: None,
        channel: None,
        target: None,
        response_status: None,
        webhook_endpoint_id: None,
        created_at: now,
        updated_at: now,
    })
}

/// Queues `job` in the caller's transaction, once: a job with the same key makes this a
/// no-op (`ON CONFLICT DO NOTHING`), not an error, so the transaction goes on.
pub async fn enqueue(conn: &crate::WriteTx, job: &Job, run_at: DateTime<Utc>) -> DomainResult<Enqueued> {
    let row = new_row(job, run_at, conn.now())?;
    let id = JobId(row.id);
    let inserted = jobs::Entity::insert(jobs::ActiveModel::from(row))
        .on_conflict_do_nothing_on([jobs::Column::DedupeKey])
        .exec_without_returning(conn)
        .await?;
    Ok(match inserted {
        TryInsertResult::Inserted(1) => Enqueued::Queued(id),
        _ => Enqueued::Duplicate,
    })
}

/// Queues deliveries in the caller's transaction, each once (see [`enqueue_many`]).
pub async fn enqueue_deliveries(
    conn: &crate::WriteTx,
    deliveries: &[(Job, Delivery)],
    run_at: DateTime<Utc>,
) -> DomainResult<u64> {
    let rows = deliveries.iter().map(|(job, delivery)| {
        let mut row = new_row(job, run_at, conn.now())?;
        row.organization_id = Some(delivery.organization_id);
        row.channel = Some(delivery.channel.as_str().to_owned());
        row.target = Some(delivery.target.chars().take(2000).collect());
        Ok(row)
    });
    insert_once(conn, rows.collect::<DomainResult<Vec<_>>>()?).await
}

/// Queues one webhook delivery in the caller's transaction, once, listed under its
/// organization's deliveries and under its endpoint's.
pub(crate) async fn enqueue_webhook(
    conn: &crate::WriteTx,
    job: &Job,
    delivery: &Delivery,
    endpoint_id: Uuid,
    run_at: DateTime<Utc>,
) -> DomainResult<Enqueued> {
    let mut row = new_row(job, run_at, conn.now())?;
    let id = JobId(row.id);
    row.organization_id = Some(delivery.organization_id);
    row.channel = Some(delivery.channel.as_str().to_owned());
    row.target = Some(delivery.target.chars().take(2000).collect());
    row.webhook_endpoint_id = Some(endpoint_id);
    let inserted = jobs::Entity::insert(jobs::ActiveModel::from(row))
        .on_conflict_do_nothing_on([jobs::Column::DedupeKey])
        .exec_without_returning(conn)
        .await?;
    Ok(match inserted {
        TryInsertResult::Inserted(1) => Enqueued::Queued(id),
        _ => Enqueued::Duplicate,
    })
}

/// Queues many jobs in the caller's transaction (in chunks, for large campaigns); those
/// whose key exists are skipped. Returns how many were queued.
pub async fn enqueue_many(conn: &crate::WriteTx, jobs: &[Job], run_at: DateTime<Utc>) -> DomainResult<u64> {
    let rows = jobs.iter().map(|job| new_row(job, run_at, conn.now()));
    insert_once(conn, rows.collect::<DomainResult<Vec<_>>>()?).await
}

/// Inserts the rows in chunks, skipping those whose dedupe key exists; how many went in.
async fn insert_once(conn: &crate::WriteTx, rows: Vec<jobs::Model>) -> DomainResult<u64> {
    let mut queued = 0;
    for chunk in rows.chunks(500) {
        let inserted = jobs::Entity::insert_many(chunk.iter().cloned().map(jobs::ActiveModel::from))
            .on_conflict_do_nothing_on([jobs::Column::DedupeKey])
            .exec_without_returning(conn)
            .await?;
        if let TryInsertResult::Inserted(n) = inserted {
            queued += n;
        }
    }
    Ok(queued)
}

/// Claims up to `limit` jobs due at `now`, including running ones whose lease expired.
/// A write like any other: through [`Kensa::begin_write`], so on SQLite claims queue with
/// the requests' writes instead of in SQLite's busy handler.
pub async fn claim_due(k: &Kensa, now: DateTime<Utc>, worker: &str, limit: u64) -> DomainResult<Vec<ClaimedJob>> {
    let txn = k.begin_write().await?;
    relaxed_commit(&txn).await?;
    let backend = txn.get_database_backend();
    let lock = if backend == DatabaseBackend::Postgres { "FOR UPDATE SKIP LOCKED" } else { "" };
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $1, locked_by = $2, updated_at = $3 \
         WHERE id IN (SELECT id FROM jobs \
             WHERE (status = 'pending' AND run_at <= $3) OR (status = 'running' AND locked_until < $3) \
             ORDER BY run_at LIMIT $4 {lock}) \
         RETURNING id, kind, payload, attempts"
    );
    let limit = i64::try_from(limit).map_err(DomainError::internal)?;
    // `now` decides what is due (a pass may run `--now` ahead); the lease counts from the
    // clock's time of this claim, so a pass that runs for minutes never claims with a lease
    // that has already lapsed and lets another worker send the same mail again.
    let lease_until = now.max(k.now()) + LEASE;
    let stmt = statement(backend, &sql, vec![lease_until.into(), worker.into(), now.into(), limit.into()]);
    let rows = ClaimedRow::find_by_statement(stmt).all(&txn).await?;
    txn.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| ClaimedJob {
            id: JobId(r.id),
            job: Job::from_stored(&r.kind, r.payload),
            kind: r.kind,
            attempts: r.attempts,
            locked_by: worker.to_owned(),
        })
        .collect())
}

/// Runs one statement in its own write transaction.
async fn write(k: &Kensa, sql: &str, values: Vec<sea_orm::Value>) -> DomainResult<()> {
    let txn = k.begin_write().await?;
    relaxed_commit(&txn).await?;
    txn.execute_raw(statement(txn.get_database_backend(), sql, values)).await?;
    txn.commit().await?;
    Ok(())
}

/// On PostgreSQL, the claim, completion or failure of a job commits without waiting for its
/// WAL flush (`synchronous_commit = off`, this transaction only). What a database crash can
/// lose is the last fraction of a second of such bookkeeping: a job then runs once more, as
/// after a worker crash; nothing is lost. The writes that must survive (the business change
/// and the job it queues, an invitation's token) keep the flush. Measured: a PostgreSQL
/// worker's mail throughput waits mostly on these commits (docs/benchmarks.md).
async fn relaxed_commit(txn: &crate::WriteTx) -> DomainResult<()> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared("SET LOCAL synchronous_commit TO OFF").await?;
    }
    Ok(())
}

pub async fn complete(k: &Kensa, job: &ClaimedJob, now: DateTime<Utc>) -> DomainResult<()> {
    let sql = "UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = $1, last_error = NULL \
               WHERE id = $2 AND status = 'running' AND locked_by = $3";
    write(k, sql, vec![now.into(), job.id.0.into(), job.locked_by.clone().into()]).await
}

/// Records the HTTP status a delivery's last attempt got (`None`: no answer), before the
/// job is completed or failed; only while the worker still holds the job.
pub async fn record_response(k: &Kensa, job: &ClaimedJob, status: Option<u16>) -> DomainResult<()> {
    let sql = "UPDATE jobs SET response_status = $1 WHERE id = $2 AND status = 'running' AND locked_by = $3";
    let status = status.map(i32::from);
    write(k, sql, vec![status.into(), job.id.0.into(), job.locked_by.clone().into()]).await
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
    let sql = "UPDATE jobs SET status = $1, run_at = $2, locked_until = NULL, last_error = $3, updated_at = $4 \
               WHERE id = $5 AND status = 'running' AND locked_by = $6";
    let error: String = error.chars().take(2000).collect();
    let values =
        vec![status.into(), run_at.into(), error.into(), now.into(), job.id.0.into(), job.locked_by.clone().into()];
    write(k, sql, values).await
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

/// Jobs per kind and state for `/metrics`: `pending` (never tried), `retrying`, `running`,
/// `dead` (failed after every attempt) and `done`.
pub async fn gauges(k: &Kensa) -> DomainResult<Vec<(String, String, i64)>> {
    #[derive(FromQueryResult)]
    struct Row {
        kind: String,
        state: String,
        n: i64,
    }
    let sql = "SELECT kind, CASE WHEN status = 'pending' AND attempts = 0 THEN 'pending' \
                                WHEN status = 'pending' THEN 'retrying' \
                                WHEN status = 'failed' THEN 'dead' ELSE status END AS state, \
                      COUNT(*) AS n \
               FROM jobs GROUP BY kind, state ORDER BY kind, state";
    let stmt = statement(k.db.get_database_backend(), sql, vec![]);
    Ok(Row::find_by_statement(stmt).all(&k.db).await?.into_iter().map(|r| (r.kind, r.state, r.n)).collect())
}

/// When the longest-waiting due job became due (`None` when nothing is due): how far the
/// workers are behind, for `/metrics`. A job whose lease lapsed counts from its lapse.
pub async fn oldest_due(k: &Kensa, now: DateTime<Utc>) -> DomainResult<Option<DateTime<Utc>>> {
    use sea_orm::{ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect};
    let pending = Condition::all().add(jobs::Column::Status.eq("pending")).add(jobs::Column::RunAt.lte(now));
    let due = jobs::Entity::find()
        .filter(pending)
        .order_by_asc(jobs::Column::RunAt)
        .limit(1)
        .one(&k.db)
        .await?
        .map(|j| j.run_at);
    let lapsed = jobs::Entity::find()
        .filter(jobs::Column::Status.eq("running"))
        .filter(jobs::Column::LockedUntil.lt(now))
        .order_by_asc(jobs::Column::LockedUntil)
        .limit(1)
        .one(&k.db)
        .await?
        .and_then(|j| j.locked_until);
    Ok(due.into_iter().chain(lapsed).min())
}
