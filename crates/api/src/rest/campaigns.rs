//! `/api/v1/campaigns`: send a template to many suppliers at once.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use kensa_domain::campaigns::{self, Campaign, CampaignInput};
use kensa_domain::pagination::PageRequest;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::page::PageQuery;
use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody, Query};
use crate::idempotency::Idempotency;
use crate::openapi::IdempotencyHeader;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignPage {
    pub data: Vec<Campaign>,
    pub next_cursor: Option<String>,
}

/// Send a template to suppliers
///
/// One assessment per supplier (up to 5,000), all created in one transaction; the
/// invitations are queued in it and mailed by the worker. Owners, admins and reviewers.
#[utoipa::path(post, path = "/api/v1/campaigns", operation_id = "createCampaign", tag = "campaigns", security(("bearer" = [])),
    request_body = CampaignInput,
    params(IdempotencyHeader), responses((status = 201, description = "The campaign", body = Campaign,
                  headers(("Location" = String, description = "`/api/v1/campaigns/{id}`"))),
              (status = 403, description = "`forbidden` for the role; `email_unverified` until the organization's owner verified their address", body = Problem, content_type = "application/problem+json")))]
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    body: JsonBody<CampaignInput>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.0.clone();
    idem.run(&state.kensa.clone(), &auth.0, async move {
        let campaign = campaigns::service::create(&state.kensa, ctx.editor()?, body.0).await?;
        let location = format!("/api/v1/campaigns/{}", campaign.id);
        Ok(HttpResponse::Created().insert_header((header::LOCATION, location)).json(campaign))
    })
    .await
}

/// List campaigns
///
/// With per-status and overdue counts; `assessments` is null here.
#[utoipa::path(get, path = "/api/v1/campaigns", operation_id = "listCampaigns", tag = "campaigns", security(("bearer" = [])),
    params(PageQuery), responses((status = 200, description = "A page of campaigns", body = CampaignPage)))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<PageQuery>) -> ApiResult<HttpResponse> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref())?;
    let result = campaigns::service::list(&state.kensa, &auth.0, &page).await?;
    Ok(HttpResponse::Ok().json(CampaignPage { data: result.data, next_cursor: result.next_cursor }))
}

/// Get a campaign with its assessments
#[utoipa::path(get, path = "/api/v1/campaigns/{id}", operation_id = "getCampaign", tag = "campaigns", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The campaign's id")),
    responses((status = 200, description = "The campaign", body = Campaign)))]
pub async fn get(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(campaigns::service::get(&state.kensa, &auth.0, path.into_inner()).await?))
}

/// Cancel a campaign
///
/// Cancels every assessment of the campaign that is still open. Owners, admins and
/// reviewers.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/cancel", operation_id = "cancelCampaign", tag = "campaigns",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The campaign's id")),
    responses((status = 200, description = "The campaign, cancelled", body = Campaign),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`invalid_transition`: already cancelled", body = Problem,
                  content_type = "application/problem+json")))]
pub async fn cancel(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(campaigns::service::cancel(&state.kensa, auth.0.editor()?, path.into_inner()).await?))
}
