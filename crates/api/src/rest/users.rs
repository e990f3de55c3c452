//! `/api/v1/users`: the organization's members (owners and admins).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use kensa_domain::ids::UserId;
use kensa_domain::pagination::PageRequest;
use kensa_domain::tenant::Role;
use kensa_domain::users::{self, Invitation, User, UserChanges};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::page::PageQuery;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody, Query};
use crate::idempotency::Idempotency;
use crate::openapi::IdempotencyHeader;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    pub data: Vec<User>,
    pub next_cursor: Option<String>,
}

/// List the organization's users
///
/// Owners and admins.
#[utoipa::path(get, path = "/api/v1/users", operation_id = "listUsers", tag = "users", security(("bearer" = [])), params(PageQuery),
    responses((status = 200, description = "A page of users", body = UserPage),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<PageQuery>) -> ApiResult<HttpResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let result = users::service::list(&state.kensa, auth.0.admin()?, &page).await?;
    Ok(HttpResponse::Ok().json(UserPage { data: result.data, next_cursor: result.next_cursor }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    #[schema(max_length = 254)]
    pub email: String,
    pub role: Role,
}

/// Invite a colleague by email
///
/// The mail carries a single-use link valid for 7 days; inviting the same address again
/// replaces the earlier link. Owners and admins; only owners may invite owners.
#[utoipa::path(post, path = "/api/v1/users/invitations", operation_id = "inviteUser", tag = "users", security(("bearer" = [])),
    request_body = InviteRequest,
    params(IdempotencyHeader), responses((status = 201, description = "Invited; the mail is queued", body = Invitation,
                  headers(("Location" = String, description = "`/api/v1/users/invitations/{id}`"))),
              (status = 403, description = "`forbidden` for the role; `email_unverified` until the organization's owner verified their address", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`email_taken`: the address is already a member of the organization", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn invite(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    body: JsonBody<InviteRequest>,
) -> ApiResult<HttpResponse> {
    let input = users::service::InviteInput { email: body.0.email, role: body.0.role.as_str().into() };
    let ctx = auth.0.clone();
    idem.run(&state.kensa.clone(), &auth.0, async move {
        let invitation = users::service::invite(&state.kensa, ctx.admin()?, input).await?;
        let location = format!("/api/v1/users/invitations/{}", invitation.id);
        Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).json(invitation))
    })
    .await
}

/// Get an invitation
///
/// One invitation of the organization, pending or not (`accepted_at`, `revoked_at`).
/// Owners and admins.
#[utoipa::path(get, path = "/api/v1/users/invitations/{id}", operation_id = "getUserInvitation", tag = "users",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The invitation's id")),
    responses((status = 200, description = "The invitation", body = Invitation),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn invitation(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(users::service::invitation(&state.kensa, auth.0.admin()?, path.into_inner()).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub role: Option<Role>,
    /// `false` deactivates the user: sign-in stops and their sessions end at once.
    pub active: Option<bool>,
}

/// Change a user's role or deactivate them
///
/// Owners and admins; only owners may make or unmake owners. The last owner can be neither
/// demoted nor deactivated (409 `last_owner`).
#[utoipa::path(patch, path = "/api/v1/users/{id}", operation_id = "updateUser", tag = "users", security(("bearer" = [])),
    request_body = UpdateUserRequest, params(("id" = Uuid, Path, description = "The user's id")),
    responses((status = 200, description = "The user as changed", body = User),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`last_owner`: the organization would have no active owner", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    body: JsonBody<UpdateUserRequest>,
) -> ApiResult<HttpResponse> {
    let changes = UserChanges { role: body.0.role, active: body.0.active };
    let user = users::service::update(&state.kensa, auth.0.admin()?, UserId(path.into_inner()), changes).await?;
    Ok(HttpResponse::Ok().json(user))
}
