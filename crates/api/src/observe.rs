//! One middleware for what every request needs: a request id, a tracing span, an access
//! log line and metrics. It logs the route pattern, never the raw path or query, which can
//! carry invitation tokens.

use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;
use tracing::Instrument;

use crate::request_id;
use crate::state::AppState;

/// The request id, for extractors.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id::from_header(req.headers().get(request_id::HEADER).and_then(|v| v.to_str().ok()));
    req.extensions_mut().insert(RequestId(id.clone()));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().to_string();
    let started = Instant::now();
    let span = tracing::info_span!("request", request_id = %id, method = %method);
    let result = request_id::scope(id.clone(), next.call(req).instrument(span.clone())).await;
    let mut response = result?;
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".into());
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(state) = state {
        state.metrics.observe(&method, &route, status, elapsed);
    }
    span.in_scope(|| {
        tracing::info!(route = %route, status, elapsed_ms = elapsed.as_secs_f64() * 1000.0, "request served");
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HeaderName::from_static(request_id::HEADER), value);
    }
    Ok(response)
}
