//! `spawn_app()`: the real application on port 0 with a fresh database per test — SQLite
//! by default, a new PostgreSQL database when `TEST_DATABASE_URL` is set, Redis when
//! `TEST_REDIS_URL` is set.

use std::collections::BTreeMap;
use std::path::PathBuf;

use std::sync::Arc;

use kensa_api::Application;

use kensa_domain::Kensa;
use kensa_domain::clock::ManualClock;
use kensa_domain::config::Settings;
use kensa_worker::{RunReport, Worker, mail};
use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const PASSWORD: &str = "correct-Horse-battery-9";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub kensa: Kensa,
    /// A connection of the test's own to the app's database, for arranging rows the API
    /// cannot make (corrupt values, expired links) and for reading what it wrote. The
    /// application's pool stays private to the domain crate.
    pub db: sea_orm::DatabaseConnection,
    /// The app's clock: it starts at the real time and stands still until a test moves it.
    pub clock: Arc<ManualClock>,
    pub settings: Settings,
    /// The environment the app was configured from (for worker processes of its own).
    pub vars: BTreeMap<String, String>,
    data_dir: PathBuf,
    postgres_db: Option<(String, String)>,
}

/// A signed-in user of a fresh organization.
#[derive(Clone, Debug)]
pub struct Member {
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
    pub user_id: String,
    pub org_id: String,
}

pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// The settings every test app starts from, as environment variables.
pub fn base_vars(data_dir: &std::path::Path) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    vars.insert("KENSA_DATA_DIR".into(), data_dir.display().to_string());
    vars.insert("KENSA_BIND".into(), "127.0.0.1:0".into());
    vars.insert("KENSA_JWT_SECRET".into(), JWT_SECRET.into());
    vars.insert("KENSA_EMBEDDED_WORKER".into(), "false".into());
    vars.insert("KENSA_LOG".into(), "warn".into());
    vars.insert("KENSA_PUBLIC_URL".into(), "http://kensa.test".into());
    // Every test client is 127.0.0.1; tests of the sign-up throttle set their own allowance.
    vars.insert("KENSA_SIGNUPS_PER_ADDRESS_PER_HOUR".into(), "1000".into());
    vars
}

async fn fresh_postgres(admin_url: &str) -> Result<(String, String), Box<dyn std::error::Error>> {
    let name = format!("kensa_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(admin_url).await?;
    admin.execute_raw(Statement::from_string(admin.get_database_backend(), format!("CREATE DATABASE {name}"))).await?;
    admin.close().await?;
    let mut url = url::Url::parse(admin_url)?;
    url.set_path(&format!("/{name}"));
    Ok((url.to_string(), name))
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app after `adjust` has changed the environment it reads.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut BTreeMap<String, String>)) -> TestApp {
    match try_spawn(adjust).await {
        Ok(app) => app,
        Err(e) => panic!("the test app did not start: {e}"),
    }
}

