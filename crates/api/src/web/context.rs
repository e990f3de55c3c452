//! What every page handler starts from: the language, the browser session (if any), the
//! CSRF token its forms carry, and the posted form checked against that token.
//!
//! Cookies: `kensa_session` (the session, HttpOnly, `SameSite=Lax`), `kensa_csrf` (the
//! CSRF secret of a visitor who is not signed in — sign-in and invitation forms — HttpOnly,
//! `SameSite=Strict`) and `kensa_lang` (the language switch). Outside development all three
//! are `Secure` and named with the `__Host-` prefix, which browsers accept only from this
//! exact host over HTTPS, for the whole site: a sibling subdomain cannot plant a session or
//! a known CSRF secret. None of them authenticates `/api/v1` or `/graphql`: those read only
//! `Authorization: Bearer`.

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use kensa_domain::auth::browser::{self, BrowserSession};
use kensa_domain::auth::tokens;
use kensa_domain::tenant::{RequestMeta, TenantCtx};
use kensa_domain::users::model::Locale;
use sha2::{Digest, Sha256};

use super::i18n::{Lang, Texts};
use crate::error::ApiError;
use crate::extract::{app_state, read_body, request_meta};
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "kensa_session";
pub const CSRF_COOKIE: &str = "kensa_csrf";
pub const LANG_COOKIE: &str = "kensa_lang";
/// The hidden field of every form.
pub const CSRF_FIELD: &str = "_csrf";
/// The header a script sends the token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A posted form before sign-in (sign-in, invitations): a few short fields.
const ANONYMOUS_FORM_LIMIT: usize = 64 * 1024;
/// A signed-in visitor's form: a review carries a comment per item, each up to 10,000
/// characters, and a Japanese character is 9 bytes percent-encoded.
const FORM_LIMIT: usize = 4 * 1024 * 1024;

/// The page's context.
pub struct Web {
    pub lang: Lang,
    pub session: Option<BrowserSession>,
    pub state: web::Data<AppState>,
    pub meta: RequestMeta,
    /// The token this visitor's forms carry.
    csrf: String,
    /// A new `kensa_csrf` cookie to set (first visit of a visitor who is not signed in).
    new_csrf_cookie: Option<String>,
    /// A session cookie that no longer works (idle, expired, signed out): cleared in the
    /// response; a form posted with it is answered "signed out", not "expired form".
    pub clear_session: bool,
    secure: bool,
    /// The path and query, for the language switch and sign-in's return.
    pub here: String,
}

impl Web {
    pub fn t(&self) -> &'static Texts {
        self.lang.texts()
    }

    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    pub fn tenant(&self) -> Option<&TenantCtx> {
        self.session.as_ref().map(|s| &s.tenant)
    }

    /// The signed-in tenant, or a redirect to the sign-in page (which returns here).
    // The error is the response a handler returns at once; boxing it would only add a step.
    #[allow(clippy::result_large_err)]
    pub fn signed_in(&self) -> Result<&TenantCtx, HttpResponse> {
        self.tenant().ok_or_else(|| self.finish(redirect(&format!("/sign-in?next={}", encode(&self.here)))))
    }

    pub fn secure_cookies(&self) -> bool {
        self.secure
    }

    /// Adds what this visitor's cookies need (a new CSRF secret, a dead session cleared).
    pub fn finish(&self, mut response: HttpResponse) -> HttpResponse {
        if let Some(value) = &self.new_csrf_cookie {
            let _ = response.add_cookie(&cookie(CSRF_COOKIE, value.clone(), self.secure, SameSite::Strict));
        }
        if self.clear_session {
            let _ = response.add_cookie(&removal(SESSION_COOKIE, self.secure));
        }
        response
    }
}

/// The cookie's name: `__Host-` prefixed when it is `Secure` (see the module's note).
pub fn cookie_name(base: &str, secure: bool) -> String {
    if secure { format!("__Host-{base}") } else { base.to_owned() }
}

/// The value of page cookie `base`, if the browser sent it.
pub fn cookie_value(req: &HttpRequest, base: &str, secure: bool) -> Option<String> {
    req.cookie(&cookie_name(base, secure)).map(|c| c.value().to_owned()).filter(|v| !v.is_empty())
}

/// In a page handler: the signed-in tenant, or return the redirect to the sign-in page
/// (which comes back here).
macro_rules! signed_in {
    ($w:expr) => {
        match $w.signed_in() {
            Ok(ctx) => ctx,
            Err(to_sign_in) => return Ok(to_sign_in),
        }
    };
}
pub(crate) use signed_in;

/// A cookie as every page cookie is set: HttpOnly, whole site, no domain, `Secure` and
/// `__Host-` outside development.
pub fn cookie(name: &'static str, value: String, secure: bool, same_site: SameSite) -> Cookie<'static> {
    Cookie::build(cookie_name(name, secure), value)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(same_site)
        .finish()
}

pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = cookie(name, String::new(), secure, SameSite::Lax);
    c.set_max_age(CookieDuration::ZERO);
    c
}

pub fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to.to_owned())).finish()
}

pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A path of this site to return to (never another origin: `//evil`, `/\evil`, schemes).
pub fn local_path(next: Option<&str>) -> Option<String> {
    let next = next?;
    let safe = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    safe.then(|| next.to_owned())
}

/// `Accept-Language` decides between Japanese and English: the first of the two it names.
fn from_accept_language(req: &HttpRequest) -> Option<Lang> {
    accept_language(req.headers().get(header::ACCEPT_LANGUAGE)?.to_str().ok()?)
}

