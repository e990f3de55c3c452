//! Installs the binaries' log subscriber (`kensa_worker::telemetry::init`) from the
//! environment and writes one warning, so a test can read what `kensa-api` and
//! `kensa-worker` write to a pipe.

use std::process::ExitCode;

use kensa_domain::config::Settings;

fn main() -> ExitCode {
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let guard = kensa_worker::telemetry::init(&settings);
    tracing::warn!(probe = "field", "log probe");
    drop(guard);
    ExitCode::SUCCESS
}
