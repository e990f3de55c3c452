//! sea-orm entities: one per table. Only this crate sees them; the API and the worker
//! work with the domain's own types.

pub mod answers;
pub mod api_keys;
pub mod assessment_category_scores;
pub mod assessment_comments;
pub mod assessment_events;
pub mod assessment_scores;
pub mod assessments;
pub mod audit_events;
pub mod browser_sessions;
pub mod campaigns;
pub mod comparison_rows;
pub mod email_tokens;
pub mod evidence;
pub mod idempotency_keys;
pub mod jobs;
pub mod library_answers;
pub mod library_evidence;
pub mod mfa_tickets;
pub mod organization_settings;
pub mod organizations;
pub mod recovery_codes;
pub mod refresh_tokens;
pub mod share_evidence;
pub mod share_requests;
pub mod shares;
pub mod sign_ins;
pub mod supplier_claims;
pub mod supplier_invitations;
pub mod suppliers;
pub mod templates;
pub mod user_invitations;
pub mod user_totp;
pub mod users;
pub mod webhook_endpoints;
