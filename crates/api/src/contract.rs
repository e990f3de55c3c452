//! The rules that complete the generated OpenAPI document, applied to what the handlers'
//! annotations give (see [`crate::openapi::json`]). They state once what the API's shared
//! machinery answers on every route, so no handler can forget it:
//!
//! - **extractors and middleware**: a protected operation can answer 401 (no, or a bad,
//!   `Authorization: Bearer`) and 400 (an unreadable header); a JSON body 400
//!   (`malformed_json`), 413, 415 and 422; a path parameter 404 (an unparsable or unknown id);
//!   every operation 422 (a bad parameter, or control characters anywhere in the path or
//!   query, refused by [`crate::text_guard`]) and a `default` (500 `internal_error`, 503
//!   when the database is down);
//! - **lists** page alike: `limit` is 1–200, 50 by default ([`kensa_domain::pagination`]);
//! - **query and header parameters** are absent or a value, never `null`;
//! - **response-only schemas** are serialized whole: every property is present (nullable
//!   ones as `null`), so every property is `required`, except those serde skips
//!   ([`SKIPPED_WHEN_EMPTY`]);
//! - **responses** all have a description (their reason phrase when the annotation gives none).
//!
//! What a handler itself can answer (403, 409, 410, 412, 429, 503, headers) stays in its
//! `#[utoipa::path]` annotation.

use std::collections::BTreeSet;

use kensa_domain::pagination::{DEFAULT_LIMIT, MAX_LIMIT};
use serde_json::{Map, Value, json};

/// Operations whose body is read as bytes whatever its `Content-Type` (no 415): the supplier
/// invitation accept, whose body is absent when the caller sends a Bearer token.
const ANY_CONTENT_TYPE: &[&str] = &["acceptInvitation"];

/// (schema, property) pairs of response schemas that serde leaves out when empty.
const SKIPPED_WHEN_EMPTY: &[(&str, &str)] = &[("Problem", "detail"), ("Problem", "errors"), ("Problem", "request_id")];

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

fn problem_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } }
    })
}

/// The shared responses, referenced from every operation they apply to.
fn shared_responses() -> Value {
    let mut unauthorized = problem_response(
        "Unauthorized: no `Authorization: Bearer` header (`unauthenticated`), or an invalid or expired \
         token (`invalid_token`, `token_expired`, …).",
    );
    unauthorized["headers"] =
        json!({ "WWW-Authenticate": { "description": "Always `Bearer`.", "schema": { "type": "string" } } });
    json!({
        "BadRequest": problem_response(
            "Bad request: the body is not JSON (`malformed_json`), or a header is unusable (`bad_request`: a \
             non-ASCII `Authorization`, an `If-Match` that is no ETag)."),
        "Unauthorized": unauthorized,
        "NotFound": problem_response(
            "Not found (`not_found`): no such resource, or one of another organization (which looks the same), \
             or an id that is not a UUID."),
        "PayloadTooLarge": problem_response(
            "Payload too large: the body exceeds the route's limit (`payload_too_large`, 1 MiB for JSON unless \
             the operation says otherwise) or holds more than 200,000 JSON values (`too_many_json_values`)."),
        "UnsupportedMediaType": problem_response(
            "Unsupported media type (`unsupported_media_type`): send `Content-Type: application/json`."),
        "ValidationFailed": problem_response(
            "Validation failed (`validation_failed` or a more specific code): `errors` lists every field at \
             fault, with its path (`answers[3].status`, `limit`) and its own code. Control characters in the \
             path or in any query parameter are refused here too (`invalid_characters`)."),
        "Unexpected": problem_response(
            "Unexpected: 500 `internal_error` (quote `request_id`), or 503 `service_unavailable` when the \
             database is unreachable."),
    })
}

fn reason(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted",
        "204" => "No content",
        "400" => "Bad request",
        "401" => "Unauthorized",
        "403" => "Forbidden (`forbidden`): the caller's role does not allow this.",
        "404" => "Not found",
        "409" => "Conflict",
        "410" => "Gone",
        "412" => {
            "Precondition failed (`precondition_failed`): `If-Match` names a version that is no longer \
                  current; reload and retry."
        }
        "413" => "Payload too large",
        "415" => "Unsupported media type",
        "422" => "Unprocessable",
        "429" => "Too many requests (`too_many_requests`): wait `Retry-After` seconds.",
        "503" => "Service unavailable: wait `Retry-After` seconds.",
        _ => "Response",
    }
}

/// Applies every rule to `doc`, the document as utoipa serializes it.
pub fn complete(doc: &mut Value) {
    if let Some(components) = doc.get_mut("components").and_then(Value::as_object_mut) {
        components.insert("responses".into(), shared_responses());
    }
    let mut request_refs = BTreeSet::new();
    let mut response_refs = BTreeSet::new();
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            for method in METHODS {
                if let Some(op) = item.get_mut(*method).and_then(Value::as_object_mut) {
                    complete_operation(op);
                    collect_refs(op.get("requestBody"), &mut request_refs);
                    collect_refs(op.get("parameters"), &mut request_refs);
                    collect_refs(op.get("responses"), &mut response_refs);
                }
            }
        }
    }
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        let requests = closure(schemas, request_refs);
        let responses = closure(schemas, response_refs);
        for name in responses.difference(&requests) {
            if let Some(schema) = schemas.get_mut(name) {
                require_every_property(name, schema);
            }
        }
    }
}

