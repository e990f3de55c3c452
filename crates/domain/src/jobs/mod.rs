//! Durable background jobs. A job is a row written in the same transaction as the business
//! change that needs it, so it exists exactly when the change does. Workers claim due jobs
//! atomically (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serialises writers, so one
//! `UPDATE … RETURNING` is already exclusive) under a lease: a worker killed mid-job lets
//! the lease lapse and another worker repeats that one job.

mod repo;

pub use repo::{ClaimedJob, JobKind, MAX_ATTEMPTS, claim_due, complete, enqueue, fail, new_row, retry_delay, stats};
