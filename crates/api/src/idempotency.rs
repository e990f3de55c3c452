//! `Idempotency-Key` on creating POSTs: the handler hands its work to [`Idempotency::run`],
//! which runs it once per key and organization and answers retries with the first response
//! (see `kensa_domain::idempotency` for the rules and the storage).

use std::future::Future;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse};
use kensa_domain::idempotency::{self, Begin, Claim, IdempotencyKey, StoredResponse};
use kensa_domain::tenant::TenantCtx;
use kensa_domain::{DomainError, Kensa};
use sha2::{Digest, Sha256};
use tracing::Instrument;

use crate::error::{ApiError, ApiResult};

pub const HEADER: &str = "idempotency-key";
/// Set on a replayed response.
pub const REPLAYED: &str = "idempotent-replayed";

/// SHA-256 of the request body, left on the request by the body extractors when the request
/// carries an `Idempotency-Key` (the body is consumed by then).
#[derive(Clone, Copy, Debug)]
struct BodyDigest([u8; 32]);

/// Called by the extractors that read a body whole.
pub fn remember_body(req: &HttpRequest, body: &[u8]) {
    if req.headers().contains_key(HEADER) {
        req.extensions_mut().insert(BodyDigest(Sha256::digest(body).into()));
    }
}

/// The request's `Idempotency-Key`, if it sent one (400 when it is malformed).
pub struct Idempotency {
    key: Option<IdempotencyKey>,
    req: HttpRequest,
    digest: Option<[u8; 32]>,
}

impl FromRequest for Idempotency {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let key = match req.headers().get(HEADER) {
            None => Ok(None),
            Some(value) => value
                .to_str()
                .map_err(|_| "printable ASCII only, e.g. a UUID".to_owned())
                .and_then(|v| IdempotencyKey::parse(v).map_err(|e| e.message))
                .map(Some)
                .map_err(|message| ApiError::BadRequest(format!("Idempotency-Key: {message}"))),
        };
        std::future::ready(key.map(|key| Idempotency { key, req: req.clone(), digest: None }))
    }
}

impl Idempotency {
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// What identifies the body when the extractors did not read it whole (multipart
    /// uploads, whose boundaries differ on every retry): the file's digest and the fields.
    pub fn with_digest(mut self, parts: &[&[u8]]) -> Self {
        let mut h = Sha256::new();
        for part in parts {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        self.digest = Some(h.finalize().into());
        self
    }

    /// True when this organization already used the key (a retry): the upload route then
    /// reads the body to compare it, without checking again what the first request checked.
    pub async fn seen(&self, k: &Kensa, ctx: &TenantCtx) -> ApiResult<bool> {
        match &self.key {
            Some(key) => Ok(idempotency::exists(k, ctx, key).await?),
            None => Ok(false),
        }
    }

    /// Runs `work` unless this key already ran it: then the stored response (422 when the
    /// key came with another request, 409 while the first is still running). The work runs
    /// in a task of its own, so a client that stops waiting (the retry case) does not cut
    /// it short between the commit and storing the response.
    pub async fn run<F>(self, k: &Kensa, ctx: &TenantCtx, work: F) -> ApiResult<HttpResponse>
    where
        F: Future<Output = ApiResult<HttpResponse>> + 'static,
    {
        let Some(key) = self.key else { return work.await };
        let digest = self
            .digest
            .or_else(|| self.req.extensions().get::<BodyDigest>().map(|d| d.0))
            .unwrap_or_else(|| Sha256::digest(b"").into());
        let path = self.req.uri().path_and_query().map_or_else(|| self.req.path().to_owned(), |p| p.to_string());
        // A retry carries the same precondition; another `If-Match` is another request.
        let if_match =
            self.req.headers().get(actix_web::http::header::IF_MATCH).map(|v| v.as_bytes()).unwrap_or_default();
        let request = [digest.as_slice(), if_match].concat();
        let fingerprint = idempotency::fingerprint(ctx, self.req.method().as_str(), &path, &request);
        match idempotency::begin(k, ctx, &key, &fingerprint).await? {
            Begin::Replay(stored) => replay(stored),
            Begin::Run(claim) => {
                let k = k.clone();
                // The task keeps the request's id (error bodies) and span (log lines).
                let request_id = crate::request_id::current().unwrap_or_default();
                let task = async move { finish(&k, claim, work.await).await }.instrument(tracing::Span::current());
                actix_web::rt::spawn(crate::request_id::scope(request_id, task))
                    .await
                    .map_err(|e| DomainError::internal(format!("idempotent request task: {e}")))?
            }
        }
    }
}

/// Keeps a success for replay; anything else changed nothing, so the key is given back.
async fn finish(k: &Kensa, claim: Claim, result: ApiResult<HttpResponse>) -> ApiResult<HttpResponse> {
    let response = match result {
        Ok(response) if response.status().is_success() => response,
        other => {
            if let Err(e) = idempotency::abandon(k, claim).await {
                tracing::error!(error = %e, "releasing an idempotency key failed");
            }
            return other;
        }
    };
    let (head, body) = response.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(bytes) => bytes,
        Err(body) => actix_web::body::to_bytes(body)
            .await
            .map_err(|e| DomainError::internal(format!("reading a response to keep: {e}")))?,
    };
    let stored = StoredResponse {
        status: head.status().as_u16(),
        headers: head
            .headers()
            .iter()
            .filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str().to_owned(), v.to_owned())))
            .collect(),
        body: bytes.to_vec(),
    };
    // The work is done and committed: a failure to store its response must not turn it
    // into an error (the claim then answers 409 until it expires, and never runs twice).
    if let Err(e) = idempotency::complete(k, claim, &stored).await {
        tracing::error!(error = %e, "storing a response for Idempotency-Key replay failed");
    }
    Ok(head.set_body(BoxBody::new(bytes)))
}

fn replay(stored: StoredResponse) -> ApiResult<HttpResponse> {
    let status = StatusCode::from_u16(stored.status).map_err(DomainError::internal)?;
    let mut response = HttpResponse::build(status);
    for (name, value) in &stored.headers {
        response.append_header((name.as_str(), value.as_str()));
    }
    response.insert_header((REPLAYED, "true"));
    Ok(response.body(stored.body))
}
