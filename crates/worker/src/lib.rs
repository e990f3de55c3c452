//! Kensa's background worker: claims due jobs from the durable jobs table and carries them
//! out (mail today; reminders, annual reviews and webhooks build on the same loop).

pub mod cli;
pub mod mail;
pub mod telemetry;
pub mod wakeups;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kensa_domain::jobs::{self, ClaimedJob, JobKind};
use kensa_domain::{DomainError, Kensa, assessments, users};
use tokio::sync::watch;
use tracing::{Instrument, error, info, info_span, warn};

use crate::mail::{Mailer, templates};

/// How often an idle worker looks for due jobs when nothing wakes it.
const POLL_INTERVAL: Duration = Duration::from_secs(2);
const BATCH: u64 = 50;

#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("mail delivery failed: {0}")]
    Mail(String),
    #[error("job payload is not valid: {0}")]
    Payload(String),
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    pub succeeded: usize,
    pub retried: usize,
}

#[derive(Clone)]
pub struct Worker {
    kensa: Kensa,
    mailer: Arc<dyn Mailer>,
    id: String,
    poll_interval: Duration,
    /// Told about every pass that did something (tests wait on it instead of sleeping).
    reports: Option<tokio::sync::mpsc::UnboundedSender<RunReport>>,
    /// When expired records (idempotency keys) were last deleted.
    last_sweep: Arc<std::sync::Mutex<Option<DateTime<Utc>>>>,
}

/// How often a worker deletes expired records.
const SWEEP_INTERVAL: chrono::Duration = chrono::Duration::minutes(1);

impl Worker {
    pub fn new(kensa: Kensa, mailer: Arc<dyn Mailer>) -> Self {
        let id = format!("{}-{}", std::process::id(), uuid_suffix());
        Self { kensa, mailer, id, poll_interval: POLL_INTERVAL, reports: None, last_sweep: Arc::default() }
    }

    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    pub fn with_reports(mut self, reports: tokio::sync::mpsc::UnboundedSender<RunReport>) -> Self {
        self.reports = Some(reports);
        self
    }

    /// Does everything due at `now`, then returns. Tests and `kensa-worker run-once` use it.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<RunReport, WorkerError> {
        let mut report = RunReport::default();
        self.sweep(now).await?;
        loop {
            let claimed = jobs::claim_due(&self.kensa, now, &self.id, BATCH).await?;
            if claimed.is_empty() {
                return Ok(report);
            }
            for job in claimed {
                let span = info_span!("job", id = %job.id, kind = %job.raw_kind, attempt = job.attempts);
                match self.execute(&job, now).instrument(span).await {
                    Ok(()) => {
                        jobs::complete(&self.kensa, job.id, now).await?;
                        report.succeeded += 1;
                    }
                    Err(e) => {
                        warn!(job = %job.id, kind = %job.raw_kind, attempt = job.attempts, error = %e, "job failed");
                        jobs::fail(&self.kensa, &job, &e.to_string(), now).await?;
                        report.retried += 1;
                    }
                }
            }
        }
    }

    /// Deletes expired idempotency keys, at most once a [`SWEEP_INTERVAL`].
    async fn sweep(&self, now: DateTime<Utc>) -> Result<(), WorkerError> {
        {
            let mut last = self.last_sweep.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|at| now - at < SWEEP_INTERVAL && now >= at) {
                return Ok(());
            }
            *last = Some(now);
        }
        let deleted = kensa_domain::idempotency::purge_expired(&self.kensa, now).await?;
        if deleted > 0 {
            info!(deleted, "expired idempotency keys deleted");
        }
        Ok(())
    }

    /// Loops until `shutdown` turns true. A job in progress is finished first.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        info!(worker = %self.id, "worker started");
        while !*shutdown.borrow() {
            match self.run_once(self.kensa.now()).await {
                Ok(report) if report.succeeded + report.retried > 0 => {
                    info!(?report, "jobs processed");
                    if let Some(reports) = &self.reports {
                        let _ = reports.send(report);
                    }
                }
                Ok(_) => {}
                Err(e) => error!(error = %e, "worker pass failed"),
            }
            tokio::select! {
                _ = shutdown.changed() => {}
                _ = self.kensa.job_wakeup.notified() => {}
                _ = tokio::time::sleep(self.poll_interval) => {}
            }
        }
        info!(worker = %self.id, "worker stopped");
    }

    async fn execute(&self, job: &ClaimedJob, now: DateTime<Utc>) -> Result<(), WorkerError> {
        match job.kind {
            Some(JobKind::UserInvitationMail) => {
                let id = uuid_field(&job.payload, "invitation_id")?;
                match users::invitations::prepare_delivery(&self.kensa, id, now).await? {
                    Some(delivery) => self.mailer.send(templates::user_invitation(&delivery)).await,
                    None => Ok(()),
                }
            }
            Some(JobKind::AssessmentInvitationMail) => {
                let id = uuid_field(&job.payload, "invitation_id")?;
                match assessments::invitations::prepare_invitation(&self.kensa, id, now).await? {
                    Some(mail) => self.mailer.send(templates::assessment(&mail)).await,
                    None => Ok(()),
                }
            }
            Some(JobKind::AssessmentNoticeMail) => {
                let id = uuid_field(&job.payload, "assessment_id")?;
                match assessments::invitations::prepare_notice(&self.kensa, id).await? {
                    Some(mail) => self.mailer.send(templates::assessment(&mail)).await,
                    None => Ok(()),
                }
            }
            Some(JobKind::LoginFailureNoticeMail) => {
                let id = uuid_field(&job.payload, "user_id")?;
                let failures = job.payload.get("failures").and_then(serde_json::Value::as_u64).unwrap_or_default();
                let address = job.payload.get("address").and_then(|v| v.as_str()).unwrap_or("unknown");
                let at = job
                    .payload
                    .get("at")
                    .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok())
                    .unwrap_or(now);
                match kensa_domain::auth::notice::prepare(&self.kensa, id, failures, address, at).await? {
                    Some(notice) => self.mailer.send(templates::login_failures(&notice)).await,
                    None => Ok(()),
                }
            }
            Some(JobKind::SupplierClaimMail) => {
                let claim = uuid_field(&job.payload, "claim_id")?;
                let user = uuid_field(&job.payload, "user_id")?;
                match assessments::claims::prepare_mail(&self.kensa, claim, user).await? {
                    Some(mail) => self.mailer.send(templates::supplier_claim(&mail)).await,
                    None => Ok(()),
                }
            }
            None => Err(WorkerError::Payload(format!("unknown job kind {:?}", job.raw_kind))),
        }
    }
}

fn uuid_field(payload: &serde_json::Value, name: &str) -> Result<uuid::Uuid, WorkerError> {
    payload
        .get(name)
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| WorkerError::Payload(name.into()))
}

fn uuid_suffix() -> String {
    kensa_domain::ids::JobId::generate().to_string().chars().rev().take(8).collect()
}
