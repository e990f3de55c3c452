//! Typed settings read once from the environment and passed by value.
//!
//! Every variable is validated here so that a bad value stops the process with one line that
//! names it, instead of failing later in some unrelated place.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

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
    /// The key tokens were signed with before the current one: still accepted for
    /// verification (for one token lifetime after a rotation), never used to sign.
    pub jwt_previous_secret: Option<Secret<String>>,
    pub embedded_worker: bool,
    pub log: String,
    pub log_format: LogFormat,
    /// Evidence in S3-compatible object storage; `None` keeps files under the data directory.
    pub s3: Option<S3Settings>,
    /// Evidence uploads received at once by this process (`KENSA_MAX_CONCURRENT_UPLOADS`).
    pub max_concurrent_uploads: usize,
    /// Evidence an organization may hold, in MiB (`KENSA_ORG_STORAGE_QUOTA_MB`).
    pub org_storage_quota_mb: u64,
    /// Days between an owner's request to erase the organization and the erasure
    /// (`KENSA_ERASURE_GRACE_DAYS`, 1–365, default 30); any owner can cancel meanwhile.
    pub erasure_grace_days: u64,
    /// GraphQL's own switches and bounds.
    pub graphql: GraphqlSettings,
    /// A second listener that serves only `GET /metrics` (then not served on `bind`).
    pub metrics_bind: Option<SocketAddr>,
    /// When set, `GET /metrics` requires `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret<String>>,
    /// `/docs` and `/api/v1/openapi.json` on the public port: on in development, off in
    /// production unless `KENSA_PUBLIC_DOCS=true`.
    pub public_docs: bool,
    /// How long start-up waits for PostgreSQL to answer before it gives up naming host and port.
    pub db_connect_timeout: std::time::Duration,
    /// Anonymous sign-up and password hashing limits.
    pub auth: AuthLimits,
    /// Jobs of one claimed batch a worker carries out at once (`KENSA_WORKER_CONCURRENCY`).
    pub worker_concurrency: usize,
    /// The worker's own port for `/healthz`, `/readyz` and `/metrics` (`KENSA_WORKER_HEALTH_BIND`).
    pub worker_health_bind: Option<SocketAddr>,
    /// The worker's `/healthz` fails once its loop has finished nothing for this long
    /// (`KENSA_WORKER_STALL_SECONDS`).
    pub worker_stall_after: Duration,
    /// Writes to versioned resources without `If-Match` answer 428 (`KENSA_REQUIRE_IF_MATCH`).
    pub require_if_match: bool,
    /// Where webhook deliveries may go.
    pub webhooks: WebhookPolicy,
}

/// Where webhook deliveries may go: only `https` in production, and never to loopback,
/// private, link-local or other internal addresses unless `KENSA_WEBHOOK_ALLOW_PRIVATE=true`
/// (a receiver on the same network, and the tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WebhookPolicy {
    pub https_only: bool,
    pub allow_private: bool,
}

/// Jobs a worker runs at once unless `KENSA_WORKER_CONCURRENCY` says otherwise.
pub const DEFAULT_WORKER_CONCURRENCY: usize = 4;
/// How long a worker loop may finish nothing before its `/healthz` fails, unless
/// `KENSA_WORKER_STALL_SECONDS` says otherwise: longer than a batch of deliveries can take.
pub const DEFAULT_WORKER_STALL_SECONDS: u64 = 300;
/// A healthy batch can take 120 s (one SMTP send at its timeout): a shorter limit would have
/// the liveness probe restart workers that are merely waiting for a slow mail server.
pub const MIN_WORKER_STALL_SECONDS: u64 = 180;
/// A bound against typos: well before this, a worker's jobs mostly wait for the database pool.
pub const MAX_WORKER_CONCURRENCY: u64 = 64;

/// Limits on what anonymous callers may make the server do (see README, Authentication).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthLimits {
    /// Reverse proxies whose `X-Forwarded-For` names the client; nobody else's is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Accounts created (sign-up, invitation acceptance) per client address per hour.
    pub signups_per_address_per_hour: u64,
    /// Accounts created per hour across all addresses (per Redis, or per process).
    pub signups_per_hour: u64,
    /// Password hashes that may wait for a hashing slot; beyond, sign-ups get 503.
    pub password_queue: usize,
}

impl AuthLimits {
    /// The client's address: the peer's, unless the peer is a trusted proxy, in which case
    /// `X-Forwarded-For` is read from the right, skipping trusted proxies, up to the first
    /// address that is not one (anything left of it could be forged by the client).
    pub fn client_address(&self, peer: Option<std::net::IpAddr>, forwarded_for: &[&str]) -> Option<std::net::IpAddr> {
        let trusted = |ip: &std::net::IpAddr| self.trusted_proxies.iter().any(|net| net.contains(ip));
        let mut client = peer?;
        if !trusted(&client) {
            return Some(client);
        }
        let hops = forwarded_for.iter().flat_map(|h| h.split(',')).map(str::trim).collect::<Vec<_>>();
        for hop in hops.into_iter().rev() {
            let Ok(ip) = hop.parse::<std::net::IpAddr>() else { break };
            client = ip;
            if !trusted(&client) {
                break;
            }
        }
        Some(client)
    }
}