fn complete_operation(op: &mut Map<String, Value>) {
    let protected = op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
    // An operation without a requirement is public: say so (`[]`) rather than leave it unsaid.
    op.entry("security").or_insert_with(|| json!([]));
    let operation_id = op.get("operationId").and_then(Value::as_str).unwrap_or_default().to_owned();
    let json_body = op
        .get("requestBody")
        .and_then(|b| b.get("content"))
        .and_then(Value::as_object)
        .is_some_and(|c| c.contains_key("application/json"));
    let mut in_path = false;
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for param in params {
            match param.get("in").and_then(Value::as_str) {
                Some("path") => in_path = true,
                Some("query") => {
                    absent_not_null(param);
                    page_limit(param);
                }
                Some("header") => absent_not_null(param),
                _ => {}
            }
        }
    }
    let responses = op.entry("responses").or_insert_with(|| json!({}));
    let Some(responses) = responses.as_object_mut() else { return };
    let mut shared = |status: &str, name: &str| {
        responses.entry(status).or_insert_with(|| json!({ "$ref": format!("#/components/responses/{name}") }));
    };
    if json_body || protected {
        shared("400", "BadRequest");
    }
    if protected {
        shared("401", "Unauthorized");
    }
    if in_path {
        shared("404", "NotFound");
    }
    if json_body {
        shared("413", "PayloadTooLarge");
        if !ANY_CONTENT_TYPE.contains(&operation_id.as_str()) {
            shared("415", "UnsupportedMediaType");
        }
    }
    // Even without parameters: `text_guard` refuses control characters in any query.
    shared("422", "ValidationFailed");
    shared("default", "Unexpected");
    for (status, response) in responses.iter_mut() {
        if let Some(response) = response.as_object_mut()
            && !response.contains_key("$ref")
            && response.get("description").and_then(Value::as_str).is_none_or(str::is_empty)
        {
            response.insert("description".into(), reason(status).into());
        }
    }
}

/// A query or header parameter is absent or has a value: `null` is not a thing to send.
fn absent_not_null(param: &mut Value) {
    // `Option<Enum>` is `oneOf: [{$ref}, {type: null}]`.
    if let Some(schema) = param.get_mut("schema")
        && let Some(one_of) = schema.get("oneOf").and_then(Value::as_array)
        && one_of.len() == 2
        && let Some(other) = one_of.iter().find(|s| s.get("type").and_then(Value::as_str) != Some("null"))
        && one_of.iter().any(|s| s.get("type").and_then(Value::as_str) == Some("null"))
    {
        *schema = other.clone();
    }
    if let Some(types) = param.pointer_mut("/schema/type")
        && let Some(list) = types.as_array()
    {
        let kept: Vec<Value> = list.iter().filter(|t| t.as_str() != Some("null")).cloned().collect();
        *types = if kept.len() == 1 { kept[0].clone() } else { Value::Array(kept) };
    }
}

/// Every list pages alike (`kensa_domain::pagination::PageRequest`).
fn page_limit(param: &mut Value) {
    if param.get("name").and_then(Value::as_str) != Some("limit") {
        return;
    }
    if let Some(schema) = param.get_mut("schema").and_then(Value::as_object_mut) {
        schema.insert("minimum".into(), json!(1));
        schema.insert("maximum".into(), json!(MAX_LIMIT));
        schema.insert("default".into(), json!(DEFAULT_LIMIT));
    }
    if let Some(param) = param.as_object_mut() {
        param
            .entry("description")
            .or_insert_with(|| json!(format!("Items per page: 1–{MAX_LIMIT}, {DEFAULT_LIMIT} by default.")));
    }
}

/// Names of the component schemas `value` refers to.
fn collect_refs(value: Option<&Value>, into: &mut BTreeSet<String>) {
    match value {
        Some(Value::Object(map)) => {
            if let Some(name) =
                map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                into.insert(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(Some(v), into));
        }
        Some(Value::Array(items)) => items.iter().for_each(|v| collect_refs(Some(v), into)),
        _ => {}
    }
}

/// `roots` and every schema they refer to, transitively.
fn closure(schemas: &Map<String, Value>, roots: BTreeSet<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = roots.into_iter().collect();
    while let Some(name) = todo.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let mut refs = BTreeSet::new();
        collect_refs(schemas.get(&name), &mut refs);
        todo.extend(refs.into_iter().filter(|r| !seen.contains(r)));
    }
    seen
}

