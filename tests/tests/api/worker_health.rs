//! The worker's health port (`KENSA_WORKER_HEALTH_BIND`): `/healthz` follows the loop and
//! fails once it has finished nothing for the stall limit (moved past by the app's clock, never
//! by sleeping), `/readyz` names what does not answer, `/metrics` counts what the loop did, and
//! a real `kensa-worker run` process serves all three until SIGTERM.

use std::process::Stdio;
use std::sync::Arc;

use kensa_worker::health::{HealthServer, Probe};
use kensa_worker::mail::{Mailer, OutgoingMail};
use kensa_worker::{Worker, WorkerError};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::AsyncBufReadExt;

use crate::helpers::{TestApp, TestResult, spawn_app, unique_email};

/// A mail server that took the connection and went silent: sends never return.
#[derive(Default)]
struct SilentServer {
    entered: tokio::sync::Notify,
}

#[async_trait::async_trait]
impl Mailer for SilentServer {
    async fn send(&self, _mail: OutgoingMail) -> Result<(), WorkerError> {
        self.entered.notify_one();
        std::future::pending().await
    }
}

fn probe(app: &TestApp, worker: &Worker, redis_url: Option<&str>) -> Probe {
    Probe {
        kensa: app.kensa.clone(),
        vitals: worker.vitals(),
        stall_after: app.settings.worker_stall_after,
        redis_url: redis_url.map(str::to_owned),
    }
}

async fn get(base: &str, path: &str) -> Result<(StatusCode, String, Value), Box<dyn std::error::Error>> {
    let response = reqwest::get(format!("{base}{path}")).await?;
    let status = response.status();
    let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let text = response.text().await?;
    Ok((status, kind, serde_json::from_str(&text).unwrap_or(Value::String(text))))
}

async fn invite(app: &TestApp, n: usize) {
    let owner = app.signup("Acme").await;
    for _ in 0..n {
        app.post(
            "/api/v1/users/invitations",
            Some(&owner.access_token),
            json!({ "email": unique_email("health"), "role": "viewer" }),
        )
        .await;
    }
}