impl Default for AuthLimits {
    fn default() -> Self {
        Self {
            trusted_proxies: Vec::new(),
            signups_per_address_per_hour: 20,
            signups_per_hour: 1000,
            password_queue: 16,
        }
    }
}

/// What `POST /graphql` and `GET /graphql` expose and how much work one request may cause.
#[derive(Clone, Debug)]
pub struct GraphqlSettings {
    /// `__schema` / `__type` for signed-in callers (`KENSA_GRAPHQL_INTROSPECTION`): on in
    /// development, off in production unless enabled. Anonymous callers never get it.
    pub introspection: bool,
    /// GraphiQL on `GET /graphql` (`KENSA_GRAPHIQL`): same default as introspection.
    pub graphiql: bool,
    /// How long one request may execute (`KENSA_GRAPHQL_TIMEOUT_MS`, default 10 s).
    pub timeout: Duration,
    /// Requests executing at once per process (`KENSA_GRAPHQL_CONCURRENCY`, default 2 × cores).
    pub concurrency: usize,
}

#[derive(Clone, Debug)]
pub struct S3Settings {
    /// e.g. `https://s3.eu-central-1.amazonaws.com` or `http://minio:9000`; path-style requests.
    pub endpoint: Url,
    pub bucket: String,
    pub region: String,
    pub credentials: S3Credentials,
}

