//! The composition root: the `kensa-api` binary puts the API (`kensa-api`) and the worker
//! (`kensa-worker`) together, so that neither of those crates depends on the other
//! (api → domain ← worker). `serve` runs the HTTP server and, unless
//! `KENSA_EMBEDDED_WORKER=false`, the worker loop in one process; `migrate`, `demo`, `backup`
//! and `export-schemas` do one thing and exit.

pub mod cli;
pub mod demo;
pub mod embedded;

pub use embedded::Server;
