//! Kensa's background worker: claims due jobs from the durable jobs table and carries them
//! out (mail today; reminders, annual reviews and webhooks build on the same loop).

pub mod cli;
pub mod health;
pub mod mail;
pub mod process;
pub mod telemetry;
pub mod vitals;
pub mod wakeups;
pub mod webhook;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use kensa_domain::jobs::{self, ClaimedJob, Job};
use kensa_domain::notifications::{
    account, assessment, event_mail, events, login_failure, sharing, supplier_claim, user_invitation,
};
use kensa_domain::webhooks::{self, DeliveryEvent};
use kensa_domain::{DomainError, Kensa};
use tokio::sync::watch;
use tracing::{Instrument, error, info, info_span, warn};

use crate::mail::{Mailer, event_templates, templates};

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
    #[error("webhook delivery failed: {0}")]
    Webhook(String),
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunReport {
    pub succeeded: usize,
    pub retried: usize,
    /// What the due-scan decided, and how long it took.
    pub scan: kensa_domain::chase::scan::ScanReport,
    pub scan_time: Duration,
}

#[derive(Clone)]
pub struct Worker {
    kensa: Kensa,
    mailer: Arc<dyn Mailer>,
    id: String,
    poll_interval: Duration,
    /// Jobs of one claimed batch in progress at once.
    concurrency: usize,
    /// Told about every pass that did something (tests wait on it instead of sleeping).
    reports: Option<tokio::sync::mpsc::UnboundedSender<RunReport>>,
    /// When expired records (idempotency keys) were last deleted.
    last_sweep: Arc<std::sync::Mutex<Option<DateTime<Utc>>>>,
    /// Sends webhook deliveries (or why it could not be built: each delivery fails with it).
    webhooks: Arc<Result<webhook::WebhookSender, String>>,
    /// Its heartbeat and counters, for the health port.
    vitals: Arc<vitals::Vitals>,
}

/// How often a worker deletes expired records.
const SWEEP_INTERVAL: chrono::Duration = chrono::Duration::minutes(1);

impl Worker {
    pub fn new(kensa: Kensa, mailer: Arc<dyn Mailer>) -> Self {
        let id = format!("{}-{}", std::process::id(), uuid_suffix());
        let webhooks = Arc::new(webhook::WebhookSender::new(kensa.webhooks));
        let vitals = Arc::new(vitals::Vitals::new(kensa.now()));
        Self {
            kensa,
            mailer,
            id,
            poll_interval: POLL_INTERVAL,
            concurrency: kensa_domain::config::DEFAULT_WORKER_CONCURRENCY,
            reports: None,
            last_sweep: Arc::default(),
            webhooks,
            vitals,
        }
    }

    /// Its heartbeat and counters (what [`health`] serves).
    pub fn vitals(&self) -> Arc<vitals::Vitals> {
        self.vitals.clone()
    }

    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// At most `n` jobs of a batch at once (at least 1); settings bound it to 1–64.
    pub fn with_concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    pub fn with_reports(mut self, reports: tokio::sync::mpsc::UnboundedSender<RunReport>) -> Self {
        self.reports = Some(reports);
        self
    }

