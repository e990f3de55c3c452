//! The one write path. Every change to the database goes through a [`WriteTx`]: it owns the
//! transaction and, on SQLite, the process's write lock, and gives both up together on
//! commit, on rollback, or when dropped. Functions that write take `&WriteTx`, so a write
//! cannot reach the pool by mistake, and the lock can neither be dropped early (the old
//! `let (_, txn)` pattern released it at once) nor held through reads after the commit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, ExecResult, QueryResult,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// SQLite has one writer: write transactions queue on this lock instead of in SQLite's busy
/// handler, which sleeps with back-off (a p99 of 300 ms under 8 writers; see
/// docs/benchmarks.md). `None` on PostgreSQL, where row locks do the job.
#[derive(Clone, Default)]
pub(crate) struct WriteQueue(Option<Arc<Mutex<()>>>);

impl WriteQueue {
    pub(crate) fn new(sqlite: bool) -> Self {
        Self(sqlite.then(Arc::default))
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE` (the write lock is taken
    /// up front, so a transaction that reads first can never fail to upgrade) behind the
    /// in-process queue.
    pub(crate) async fn begin(&self, db: &DatabaseConnection, now: DateTime<Utc>) -> Result<WriteTx, DbErr> {
        let asked = Instant::now();
        let lock = match &self.0 {
            Some(queue) => Some(queue.clone().lock_owned().await),
            None => None,
        };
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let txn = db.begin_with_options(options).await?;
        Ok(WriteTx { txn, now, asked, began: Instant::now(), audit: std::sync::Mutex::default(), _lock: lock })
    }
}

/// A write transaction slower than this in any phase is logged with the time of each phase,
/// so a slow tail can be told apart: waiting for the queue or a pooled connection (`wait`),
/// the work inside (`work`), or the commit itself (`commit`: the WAL write and fsync, and on
/// SQLite a checkpoint if one falls due).
const SLOW_PHASE: Duration = Duration::from_millis(50);

/// A write transaction and, on SQLite, the write lock. Dropped without [`WriteTx::commit`], it
/// rolls back (sea-orm's transaction does so on drop) and then frees the lock.
pub struct WriteTx {
    // Field order matters: the transaction ends before the lock is released.
    txn: DatabaseTransaction,
    /// The clock's time when the transaction began: every row it writes carries this one
    /// timestamp.
    now: DateTime<Utc>,
    /// When the transaction was asked for, and when it began (lock and connection in hand).
    asked: Instant,
    began: Instant,
    /// The audit events recorded so far, chained and inserted at commit (`audit::chain`):
    /// the chain heads are locked only for the commit, in one order, whatever order the
    /// transaction recorded its events in.
    audit: std::sync::Mutex<Vec<crate::audit::chain::Pending>>,
    _lock: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Audit events to chain and insert when the transaction commits.
    pub(crate) fn defer_audit(&self, events: Vec<crate::audit::chain::Pending>) {
        self.audit.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend(events);
    }

    pub async fn commit(self) -> Result<(), DbErr> {
        let Self { txn, now, asked, began, audit, _lock } = self;
        let committing = Instant::now();
        let audit = audit.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Err(e) = crate::audit::chain::append(&txn, audit, now).await {
            // Rolled back before the lock is released (`_lock` would go first otherwise).
            let _ = txn.rollback().await;
            return Err(e);
        }
        let committed = txn.commit().await;
        let (wait, work, commit) = (began - asked, committing - began, committing.elapsed());
        if wait.max(work).max(commit) >= SLOW_PHASE {
            tracing::warn!(
                wait_ms = wait.as_millis(),
                work_ms = work.as_millis(),
                commit_ms = commit.as_millis(),
                "slow write transaction"
            );
        }
        committed
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        let Self { txn, _lock, .. } = self;
        txn.rollback().await
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTx {
    fn get_database_backend(&self) -> DatabaseBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn sqlite() -> Result<(WriteQueue, DatabaseConnection), DbErr> {
        Ok((WriteQueue::new(true), sea_orm::Database::connect("sqlite::memory:").await?))
    }

    fn locked(queue: &WriteQueue) -> bool {
        queue.0.as_ref().is_some_and(|lock| lock.try_lock().is_err())
    }

    #[tokio::test]
    async fn the_write_lock_is_held_until_commit_and_released_by_it() -> Result<(), DbErr> {
        let (queue, db) = sqlite().await?;
        let tx = queue.begin(&db, Utc::now()).await?;
        assert!(locked(&queue), "a write transaction holds the lock");
        tx.commit().await?;
        assert!(!locked(&queue), "commit releases it");
        Ok(())
    }

    #[tokio::test]
    async fn rollback_and_drop_release_the_write_lock_too() -> Result<(), DbErr> {
        let (queue, db) = sqlite().await?;
        queue.begin(&db, Utc::now()).await?.rollback().await?;
        assert!(!locked(&queue), "rollback releases it");
        let tx = queue.begin(&db, Utc::now()).await?;
        drop(tx);
        assert!(!locked(&queue), "an error path that drops the transaction releases it");
        Ok(())
    }

    #[tokio::test]
    async fn postgres_style_queues_take_no_lock() -> Result<(), DbErr> {
        let queue = WriteQueue::new(false);
        let db = sea_orm::Database::connect("sqlite::memory:").await?;
        let first = queue.begin(&db, Utc::now()).await?;
        assert!(!locked(&queue));
        first.commit().await
    }
}