#[derive(Clone, Debug)]
pub enum S3Credentials {
    /// `KENSA_S3_ACCESS_KEY_ID` and `KENSA_S3_SECRET_ACCESS_KEY`, with `KENSA_S3_SESSION_TOKEN`
    /// for temporary keys.
    Keys { access_key_id: String, secret_access_key: Secret<String>, session_token: Option<Secret<String>> },
    /// `KENSA_S3_CREDENTIALS=aws-chain`: AWS's credential chain, from the
    /// [`AWS_CREDENTIAL_VARIABLES`] that are set (keys, an IRSA web identity token, ECS or EKS
    /// container credentials), else the instance metadata service.
    AwsChain(Vec<(&'static str, Secret<String>)>),
}

/// What the AWS credential chain reads (`KENSA_S3_CREDENTIALS=aws-chain`); any other
/// `AWS_*` variable is ignored, so the store is configured by `KENSA_S3_*` alone.
pub const AWS_CREDENTIAL_VARIABLES: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_ENDPOINT_URL_STS",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_METADATA_ENDPOINT",
];

/// Static keys unless `KENSA_S3_CREDENTIALS=aws-chain` asks for AWS's credential chain: a
/// forgotten key still stops the start instead of failing the first upload.
fn parse_s3_credentials(get: &impl Fn(&str) -> Option<String>) -> Result<S3Credentials, ConfigError> {
    let token = get("KENSA_S3_SESSION_TOKEN").map(Secret::new);
    let (key, secret) = (get("KENSA_S3_ACCESS_KEY_ID"), get("KENSA_S3_SECRET_ACCESS_KEY"));
    match get("KENSA_S3_CREDENTIALS").as_deref() {
        None | Some("keys") => {
            let required = |name: &str, value: Option<String>| {
                value.ok_or_else(|| {
                    ConfigError::new(
                        name,
                        "required when KENSA_S3_ENDPOINT is set (or set KENSA_S3_CREDENTIALS=aws-chain)",
                    )
                })
            };
            Ok(S3Credentials::Keys {
                access_key_id: required("KENSA_S3_ACCESS_KEY_ID", key)?,
                secret_access_key: Secret::new(required("KENSA_S3_SECRET_ACCESS_KEY", secret)?),
                session_token: token,
            })
        }
        Some("aws-chain") => {
            let given = [("KENSA_S3_ACCESS_KEY_ID", key.is_some()), ("KENSA_S3_SECRET_ACCESS_KEY", secret.is_some())]
                .into_iter()
                .chain([("KENSA_S3_SESSION_TOKEN", token.is_some())])
                .find(|(_, set)| *set);
            if let Some((name, _)) = given {
                return Err(ConfigError::new(name, "must be unset with KENSA_S3_CREDENTIALS=aws-chain"));
            }
            Ok(S3Credentials::AwsChain(
                AWS_CREDENTIAL_VARIABLES.iter().filter_map(|name| get(name).map(|v| (*name, Secret::new(v)))).collect(),
            ))
        }
        Some(other) => {
            Err(ConfigError::new("KENSA_S3_CREDENTIALS", format!("expected keys or aws-chain, got {other:?}")))
        }
    }
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
    "DATABASE_URL_FILE",
    "KENSA_BIND",
    "KENSA_PUBLIC_URL",
    "REDIS_URL",
    "REDIS_URL_FILE",
    "KENSA_REDIS_PREFIX",
    "SMTP_URL",
    "SMTP_URL_FILE",
    "KENSA_MAIL_FROM",
    "KENSA_JWT_SECRET",
    "KENSA_JWT_SECRET_FILE",
    "KENSA_JWT_PREVIOUS_SECRET",
    "KENSA_JWT_PREVIOUS_SECRET_FILE",
    "KENSA_EMBEDDED_WORKER",
    "KENSA_LOG",
    "KENSA_LOG_FORMAT",
    "KENSA_ENV",
    "KENSA_S3_ENDPOINT",
    "KENSA_S3_BUCKET",
    "KENSA_S3_REGION",
    "KENSA_S3_ACCESS_KEY_ID",
    "KENSA_S3_SECRET_ACCESS_KEY",
    "KENSA_S3_SECRET_ACCESS_KEY_FILE",
    "KENSA_S3_SESSION_TOKEN",
    "KENSA_S3_SESSION_TOKEN_FILE",
    "KENSA_S3_CREDENTIALS",
    "KENSA_TRUSTED_PROXIES",
    "KENSA_SIGNUPS_PER_ADDRESS_PER_HOUR",
    "KENSA_SIGNUPS_PER_HOUR",
    "KENSA_PASSWORD_QUEUE",
    "KENSA_DB_CONNECT_TIMEOUT",
    "KENSA_METRICS_BIND",
    "KENSA_METRICS_TOKEN",
    "KENSA_METRICS_TOKEN_FILE",
    "KENSA_PUBLIC_DOCS",
    "KENSA_GRAPHQL_INTROSPECTION",
    "KENSA_GRAPHIQL",
    "KENSA_GRAPHQL_TIMEOUT_MS",
    "KENSA_GRAPHQL_CONCURRENCY",
    "KENSA_MAX_CONCURRENT_UPLOADS",
    "KENSA_ORG_STORAGE_QUOTA_MB",
    "KENSA_WORKER_CONCURRENCY",
    "KENSA_WORKER_HEALTH_BIND",
    "KENSA_WORKER_STALL_SECONDS",
    "KENSA_ERASURE_GRACE_DAYS",
    "KENSA_REQUIRE_IF_MATCH",
    "KENSA_WEBHOOK_ALLOW_PRIVATE",
];

/// A metrics token shorter than this is refused: it guards a port reachable by anyone.
pub const MIN_METRICS_TOKEN_BYTES: usize = 16;

pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// What each of [`KNOWN_VARIABLES`] means, for both binaries' `--help` (the README's
/// configuration table says the same at more length). A test fails when a known variable
/// has no line here, so a new setting cannot be missing from the help.
pub const VARIABLE_HELP: &[(&str, &str)] = &[
    ("KENSA_DATA_DIR", "local state: SQLite file, generated JWT secret, mail outbox [default: ./data]"),
    (
        "DATABASE_URL",
        "sqlite://... or postgres://user:pass@host/db [default: sqlite://$KENSA_DATA_DIR/kensa.db?mode=rwc]",
    ),
    ("DATABASE_URL_FILE", "a file holding DATABASE_URL (a mounted secret) [default: unset]"),
    ("KENSA_BIND", "listen address [default: 127.0.0.1:8080]"),
    ("KENSA_PUBLIC_URL", "base of links in mails [default: http://localhost:8080]"),
    ("REDIS_URL", "shared login throttle and worker wake-ups [default: unset, in-process]"),
    ("REDIS_URL_FILE", "a file holding REDIS_URL (a mounted secret) [default: unset]"),
    ("KENSA_REDIS_PREFIX", "prefix of every Redis key [default: kensa]"),
    ("SMTP_URL", "smtp://host:port, smtps://user:pass@host [default: unset, .eml files in $KENSA_DATA_DIR/outbox]"),
    ("SMTP_URL_FILE", "a file holding SMTP_URL (a mounted secret) [default: unset]"),
    ("KENSA_MAIL_FROM", "sender of every mail [default: Kensa <no-reply@kensa.localhost>]"),
    ("KENSA_JWT_SECRET", "HS256 key, at least 32 bytes; required in production [default: generated into the data dir]"),
    ("KENSA_JWT_SECRET_FILE", "a file holding KENSA_JWT_SECRET (a mounted secret) [default: unset]"),
    (
        "KENSA_JWT_PREVIOUS_SECRET",
        "the key before a rotation: its tokens still verify, new ones use KENSA_JWT_SECRET [default: unset]",
    ),
    ("KENSA_JWT_PREVIOUS_SECRET_FILE", "a file holding KENSA_JWT_PREVIOUS_SECRET [default: unset]"),
    ("KENSA_EMBEDDED_WORKER", "the API process also runs the worker loop [default: true]"),
    ("KENSA_LOG", "log filter in tracing syntax [default: info]"),
    ("KENSA_LOG_FORMAT", "pretty or json [default: pretty]"),
    ("KENSA_ENV", "development or production [default: development]"),
    ("KENSA_S3_ENDPOINT", "S3-compatible storage for evidence [default: unset, files in $KENSA_DATA_DIR/evidence]"),
    ("KENSA_S3_BUCKET", "bucket (required with KENSA_S3_ENDPOINT)"),
    ("KENSA_S3_REGION", "signing region [default: us-east-1]"),
    ("KENSA_S3_ACCESS_KEY_ID", "access key (required with KENSA_S3_ENDPOINT unless KENSA_S3_CREDENTIALS=aws-chain)"),
    ("KENSA_S3_SECRET_ACCESS_KEY", "secret key (required with KENSA_S3_ACCESS_KEY_ID)"),
    ("KENSA_S3_SECRET_ACCESS_KEY_FILE", "a file holding KENSA_S3_SECRET_ACCESS_KEY [default: unset]"),
    ("KENSA_S3_SESSION_TOKEN", "session token of temporary keys [default: unset]"),
    ("KENSA_S3_SESSION_TOKEN_FILE", "a file holding KENSA_S3_SESSION_TOKEN [default: unset]"),
    (
        "KENSA_S3_CREDENTIALS",
        "keys, or aws-chain for AWS_* keys, IRSA, ECS/EKS or instance credentials [default: keys]",
    ),
    (
        "KENSA_TRUSTED_PROXIES",
        "reverse proxies (addresses or CIDRs, comma-separated) whose X-Forwarded-For is believed [default: none]",
    ),
    ("KENSA_SIGNUPS_PER_ADDRESS_PER_HOUR", "accounts created per client address per hour [default: 20]"),
    ("KENSA_SIGNUPS_PER_HOUR", "accounts created per hour across all addresses [default: 1000]"),
    ("KENSA_PASSWORD_QUEUE", "new-password hashes that may wait for a hashing slot; beyond, 503 [default: 16]"),
    ("KENSA_DB_CONNECT_TIMEOUT", "seconds start-up waits for PostgreSQL, 1-60 [default: 3]"),
    ("KENSA_METRICS_BIND", "a second listener serving only /metrics [default: unset]"),
    ("KENSA_METRICS_TOKEN", "bearer token /metrics requires, at least 16 bytes [default: unset]"),
    ("KENSA_METRICS_TOKEN_FILE", "a file holding KENSA_METRICS_TOKEN [default: unset]"),
    (
        "KENSA_PUBLIC_DOCS",
        "/docs and /api/v1/openapi.json on the public port [default: true in development, false in production]",
    ),
    (
        "KENSA_GRAPHQL_INTROSPECTION",
        "GraphQL introspection for signed-in callers [default: true in development, false in production]",
    ),
    ("KENSA_GRAPHIQL", "GraphiQL on GET /graphql [default: true in development, false in production]"),
    ("KENSA_GRAPHQL_TIMEOUT_MS", "how long one GraphQL request may execute, 1-300000 [default: 10000]"),
    ("KENSA_MAX_CONCURRENT_UPLOADS", "evidence uploads one process receives at once; beyond, 503 [default: 8]"),
    ("KENSA_ORG_STORAGE_QUOTA_MB", "evidence an organization may hold, MiB [default: 5120]"),
    ("KENSA_GRAPHQL_CONCURRENCY", "GraphQL requests executing at once per process [default: 2 x CPU cores]"),
    ("KENSA_WORKER_CONCURRENCY", "jobs (mails) one worker carries out at once, 1-64 [default: 4]"),
    (
        "KENSA_WORKER_HEALTH_BIND",
        "the worker's own port for /healthz, /readyz and /metrics, e.g. 0.0.0.0:9091 [default: none]",
    ),
    (
        "KENSA_WORKER_STALL_SECONDS",
        "the worker's /healthz fails when its loop finished nothing for this long, 180-3600 [default: 300]",
    ),
    (
        "KENSA_ERASURE_GRACE_DAYS",
        "days between an erasure request (an organization, a person) and the erasure, 1-365 [default: 30]",
    ),
    (
        "KENSA_REQUIRE_IF_MATCH",
        "writes to versioned resources without If-Match answer 428 precondition_required [default: false]",
    ),
    ("KENSA_WEBHOOK_ALLOW_PRIVATE", "webhooks may go to loopback, private and link-local addresses [default: false]"),
];

/// The "Environment" section of `--help`: every known variable with its meaning.
pub fn environment_help() -> String {
    let width = KNOWN_VARIABLES.iter().map(|v| v.len()).max().unwrap_or(0);
    let mut help = String::from("Environment (read once at start; an unknown KENSA_* variable is refused):\n");
    for name in KNOWN_VARIABLES {
        let meaning = VARIABLE_HELP.iter().find(|(n, _)| n == name).map_or("see README.md", |(_, m)| *m);
        help.push_str(&format!("  {name:<width$}  {meaning}\n"));
    }
    help
}

/// Settings that may be read from a file instead (a mounted Kubernetes or Docker secret, not
/// an environment variable every process of the container can read): `NAME_FILE` names the
/// file, whose content without its trailing line break is the value.
pub const FILE_VARIABLES: &[&str] = &[
    "DATABASE_URL",
    "REDIS_URL",
    "SMTP_URL",
    "KENSA_JWT_SECRET",
    "KENSA_JWT_PREVIOUS_SECRET",
    "KENSA_S3_SECRET_ACCESS_KEY",
    "KENSA_S3_SESSION_TOKEN",
    "KENSA_METRICS_TOKEN",
];

/// A secret file larger than this is refused (a wrong path, not a key).
const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// `vars` with every `NAME_FILE` of [`FILE_VARIABLES`] read into `NAME`.
fn with_secret_files(mut vars: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, ConfigError> {
    use std::io::Read;
    for name in FILE_VARIABLES {
        let variable = format!("{name}_FILE");
        let Some(path) = vars.get(&variable).map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()) else {
            continue;
        };
        if vars.get(*name).is_some_and(|v| !v.trim().is_empty()) {
            return Err(ConfigError::new(&variable, format!("set {name} or {variable}, not both")));
        }
        let mut text = String::new();
        std::fs::File::open(&path)
            .and_then(|f| f.take(MAX_SECRET_FILE_BYTES + 1).read_to_string(&mut text))
            .map_err(|e| ConfigError::new(&variable, format!("{path}: {e}")))?;
        if text.len() as u64 > MAX_SECRET_FILE_BYTES {
            return Err(ConfigError::new(&variable, format!("{path} is larger than 64 KiB: not a secret")));
        }
        vars.insert((*name).to_owned(), text.trim_end_matches(['\n', '\r']).to_owned());
    }
    Ok(vars)
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars().collect())
    }

    pub fn from_vars(vars: BTreeMap<String, String>) -> Result<Self, ConfigError> {
        if let Some(unknown) = vars.keys().find(|k| k.starts_with("KENSA_") && !KNOWN_VARIABLES.contains(&k.as_str())) {
            return Err(ConfigError::new(unknown, "unknown setting (see the configuration table in README.md)"));
        }
        let vars = with_secret_files(vars)?;
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
        let jwt_previous_secret = get("KENSA_JWT_PREVIOUS_SECRET").map(Secret::new);
        if jwt_previous_secret.as_ref().is_some_and(|s| s.expose().len() < MIN_JWT_SECRET_BYTES) {
            return Err(ConfigError::new(
                "KENSA_JWT_PREVIOUS_SECRET",
                format!("must be at least {MIN_JWT_SECRET_BYTES} bytes"),
            ));
        }
        if jwt_previous_secret.is_some() && jwt_secret.is_none() {
            return Err(ConfigError::new(
                "KENSA_JWT_PREVIOUS_SECRET",
                "a previous key belongs to a rotation: set the new one as KENSA_JWT_SECRET",
            ));
        }
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
                let bucket = get("KENSA_S3_BUCKET")
                    .ok_or_else(|| ConfigError::new("KENSA_S3_BUCKET", "required when KENSA_S3_ENDPOINT is set"))?;
                Some(S3Settings {
                    endpoint,
                    bucket,
                    region: get("KENSA_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                    credentials: parse_s3_credentials(&get)?,
                })
            }
        };
        let auth = parse_auth_limits(&get)?;
        let db_connect_timeout = match get("KENSA_DB_CONNECT_TIMEOUT") {
            None => std::time::Duration::from_secs(3),
            Some(raw) => match raw.parse::<u64>() {
                Ok(secs @ 1..=60) => std::time::Duration::from_secs(secs),
                _ => {
                    return Err(ConfigError::new(
                        "KENSA_DB_CONNECT_TIMEOUT",
                        format!("expected whole seconds from 1 to 60, got {raw:?}"),
                    ));
                }
            },
        };
        let metrics_bind = socket_address(&get, "KENSA_METRICS_BIND")?;
        let metrics_token = get("KENSA_METRICS_TOKEN").map(Secret::new);
        if metrics_token.as_ref().is_some_and(|t| t.expose().len() < MIN_METRICS_TOKEN_BYTES) {
            return Err(ConfigError::new(
                "KENSA_METRICS_TOKEN",
                format!("must be at least {MIN_METRICS_TOKEN_BYTES} bytes"),
            ));
        }
        let public_docs = match get("KENSA_PUBLIC_DOCS").as_deref() {
            None => env == Environment::Development,
            Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => {
                return Err(ConfigError::new("KENSA_PUBLIC_DOCS", format!("expected true or false, got {other:?}")));
            }
        };
        let graphql = graphql_settings(env, &get)?;
        let require_if_match = match get("KENSA_REQUIRE_IF_MATCH").as_deref() {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                return Err(ConfigError::new(
                    "KENSA_REQUIRE_IF_MATCH",
                    format!("expected true or false, got {other:?}"),
                ));
            }
        };
        let allow_private = match get("KENSA_WEBHOOK_ALLOW_PRIVATE").as_deref() {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => {
                return Err(ConfigError::new(
                    "KENSA_WEBHOOK_ALLOW_PRIVATE",
                    format!("expected true or false, got {other:?}"),
                ));
            }
        };
        let webhooks = WebhookPolicy { https_only: env == Environment::Production, allow_private };
        let max_concurrent_uploads = positive(&get, "KENSA_MAX_CONCURRENT_UPLOADS", 8)?;
        let org_storage_quota_mb = positive(&get, "KENSA_ORG_STORAGE_QUOTA_MB", 5_120)?;
        let erasure_grace_days = bounded(&get, "KENSA_ERASURE_GRACE_DAYS", 30, 365)?;
        let worker_concurrency =
            bounded(&get, "KENSA_WORKER_CONCURRENCY", DEFAULT_WORKER_CONCURRENCY as u64, MAX_WORKER_CONCURRENCY)?;
        // Longer than one batch can take: its slowest job, an SMTP send bounded at 120 s from
        // connecting to the last byte (webhooks: 15 s).
        let worker_stall_after = Duration::from_secs(
            get("KENSA_WORKER_STALL_SECONDS")
                .map(|raw| {
                    raw.parse::<u64>().ok().filter(|s| (MIN_WORKER_STALL_SECONDS..=3600).contains(s)).ok_or_else(|| {
                        ConfigError::new(
                            "KENSA_WORKER_STALL_SECONDS",
                            format!("expected whole seconds from {MIN_WORKER_STALL_SECONDS} to 3600, got {raw:?}"),
                        )
                    })
                })
                .transpose()?
                .unwrap_or(DEFAULT_WORKER_STALL_SECONDS),
        );
        Ok(Self {
            worker_concurrency: usize::try_from(worker_concurrency).unwrap_or(DEFAULT_WORKER_CONCURRENCY),
            worker_health_bind: socket_address(&get, "KENSA_WORKER_HEALTH_BIND")?,
            worker_stall_after,
            auth,
            require_if_match,
            webhooks,
            metrics_bind,
            metrics_token,
            public_docs,
            db_connect_timeout,
            s3,
            graphql,
            max_concurrent_uploads: usize::try_from(max_concurrent_uploads).unwrap_or(usize::MAX),
            org_storage_quota_mb,
            erasure_grace_days,
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
            jwt_previous_secret,
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
        private_dir(&self.data_dir).map_err(io_err)?;
        let secret = crate::auth::tokens::random_token();
        write_private(&path, &secret).map_err(io_err)?;
        Ok(Secret::new(secret))
    }

    /// Whether the public port answers `GET /metrics`: not when a separate metrics listener
    /// is configured, and in production only behind `KENSA_METRICS_TOKEN`.
    pub fn metrics_on_public_port(&self) -> bool {
        self.metrics_bind.is_none() && (self.env == Environment::Development || self.metrics_token.is_some())
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().starts_with("sqlite:")
    }

    /// The Redis channel on which the API announces queued jobs and workers listen. Here
    /// because both sides must agree on it and neither crate depends on the other.
    pub fn wakeup_channel(&self) -> String {
        format!("{}:jobs", self.redis_prefix)
    }
}