fn require_every_property(name: &str, schema: &mut Value) {
    // A `#[serde(flatten)]`ed struct is an `allOf` of its parts.
    if let Some(parts) = schema.get_mut("allOf").and_then(Value::as_array_mut) {
        parts.iter_mut().for_each(|part| require_every_property(name, part));
    }
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
    let mut required: Vec<Value> =
        properties.keys().filter(|p| !SKIPPED_WHEN_EMPTY.contains(&(name, p.as_str()))).map(|p| json!(p)).collect();
    // Keep the annotation's order first (declaration order), then the rest.
    if let Some(existing) = schema.get("required").and_then(Value::as_array) {
        let mut ordered: Vec<Value> = existing.clone();
        required.retain(|p| !existing.contains(p));
        ordered.append(&mut required);
        required = ordered;
    }
    if let Some(schema) = schema.as_object_mut() {
        schema.insert("required".into(), Value::Array(required));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn document() -> Value {
        serde_json::from_str(&crate::openapi::json()).unwrap_or_default()
    }

    fn operations(doc: &Value) -> Vec<(String, &Value)> {
        let mut found = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for method in super::METHODS {
                if let Some(op) = item.get(*method) {
                    found.push((format!("{} {path}", method.to_uppercase()), op));
                }
            }
        }
        found
    }

    #[test]
    fn every_operation_has_an_id_a_summary_a_tag_and_described_responses() {
        let doc = document();
        let ops = operations(&doc);
        assert!(ops.len() > 40, "{}", ops.len());
        let mut ids = std::collections::BTreeSet::new();
        for (name, op) in ops {
            let id = op["operationId"].as_str().unwrap_or_default();
            assert!(id.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && !id.contains('_'), "{name}: {id}");
            assert!(ids.insert(id.to_owned()), "{name}: operationId {id} twice");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty() && !s.contains('\n')), "{name}");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{name}");
            assert!(op["responses"]["default"].is_object(), "{name}");
            for (status, response) in op["responses"].as_object().into_iter().flatten() {
                let described =
                    response["$ref"].is_string() || response["description"].as_str().is_some_and(|d| !d.is_empty());
                assert!(described, "{name} {status}");
            }
        }
    }

    #[test]
    fn every_protected_operation_declares_401_and_every_path_id_404() {
        let doc = document();
        for (name, op) in operations(&doc) {
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(op["responses"]["401"].is_object(), "{name}");
            }
            let path_param = op["parameters"].as_array().into_iter().flatten().any(|p| p["in"] == "path");
            // A caller without a user (an API key) has no `/me`: those routes answer 404 too.
            let own_account = name.contains(" /api/v1/me");
            // The organization's erasure: a single resource that exists once requested.
            let singleton = name.ends_with(" /api/v1/organization/erasure");
            // `/metrics` has no parameter but is not served on every port.
            if !name.ends_with("/metrics") {
                assert_eq!(path_param || own_account || singleton, op["responses"]["404"].is_object(), "{name}");
            }
        }
    }

    #[test]
    fn every_201_declares_location() {
        let doc = document();
        for (name, op) in operations(&doc) {
            if let Some(created) = op["responses"].get("201") {
                assert!(created["headers"]["Location"].is_object(), "{name}");
            }
        }
    }

    #[test]
    fn supplier_create_and_patch_have_the_same_fields_and_only_create_requires_any() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let keys = |name: &str| -> Vec<String> {
            schemas[name]["properties"].as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default()
        };
        assert!(!keys("SupplierCreate").is_empty());
        assert_eq!(keys("SupplierCreate"), keys("SupplierPatch"));
        assert_eq!(schemas["SupplierCreate"]["required"], serde_json::json!(["name", "contact_email"]));
        assert!(schemas["SupplierPatch"]["required"].is_null());
    }

    #[test]
    fn an_evidence_download_declares_every_type_a_file_may_be_stored_with() {
        let doc = document();
        let content =
            &doc["paths"]["/api/v1/assessments/{id}/evidence/{evidence_id}"]["get"]["responses"]["200"]["content"];
        let declared: std::collections::BTreeSet<&str> =
            content.as_object().map(|c| c.keys().map(String::as_str).collect()).unwrap_or_default();
        let accepted: std::collections::BTreeSet<&str> =
            kensa_domain::assessments::evidence::accepted_types().collect();
        assert_eq!(declared, accepted);
    }

    #[test]
    fn response_only_schemas_require_every_field_they_always_send() {
        let doc = document();
        let supplier = &doc["components"]["schemas"]["Supplier"]["required"];
        assert!(
            supplier.as_array().is_some_and(|r| r.contains(&"tier".into()) && r.contains(&"organization_id".into()))
        );
        let problem = doc["components"]["schemas"]["Problem"]["required"].as_array().cloned().unwrap_or_default();
        assert!(problem.contains(&"code".into()) && !problem.contains(&"detail".into()), "{problem:?}");
        let limit = doc["paths"]["/api/v1/suppliers"]["get"]["parameters"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == "limit"))
            .map(|p| p["schema"].clone())
            .unwrap_or_default();
        assert_eq!(
            (limit["minimum"].as_u64(), limit["maximum"].as_u64(), limit["default"].as_u64()),
            (Some(1), Some(200), Some(50))
        );
    }
}
