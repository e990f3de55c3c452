//! Settings: defaults, refusals that name the variable, and start-up failures.

use std::collections::BTreeMap;

use kensa_api::Application;
use kensa_domain::config::Settings;

use crate::helpers::{TestResult, base_vars};

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn refused(pairs: &[(&str, &str)]) -> String {
    match Settings::from_vars(vars(pairs)) {
        Ok(_) => panic!("{pairs:?} should be refused"),
        Err(e) => e.variable,
    }
}

#[test]
fn nothing_set_gives_the_embedded_defaults() -> TestResult {
    let s = Settings::from_vars(BTreeMap::new())?;
    assert_eq!(s.data_dir, std::path::PathBuf::from("./data"));
    assert_eq!(s.database_url.expose(), "sqlite://./data/kensa.db?mode=rwc");
    assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(s.public_url.as_str(), "http://localhost:8080/");
    assert!(s.embedded_worker && s.redis_url.is_none() && s.smtp_url.is_none() && s.jwt_secret.is_none());
    assert_eq!(s.log, "info");
    assert_eq!(s.worker_concurrency, 4);
    assert_eq!(Settings::from_vars(vars(&[("KENSA_WORKER_CONCURRENCY", "64")]))?.worker_concurrency, 64);
    assert_eq!((s.worker_health_bind, s.worker_stall_after.as_secs()), (None, 300));
    let health = Settings::from_vars(vars(&[
        ("KENSA_WORKER_HEALTH_BIND", "0.0.0.0:9091"),
        ("KENSA_WORKER_STALL_SECONDS", "180"),
    ]))?;
    assert_eq!(health.worker_health_bind.map(|a| a.to_string()).as_deref(), Some("0.0.0.0:9091"));
    assert_eq!(health.worker_stall_after.as_secs(), 180);
    Ok(())
}

#[test]
fn production_refuses_to_start_without_a_strong_jwt_secret() {
    assert_eq!(refused(&[("KENSA_ENV", "production")]), "KENSA_JWT_SECRET");
    assert_eq!(refused(&[("KENSA_ENV", "production"), ("KENSA_JWT_SECRET", "too-short")]), "KENSA_JWT_SECRET");
    assert!(Settings::from_vars(vars(&[("KENSA_ENV", "production"), ("KENSA_JWT_SECRET", &"s".repeat(32))])).is_ok());
}

#[test]
fn bad_values_are_refused_naming_the_variable() {
    assert_eq!(refused(&[("DATABASE_URL", "mysql://db/kensa")]), "DATABASE_URL");
    assert_eq!(refused(&[("DATABASE_URL", "not a url")]), "DATABASE_URL");
    assert_eq!(refused(&[("KENSA_BIND", "localhost")]), "KENSA_BIND");
    assert_eq!(refused(&[("KENSA_PUBLIC_URL", "ftp://x")]), "KENSA_PUBLIC_URL");
    assert_eq!(refused(&[("REDIS_URL", "http://redis")]), "REDIS_URL");
    assert_eq!(refused(&[("SMTP_URL", "::")]), "SMTP_URL");
    assert_eq!(refused(&[("KENSA_EMBEDDED_WORKER", "maybe")]), "KENSA_EMBEDDED_WORKER");
    assert_eq!(refused(&[("KENSA_LOG_FORMAT", "xml")]), "KENSA_LOG_FORMAT");
    assert_eq!(refused(&[("KENSA_ENV", "staging")]), "KENSA_ENV");
    assert_eq!(refused(&[("KENSA_JWT_SECRT", "typo")]), "KENSA_JWT_SECRT");
    assert_eq!(refused(&[("KENSA_S3_ENDPOINT", "http://s3.local")]), "KENSA_S3_BUCKET");
    assert_eq!(
        refused(&[("KENSA_S3_ENDPOINT", "http://s3.local"), ("KENSA_S3_BUCKET", "b")]),
        "KENSA_S3_ACCESS_KEY_ID"
    );
    assert_eq!(
        refused(&[("KENSA_S3_ENDPOINT", "http://s3.local"), ("KENSA_S3_BUCKET", "b"), ("KENSA_S3_CREDENTIALS", "iam")]),
        "KENSA_S3_CREDENTIALS"
    );
    assert_eq!(refused(&[("KENSA_S3_ENDPOINT", "s3.local")]), "KENSA_S3_ENDPOINT");
    assert_eq!(refused(&[("KENSA_DB_CONNECT_TIMEOUT", "0")]), "KENSA_DB_CONNECT_TIMEOUT");
    assert_eq!(refused(&[("KENSA_METRICS_BIND", "9090")]), "KENSA_METRICS_BIND");
    assert_eq!(refused(&[("KENSA_METRICS_TOKEN", "short")]), "KENSA_METRICS_TOKEN");
    assert_eq!(refused(&[("KENSA_PUBLIC_DOCS", "maybe")]), "KENSA_PUBLIC_DOCS");
    assert_eq!(refused(&[("KENSA_WORKER_HEALTH_BIND", "9091")]), "KENSA_WORKER_HEALTH_BIND");
    for stall in ["179", "3601", "five minutes"] {
        assert_eq!(refused(&[("KENSA_WORKER_STALL_SECONDS", stall)]), "KENSA_WORKER_STALL_SECONDS");
    }
    for concurrency in ["0", "65", "four", "-1"] {
        assert_eq!(refused(&[("KENSA_WORKER_CONCURRENCY", concurrency)]), "KENSA_WORKER_CONCURRENCY");
    }
}

