//! Durable background jobs. A job is a row written in the same transaction as the business
//! change that needs it, so it exists exactly when the change does, and at most once per
//! [`Job::dedupe_key`]. Workers claim due jobs atomically (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL; SQLite serialises writers, so one `UPDATE … RETURNING` is already exclusive)
//! under a lease: a worker killed mid-job lets the lease lapse and another worker repeats
//! that one job. Claims, completions and failures are writes through [`crate::Kensa::begin_write`].

mod job;
mod repo;

pub use job::Job;
pub(crate) use repo::enqueue_webhook;
pub use repo::{
    Channel, ClaimedJob, Delivery, Enqueued, MAX_ATTEMPTS, claim_due, complete, enqueue, enqueue_deliveries,
    enqueue_many, fail, gauges, oldest_due, record_response, retry_delay, stats,
};
