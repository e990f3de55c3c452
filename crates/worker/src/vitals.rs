//! What a worker loop tells the outside about itself: when it last finished something (the
//! heartbeat its `/healthz` reads) and its own counters (its `/metrics`).
//!
//! Counted through the `metrics` facade into a recorder that belongs to this worker (never the
//! process-wide one), as the API's request metrics are: an API process with the embedded worker,
//! and the tests, hold several.

use std::time::Duration;

use chrono::{DateTime, Utc};
use kensa_domain::chase::scan::ScanReport;
use metrics::{Recorder as _, with_local_recorder};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};
use tokio::sync::watch;

const JOBS: &str = "kensa_worker_jobs_total";
const PASSES: &str = "kensa_worker_passes_total";
const DECISIONS: &str = "kensa_worker_due_decisions_total";
const SCAN: &str = "kensa_worker_scan_duration_seconds";
const PROGRESS: &str = "kensa_worker_last_progress_timestamp_seconds";
const SCAN_BUCKETS: [f64; 10] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

pub struct Vitals {
    /// When the loop last finished a pass, a due-scan or a batch of jobs (the worker's clock).
    progress: watch::Sender<DateTime<Utc>>,
    recorder: PrometheusRecorder,
    handle: PrometheusHandle,
}

impl Vitals {
    /// Counts a worker that started at `started`: it has until then plus the stall limit to
    /// finish its first pass.
    pub fn new(started: DateTime<Utc>) -> Self {
        let builder = PrometheusBuilder::new();
        // The only failure is an empty bucket list; the constant has ten.
        let builder = builder.set_buckets_for_metric(Matcher::Full(SCAN.into()), &SCAN_BUCKETS).unwrap_or_else(|_| {
            tracing::error!("histogram buckets refused; scan times render as summaries");
            PrometheusBuilder::new()
        });
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        recorder.describe_counter(JOBS.into(), None, "Jobs carried out by this worker, by outcome.".into());
        recorder.describe_counter(PASSES.into(), None, "Passes of the worker loop, by result.".into());
        recorder.describe_counter(
            DECISIONS.into(),
            None,
            "What the due-scan decided: reminders, escalation digests, remediation follow-ups, reviews opened.".into(),
        );
        recorder.describe_histogram(SCAN.into(), Some(metrics::Unit::Seconds), "How long each due-scan took.".into());
        recorder.describe_gauge(
            PROGRESS.into(),
            Some(metrics::Unit::Seconds),
            "When the loop last finished a pass, a scan or a batch (Unix time).".into(),
        );
        let (progress, _) = watch::channel(started);
        let vitals = Self { progress, recorder, handle };
        // Every series from the start: an alert on a rate needs the zero before the first job.
        vitals.count(|| {
            for outcome in ["succeeded", "retried"] {
                metrics::counter!(JOBS, "outcome" => outcome).absolute(0);
            }
            for result in ["ok", "failed"] {
                metrics::counter!(PASSES, "result" => result).absolute(0);
            }
            for decision in ["reminders", "digests", "remediations", "reviews_opened"] {
                metrics::counter!(DECISIONS, "decision" => decision).absolute(0);
            }
        });
        vitals.progressed(started);
        vitals
    }

    fn count(&self, f: impl FnOnce()) {
        with_local_recorder(&self.recorder, f);
    }

    /// The loop finished something at `at`.
    pub fn progressed(&self, at: DateTime<Utc>) {
        self.progress.send_replace(at);
        // Unix seconds fit an f64 exactly for the next few hundred million years.
        #[allow(clippy::cast_precision_loss)]
        let seconds = at.timestamp_millis() as f64 / 1000.0;
        self.count(|| metrics::gauge!(PROGRESS).set(seconds));
    }

    /// When the loop last finished something.
    pub fn last_progress(&self) -> DateTime<Utc> {
        *self.progress.borrow()
    }

    /// Changes on every [`Self::progressed`] (tests wait on it instead of sleeping).
    pub fn subscribe(&self) -> watch::Receiver<DateTime<Utc>> {
        self.progress.subscribe()
    }

    pub(crate) fn jobs(&self, succeeded: usize, retried: usize) {
        self.count(|| {
            metrics::counter!(JOBS, "outcome" => "succeeded").increment(succeeded as u64);
            metrics::counter!(JOBS, "outcome" => "retried").increment(retried as u64);
        });
    }

    pub(crate) fn scanned(&self, report: &ScanReport, took: Duration) {
        self.count(|| {
            metrics::histogram!(SCAN).record(took.as_secs_f64());
            for (decision, n) in [
                ("reminders", report.reminders),
                ("digests", report.digests),
                ("remediations", report.remediations),
                ("reviews_opened", report.reviews_opened),
            ] {
                metrics::counter!(DECISIONS, "decision" => decision).increment(n as u64);
            }
        });
    }

    pub(crate) fn passed(&self, ok: bool) {
        self.count(|| metrics::counter!(PASSES, "result" => if ok { "ok" } else { "failed" }).increment(1));
    }

    /// The counters in the Prometheus text format.
    pub fn render(&self) -> String {
        self.handle.run_upkeep();
        self.handle.render()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_series_is_there_from_the_start_and_counts_what_it_is_told() {
        let started = DateTime::parse_from_rfc3339("2026-12-01T09:00:00Z").map(|t| t.with_timezone(&Utc));
        let Ok(started) = started else { panic!("a valid time") };
        let vitals = Vitals::new(started);
        let text = vitals.render();
        for line in [
            r#"kensa_worker_jobs_total{outcome="succeeded"} 0"#,
            r#"kensa_worker_passes_total{result="failed"} 0"#,
            r#"kensa_worker_due_decisions_total{decision="reviews_opened"} 0"#,
            "kensa_worker_last_progress_timestamp_seconds 1796115600",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in:\n{text}");
        }
        vitals.jobs(3, 1);
        vitals.scanned(&ScanReport { reminders: 2, ..ScanReport::default() }, Duration::from_millis(30));
        vitals.passed(false);
        vitals.progressed(started + chrono::Duration::seconds(90));
        let text = vitals.render();
        for line in [
            r#"kensa_worker_jobs_total{outcome="succeeded"} 3"#,
            r#"kensa_worker_jobs_total{outcome="retried"} 1"#,
            r#"kensa_worker_passes_total{result="failed"} 1"#,
            r#"kensa_worker_due_decisions_total{decision="reminders"} 2"#,
            r#"kensa_worker_scan_duration_seconds_bucket{le="0.05"} 1"#,
            "kensa_worker_last_progress_timestamp_seconds 1796115690",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in:\n{text}");
        }
        assert_eq!(vitals.last_progress(), started + chrono::Duration::seconds(90));
    }
}