fn graphql_settings(env: Environment, get: &dyn Fn(&str) -> Option<String>) -> Result<GraphqlSettings, ConfigError> {
    let flag = |key: &str| match get(key).as_deref() {
        None => Ok(env == Environment::Development),
        Some("true" | "1" | "yes") => Ok(true),
        Some("false" | "0" | "no") => Ok(false),
        Some(other) => Err(ConfigError::new(key, format!("expected true or false, got {other:?}"))),
    };
    let number = |key: &str, default: u64, max: u64| bounded(get, key, default, max);
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    Ok(GraphqlSettings {
        introspection: flag("KENSA_GRAPHQL_INTROSPECTION")?,
        graphiql: flag("KENSA_GRAPHIQL")?,
        timeout: Duration::from_millis(number("KENSA_GRAPHQL_TIMEOUT_MS", 10_000, 300_000)?),
        concurrency: number("KENSA_GRAPHQL_CONCURRENCY", 2 * cores, 1_024)? as usize,
    })
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

fn parse_auth_limits(get: &dyn Fn(&str) -> Option<String>) -> Result<AuthLimits, ConfigError> {
    let defaults = AuthLimits::default();
    let number = |key: &str, default: u64| -> Result<u64, ConfigError> {
        match get(key) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ConfigError::new(key, format!("expected a positive whole number, got {raw:?}"))),
        }
    };
    let trusted_proxies = match get("KENSA_TRUSTED_PROXIES") {
        None => Vec::new(),
        Some(raw) => raw
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<ipnet::IpNet>().or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from)).map_err(
                    |_| {
                        ConfigError::new(
                            "KENSA_TRUSTED_PROXIES",
                            format!("expected addresses or CIDRs separated by commas, got {s:?}"),
                        )
                    },
                )
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(AuthLimits {
        trusted_proxies,
        signups_per_address_per_hour: number(
            "KENSA_SIGNUPS_PER_ADDRESS_PER_HOUR",
            defaults.signups_per_address_per_hour,
        )?,
        signups_per_hour: number("KENSA_SIGNUPS_PER_HOUR", defaults.signups_per_hour)?,
        password_queue: usize::try_from(number("KENSA_PASSWORD_QUEUE", defaults.password_queue as u64)?)
            .unwrap_or(defaults.password_queue),
    })
}