    /// Does everything due at `now`, then returns. Tests and `kensa-worker run-once` use it.
    /// The jobs of a claimed batch run concurrently, at most `concurrency` at once (most of a
    /// job is waiting for the mail server); each is completed or failed on its own.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<RunReport, WorkerError> {
        self.pass(now, None).await
    }

    /// [`Self::run_once`], stopping between batches once `stop` turns true.
    async fn pass(&self, now: DateTime<Utc>, stop: Option<&watch::Receiver<bool>>) -> Result<RunReport, WorkerError> {
        let mut report = RunReport::default();
        self.sweep(now).await?;
        // The sweep and the scan each may take a while on a large database: each is progress.
        self.vitals.progressed(self.kensa.now());
        let started = std::time::Instant::now();
        // A failed scan (a deadlock, a bad row) must not hold up the mail already queued:
        // it is logged and tried again on the next pass.
        match kensa_domain::chase::scan::scan(&self.kensa, now).await {
            Ok(scan) => report.scan = scan,
            Err(e) => error!(error = %e, "due-scan failed; queued jobs still go out"),
        }
        report.scan_time = started.elapsed();
        self.vitals.scanned(&report.scan, report.scan_time);
        self.vitals.progressed(self.kensa.now());
        if report.scan.total() > 0 {
            info!(scan = ?report.scan, elapsed_ms = report.scan_time.as_millis(), "due work decided");
        }
        loop {
            // Told to stop (SIGTERM: a deploy, a scale-down), a worker finishes the batch in hand
            // and claims no more, so it exits within its grace period instead of draining the
            // whole queue and being killed mid-batch, which sends the mails of jobs it had not yet
            // marked done a second time (see `Self::run`). What it leaves is still pending, for
            // the other workers at once.
            if stop.is_some_and(|stop| *stop.borrow()) {
                return Ok(report);
            }
            // No more than run at once: a claimed job waiting behind slow deliveries would
            // see its lease lapse and be taken over, then sent twice.
            let limit = BATCH.min(u64::try_from(self.concurrency).unwrap_or(BATCH));
            let claimed = jobs::claim_due(&self.kensa, now, &self.id, limit).await?;
            if claimed.is_empty() {
                return Ok(report);
            }
            // Every job of the batch is finished before an error is returned: stopping midway
            // would leave the others claimed until their lease ends.
            let outcomes: Vec<Result<bool, WorkerError>> = futures_util::stream::iter(claimed)
                .map(|job| self.run_job(job, now))
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
            let (before_succeeded, before_retried) = (report.succeeded, report.retried);
            let mut unrecorded = None;
            for outcome in outcomes {
                match outcome {
                    Ok(true) => report.succeeded += 1,
                    Ok(false) => report.retried += 1,
                    // Each is logged: only the last is returned, and the others would be lost.
                    Err(e) => {
                        error!(error = %e, "a job's outcome could not be recorded; its lease will end and it runs again");
                        unrecorded = Some(e);
                    }
                }
            }
            self.vitals.jobs(report.succeeded - before_succeeded, report.retried - before_retried);
            // A long drain is progress batch by batch, not only when the queue is empty.
            self.vitals.progressed(self.kensa.now());
            if let Some(e) = unrecorded {
                return Err(e);
            }
        }
    }

    /// Carries out one claimed job and records how it went: `Ok(true)` done, `Ok(false)` put
    /// back for a retry (or failed for good), `Err` when even that could not be recorded.
    async fn run_job(&self, job: ClaimedJob, now: DateTime<Utc>) -> Result<bool, WorkerError> {
        let span = info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
        match self.execute(&job, now).instrument(span).await {
            Ok(()) => {
                jobs::complete(&self.kensa, &job, now).await?;
                Ok(true)
            }
            Err(e) => {
                warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
                jobs::fail(&self.kensa, &job, &e.to_string(), now).await?;
                Ok(false)
            }
        }
    }

    /// Deletes expired idempotency keys, unusable browser sessions, sign-ins ended long ago,
    /// expired MFA tickets and the evidence references of expired shares, seals audit events
    /// an older version wrote, records the audit checkpoints that fell due, queues the
    /// erasures whose grace period ended and deletes evidence past its retention, at most once a
    /// [`SWEEP_INTERVAL`].
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
        let sessions = kensa_domain::auth::browser::purge_unusable(&self.kensa, now).await?;
        if sessions > 0 {
            info!(deleted = sessions, "ended browser sessions deleted");
        }
        let sign_ins = kensa_domain::auth::sign_ins::purge_old(&self.kensa, now).await?;
        let tickets = kensa_domain::auth::mfa::purge_expired_tickets(&self.kensa, now).await?;
        if sign_ins + tickets > 0 {
            info!(sign_ins, mfa_tickets = tickets, "old sign-ins and expired MFA tickets deleted");
        }
        let sealed = kensa_domain::audit::chain::seal_unchained(&self.kensa).await?;
        if sealed > 0 {
            info!(sealed, "audit events of an older version chained");
        }
        let purged = kensa_domain::portability::exports::purge_expired(&self.kensa, now).await?;
        if purged > 0 {
            info!(purged, "expired organization exports deleted");
        }
        // A failure here must not hold up the rest of the sweep, nor the mail already queued.
        match kensa_domain::audit::checkpoint::record_due(&self.kensa, now).await {
            Ok(0) => {}
            Ok(checkpoints) => info!(checkpoints, "audit checkpoints recorded"),
            Err(e) => error!(error = %e, "recording the audit checkpoints failed; tried again at the next sweep"),
        }
        match kensa_domain::portability::erasure::queue_due(&self.kensa, now).await {
            Ok(0) => {}
            Ok(erasures) => info!(erasures, "organizations whose erasure fell due handed to the job queue"),
            Err(e) => error!(error = %e, "queuing the due erasures failed; tried again at the next sweep"),
        }
        match kensa_domain::portability::retention::apply(&self.kensa, now).await {
            Ok(0) => {}
            Ok(files) => info!(files, "evidence past its organization's retention deleted"),
            Err(e) => error!(error = %e, "applying evidence retention failed; tried again at the next sweep"),
        }
        let shares = kensa_domain::shares::release_expired(&self.kensa, now).await?;
        if shares > 0 {
            info!(shares, "evidence of expired shares released");
        }
        Ok(())
    }

    /// Loops until `shutdown` turns true. The batch in progress is finished first (at most
    /// `concurrency` jobs); no other is claimed after.
    ///
    /// A worker killed instead (SIGKILL, a lost machine) leaves its claimed jobs to the lease:
    /// another worker runs them once it ends, 5 minutes after the claim. A mail the SMTP
    /// server had accepted, but whose job was not yet marked done, then goes out twice.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        info!(worker = %self.id, "worker started");
        while !*shutdown.borrow() {
            let outcome = self.pass(self.kensa.now(), Some(&shutdown)).await;
            self.vitals.passed(outcome.is_ok());
            // A failed pass (the database is away) is a loop that still turns: readiness, not
            // liveness, reports the database, and a restart would not bring it back.
            self.vitals.progressed(self.kensa.now());
            match outcome {
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

    async fn execute(&self, claimed: &ClaimedJob, now: DateTime<Utc>) -> Result<(), WorkerError> {
        let job = claimed.job.as_ref().map_err(|e| WorkerError::Payload(e.clone()))?;
        let k = &self.kensa;
        let mail = match job {
            Job::UserInvitationMail { invitation_id } => user_invitation::prepare(k, claimed.id, *invitation_id, now)
                .await?
                .map(|d| templates::user_invitation(&d)),
            Job::AssessmentInvitationMail { invitation_id } => {
                assessment::prepare_invitation(k, claimed.id, *invitation_id, now)
                    .await?
                    .map(|m| templates::assessment(&m))
            }
            Job::AssessmentNoticeMail { assessment_id, .. } => {
                assessment::prepare_notice(k, *assessment_id).await?.map(|m| templates::assessment(&m))
            }
            Job::LoginFailureNoticeMail { user_id, failures, address, at } => {
                login_failure::prepare(k, *user_id, *failures, address, *at)
                    .await?
                    .map(|n| templates::login_failures(&n))
            }
            Job::NewSignInNoticeMail { user_id, address, user_agent, at } => {
                login_failure::prepare_new_sign_in(k, *user_id, address, user_agent.as_deref(), *at)
                    .await?
                    .map(|n| templates::new_sign_in(&n))
            }
            Job::EmailVerificationMail { user_id, .. } => {
                account::prepare_verification(k, claimed.id, *user_id, now).await?.map(|m| templates::verify_email(&m))
            }
            Job::PasswordResetMail { user_id, .. } => {
                account::prepare_reset(k, claimed.id, *user_id, now).await?.map(|m| templates::password_reset(&m))
            }
            Job::PasswordChangedMail { user_id, address, at } => {
                account::prepare_password_changed(k, *user_id, address, *at)
                    .await?
                    .map(|n| templates::password_changed(&n))
            }
            Job::SupplierClaimMail { claim_id, user_id } => {
                supplier_claim::prepare(k, *claim_id, *user_id).await?.map(|m| templates::supplier_claim(&m))
            }
            Job::ShareRequestMail { request_id, user_id } => {
                sharing::prepare_request(k, *request_id, *user_id).await?.map(|m| templates::share_request(&m))
            }
            Job::ShareReceivedMail { share_id, user_id } => {
                sharing::prepare_share(k, *share_id, *user_id, now).await?.map(|m| templates::share_received(&m))
            }
            Job::OrganizationExport { export_id } => {
                kensa_domain::portability::exports::run(k, *export_id).await?;
                None
            }
            Job::OrganizationErasure { erasure_id } => {
                kensa_domain::portability::erasure::run(k, *erasure_id).await?;
                None
            }
            Job::OrganizationErasureMail { erasure_id, user_id, cancelled } => {
                kensa_domain::portability::erasure::prepare_mail(k, *erasure_id, *user_id, *cancelled)
                    .await?
                    .map(|n| templates::organization_erasure(&n))
            }
            Job::AuditCheckpointMail { checkpoint_id, user_id } => {
                kensa_domain::audit::checkpoint::prepare_mail(k, *checkpoint_id, *user_id)
                    .await?
                    .map(|n| templates::audit_checkpoint(&n))
            }
            Job::WebhookDelivery { endpoint_id, event_type, body, .. } => {
                return self.deliver_webhook(claimed, *endpoint_id, *event_type, body, now).await;
            }
            Job::Event { event } => {
                let queued = events::fan_out(k, event).await?;
                info!(event = %event.key(), assessment = ?event.assessment_id(), queued, "event fanned out");
                if queued > 0 {
                    k.wake_worker();
                }
                None
            }
            Job::EventMail { event, to, locale } => {
                event_mail::prepare(k, claimed.id, event, to, *locale, now).await?.map(|m| event_templates::event(&m))
            }
        };
        match mail {
            // One Message-ID per job: a copy resent after a crash is recognisably the same mail.
            Some(mail) => self.mailer.send(mail.for_job(claimed.id)).await,
            None => Ok(()),
        }
    }
}

impl Worker {
    /// One attempt of a webhook delivery; the HTTP status it got is recorded either way.
    async fn deliver_webhook(
        &self,
        claimed: &ClaimedJob,
        endpoint_id: uuid::Uuid,
        event: DeliveryEvent,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), WorkerError> {
        let k = &self.kensa;
        let Some(target) = webhooks::delivery::target(k, endpoint_id).await? else {
            return Err(WorkerError::Webhook("the webhook endpoint was deleted".into()));
        };
        // An inactive endpoint gets pings only; events wait, retried, until it is active again.
        if !target.active && event != DeliveryEvent::Ping {
            return Err(WorkerError::Webhook("the endpoint is inactive".into()));
        }
        let sender = self.webhooks.as_ref().as_ref().map_err(|e| WorkerError::Webhook(e.clone()))?;
        let attempt = sender.send(&target, claimed.id.0, event.as_str(), body, now).await;
        info!(endpoint = %endpoint_id, event = %event, status = ?attempt.status, ok = attempt.outcome.is_ok(), "webhook attempt");
        jobs::record_response(k, claimed, attempt.status).await?;
        attempt.outcome.map_err(WorkerError::Webhook)
    }
}

fn uuid_suffix() -> String {
    kensa_domain::ids::JobId::generate().to_string().chars().rev().take(8).collect()
}
