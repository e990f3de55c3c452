//! `GET /api/v1/audit-events` (owners and admins).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use kensa_domain::audit::{self, AuditEvent, AuditFilter};
use kensa_domain::pagination::PageRequest;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiResult, Problem};
use crate::extract::{Auth, Query};
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventPage {
    pub data: Vec<AuditEvent>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// Exact action, e.g. `auth.login_failed`.
    pub action: Option<String>,
    /// Events at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Events before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List audit events
///
/// The organization's audit trail, newest first. Owners and admins.
#[utoipa::path(get, path = "/api/v1/audit-events", operation_id = "listAuditEvents", tag = "audit", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, description = "A page of events", body = AuditEventPage),
              (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<AuditQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let page = PageRequest::parse(q.limit, q.cursor.as_deref())?;
    let filter = AuditFilter { action: q.action, from: q.from, to: q.to };
    let result = audit::list(&state.kensa, auth.0.admin()?, &filter, &page).await?;
    Ok(HttpResponse::Ok().json(AuditEventPage { data: result.data, next_cursor: result.next_cursor }))
}
