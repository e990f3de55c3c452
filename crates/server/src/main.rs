//! `kensa-api`: `serve` (the default) migrates the database, serves the API and, unless
//! `KENSA_EMBEDDED_WORKER=false`, runs the worker loop in the same process; `migrate`,
//! `demo`, `backup` and `export-schemas` do one thing and exit. See `kensa-api --help`. Built by the
//! `kensa-server` crate, which composes `kensa-api` (the library) and `kensa-worker`.

use std::process::ExitCode;

/// glibc's allocator kept each 19 MiB argon2 buffer resident (RSS grew by that much per
/// sign-in); mimalloc returns large blocks to the OS.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use kensa_domain::auth::throttle::MemoryThrottle;
use kensa_domain::config::Settings;
use kensa_server::Server;
use kensa_server::cli::{self, Command};

fn main() -> ExitCode {
    // Parsed before anything else: `--help` and bad flags exit here (0 and 2), before the
    // settings are read or ./data is created.
    let command = match cli::try_parse_from(std::env::args_os()) {
        Ok(cli) => cli.subcommand(),
        Err(e) => e.exit(),
    };
    if let Command::ExportSchemas { dir } = &command {
        return match kensa_api::schemas::export(dir) {
            Ok(written) => {
                written.iter().for_each(|path| println!("wrote {}", path.display()));
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return fail(format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(run(command))
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

async fn run(command: Command) -> ExitCode {
    kensa_api::s3_store::install_crypto_provider();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => return fail(e),
    };
    if command == Command::Healthcheck {
        return match kensa_worker::health::check(settings.bind).await {
            Ok(answer) => {
                println!("{answer}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        };
    }
    let _log_guard = kensa_worker::telemetry::init(&settings);
    match command {
        Command::Serve => serve(settings).await,
        Command::Migrate => match cli::prepare(&settings).await {
            Ok(_) => {
                println!("database migrated, built-in catalog loaded");
                ExitCode::SUCCESS
            }
            Err(e) => fail(e),
        },
        Command::Demo { force } => demo(settings, force).await,
        Command::Backup { output } => backup(settings, output).await,
        Command::Import { archive } => import(settings, archive).await,
        Command::Audit { command: cli::AuditCommand::Verify { organization, seq, hash } } => {
            audit_verify(settings, organization, seq, hash).await
        }
        // Handled before the runtime starts, and before logging.
        Command::ExportSchemas { .. } | Command::Healthcheck => ExitCode::SUCCESS,
    }
}

async fn serve(settings: Settings) -> ExitCode {
    let bind = settings.bind;
    let app = match Server::build(settings).await {
        Ok(app) => app,
        Err(e) => return fail(e),
    };
    tracing::info!(address = %bind, port = app.port(), "kensa-api listening");
    match app.run_until_stopped().await {
        Ok(()) => {
            tracing::info!("kensa-api stopped");
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!("server failed: {e}")),
    }
}

async fn import(settings: Settings, archive: std::path::PathBuf) -> ExitCode {
    let kensa = match cli::prepare(&settings).await {
        Ok(kensa) => kensa,
        Err(e) => return fail(e),
    };
    let imported = kensa_domain::portability::archive::import(&kensa, &archive).await;
    kensa.close().await;
    match imported {
        Ok(manifest) => {
            let rows: u64 = manifest.tables.values().map(|p| p.rows).sum();
            println!(
                "imported organization {} ({}): {rows} rows in {} tables, {} evidence files, {} other organizations stood in",
                manifest.organization_id,
                manifest.organization_name,
                manifest.tables.len(),
                manifest.evidence.len(),
                manifest.counterparties.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

/// Exit status of `audit verify` when a chain is broken (1 is an error, 2 a usage error).
const CHAIN_BROKEN: u8 = 3;

async fn audit_verify(
    settings: Settings,
    organization: Option<uuid::Uuid>,
    seq: Option<i64>,
    hash: Option<String>,
) -> ExitCode {
    match cli::audit_verify(&settings, organization, seq, hash.as_deref()).await {
        Ok(report) => {
            report.reports.iter().for_each(|r| println!("{}", serde_json::to_string(r).unwrap_or_default()));
            if report.broken() { ExitCode::from(CHAIN_BROKEN) } else { ExitCode::SUCCESS }
        }
        Err(e) => fail(e),
    }
}

/// Connects as the server would (no migration: the copy is of what is there) and writes the
/// snapshot. A database file that does not exist is refused rather than created empty.
async fn backup(settings: Settings, output: std::path::PathBuf) -> ExitCode {
    if let Some(file) = kensa_domain::db::sqlite_file(&settings)
        && !file.exists()
    {
        return fail(format!("DATABASE_URL: no database at {}", file.display()));
    }
    if !settings.is_sqlite() {
        return fail(kensa_domain::backup::BackupError::NotSqlite);
    }
    let kensa = match kensa_domain::Kensa::connect(&settings, std::sync::Arc::new(MemoryThrottle::default())).await {
        Ok(kensa) => kensa,
        Err(e) => return fail(e),
    };
    let written = kensa_domain::backup::sqlite_snapshot(&kensa, &output).await;
    kensa.close().await;
    match written {
        Ok(snapshot) => {
            let counts: Vec<String> = snapshot.counts.iter().map(|(table, n)| format!("{table} {n}")).collect();
            println!(
                "wrote {} ({} bytes) in {} ms, checked in {} ms: {}",
                snapshot.path.display(),
                snapshot.bytes,
                snapshot.copy.as_millis(),
                snapshot.check.as_millis(),
                counts.join(", ")
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

async fn demo(settings: Settings, force: bool) -> ExitCode {
    let kensa = match cli::prepare(&settings).await {
        Ok(kensa) => kensa,
        Err(e) => return fail(e),
    };
    let mailer = match kensa_worker::mail::from_settings(&settings) {
        Ok(mailer) => mailer,
        Err(e) => return fail(e),
    };
    match kensa_server::demo::run(&kensa, mailer, force).await {
        Ok(report) => {
            println!("{}", kensa_server::demo::summary(&report, settings.public_url.as_str().trim_end_matches('/')));
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}
