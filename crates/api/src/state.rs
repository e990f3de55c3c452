//! What handlers share.

use std::sync::Arc;

use kensa_domain::Kensa;

use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub kensa: Kensa,
    pub redis: Option<redis::aio::ConnectionManager>,
    pub metrics: Arc<Metrics>,
    /// Page cookies carry `Secure` (everywhere but development, which runs on plain HTTP).
    pub secure_cookies: bool,
}
