//! Typed settings read once from the environment and passed by value.
//!
//! Every variable is validated here so that a bad value stops the process with one line that
//! names it, instead of failing later in some unrelated place.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use url::Url;

/// A value that must never reach a log line or a response.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub env: Environment,
    pub data_dir: PathBuf,
    pub database_url: Secret<String>,
    pub bind: SocketAddr,
    pub public_url: Url,
    pub redis_url: Option<Secret<String>>,
    /// Prefix of every Redis key, so several deployments (or test runs) can share one Redis.
    pub redis_prefix: String,
    pub smtp_url: Option<Secret<String>>,
    pub mail_from: String,
    /// `None` means "generate one into the data directory" (refused in production).
    pub jwt_secret: Option<Secret<String>>,
    pub embedded_worker: bool,
    pub log: String,
    pub log_format: LogFormat,
    /// Evidence in S3-compatible object storage; `None` keeps files under the data directory.
    pub s3: Option<S3Settings>,
    /// Evidence uploads received at once by this process (`KENSA_MAX_CONCURRENT_UPLOADS`).
    pub max_concurrent_uploads: usize,
    /// Evidence an organization may hold, in MiB (`KENSA_ORG_STORAGE_QUOTA_MB`).
    pub org_storage_quota_mb: u64,
}

#[derive(Clone, Debug)]
pub struct S3Settings {
    /// e.g. `https://s3.eu-central-1.amazonaws.com` or `http://minio:9000`; path-style requests.
    pub endpoint: Url,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret<String>,
}

/// A configuration problem, displayed as `VARIABLE: what is wrong`.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(variable: &str, message: impl Into<String>) -> Self {
        Self { variable: variable.to_owned(), message: message.into() }
    }
}

/// Variables Kensa reads; any other `KENSA_*` variable is refused as a likely typo.
pub const KNOWN_VARIABLES: &[&str] = &[
    "KENSA_DATA_DIR",
    "DATABASE_URL",
    "KENSA_BIND",
    "KENSA_PUBLIC_URL",
    "REDIS_URL",
    "KENSA_REDIS_PREFIX",
    "SMTP_URL",
    "KENSA_MAIL_FROM",
    "KENSA_JWT_SECRET",
    "KENSA_EMBEDDED_WORKER",
    "KENSA_LOG",
    "KENSA_LOG_FORMAT",
    "KENSA_ENV",
    "KENSA_S3_ENDPOINT",
    "KENSA_S3_BUCKET",
    "KENSA_S3_REGION",
    "KENSA_S3_ACCESS_KEY_ID",
    "KENSA_S3_SECRET_ACCESS_KEY",
    "KENSA_MAX_CONCURRENT_UPLOADS",
    "KENSA_ORG_STORAGE_QUOTA_MB",
];

