//! `kensa-api`: migrates the database, serves the API and, unless
//! `KENSA_EMBEDDED_WORKER=false`, runs the worker loop in the same process.

use std::process::ExitCode;

/// glibc's allocator kept each 19 MiB argon2 buffer resident (RSS grew by that much per
/// sign-in); mimalloc returns large blocks to the OS.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use kensa_api::Application;
use kensa_domain::config::Settings;

#[tokio::main]
async fn main() -> ExitCode {
    kensa_api::s3_store::install_crypto_provider();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _log_guard = kensa_worker::telemetry::init(&settings);
    let bind = settings.bind;
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(address = %bind, port = app.port(), "kensa-api listening");
    match app.run_until_stopped().await {
        Ok(()) => {
            tracing::info!("kensa-api stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: server failed: {e}");
            ExitCode::FAILURE
        }
    }
}
