//! Extractors: the authenticated tenant, request metadata and a JSON body with
//! problem+json errors (400 malformed, 413 too large, 415 wrong type, 422 wrong shape).

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use kensa_domain::ErrorCode;
use kensa_domain::tenant::{RequestMeta, TenantCtx};
use kensa_domain::{DomainError, IfMatch};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::observe::RequestId;
use crate::state::AppState;

pub const JSON_LIMIT: usize = 1024 * 1024;

/// Where the request came from: the peer address, or what trusted proxies
/// (`KENSA_TRUSTED_PROXIES`) say in `X-Forwarded-For`.
pub fn request_meta(req: &HttpRequest) -> RequestMeta {
    let peer = req.peer_addr().map(|a| a.ip());
    let client_ip = match req.app_data::<web::Data<AppState>>() {
        Some(state) if !state.kensa.auth_limits.trusted_proxies.is_empty() => {
            let forwarded: Vec<&str> =
                req.headers().get_all("x-forwarded-for").filter_map(|v| v.to_str().ok()).collect();
            state.kensa.auth_limits.client_address(peer, &forwarded)
        }
        _ => peer,
    };
    RequestMeta {
        client_ip: client_ip.map(|ip| ip.to_string()),
        request_id: req.extensions().get::<RequestId>().map(|r| r.0.clone()),
        quotas: Default::default(),
        api_key: None,
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().filter(|c| !c.is_control()).take(256).collect()),
    }
}

pub fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| DomainError::internal("app state missing").into())
}

/// The bearer token of the request, if any.
pub fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    req.headers().get(header::AUTHORIZATION).map(bearer_token).transpose()
}

/// The token of an `Authorization` header value (401 unless `Bearer <token>`).
pub fn bearer_token(value: &header::HeaderValue) -> Result<String, ApiError> {
    let value = value.to_str().map_err(|_| ApiError::BadRequest("Authorization header is not ASCII".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => {
            Ok(token.trim().to_owned())
        }
        _ => Err(DomainError::Unauthenticated {
            code: ErrorCode::InvalidToken,
            detail: "expected Authorization: Bearer <token>",
        }
        .into()),
    }
}

/// Where the request came from.
pub struct Meta(pub RequestMeta);

impl FromRequest for Meta {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Meta(request_meta(req))))
    }
}

/// A signed-in caller. Anything else answers 401.
pub struct Auth(pub TenantCtx);

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let token = bearer(&req)?.ok_or(ApiError::MissingCredentials)?;
            let state = app_state(&req)?;
            let ctx = kensa_domain::auth::authenticate(&state.kensa, &token, request_meta(&req)).await?;
            Ok(Auth(ctx))
        })
    }
}

/// A JSON request body of at most `LIMIT` bytes (1 MiB unless a route says otherwise).
pub struct JsonBody<T, const LIMIT: usize = JSON_LIMIT>(pub T);

fn is_json(req: &HttpRequest) -> bool {
    req.mime_type().ok().flatten().is_some_and(|m| {
        m.type_() == "application" && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
    })
}

impl<T: DeserializeOwned + 'static, const LIMIT: usize> FromRequest for JsonBody<T, LIMIT> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        let req = req.clone();
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType("Content-Type: application/json"));
            }
            if declared.is_some_and(|n| n > LIMIT) {
                return Err(ApiError::PayloadTooLarge(LIMIT));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
                if body.len() + chunk.len() > LIMIT {
                    return Err(ApiError::PayloadTooLarge(LIMIT));
                }
                body.extend_from_slice(&chunk);
            }
            if json_values_exceed(&body, MAX_JSON_VALUES) {
                return Err(ApiError::TooManyJsonValues(MAX_JSON_VALUES));
            }
            crate::idempotency::remember_body(&req, &body);
            parse_json(&body).map(JsonBody)
        })
    }
}

/// A JSON body that may be left out entirely (no `Content-Type`, no bytes); when present it
/// is held to the same rules as [`JsonBody`].
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let absent = req.headers().get(header::CONTENT_TYPE).is_none()
            && req.headers().get(header::CONTENT_LENGTH).is_none_or(|v| v.as_bytes() == b"0");
        if absent {
            return Box::pin(std::future::ready(Ok(OptionalJsonBody(None))));
        }
        let body = JsonBody::<T>::from_request(req, payload);
        Box::pin(async move { body.await.map(|b| OptionalJsonBody(Some(b.0))) })
    }
}

