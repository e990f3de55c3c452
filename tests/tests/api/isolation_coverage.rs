//! The isolation matrix is complete: every operation of the generated OpenAPI document and
//! every root field of the generated GraphQL schema has a row in `isolation` or
//! `isolation_parties`, or is in the commented allow-list of anonymous routes below, and
//! every allow-listed route really answers without a token. A new route without a row
//! fails here.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestResult, spawn_app};
use crate::isolation::rows;
use crate::isolation_graphql::graphql_rows;
use crate::isolation_parties::{Ids, party_rows};

/// REST operations that need no sign-in, and why.
const ANONYMOUS_ROUTES: &[(&str, &str)] = &[
    // Creating an organization and signing in are how a caller gets a token.
    ("POST", "/api/v1/auth/signup"),
    ("POST", "/api/v1/auth/login"),
    // The refresh token in the body is the credential; logout revokes it.
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
    // Supplier invitations: the token in the path is the credential, the preview is what a
    // supplier sees before having an account.
    ("GET", "/api/v1/invitations/{token}"),
    ("POST", "/api/v1/invitations/{token}/accept"),
    // Colleague invitations, the same way.
    ("GET", "/api/v1/user-invitations/{token}"),
    ("POST", "/api/v1/user-invitations/{token}/accept"),
    // The second step of a sign-in: the MFA ticket in the body is the credential.
    ("POST", "/api/v1/auth/mfa"),
    ("POST", "/api/v1/auth/mfa/totp"),
    ("POST", "/api/v1/auth/mfa/totp/confirm"),
    // Password reset and address verification: the mailed token in the path is the
    // credential; asking for a reset answers the same for every address
    // (`password_reset::the_answer_is_the_same_whether_or_not_the_address_has_an_account`),
    // and a token of another tenant's user is as unknown as a made-up one (410
    // `link_invalid` alike, see `email_verification` and `password_reset`).
    ("POST", "/api/v1/auth/password-reset"),
    ("POST", "/api/v1/auth/password-reset/{token}"),
    ("POST", "/api/v1/auth/verify-email/{token}"),
    // An organization's archive: the single-use token in the path is the credential, and an
    // unknown, used or expired one answers 410 `link_invalid` alike
    // (`portability::an_owner_exports_follows_the_progress_and_downloads_the_archive_once`).
    ("GET", "/api/v1/exports/download/{token}"),
    // Probes and scraping, for the orchestrator and Prometheus.
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

/// Routes that act on the caller's own second factor and take a code from the caller's
/// authenticator app, so no matrix row can make them succeed for every member; they name
/// no resource of anyone's. `own_factor_routes_refuse_anonymous_callers_and_api_keys`
/// checks them.
pub const OWN_FACTOR_ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/me/mfa/totp/confirm"),
    ("DELETE", "/api/v1/me/mfa/totp"),
    ("POST", "/api/v1/me/mfa/recovery-codes"),
];
/// Their GraphQL fields, the same way.
pub const OWN_FACTOR_FIELDS: &[&str] = &["confirmTotpEnrolment", "disableTotp", "regenerateRecoveryCodes"];

/// GraphQL root fields that need no sign-in: only the invitation preview (anonymous
/// GraphQL callers get nothing else; an anonymous accept goes through REST).
const ANONYMOUS_FIELDS: &[&str] = &["invitation"];

/// (method, path template) of every operation in the in-process OpenAPI document.
fn openapi_operations() -> Result<BTreeSet<(String, String)>, Box<dyn std::error::Error>> {
    let doc: Value = serde_json::from_str(&kensa_api::openapi::json())?;
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().ok_or("paths")? {
        for method in item.as_object().ok_or("path item")?.keys() {
            operations.insert((method.to_uppercase(), path.clone()));
        }
    }
    Ok(operations)
}

/// The template a concrete path was made from: segments equal, or a `{parameter}`; the
/// template with the most literal segments wins (`/suppliers/export` over `/suppliers/{id}`).
fn template_of<'t>(path: &str, templates: &'t BTreeSet<String>) -> Option<&'t String> {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    templates
        .iter()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            let fits = parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')));
            fits.then(|| (parts.iter().filter(|t| !t.starts_with('{')).count(), template))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template)
}

