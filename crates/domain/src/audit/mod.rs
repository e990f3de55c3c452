//! The audit trail: who did what, to what, when, from where.

mod repo;

pub use repo::{AuditEvent, AuditFilter, NewAuditEvent, list, record, record_action};
