//! Kensa's REST and GraphQL API over the domain services. A library: the `kensa-api`
//! binary, which composes this API with the embedded worker, is the `kensa-server` crate, so
//! that the API depends on the domain only and never on the worker.

pub mod contract;
pub mod error;
pub mod exposure;
pub mod extract;
#[cfg(any(test, feature = "fuzzing"))]
pub mod fuzzing;
pub mod graphql;
pub mod health;
pub mod idempotency;
pub mod input;
pub mod metrics;
pub mod observe;
pub mod openapi;
pub mod rate_limit;
pub mod redis_throttle;
pub mod redis_wake;
pub mod request_id;
pub mod rest;
pub mod s3_store;
pub mod schemas;
pub mod startup;
pub mod state;
pub mod text_guard;
pub mod web;

pub use startup::Application;