/// (method, path) of every REST row of the matrix, with placeholder ids.
fn matrix_requests() -> Vec<(Method, String)> {
    let id = || uuid::Uuid::new_v4().to_string();
    let mut requests: Vec<(Method, String)> =
        rows(&id(), &id(), &id(), &id(), &id(), &id()).into_iter().map(|row| (row.method, row.path)).collect();
    requests.extend(party_rows(&Ids::placeholders()).into_iter().map(|row| (row.method, row.path)));
    requests
}

#[test]
fn every_rest_operation_has_a_matrix_row_or_is_a_deliberately_anonymous_route() -> TestResult {
    let operations = openapi_operations()?;
    let templates: BTreeSet<String> = operations.iter().map(|(_, path)| path.clone()).collect();
    let mut covered = BTreeSet::new();
    for (method, path) in matrix_requests() {
        let template =
            template_of(&path, &templates).ok_or(format!("matrix row {method} {path} is no documented route"))?;
        covered.insert((method.to_string(), template.clone()));
    }
    covered.extend(OWN_FACTOR_ROUTES.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())));
    let anonymous: BTreeSet<(String, String)> =
        ANONYMOUS_ROUTES.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
    let missing: Vec<_> = operations.iter().filter(|op| !covered.contains(*op) && !anonymous.contains(*op)).collect();
    assert!(missing.is_empty(), "routes without an isolation-matrix row: {missing:?}");
    let stale: Vec<_> = anonymous.iter().filter(|op| !operations.contains(*op)).collect();
    assert!(stale.is_empty(), "allow-listed routes that no longer exist: {stale:?}");
    let both: Vec<_> = anonymous.intersection(&covered).collect();
    assert!(both.is_empty(), "routes both anonymous and in the matrix: {both:?}");
    Ok(())
}

#[tokio::test]
async fn every_graphql_root_field_has_a_matrix_row_or_is_a_deliberately_anonymous_field() -> TestResult {
    let introspection = "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }";
    let response = serde_json::to_value(kensa_api::graphql::build_schema().execute(introspection).await)?;
    let mut fields = BTreeSet::new();
    for root in ["queryType", "mutationType"] {
        for field in response["data"]["__schema"][root]["fields"].as_array().ok_or(format!("{root}: {response}"))? {
            fields.insert(field["name"].as_str().ok_or("name")?.to_owned());
        }
    }
    let mut covered: BTreeSet<String> =
        graphql_rows(&Ids::placeholders()).into_iter().map(|row| row.field.to_owned()).collect();
    covered.extend(OWN_FACTOR_FIELDS.iter().map(|f| (*f).to_owned()));
    let anonymous: BTreeSet<String> = ANONYMOUS_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    let missing: Vec<_> = fields.iter().filter(|f| !covered.contains(*f) && !anonymous.contains(*f)).collect();
    assert!(missing.is_empty(), "GraphQL fields without an isolation-matrix row: {missing:?}");
    let unknown: Vec<_> = covered.union(&anonymous).filter(|f| !fields.contains(*f)).collect();
    assert!(unknown.is_empty(), "matrix rows for fields the schema does not have: {unknown:?}");
    Ok(())
}

#[tokio::test]
async fn the_deliberately_anonymous_routes_answer_without_a_token() -> TestResult {
    let app = spawn_app().await;
    for (method, template) in ANONYMOUS_ROUTES {
        let path = template.replace("{token}", "not-a-real-token");
        let method = Method::from_bytes(method.as_bytes())?;
        let body = (method == Method::POST).then(|| json!({}));
        let reply = app.request(method.clone(), &path, None, body).await;
        let status = reply.status.as_u16();
        assert!(status != 401 && status != 403, "{method} {path} refuses an anonymous caller: {status} {}", reply.body);
    }
    let preview = app.graphql(None, r#"{ invitation(token: "not-a-real-token") { buyerName } }"#).await;
    assert_eq!(preview.body["errors"][0]["extensions"]["code"], "not_found", "{}", preview.body);
    Ok(())
}
