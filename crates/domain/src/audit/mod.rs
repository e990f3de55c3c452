//! The audit trail: who did what, to what, when, from where.

pub mod chain;
pub mod checkpoint;
pub mod export;
pub mod redaction;
mod repo;
pub mod verify;

pub use repo::{AuditEvent, AuditFilter, NewAuditEvent, list, record, record_action, record_in_trails_of, record_many};