#[test]
fn secrets_never_appear_in_debug_output() -> TestResult {
    let secret = "a-very-secret-value-that-is-long-enough";
    let s = Settings::from_vars(vars(&[
        ("KENSA_JWT_SECRET", secret),
        ("DATABASE_URL", "postgres://kensa:hunter2-password@db/kensa"),
        ("SMTP_URL", "smtp://mailer:smtp-password@mail:25"),
        ("KENSA_S3_ENDPOINT", "http://s3.local"),
        ("KENSA_S3_BUCKET", "evidence"),
        ("KENSA_S3_ACCESS_KEY_ID", "AKID"),
        ("KENSA_S3_SECRET_ACCESS_KEY", "s3-secret-key"),
    ]))?;
    let debug = format!("{s:?}");
    for hidden in [secret, "hunter2-password", "smtp-password", "s3-secret-key"] {
        assert!(!debug.contains(hidden), "{hidden} leaked: {debug}");
    }
    Ok(())
}

#[test]
fn a_generated_jwt_secret_is_kept_in_the_data_directory() -> TestResult {
    let dir = std::env::temp_dir().join(format!("kensa-secret-{}", uuid::Uuid::new_v4().simple()));
    let s = Settings::from_vars(vars(&[("KENSA_DATA_DIR", &dir.display().to_string())]))?;
    let first = s.resolve_jwt_secret()?;
    let second = s.resolve_jwt_secret()?;
    assert_eq!(first.expose(), second.expose());
    assert!(first.expose().len() >= 32);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("jwt-secret"))?.permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    std::fs::remove_dir_all(dir)?;
    Ok(())
}

#[tokio::test]
async fn a_silent_database_host_stops_the_start_within_the_connect_timeout() -> TestResult {
    // A listener that never answers the PostgreSQL handshake stands in for a host that
    // accepts connections but hangs; a black-holed address would time out the same way.
    let silent = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = silent.local_addr()?;
    let dir = std::env::temp_dir().join(format!("kensa-db-{}", uuid::Uuid::new_v4().simple()));
    let mut v = base_vars(&dir);
    v.insert("DATABASE_URL".into(), format!("postgres://kensa:secret-pw@{address}/kensa"));
    v.insert("KENSA_DB_CONNECT_TIMEOUT".into(), "1".into());
    let started = std::time::Instant::now();
    match Application::build(Settings::from_vars(v)?).await {
        Ok(_) => panic!("started without a database"),
        Err(e) => {
            assert_eq!(e.variable, "DATABASE_URL", "{e}");
            assert!(e.to_string().contains(&address.to_string()) && !e.to_string().contains("secret-pw"), "{e}");
        }
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(4), "took {:?}", started.elapsed());
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[tokio::test]
async fn a_port_in_use_stops_the_start_naming_kensa_bind() -> TestResult {
    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let dir = std::env::temp_dir().join(format!("kensa-port-{}", uuid::Uuid::new_v4().simple()));
    let mut v = base_vars(&dir);
    v.insert("KENSA_BIND".into(), taken.local_addr()?.to_string());
    match Application::build(Settings::from_vars(v)?).await {
        Ok(_) => panic!("bound a port in use"),
        Err(e) => assert_eq!(e.variable, "KENSA_BIND", "{e}"),
    }
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[tokio::test]
async fn an_unreachable_database_stops_the_start_naming_database_url() -> TestResult {
    let dir = std::env::temp_dir().join(format!("kensa-db-{}", uuid::Uuid::new_v4().simple()));
    let mut v = base_vars(&dir);
    v.insert("DATABASE_URL".into(), "postgres://kensa:secret-pw@127.0.0.1:1/kensa".into());
    let started = std::time::Instant::now();
    match Application::build(Settings::from_vars(v)?).await {
        Ok(_) => panic!("started without a database"),
        Err(e) => {
            assert_eq!(e.variable, "DATABASE_URL", "{e}");
            assert!(!e.to_string().contains("secret-pw"), "{e}");
            assert!(e.to_string().contains("127.0.0.1:1"), "the message must name host and port: {e}");
        }
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
    let _ = std::fs::remove_dir_all(dir);
    Ok(())
}

#[test]
fn logs_written_to_a_pipe_carry_no_colour_codes() -> TestResult {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_log-probe"))
        .env_clear()
        .env("KENSA_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .output()?;
    let logs = String::from_utf8(output.stderr)?;
    assert!(output.status.success() && logs.contains("log probe"), "{logs}");
    assert!(!logs.contains('\u{1b}'), "colour codes in piped logs: {logs:?}");
    Ok(())
}
