//! `Idempotency-Key`: a client that retries a creating request (after a timeout, a dropped
//! connection) gets the first response again instead of a second campaign and a second
//! round of mails.
//!
//! The first request with a key *claims* it in its own short transaction (a row with no
//! response yet; the unique index on `(organization_id, idem_key)` makes two replicas racing
//! on one key meet there), runs, and then *completes* the claim with its response, or
//! *abandons* it when it failed (nothing happened, so a retry may run again). A later request
//! with the key and the same fingerprint (user, method, path, body) gets the stored response;
//! with another fingerprint, 422 `idempotency_key_reused`; while the first one still runs,
//! 409 `idempotency_key_in_use`. Records live 24 hours; the worker deletes expired ones.
//!
//! A process that dies between its business commit and storing the response leaves a claim
//! without a response: retries get 409 until the record expires, never a second execution.

mod repo;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use tracing::instrument;
use uuid::Uuid;

use crate::Kensa;
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::tenant::TenantCtx;

/// How long a key is remembered.
pub const TTL: Duration = Duration::hours(24);
/// Characters a key may have (a UUID has 36).
pub const MAX_KEY_CHARS: usize = 255;
/// Bytes of response body kept for replay: above every response a keyed route gives (the
/// largest, a campaign of 5,000 suppliers with 200-character Japanese names, is about 5 MB;
/// a typical one a few KB). A larger one is not kept and its key is released, logged.
pub const MAX_STORED_BODY: usize = 8 * 1024 * 1024;
/// Response headers kept for replay, and bytes of each.
pub const MAX_STORED_HEADERS: usize = 32;
pub const MAX_HEADER_BYTES: usize = 4096;

