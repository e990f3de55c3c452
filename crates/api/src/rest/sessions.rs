//! `/api/v1/me/sessions`: the signed-in user's sign-ins, to see and end.

use actix_web::{HttpResponse, web};
use kensa_domain::auth::sign_ins::{self, SignIn};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{ApiResult, Problem};
use crate::extract::Auth;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInPage {
    /// At most 100, most recently used first.
    pub data: Vec<SignIn>,
    /// Always null: one page holds them all.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignInsEnded {
    pub ended: u64,
}

/// List my sign-ins
///
/// Every open sign-in of the caller (each device or integration that signed in with the
/// password): when it started, when and from which address and device it was last used
/// (a refresh or page view), and which one is this request's. A user's own: an API key
/// gets 404.
#[utoipa::path(get, path = "/api/v1/me/sessions", operation_id = "listMySessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The open sign-ins", body = SignInPage),
              (status = 404, description = "The caller is an API key", body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let data = sign_ins::list(&state.kensa, &auth.0).await?;
    Ok(HttpResponse::Ok().json(SignInPage { data, next_cursor: None }))
}

/// End every other sign-in
///
/// Every sign-in of the caller but this request's ends: their refresh tokens and browser
/// sessions stop working, their access tokens within seconds.
#[utoipa::path(delete, path = "/api/v1/me/sessions", operation_id = "endOtherSessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "How many ended", body = SignInsEnded),
              (status = 404, description = "The caller is an API key", body = Problem, content_type = "application/problem+json")))]
pub async fn end_others(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let ended = sign_ins::end_others(&state.kensa, &auth.0).await?;
    Ok(HttpResponse::Ok().json(SignInsEnded { ended }))
}

/// End one sign-in
///
/// Ending the current one signs this client out. Another user's sign-in, or one that ended
/// already, is 404.
#[utoipa::path(delete, path = "/api/v1/me/sessions/{id}", operation_id = "endMySession", tag = "auth", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The sign-in's id")),
    responses((status = 204, description = "Ended"),
              (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn end(state: web::Data<AppState>, auth: Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    sign_ins::end(&state.kensa, &auth.0, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