async fn try_spawn(adjust: impl FnOnce(&mut BTreeMap<String, String>)) -> Result<TestApp, Box<dyn std::error::Error>> {
    kensa_api::s3_store::install_crypto_provider();
    let data_dir = std::env::temp_dir().join(format!("kensa-test-{}", uuid::Uuid::new_v4().simple()));
    let mut vars = base_vars(&data_dir);
    let mut postgres_db = None;
    if let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") {
        let (url, name) = fresh_postgres(&admin_url).await?;
        vars.insert("DATABASE_URL".into(), url);
        postgres_db = Some((admin_url, name));
    }
    if let Ok(redis_url) = std::env::var("TEST_REDIS_URL") {
        vars.insert("REDIS_URL".into(), redis_url);
        vars.insert("KENSA_REDIS_PREFIX".into(), format!("kensa-test-{}", uuid::Uuid::new_v4().simple()));
    }
    if let Ok(endpoint) = std::env::var("TEST_S3_ENDPOINT") {
        // A fresh bucket per test in an S3-compatible server (moto in CI).
        let bucket = format!("kensa-test-{}", uuid::Uuid::new_v4().simple());
        let created = reqwest::Client::new().put(format!("{}/{bucket}", endpoint.trim_end_matches('/'))).send().await?;
        if !created.status().is_success() {
            return Err(format!("creating bucket {bucket}: {}", created.status()).into());
        }
        vars.insert("KENSA_S3_ENDPOINT".into(), endpoint);
        vars.insert("KENSA_S3_BUCKET".into(), bucket);
        vars.insert("KENSA_S3_ACCESS_KEY_ID".into(), "kensa-test".into());
        vars.insert("KENSA_S3_SECRET_ACCESS_KEY".into(), "kensa-test-secret".into());
    }
    adjust(&mut vars);
    let settings = Settings::from_vars(vars.clone())?;
    let clock = ManualClock::starting_at(chrono::Utc::now());
    let app = Application::build_with_clock(settings.clone(), clock.clone()).await?;
    let address = format!("http://127.0.0.1:{}", app.port());
    let kensa = app.kensa();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let db = sea_orm::Database::connect(settings.database_url.expose().as_str()).await?;
    Ok(TestApp { address, client, kensa, db, clock, settings, vars, data_dir, postgres_db })
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some((admin_url, name)) = self.postgres_db.take() {
            // Runs on its own thread and runtime: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                rt.block_on(async {
                    if let Ok(admin) = sea_orm::Database::connect(&admin_url).await {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        let _ = admin.execute_raw(Statement::from_string(admin.get_database_backend(), sql)).await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A response read whole: status, headers and JSON body (`Null` when empty or not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    /// The body as sent (files, CSV).
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn content_type(&self) -> &str {
        self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// A response header as text ("" when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// Asserts a problem+json answer with this status and code.
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {}", self.body);
        assert_eq!(self.content_type(), "application/problem+json", "body: {}", self.body);
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["status"], status);
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn request(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let response = match req.send().await {
            Ok(r) => r,
            Err(e) => panic!("request to {path} failed: {e}"),
        };
        Self::read(response).await
    }

    /// A request with headers of its own (`Idempotency-Key`, `If-Match`).
    pub async fn send_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        match req.send().await {
            Ok(r) => Self::read(r).await,
            Err(e) => panic!("request to {path} failed: {e}"),
        }
    }

    pub async fn read(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.unwrap_or_default();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, body, bytes: bytes.to_vec() }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.request(Method::DELETE, path, token, None).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn graphql(&self, token: Option<&str>, query: &str) -> Reply {
        self.post("/graphql", token, json!({ "query": query })).await
    }

    /// Signs up a new organization and returns its owner.
    pub async fn signup(&self, organization: &str) -> Member {
        let email = unique_email("owner");
        let reply = self
            .post(
                "/api/v1/auth/signup",
                None,
                json!({ "organization_name": organization, "name": "Owner", "email": email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "signup failed: {}", reply.body);
        let owner = member(email, &reply.body);
        self.mark_verified(&owner).await;
        owner
    }

    /// Signs up a new organization whose owner has not verified their address yet (the
    /// verification mail is queued, not sent).
    pub async fn signup_unverified(&self, organization: &str) -> Member {
        let email = unique_email("owner");
        let body = json!({ "organization_name": organization, "name": "Owner", "email": email, "password": PASSWORD });
        let reply = self.post("/api/v1/auth/signup", None, body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "signup failed: {}", reply.body);
        member(email, &reply.body)
    }

    /// Marks the member's address (and, for an owner, the organization) verified, as
    /// following the mailed link does, and drops the queued verification mail.
    ///
    /// Why in SQL and not by following the link: the link exists only once the worker sends
    /// the mail, and a worker run inside `signup` would also send every job the test queued
    /// before (and count them in its report), which the many tests that count their mails
    /// and jobs do not expect. `email_verification.rs` follows the real link end to end.
    pub async fn mark_verified(&self, m: &Member) {
        let (Ok(user), Ok(org)) = (m.user_id.parse::<uuid::Uuid>(), m.org_id.parse::<uuid::Uuid>()) else {
            panic!("member without ids: {m:?}");
        };
        let backend = self.db.get_database_backend();
        let statements: [(&str, Vec<sea_orm::Value>); 3] = [
            ("UPDATE users SET email_verified_at = created_at WHERE id = $1", vec![user.into()]),
            (
                "UPDATE organizations SET verified_at = created_at WHERE id = $1 AND verified_at IS NULL \
                 AND EXISTS (SELECT 1 FROM users WHERE users.id = $2 AND users.role = 'owner')",
                vec![org.into(), user.into()],
            ),
            ("DELETE FROM jobs WHERE dedupe_key LIKE $1", vec![format!("email_verification_mail:{user}:%").into()]),
        ];
        for (sql, values) in statements {
            if let Err(e) = self.db.execute_raw(Statement::from_sql_and_values(backend, sql, values)).await {
                panic!("{sql}: {e}");
            }
        }
        self.kensa.principals.invalidate(user);
    }

    /// The same member signed in again: access tokens expire by the app's clock, so a test
    /// that moves it past 15 minutes needs a fresh one.
    pub async fn signed_in_again(&self, m: &Member) -> Member {
        let reply = self.login(&m.email, PASSWORD).await;
        assert_eq!(reply.status, StatusCode::OK, "sign in again: {}", reply.body);
        member(m.email.clone(), &reply.body)
    }

    pub async fn login(&self, email: &str, password: &str) -> Reply {
        self.post("/api/v1/auth/login", None, json!({ "email": email, "password": password })).await
    }

    /// Invites `role` into `admin`'s organization, delivers the mail and accepts it.
    pub async fn add_member(&self, admin: &Member, role: &str) -> Member {
        let email = unique_email(role);
        let reply = self
            .post("/api/v1/users/invitations", Some(&admin.access_token), json!({ "email": email, "role": role }))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "invite failed: {}", reply.body);
        self.run_worker().await;
        let token = self.invitation_token_for(&email);
        let reply = self
            .post(
                &format!("/api/v1/user-invitations/{token}/accept"),
                None,
                json!({ "name": role, "password": PASSWORD }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "accept failed: {}", reply.body);
        member(email, &reply.body)
    }

    pub fn worker(&self) -> Worker {
        match mail::from_settings(&self.settings) {
            Ok(mailer) => Worker::new(self.kensa.clone(), mailer).with_concurrency(self.settings.worker_concurrency),
            Err(e) => panic!("mailer: {e}"),
        }
    }

    /// Runs the worker once, as `kensa-worker run-once` would, at the app clock's time.
    pub async fn run_worker(&self) -> RunReport {
        self.run_worker_at(self.kensa.now()).await
    }

    pub async fn run_worker_at(&self, now: chrono::DateTime<chrono::Utc>) -> RunReport {
        match self.worker().run_once(now).await {
            Ok(report) => report,
            Err(e) => panic!("worker failed: {e}"),
        }
    }

    /// Every mail in the outbox: its headers and its text part, decoded (searchable text).
    pub fn mails(&self) -> Vec<String> {
        self.parsed_mails().into_iter().map(|m| format!("{}\n\n{}", m.headers, m.text)).collect()
    }

    pub fn mails_to(&self, email: &str) -> Vec<String> {
        self.mails()
            .into_iter()
            .filter(|m| m.to_lowercase().contains(&format!("to: {}", email.to_lowercase())))
            .collect()
    }

    /// Every mail in the outbox, its parts decoded.
    pub fn parsed_mails(&self) -> Vec<ParsedMail> {
        let dir = mail::outbox_dir(&self.settings);
        let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .map(|raw| parse_mail(&raw))
            .collect()
    }

    /// The HTML parts of the mails to `email`.
    pub fn html_mails_to(&self, email: &str) -> Vec<String> {
        self.parsed_mails().into_iter().filter(|m| m.is_to(email)).map(|m| m.html).collect()
    }

    /// The token of the newest invitation link mailed to `email`.
    pub fn invitation_token_for(&self, email: &str) -> String {
        let mails = self.mails_to(email);
        let tokens: Vec<String> = mails.iter().filter_map(|m| link_token(m, "/join/")).collect();
        match tokens.last() {
            Some(t) if tokens.len() == 1 => t.clone(),
            _ => panic!("expected exactly one invitation mail to {email}, found {}", tokens.len()),
        }
    }

    pub async fn execute_sql(&self, sql: &str) {
        let backend = self.db.get_database_backend();
        if let Err(e) = self.db.execute_raw(Statement::from_string(backend, sql.to_owned())).await {
            panic!("{sql}: {e}");
        }
    }
}

pub fn member(email: String, body: &Value) -> Member {
    Member {
        email,
        access_token: body["access_token"].as_str().unwrap_or_default().to_owned(),
        refresh_token: body["refresh_token"].as_str().unwrap_or_default().to_owned(),
        user_id: body["user"]["id"].as_str().unwrap_or_default().to_owned(),
        org_id: body["organization"]["id"].as_str().unwrap_or_default().to_owned(),
    }
}

/// The token that follows `marker` in a mail (`…/join/<token>`).
pub fn link_token(mail: &str, marker: &str) -> Option<String> {
    let start = mail.find(marker)? + marker.len();
    Some(mail[start..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect())
}

/// A mail as tests read it: the top-level headers as they are (LF line ends), the text and
/// the HTML part decoded (empty when the mail has no such part).
#[derive(Clone, Debug, Default)]
pub struct ParsedMail {
    pub headers: String,
    pub text: String,
    pub html: String,
}

impl ParsedMail {
    pub fn is_to(&self, email: &str) -> bool {
        self.headers.to_lowercase().contains(&format!("to: {}", email.to_lowercase()))
    }

    /// The value of the first header called `name` (unfolded), if any.
    pub fn header(&self, name: &str) -> Option<String> {
        header_value(&self.headers, name)
    }
}

fn header_value(headers: &str, name: &str) -> Option<String> {
    let prefix = format!("{}:", name.to_lowercase());
    let mut found: Option<String> = None;
    for line in headers.lines() {
        match found.as_mut() {
            Some(value) if line.starts_with([' ', '\t']) => value.push_str(line),
            Some(_) => break,
            None if line.to_lowercase().starts_with(&prefix) => found = Some(line[prefix.len()..].trim().to_owned()),
            None => {}
        }
    }
    found
}

/// Parses a stored mail: a single part, or the parts of a multipart one.
pub fn parse_mail(raw: &str) -> ParsedMail {
    let raw = raw.replace("\r\n", "\n");
    let (headers, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let mut mail = ParsedMail { headers: headers.to_owned(), ..ParsedMail::default() };
    let content_type = header_value(headers, "content-type").unwrap_or_default();
    let boundary = content_type
        .split(';')
        .filter_map(|p| p.trim().strip_prefix("boundary="))
        .map(|b| b.trim_matches('"').to_owned())
        .next();
    let parts: Vec<(String, String)> = match boundary {
        Some(boundary) if content_type.to_lowercase().starts_with("multipart/") => body
            .split(&format!("--{boundary}"))
            .skip(1)
            .filter(|p| !p.starts_with("--"))
            .map(|p| {
                let p = p.strip_prefix('\n').unwrap_or(p);
                let (h, b) = p.split_once("\n\n").unwrap_or((p, ""));
                (h.to_owned(), decode_body(h, b.strip_suffix('\n').unwrap_or(b)))
            })
            .collect(),
        _ => vec![(headers.to_owned(), decode_body(headers, body))],
    };
    for (part_headers, text) in parts {
        let kind = header_value(&part_headers, "content-type").unwrap_or_default().to_lowercase();
        if kind.starts_with("text/html") {
            mail.html = text;
        } else if kind.is_empty() || kind.starts_with("text/plain") {
            mail.text = text;
        }
    }
    mail
}

/// A body decoded from base64 or quoted-printable, as its headers say.
fn decode_body(headers: &str, body: &str) -> String {
    use base64::Engine;
    let encoding = header_value(headers, "content-transfer-encoding").unwrap_or_default().to_lowercase();
    if encoding == "base64" {
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD
            .decode(compact)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .unwrap_or_default()
    } else if encoding == "quoted-printable" {
        decode_quoted_printable(body)
    } else {
        body.to_owned()
    }
}

fn decode_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len() + 1
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A due date `days` from today, as the API takes it.
pub fn due_in(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days)).format("%Y-%m-%d").to_string()
}

impl TestApp {
    pub async fn builtin_template(&self, member: &Member) -> String {
        let list = self.get("/api/v1/templates", Some(&member.access_token)).await;
        list.body["data"]
            .as_array()
            .and_then(|d| d.iter().find(|t| t["key"] == "jama-japia"))
            .and_then(|t| t["id"].as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no built-in template: {}", list.body))
    }

    pub async fn create_supplier(&self, buyer: &Member, name: &str, level: u8) -> (String, String) {
        let email = unique_email(&name.to_lowercase().replace(' ', "-"));
        let reply = self
            .post(
                "/api/v1/suppliers",
                Some(&buyer.access_token),
                json!({ "name": name, "contact_name": "Contact", "contact_email": email, "target_level": level, "tier": "tier1" }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "create supplier: {}", reply.body);
        (reply.body["id"].as_str().unwrap_or_default().to_owned(), email)
    }

    /// Sends the built-in check sheet to the suppliers; returns the campaign.
    pub async fn create_campaign(&self, buyer: &Member, supplier_ids: &[String], target_level: Option<u8>) -> Value {
        let template = self.builtin_template(buyer).await;
        let mut body = json!({ "name": "FY2026 review", "template_id": template, "due_date": due_in(30), "supplier_ids": supplier_ids });
        if let Some(level) = target_level {
            body["target_level"] = json!(level);
        }
        let reply = self.post("/api/v1/campaigns", Some(&buyer.access_token), body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "create campaign: {}", reply.body);
        reply.body
    }

    /// The token of the newest supplier invitation mailed to `email`.
    pub fn supplier_token_for(&self, email: &str) -> String {
        let tokens: Vec<String> = self.mails_to(email).iter().filter_map(|m| link_token(m, "/invitations/")).collect();
        match tokens.as_slice() {
            [token] => token.clone(),
            _ => panic!("expected one supplier invitation to {email}, found {}", tokens.len()),
        }
    }

    /// Accepts a supplier invitation by creating the supplier's organization.
    pub async fn accept_as_new_supplier(&self, token: &str, organization: &str) -> Member {
        let email = unique_email("supplier");
        let reply = self
            .post(
                &format!("/api/v1/invitations/{token}/accept"),
                None,
                json!({ "name": "Sato", "email": email, "password": PASSWORD, "organization_name": organization }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "accept: {}", reply.body);
        // A colleague of the invited contact (same domain): linked at once, but their own
        // address is unproven, so verified here as `signup` does (see `mark_verified`).
        let owner = member(email, &reply.body);
        self.mark_verified(&owner).await;
        owner
    }

    /// A buyer with one supplier that accepted its invitation: (buyer, supplier, assessment id).
    pub async fn invited_supplier(&self, level: u8) -> (Member, Member, String) {
        let buyer = self.signup("Buyer Motors").await;
        let (supplier_id, email) = self.create_supplier(&buyer, "Parts Co", level).await;
        let campaign = self.create_campaign(&buyer, &[supplier_id], None).await;
        self.run_worker().await;
        let token = self.supplier_token_for(&email);
        let supplier = self.accept_as_new_supplier(&token, "Parts Co KK").await;
        let assessment = campaign["assessments"][0]["id"].as_str().unwrap_or_default().to_owned();
        (buyer, supplier, assessment)
    }

    /// A new supplier of `buyer` invited in a campaign, whose invitation is accepted from
    /// `email` at another domain: the buyer must confirm. Returns (the campaign, the claim id).
    pub async fn claimed_invitation(&self, buyer: &Member, supplier: &str, email: &str) -> (Value, String) {
        let (supplier_id, contact) = self.create_supplier(buyer, supplier, 1).await;
        let campaign = self.create_campaign(buyer, &[supplier_id], Some(1)).await;
        self.run_worker().await;
        let token = self.supplier_token_for(&contact);
        let reply = self
            .post(
                &format!("/api/v1/invitations/{token}/accept"),
                None,
                json!({ "name": "Claimant", "email": email, "password": PASSWORD, "organization_name": "Elsewhere KK" }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "accept from elsewhere: {}", reply.body);
        (campaign, reply.body["claim_id"].as_str().unwrap_or_default().to_owned())
    }

    /// In-scope item numbers of an assessment.
    pub async fn scope_of(&self, member: &Member, assessment: &str) -> Vec<u64> {
        let questions =
            self.get(&format!("/api/v1/assessments/{assessment}/questions"), Some(&member.access_token)).await;
        questions.body["data"]
            .as_array()
            .map(|q| q.iter().filter_map(|i| i["no"].as_u64()).collect())
            .unwrap_or_default()
    }

    /// Uploads one evidence file (multipart `file`) as `member`.
    pub async fn upload_evidence(
        &self,
        member: &Member,
        assessment: &str,
        name: &str,
        mime: &str,
        bytes: Vec<u8>,
    ) -> Reply {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        let part = match part.mime_str(mime) {
            Ok(part) => part,
            Err(e) => panic!("a test's MIME type {mime:?}: {e}"),
        };
        let sent = self
            .client
            .post(self.url(&format!("/api/v1/assessments/{assessment}/evidence")))
            .bearer_auth(&member.access_token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await;
        match sent {
            Ok(response) => TestApp::read(response).await,
            Err(e) => panic!("upload to {assessment}: {e}"),
        }
    }

    /// Answers every in-scope item `implemented` in one bulk request.
    pub async fn answer_all(&self, supplier: &Member, assessment: &str) -> Reply {
        let answers: Vec<Value> = self
            .scope_of(supplier, assessment)
            .await
            .into_iter()
            .map(|no| json!({ "no": no, "status": "implemented" }))
            .collect();
        self.post(
            &format!("/api/v1/assessments/{assessment}/answers"),
            Some(&supplier.access_token),
            json!({ "answers": answers }),
        )
        .await
    }
}

/// The address of an external service a test needs (`TEST_S3_ENDPOINT`, `TEST_REDIS_URL`).
/// Unset, the test is skipped on a developer's machine but FAILS under `CI=true`: a test
/// that CI cannot run must not pass there. (`.ci/run`'s first pass, which starts no
/// services, names these tests in `--skip`; its second pass provides them.)
pub fn external_service(variable: &str) -> Result<Option<String>, String> {
    match std::env::var(variable) {
        Ok(value) if !value.trim().is_empty() => Ok(Some(value)),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1") => {
            Err(format!("{variable} is not set, and CI=true: this test needs that service in CI"))
        }
        _ => {
            eprintln!("{variable} not set: skipped here; CI runs this test with the service");
            Ok(None)
        }
    }
}

/// Whether an external program a test needs is there (`python3` with `aiosmtpd`…): `probe`
/// is a command line that succeeds when it is. Missing, the test is skipped on a developer's
/// machine (saying why) but FAILS under `CI=true`, like [`external_service`]; `.ci/run`
/// installs what these tests need.
pub fn external_program(what: &str, probe: &[&str]) -> Result<bool, String> {
    let Some((program, args)) = probe.split_first() else { return Err("empty probe".into()) };
    let present = std::process::Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    match present {
        true => Ok(true),
        false if std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1") => {
            Err(format!("{what} is missing (`{}` failed), and CI=true: this test needs it in CI", probe.join(" ")))
        }
        false => {
            eprintln!("{what} is missing (`{}` failed): skipped here; CI runs this test", probe.join(" "));
            Ok(false)
        }
    }
}

/// A REST body as a GraphQL input value: the same fields in GraphQL's casing
/// (`guideline_version` → `guidelineVersion`). Enum values are the caller's to write.
pub fn graphql_input(value: &Value) -> Value {
    fn camel(key: &str) -> String {
        let mut out = String::new();
        let mut upper = false;
        for c in key.chars() {
            match c {
                '_' => upper = true,
                c if upper => {
                    out.extend(c.to_uppercase());
                    upper = false;
                }
                c => out.push(c),
            }
        }
        out
    }
    match value {
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (camel(k), graphql_input(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(graphql_input).collect()),
        other => other.clone(),
    }
}