/// The language an `Accept-Language` value prefers, of the two the pages speak.
pub fn accept_language(value: &str) -> Option<Lang> {
    let mut tags: Vec<(f32, Lang)> = value
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next()?.trim().to_ascii_lowercase();
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            let lang = if tag == "ja" || tag.starts_with("ja-") {
                Lang::Ja
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                return None;
            };
            Some((q, lang))
        })
        .collect();
    // Stable: of equal weights, the first named wins.
    tags.sort_by(|a, b| b.0.total_cmp(&a.0));
    tags.first().map(|t| t.1)
}

/// The visitor's language: the switch's cookie, else the signed-in user's own, else the
/// browser's `Accept-Language`, else Japanese.
fn language(req: &HttpRequest, session: Option<&BrowserSession>, secure: bool) -> Lang {
    if let Some(lang) = cookie_value(req, LANG_COOKIE, secure).and_then(|c| Lang::parse(&c)) {
        return lang;
    }
    if let Some(me) = session.and_then(|s| s.tenant.principal()) {
        return match me.user.locale {
            Locale::Ja => Lang::Ja,
            Locale::En => Lang::En,
        };
    }
    from_accept_language(req).unwrap_or(Lang::Ja)
}

/// The anonymous CSRF token is the HMAC-free digest of its cookie: the form carries the
/// digest, the cookie the secret, so reading a page's HTML never reveals the cookie.
fn anonymous_token(secret: &str) -> String {
    hex::encode(Sha256::digest(format!("kensa-csrf:{secret}").as_bytes()))
}

pub(super) async fn resolve(req: &HttpRequest) -> Result<Web, ApiError> {
    let state = app_state(req)?;
    let meta = request_meta(req);
    let secure = state.secure_cookies;
    let session_cookie = cookie_value(req, SESSION_COOKIE, secure);
    let session = match &session_cookie {
        Some(value) if value.len() <= 128 => browser::resolve(&state.kensa, value, meta.clone()).await?,
        _ => None,
    };
    let clear_session = session_cookie.is_some() && session.is_none();
    let (csrf, new_csrf_cookie) = match &session {
        Some(s) => (s.csrf_token.clone(), None),
        None => match cookie_value(req, CSRF_COOKIE, secure).filter(|v| v.len() >= 32 && v.len() <= 64) {
            Some(secret) => (anonymous_token(&secret), None),
            None => {
                let secret = tokens::random_token();
                (anonymous_token(&secret), Some(secret))
            }
        },
    };
    let lang = language(req, session.as_ref(), secure);
    let here = if req.method() == actix_web::http::Method::GET {
        match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        }
    } else {
        // A page rendered from a POST (a refused form) is not where the language switch or
        // the sign-in should return to: the page the form was on is.
        referring_page(req).unwrap_or_else(|| "/".to_owned())
    };
    Ok(Web { lang, session, state, meta, csrf, new_csrf_cookie, clear_session, secure, here })
}

/// The path and query of this site's page in `Referer`, if the browser sent one.
fn referring_page(req: &HttpRequest) -> Option<String> {
    let referer = url::Url::parse(req.headers().get(header::REFERER)?.to_str().ok()?).ok()?;
    let page = match referer.query() {
        Some(q) => format!("{}?{q}", referer.path()),
        None => referer.path().to_owned(),
    };
    local_path(Some(&page))
}

impl FromRequest for Web {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { resolve(&req).await })
    }
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A form posted by a page, its CSRF token checked (403 `csrf_failed` otherwise).
pub struct Form {
    fields: HashMap<String, String>,
}

impl Form {
    pub fn get(&self, name: &str) -> &str {
        self.fields.get(name).map(String::as_str).unwrap_or_default()
    }

    /// The field, trimmed; `None` when absent or blank.
    pub fn opt(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_owned()).filter(|v| !v.is_empty())
    }

    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self { fields: pairs.into_iter().collect() }
    }
}

/// A page and the form posted to it.
pub struct Posted {
    pub w: Web,
    pub form: Form,
}

pub fn csrf_refused() -> ApiError {
    ApiError::CsrfFailed
}

/// A form posted with a session that has ended.
pub fn signed_out() -> ApiError {
    kensa_domain::DomainError::Unauthenticated {
        code: kensa_domain::ErrorCode::SessionRevoked,
        detail: "this sign-in has ended; sign in again",
    }
    .into()
}

impl FromRequest for Posted {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let w = resolve(&req).await?;
            let is_form =
                req.mime_type().ok().flatten().is_some_and(|m| m.essence_str() == "application/x-www-form-urlencoded");
            if !is_form {
                return Err(ApiError::UnsupportedMediaType("Content-Type: application/x-www-form-urlencoded"));
            }
            let limit = if w.session.is_some() { FORM_LIMIT } else { ANONYMOUS_FORM_LIMIT };
            let body = read_body(&req, &mut payload, limit).await?;
            let form = Form::from_pairs(url::form_urlencoded::parse(&body).into_owned());
            let sent = req
                .headers()
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .unwrap_or_else(|| form.get(CSRF_FIELD).to_owned());
            if w.clear_session {
                // Signed out meanwhile (idle, elsewhere): say so, rather than "expired form".
                return Err(signed_out());
            }
            if !same_token(&sent, w.csrf()) {
                return Err(csrf_refused());
            }
            Ok(Posted { w, form })
        })
    }
}
