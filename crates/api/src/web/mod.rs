//! The web interface for people: server-rendered pages in Japanese and English over the
//! same domain services as REST and GraphQL (no business rule lives here).
//!
//! Browsers authenticate with a cookie bound to a server-side session
//! ([`kensa_domain::auth::browser`]); every form carries a CSRF token and cross-site
//! writes are refused; pages are served with a strict Content-Security-Policy (own script
//! and styles only, no inline code, no framing). The cookie never authenticates `/api/v1`
//! or `/graphql`.

pub mod assets;
pub mod context;
mod errors;
pub mod forms;
pub mod i18n;
pub mod i18n_account;
pub mod i18n_buyer;
pub mod i18n_sharing;
pub mod layout;
pub mod pages;

use actix_web::middleware::from_fn;
use actix_web::{HttpResponse, Resource, web};

use pages::{
    account, assessment, assessments, campaigns, claims, comparison, invitations, library, mfa, organization_data,
    recovery, session, settings, sharing, suppliers, upload, workbook,
};

async fn method_not_allowed() -> Result<HttpResponse, crate::error::ApiError> {
    Err(crate::error::ApiError::MethodNotAllowed)
}

/// A page resource: its refusals become HTML pages, cross-site writes are refused.
fn page(
    path: &str,
) -> Resource<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::resource(path).default_service(web::to(method_not_allowed)).wrap(from_fn(errors::page_layer))
}

