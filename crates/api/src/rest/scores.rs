//! Scores of single assessments, for either side.

use actix_web::{HttpResponse, web};
use kensa_domain::scoring::{self, Score};
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::Auth;
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