pub const MIN_JWT_SECRET_BYTES: usize = 32;

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars().collect())
    }

    pub fn from_vars(vars: BTreeMap<String, String>) -> Result<Self, ConfigError> {
        if let Some(unknown) = vars.keys().find(|k| k.starts_with("KENSA_") && !KNOWN_VARIABLES.contains(&k.as_str())) {
            return Err(ConfigError::new(unknown, "unknown setting (see the configuration table in README.md)"));
        }
        let get = |key: &str| vars.get(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());

        let env = match get("KENSA_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(ConfigError::new(
                    "KENSA_ENV",
                    format!("expected development or production, got {other:?}"),
                ));
            }
        };
        let data_dir = PathBuf::from(get("KENSA_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = match get("DATABASE_URL") {
            Some(url) => parse_database_url(&url)?,
            None => format!("sqlite://{}/kensa.db?mode=rwc", data_dir.display()),
        };
        let bind_raw = get("KENSA_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind_raw.parse::<SocketAddr>().map_err(|_| {
            ConfigError::new("KENSA_BIND", format!("expected an address such as 127.0.0.1:8080, got {bind_raw:?}"))
        })?;
        let public_url = parse_url(
            "KENSA_PUBLIC_URL",
            &get("KENSA_PUBLIC_URL").unwrap_or_else(|| "http://localhost:8080".into()),
            &["http", "https"],
        )?;
        let redis_url = get("REDIS_URL")
            .map(|u| parse_url("REDIS_URL", &u, &["redis", "rediss"]).map(|_| Secret::new(u)))
            .transpose()?;
        let smtp_url = get("SMTP_URL")
            .map(|u| parse_url("SMTP_URL", &u, &["smtp", "smtps"]).map(|_| Secret::new(u)))
            .transpose()?;
        let jwt_secret = get("KENSA_JWT_SECRET").map(Secret::new);
        match (&jwt_secret, env) {
            (Some(s), _) if s.expose().len() < MIN_JWT_SECRET_BYTES => {
                return Err(ConfigError::new(
                    "KENSA_JWT_SECRET",
                    format!("must be at least {MIN_JWT_SECRET_BYTES} bytes"),
                ));
            }
            (None, Environment::Production) => {
                return Err(ConfigError::new(
                    "KENSA_JWT_SECRET",
                    "required when KENSA_ENV=production (at least 32 random bytes); a generated secret would differ per replica and vanish with the container",
                ));
            }
            _ => {}
        }
        let embedded_worker = match get("KENSA_EMBEDDED_WORKER").as_deref() {
            None | Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => {
                return Err(ConfigError::new(
                    "KENSA_EMBEDDED_WORKER",
                    format!("expected true or false, got {other:?}"),
                ));
            }
        };
        let log_format = match get("KENSA_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new("KENSA_LOG_FORMAT", format!("expected pretty or json, got {other:?}")));
            }
        };
        let s3 = match get("KENSA_S3_ENDPOINT") {
            None => None,
            Some(endpoint) => {
                let endpoint = parse_url("KENSA_S3_ENDPOINT", &endpoint, &["http", "https"])?;
                let required =
                    |key: &str| get(key).ok_or_else(|| ConfigError::new(key, "required when KENSA_S3_ENDPOINT is set"));
                Some(S3Settings {
                    endpoint,
                    bucket: required("KENSA_S3_BUCKET")?,
                    region: get("KENSA_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                    access_key_id: required("KENSA_S3_ACCESS_KEY_ID")?,
                    secret_access_key: Secret::new(required("KENSA_S3_SECRET_ACCESS_KEY")?),
                })
            }
        };
        let max_concurrent_uploads = positive(&get, "KENSA_MAX_CONCURRENT_UPLOADS", 8)?;
        let org_storage_quota_mb = positive(&get, "KENSA_ORG_STORAGE_QUOTA_MB", 5_120)?;
        Ok(Self {
            s3,
            max_concurrent_uploads: usize::try_from(max_concurrent_uploads).unwrap_or(usize::MAX),
            org_storage_quota_mb,
            env,
            data_dir,
            database_url: Secret::new(database_url),
            bind,
            public_url,
            redis_url,
            redis_prefix: get("KENSA_REDIS_PREFIX").unwrap_or_else(|| "kensa".into()),
            smtp_url,
            mail_from: get("KENSA_MAIL_FROM").unwrap_or_else(|| "Kensa <no-reply@kensa.localhost>".into()),
            jwt_secret,
            embedded_worker,
            log: get("KENSA_LOG").unwrap_or_else(|| "info".into()),
            log_format,
        })
    }

    /// The JWT secret: the configured one, else one generated once into the data directory
    /// so that restarts keep sessions valid.
    pub fn resolve_jwt_secret(&self) -> Result<Secret<String>, ConfigError> {
        if let Some(secret) = &self.jwt_secret {
            return Ok(secret.clone());
        }
        let path = self.data_dir.join("jwt-secret");
        let io_err = |e: std::io::Error| ConfigError::new("KENSA_DATA_DIR", format!("{}: {e}", path.display()));
        if path.exists() {
            let secret = std::fs::read_to_string(&path).map_err(io_err)?.trim().to_owned();
            if secret.len() >= MIN_JWT_SECRET_BYTES {
                return Ok(Secret::new(secret));
            }
        }
        std::fs::create_dir_all(&self.data_dir).map_err(io_err)?;
        let secret = crate::auth::tokens::random_token();
        write_private(&path, &secret).map_err(io_err)?;
        Ok(Secret::new(secret))
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().starts_with("sqlite:")
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

/// A whole number of at least 1, or `default` when unset.
fn positive(get: &impl Fn(&str) -> Option<String>, variable: &str, default: u64) -> Result<u64, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(raw) => {
            raw.parse::<u64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
                ConfigError::new(variable, format!("expected a whole number of at least 1, got {raw:?}"))
            })
        }
    }
}

fn parse_url(variable: &str, raw: &str, schemes: &[&str]) -> Result<Url, ConfigError> {
    let url = Url::parse(raw).map_err(|e| ConfigError::new(variable, format!("not a valid URL ({e})")))?;
    if !schemes.contains(&url.scheme()) {
        return Err(ConfigError::new(
            variable,
            format!("scheme must be one of {}, got {:?}", schemes.join(", "), url.scheme()),
        ));
    }
    Ok(url)
}

fn parse_database_url(raw: &str) -> Result<String, ConfigError> {
    if raw.starts_with("sqlite:") {
        return Ok(raw.to_owned());
    }
    parse_url("DATABASE_URL", raw, &["postgres", "postgresql"])?;
    Ok(raw.to_owned())
}
