//! The durable job queue: claimed once, leased, retried with back-off, a batch's jobs run
//! concurrently, and a row that cannot be read as a job fails loudly.

use chrono::Duration;
use kensa_domain::jobs::{self, Job};
use kensa_worker::mail::{Mailer, OutgoingMail};
use kensa_worker::{Worker, WorkerError};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::helpers::{
    PASSWORD, TestApp, TestResult, external_service, link_token, spawn_app, spawn_app_with, unique_email,
};

#[tokio::test]
async fn two_workers_never_deliver_the_same_job_twice() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let emails: Vec<String> = (0..12).map(|_| unique_email("many")).collect();
    for email in &emails {
        app.post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": email, "role": "viewer" }))
            .await;
    }
    let (a, b) = (app.worker(), app.worker());
    let now = app.kensa.now();
    let (ra, rb) = tokio::join!(a.run_once(now), b.run_once(now));
    assert_eq!(ra?.succeeded + rb?.succeeded, emails.len());
    assert_eq!(app.mails().len(), emails.len());
    for email in &emails {
        assert_eq!(app.mails_to(email).len(), 1, "{email}");
    }
    Ok(())
}

#[tokio::test]
async fn a_job_held_by_a_dead_worker_is_taken_over_when_its_lease_ends() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let email = unique_email("lease");
    app.post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": email, "role": "viewer" })).await;
    let now = app.kensa.now();
    // A worker claims the job and dies before finishing it.
    let claimed = jobs::claim_due(&app.kensa, now, "dead-worker", 10).await?;
    assert_eq!(claimed.len(), 1);

    assert_eq!(app.run_worker_at(now + Duration::minutes(1)).await.succeeded, 0, "the lease still holds");
    assert_eq!(app.run_worker_at(now + Duration::minutes(6)).await.succeeded, 1);
    assert_eq!(app.mails_to(&email).len(), 1);
    Ok(())
}

/// Puts the jobs matching `filter` back as a dead worker left them: sent, not marked done,
/// still running under a lease that ends when they were last updated.
async fn died_before_done(app: &TestApp, filter: &str) {
    let sql = "UPDATE jobs SET status = 'running', locked_by = 'dead-worker', locked_until = updated_at";
    app.execute_sql(&format!("{sql} WHERE {filter}")).await;
}

#[tokio::test]
async fn a_mail_resent_after_its_worker_died_is_the_same_message_and_both_links_work() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let email = unique_email("resent");
    app.post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": email, "role": "viewer" })).await;
    let asked = app.post("/api/v1/auth/password-reset", None, json!({ "email": owner.email })).await;
    assert_eq!(asked.status, reqwest::StatusCode::ACCEPTED, "{}", asked.body);
    let now = app.kensa.now();
    assert_eq!(app.run_worker_at(now).await.succeeded, 2, "the invitation and the reset");
    // The two mails went out, then the worker died before it marked their jobs done (SIGKILL
    // between the mail server's "250" and the commit): the jobs are still running under it.
    died_before_done(&app, "kind IN ('user_invitation_mail', 'password_reset_mail')").await;
    assert_eq!(app.run_worker_at(now + Duration::minutes(6)).await.succeeded, 2, "the lease ended: sent again");

    for (to, marker) in [(email.as_str(), "/join/"), (owner.email.as_str(), "/reset/")] {
        let copies: Vec<_> =
            app.parsed_mails().into_iter().filter(|m| m.is_to(to) && m.text.contains(marker)).collect();
        assert_eq!(copies.len(), 2, "{to}");
        let ids: Vec<Option<String>> = copies.iter().map(|m| m.header("message-id")).collect();
        assert!(ids[0].as_deref().is_some_and(|id| id.starts_with("<job.")), "{ids:?}");
        assert_eq!(ids[0], ids[1], "one message, twice");
        assert_eq!(link_token(&copies[0].text, marker), link_token(&copies[1].text, marker), "the same link");
    }
    // The one link both copies carry works (a fresh token on the retry would have killed the
    // first copy's).
    let token = link_token(&app.mails_to(&email)[0], "/join/").ok_or("no link")?;
    let accepted = app
        .post(
            &format!("/api/v1/user-invitations/{token}/accept"),
            None,
            json!({ "name": "Late", "password": PASSWORD }),
        )
        .await;
    assert_eq!(accepted.status, reqwest::StatusCode::CREATED, "{}", accepted.body);
    let reset_mail = app.mails_to(&owner.email).into_iter().find(|m| m.contains("/reset/")).unwrap_or_default();
    let token = link_token(&reset_mail, "/reset/").ok_or("no reset link")?;
    let reset = app
        .post(&format!("/api/v1/auth/password-reset/{token}"), None, json!({ "password": "Another-Staple-battery-42" }))
        .await;
    assert!(reset.status.is_success(), "{}: {}", reset.status, reset.body);
    Ok(())
}

