//! `RateLimit-Policy` and `RateLimit` response fields (draft-ietf-httpapi-ratelimit-headers,
//! structured-field form): where a limit applies (sign-in, sign-up, anonymous GraphQL,
//! evidence uploads), every answer names the quota and what is left of it, so a client can
//! slow down before it is refused; a refusal also carries `Retry-After`.
//!
//! `RateLimit-Policy: "login-address";q=20;w=900` (20 per 900 s) and
//! `RateLimit: "login-address";r=19;t=900` (19 left, the window starts again in 900 s).
//! Concurrency limits use the quota unit `concurrent-requests` and have no window.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use kensa_domain::auth::throttle::QuotaReport;
use kensa_domain::tenant::RequestMeta;

use crate::error::ApiResult;

pub const POLICY: &str = "ratelimit-policy";
pub const STATE: &str = "ratelimit";

/// One quota as answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quota {
    pub policy: &'static str,
    pub limit: u64,
    /// Seconds; `None` for a concurrency limit.
    pub window_secs: Option<u64>,
    /// `Some("concurrent-requests")` for a concurrency limit; requests otherwise.
    pub unit: Option<&'static str>,
    pub remaining: u64,
    /// Seconds until more are allowed, when known.
    pub reset_secs: Option<u64>,
}

impl From<QuotaReport> for Quota {
    fn from(r: QuotaReport) -> Self {
        Self {
            policy: r.policy,
            limit: r.limit,
            window_secs: Some(r.window_secs),
            unit: None,
            remaining: r.remaining,
            reset_secs: Some(r.reset_secs),
        }
    }
}

/// The two field values for `quotas`.
pub fn fields(quotas: &[Quota]) -> (String, String) {
    let policy = quotas
        .iter()
        .map(|q| {
            let mut item = format!("\"{}\";q={}", q.policy, q.limit);
            if let Some(w) = q.window_secs {
                item.push_str(&format!(";w={w}"));
            }
            if let Some(unit) = q.unit {
                item.push_str(&format!(";qu=\"{unit}\""));
            }
            item
        })
        .collect::<Vec<_>>()
        .join(", ");
    let state = quotas
        .iter()
        .map(|q| {
            let mut item = format!("\"{}\";r={}", q.policy, q.remaining);
            if let Some(t) = q.reset_secs {
                item.push_str(&format!(";t={t}"));
            }
            item
        })
        .collect::<Vec<_>>()
        .join(", ");
    (policy, state)
}

/// Sets both fields on `response` (nothing when `quotas` is empty).
pub fn apply(response: &mut HttpResponse, quotas: &[Quota]) {
    if quotas.is_empty() {
        return;
    }
    let (policy, state) = fields(quotas);
    for (name, value) in [(POLICY, policy), (STATE, state)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(HeaderName::from_static(name), value);
        }
    }
}

/// The answer, success or problem, with `quotas` reported on it.
pub fn answer(quotas: &[Quota], result: ApiResult<HttpResponse>) -> ApiResult<HttpResponse> {
    if quotas.is_empty() {
        return result;
    }
    let mut response = result.unwrap_or_else(|e| e.error_response());
    apply(&mut response, quotas);
    Ok(response)
}

/// The answer with the quotas the services counted this request against.
pub fn answer_for(meta: &RequestMeta, result: ApiResult<HttpResponse>) -> ApiResult<HttpResponse> {
    let quotas: Vec<Quota> = meta.quotas.reports().into_iter().map(Quota::from).collect();
    answer(&quotas, result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_read_as_structured_field_lists() {
        let quotas = [
            Quota {
                policy: "login-address",
                limit: 20,
                window_secs: Some(900),
                unit: None,
                remaining: 19,
                reset_secs: Some(900),
            },
            Quota {
                policy: "uploads",
                limit: 8,
                window_secs: None,
                unit: Some("concurrent-requests"),
                remaining: 7,
                reset_secs: None,
            },
        ];
        let (policy, state) = fields(&quotas);
        assert_eq!(policy, "\"login-address\";q=20;w=900, \"uploads\";q=8;qu=\"concurrent-requests\"");
        assert_eq!(state, "\"login-address\";r=19;t=900, \"uploads\";r=7");
    }
}
