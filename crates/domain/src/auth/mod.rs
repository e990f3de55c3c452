//! Sign-up, sign-in, token rotation and request authentication.

pub mod browser;
pub mod hash_pool;
pub mod mail_links;
pub mod mfa;
pub mod notice;
pub mod password;
pub mod policy;
pub mod principal_cache;
pub mod reset;
mod service;
pub(crate) mod session;
pub mod sign_ins;
pub mod throttle;
pub mod tokens;
pub mod verification;

pub use mfa::{LoginOutcome, MfaChallenge};
pub use service::{LoginInput, SignupInput, authenticate, login, logout, refresh, signup};
pub(crate) use service::{create_account, reserve_account_creation, validate_signup};
pub use session::Session;

/// Implements `Debug` showing the listed fields and `[redacted]` for the secret ones, for
/// types that carry passwords or tokens (a derived `Debug` would print them into logs).
///
/// `redacted_debug!(LoginInput { email } secret { password });`
#[macro_export]
macro_rules! redacted_debug {
    ($ty:ident { $($field:ident),* $(,)? } secret { $($secret:ident),* $(,)? }) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($field), &self.$field))*
                    $(.field(stringify!($secret), &"[redacted]"))*
                    .finish()
            }
        }
    };
}