/// Local state (SQLite file, generated JWT secret, mail outbox, evidence) is for the service
/// account only: creates `dir` and its missing parents 0700, or tightens an existing `dir`
/// that others may read. Returns the mode it had when it was tightened, for a log line.
#[cfg(unix)]
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<Option<u32>> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    match std::fs::metadata(dir) {
        Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
            Ok(Some(meta.permissions().mode() & 0o777))
        }
        Ok(_) => Ok(None),
        Err(_) => std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map(|()| None),
    }
}

/// Tightens an existing file to 0600 (a missing one is left alone); returns the old mode
/// when it changed.
#[cfg(unix)]
pub fn private_file(path: &std::path::Path) -> std::io::Result<Option<u32>> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            Ok(Some(meta.permissions().mode() & 0o777))
        }
        _ => Ok(None),
    }
}

#[cfg(not(unix))]
pub fn private_dir(dir: &std::path::Path) -> std::io::Result<Option<u32>> {
    std::fs::create_dir_all(dir).map(|()| None)
}

#[cfg(not(unix))]
pub fn private_file(_path: &std::path::Path) -> std::io::Result<Option<u32>> {
    Ok(None)
}

/// A whole number from 1 to `max`, or `default` when unset.
fn bounded(get: &dyn Fn(&str) -> Option<String>, variable: &str, default: u64, max: u64) -> Result<u64, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(raw) => {
            raw.parse::<u64>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                ConfigError::new(variable, format!("expected a whole number from 1 to {max}, got {raw:?}"))
            })
        }
    }
}