/// Reads a body of at most `limit` bytes (413 beyond; the declared length is checked first),
/// from a handler's `web::Payload` or an extractor's own payload.
pub async fn read_body<S>(req: &HttpRequest, mut payload: S, limit: usize) -> Result<web::BytesMut, ApiError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge(limit));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    crate::idempotency::remember_body(req, &body);
    Ok(body)
}

/// JSON values (objects, arrays, scalars) one body may hold: a 2,000-item template is about
/// 50,000; an array of four million zeros fits in 8 MiB and would cost gigabytes parsed.
pub const MAX_JSON_VALUES: usize = 200_000;

/// True when `body` holds more than `max` JSON values, counted without building them
/// (strings, escapes included, are skipped whole).
pub fn json_values_exceed(body: &[u8], max: usize) -> bool {
    let mut values = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' | b',' => values += 1,
            _ => continue,
        }
        if values > max {
            return true;
        }
    }
    false
}

/// Syntax errors are 400; a well-formed document that breaks the text rule or has the wrong
/// shape is 422 listing every problem with its path (see [`crate::input`]).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // The common case, a valid document, straight into `T`: building a `serde_json::Value`
    // first cost a bulk save of 153 answers more CPU than its SQL did on the server
    // (docs/benchmarks.md, "Against the physical limit"). Anything that fails here is read
    // again below, which names every problem.
    if crate::input::text_rule_kept(body)
        && let Ok(parsed) = serde_json::from_slice(body)
    {
        return Ok(parsed);
    }
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::MalformedJson(strip_position(&e.to_string())))?;
    crate::input::from_body(body, value).map_err(|errors| DomainError::Validation(errors).into())
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// `If-Match: "3"` (or `3`, or `W/"3"`): the version the client last saw; `*`: any.
/// Anything else is 400 naming the header.
pub fn if_match(req: &HttpRequest) -> Result<IfMatch, ApiError> {
    req.headers().get(header::IF_MATCH).map_or(Ok(IfMatch::Absent), if_match_value)
}

/// One `If-Match` header value (see [`if_match`]).
pub fn if_match_value(value: &header::HeaderValue) -> Result<IfMatch, ApiError> {
    let text = value.to_str().unwrap_or_default().trim();
    if text == "*" {
        return Ok(IfMatch::Any);
    }
    text.trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i32>()
        .map(IfMatch::Version)
        .map_err(|_| ApiError::BadRequest("If-Match must be an ETag this API gave, e.g. \"3\", or *".into()))
}

/// `ETag: "<version>"`: what to send back in `If-Match`.
pub fn etag(version: i32) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{version}\""))
}

/// A query string as `T`: every parameter is held to the text rule of the domain, and every
/// unusable one is named (`422` with `errors: [{field: "limit", …}]`), not just the first.
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// Parses a query string, naming each parameter that breaks the text rule or does not fit `T`
/// (each is tried on its own: every query type of the API has only optional fields).
pub fn parse_query<T: DeserializeOwned>(raw: &str) -> Result<T, ApiError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes()).into_owned().collect();
    let mut errors: Vec<kensa_domain::FieldError> = pairs
        .iter()
        .filter_map(|(k, v)| {
            let field = k.escape_default().to_string();
            kensa_domain::text::check_chars(&field, k).and_then(|()| kensa_domain::text::check_chars(&field, v)).err()
        })
        .collect();
    let whole = web::Query::<T>::from_query(raw);
    match whole {
        Ok(query) if errors.is_empty() => return Ok(query.into_inner()),
        Ok(_) => {}
        Err(e) => {
            for (k, v) in &pairs {
                let alone = url::form_urlencoded::Serializer::new(String::new()).append_pair(k, v).finish();
                if let Err(e) = web::Query::<T>::from_query(&alone)
                    && !errors.iter().any(|f| &f.field == k)
                {
                    let message = e.to_string().replace("Query deserialize error: ", "");
                    errors.push(kensa_domain::FieldError::new(k.clone(), ErrorCode::InvalidValue, message));
                }
            }
            if errors.is_empty() {
                errors.push(kensa_domain::FieldError::new("query", ErrorCode::InvalidQuery, e.to_string()));
            }
        }
    }
    Err(DomainError::Validation(errors).into())
}