/// The paths of every page (for the isolation and security tests).
pub const PAGE_PATHS: &[&str] = &[
    "/",
    "/sign-in",
    "/sign-in/mfa",
    "/sign-in/mfa/enrol",
    "/sign-out",
    "/forgot-password",
    "/reset/{token}",
    "/verify/{token}",
    "/language/{lang}",
    "/invitations/{token}",
    "/invitations/{token}/link",
    "/join/{token}",
    "/assessments",
    "/assessments/{id}",
    "/assessments/{id}/items/{no}",
    "/assessments/{id}/submit",
    "/assessments/{id}/review",
    "/assessments/{id}/forwarding-consent",
    "/assessments/{id}/prefill",
    "/assessments/{id}/comments",
    "/assessments/{id}/evidence",
    "/assessments/{id}/evidence/{evidence_id}",
    "/assessments/{id}/evidence/{evidence_id}/delete",
    "/assessments/{id}/workbook",
    "/supplier-claims",
    "/supplier-claims/{id}",
    "/supplier-claims/{id}/approve",
    "/supplier-claims/{id}/reject",
    "/suppliers",
    "/suppliers/import",
    "/campaigns",
    "/campaigns/{id}",
    "/comparison",
    "/comparison/export",
    "/library",
    "/library/{template_id}",
    "/library/{template_id}/items/{no}",
    "/sharing",
    "/sharing/shares",
    "/sharing/shares/{id}/revoke",
    "/sharing/requests/{id}/share",
    "/sharing/requests/{id}/decline",
    "/sharing/requests/{id}/withdraw",
    "/shares/claim/{token}",
    "/shares/{id}",
    "/shares/{id}/accept-terms",
    "/shares/{id}/review",
    "/shares/{id}/evidence/{file_id}",
    "/settings",
    "/account",
    "/account/mfa",
    "/account/mfa/confirm",
    "/account/mfa/disable",
    "/account/sessions/{id}/end",
    "/account/sessions/end-others",
    "/account/data/export",
    "/account/data/exports/{id}/download",
    "/account/erasure",
    "/account/erasure/cancel",
    "/settings/users/{id}",
    "/settings/invitations",
    "/settings/organization",
    "/settings/security",
    "/settings/api-keys",
    "/settings/api-keys/{id}/revoke",
    "/settings/retention",
    "/settings/export",
    "/settings/exports/{id}/download",
    "/settings/erasure",
    "/settings/erasure/cancel",
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(assets::CSS_PATH).route(web::get().to(assets::css)))
        .service(web::resource(assets::JS_PATH).route(web::get().to(assets::js)))
        .service(page("/").route(web::get().to(session::home)))
        .service(page("/sign-in").route(web::get().to(session::page)).route(web::post().to(session::submit)))
        .service(page("/sign-in/mfa").route(web::post().to(mfa::verify)))
        .service(page("/sign-in/mfa/enrol").route(web::post().to(mfa::enrol)))
        .service(page("/sign-out").route(web::post().to(session::sign_out)))
        .service(
            page("/forgot-password")
                .route(web::get().to(recovery::forgot))
                .route(web::post().to(recovery::forgot_submit)),
        )
        .service(
            page("/reset/{token}")
                .route(web::get().to(recovery::reset_page))
                .route(web::post().to(recovery::reset_submit)),
        )
        .service(
            page("/verify/{token}")
                .route(web::get().to(recovery::verify_page))
                .route(web::post().to(recovery::verify_submit)),
        )
        .service(page("/language/{lang}").route(web::get().to(session::language)))
        .service(
            page("/invitations/{token}")
                .route(web::get().to(invitations::show))
                .route(web::post().to(invitations::accept_new)),
        )
        .service(page("/invitations/{token}/link").route(web::post().to(invitations::accept_signed_in)))
        .service(
            page("/join/{token}")
                .route(web::get().to(invitations::join))
                .route(web::post().to(invitations::accept_join)),
        )
        .service(page("/assessments").route(web::get().to(assessments::list)))
        .service(page("/assessments/{id}").route(web::get().to(assessment::show)))
        .service(page("/assessments/{id}/items/{no}").route(web::post().to(assessment::save_item)))
        .service(page("/assessments/{id}/submit").route(web::post().to(assessment::submit)))
        .service(page("/assessments/{id}/review").route(web::post().to(assessment::review)))
        .service(page("/assessments/{id}/forwarding-consent").route(web::post().to(assessment::set_consent)))
        .service(page("/assessments/{id}/prefill").route(web::post().to(assessment::prefill)))
        .service(page("/assessments/{id}/comments").route(web::post().to(assessment::add_comment)))
        .service(page("/assessments/{id}/evidence").route(web::post().to(upload::upload)))
        .service(
            page("/assessments/{id}/workbook")
                .route(web::get().to(workbook::download))
                .route(web::post().to(workbook::upload)),
        )
        .service(page("/assessments/{id}/evidence/{evidence_id}").route(web::get().to(assessment::download)))
        .service(
            page("/assessments/{id}/evidence/{evidence_id}/delete").route(web::post().to(assessment::delete_evidence)),
        )
        .service(page("/supplier-claims").route(web::get().to(claims::list)))
        .service(page("/supplier-claims/{id}").route(web::get().to(claims::show)))
        .service(page("/supplier-claims/{id}/approve").route(web::post().to(claims::approve)))
        .service(page("/supplier-claims/{id}/reject").route(web::post().to(claims::reject)))
        .service(page("/suppliers").route(web::get().to(suppliers::list)).route(web::post().to(suppliers::create)))
        .service(page("/suppliers/import").route(web::post().to(suppliers::import)))
        .service(page("/campaigns").route(web::get().to(campaigns::list)).route(web::post().to(campaigns::create)))
        .service(page("/campaigns/{id}").route(web::get().to(campaigns::show)))
        .service(page("/comparison").route(web::get().to(comparison::show)))
        .service(page("/comparison/export").route(web::get().to(comparison::download)))
        .service(page("/library").route(web::get().to(library::lines)))
        .service(page("/library/{template_id}").route(web::get().to(library::line)))
        .service(page("/library/{template_id}/items/{no}").route(web::post().to(library::save_item)))
        .service(page("/sharing").route(web::get().to(sharing::show)))
        .service(page("/sharing/shares").route(web::post().to(sharing::create)))
        .service(page("/sharing/shares/{id}/revoke").route(web::post().to(sharing::revoke)))
        .service(page("/sharing/requests/{id}/share").route(web::post().to(sharing::reply)))
        .service(page("/sharing/requests/{id}/decline").route(web::post().to(sharing::decline)))
        .service(page("/sharing/requests/{id}/withdraw").route(web::post().to(sharing::withdraw)))
        .service(
            page("/shares/claim/{token}")
                .route(web::get().to(sharing::claim_page))
                .route(web::post().to(sharing::claim)),
        )
        .service(page("/shares/{id}").route(web::get().to(sharing::shared)))
        .service(page("/shares/{id}/accept-terms").route(web::post().to(sharing::accept_terms)))
        .service(page("/shares/{id}/review").route(web::post().to(sharing::review)))
        .service(page("/shares/{id}/evidence/{file_id}").route(web::get().to(sharing::download)))
        .service(page("/account").route(web::get().to(account::show)))
        .service(page("/account/mfa").route(web::post().to(account::start_mfa)))
        .service(page("/account/mfa/confirm").route(web::post().to(account::confirm_mfa)))
        .service(page("/account/mfa/disable").route(web::post().to(account::disable_mfa)))
        .service(page("/account/sessions/end-others").route(web::post().to(account::end_others)))
        .service(page("/account/sessions/{id}/end").route(web::post().to(account::end_session)))
        .service(page("/account/data/export").route(web::post().to(account::export_data)))
        .service(page("/account/data/exports/{id}/download").route(web::post().to(account::download_data)))
        .service(page("/account/erasure").route(web::post().to(account::erase)))
        .service(page("/account/erasure/cancel").route(web::post().to(account::cancel_erasure)))
        .service(page("/settings").route(web::get().to(settings::show)))
        .service(page("/settings/users/{id}").route(web::post().to(settings::update_user)))
        .service(page("/settings/invitations").route(web::post().to(settings::invite)))
        .service(page("/settings/organization").route(web::post().to(settings::update_schedule)))
        .service(page("/settings/security").route(web::post().to(settings::update_security)))
        .service(page("/settings/api-keys").route(web::post().to(settings::create_api_key)))
        .service(page("/settings/retention").route(web::post().to(organization_data::update_retention)))
        .service(page("/settings/export").route(web::post().to(organization_data::export)))
        .service(page("/settings/exports/{id}/download").route(web::post().to(account::download_data)))
        .service(page("/settings/erasure").route(web::post().to(organization_data::erase)))
        .service(page("/settings/erasure/cancel").route(web::post().to(organization_data::cancel_erasure)))
        .service(page("/settings/api-keys/{id}/revoke").route(web::post().to(settings::revoke_api_key)));
}
