//! sea-orm entities: one per table. Only this crate sees them; the API and the worker
//! work with the domain's own types.

pub mod audit_events;
pub mod jobs;
pub mod organizations;
pub mod refresh_tokens;
pub mod templates;
pub mod user_invitations;
pub mod users;
