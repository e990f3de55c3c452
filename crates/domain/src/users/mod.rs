//! Members of an organization and their invitations.

pub mod invitations;
pub mod model;
pub mod repo;
pub mod service;

pub use model::{EmailAddress, Invitation, InvitationPreview, Locale, Me, Organization, User, UserChanges};
