//! Chasing suppliers: the schedule of reminders, escalation and re-reviews
//! ([`schedule`]), an organization's settings ([`settings`]), the dates each open
//! assessment has something due, kept in indexed columns as its state changes ([`plan`]),
//! and the worker's scan that turns what is due into events, once ([`scan`]).

pub(crate) mod plan;
pub mod review;
pub mod scan;
pub mod schedule;
pub mod settings;