/// A listening address such as `0.0.0.0:9090`, or `None` when unset.
fn socket_address(get: &impl Fn(&str) -> Option<String>, variable: &str) -> Result<Option<SocketAddr>, ConfigError> {
    get(variable)
        .map(|raw| {
            raw.parse::<SocketAddr>().map_err(|_| {
                ConfigError::new(variable, format!("expected an address such as 127.0.0.1:9090, got {raw:?}"))
            })
        })
        .transpose()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(proxies: &str) -> Result<AuthLimits, ConfigError> {
        let vars = BTreeMap::from([("KENSA_TRUSTED_PROXIES".to_owned(), proxies.to_owned())]);
        Settings::from_vars(vars).map(|s| s.auth)
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() -> Result<(), ConfigError> {
        let auth = limits("10.0.0.0/8, ::1")?;
        let ip = |s: &str| s.parse::<std::net::IpAddr>().ok();
        // A trusted proxy relays: the right-most untrusted hop is the client.
        assert_eq!(auth.client_address(ip("10.0.0.5"), &["6.6.6.6, 203.0.113.9, 10.0.0.7"]), ip("203.0.113.9"));
        // Anyone else's header is ignored.
        assert_eq!(auth.client_address(ip("198.51.100.1"), &["203.0.113.9"]), ip("198.51.100.1"));
        // A garbled hop stops the walk at the last address known good.
        assert_eq!(auth.client_address(ip("::1"), &["nonsense"]), ip("::1"));
        Ok(())
    }

    fn from(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_vars(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    /// A setting read here but missing from `KNOWN_VARIABLES` would refuse to start when set
    /// (as `KENSA_ERASURE_GRACE_DAYS` once did).
    #[test]
    fn every_setting_read_is_a_known_variable() -> Result<(), ConfigError> {
        let source = include_str!("config.rs");
        let mut unknown = Vec::new();
        for (i, _) in source.match_indices("\"KENSA_") {
            let name: String = source[i + 1..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            let known = KNOWN_VARIABLES.contains(&name.as_str());
            if !known && name != "KENSA_" && !unknown.contains(&name) {
                unknown.push(name);
            }
        }
        assert!(unknown.is_empty(), "read but not in KNOWN_VARIABLES: {unknown:?}");
        assert_eq!(from(&[("KENSA_ERASURE_GRACE_DAYS", "7")])?.erasure_grace_days, 7);
        assert!(from(&[("KENSA_ERASURE_GRACE_DAYS", "0")]).is_err_and(|e| e.variable == "KENSA_ERASURE_GRACE_DAYS"));
        Ok(())
    }

    #[test]
    fn secrets_are_read_from_files_named_by_the_file_variables() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let write = |name: &str, text: &str| -> Result<String, std::io::Error> {
            let path = dir.path().join(name);
            std::fs::write(&path, text)?;
            Ok(path.display().to_string())
        };
        let (jwt, previous, db) = (
            write("jwt", "a-mounted-secret-of-more-than-thirty-two-bytes\n")?,
            write("previous", "the-previous-secret-of-more-than-thirty-two-bytes")?,
            write("db", "postgres://kensa:s3cret@db.internal/kensa\r\n")?,
        );
        let s = from(&[
            ("KENSA_JWT_SECRET_FILE", &jwt),
            ("KENSA_JWT_PREVIOUS_SECRET_FILE", &previous),
            ("DATABASE_URL_FILE", &db),
        ])?;
        assert_eq!(
            s.jwt_secret.map(|k| k.expose().clone()).as_deref(),
            Some("a-mounted-secret-of-more-than-thirty-two-bytes")
        );
        assert!(s.jwt_previous_secret.is_some_and(|k| k.expose().starts_with("the-previous")));
        assert_eq!(s.database_url.expose(), "postgres://kensa:s3cret@db.internal/kensa");
        // Both ways at once, a missing file, a short key read from a file: refused by name.
        let both = from(&[("KENSA_JWT_SECRET", "x".repeat(40).as_str()), ("KENSA_JWT_SECRET_FILE", &jwt)]);
        assert!(both.is_err_and(|e| e.variable == "KENSA_JWT_SECRET_FILE" && e.message.contains("not both")));
        let missing = from(&[("SMTP_URL_FILE", "/nonexistent/smtp")]);
        assert!(missing.is_err_and(|e| e.variable == "SMTP_URL_FILE" && e.message.contains("/nonexistent/smtp")));
        let short = from(&[("KENSA_JWT_SECRET_FILE", &write("short", "too short")?)]);
        assert!(short.is_err_and(|e| e.variable == "KENSA_JWT_SECRET"));
        // A previous key without a current one is no rotation.
        let alone = from(&[("KENSA_JWT_PREVIOUS_SECRET", "y".repeat(40).as_str())]);
        assert!(alone.is_err_and(|e| e.variable == "KENSA_JWT_PREVIOUS_SECRET"));
        Ok(())
    }

    #[test]
    fn a_malformed_proxy_list_names_the_variable() {
        assert!(limits("10.0.0.0/33").is_err_and(|e| e.variable == "KENSA_TRUSTED_PROXIES"));
    }

    fn s3(vars: &[(&str, &str)]) -> Result<S3Credentials, ConfigError> {
        let mut all = BTreeMap::from([
            ("KENSA_S3_ENDPOINT".to_owned(), "http://127.0.0.1:9000".to_owned()),
            ("KENSA_S3_BUCKET".to_owned(), "evidence".to_owned()),
            ("AWS_REGION".to_owned(), "not-read".to_owned()),
        ]);
        all.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        Settings::from_vars(all)?
            .s3
            .map(|s| s.credentials)
            .ok_or_else(|| ConfigError::new("KENSA_S3_ENDPOINT", "unset"))
    }

    #[test]
    fn s3_keys_are_required_unless_the_aws_chain_is_asked_for() {
        let keys = s3(&[
            ("KENSA_S3_ACCESS_KEY_ID", "AK"),
            ("KENSA_S3_SECRET_ACCESS_KEY", "SK"),
            ("KENSA_S3_SESSION_TOKEN", "T"),
        ]);
        assert!(matches!(keys, Ok(S3Credentials::Keys { session_token: Some(_), .. })), "{keys:?}");
        let half = s3(&[("KENSA_S3_ACCESS_KEY_ID", "AK")]);
        assert!(half.is_err_and(|e| e.variable == "KENSA_S3_SECRET_ACCESS_KEY"));
        let mixed = s3(&[("KENSA_S3_CREDENTIALS", "aws-chain"), ("KENSA_S3_SESSION_TOKEN", "T")]);
        assert!(mixed.is_err_and(|e| e.variable == "KENSA_S3_SESSION_TOKEN"));
        let typo = s3(&[("KENSA_S3_CREDENTIALS", "irsa")]);
        assert!(typo.is_err_and(|e| e.variable == "KENSA_S3_CREDENTIALS"));
    }

    #[test]
    fn the_aws_chain_takes_only_the_aws_credential_variables() -> Result<(), ConfigError> {
        let chain = s3(&[
            ("KENSA_S3_CREDENTIALS", "aws-chain"),
            ("AWS_ROLE_ARN", "arn:aws:iam::1:role/kensa"),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/token"),
        ])?;
        let S3Credentials::AwsChain(vars) = chain else { panic!("{chain:?}") };
        let names: Vec<&str> = vars.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, ["AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN"]);
        Ok(())
    }
}