#[tokio::test]
async fn a_link_mail_retried_after_its_link_was_used_is_not_sent_again() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    app.post("/api/v1/auth/password-reset", None, json!({ "email": owner.email })).await;
    let now = app.kensa.now();
    app.run_worker_at(now).await;
    let reset_mails = || app.mails_to(&owner.email).into_iter().filter(|m| m.contains("/reset/")).count();
    let token = app.mails_to(&owner.email).iter().find_map(|m| link_token(m, "/reset/")).ok_or("no reset link")?;
    let used = app
        .post(&format!("/api/v1/auth/password-reset/{token}"), None, json!({ "password": "Another-Staple-battery-42" }))
        .await;
    assert!(used.status.is_success(), "{}: {}", used.status, used.body);
    // The worker that sent it died before marking the job done; the retry finds the link used.
    died_before_done(&app, "kind = 'password_reset_mail'").await;
    app.run_worker_at(now + Duration::minutes(6)).await;
    assert_eq!(reset_mails(), 1, "no second mail with a dead link");
    assert!(jobs::stats(&app.kensa).await?.iter().all(|(status, _)| status == "done"));
    Ok(())
}

#[tokio::test]
async fn a_worker_whose_lease_was_taken_over_writes_nothing_back() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let email = unique_email("late");
    app.post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": email, "role": "viewer" })).await;
    let now = app.kensa.now();
    let slow = jobs::claim_due(&app.kensa, now, "slow-worker", 10).await?;
    assert_eq!(slow.len(), 1);
    // Another worker takes the job over once the lease has lapsed, and delivers it.
    assert_eq!(app.run_worker_at(now + Duration::minutes(6)).await.succeeded, 1);
    // The slow worker finally gives up: its failure must not put the job back in the queue.
    jobs::fail(&app.kensa, &slow[0], "gave up late", now + Duration::minutes(7)).await?;
    assert_eq!(jobs::stats(&app.kensa).await?, vec![("done".to_owned(), 1)]);
    assert_eq!(app.run_worker_at(now + Duration::hours(2)).await.succeeded, 0, "nothing to send twice");
    assert_eq!(app.mails_to(&email).len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_failed_delivery_is_retried_with_back_off_and_loses_nothing() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("SMTP_URL".into(), "smtp://127.0.0.1:1".into());
    })
    .await;
    let owner = app.signup("Acme").await;
    app.post(
        "/api/v1/users/invitations",
        Some(&owner.access_token),
        json!({ "email": unique_email("r"), "role": "viewer" }),
    )
    .await;
    let now = app.kensa.now();

    let first = app.run_worker_at(now).await;
    assert_eq!((first.succeeded, first.retried), (0, 1));
    assert_eq!(jobs::stats(&app.kensa).await?, vec![("pending".to_owned(), 1)]);
    assert_eq!(app.run_worker_at(now + Duration::seconds(10)).await.retried, 0, "backing off");
    assert_eq!(app.run_worker_at(now + Duration::seconds(31)).await.retried, 1);
    assert_eq!(jobs::retry_delay(2), Duration::seconds(60));
    assert_eq!(jobs::stats(&app.kensa).await?, vec![("pending".to_owned(), 1)]);
    Ok(())
}

#[tokio::test]
async fn mail_goes_through_smtp_when_smtp_url_is_set() -> TestResult {
    let (sink, url) = crate::smtp_sink::SmtpSink::start().await?;
    let app = spawn_app_with(|vars| {
        vars.insert("SMTP_URL".into(), url);
    })
    .await;
    let owner = app.signup("Acme").await;
    let email = unique_email("smtp");
    app.post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": email, "role": "viewer" })).await;
    assert_eq!(app.run_worker().await.succeeded, 1);
    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    assert!(messages[0].to_lowercase().contains(&format!("to: {email}")), "{}", messages[0]);
    assert!(app.mails().is_empty(), "nothing goes to the outbox when SMTP is configured");
    Ok(())
}

