//! Request ids: taken from a well-formed incoming `X-Request-Id` or generated, echoed on the
//! response, attached to every log line of the request, and available to error bodies
//! through a task-local.

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: String;
}

pub const HEADER: &str = "x-request-id";

/// The id of the request being served, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

pub async fn scope<F: Future>(id: String, f: F) -> F::Output {
    REQUEST_ID.scope(id, f).await
}

/// Accepts a client-supplied id only if it is short and plain, so it is safe to log.
pub fn from_header(value: Option<&str>) -> String {
    match value {
        Some(v)
            if !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            v.to_owned()
        }
        _ => uuid::Uuid::now_v7().to_string(),
    }
}
