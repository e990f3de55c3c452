//! The organization's chasing schedule, re-reviews opened by the buyer, and remediation
//! progress recorded by the supplier after acceptance.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use kensa_domain::assessments::Answer;
use kensa_domain::assessments::Assessment;
use kensa_domain::assessments::remediation::{self, RemediationUpdate};
use kensa_domain::chase::review::{self, OpenReviewInput};
use kensa_domain::chase::settings::{self, OrganizationSettings, SettingsChange};
use uuid::Uuid;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, JsonBody, etag, if_match};
use crate::idempotency::Idempotency;
use crate::openapi::{IdempotencyHeader, IfMatchHeader};
use crate::state::AppState;

fn settings_reply(s: &OrganizationSettings) -> HttpResponse {
    HttpResponse::Ok().insert_header(etag(s.version)).json(s)
}

/// Get the organization's settings
///
/// The chasing schedule: reminder offsets before the due date, the overdue reminder
/// interval, the escalation threshold and the re-review lead time (defaults 14/7/1, 7, 14,
/// 30 days); the MFA policy (everyone, or owners and admins) and the session limits
/// (defaults 480 minutes idle, 30 days). Owners and admins.
#[utoipa::path(get, path = "/api/v1/organization/settings", operation_id = "getOrganizationSettings", tag = "organization",
    security(("bearer" = [])),
    responses((status = 200, description = "The settings", body = OrganizationSettings,
                  headers(("ETag" = String, description = "The settings' version, quoted (`\"2\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn get_settings(state: web::Data<AppState>, auth: Auth) -> ApiResult<HttpResponse> {
    Ok(settings_reply(&settings::get(&state.kensa, &auth.0).await?))
}

/// Change the organization's settings
///
/// Any subset of the fields; the others keep their values. Every open assessment and
/// pending re-review is re-planned at once: the next scan follows the new schedule, and a
/// reminder already sent is never sent again. A required MFA forces enrolment at each
/// user's next sign-in; shorter session limits apply at the next refresh or page view.
/// Owners and admins.
#[utoipa::path(patch, path = "/api/v1/organization/settings", operation_id = "updateOrganizationSettings", tag = "organization",
    security(("bearer" = [])), params(IfMatchHeader), request_body = SettingsChange,
    responses((status = 200, description = "The settings as changed", body = OrganizationSettings,
                  headers(("ETag" = String, description = "The settings' version, quoted (`\"2\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_settings(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    body: JsonBody<SettingsChange>,
) -> ApiResult<HttpResponse> {
    let changed = settings::update(&state.kensa, auth.0.admin()?, body.0, if_match(&req)?).await?;
    Ok(settings_reply(&changed))
}

/// Open a review now
///
/// Sends the supplier the next review at once instead of waiting for the annual schedule:
/// by default the newest version of the checklist it was last accepted on, at the same
/// target level, prefilled with those answers (each `carried_over` until confirmed). Refused
/// (409 `review_already_open`) while the supplier has an assessment of that checklist in
/// progress. Owners, admins and reviewers.
#[utoipa::path(post, path = "/api/v1/suppliers/{id}/reviews", operation_id = "openSupplierReview", tag = "suppliers",
    security(("bearer" = [])), params(IdempotencyHeader, ("id" = Uuid, Path, description = "The supplier's id")),
    request_body = OpenReviewInput,
    responses((status = 201, description = "The new assessment", body = Assessment,
                  headers(("Location" = String, description = "`/api/v1/assessments/{id}`"))),
              (status = 403, description = "`forbidden` for the role; `email_unverified` until the organization's owner verified their address", body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`review_already_open`", body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn open_review(
    state: web::Data<AppState>,
    auth: Auth,
    idem: Idempotency,
    path: web::Path<Uuid>,
    body: JsonBody<OpenReviewInput>,
) -> ApiResult<HttpResponse> {
    let ctx = auth.0.clone();
    idem.run(&state.kensa.clone(), &auth.0, async move {
        let assessment = review::open_now(&state.kensa, ctx.editor()?, path.into_inner(), body.0).await?;
        let location = format!("/api/v1/assessments/{}", assessment.id);
        Ok(HttpResponse::Created()
            .insert_header((header::LOCATION, location))
            .insert_header(etag(assessment.version))
            .json(assessment))
    })
    .await
}

/// Record remediation progress
///
/// On an accepted assessment, for an item answered `not_implemented` or
/// `partially_implemented`: `done`, a new `remediation_due`, and/or a `note`. The buyer
/// sees it on the answer and in the history; the worker stops asking about a done item and
/// asks again when a new date passes. The supplier's owners, admins and respondents.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/remediations/{no}", operation_id = "updateRemediation", tag = "assessments",
    security(("bearer" = [])),
    params(IfMatchHeader, ("id" = Uuid, Path, description = "The assessment's id"), ("no" = u32, Path, description = "The item number")),
    request_body = RemediationUpdate,
    responses((status = 200, description = "The answer with its remediation progress", body = Answer,
                  headers(("ETag" = String, description = "The assessment's version, quoted (`\"4\"`): send it back in `If-Match`"))),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "`remediation_closed`: the assessment is not accepted, or the item has no open remediation",
                  body = Problem, content_type = "application/problem+json"),
              (status = 412, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn update_remediation(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
    path: web::Path<(Uuid, u32)>,
    body: JsonBody<RemediationUpdate>,
) -> ApiResult<HttpResponse> {
    let (id, no) = path.into_inner();
    let answer = remediation::update(&state.kensa, &auth.0, id, no, body.0, if_match(&req)?).await?;
    let version = kensa_domain::assessments::service::get(&state.kensa, &auth.0, id).await?.version;
    Ok(HttpResponse::Ok().insert_header(etag(version)).json(answer))
}