#[tokio::test]
async fn a_batch_reuses_as_many_smtp_connections_as_jobs_run_at_once() -> TestResult {
    let (sink, url) = crate::smtp_sink::SmtpSink::start().await?;
    let app = spawn_app_with(|vars| {
        vars.insert("SMTP_URL".into(), url);
        vars.insert("KENSA_WORKER_CONCURRENCY".into(), "2".into());
    })
    .await;
    let buyer = app.signup("Acme").await;
    let mut ids = Vec::new();
    for n in 0..8 {
        ids.push(app.create_supplier(&buyer, &format!("Supplier {n}"), 1).await.0);
    }
    app.create_campaign(&buyer, &ids, None).await;
    assert_eq!(app.run_worker().await.succeeded, 8);
    assert_eq!(sink.messages().len(), 8);
    // Two jobs at a time: two connections, each kept for the next mail (not one per mail).
    assert!(sink.connections() <= 2, "{} connections for 8 mails", sink.connections());
    Ok(())
}

#[tokio::test]
async fn a_separate_worker_wakes_on_redis_instead_of_waiting_for_its_poll() -> TestResult {
    let Some(redis_url) = external_service("TEST_REDIS_URL")? else { return Ok(()) };
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    // A worker as a separate process would have it: its own services and notifier, and a
    // poll interval so long that only a wake-up can explain a prompt delivery.
    let kensa = kensa_domain::Kensa::connect(
        &app.settings,
        std::sync::Arc::new(kensa_domain::auth::throttle::MemoryThrottle::default()),
    )
    .await?;
    let (reports_tx, mut reports) = tokio::sync::mpsc::unbounded_channel();
    let worker = kensa_worker::Worker::new(kensa.clone(), kensa_worker::mail::from_settings(&app.settings)?)
        .with_poll_interval(std::time::Duration::from_secs(3600))
        .with_reports(reports_tx);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (ready_tx, ready) = tokio::sync::oneshot::channel();
    let channel = app.settings.wakeup_channel();
    tokio::spawn(kensa_worker::wakeups::listen(
        redis_url,
        channel,
        kensa.job_wakeup.clone(),
        stopped.clone(),
        Some(ready_tx),
    ));
    ready.await?;
    let running = tokio::spawn(async move { worker.run(stopped).await });

    let email = unique_email("woken");
    app.post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": email, "role": "viewer" })).await;
    let report =
        tokio::time::timeout(std::time::Duration::from_secs(20), reports.recv()).await?.ok_or("worker stopped")?;
    assert_eq!(report.succeeded, 1);
    assert_eq!(app.mails_to(&email).len(), 1);
    let _ = stop.send(true);
    running.await?;
    Ok(())
}

/// A mailer whose sends return only once `n` of them are in flight at the same time: a
/// worker that sends one mail after the other never gets past the first.
struct Rendezvous {
    barrier: tokio::sync::Barrier,
}

#[async_trait::async_trait]
impl Mailer for Rendezvous {
    async fn send(&self, _mail: OutgoingMail) -> Result<(), WorkerError> {
        self.barrier.wait().await;
        Ok(())
    }
}

#[tokio::test]
async fn the_jobs_of_one_batch_run_concurrently_up_to_the_configured_bound() -> TestResult {
    let app = spawn_app_with(|vars| {
        vars.insert("KENSA_WORKER_CONCURRENCY".into(), "3".into());
    })
    .await;
    let owner = app.signup("Acme").await;
    for _ in 0..6 {
        app.post(
            "/api/v1/users/invitations",
            Some(&owner.access_token),
            json!({ "email": unique_email("together"), "role": "viewer" }),
        )
        .await;
    }
    let n = app.settings.worker_concurrency;
    assert_eq!(n, 3);
    let mailer = std::sync::Arc::new(Rendezvous { barrier: tokio::sync::Barrier::new(n) });
    let worker = Worker::new(app.kensa.clone(), mailer).with_concurrency(n);

    // Two rounds of three sends that meet; one at a time would wait here forever.
    let report = tokio::time::timeout(std::time::Duration::from_secs(30), worker.run_once(app.kensa.now()))
        .await
        .map_err(|_| "the sends of one batch never overlapped")??;
    assert_eq!((report.succeeded, report.retried), (6, 0));
    assert_eq!(jobs::stats(&app.kensa).await?, vec![("done".to_owned(), 6)]);
    Ok(())
}

