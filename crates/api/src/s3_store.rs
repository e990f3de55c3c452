//! Evidence in S3-compatible object storage: the domain's (the worker uses it too).

pub use kensa_domain::assessments::s3_store::{evidence_store, install_crypto_provider};
