//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use actix_web::HttpResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{error, health, rest};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::builder().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
            );
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Kensa API", description = "Supplier security assessments (JAMA/JAPIA Cybersecurity Guidelines check sheet)."),
    paths(
        rest::auth::signup, rest::auth::login, rest::auth::refresh, rest::auth::logout, rest::me::me,
        rest::users::list, rest::users::invite, rest::users::update,
        rest::user_invitations::preview, rest::user_invitations::accept,
        rest::templates::list, rest::templates::get, rest::templates::export, rest::templates::create,
        rest::templates::clone, rest::templates::update,
        rest::suppliers::create, rest::suppliers::list, rest::suppliers::get, rest::suppliers::update,
        rest::suppliers::delete, rest::suppliers::import, rest::suppliers::export,
        rest::campaigns::create, rest::campaigns::list, rest::campaigns::get, rest::campaigns::cancel,
        rest::supplier_invitations::preview, rest::supplier_invitations::accept,
        rest::supplier_claims::list, rest::supplier_claims::approve, rest::supplier_claims::reject,
        rest::assessments::list, rest::assessments::get, rest::assessments::questions, rest::assessments::put_answer,
        rest::assessments::post_answers, rest::assessments::submit, rest::assessments::review, rest::assessments::cancel,
        rest::assessments::resend, rest::assessments::comments, rest::assessments::add_comment, rest::assessments::history,
        rest::evidence::upload, rest::evidence::list, rest::evidence::download, rest::evidence::delete,
        rest::audit::list,
        health::healthz, health::readyz, health::metrics,
    ),
    components(schemas(error::Problem, error::ProblemField)),
    modifiers(&BearerAuth),
    tags((name = "auth"), (name = "users"), (name = "templates"), (name = "suppliers"), (name = "campaigns"),
         (name = "invitations"), (name = "assessments"), (name = "evidence"), (name = "audit"), (name = "operations"))
)]
pub struct ApiDoc;

/// The `Idempotency-Key` request header of creating POSTs.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyHeader {
    /// 1–255 printable ASCII characters, unique per request (a UUID). A retry with the same
    /// key and the same request within 24 hours answers the first response again, with
    /// `Idempotent-Replayed: true`, without doing anything again; the same key with another
    /// body, path or user is 422 `idempotency_key_reused`; while the first request still
    /// runs, 409 `idempotency_key_in_use` with `Retry-After`. Keys are per organization.
    #[param(rename = "Idempotency-Key", min_length = 1, max_length = 255, nullable = false)]
    idempotency_key: Option<String>,
}

/// The `If-Match` request header of writes to a versioned resource.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfMatchHeader {
    /// The `ETag` last read (`"7"`), or `*`. A version that is no longer current answers
    /// 412 `precondition_failed`, also when another write commits first; a malformed value
    /// 400. Optional unless the server sets `KENSA_REQUIRE_IF_MATCH` (then 428
    /// `precondition_required` without it).
    #[param(rename = "If-Match", nullable = false)]
    if_match: Option<String>,
}

/// The document as committed in `openapi/openapi.json`.
pub fn json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(json())
}
