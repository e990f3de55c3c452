//! Sign-up, sign-in, token rotation and request authentication.

pub mod password;
pub mod principal_cache;
mod service;
pub(crate) mod session;
pub mod throttle;
pub mod tokens;

pub use service::{LoginInput, SignupInput, authenticate, login, logout, refresh, signup};
pub(crate) use service::{create_account, validate_signup};
pub use session::Session;
