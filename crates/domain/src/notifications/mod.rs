//! What the worker mails, prepared from the database: one module per kind of message. Each
//! `prepare` returns `None` when the mail is no longer wanted (an invitation accepted or
//! revoked, an assessment closed, a claim decided, a recipient gone), and makes what must
//! exist when the mail goes out (a fresh invitation token, of which only the hash is stored).
//! The worker turns the result into text (`kensa_worker::mail::templates`) and sends it.

pub mod account;
pub mod assessment;
pub mod event_mail;
pub mod events;
pub mod login_failure;
pub mod sharing;
pub mod supplier_claim;
pub mod user_invitation;
