//! The checks the fuzz targets run (`fuzz/`, see "Fuzzing" in the README): one function per
//! target, each feeding raw bytes to the product's own parsing functions and panicking on a
//! finding (a panic inside, a 5xx where a 4xx is due, a broken round trip). Compiled for the
//! fuzz crate (feature `fuzzing`) and for unit tests, which replay every committed seed and
//! crash input (`fuzz/seeds/<target>/`) so that fixed findings stay fixed in CI without
//! building the fuzzers.

use actix_web::ResponseError;
use actix_web::http::header::HeaderValue;
use kensa_domain::{DomainError, FieldError, IfMatch};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::extract::{MAX_JSON_VALUES, bearer_token, if_match_value, json_values_exceed, parse_json, parse_query};

/// A target's checks: they panic on a finding.
pub type Check = fn(&[u8]);

/// The targets by name: the fuzz binaries and the seed folders are named so.
pub const TARGETS: [(&str, Check); 7] = [
    ("supplier_csv", supplier_csv),
    ("template_json", template_json),
    ("json_body", json_body),
    ("list_query", list_query),
    ("small_inputs", small_inputs),
    ("evidence_upload", evidence_upload),
    ("graphql_request", graphql_request),
];

/// A finding unless `e` is answered with a client error.
fn client_error(e: impl Into<ApiError>) {
    let e = e.into();
    let status = e.status_code();
    assert!(status.is_client_error(), "{status} for {e:?}");
}

fn invalid(errors: Vec<FieldError>) {
    assert!(!errors.is_empty(), "a refusal names no field");
    client_error(DomainError::Validation(errors));
}

/// The bytes as text, the way a query string or a lossy header reaches the parsers.
fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// `POST /api/v1/suppliers/import`: the whole file check (encoding, header, rows, duplicate
/// emails) as `suppliers::import::import` runs it before touching the database.
pub fn supplier_csv(data: &[u8]) {
    use kensa_domain::suppliers::import::{MAX_ROWS, parse_file};
    match parse_file(data) {
        Ok(parsed) => {
            assert!(parsed.accepted() + parsed.rejected.len() <= MAX_ROWS);
            assert!(parsed.rejected.windows(2).all(|w| w[0].line <= w[1].line), "rejections out of line order");
            assert!(parsed.rejected.iter().all(|r| r.line >= 2 && !r.reason.is_empty()));
        }
        Err(e) => client_error(e),
    }
}

/// `POST /api/v1/templates` (and GraphQL's import): the body as `JsonBody` reads it (value
/// count, JSON, the text rule, the shape with every problem named), then
/// `TemplateDocument::violations`. A document that passes must store and read back, and
/// export and import again unchanged.
pub fn template_json(data: &[u8]) {
    use kensa_domain::templates::TemplateDocument;
    use kensa_domain::templates::model::Content;
    if json_values_exceed(data, MAX_JSON_VALUES) {
        return; // 413 before parsing
    }
    let doc: TemplateDocument = match parse_json(data) {
        Ok(doc) => doc,
        Err(e) => return client_error(e),
    };
    let problems = doc.violations();
    if !problems.is_empty() {
        assert!(problems.iter().all(|p| !p.field.is_empty() && !p.message.is_empty()));
        return invalid(problems);
    }
    // What `repo::new_row` stores and `service::content_of` reads back (else a 500 on every read).
    let content = doc.content();
    let back = serde_json::to_value(&content).and_then(serde_json::from_value::<Content>);
    assert!(back.as_ref().is_ok_and(|back| *back == content), "stored content does not read back: {back:?}");
    assert!(i32::try_from(content.item_count()).is_ok());
    let _ = (content.level_counts(), content.approx_bytes(), content.filtered(Some(1), Some(1)));
    let exported = serde_json::to_vec(&doc).unwrap_or_default();
    match parse_json::<TemplateDocument>(&exported) {
        Ok(again) => assert!(again == doc && again.violations().is_empty(), "an export imports changed"),
        Err(e) => panic!("an exported template does not import: {e:?}"),
    }
}

fn body<T: DeserializeOwned>(data: &[u8]) -> Option<T> {
    if json_values_exceed(data, MAX_JSON_VALUES) {
        return None;
    }
    parse_json(data).map_err(client_error).ok()
}

fn fields<T>(result: Result<T, Vec<FieldError>>) {
    if let Err(errors) = result {
        invalid(errors);
    }
}

/// A webhook URL as saved: what is stored is what the worker parses and checks again before
/// every delivery, so it must pass again.
fn webhook_url(raw: &str, policy: kensa_domain::config::WebhookPolicy) {
    use kensa_domain::webhooks::model::{check_url, parse_url};
    match parse_url("url", raw, policy) {
        Ok(stored) => match url::Url::parse(&stored) {
            Ok(url) => assert_eq!(check_url(&url, policy), Ok(()), "{stored}"),
            Err(e) => panic!("a stored webhook URL does not parse: {stored:?}: {e}"),
        },
        Err(e) => invalid(vec![e]),
    }
}

