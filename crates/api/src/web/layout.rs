//! The page shell: language, header with navigation and the language switch, main content.

use actix_web::HttpResponse;
use actix_web::http::header;
use maud::{DOCTYPE, Markup, html};

use super::context::{CSRF_FIELD, Web, encode};

/// The pages' policy: only this site's own script, styles and images; no inline script or
/// style, no framing, forms post only here.
pub const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The hidden CSRF field of a form.
pub fn csrf_field(w: &Web) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(w.csrf()); }
}

fn nav(w: &Web) -> Markup {
    let t = w.t();
    let other = w.lang.other();
    html! {
        header.site {
            a.brand href="/assessments" { (t.product) }
            @if let Some(me) = w.session.as_ref().and_then(|s| s.tenant.principal()) {
                nav aria-label=(t.nav_main) {
                    ul {
                        li { a href="/assessments" { (t.nav_assessments) } }
                        li { a href="/suppliers" { (t.nav_suppliers) } }
                        li { a href="/campaigns" { (t.nav_campaigns) } }
                        li { a href="/comparison" { (t.nav_comparison) } }
                        li { a href="/sharing" { (w.lang.sharing().nav_sharing) } }
                        li { a href="/library" { (w.lang.sharing().nav_library) } }
                        li { a href="/settings" { (t.nav_settings) } }
                    }
                }
                div.account {
                    span { (t.signed_in_as) " " a href="/account" { strong { (me.user.name) } } " · " (me.organization.name) }
                    form method="post" action="/sign-out" {
                        (csrf_field(w))
                        button.link type="submit" { (t.sign_out) }
                    }
                }
            }
            a.lang href={ "/language/" (other.code()) "?next=" (encode(&w.here)) } lang=(other.code())
                hreflang=(other.code()) aria-label={ (t.language) ": " (other.name()) } { (other.name()) }
        }
    }
}

/// A whole page.
pub fn page(w: &Web, title: &str, body: Markup) -> Markup {
    let t = w.t();
    html! {
        (DOCTYPE)
        html lang=(w.lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — " (t.product) }
                link rel="stylesheet" href=(super::assets::CSS_PATH);
                script src=(super::assets::JS_PATH) defer {}
            }
            body data-unsaved=(t.not_saved) {
                a.skip href="#main" { (t.skip_to_content) }
                (nav(w))
                main #main tabindex="-1" {
                    @if w.session.as_ref().and_then(|s| s.tenant.principal()).is_some_and(|me| !me.organization.verified) {
                        (notice("info", w.lang.account().unverified_banner))
                    }
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// An HTML response with the pages' headers and the visitor's cookies.
pub fn respond(w: &Web, status: actix_web::http::StatusCode, markup: Markup) -> HttpResponse {
    let response = HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_POLICY))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .body(markup.into_string());
    w.finish(response)
}

pub fn ok(w: &Web, title: &str, body: Markup) -> HttpResponse {
    respond(w, actix_web::http::StatusCode::OK, page(w, title, body))
}

/// A notice box (`role=status` for success, `role=alert` for problems).
pub fn notice(kind: &str, text: &str) -> Markup {
    let role = if kind == "error" { "alert" } else { "status" };
    html! { div class={ "notice " (kind) } role=(role) { (text) } }
}

/// Dates as the language writes them.
pub fn date(w: &Web, d: chrono::NaiveDate) -> String {
    match w.lang {
        super::i18n::Lang::Ja => d.format("%Y年%-m月%-d日").to_string(),
        super::i18n::Lang::En => d.format("%-d %b %Y").to_string(),
    }
}

pub fn datetime(w: &Web, t: chrono::DateTime<chrono::Utc>) -> String {
    match w.lang {
        super::i18n::Lang::Ja => t.format("%Y-%m-%d %H:%M UTC").to_string(),
        super::i18n::Lang::En => t.format("%-d %b %Y %H:%M UTC").to_string(),
    }
}

/// A progress bar with its text, readable without colour.
pub fn progress(label: &str, done: usize, total: usize) -> Markup {
    let percent = (done * 100).checked_div(total).unwrap_or(0);
    html! {
        div.progress {
            span.progress-label { (label) " " (done) " / " (total) }
            progress max=(total.max(1)) value=(done) aria-label=(label) { (percent) "%" }
        }
    }
}

/// An item's question in the page's language: on an English page its English where the
/// template has one, with the Japanese original one click away; otherwise the Japanese
/// (marked `lang="ja"` on an English page).
pub fn question(w: &Web, ja: &str, en: Option<&str>) -> Markup {
    let english_page = w.lang == super::i18n::Lang::En;
    match en.filter(|_| english_page) {
        Some(en) => html! {
            (en)
            details.original {
                summary { (w.t().japanese_original) }
                span lang="ja" { (ja) }
            }
        },
        None => html! { span lang=[english_page.then_some("ja")] { (ja) } },
    }
}
