//! REST routes under `/api/v1`. Every resource answers 405 (problem+json) for methods it
//! does not serve.

pub mod audit;
pub mod auth;
pub mod dto;
pub mod me;
pub mod templates;
pub mod user_invitations;
pub mod users;

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
            .service(resource("/me").route(web::get().to(me::me)))
            .service(resource("/users").route(web::get().to(users::list)))
            .service(resource("/users/invitations").route(web::post().to(users::invite)))
            .service(resource("/users/{id}").route(web::patch().to(users::update)))
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
            .service(resource("/audit-events").route(web::get().to(audit::list)))
            .service(resource("/openapi.json").route(web::get().to(crate::openapi::serve))),
    );
}