/// The other JSON request bodies, through the same `JsonBody` path as their routes, then the
/// pure checks their services run first. The first byte picks the body type.
pub fn json_body(data: &[u8]) {
    use kensa_domain::{assessments, users};
    let Some((&pick, data)) = data.split_first() else { return };
    match pick % 14 {
        0 => {
            if let Some(input) = body::<kensa_domain::suppliers::SupplierInput>(data) {
                fields(kensa_domain::suppliers::model::SupplierFields::parse(input, None, ""));
            }
        }
        1 => {
            if let Some(input) = body::<kensa_domain::webhooks::WebhookCreate>(data) {
                let policy = kensa_domain::config::WebhookPolicy {
                    https_only: pick & 0x40 != 0,
                    allow_private: pick & 0x80 != 0,
                };
                webhook_url(&input.url, policy);
            }
        }
        2 => drop(body::<crate::rest::assessments::BulkAnswers>(data)),
        3 => drop(body::<kensa_domain::chase::settings::SettingsChange>(data)),
        4 => {
            if let Some(signup) = body::<crate::rest::auth::SignupRequest>(data) {
                fields(users::model::EmailAddress::parse("email", &signup.email).map_err(|e| vec![e]));
                fields(kensa_domain::text::name("name", &signup.name).map_err(|e| vec![e]));
                fields(users::model::parse_locale(signup.locale.as_deref()).map_err(|e| vec![e]));
            }
        }
        5 => drop(body::<crate::rest::users::InviteRequest>(data)),
        6 => {
            if let Some(request) = body::<crate::rest::mfa::MfaCodeRequest>(data) {
                match kensa_domain::auth::mfa::check_lengths(&[("code", Some(&request.code))]) {
                    Ok(()) => drop(kensa_domain::auth::mfa::SecondFactor::parse(&request.code)),
                    Err(e) => client_error(e),
                }
            }
        }
        7 => drop(body::<kensa_domain::campaigns::service::CampaignInput>(data)),
        8 => drop(body::<crate::rest::templates::TemplatePatchRequest>(data)),
        9 => drop(body::<assessments::review::CommentInput>(data)),
        10 => drop(body::<assessments::review::ReviewInput>(data)),
        11 => drop(body::<assessments::remediation::RemediationUpdate>(data)),
        12 => drop(body::<kensa_domain::api_keys::NewApiKey>(data)),
        _ => drop(body::<assessments::model::AnswerInput>(data)),
    }
}

fn page(limit: Option<u64>, cursor: Option<&str>) {
    if let Err(e) = kensa_domain::pagination::PageRequest::parse(limit, cursor) {
        client_error(e);
    }
}

fn query<T: DeserializeOwned>(raw: &str) -> Option<T> {
    parse_query(raw).map_err(client_error).ok()
}

/// A comparison list's request and its cursor, which is bound to the sort: a cursor that
/// decodes must encode to one that decodes the same.
fn comparison(q: crate::rest::comparison::ComparisonQuery) {
    use kensa_domain::comparison::cursor;
    let request = match q.request() {
        Ok(request) => request,
        Err(e) => return client_error(e),
    };
    let Some(raw) = &request.cursor else { return };
    match cursor::decode(&request.sort, raw) {
        Ok(after) => {
            let again = cursor::encode(&request.sort, &after);
            assert_eq!(cursor::decode(&request.sort, &again).ok(), Some(after));
        }
        Err(e) => client_error(e),
    }
}

/// Query strings of the lists: the control-character guard every request passes, the
/// `Query` extractor, then what the handler and service check before the database. The
/// first byte picks the route.
pub fn list_query(data: &[u8]) {
    use crate::rest;
    let Some((&pick, data)) = data.split_first() else { return };
    let raw = text(data);
    if let Some(problem) = crate::text_guard::problem("/api/v1/x", &raw) {
        return invalid(vec![problem]);
    }
    match pick % 8 {
        0 => {
            if let Some(q) = query::<rest::page::PageQuery>(&raw) {
                page(q.limit, q.cursor.as_deref());
            }
        }
        1 => {
            if let Some(q) = query::<rest::suppliers::SupplierQuery>(&raw) {
                let ((limit, cursor), filter) = q.into_parts();
                page(limit, cursor.as_deref());
                if let Err(e) = kensa_domain::suppliers::model::validate_filter(&filter) {
                    client_error(e);
                }
            }
        }
        2 | 3 => {
            if let Some(q) = query::<rest::comparison::ComparisonQuery>(&raw) {
                comparison(q);
            }
        }
        4 => {
            if let Some(q) = query::<rest::templates::TreeQuery>(&raw)
                && let Err(e) = kensa_domain::templates::TreeFilter::parse(q.max_level, q.category)
            {
                client_error(e);
            }
        }
        5 => {
            if let Some(q) = query::<rest::audit::AuditQuery>(&raw) {
                page(q.limit, q.cursor.as_deref());
            }
        }
        6 => {
            if let Some(q) = query::<rest::assessments::AssessmentQuery>(&raw) {
                page(q.limit, q.cursor.as_deref());
            }
        }
        _ => {
            if let Some(q) = query::<rest::deliveries::DeliveryQuery>(&raw) {
                page(q.limit, q.cursor.as_deref());
            }
        }
    }
}

