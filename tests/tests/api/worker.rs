//! The durable job queue: claimed once, leased, retried with back-off.

use chrono::Duration;
use kensa_domain::jobs;
use serde_json::json;

use crate::helpers::{TestResult, external_service, spawn_app, spawn_app_with, unique_email};

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
