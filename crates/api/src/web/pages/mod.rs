pub mod assessment;
pub mod assessments;
pub mod claims;
pub mod invitations;
pub mod session;
pub mod upload;
