//! `GET /api/v1/me`

use actix_web::{HttpResponse, web};
use kensa_domain::users;

use crate::error::ApiResult;
use crate::extract::Auth;
use crate::state::AppState;

/// The signed-in user, their organization and role
#[utoipa::path(get, path = "/api/v1/me", operation_id = "getMe", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The signed-in user", body = users::Me),
              (status = 404, description = "The caller is an API key: it has no user", body = crate::error::Problem,
                  content_type = "application/problem+json")))]
pub async fn me(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    let me = users::service::me(&state.kensa, &auth.0).await?;
    Ok(HttpResponse::Ok().json(me))
}
