//! `/api/v1/api-keys`: the organization's keys for integrations (owners and admins, signed
//! in as themselves: a key cannot manage keys).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use kensa_domain::api_keys::{self, ApiKey, CreatedApiKey, NewApiKey};
use kensa_domain::pagination::PageRequest;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody, Query};
use crate::rest::page::PageQuery;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyPage {
    pub data: Vec<ApiKey>,
    pub next_cursor: Option<String>,
}

/// Create an API key
///
/// A key for an integration, with a name, a scope (the rights of the role of that name;
/// `read_only` is a viewer's) and an optional expiry. The answer carries the key
/// (`kensa_live_…`) once: only its hash is stored. Use it as `Authorization: Bearer <key>`
/// wherever an access token works. At most 100 live keys per organization. Owners and admins.
#[utoipa::path(post, path = "/api/v1/api-keys", operation_id = "createApiKey", tag = "api-keys", security(("bearer" = [])),
    request_body = NewApiKey,
    responses((status = 201, description = "The key, shown this once", body = CreatedApiKey,
                  headers(("Location" = String, description = "`/api/v1/api-keys` (keys are listed, not read one by one)"))),
              (status = 403, description = "Not an owner or admin, or the caller is itself a key", body = Problem,
                  content_type = "application/problem+json"),
              (status = 422, description = "`validation_failed` naming `name`, `scope` or `expires_at`; `too_many`", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn create(state: web::Data<AppState>, auth: Auth, body: JsonBody<NewApiKey>) -> ApiResult<HttpResponse> {
    let created = api_keys::create(&state.kensa, auth.0.admin()?, body.0).await?;
    Ok(HttpResponse::Created().insert_header((header::LOCATION, "/api/v1/api-keys")).json(created))
}

/// List API keys
///
/// Never the keys themselves: name, scope, visible prefix, expiry, revocation, and when and
/// from where each was last used. Owners and admins.
#[utoipa::path(get, path = "/api/v1/api-keys", operation_id = "listApiKeys", tag = "api-keys", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, description = "A page of keys, oldest first", body = ApiKeyPage),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<PageQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let result = api_keys::list(&state.kensa, auth.0.admin()?, &page).await?;
    Ok(HttpResponse::Ok().json(ApiKeyPage { data: result.data, next_cursor: result.next_cursor }))
}

/// Revoke an API key
///
/// The next request with it answers 401. Revoking it again changes nothing. Owners and admins.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", operation_id = "revokeApiKey", tag = "api-keys", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The key's id")),
    responses((status = 204, description = "Revoked"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn revoke(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    api_keys::revoke(&state.kensa, auth.0.admin()?, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
