//! GraphiQL, served whole by this binary: the page, its pinned production assets (vendored
//! from npm by `tools/graphiql/vendor.sh` into `crates/api/assets/graphiql/`) and the script
//! that starts it. Nothing is loaded from another origin, so it works offline like `/docs`,
//! and the page's CSP allows this origin only. Asset URLs carry a digest of their content
//! (`?v=`), so they are cached for a year and a new build is fetched anew.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use sha2::{Digest, Sha256};

use super::GraphqlGuard;
use crate::error::ApiError;

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Name, content type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("react-18.3.1.production.min.js", JS, include_bytes!("../../assets/graphiql/react-18.3.1.production.min.js")),
    (
        "react-dom-18.3.1.production.min.js",
        JS,
        include_bytes!("../../assets/graphiql/react-dom-18.3.1.production.min.js"),
    ),
    ("graphiql-3.8.3.min.js", JS, include_bytes!("../../assets/graphiql/graphiql-3.8.3.min.js")),
    ("graphiql-3.8.3.min.css", CSS, include_bytes!("../../assets/graphiql/graphiql-3.8.3.min.css")),
    ("kensa-graphiql.js", JS, include_bytes!("../../assets/graphiql/kensa-graphiql.js")),
    ("kensa-graphiql.css", CSS, include_bytes!("../../assets/graphiql/kensa-graphiql.css")),
];

/// Scripts from this origin only; the fonts GraphiQL's stylesheet embeds are `data:` URLs.
pub const GRAPHIQL_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; \
    frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

fn url(name: &str, bytes: &[u8]) -> String {
    let digest = hex::encode(&Sha256::digest(bytes)[..8]);
    format!("/graphql/assets/{name}?v={digest}")
}

static PAGE: LazyLock<String> = LazyLock::new(|| {
    let src = |name: &str| ASSETS.iter().find(|a| a.0 == name).map(|a| url(a.0, a.2)).unwrap_or_default();
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kensa GraphiQL</title>
<link rel="stylesheet" href="{css}">
<link rel="stylesheet" href="{own_css}">
</head>
<body>
<div id="graphiql">Loading…</div>
<script src="{react}"></script>
<script src="{react_dom}"></script>
<script src="{graphiql}"></script>
<script src="{init}"></script>
</body>
</html>
"#,
        css = src("graphiql-3.8.3.min.css"),
        own_css = src("kensa-graphiql.css"),
        react = src("react-18.3.1.production.min.js"),
        react_dom = src("react-dom-18.3.1.production.min.js"),
        graphiql = src("graphiql-3.8.3.min.js"),
        init = src("kensa-graphiql.js"),
    )
});

/// The page: `GET /graphql`, unless GraphiQL is switched off (the production default).
pub fn page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, GRAPHIQL_CSP))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(PAGE.as_str())
}

/// `GET /graphql/assets/{name}`: absent, like the page, when GraphiQL is off.
pub async fn asset(guard: web::Data<GraphqlGuard>, name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    if !guard.settings.graphiql {
        return Err(ApiError::RouteNotFound);
    }
    let (_, content_type, bytes) = ASSETS.iter().find(|a| a.0 == name.as_str()).ok_or(ApiError::RouteNotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(*bytes))
}
