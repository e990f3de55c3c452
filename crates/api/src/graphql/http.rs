//! `POST /graphql` and `GET /graphql`. The order matters: the caller is known from the
//! `Authorization` header before the body is read (anonymous bodies get the small limit and
//! the rate limit), the body's JSON is counted before it is parsed, the request waits for
//! an execution slot before it is parsed, and every operation of a batch runs one after
//! the other within the time limit.

use kensa_domain::ErrorCode;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::{BatchRequest, BatchResponse, Pos, Response};
use futures_util::FutureExt;
use kensa_domain::graphql::GraphqlCaller;

use super::cost::{RequestBudget, TreeItems};
use super::limits::{self, ANONYMOUS_BODY_LIMIT, SIGNED_IN_BODY_LIMIT, Verdict};
use super::refusal::{self, INTERNAL_MESSAGE, Refusal, graphql_error};
use super::{Caller, GraphqlGuard, KensaSchema};
use crate::error::ApiError;
use crate::extract::{bearer, read_body, request_meta};
use crate::state::AppState;

/// A credential that does not authenticate (malformed, invalid, expired, revoked) is kept as
/// its 401 error, which every operation of the request answers: never taken for anonymous.
async fn authenticate(state: &AppState, req: &HttpRequest) -> Caller {
    let result = match bearer(req) {
        Ok(Some(token)) => kensa_domain::auth::authenticate(&state.kensa, &token, request_meta(req))
            .await
            .map(Some)
            .map_err(ApiError::from),
        Ok(None) => Ok(None),
        Err(e) => Err(e),
    };
    Caller::new(result)
}

pub async fn execute(
    state: web::Data<AppState>,
    schema: web::Data<KensaSchema>,
    guard: web::Data<GraphqlGuard>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, actix_web::Error> {
    let caller = authenticate(&state, &req).await;
    let signed_in = caller.signed_in();
    let meta = request_meta(&req);
    let anonymous_quota = if signed_in {
        None
    } else {
        let address = kensa_domain::auth::throttle::address_key(meta.client_ip.as_deref());
        Some(guard.anonymous_request(address, Instant::now())?)
    };
    let body_limit = if signed_in { SIGNED_IN_BODY_LIMIT } else { ANONYMOUS_BODY_LIMIT };
    // Anonymous bodies are small (and rate-limited); signed-in ones may be 8 MiB, so how many
    // are held at once is bounded before a byte is read.
    let body_permit = if signed_in { Some(guard.body_permit()?) } else { None };
    let bytes = read_body(&req, payload, body_limit).await?;
    limits::check_json_values(&bytes)?;
    let _slot = guard.slot().await?;
    let batch: BatchRequest = serde_json::from_slice(&bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    drop(bytes);
    let (requests, is_batch) = match batch {
        BatchRequest::Single(request) => (vec![request], false),
        BatchRequest::Batch(requests) => (requests, true),
    };
    let introspection = signed_in && guard.settings.introspection;
    let verdicts = limits::check_batch(&requests, limits::Caller { signed_in, introspection })?;

    drop(body_permit);
    let request_id = meta.request_id.clone().unwrap_or_default();
    let budget = RequestBudget::default();
    let tree_items = TreeItems::default();
    let count = requests.len();
    let kensa = state.kensa.clone();
    // One operation after the other: a batch never holds more than one database
    // connection, and an operation sees the writes of the ones before it.
    let run = async move {
        let mut responses = Vec::with_capacity(count);
        for (request, verdict) in requests.into_iter().zip(verdicts) {
            // A rejected credential is every operation's answer, even one an anonymous
            // caller could run: the client meant to be someone, and is told it is not.
            let rejected = caller.optional().err();
            let response = match (rejected, verdict) {
                (Some(e), _) => Response::from_errors(vec![e.into_server_error(Pos::default())]),
                (None, Verdict::Refused(error)) => Response::from_errors(vec![error]),
                (None, Verdict::Anonymous) => Response::from_errors(vec![
                    super::to_graphql(ApiError::MissingCredentials).into_server_error(Pos::default()),
                ]),
                (None, Verdict::Allowed { .. }) => {
                    let tenant = caller.optional().ok().flatten().cloned();
                    let mut request = request
                        .data(kensa.clone())
                        .data(GraphqlCaller::new(tenant, super::gql::<kensa_domain::DomainError>))
                        .data(caller.clone())
                        .data(meta.clone())
                        .data(budget.clone())
                        .data(tree_items.clone());
                    if !introspection {
                        request = request.disable_introspection();
                    }
                    schema.execute(request).await
                }
            };
            responses.push(response);
        }
        responses
    };
    let mut responses = match tokio::time::timeout(guard.settings.timeout, AssertUnwindSafe(run).catch_unwind()).await {
        Err(_) => {
            let limit = guard.settings.timeout.as_millis();
            return Err(Refusal::new(503, ErrorCode::QueryTimeout, format!("the request ran longer than {limit} ms"))
                .retry_after(1)
                .into());
        }
        Ok(Err(panic)) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into());
            refusal::log_internal(&format!("panic: {message}"));
            (0..count)
                .map(|_| Response::from_errors(vec![graphql_error("internal_error", 500, INTERNAL_MESSAGE)]))
                .collect()
        }
        Ok(Ok(responses)) => responses,
    };
    for response in &mut responses {
        refusal::finish(response, &request_id);
    }
    let body = match (is_batch, responses.pop()) {
        (false, Some(single)) => BatchResponse::Single(single),
        (_, last) => {
            responses.extend(last);
            BatchResponse::Batch(responses)
        }
    };
    let mut response = HttpResponse::Ok().json(body);
    crate::rate_limit::apply(&mut response, anonymous_quota.as_slice());
    Ok(response)
}

/// GraphiQL, unless switched off (the default in production): then the route is absent.
pub async fn graphiql(guard: web::Data<GraphqlGuard>) -> Result<HttpResponse, ApiError> {
    if !guard.settings.graphiql {
        return Err(ApiError::RouteNotFound);
    }
    Ok(super::assets::page())
}
