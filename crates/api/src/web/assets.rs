//! The pages' stylesheet and script, compiled into the binary (no CDN, no build step).
//! Cached for an hour: a new release's pages may meet the previous script for that long,
//! and the script only enhances forms that work without it.

use actix_web::HttpResponse;
use actix_web::http::header;

const CSS: &str = include_str!("../../static/app.css");
const JS: &str = include_str!("../../static/app.js");
pub const CSS_PATH: &str = "/static/app.css";
pub const JS_PATH: &str = "/static/app.js";

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

pub async fn css() -> HttpResponse {
    asset("text/css; charset=utf-8", CSS)
}

pub async fn js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", JS)
}
