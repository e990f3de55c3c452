//! REST routes under `/api/v1`. Every resource answers 405 (problem+json) for methods it
//! does not serve.

pub mod account;
pub mod api_keys;
pub mod assessments;
pub mod audit;
pub mod auth;
pub mod campaigns;
pub mod chasing;
pub mod comparison;
pub mod deliveries;
pub mod erasure;
pub mod evidence;
pub mod exports;
pub mod library;
pub mod me;
pub mod mfa;
pub mod page;
pub mod personal_data;
pub mod scores;
pub mod sessions;
pub mod shares;
pub mod supplier_claims;
pub mod supplier_invitations;
pub mod suppliers;
pub mod supply_chain;
pub mod templates;
pub mod user_invitations;
pub mod users;
pub mod webhooks;
pub mod workbook;

use actix_web::{Resource, web};

use crate::error::ApiError;

async fn method_not_allowed() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// A resource whose unserved methods answer 405.
pub fn resource(path: &str) -> Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(resource("/auth/signup").route(web::post().to(auth::signup)))
            .service(resource("/auth/login").route(web::post().to(auth::login)))
            .service(resource("/auth/refresh").route(web::post().to(auth::refresh)))
            .service(resource("/auth/logout").route(web::post().to(auth::logout)))
            .service(resource("/auth/mfa").route(web::post().to(mfa::complete)))
            .service(resource("/auth/mfa/totp").route(web::post().to(mfa::enrol_at_sign_in)))
            .service(resource("/auth/mfa/totp/confirm").route(web::post().to(mfa::confirm_at_sign_in)))
            .service(resource("/me").route(web::get().to(me::me)))
            .service(resource("/me/mfa").route(web::get().to(mfa::status)))
            .service(resource("/me/mfa/totp").route(web::post().to(mfa::start)).route(web::delete().to(mfa::disable)))
            .service(resource("/me/mfa/totp/confirm").route(web::post().to(mfa::confirm)))
            .service(resource("/me/mfa/recovery-codes").route(web::post().to(mfa::regenerate)))
            .service(
                resource("/me/sessions")
                    .route(web::get().to(sessions::list))
                    .route(web::delete().to(sessions::end_others)),
            )
            .service(resource("/me/sessions/{id}").route(web::delete().to(sessions::end)))
            .service(resource("/auth/password-reset").route(web::post().to(account::request_reset)))
            .service(resource("/auth/password-reset/{token}").route(web::post().to(account::reset_password)))
            .service(resource("/auth/verify-email/{token}").route(web::post().to(account::verify_email)))
            .service(resource("/me/verify-email").route(web::post().to(account::resend_verification)))
            .service(resource("/api-keys").route(web::get().to(api_keys::list)).route(web::post().to(api_keys::create)))
            .service(resource("/api-keys/{id}").route(web::delete().to(api_keys::revoke)))
            .service(resource("/users").route(web::get().to(users::list)))
            .service(resource("/users/invitations").route(web::post().to(users::invite)))
            .service(resource("/users/invitations/{id}").route(web::get().to(users::invitation)))
            .service(
                resource("/users/{id}")
                    .route(web::patch().to(users::update))
                    .route(web::delete().to(personal_data::erase)),
            )
            .service(
                resource("/users/{id}/erasure")
                    .route(web::get().to(personal_data::get_erasure))
                    .route(web::delete().to(personal_data::cancel_erasure)),
            )
            .service(resource("/users/{id}/export").route(web::post().to(personal_data::export)))
            .service(resource("/user-invitations/{token}").route(web::get().to(user_invitations::preview)))
            .service(resource("/user-invitations/{token}/accept").route(web::post().to(user_invitations::accept)))
            .service(
                resource("/templates").route(web::get().to(templates::list)).route(web::post().to(templates::create)),
            )
            .service(
                resource("/templates/{id}")
                    .route(web::get().to(templates::get))
                    .route(web::patch().to(templates::update)),
            )
            .service(resource("/templates/{id}/export").route(web::get().to(templates::export)))
            .service(resource("/templates/{id}/clone").route(web::post().to(templates::clone)))
            .service(
                resource("/suppliers").route(web::get().to(suppliers::list)).route(web::post().to(suppliers::create)),
            )
            .service(resource("/suppliers/import").route(web::post().to(suppliers::import)))
            .service(resource("/suppliers/export").route(web::get().to(suppliers::export)))
            .service(
                resource("/suppliers/{id}")
                    .route(web::get().to(suppliers::get))
                    .route(web::patch().to(suppliers::update))
                    .route(web::delete().to(suppliers::delete)),
            )
            .service(resource("/suppliers/{id}/scores").route(web::get().to(scores::supplier_scores)))
            .service(resource("/suppliers/{id}/reviews").route(web::post().to(chasing::open_review)))
            .service(
                resource("/campaigns").route(web::get().to(campaigns::list)).route(web::post().to(campaigns::create)),
            )
            .service(resource("/campaigns/{id}").route(web::get().to(campaigns::get)))
            .service(resource("/campaigns/{id}/cancel").route(web::post().to(campaigns::cancel)))
            .service(resource("/invitations/{token}").route(web::get().to(supplier_invitations::preview)))
            .service(resource("/invitations/{token}/accept").route(web::post().to(supplier_invitations::accept)))
            .service(resource("/supplier-claims").route(web::get().to(supplier_claims::list)))
            .service(resource("/supplier-claims/{id}/approve").route(web::post().to(supplier_claims::approve)))
            .service(resource("/supplier-claims/{id}/reject").route(web::post().to(supplier_claims::reject)))
            .service(resource("/assessments").route(web::get().to(assessments::list)))
            .service(resource("/assessments/{id}").route(web::get().to(assessments::get)))
            .service(resource("/assessments/{id}/questions").route(web::get().to(assessments::questions)))
            .service(resource("/assessments/{id}/answers").route(web::post().to(assessments::post_answers)))
            .service(resource("/assessments/{id}/answers/{no}").route(web::put().to(assessments::put_answer)))
            .service(resource("/assessments/{id}/submit").route(web::post().to(assessments::submit)))
            .service(resource("/assessments/{id}/review").route(web::post().to(assessments::review)))
            .service(resource("/assessments/{id}/cancel").route(web::post().to(assessments::cancel)))
            .service(resource("/assessments/{id}/resend-invitation").route(web::post().to(assessments::resend)))
            .service(
                resource("/assessments/{id}/forwarding-consent")
                    .route(web::get().to(supply_chain::get_consent))
                    .route(web::put().to(supply_chain::set_consent)),
            )
            .service(
                resource("/assessments/{id}/comments")
                    .route(web::get().to(assessments::comments))
                    .route(web::post().to(assessments::add_comment)),
            )
            .service(resource("/assessments/{id}/comments/{comment_id}").route(web::get().to(assessments::comment)))
            .service(resource("/assessments/{id}/history").route(web::get().to(assessments::history)))
            .service(resource("/assessments/{id}/score").route(web::get().to(scores::score)))
            .service(resource("/assessments/{id}/gaps").route(web::get().to(scores::gaps)))
            .service(resource("/assessments/{id}/crosswalk").route(web::get().to(scores::crosswalk)))
            .service(
                resource("/assessments/{id}/workbook")
                    .route(web::get().to(workbook::download))
                    .route(web::put().to(workbook::upload)),
            )
            .service(resource("/assessments/{id}/remediations/{no}").route(web::post().to(chasing::update_remediation)))
            .service(
                resource("/assessments/{id}/evidence")
                    .route(web::get().to(evidence::list))
                    .route(web::post().to(evidence::upload)),
            )
            .service(
                resource("/assessments/{id}/evidence/{evidence_id}")
                    .route(web::get().to(evidence::download))
                    .route(web::delete().to(evidence::delete)),
            )
            .service(
                resource("/assessments/{id}/prefill")
                    .route(web::get().to(library::preview))
                    .route(web::post().to(library::prefill)),
            )
            .service(resource("/library").route(web::get().to(library::lines)))
            .service(resource("/library/{template_id}").route(web::get().to(library::get)))
            .service(
                resource("/library/{template_id}/items/{no}")
                    .route(web::put().to(library::put_item))
                    .route(web::delete().to(library::delete_item)),
            )
            // `/shares/claim/…` before `/shares/{id}/…`: a literal segment is not an id.
            .service(resource("/shares").route(web::get().to(shares::list)).route(web::post().to(shares::create)))
            .service(resource("/shares/claim/{token}").route(web::post().to(shares::claim)))
            .service(resource("/shares/{id}").route(web::get().to(shares::get)).route(web::delete().to(shares::revoke)))
            .service(resource("/shares/{id}/assessment").route(web::get().to(shares::read)))
            .service(resource("/shares/{id}/assessment/score").route(web::get().to(shares::read_score)))
            .service(resource("/shares/{id}/assessment/questions").route(web::get().to(shares::read_questions)))
            .service(resource("/shares/{id}/assessment/evidence").route(web::get().to(shares::read_evidence)))
            .service(resource("/shares/{id}/evidence/{file_id}").route(web::get().to(shares::download)))
            .service(resource("/shares/{id}/accept-terms").route(web::post().to(shares::accept_terms)))
            .service(resource("/shares/{id}/review").route(web::post().to(shares::review)))
            .service(
                resource("/share-requests")
                    .route(web::get().to(shares::list_requests))
                    .route(web::post().to(shares::request)),
            )
            .service(resource("/share-requests/{id}").route(web::delete().to(shares::cancel)))
            .service(resource("/share-requests/{id}/decline").route(web::post().to(shares::decline)))
            .service(resource("/comparison").route(web::get().to(comparison::list)))
            .service(resource("/comparison/heatmap").route(web::get().to(comparison::heatmap)))
            .service(resource("/comparison/items").route(web::get().to(comparison::items)))
            .service(resource("/comparison/summary").route(web::get().to(comparison::summary)))
            .service(resource("/comparison/shared").route(web::get().to(shares::shared_comparison)))
            .service(resource("/comparison/supply-chain").route(web::get().to(supply_chain::below)))
            .service(
                resource("/supply-chain/forwards")
                    .route(web::get().to(supply_chain::list_forwards))
                    .route(web::post().to(supply_chain::forward)),
            )
            .service(
                resource("/supply-chain/forwards/{id}")
                    .route(web::get().to(supply_chain::get_forward))
                    .route(web::delete().to(supply_chain::revoke_forward)),
            )
            .service(resource("/comparison/export").route(web::get().to(comparison::export)))
            .service(resource("/audit-events").route(web::get().to(audit::list)))
            .service(resource("/audit-events/export").route(web::get().to(audit::export)))
            .service(resource("/audit-events/verify").route(web::get().to(audit::verify)))
            .service(resource("/organization").route(web::delete().to(erasure::schedule)))
            .service(
                resource("/organization/erasure")
                    .route(web::get().to(erasure::get))
                    .route(web::delete().to(erasure::cancel)),
            )
            .service(resource("/organization/export").route(web::post().to(exports::start)))
            .service(resource("/organization/exports").route(web::get().to(exports::list)))
            .service(resource("/organization/exports/{id}").route(web::get().to(exports::get)))
            .service(resource("/organization/exports/{id}/link").route(web::post().to(exports::link)))
            .service(resource("/exports/download/{token}").route(web::get().to(exports::download)))
            .service(
                resource("/organization/settings")
                    .route(web::get().to(chasing::get_settings))
                    .route(web::patch().to(chasing::update_settings)),
            )
            .service(resource("/deliveries").route(web::get().to(deliveries::list)))
            .service(resource("/deliveries/{id}").route(web::get().to(deliveries::get)))
            .service(resource("/deliveries/{id}/resend").route(web::post().to(deliveries::resend)))
            .service(resource("/webhooks").route(web::get().to(webhooks::list)).route(web::post().to(webhooks::create)))
            .service(
                resource("/webhooks/{id}")
                    .route(web::get().to(webhooks::get))
                    .route(web::patch().to(webhooks::update))
                    .route(web::delete().to(webhooks::delete)),
            )
            .service(resource("/webhooks/{id}/ping").route(web::post().to(webhooks::ping)))
            .service(resource("/webhooks/{id}/deliveries").route(web::get().to(webhooks::deliveries)))
            .service(resource("/openapi.json").route(web::get().to(crate::exposure::openapi))),
    );
}