#[tokio::test]
async fn healthz_turns_unhealthy_when_the_loop_is_stuck_past_the_stall_limit() -> TestResult {
    let app = spawn_app().await;
    invite(&app, 1).await;
    let mailer = Arc::new(SilentServer::default());
    let worker = Worker::new(app.kensa.clone(), mailer.clone());
    let health = HealthServer::start("127.0.0.1:0".parse()?, probe(&app, &worker, None))?;
    let base = format!("http://{}", health.address());

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run(stopped).await }
    });
    // The loop is inside a send that will never return.
    mailer.entered.notified().await;
    let (status, _, body) = get(&base, "/healthz").await?;
    assert_eq!(status, StatusCode::OK, "within the limit: {body}");
    assert_eq!(body["status"], "ok");

    let limit = app.settings.worker_stall_after;
    app.clock.advance(chrono::Duration::from_std(limit)? + chrono::Duration::seconds(1));
    let (status, kind, body) = get(&base, "/healthz").await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(kind, "application/problem+json");
    assert_eq!(body["code"], "worker_stalled");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(&format!("for {} s (limit {} s", limit.as_secs() + 1, limit.as_secs())), "{detail}");

    let _ = stop.send(true);
    running.abort();
    health.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_turning_loop_stays_healthy_as_time_passes_and_its_metrics_count_its_jobs() -> TestResult {
    let app = spawn_app().await;
    invite(&app, 3).await;
    let (reports, mut reported) = tokio::sync::mpsc::unbounded_channel();
    let worker = app.worker().with_reports(reports);
    let health = HealthServer::start("127.0.0.1:0".parse()?, probe(&app, &worker, None))?;
    let base = format!("http://{}", health.address());
    let mut progress = worker.vitals().subscribe();

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let running = tokio::spawn({
        let worker = worker.clone();
        async move { worker.run(stopped).await }
    });
    let report = reported.recv().await.ok_or("the worker stopped before its first pass")?;
    assert!(report.succeeded >= 3, "{report:?}");
    let done = kensa_domain::jobs::stats(&app.kensa).await?;
    assert_eq!(done, vec![("done".to_owned(), i64::try_from(report.succeeded)?)]);

    // Far past the limit on the clock, but the loop turns again when woken: healthy.
    let later = app.kensa.now() + chrono::Duration::from_std(app.settings.worker_stall_after)? * 3;
    app.clock.set(later);
    app.kensa.wake_worker();
    while *progress.borrow_and_update() < later {
        progress.changed().await?;
    }
    let (status, _, body) = get(&base, "/healthz").await?;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, kind, metrics) = get(&base, "/metrics").await?;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/plain"), "{kind}");
    let metrics = metrics.as_str().unwrap_or_default();
    let succeeded = format!(r#"kensa_worker_jobs_total{{outcome="succeeded"}} {}"#, report.succeeded);
    assert!(metrics.lines().any(|l| l == succeeded), "missing {succeeded} in:\n{metrics}");
    assert!(metrics.lines().any(|l| l == r#"kensa_worker_jobs_total{outcome="retried"} 0"#), "{metrics}");
    let progress_line = format!("kensa_worker_last_progress_timestamp_seconds {}", later.timestamp());
    assert!(metrics.lines().any(|l| l.starts_with(&progress_line)), "missing {progress_line} in:\n{metrics}");
    assert!(metrics.contains("kensa_worker_scan_duration_seconds_count"), "{metrics}");

    let _ = stop.send(true);
    running.await?;
    health.stop().await;
    Ok(())
}

#[tokio::test]
async fn readyz_names_what_does_not_answer_and_other_paths_are_not_found() -> TestResult {
    let app = spawn_app().await;
    let worker = app.worker();
    let ready = HealthServer::start("127.0.0.1:0".parse()?, probe(&app, &worker, None))?;
    let (status, _, body) = get(&format!("http://{}", ready.address()), "/readyz").await?;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ready")), "{body}");
    let (status, kind, body) = get(&format!("http://{}", ready.address()), "/api/v1/me").await?;
    // What `kensa-api healthcheck` and `kensa-worker healthcheck` ask (0.0.0.0 means loopback).
    let bind: std::net::SocketAddr = format!("0.0.0.0:{}", ready.address().port()).parse()?;
    assert!(kensa_worker::health::check(bind).await?.contains(r#""status":"ok""#));
    assert_eq!(
        (status, kind.as_str(), body["code"].as_str()),
        (StatusCode::NOT_FOUND, "application/problem+json", Some("route_not_found"))
    );
    ready.stop().await;

    // Port 1 on loopback: nothing listens there, so Redis is refused at once.
    let without_redis = HealthServer::start("127.0.0.1:0".parse()?, probe(&app, &worker, Some("redis://127.0.0.1:1")))?;
    let (status, kind, body) = get(&format!("http://{}", without_redis.address()), "/readyz").await?;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(kind, "application/problem+json");
    assert_eq!(
        (body["code"].as_str(), body["detail"].as_str()),
        (Some("service_unavailable"), Some("redis does not answer"))
    );
    without_redis.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_worker_process_serves_its_health_port_until_sigterm() -> TestResult {
    let app = spawn_app().await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_worker-process"))
        .env_clear()
        .envs(&app.vars)
        .env("KENSA_WORKER_HEALTH_BIND", "127.0.0.1:0")
        .env("KENSA_LOG_FORMAT", "json")
        .env("KENSA_LOG", "info")
        .arg("run")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let mut lines = tokio::io::BufReader::new(stderr).lines();
    let listening = async {
        loop {
            let line = lines.next_line().await?.ok_or("the worker exited before it listened")?;
            let Ok(entry) = serde_json::from_str::<Value>(&line) else { continue };
            if entry["message"].as_str().is_some_and(|m| m.starts_with("worker health endpoints listening")) {
                return entry["address"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("no address in {line}").into());
            }
        }
    };
    let address: Result<String, Box<dyn std::error::Error>> =
        tokio::time::timeout(std::time::Duration::from_secs(60), listening)
            .await
            .map_err(|_| "no health port logged in 60 s")?;
    let address = address?;
    let base = format!("http://{address}");
    for path in ["/healthz", "/readyz", "/metrics"] {
        let (status, _, body) = get(&base, path).await?;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }

    // Docker's HEALTHCHECK: the same binary asks the port it is told to serve.
    let healthcheck = || {
        tokio::process::Command::new(env!("CARGO_BIN_EXE_worker-process"))
            .env_clear()
            .envs(&app.vars)
            .env("KENSA_WORKER_HEALTH_BIND", &address)
            .arg("healthcheck")
            .output()
    };
    let healthy = healthcheck().await?;
    assert!(healthy.status.success(), "{}", String::from_utf8_lossy(&healthy.stderr));
    assert!(String::from_utf8_lossy(&healthy.stdout).contains(r#""status":"ok""#));

    let pid = child.id().ok_or("the worker has no pid")?;
    let killed = tokio::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().await?;
    assert!(killed.success());
    let exit = child.wait().await?;
    assert!(exit.success(), "a SIGTERM is a clean stop: {exit}");
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err(), "the port is closed after the stop");
    let gone = healthcheck().await?;
    assert_eq!(gone.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&gone.stderr).contains("no answer"), "{}", String::from_utf8_lossy(&gone.stderr));
    Ok(())
}
