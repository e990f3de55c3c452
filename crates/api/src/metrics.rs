//! Prometheus metrics: request counts and latencies per route pattern and status.
//! Route patterns (not raw paths) keep cardinality bounded and keep tokens in paths out.
//!
//! Recorded through the `metrics` facade into a `metrics-exporter-prometheus` recorder that
//! belongs to this application (never installed as the process-wide recorder), so two
//! applications in one process — as in the tests — count separately.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use metrics::{Label, Recorder as _, with_local_recorder};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

const REQUESTS: &str = "kensa_http_requests_total";
const DURATION: &str = "kensa_http_request_duration_seconds";
const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];
/// Latency samples wait in lock-free buckets until folded into the histograms; folding every
/// this many requests (and at each scrape) keeps them bounded when nothing scrapes.
const UPKEEP_EVERY: u64 = 1024;

pub struct Metrics {
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
    observed: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        let builder = PrometheusBuilder::new();
        // The only failure is an empty bucket list; the constant has eleven.
        let builder = builder.set_buckets_for_metric(Matcher::Full(DURATION.into()), &BUCKETS).unwrap_or_else(|_| {
            tracing::error!("histogram buckets refused; latencies render as summaries");
            PrometheusBuilder::new()
        });
        let recorder = builder.build_recorder();
        recorder.describe_counter(REQUESTS.into(), None, "HTTP requests served.".into());
        recorder.describe_histogram(DURATION.into(), Some(metrics::Unit::Seconds), "HTTP request latency.".into());
        let handle = recorder.handle();
        Self { recorder, handle, observed: AtomicU64::new(0) }
    }
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        // Clients choose the method token; only the standard ones become label values.
        const METHODS: [&str; 9] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE"];
        let method = METHODS.iter().find(|m| **m == method).copied().unwrap_or("OTHER");
        let labels = [
            Label::from_static_parts("method", method),
            Label::new("route", route.to_owned()),
            Label::new("status", status.to_string()),
        ];
        with_local_recorder(&self.recorder, || {
            metrics::counter!(REQUESTS, labels.iter()).increment(1);
            metrics::histogram!(DURATION, labels.iter()).record(elapsed.as_secs_f64());
        });
        if self.observed.fetch_add(1, Ordering::Relaxed) % UPKEEP_EVERY == UPKEEP_EVERY - 1 {
            self.handle.run_upkeep();
        }
    }

    pub fn render(&self) -> String {
        self.handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_application_counts_only_its_own_requests_in_the_prometheus_format() {
        let (one, other) = (Metrics::default(), Metrics::default());
        one.observe("GET", "/api/v1/me", 401, Duration::from_millis(3));
        one.observe("BREW", "/api/v1/me", 401, Duration::from_millis(3));
        other.observe("GET", "/api/v1/me", 401, Duration::from_millis(3));
        let text = one.render();
        for line in [
            "# TYPE kensa_http_requests_total counter",
            r#"kensa_http_requests_total{method="GET",route="/api/v1/me",status="401"} 1"#,
            r#"kensa_http_requests_total{method="OTHER",route="/api/v1/me",status="401"} 1"#,
            "# TYPE kensa_http_request_duration_seconds histogram",
            r#"kensa_http_request_duration_seconds_bucket{method="GET",route="/api/v1/me",status="401",le="0.0025"} 0"#,
            r#"kensa_http_request_duration_seconds_bucket{method="GET",route="/api/v1/me",status="401",le="0.005"} 1"#,
            r#"kensa_http_request_duration_seconds_bucket{method="GET",route="/api/v1/me",status="401",le="+Inf"} 1"#,
            r#"kensa_http_request_duration_seconds_count{method="GET",route="/api/v1/me",status="401"} 1"#,
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in:\n{text}");
        }
    }
}
