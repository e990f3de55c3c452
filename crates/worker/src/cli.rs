//! The `kensa-worker` command line, in the library so the tests can parse it. Parsing comes
//! before the settings are read: `--help` touches nothing.

use std::ffi::OsString;

use chrono::{DateTime, Utc};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "kensa-worker",
    version,
    about = "Kensa's background worker: mails, and the jobs the API queues",
    long_about = "Kensa's background worker: claims due jobs from the database (mails, and the \
        jobs the API queues) and carries them out. Run any number of replicas next to \
        `kensa-api` with KENSA_EMBEDDED_WORKER=false; the database must be migrated \
        (`kensa-api migrate`).",
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Work until SIGTERM or Ctrl-C, waking on new jobs (Redis with REDIS_URL) and polling.
    Run,
    /// Ask this container's worker health port (KENSA_WORKER_HEALTH_BIND) whether the loop is
    /// alive: exit 0 when /healthz answers 2xx, 1 otherwise (Docker's HEALTHCHECK).
    Healthcheck,
    /// Do what is due at one instant, then exit (for cron and tests).
    RunOnce {
        /// The instant, RFC 3339 (e.g. 2026-12-01T09:00:00Z) [default: now].
        #[arg(long, value_parser = parse_rfc3339)]
        now: Option<DateTime<Utc>>,
    },
}

fn parse_rfc3339(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("not an RFC 3339 time such as 2026-12-01T09:00:00Z ({e})"))
}

/// The clap command with the environment variables appended to the help.
pub fn command() -> clap::Command {
    Cli::command().after_help(kensa_domain::config::environment_help())
}

/// Parses `args` (the program name first); `--help`/`--version` are errors with exit code 0,
/// bad arguments errors with exit code 2.
pub fn try_parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = command().try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}
