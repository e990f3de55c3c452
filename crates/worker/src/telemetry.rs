//! Structured logs for both binaries: pretty for people, JSON for log pipelines. Colour
//! codes only when stderr is a terminal: in a file, a pipe or a log collector they are noise.

use std::io::IsTerminal;

use kensa_domain::config::{LogFormat, Settings};
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Lines are written by a background thread: writing each
/// access-log line to stderr under a lock on the request path cost a third of the API's
/// throughput. Keep the returned guard alive until exit so buffered lines are flushed.
pub fn init(settings: &Settings) -> WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking(std::io::stderr());
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    guard
}
