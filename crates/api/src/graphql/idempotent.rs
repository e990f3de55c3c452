//! `idempotencyKey` on GraphQL's creating mutations (`createSupplier`, `createCampaign`,
//! `uploadEvidence`, `addComment`, `createShare`, …): the rules and the table of REST's `Idempotency-Key`
//! (`kensa_domain::idempotency`): per organization and user, 24 hours; the same input again
//! gets the first result without doing anything twice, other input under the same key is
//! `idempotency_key_reused`, and a retry while the first still runs is
//! `idempotency_key_in_use`. The fingerprint names the mutation, so a key sent over REST
//! and over GraphQL never replays one as the other.

use std::future::Future;

use kensa_domain::error::FieldError;
use kensa_domain::idempotency::{self, Begin, IdempotencyKey, StoredResponse};
use kensa_domain::tenant::TenantCtx;
use kensa_domain::{DomainError, Kensa};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use tracing::Instrument;

use super::gql;

/// What identifies one request: the mutation (and the resource it acts on) and its input.
pub struct Request {
    operation: String,
    digest: [u8; 32],
}

impl Request {
    /// `operation` is the mutation with its target (e.g. `uploadEvidence/{id}`); `input`
    /// everything else the client sent, serialised.
    pub fn new(operation: impl Into<String>, input: &impl Serialize) -> async_graphql::Result<Self> {
        let bytes = serde_json::to_vec(input).map_err(|e| gql(DomainError::internal(e)))?;
        Ok(Self { operation: operation.into(), digest: Sha256::digest(&bytes).into() })
    }
}

/// Runs `work` once per key. It runs in a task of its own, so that a client that gives up
/// waiting (the case a retry is for) does not cut it short between commit and record.
pub async fn run<T, F>(
    k: &Kensa,
    ctx: &TenantCtx,
    key: Option<String>,
    request: Request,
    work: F,
) -> async_graphql::Result<T>
where
    T: Serialize + DeserializeOwned + 'static,
    F: Future<Output = async_graphql::Result<T>> + 'static,
{
    let Some(raw) = key else { return work.await };
    let key = IdempotencyKey::parse(&raw)
        .map_err(|e| gql(DomainError::Validation(vec![FieldError { field: "idempotencyKey".into(), ..e }])))?;
    let fingerprint = idempotency::fingerprint(ctx, "GRAPHQL", &request.operation, &request.digest);
    let claim = match idempotency::begin(k, ctx, &key, &fingerprint).await.map_err(gql)? {
        Begin::Replay(stored) => {
            return serde_json::from_slice(&stored.body).map_err(|e| gql(DomainError::internal(e)));
        }
        Begin::Run(claim) => claim,
    };
    let k = k.clone();
    let task = async move {
        let result = work.await;
        let stored = match &result {
            Ok(value) => serde_json::to_vec(value).ok(),
            Err(_) => None,
        };
        let recorded = match stored {
            Some(body) => {
                idempotency::complete(&k, claim, &StoredResponse { status: 200, headers: Vec::new(), body }).await
            }
            // Failed: nothing changed, so the key may be used again.
            None => idempotency::abandon(&k, claim).await,
        };
        if let Err(e) = recorded {
            tracing::error!(error = %e, "recording a GraphQL idempotency key failed");
        }
        result
    };
    let request_id = crate::request_id::current().unwrap_or_default();
    actix_web::rt::spawn(crate::request_id::scope(request_id, task.instrument(tracing::Span::current())))
        .await
        .map_err(|e| gql(DomainError::internal(format!("idempotent mutation task: {e}"))))?
}
