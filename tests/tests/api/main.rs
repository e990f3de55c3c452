//! The one integration-test binary: the real app over HTTP, a fresh database per test.

mod audit;
mod auth;
mod catalog;
mod config;
mod graphql;
mod helpers;
mod isolation;
mod operations;
mod problems;
mod roles;
mod schemas;
mod smtp_sink;
mod templates;
mod tokens;
mod users;
mod worker;
