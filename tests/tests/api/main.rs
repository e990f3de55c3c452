//! The one integration-test binary: the real app over HTTP, a fresh database per test.

mod answering;
mod audit;
mod auth;
mod auth_hardening;
mod campaigns;
mod catalog;
mod config;
mod evidence;
mod graphql;
mod graphql_flow;
mod helpers;
mod input_rules;
mod invitation_links;
mod isolation;
mod mail_layout;
mod operations;
mod problems;
mod roles;
mod schemas;
mod smtp_sink;
mod supplier_claims;
mod suppliers;
mod templates;
mod tokens;
mod users;
mod worker;