/// A mailer that asks the worker to stop at its first send, as SIGTERM does mid-campaign.
struct StopAtFirstSend {
    stop: tokio::sync::watch::Sender<bool>,
    sent: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl Mailer for StopAtFirstSend {
    async fn send(&self, _mail: OutgoingMail) -> Result<(), WorkerError> {
        self.stop.send_replace(true);
        self.sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test]
async fn a_worker_told_to_stop_finishes_its_batch_and_leaves_the_rest_pending() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    for _ in 0..6 {
        app.post(
            "/api/v1/users/invitations",
            Some(&owner.access_token),
            json!({ "email": unique_email("stopping"), "role": "viewer" }),
        )
        .await;
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mailer = std::sync::Arc::new(StopAtFirstSend { stop, sent: Default::default() });
    let worker = Worker::new(app.kensa.clone(), mailer.clone()).with_concurrency(2);

    tokio::time::timeout(std::time::Duration::from_secs(30), worker.run(stopped))
        .await
        .map_err(|_| "the worker did not stop")?;

    // The batch in hand (two jobs) is finished; the other four were never claimed, so another
    // worker takes them at once instead of after a lease.
    assert_eq!(mailer.sent.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(jobs::stats(&app.kensa).await?, vec![("done".to_owned(), 2), ("pending".to_owned(), 4)]);
    assert_eq!(app.run_worker_at(app.kensa.now()).await.succeeded, 4);
    Ok(())
}

/// `(kind, status, attempts, last_error)` of every job.
async fn job_rows(app: &TestApp) -> Result<Vec<(String, String, i32, Option<String>)>, Box<dyn std::error::Error>> {
    let backend = app.db.get_database_backend();
    let sql = "SELECT kind, status, attempts, last_error FROM jobs ORDER BY kind";
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql)).await?;
    let mut out = Vec::new();
    for r in rows {
        out.push((
            r.try_get("", "kind")?,
            r.try_get("", "status")?,
            r.try_get("", "attempts")?,
            r.try_get("", "last_error")?,
        ));
    }
    Ok(out)
}

#[tokio::test]
async fn a_stored_job_of_unknown_kind_or_unfit_payload_fails_loudly_is_retried_then_failed() -> TestResult {
    let app = spawn_app().await;
    let now = app.kensa.now();
    {
        // The write guard goes with the block: the worker below writes through the same queue.
        let txn = app.kensa.begin_write().await?;
        jobs::enqueue(&txn, &Job::UserInvitationMail { invitation_id: uuid::Uuid::now_v7() }, now).await?;
        let claim = Job::SupplierClaimMail { claim_id: uuid::Uuid::now_v7(), user_id: uuid::Uuid::now_v7() };
        jobs::enqueue(&txn, &claim, now).await?;
        txn.commit().await?;
    }
    // A kind from a newer version, and a payload that fits another kind than its own.
    app.execute_sql("UPDATE jobs SET kind = 'telegram_message' WHERE kind = 'user_invitation_mail'").await;
    let other_kinds_payload = format!(r#"{{"invitation_id": "{}"}}"#, uuid::Uuid::now_v7());
    app.execute_sql(&format!("UPDATE jobs SET payload = '{other_kinds_payload}' WHERE kind = 'supplier_claim_mail'"))
        .await;

    let first = app.run_worker_at(now).await;
    assert_eq!((first.succeeded, first.retried), (0, 2));
    let rows = job_rows(&app).await?;
    for (kind, status, attempts, error) in &rows {
        assert_eq!((status.as_str(), *attempts), ("pending", 1), "{kind}");
        let error = error.as_deref().unwrap_or_default();
        assert!(error.contains(&format!("{kind:?}")), "the error names the kind: {error}");
    }
    assert!(rows[1].3.as_deref().unwrap_or_default().contains("unknown variant"), "{rows:?}");
    assert!(rows[0].3.as_deref().unwrap_or_default().contains("claim_id"), "{rows:?}");

    // Retried with back-off like any failure, then given up after the last attempt.
    let mut at = now;
    for _ in 1..jobs::MAX_ATTEMPTS {
        at += Duration::hours(2);
        assert_eq!(app.run_worker_at(at).await.retried, 2);
    }
    assert_eq!(jobs::stats(&app.kensa).await?, vec![("failed".to_owned(), 2)]);
    let last = app.run_worker_at(at + Duration::days(1)).await;
    assert_eq!((last.succeeded, last.retried), (0, 0));
    assert!(app.mails().is_empty());
    Ok(())
}
