//! Scores: of single assessments and their gaps (either side), and a supplier's history of
//! scores (the buyer).

use actix_web::{HttpResponse, web};
use kensa_domain::crosswalk::{self, Crosswalk};
use kensa_domain::pagination::PageRequest;
use kensa_domain::scoring::{self, Gap, Score, ScoreHistoryEntry};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Query};
use crate::state::AppState;

/// Get the score
///
/// Per level, cumulative, per category and overall, with the achieved level and whether the
/// target is met (see the README's "Scores"). Once submitted, the snapshot stored at
/// submission (what the buyer reviews); before, computed from the answers as they are.
/// Either side.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/score", operation_id = "getAssessmentScore", tag = "scores",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The assessment's id")),
    responses((status = 200, description = "The score", body = Score)))]
pub async fn score(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(scoring::service::of_assessment(&state.kensa, &auth.0, path.into_inner()).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct GapQuery {
    /// Also list in-scope items not answered yet (with `status: null`); `false` by default.
    pub include_unanswered: Option<bool>,
}

/// The open items of an assessment: every one in a single answer. A template is bounded (at
/// most a few thousand items) and a client shows the list whole, so it is not paged and
/// `next_cursor` is always null; the shape matches every other list.
#[derive(Debug, Serialize, ToSchema)]
pub struct GapList {
    pub data: Vec<Gap>,
    /// Always null: every gap is in `data`.
    pub next_cursor: Option<String>,
}

/// List the gaps
///
/// The in-scope items answered `not_implemented` or `partially_implemented` (and, with
/// `include_unanswered=true`, those not answered yet), by level and then item number, each
/// with its remediation plan and whether the plan's date has passed. `not_applicable` items
/// are never gaps. All at once (`next_cursor` null). Either side.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/gaps", operation_id = "listAssessmentGaps", tag = "scores",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The assessment's id"), GapQuery),
    responses((status = 200, description = "Every open item", body = GapList)))]
pub async fn gaps(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: Query<GapQuery>,
) -> ApiResult<HttpResponse> {
    let include_unanswered = query.include_unanswered.unwrap_or(false);
    let data = scoring::gaps::of_assessment(&state.kensa, &auth.0, path.into_inner(), include_unanswered).await?;
    Ok(HttpResponse::Ok().json(GapList { data, next_cursor: None }))
}

/// Get the crosswalk readiness
///
/// From the assessment's answers: per SCS criterion of METI's supply-chain security rating
/// scheme (★3/★4) that cites a check-sheet item, whether the in-scope, applicable items citing
/// it are all implemented (`supported`), some (`partly_supported`), none
/// (`not_supported`) or none counts (`not_assessed`); counts per ★ level; the ISO/IEC
/// 27001:2022 references those items reach; and each item's references. Indicative only,
/// from mapping data of 2026-03-27 (see `mapping`). Either side; 409
/// `crosswalk_unavailable` for a checklist other than the JAMA/JAPIA check sheet or a copy.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/crosswalk", operation_id = "getAssessmentCrosswalk", tag = "scores",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The assessment's id")),
    responses((status = 200, description = "The readiness view", body = Crosswalk),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn crosswalk(state: web::Data<AppState>, auth: Auth, path: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(crosswalk::of_assessment(&state.kensa, &auth.0, path.into_inner()).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// Only assessments of this template (its history year over year).
    pub template_id: Option<Uuid>,
    /// 1–200, default 50.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreHistoryPage {
    pub data: Vec<ScoreHistoryEntry>,
    pub next_cursor: Option<String>,
}

/// List a supplier's scores
///
/// The score stored with each of the supplier's submitted or accepted assessments, newest
/// submission first, each with its change since the previous one of the same template
/// (`change` fields null for the first). An assessment sent back for changes is left out
/// until it is submitted again. Any member of the buyer whose registry holds the supplier.
#[utoipa::path(get, path = "/api/v1/suppliers/{id}/scores", operation_id = "listSupplierScores", tag = "scores",
    security(("bearer" = [])), params(("id" = Uuid, Path, description = "The supplier's id"), HistoryQuery),
    responses((status = 200, description = "A page of the supplier's scores", body = ScoreHistoryPage)))]
pub async fn supplier_scores(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<Uuid>,
    query: Query<HistoryQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let result = scoring::history::of_supplier(&state.kensa, &auth.0, path.into_inner(), q.template_id, &page).await?;
    Ok(HttpResponse::Ok().json(ScoreHistoryPage { data: result.data, next_cursor: result.next_cursor }))
}