/// The small parsers of outside input, each as the product calls it; the first byte picks
/// one: `If-Match`, `Idempotency-Key`, `Authorization`, `Accept-Language`,
/// `X-Forwarded-For`, the pages' `next=` redirect, the path/query control-character guard,
/// email addresses, access tokens (JWT), webhook URLs and MFA / recovery codes.
pub fn small_inputs(data: &[u8]) {
    use kensa_domain::config::{AuthLimits, Secret, WebhookPolicy};
    use kensa_domain::idempotency::{IdempotencyKey, MAX_KEY_CHARS};
    use kensa_domain::users::model::EmailAddress;
    let Some((&pick, data)) = data.split_first() else { return };
    let header = HeaderValue::from_bytes(data).ok();
    let header_text = header.as_ref().and_then(|v| v.to_str().ok());
    match pick % 11 {
        0 => match header.as_ref().map(if_match_value) {
            Some(Ok(IfMatch::Absent)) => panic!("a header that is present reads as absent"),
            Some(Err(e)) => client_error(e),
            _ => {}
        },
        1 => match header_text.map(IdempotencyKey::parse) {
            Some(Ok(key)) => {
                let key = key.as_str();
                assert!(!key.is_empty() && key.len() <= MAX_KEY_CHARS && key == key.trim(), "{key:?}");
            }
            Some(Err(e)) => invalid(vec![e]),
            None => {}
        },
        2 => match header.as_ref().map(bearer_token) {
            Some(Ok(token)) => assert!(!token.is_empty() && token == token.trim()),
            Some(Err(e)) => client_error(e),
            None => {}
        },
        3 => drop(header_text.map(crate::web::context::accept_language)),
        4 => {
            let trusted_proxies = ["10.0.0.0/8", "fd00::/8"].iter().filter_map(|n| n.parse().ok()).collect();
            let limits = AuthLimits { trusted_proxies, ..AuthLimits::default() };
            let text = text(data);
            let headers: Vec<&str> = text.split('\n').collect();
            assert!(limits.client_address("10.0.0.1".parse().ok(), &headers).is_some());
        }
        5 => {
            // A `next=` the pages redirect to after signing in: never another origin.
            let next = text(data);
            if let Some(path) = crate::web::context::local_path(Some(&next))
                && let Ok(base) = url::Url::parse("https://kensa.example/app/")
                && let Ok(to) = base.join(&path)
            {
                assert_eq!(to.origin(), base.origin(), "{path:?} leaves the site");
            }
        }
        6 => {
            let text = text(data);
            let (path, query) = text.split_once('?').unwrap_or((&text, ""));
            if let Some(problem) = crate::text_guard::problem(path, query) {
                invalid(vec![problem]);
            }
        }
        7 => match EmailAddress::parse("email", &text(data)) {
            Ok(email) => {
                // Stored addresses are parsed again (sign-in, invitations): the same address.
                let stored = email.as_str().to_owned();
                assert!(stored.len() <= 254, "{stored}");
                assert_eq!(EmailAddress::parse("email", &stored).ok().map(|e| e.as_str().to_owned()), Some(stored));
            }
            Err(e) => invalid(vec![e]),
        },
        8 => {
            let keys = kensa_domain::auth::tokens::JwtKeys::new(
                &Secret::new("fuzz-secret-fuzz-secret-fuzz-secret".into()),
                None,
            );
            let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
            match keys.verify(&text(data), now) {
                Ok(_) => panic!("a token these keys never issued was accepted"),
                Err(e) => client_error(e),
            }
        }
        9 => webhook_url(&text(data), WebhookPolicy { https_only: pick & 0x40 != 0, allow_private: pick & 0x80 != 0 }),
        _ => {
            let code = text(data);
            match kensa_domain::auth::mfa::check_lengths(&[("code", Some(&code)), ("mfa_ticket", Some(&code))]) {
                Ok(()) => drop(kensa_domain::auth::mfa::SecondFactor::parse(&code)),
                Err(e) => client_error(e),
            }
        }
    }
}

