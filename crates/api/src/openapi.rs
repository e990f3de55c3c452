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

/// The document as committed in `openapi/openapi.json`.
pub fn json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(json())
}
