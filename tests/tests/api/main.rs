//! The one integration-test binary: the real app over HTTP, a fresh database per test.

mod answering;
mod audit;
mod auth;
mod campaigns;
mod catalog;
mod config;
mod evidence;
mod evidence_names;
mod graphql;
mod graphql_flow;
mod helpers;
mod isolation;
mod operations;
mod problems;
mod roles;
mod schemas;
mod smtp_sink;
mod supplier_export;
mod suppliers;
mod template_bounds;
mod templates;
mod tokens;
mod upload_bounds;
mod users;
mod worker;
