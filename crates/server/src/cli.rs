//! The `kensa-api` command line. It lives in the library so the tests can parse it with
//! `try_parse_from`; `main` only dispatches. Parsing happens before the settings are read, so
//! `--help` and a mistyped flag never create `./data` or open a port.

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use kensa_domain::Kensa;
use kensa_domain::auth::throttle::MemoryThrottle;
use kensa_domain::config::{ConfigError, Settings};

#[derive(Debug, Parser)]
#[command(
    name = "kensa-api",
    version,
    about = "Kensa: supplier security assessments over REST and GraphQL",
    long_about = "Kensa: supplier security assessments over REST and GraphQL.\n\n\
        Without a subcommand it serves (`serve`): migrates the database, loads the built-in \
        check sheet, listens on KENSA_BIND and, unless KENSA_EMBEDDED_WORKER=false, runs the \
        worker loop in the same process."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Migrate, then serve the API until SIGTERM or Ctrl-C (the default).
    Serve,
    /// Migrate the database and load the built-in check sheet, then exit.
    Migrate,
    /// Ask this container's API (KENSA_BIND) whether it is up: exit 0 when /healthz answers
    /// 2xx, 1 otherwise (Docker's HEALTHCHECK; the image has no curl).
    Healthcheck,
    /// Fill a fresh database with a demo: a buyer, 20 suppliers, assessments in every state.
    Demo {
        /// Add the demo even though the database already holds organizations.
        #[arg(long)]
        force: bool,
    },
    /// Copy the SQLite database to FILE while the server runs and writes: a consistent
    /// snapshot (VACUUM INTO), flushed, opened and checked. PostgreSQL: use pg_dump
    /// (docs/operations.md).
    Backup {
        /// The file to write (refused if it exists); restore it as kensa.db into an empty
        /// data directory, no -wal/-shm beside it, while the server is stopped
        /// (docs/operations.md).
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
    },
    /// Read an organization's archive (`POST /api/v1/organization/export`) into this Kensa as
    /// that organization, after migrating; refused when the organization is here already.
    /// Its users set passwords with reset links; its API keys and webhooks start unusable.
    Import {
        /// The archive (a ZIP file with manifest.json).
        #[arg(long, value_name = "FILE")]
        archive: PathBuf,
    },
    /// The audit trail: `audit verify` recomputes the hash chains.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write openapi.json and schema.graphql from the code (a test fails when they drift).
    ExportSchemas {
        /// Directory to write into.
        #[arg(default_value = "openapi")]
        dir: PathBuf,
    },
}

#[derive(Debug, Clone, Subcommand, PartialEq, Eq)]
pub enum AuditCommand {
    /// Recompute the audit hash chain of one organization, or of every organization (and of
    /// the events of none), and compare each with its head and its checkpoints. Prints one
    /// JSON line per chain; exits 0 when all are intact, 3 when one is broken, 1 on an error.
    Verify {
        /// The organization's id; every chain when absent.
        #[arg(long, value_name = "ID")]
        organization: Option<uuid::Uuid>,
        /// A checkpoint to compare as well (from a checkpoint mail): its event number.
        #[arg(long, requires_all = ["hash", "organization"])]
        seq: Option<i64>,
        /// The checkpoint's hash (64 lowercase hexadecimal digits).
        #[arg(long, requires = "seq")]
        hash: Option<String>,
    },
}

impl Cli {
    /// The subcommand, `serve` when none was given (so `cargo run --release` serves).
    pub fn subcommand(&self) -> Command {
        self.command.clone().unwrap_or(Command::Serve)
    }
}

/// The clap command with the environment variables appended to the help.
pub fn command() -> clap::Command {
    <Cli as CommandFactory>::command().after_help(kensa_domain::config::environment_help())
}

/// Parses `args` (the program name first). `--help` and `--version` come back as errors of
/// the kinds `DisplayHelp`/`DisplayVersion` with exit code 0; bad arguments with code 2.
pub fn try_parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = command().try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}

/// Connects, migrates and loads the built-in catalog: what `serve` does before listening,
/// and all that `migrate` does. Evidence goes where the server would put it.
pub async fn prepare(settings: &Settings) -> Result<Kensa, ConfigError> {
    let mut kensa = Kensa::connect(settings, Arc::new(MemoryThrottle::default())).await?;
    if let Some(s3) = &settings.s3 {
        kensa.evidence_store = kensa_api::s3_store::evidence_store(s3)?;
    }
    kensa_domain::db::migrate(&kensa).await.map_err(|e| ConfigError::new("DATABASE_URL", e.to_string()))?;
    kensa_domain::templates::catalog::ensure_builtins(&kensa)
        .await
        .map_err(|e| ConfigError::new("DATABASE_URL", format!("loading the built-in catalog failed: {e}")))?;
    Ok(kensa)
}

/// What `kensa-api audit verify` found: one verification per chain.
#[derive(Debug)]
pub struct AuditVerification {
    pub reports: Vec<kensa_domain::audit::verify::Verification>,
}

impl AuditVerification {
    pub fn broken(&self) -> bool {
        self.reports.iter().any(|r| r.status == kensa_domain::audit::verify::ChainStatus::Broken)
    }
}

/// `kensa-api audit verify`: read-only, so it connects without migrating.
pub async fn audit_verify(
    settings: &Settings,
    organization: Option<uuid::Uuid>,
    seq: Option<i64>,
    hash: Option<&str>,
) -> Result<AuditVerification, String> {
    use kensa_domain::audit::verify::{self, Checkpoint};
    let given = Checkpoint::parse(seq, hash)
        .map_err(|e| format!("{e}: --seq is 1 or more, --hash 64 lowercase hexadecimal digits"))?;
    let kensa = Kensa::connect(settings, Arc::new(MemoryThrottle::default())).await.map_err(|e| e.to_string())?;
    let outcome = async {
        let chains = match organization {
            Some(org) if verify::organization_exists(&kensa, org).await? => vec![Some(org)],
            Some(org) => return Ok(Err(format!("--organization: no organization {org}"))),
            None => verify::chains(&kensa).await?,
        };
        let mut reports = Vec::with_capacity(chains.len());
        for chain in chains {
            reports.push(verify::verify(&kensa, chain, given.clone()).await?);
        }
        Ok::<_, kensa_domain::DomainError>(Ok(AuditVerification { reports }))
    }
    .await;
    kensa.close().await;
    outcome.map_err(|e| e.to_string())?
}
