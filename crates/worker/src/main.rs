//! `kensa-worker run` loops until SIGTERM; `kensa-worker run-once --now <RFC 3339>` does what
//! is due at that instant and exits (for cron and tests).

use std::process::ExitCode;

/// glibc's allocator kept each 19 MiB argon2 buffer resident (RSS grew by that much per
/// sign-in); mimalloc returns large blocks to the OS.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::{DateTime, Utc};
use kensa_domain::Kensa;
use kensa_domain::auth::throttle::MemoryThrottle;
use kensa_domain::config::Settings;
use kensa_worker::{Worker, mail, telemetry};

enum Command {
    Run,
    RunOnce(DateTime<Utc>),
}

const USAGE: &str = "usage: kensa-worker run | kensa-worker run-once [--now <RFC 3339 time>]";

fn parse_args(args: &[String]) -> Result<Command, String> {
    match args {
        [cmd] if cmd == "run" => Ok(Command::Run),
        [cmd] if cmd == "run-once" => Ok(Command::RunOnce(kensa_domain::db::now())),
        [cmd, flag, when] if cmd == "run-once" && flag == "--now" => DateTime::parse_from_rfc3339(when)
            .map(|t| Command::RunOnce(t.with_timezone(&Utc)))
            .map_err(|e| format!("--now: not an RFC 3339 time ({e})")),
        _ => Err(USAGE.into()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &[String]) -> Result<(), String> {
    let command = parse_args(args)?;
    let settings = Settings::from_env().map_err(|e| e.to_string())?;
    let _log_guard = telemetry::init(&settings);
    let kensa =
        Kensa::connect(&settings, std::sync::Arc::new(MemoryThrottle::default())).await.map_err(|e| e.to_string())?;
    let wakeup = kensa.job_wakeup.clone();
    let worker = Worker::new(kensa, mail::from_settings(&settings).map_err(|e| e.to_string())?);
    match command {
        Command::RunOnce(now) => {
            let report = worker.run_once(now).await.map_err(|e| e.to_string())?;
            println!("{} succeeded, {} retried", report.succeeded, report.retried);
            Ok(())
        }
        Command::Run => {
            let (tx, rx) = tokio::sync::watch::channel(false);
            if let Some(url) = &settings.redis_url {
                let channel = kensa_worker::wakeups::channel(&settings.redis_prefix);
                tokio::spawn(kensa_worker::wakeups::listen(url.expose().clone(), channel, wakeup, rx.clone(), None));
            }
            tokio::spawn(async move {
                shutdown_signal().await;
                let _ = tx.send(true);
            });
            worker.run(rx).await;
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
