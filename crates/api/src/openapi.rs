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
    info(title = "Kensa API", version = "1",
        description = "Supplier security assessments (JAMA/JAPIA Cybersecurity Guidelines check sheet). Every error is \
            `application/problem+json` with a stable `code`; lists page with `limit` and `cursor`; resources with a \
            version send it as `ETag` and take it back in `If-Match`. Walk-through with generated clients: \
            `docs/integrations.md`."),
    servers((url = "http://localhost:8080", description = "A local kensa-api (`cargo run`); use your deployment's URL")),
    paths(
        rest::auth::signup, rest::auth::login, rest::auth::refresh, rest::auth::logout, rest::me::me,
        rest::mfa::complete, rest::mfa::enrol_at_sign_in, rest::mfa::confirm_at_sign_in, rest::mfa::status,
        rest::mfa::start, rest::mfa::confirm, rest::mfa::disable, rest::mfa::regenerate,
        rest::sessions::list, rest::sessions::end_others, rest::sessions::end,
        rest::account::request_reset, rest::account::reset_password, rest::account::verify_email,
        rest::account::resend_verification,
        rest::users::list, rest::users::invite, rest::users::invitation, rest::users::update,
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
        rest::assessments::resend, rest::assessments::comments, rest::assessments::comment, rest::scores::score, rest::assessments::add_comment, rest::assessments::history,
        rest::scores::gaps, rest::scores::crosswalk, rest::workbook::download, rest::workbook::upload, rest::scores::supplier_scores,
        rest::evidence::upload, rest::evidence::list, rest::evidence::download, rest::evidence::delete,
        rest::library::lines, rest::library::get, rest::library::put_item, rest::library::delete_item, rest::library::preview,
        rest::library::prefill,
        rest::shares::create, rest::shares::list, rest::shares::get, rest::shares::revoke, rest::shares::read,
        rest::shares::read_score, rest::shares::read_questions, rest::shares::read_evidence,
        rest::shares::download, rest::shares::accept_terms, rest::shares::review, rest::shares::claim, rest::shares::request,
        rest::shares::list_requests, rest::shares::decline, rest::shares::cancel, rest::shares::shared_comparison,
        rest::supply_chain::get_consent, rest::supply_chain::set_consent, rest::supply_chain::forward,
        rest::supply_chain::list_forwards, rest::supply_chain::get_forward, rest::supply_chain::revoke_forward,
        rest::supply_chain::below,
        rest::comparison::list, rest::comparison::heatmap, rest::comparison::items, rest::comparison::summary, rest::comparison::export,
        rest::audit::list, rest::audit::export, rest::audit::verify,
        rest::erasure::schedule, rest::erasure::get, rest::erasure::cancel,
        rest::personal_data::export, rest::personal_data::erase, rest::personal_data::get_erasure, rest::personal_data::cancel_erasure,
        rest::exports::start, rest::exports::list, rest::exports::get, rest::exports::link, rest::exports::download,
        rest::chasing::get_settings, rest::chasing::update_settings, rest::chasing::open_review,
        rest::chasing::update_remediation,
        rest::deliveries::list, rest::deliveries::get, rest::deliveries::resend,
        rest::webhooks::create, rest::webhooks::list, rest::webhooks::get, rest::webhooks::update,
        rest::webhooks::delete, rest::webhooks::ping, rest::webhooks::deliveries,
        rest::api_keys::create, rest::api_keys::list, rest::api_keys::revoke,
        health::healthz, health::readyz, health::metrics,
    ),
    // Schemas that only query parameters name (`value_type`), which utoipa does not collect.
    components(schemas(error::Problem, error::ProblemField, kensa_domain::comparison::export::ExportFormat, kensa_domain::assessments::Side,
        kensa_domain::comparison::ComparisonSort, kensa_domain::comparison::SortOrder, kensa_domain::comparison::ItemSort,
        kensa_domain::deliveries::DeliveryStatus, kensa_domain::jobs::Channel,
        kensa_domain::audit::export::AuditFormat, kensa_domain::shares::ShareDirection)),
    modifiers(&BearerAuth),
    tags((name = "auth", description = "Sign-up, sign-in, token rotation, sign-out and the signed-in user."),
         (name = "users", description = "The organization's members and colleague invitations."),
         (name = "templates", description = "Check sheets: the built-in JAMA/JAPIA sheet and the organization's own."),
         (name = "suppliers", description = "The buyer's supplier registry, with CSV import and export."),
         (name = "campaigns", description = "One template sent to many suppliers at once."),
         (name = "invitations", description = "Supplier invitations and the claims of those who accept them."),
         (name = "assessments", description = "Questionnaires, answers, submission, review, comments and history."),
         (name = "evidence", description = "Files that back the answers."),
         (name = "library", description = "The supplier's answer library: answer once, prefill every buyer's assessment from it."),
         (name = "sharing", description = "Sharing answers with consent: shares of a submitted assessment or the live library, with scope, expiry, terms and revocation; share requests."),
         (name = "supply-chain", description = "The multi-tier cascade: a Tier-1 forwards to its buyer the figure of its own suppliers' answers, each counted only with that supplier's consent."),
         (name = "scores", description = "Scores of assessments, supplier comparison, gaps and score history."),
         (name = "audit", description = "The organization's audit trail."),
         (name = "organization", description = "The organization's settings (the reminder, escalation and re-review schedule) and its data export."),
         (name = "deliveries", description = "Mails and webhook calls made for the organization, with retries; dead ones can be resent."),
         (name = "webhooks", description = "Signed deliveries of assessment events to the organization's endpoints."),
         (name = "api-keys", description = "Keys for integrations: `Authorization: Bearer kensa_live_…` with the rights of a scope."),
         (name = "operations", description = "Probes and metrics for the orchestrator."))
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

/// The document as committed in `openapi/openapi.json`: the annotations, completed by the
/// rules of [`crate::contract`].
pub fn json() -> String {
    let mut value =
        serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|e| serde_json::json!({ "error": e.to_string() }));
    crate::contract::complete(&mut value);
    let ordered = Ordered {
        openapi: value.get("openapi"),
        info: value.get("info"),
        servers: value.get("servers"),
        paths: value.get("paths"),
        components: value.get("components"),
        tags: value.get("tags"),
    };
    serde_json::to_string_pretty(&ordered).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The document's top level in the order readers expect (below it, keys are sorted).
#[derive(serde::Serialize)]
struct Ordered<'a> {
    openapi: Option<&'a serde_json::Value>,
    info: Option<&'a serde_json::Value>,
    servers: Option<&'a serde_json::Value>,
    paths: Option<&'a serde_json::Value>,
    components: Option<&'a serde_json::Value>,
    tags: Option<&'a serde_json::Value>,
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(json())
}
