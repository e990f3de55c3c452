//! The command lines of both binaries, parsed in-process: help and version exit 0 and list
//! the environment, bad arguments exit 2, `kensa-api` without a subcommand serves.

use clap::error::ErrorKind;
use kensa_domain::config::{KNOWN_VARIABLES, VARIABLE_HELP};
use kensa_server::cli::{self as api_cli, Command as ApiCommand};
use kensa_worker::cli::{self as worker_cli, Command as WorkerCommand};

use crate::helpers::TestResult;

fn help_of(result: Result<impl std::fmt::Debug, clap::Error>) -> Result<(i32, ErrorKind, String), String> {
    match result {
        Ok(parsed) => Err(format!("expected help or an error, parsed {parsed:?}")),
        Err(e) => Ok((e.exit_code(), e.kind(), e.render().to_string())),
    }
}

#[test]
fn kensa_api_help_exits_zero_and_lists_every_environment_variable() -> TestResult {
    let (code, kind, help) = help_of(api_cli::try_parse_from(["kensa-api", "--help"]))?;
    assert_eq!((code, kind), (0, ErrorKind::DisplayHelp));
    for command in ["serve", "migrate", "demo", "backup", "export-schemas"] {
        assert!(help.contains(command), "the help names `{command}`:\n{help}");
    }
    for variable in KNOWN_VARIABLES {
        assert!(help.contains(variable), "the help lists {variable}:\n{help}");
    }
    Ok(())
}

#[test]
fn kensa_api_version_exits_zero() -> TestResult {
    let (code, kind, text) = help_of(api_cli::try_parse_from(["kensa-api", "--version"]))?;
    assert_eq!((code, kind), (0, ErrorKind::DisplayVersion));
    assert!(text.contains(env!("CARGO_PKG_VERSION")), "{text}");
    Ok(())
}

#[test]
fn kensa_api_refuses_an_unknown_flag_with_exit_code_2() -> TestResult {
    let (code, kind, _) = help_of(api_cli::try_parse_from(["kensa-api", "--bogus"]))?;
    assert_eq!((code, kind), (2, ErrorKind::UnknownArgument));
    let (code, _, _) = help_of(api_cli::try_parse_from(["kensa-api", "launch"]))?;
    assert_eq!(code, 2, "an unknown subcommand is a usage error, not a server start");
    Ok(())
}

#[test]
fn kensa_api_without_a_subcommand_serves() -> TestResult {
    assert_eq!(api_cli::try_parse_from(["kensa-api"])?.subcommand(), ApiCommand::Serve);
    assert_eq!(api_cli::try_parse_from(["kensa-api", "serve"])?.subcommand(), ApiCommand::Serve);
    assert_eq!(api_cli::try_parse_from(["kensa-api", "migrate"])?.subcommand(), ApiCommand::Migrate);
    assert_eq!(api_cli::try_parse_from(["kensa-api", "healthcheck"])?.subcommand(), ApiCommand::Healthcheck);
    assert_eq!(api_cli::try_parse_from(["kensa-api", "demo"])?.subcommand(), ApiCommand::Demo { force: false });
    assert_eq!(
        api_cli::try_parse_from(["kensa-api", "demo", "--force"])?.subcommand(),
        ApiCommand::Demo { force: true }
    );
    assert_eq!(
        api_cli::try_parse_from(["kensa-api", "backup", "--output", "/backups/k.db"])?.subcommand(),
        ApiCommand::Backup { output: "/backups/k.db".into() }
    );
    let (code, kind, _) = help_of(api_cli::try_parse_from(["kensa-api", "backup"]))?;
    assert_eq!((code, kind), (2, ErrorKind::MissingRequiredArgument), "a backup names its file");
    assert_eq!(
        api_cli::try_parse_from(["kensa-api", "export-schemas"])?.subcommand(),
        ApiCommand::ExportSchemas { dir: "openapi".into() }
    );
    Ok(())
}

#[test]
fn export_schemas_writes_what_the_code_generates() -> TestResult {
    let dir = std::env::temp_dir().join(format!("kensa-schemas-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let written = kensa_api::schemas::export(&dir)?;
    assert_eq!(written.len(), 2);
    assert_eq!(std::fs::read_to_string(dir.join("openapi.json"))?, kensa_api::openapi::json());
    assert_eq!(std::fs::read_to_string(dir.join("schema.graphql"))?, kensa_api::graphql::sdl());
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn kensa_worker_help_exits_zero_and_lists_every_environment_variable() -> TestResult {
    let (code, kind, help) = help_of(worker_cli::try_parse_from(["kensa-worker", "--help"]))?;
    assert_eq!((code, kind), (0, ErrorKind::DisplayHelp));
    assert!(help.contains("run-once"), "{help}");
    for variable in KNOWN_VARIABLES {
        assert!(help.contains(variable), "the help lists {variable}:\n{help}");
    }
    let (code, kind, _) = help_of(worker_cli::try_parse_from(["kensa-worker", "--version"]))?;
    assert_eq!((code, kind), (0, ErrorKind::DisplayVersion));
    Ok(())
}

#[test]
fn kensa_worker_run_once_takes_an_rfc_3339_instant() -> TestResult {
    let parsed = worker_cli::try_parse_from(["kensa-worker", "run-once", "--now", "2026-12-01T09:00:00+09:00"])?;
    let expected = chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")?.with_timezone(&chrono::Utc);
    assert_eq!(parsed.command, WorkerCommand::RunOnce { now: Some(expected) });
    assert_eq!(worker_cli::try_parse_from(["kensa-worker", "run"])?.command, WorkerCommand::Run);
    assert_eq!(worker_cli::try_parse_from(["kensa-worker", "healthcheck"])?.command, WorkerCommand::Healthcheck);

    let (code, kind, message) = help_of(worker_cli::try_parse_from(["kensa-worker", "run-once", "--now", "tomorrow"]))?;
    assert_eq!((code, kind), (2, ErrorKind::ValueValidation));
    assert!(message.contains("--now"), "the error names the flag: {message}");
    Ok(())
}

#[test]
fn kensa_worker_without_a_subcommand_is_a_usage_error() -> TestResult {
    let (code, _, text) = help_of(worker_cli::try_parse_from(["kensa-worker"]))?;
    assert_eq!(code, 2);
    assert!(text.contains("run-once"), "it shows the usage: {text}");
    let (code, kind, _) = help_of(worker_cli::try_parse_from(["kensa-worker", "--bogus"]))?;
    assert_eq!((code, kind), (2, ErrorKind::UnknownArgument));
    Ok(())
}

#[test]
fn every_known_variable_has_a_line_in_the_help_table() -> TestResult {
    let missing: Vec<&str> =
        KNOWN_VARIABLES.iter().copied().filter(|v| !VARIABLE_HELP.iter().any(|(name, _)| name == v)).collect();
    assert!(missing.is_empty(), "add these to config::VARIABLE_HELP: {missing:?}");
    let stale: Vec<&str> =
        VARIABLE_HELP.iter().map(|(name, _)| *name).filter(|name| !KNOWN_VARIABLES.contains(name)).collect();
    assert!(stale.is_empty(), "config::VARIABLE_HELP names variables Kensa does not read: {stale:?}");
    Ok(())
}