/// An evidence upload's own parsing (the multipart framing is actix-multipart's): the
/// streaming UTF-8 check over chunks cut anywhere (held to `std::str::from_utf8` on the
/// whole file), the declared type against the first bytes, and the uploader's file name as
/// stored and served. Input: `[cuts][type][name length][name…][file…]`.
pub fn evidence_upload(data: &[u8]) {
    use kensa_domain::assessments::evidence::{accepted_types, check_content};
    use kensa_domain::assessments::evidence_names::{MAX_NAME_CHARS, ascii_fallback, extensions, sanitise};
    use kensa_domain::assessments::staging::Utf8Check;
    let [cuts, kind, name_len, rest @ ..] = data else { return };
    let (name, file) = rest.split_at(usize::from(*name_len).min(rest.len()));
    let types: Vec<&str> =
        accepted_types().chain(["text/plain; charset=utf-8", "application/x-msdownload", ""]).collect();
    let declared = types[usize::from(*kind) % types.len()];

    // Chunks as the network might cut them, 1 to 8 bytes, sizes from the bits of `cuts`.
    let mut check = Utf8Check::default();
    let (mut at, mut step) = (0, 0u32);
    while at < file.len() {
        let size = 1 + ((u32::from(*cuts) >> (step % 8)) & 7) as usize;
        let end = (at + size).min(file.len());
        check.feed(&file[at..end]);
        at = end;
        step += 1;
    }
    let utf8 = check.finish();
    assert_eq!(utf8, std::str::from_utf8(file).is_ok(), "the chunked UTF-8 check disagrees with std");

    let stored_type = match check_content(declared, &file[..file.len().min(16)], utf8) {
        Ok(kind) => kind,
        Err(e) => {
            invalid(vec![e]);
            declared.to_owned()
        }
    };
    let raw = String::from_utf8_lossy(name);
    let stored = sanitise(&raw, &stored_type);
    assert!(!stored.is_empty() && stored.chars().count() <= MAX_NAME_CHARS, "{stored:?}");
    assert!(
        !stored.chars().any(|c| c.is_control() || matches!(c, '/' | '\\' | '<' | '>' | ':' | '"' | '|' | '?' | '*')),
        "{stored:?}"
    );
    assert!(!stored.starts_with('.') && !stored.ends_with('.') && !stored.ends_with(' '), "{stored:?}");
    let allowed = extensions(&stored_type);
    if !allowed.is_empty() {
        let ext = stored.rsplit_once('.').map(|(_, e)| e).unwrap_or_default();
        assert!(allowed.iter().any(|a| a.eq_ignore_ascii_case(ext)), "{stored:?} as {stored_type}");
    }
    // Names are sanitised again when served: a stored name must read the same.
    assert_eq!(sanitise(&stored, &stored_type), stored, "sanitising {raw:?} twice changes it");
    let ascii = ascii_fallback(&stored);
    assert!(ascii.chars().all(|c| (c.is_ascii_graphic() || c == ' ') && !matches!(c, '"' | '\\' | '%')));
}

/// `POST /graphql` before any resolver: the JSON value count, the batch as JSON, then
/// `limits::check_batch` (batch size, query size, the bracket nesting that guards the
/// parser's recursion, the parse itself, aliases, root fields with fragments expanded,
/// anonymous and introspection rules). The first byte picks the caller.
pub fn graphql_request(data: &[u8]) {
    use crate::graphql::limits::{Caller, check_batch, check_json_values};
    use async_graphql::BatchRequest;
    let Some((&pick, body)) = data.split_first() else { return };
    let caller = Caller { signed_in: pick & 1 != 0, introspection: pick & 2 != 0 };
    if check_json_values(body).is_err() {
        return;
    }
    let Ok(batch) = serde_json::from_slice::<BatchRequest>(body) else { return };
    let requests = match batch {
        BatchRequest::Single(request) => vec![request],
        BatchRequest::Batch(requests) => requests,
    };
    if let Ok(verdicts) = check_batch(&requests, caller) {
        assert_eq!(verdicts.len(), requests.len());
    }
}

#[cfg(test)]
mod tests {
    use super::TARGETS;

    /// Every committed seed and crash input of every fuzz target, through the target's checks.
    #[test]
    fn every_fuzz_seed_passes_its_targets_checks() -> std::io::Result<()> {
        let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
        let mut replayed = 0;
        for (name, check) in TARGETS {
            let mut files: Vec<_> = std::fs::read_dir(seeds.join(name))?.collect::<Result<_, _>>()?;
            files.sort_by_key(|f| f.file_name());
            assert!(!files.is_empty(), "no seeds for {name}");
            for file in files {
                let bytes = std::fs::read(file.path())?;
                let outcome = std::panic::catch_unwind(|| check(&bytes));
                assert!(outcome.is_ok(), "{name}: {} fails its checks", file.path().display());
                replayed += 1;
            }
        }
        assert!(replayed >= TARGETS.len());
        Ok(())
    }
}
