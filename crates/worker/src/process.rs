//! `kensa-worker run` loops until SIGTERM; `kensa-worker run-once --now <RFC 3339>` does what
//! is due at that instant and exits (for cron and tests).

use std::process::ExitCode;

use crate::cli::{self, Command};
use crate::{Worker, mail, telemetry};
use kensa_domain::Kensa;
use kensa_domain::auth::throttle::MemoryThrottle;
use kensa_domain::config::Settings;

/// `kensa-worker`: parses the command line, then runs it. The binary is this and its
/// allocator; the tests run the same function as a process of their own.
pub fn main() -> ExitCode {
    // Parsed before anything else: `--help` and bad arguments exit here (0 and 2).
    let command = match cli::try_parse_from(std::env::args_os()) {
        Ok(cli) => cli.command,
        Err(e) => e.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> Result<(), String> {
    let settings = Settings::from_env().map_err(|e| e.to_string())?;
    if command == Command::Healthcheck {
        let bind = settings
            .worker_health_bind
            .ok_or("KENSA_WORKER_HEALTH_BIND is not set: this worker serves no health port")?;
        let answer = crate::health::check(bind).await?;
        println!("{answer}");
        return Ok(());
    }
    let _log_guard = telemetry::init(&settings);
    let mut kensa =
        Kensa::connect(&settings, std::sync::Arc::new(MemoryThrottle::default())).await.map_err(|e| e.to_string())?;
    // Where the API keeps evidence, the worker reads it (and writes organization exports).
    if let Some(s3) = &settings.s3 {
        kensa.evidence_store = kensa_domain::assessments::s3_store::evidence_store(s3).map_err(|e| e.to_string())?;
    }
    if let Command::RunOnce { now: Some(at) } = &command {
        // Every date decision of this pass (due, overdue, expiry, schedules) sees `--now`.
        kensa = kensa.with_clock(kensa_domain::clock::ManualClock::starting_at(*at));
    }
    let wakeup = kensa.job_wakeup.clone();
    let worker = Worker::new(kensa.clone(), mail::from_settings(&settings).map_err(|e| e.to_string())?)
        .with_concurrency(settings.worker_concurrency);
    match command {
        Command::RunOnce { .. } => {
            let report = worker.run_once(kensa.now()).await.map_err(|e| e.to_string())?;
            let scan = report.scan;
            println!(
                "scan: {} reminders, {} escalation digests, {} remediation follow-ups, {} reviews opened in {} ms",
                scan.reminders,
                scan.digests,
                scan.remediations,
                scan.reviews_opened,
                report.scan_time.as_millis()
            );
            println!("{} succeeded, {} retried", report.succeeded, report.retried);
            Ok(())
        }
        Command::Healthcheck => Ok(()),
        Command::Run => {
            let (tx, rx) = tokio::sync::watch::channel(false);
            if let Some(url) = &settings.redis_url {
                let channel = settings.wakeup_channel();
                tokio::spawn(crate::wakeups::listen(url.expose().clone(), channel, wakeup, rx.clone(), None));
            }
            let health = crate::health::serve_if_configured(&settings, &worker, &kensa).map_err(|e| e.to_string())?;
            tokio::spawn(async move {
                shutdown_signal().await;
                let _ = tx.send(true);
            });
            worker.run(rx).await;
            if let Some(health) = health {
                health.stop().await;
            }
            Ok(())
        }
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