/// A well-formed key: 1–255 printable ASCII characters (a UUID is the usual choice).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        const FIELD: &str = "Idempotency-Key";
        let key = raw.trim();
        if key.is_empty() {
            return Err(FieldError::new(FIELD, ErrorCode::Required, "must not be empty"));
        }
        if key.len() > MAX_KEY_CHARS {
            return Err(FieldError::new(FIELD, ErrorCode::TooLong, format!("at most {MAX_KEY_CHARS} characters")));
        }
        if !key.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(FieldError::new(FIELD, ErrorCode::InvalidCharacters, "printable ASCII only, e.g. a UUID"));
        }
        Ok(Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What identifies "the same request": the caller, the method and path, and a digest of the
/// body (raw bytes, or for uploads the file's digest and the form's fields).
pub fn fingerprint(ctx: &TenantCtx, method: &str, path: &str, body_digest: &[u8]) -> String {
    let mut h = Sha256::new();
    for part in
        [ctx.user_id().map(|u| u.0.to_string()).unwrap_or_default().as_bytes(), method.as_bytes(), path.as_bytes()]
    {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(body_digest);
    hex::encode(h.finalize())
}

/// A response as the HTTP layer hands it over and gets it back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The key is ours: run the request, then [`complete`] or [`abandon`].
#[derive(Debug)]
#[must_use = "a claim is completed or abandoned"]
pub struct Claim {
    id: Uuid,
}

/// What [`begin`] found.
#[derive(Debug)]
pub enum Begin {
    /// First use of the key: go ahead.
    Run(Claim),
    /// The same request succeeded before: answer this.
    Replay(StoredResponse),
}

fn reused() -> DomainError {
    DomainError::Unprocessable {
        code: ErrorCode::IdempotencyKeyReused,
        detail: "this Idempotency-Key was used for a different request; use a new key for a new request".into(),
        errors: vec![FieldError::new(
            "Idempotency-Key",
            ErrorCode::IdempotencyKeyReused,
            "already used with another method, path, body or user",
        )],
    }
}

/// Claims `key` for this request, or finds what an earlier request with it left.
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn begin(k: &Kensa, ctx: &TenantCtx, key: &IdempotencyKey, fingerprint: &str) -> DomainResult<Begin> {
    let txn = k.begin_write().await?;
    let now = txn.now();
    if let Some(id) = repo::claim(&txn, ctx, key.as_str(), fingerprint, now, now + TTL).await? {
        txn.commit().await?;
        return Ok(Begin::Run(Claim { id }));
    }
    let found = repo::find(&txn, ctx, key.as_str()).await?;
    txn.commit().await?;
    let Some(found) = found else {
        // Expired and swept between our two statements: rare enough to ask for a retry.
        return Err(in_use());
    };
    if found.fingerprint != fingerprint {
        return Err(reused());
    }
    match (found.response_status, found.response_body) {
        (Some(status), Some(body)) => Ok(Begin::Replay(StoredResponse {
            status: u16::try_from(status).map_err(DomainError::internal)?,
            headers: found
                .response_headers
                .and_then(|h| serde_json::from_value::<Vec<(String, String)>>(h).ok())
                .unwrap_or_default(),
            body,
        })),
        _ => Err(in_use()),
    }
}

fn in_use() -> DomainError {
    DomainError::conflict(
        ErrorCode::IdempotencyKeyInUse,
        "a request with this Idempotency-Key is still being processed; retry in a moment",
    )
}

/// Whether the organization holds a live record of `key` (a retry, or a reuse).
pub async fn exists(k: &Kensa, ctx: &TenantCtx, key: &IdempotencyKey) -> DomainResult<bool> {
    Ok(repo::find(&k.db, ctx, key.as_str()).await?.is_some_and(|r| r.expires_at > k.now()))
}

/// Keeps the response of a successful request for replay. A body over
/// [`MAX_STORED_BODY`] is not kept: the key is released instead (logged).
pub async fn complete(k: &Kensa, claim: Claim, response: &StoredResponse) -> DomainResult<()> {
    if response.body.len() > MAX_STORED_BODY {
        tracing::warn!(bytes = response.body.len(), "response too large to keep for Idempotency-Key replay");
        return abandon(k, claim).await;
    }
    let headers: Vec<&(String, String)> = response
        .headers
        .iter()
        .filter(|(n, v)| n.len() + v.len() <= MAX_HEADER_BYTES)
        .take(MAX_STORED_HEADERS)
        .collect();
    let txn = k.begin_write().await?;
    repo::complete(&txn, claim.id, response.status, serde_json::json!(headers), &response.body).await?;
    txn.commit().await?;
    Ok(())
}

/// The request failed (nothing was changed): the key may be used again.
pub async fn abandon(k: &Kensa, claim: Claim) -> DomainResult<()> {
    let txn = k.begin_write().await?;
    repo::release(&txn, claim.id).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes records that expired before `now`, a bounded batch at a time; returns how many.
pub async fn purge_expired(k: &Kensa, now: DateTime<Utc>) -> DomainResult<u64> {
    let txn = k.begin_write().await?;
    let deleted = repo::purge(&txn, now, 1_000).await?;
    txn.commit().await?;
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_printable_ascii() {
        assert!(IdempotencyKey::parse("0b6f6f6e-8a4d-4c55-9a1e-2a8c8c1f0c11").is_ok());
        assert_eq!(IdempotencyKey::parse("  k1 ").map(|k| k.0), Ok("k1".to_owned()));
        assert_eq!(IdempotencyKey::parse("").map_err(|e| e.code), Err(ErrorCode::Required));
        assert_eq!(IdempotencyKey::parse(&"a".repeat(256)).map_err(|e| e.code), Err(ErrorCode::TooLong));
        assert!(IdempotencyKey::parse(&"a".repeat(255)).is_ok());
        assert_eq!(IdempotencyKey::parse("caf\u{e9}").map_err(|e| e.code), Err(ErrorCode::InvalidCharacters));
        assert_eq!(IdempotencyKey::parse("a\u{7}b").map_err(|e| e.code), Err(ErrorCode::InvalidCharacters));
    }
}
