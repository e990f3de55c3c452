//! The two-party half of the tenant-isolation matrix: buyer A sent assessment X to supplier
//! organization S, and B is a stranger. One table of REST rows (the GraphQL table, in
//! `isolation_graphql`, shares the parties and rules); every cell (anonymous, each role of
//! A and S, the stranger) is checked.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Member, Reply, TestApp, TestResult, due_in, spawn_app, unique_email};

/// What a caller may get from a route.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Expect {
    Ok,
    Forbidden,
    NotFound,
    /// Another tenant without the role: 403 or 404, both reveal nothing.
    Hidden,
}

/// What the stranger B gets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Stranger {
    /// A's resource does not exist for B.
    NotFound,
    /// A list answers with B's own rows: none.
    EmptyList,
    /// The route acts on B's own organization (a creation, a built-in): it succeeds.
    Own,
}

/// A request body, made afresh for every call so that creations do not collide.
#[derive(Clone)]
pub enum Body {
    Json(Value),
    Fresh(fn() -> Value),
    Csv(&'static str),
    Pdf,
    /// A body sent as an Excel workbook (its content is the caller's to choose).
    Xlsx(&'static [u8]),
}

pub type Rule = fn(&str, &str) -> Expect;

pub struct PartyRow {
    pub method: Method,
    pub path: String,
    body: Option<Body>,
    rule: Rule,
    stranger: Stranger,
    /// The call changes state for the next caller (submit, review, cancel, delete): an
    /// allowed caller need only get past the access check (neither 401 nor 403), since an
    /// earlier allowed caller may already have cancelled or deleted the resource.
    destructive: bool,
}

/// The ids the rows refer to.
pub struct Ids {
    pub assessment: String,
    pub evidence: String,
    /// A shared comment by the supplier.
    pub comment: String,
    pub supplier_record: String,
    pub campaign: String,
    pub builtin_template: String,
    pub a_template: String,
    /// A's mail to the supplier (a delivery only A's owners and admins see).
    pub delivery: String,
    /// A webhook endpoint of A.
    pub webhook: String,
    /// An API key of A.
    pub api_key: String,
    /// A second sign-in of A's owner (not the one the matrix calls with).
    pub session: String,
    /// S's live share of its answer library with A (answers, no terms).
    pub share: String,
    /// A's open request that S share its answers to the built-in sheet.
    pub share_request: String,
    /// S's forward of its supply chain below to A, made from assessment X.
    pub forward: String,
}

impl Ids {
    /// Placeholders, for listing the rows without a running app.
    pub fn placeholders() -> Self {
        let id = || uuid::Uuid::new_v4().to_string();
        Self {
            assessment: id(),
            evidence: id(),
            comment: id(),
            supplier_record: id(),
            campaign: id(),
            builtin_template: id(),
            a_template: id(),
            delivery: id(),
            webhook: id(),
            api_key: id(),
            session: id(),
            share: id(),
            share_request: id(),
            forward: id(),
        }
    }
}

pub struct Parties {
    pub members: Vec<(&'static str, &'static str, Member)>,
    pub b_owner: Member,
    pub ids: Ids,
}

impl Parties {
    pub fn member(&self, org: &str, role: &str) -> Result<&Member, String> {
        self.members.iter().find(|(o, r, _)| *o == org && *r == role).map(|m| &m.2).ok_or(format!("{org}:{role}"))
    }
}

fn pdf_form() -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"%PDF-1.4 x".to_vec())
            .file_name("e.pdf")
            .mime_str("application/pdf")
            .unwrap_or_else(|_| reqwest::multipart::Part::bytes(vec![])),
    )
}

/// Sends a row's request with its kind of body (JSON, CSV or a multipart PDF).
async fn send(app: &TestApp, method: &Method, path: &str, token: Option<&str>, body: Option<&Body>) -> Reply {
    let json = match body {
        None => None,
        Some(Body::Json(v)) => Some(v.clone()),
        Some(Body::Fresh(f)) => Some(f()),
        Some(Body::Csv(_) | Body::Pdf | Body::Xlsx(_)) => None,
    };
    if !matches!(body, Some(Body::Csv(_) | Body::Pdf | Body::Xlsx(_))) {
        return app.request(method.clone(), path, token, json).await;
    }
    let mut req = app.client.request(method.clone(), app.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req = match body {
        Some(Body::Csv(text)) => req.header("content-type", "text/csv").body(*text),
        Some(Body::Xlsx(bytes)) => {
            req.header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet").body(*bytes)
        }
        _ => req.multipart(pdf_form()),
    };
    match req.send().await {
        Ok(r) => TestApp::read(r).await,
        Err(e) => panic!("{method} {path}: {e}"),
    }
}

pub async fn parties(app: &TestApp) -> Parties {
    let (a_owner, s_owner, assessment) = app.invited_supplier(1).await;
    let mut members = vec![("A", "owner", a_owner.clone()), ("S", "owner", s_owner.clone())];
    for role in ["admin", "reviewer", "respondent", "viewer"] {
        members.push(("A", role, app.add_member(&a_owner, role).await));
        members.push(("S", role, app.add_member(&s_owner, role).await));
    }
    let a = Some(a_owner.access_token.as_str());
    let first_id = |reply: Reply| reply.body["data"][0]["id"].as_str().unwrap_or_default().to_owned();
    let supplier_record = first_id(app.get("/api/v1/suppliers", a).await);
    let campaign = first_id(app.get("/api/v1/campaigns", a).await);
    let builtin_template = app.builtin_template(&a_owner).await;
    let clone = app.post(&format!("/api/v1/templates/{builtin_template}/clone"), a, json!({})).await;
    let a_template = clone.body["id"].as_str().unwrap_or_default().to_owned();
    let path = format!("/api/v1/assessments/{assessment}/evidence");
    let uploaded = send(app, &Method::POST, &path, Some(&s_owner.access_token), Some(&Body::Pdf)).await;
    let evidence = uploaded.body["id"].as_str().unwrap_or_default().to_owned();
    let commented = app
        .post(
            &format!("/api/v1/assessments/{assessment}/comments"),
            Some(&s_owner.access_token),
            json!({ "body": "Hi" }),
        )
        .await;
    let comment = commented.body["id"].as_str().unwrap_or_default().to_owned();
    let delivery = first_id(app.get("/api/v1/deliveries", a).await);
    let hook = app.post("/api/v1/webhooks", a, new_webhook()).await;
    let webhook = hook.body["id"].as_str().unwrap_or_default().to_owned();
    let key = app.post("/api/v1/api-keys", a, new_api_key()).await;
    let api_key = key.body["id"].as_str().unwrap_or_default().to_owned();
    let again = app.signed_in_again(&a_owner).await;
    let sessions = app.get("/api/v1/me/sessions", Some(&again.access_token)).await;
    let session = sessions.body["data"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["current"] == true))
        .and_then(|s| s["id"].as_str())
        .unwrap_or_default()
        .to_owned();
    let shared = app
        .post(
            "/api/v1/shares",
            Some(&s_owner.access_token),
            json!({ "template_id": builtin_template, "recipient_organization_id": a_owner.org_id, "scope": "answers" }),
        )
        .await;
    let share = shared.body["id"].as_str().unwrap_or_default().to_owned();
    let asked = app
        .post("/api/v1/share-requests", a, json!({ "supplier_id": supplier_record, "template_id": builtin_template }))
        .await;
    let share_request = asked.body["id"].as_str().unwrap_or_default().to_owned();
    let forwarded = app
        .post("/api/v1/supply-chain/forwards", Some(&s_owner.access_token), json!({ "assessment_id": assessment }))
        .await;
    let forward = forwarded.body["id"].as_str().unwrap_or_default().to_owned();
    let b_owner = app.signup("Stranger B").await;
    let ids = Ids {
        assessment,
        evidence,
        comment,
        supplier_record,
        campaign,
        builtin_template,
        a_template,
        delivery,
        webhook,
        api_key,
        session,
        share,
        share_request,
        forward,
    };
    Parties { members, b_owner, ids }
}

pub fn readable_by_both(_: &str, _: &str) -> Expect {
    Expect::Ok
}

pub fn answerers(org: &str, role: &str) -> Expect {
    match (org, role) {
        ("S", "owner" | "admin" | "respondent") => Expect::Ok,
        _ => Expect::Forbidden,
    }
}

pub fn participants(org: &str, role: &str) -> Expect {
    match (org, role) {
        ("S", "owner" | "admin" | "respondent") | ("A", "owner" | "admin" | "reviewer") => Expect::Ok,
        _ => Expect::Forbidden,
    }
}

pub fn buyer_reviewers(org: &str, role: &str) -> Expect {
    match (org, role) {
        ("A", "owner" | "admin" | "reviewer") => Expect::Ok,
        _ => Expect::Forbidden,
    }
}

pub fn buyer_readers(org: &str, _: &str) -> Expect {
    if org == "A" { Expect::Ok } else { Expect::NotFound }
}

pub fn buyer_editors_of_registry(org: &str, role: &str) -> Expect {
    match (org, role) {
        ("A", "owner" | "admin" | "reviewer") => Expect::Ok,
        ("A", _) => Expect::Forbidden,
        (_, "owner" | "admin" | "reviewer") => Expect::NotFound,
        _ => Expect::Hidden,
    }
}

/// Editors of their own organization's registry or templates, whichever side they are on.
pub fn editors_of_their_own(_: &str, role: &str) -> Expect {
    match role {
        "owner" | "admin" | "reviewer" => Expect::Ok,
        _ => Expect::Forbidden,
    }
}

/// The buyer's owners and admins (its deliveries and webhooks); the supplier side does not see them.
pub fn buyer_admins(org: &str, role: &str) -> Expect {
    match (org, role) {
        ("A", "owner" | "admin") => Expect::Ok,
        ("A", _) => Expect::Forbidden,
        (_, "owner" | "admin") => Expect::NotFound,
        _ => Expect::Hidden,
    }
}

/// Owners and admins of their own organization (supplier-claim decisions).
/// A sign-in is its user's alone: everyone else, in the organization or not, gets 404.
pub fn the_signed_in_owner(org: &str, role: &str) -> Expect {
    if (org, role) == ("A", "owner") { Expect::Ok } else { Expect::NotFound }
}

pub fn admins_of_their_own(_: &str, role: &str) -> Expect {
    match role {
        "owner" | "admin" => Expect::Ok,
        _ => Expect::Forbidden,
    }
}

/// Keepers of their own organization's answer library (owners, admins, respondents), on
/// either side: every organization has one.
pub fn library_keepers(_: &str, role: &str) -> Expect {
    match role {
        "owner" | "admin" | "respondent" => Expect::Ok,
        _ => Expect::Forbidden,
    }
}

/// The library of A's own template line: A's keepers; the supplier organization was never
/// shown that template (not found), and its other roles are refused before that.
pub fn library_keepers_of_a_template(org: &str, role: &str) -> Expect {
    match (org, role) {
        ("A", "owner" | "admin" | "respondent") => Expect::Ok,
        (_, "owner" | "admin" | "respondent") => Expect::NotFound,
        _ => Expect::Forbidden,
    }
}

/// The recipient of S's share (A) reads it, whatever the role; S, its owner, reads only the
/// share itself, not through the recipient's route.
pub fn share_recipients(org: &str, _: &str) -> Expect {
    if org == "A" { Expect::Ok } else { Expect::NotFound }
}

/// The recipient's owners, admins and reviewers decide on the share (its terms).
pub fn share_recipient_procurers(org: &str, role: &str) -> Expect {
    match (org, role) {
        ("A", "owner" | "admin" | "reviewer") => Expect::Ok,
        ("A", _) => Expect::Forbidden,
        _ => Expect::NotFound,
    }
}

/// A file that is not in the share: no one finds it, the recipient included (the real
/// download is in `shares::a_shared_submission_stays_as_it_was_…`).
pub fn no_one(_: &str, _: &str) -> Expect {
    Expect::NotFound
}

/// The supplier organization's owners and admins (its shares, the requests made to it).
pub fn supplier_admins(org: &str, role: &str) -> Expect {
    match (org, role) {
        ("S", "owner" | "admin") => Expect::Ok,
        _ => Expect::Forbidden,
    }
}

/// The Tier-1's owners and admins forward from an assessment they answer; the buyer's own
/// are told there is no such assessment for them to forward from (422 naming it).
pub fn tier1_admins(org: &str, role: &str) -> Expect {
    match (org, role) {
        ("S", "owner" | "admin") => Expect::Ok,
        ("A", "owner" | "admin") => Expect::NotFound,
        _ => Expect::Forbidden,
    }
}

/// A public https URL: saved without a delivery being tried (no worker runs here).
fn new_api_key() -> Value {
    json!({ "name": "Matrix ERP", "scope": "read_only" })
}

pub fn new_webhook() -> Value {
    json!({ "url": "https://hooks.example.com/kensa", "event_types": ["assessment.submitted"] })
}

fn new_supplier() -> Value {
    json!({ "name": "Matrix Co", "contact_name": "C", "contact_email": unique_email("matrix-supplier"), "tier": "tier1" })
}

pub fn new_template() -> Value {
    json!({
        "key": format!("t-{}", uuid::Uuid::new_v4().simple()), "name": "T", "guideline_version": "1",
        "categories": [{ "number": 1, "name": "C", "sections": [{ "code": "1", "items": [{ "no": 1, "level": 1, "question": "Q?" }] }] }]
    })
}

const CSV: &str = "name,contact_name,contact_email,tier,target_level,tags\nCsv Co,C,csv-matrix@example.com,tier1,1,\n";

/// Every REST route that concerns an assessment, a supplier record or a campaign. Rows that
/// change state for the next caller come last.
pub fn party_rows(ids: &Ids) -> Vec<PartyRow> {
    use Method as M;
    use Stranger::{EmptyList, NotFound, Own};
    let (x, e, sup, c) = (&ids.assessment, &ids.evidence, &ids.supplier_record, &ids.campaign);
    let w = &ids.webhook;
    let claim = uuid::Uuid::new_v4();
    let row = |method: Method, path: String, body: Option<Body>, rule: Rule, stranger: Stranger| PartyRow {
        method,
        path,
        body,
        rule,
        stranger,
        destructive: false,
    };
    let last = |method: Method, path: String, body: Option<Body>, rule: Rule| PartyRow {
        method,
        path,
        body,
        rule,
        stranger: NotFound,
        destructive: true,
    };
    let campaign =
        json!({ "name": "Matrix", "template_id": ids.builtin_template, "due_date": due_in(30), "supplier_ids": [sup] });
    vec![
        row(M::GET, "/api/v1/assessments".into(), None, readable_by_both, EmptyList),
        row(M::GET, format!("/api/v1/assessments/{x}"), None, readable_by_both, NotFound),
        row(M::GET, format!("/api/v1/assessments/{x}/questions"), None, readable_by_both, NotFound),
        row(M::GET, format!("/api/v1/assessments/{x}/comments"), None, readable_by_both, NotFound),
        row(M::GET, format!("/api/v1/assessments/{x}/comments/{}", ids.comment), None, readable_by_both, NotFound),
        row(M::GET, format!("/api/v1/assessments/{x}/history"), None, readable_by_both, NotFound),
        row(M::GET, format!("/api/v1/assessments/{x}/score"), None, readable_by_both, NotFound),
        row(M::GET, format!("/api/v1/assessments/{x}/gaps"), None, readable_by_both, NotFound),
        row(M::GET, format!("/api/v1/assessments/{x}/crosswalk"), None, readable_by_both, NotFound),
        row(M::GET, format!("/api/v1/assessments/{x}/workbook"), None, readable_by_both, NotFound),
        // Not a workbook: an answerer gets past the access check to 422 workbook_unreadable.
        last(M::PUT, format!("/api/v1/assessments/{x}/workbook"), Some(Body::Xlsx(b"PK not a workbook")), answerers),
        row(M::GET, format!("/api/v1/assessments/{x}/evidence"), None, readable_by_both, NotFound),
        row(M::GET, format!("/api/v1/assessments/{x}/evidence/{e}"), None, readable_by_both, NotFound),
        row(M::POST, format!("/api/v1/assessments/{x}/evidence"), Some(Body::Pdf), answerers, NotFound),
        row(
            M::PUT,
            format!("/api/v1/assessments/{x}/answers/1"),
            Some(Body::Json(json!({ "status": "implemented" }))),
            answerers,
            NotFound,
        ),
        row(
            M::POST,
            format!("/api/v1/assessments/{x}/answers"),
            Some(Body::Json(json!({ "answers": [{ "no": 1, "status": "implemented" }] }))),
            answerers,
            NotFound,
        ),
        row(
            M::POST,
            format!("/api/v1/assessments/{x}/comments"),
            Some(Body::Json(json!({ "body": "A question" }))),
            participants,
            NotFound,
        ),
        row(
            M::POST,
            format!("/api/v1/assessments/{x}/resend-invitation"),
            Some(Body::Json(json!({}))),
            buyer_reviewers,
            NotFound,
        ),
        row(M::GET, "/api/v1/suppliers".into(), None, readable_by_both, EmptyList),
        row(M::POST, "/api/v1/suppliers".into(), Some(Body::Fresh(new_supplier)), editors_of_their_own, Own),
        row(M::POST, "/api/v1/suppliers/import".into(), Some(Body::Csv(CSV)), editors_of_their_own, Own),
        row(M::GET, format!("/api/v1/suppliers/{sup}"), None, buyer_readers, NotFound),
        row(M::GET, format!("/api/v1/suppliers/{sup}/scores"), None, buyer_readers, NotFound),
        row(
            M::PATCH,
            format!("/api/v1/suppliers/{sup}"),
            Some(Body::Json(json!({ "tier": "tier1" }))),
            buyer_editors_of_registry,
            NotFound,
        ),
        row(M::GET, "/api/v1/campaigns".into(), None, readable_by_both, EmptyList),
        // The comparison is of the caller's own registry: the supplier organization and the
        // stranger have none (empty pages; zero counts where the answer is no list).
        row(M::GET, "/api/v1/comparison".into(), None, readable_by_both, EmptyList),
        row(M::GET, "/api/v1/comparison/heatmap".into(), None, readable_by_both, EmptyList),
        row(
            M::GET,
            format!("/api/v1/comparison/items?template_id={}", ids.builtin_template),
            None,
            readable_by_both,
            Own,
        ),
        row(M::GET, "/api/v1/comparison/summary".into(), None, readable_by_both, Own),
        row(M::GET, "/api/v1/comparison/export?format=csv".into(), None, readable_by_both, Own),
        row(M::GET, format!("/api/v1/campaigns/{c}"), None, buyer_readers, NotFound),
        // Each organization's own answer library; the stranger writes and reads its own.
        row(
            M::PUT,
            format!("/api/v1/library/{}/items/1", ids.builtin_template),
            Some(Body::Json(json!({ "status": "implemented" }))),
            library_keepers,
            Own,
        ),
        row(M::GET, format!("/api/v1/library/{}", ids.builtin_template), None, library_keepers, Own),
        row(M::GET, "/api/v1/library".into(), None, library_keepers, Own),
        row(M::GET, format!("/api/v1/library/{}", ids.a_template), None, library_keepers_of_a_template, NotFound),
        row(M::GET, format!("/api/v1/assessments/{x}/prefill"), None, answerers, NotFound),
        row(M::POST, format!("/api/v1/assessments/{x}/prefill"), Some(Body::Json(json!({}))), answerers, NotFound),
        // The first keeper removes item 1, the next find it gone (404); the stranger removes
        // the one it wrote above.
        PartyRow {
            method: M::DELETE,
            path: format!("/api/v1/library/{}/items/1", ids.builtin_template),
            body: None,
            rule: library_keepers,
            stranger: Own,
            destructive: true,
        },
        // Sharing: S shared its library with A, and A asked S for a share.
        row(M::GET, "/api/v1/shares".into(), None, readable_by_both, EmptyList),
        row(M::GET, "/api/v1/share-requests".into(), None, readable_by_both, EmptyList),
        row(M::GET, "/api/v1/comparison/shared".into(), None, readable_by_both, EmptyList),
        row(M::GET, format!("/api/v1/shares/{}", ids.share), None, readable_by_both, NotFound),
        row(M::GET, format!("/api/v1/shares/{}/assessment", ids.share), None, share_recipients, NotFound),
        row(M::GET, format!("/api/v1/shares/{}/assessment/score", ids.share), None, share_recipients, NotFound),
        row(M::GET, format!("/api/v1/shares/{}/assessment/questions", ids.share), None, share_recipients, NotFound),
        // A share of answers without evidence: no one finds its file list.
        row(M::GET, format!("/api/v1/shares/{}/assessment/evidence", ids.share), None, no_one, NotFound),
        row(M::GET, format!("/api/v1/shares/{}/evidence/{}", ids.share, uuid::Uuid::new_v4()), None, no_one, NotFound),
        row(
            M::POST,
            format!("/api/v1/shares/{}/accept-terms", ids.share),
            Some(Body::Json(json!({}))),
            share_recipient_procurers,
            NotFound,
        ),
        row(
            M::POST,
            format!("/api/v1/shares/{}/review", ids.share),
            Some(Body::Json(json!({ "decision": "accept" }))),
            share_recipient_procurers,
            NotFound,
        ),
        row(
            M::POST,
            "/api/v1/shares".into(),
            Some(Body::Json(
                json!({ "template_id": ids.builtin_template, "recipient_domain": "example.org", "scope": "scores" }),
            )),
            admins_of_their_own,
            Own,
        ),
        row(
            M::POST,
            "/api/v1/share-requests".into(),
            Some(Body::Json(json!({ "supplier_id": sup, "template_id": ids.builtin_template }))),
            buyer_editors_of_registry,
            NotFound,
        ),
        // The cascade: S (a Tier-1) forwarded its supply chain below to A from assessment X.
        row(M::GET, format!("/api/v1/assessments/{x}/forwarding-consent"), None, readable_by_both, NotFound),
        row(
            M::PUT,
            format!("/api/v1/assessments/{x}/forwarding-consent"),
            Some(Body::Json(json!({ "consent": "anonymous" }))),
            supplier_admins,
            NotFound,
        ),
        row(M::GET, "/api/v1/supply-chain/forwards".into(), None, readable_by_both, EmptyList),
        row(M::GET, format!("/api/v1/supply-chain/forwards/{}", ids.forward), None, readable_by_both, NotFound),
        row(M::GET, "/api/v1/comparison/supply-chain".into(), None, readable_by_both, EmptyList),
        row(
            M::POST,
            "/api/v1/supply-chain/forwards".into(),
            Some(Body::Json(json!({ "assessment_id": x }))),
            tier1_admins,
            NotFound,
        ),
        row(M::GET, "/api/v1/organization/settings".into(), None, admins_of_their_own, Own),
        row(
            M::PATCH,
            "/api/v1/organization/settings".into(),
            Some(Body::Json(json!({ "review_lead_days": 30 }))),
            admins_of_their_own,
            Own,
        ),
        row(M::GET, "/api/v1/deliveries".into(), None, admins_of_their_own, EmptyList),
        row(M::GET, format!("/api/v1/deliveries/{}", ids.delivery), None, buyer_admins, NotFound),
        // Before the creation rows: the stranger's lists are empty until it makes one.
        row(M::GET, "/api/v1/api-keys".into(), None, admins_of_their_own, EmptyList),
        row(M::POST, "/api/v1/api-keys".into(), Some(Body::Fresh(new_api_key)), admins_of_their_own, Own),
        row(M::GET, "/api/v1/webhooks".into(), None, admins_of_their_own, EmptyList),
        row(M::POST, "/api/v1/webhooks".into(), Some(Body::Fresh(new_webhook)), admins_of_their_own, Own),
        row(M::GET, format!("/api/v1/webhooks/{w}"), None, buyer_admins, NotFound),
        row(
            M::PATCH,
            format!("/api/v1/webhooks/{w}"),
            Some(Body::Json(json!({ "description": "Matrix" }))),
            buyer_admins,
            NotFound,
        ),
        row(M::POST, format!("/api/v1/webhooks/{w}/ping"), Some(Body::Json(json!({}))), buyer_admins, NotFound),
        row(M::GET, format!("/api/v1/webhooks/{w}/deliveries"), None, buyer_admins, NotFound),
        // No claim exists here: an admin gets past the role check to a 404. The decisions on
        // a real claim are in `isolation::supplier_claim_decisions_refuse_...`.
        last(
            M::POST,
            format!("/api/v1/supplier-claims/{claim}/approve"),
            Some(Body::Json(json!({}))),
            admins_of_their_own,
        ),
        last(
            M::POST,
            format!("/api/v1/supplier-claims/{claim}/reject"),
            Some(Body::Json(json!({}))),
            admins_of_their_own,
        ),
        // No link has this token: a procurer gets past the role check to a 404.
        last(M::POST, "/api/v1/shares/claim/no-such-link".into(), Some(Body::Json(json!({}))), editors_of_their_own),
        last(
            M::POST,
            format!("/api/v1/share-requests/{}/decline", ids.share_request),
            Some(Body::Json(json!({}))),
            supplier_admins,
        ),
        last(M::DELETE, format!("/api/v1/share-requests/{}", ids.share_request), None, buyer_reviewers),
        last(M::DELETE, format!("/api/v1/shares/{}", ids.share), None, supplier_admins),
        last(M::DELETE, format!("/api/v1/supply-chain/forwards/{}", ids.forward), None, supplier_admins),
        last(M::POST, "/api/v1/campaigns".into(), Some(Body::Json(campaign)), buyer_editors_of_registry),
        // Not dead: an admin gets past the access check to a 409.
        last(M::POST, format!("/api/v1/deliveries/{}/resend", ids.delivery), Some(Body::Json(json!({}))), buyer_admins),
        // Not accepted yet: an answerer gets past the access check to a 409.
        last(
            M::POST,
            format!("/api/v1/assessments/{x}/remediations/1"),
            Some(Body::Json(json!({ "done": true }))),
            answerers,
        ),
        // An assessment is in progress: an editor gets past the access check to a 409.
        last(
            M::POST,
            format!("/api/v1/suppliers/{sup}/reviews"),
            Some(Body::Json(json!({}))),
            buyer_editors_of_registry,
        ),
        last(M::POST, format!("/api/v1/assessments/{x}/submit"), Some(Body::Json(json!({}))), answerers),
        last(
            M::POST,
            format!("/api/v1/assessments/{x}/review"),
            Some(Body::Json(json!({ "decision": "accept" }))),
            buyer_reviewers,
        ),
        last(M::DELETE, format!("/api/v1/assessments/{x}/evidence/{e}"), None, answerers),
        last(M::POST, format!("/api/v1/assessments/{x}/cancel"), Some(Body::Json(json!({}))), buyer_reviewers),
        last(M::POST, format!("/api/v1/campaigns/{c}/cancel"), Some(Body::Json(json!({}))), buyer_editors_of_registry),
        last(M::DELETE, format!("/api/v1/suppliers/{sup}"), None, buyer_editors_of_registry),
        last(M::DELETE, format!("/api/v1/webhooks/{w}"), None, buyer_admins),
        last(M::DELETE, format!("/api/v1/api-keys/{}", ids.api_key), None, buyer_admins),
        last(M::DELETE, format!("/api/v1/me/sessions/{}", ids.session), None, the_signed_in_owner),
    ]
}

/// The callers of a row in the order that keeps destructive rows meaningful: the refusals
/// before anyone allowed has changed the resource.
pub fn callers(p: &Parties, rule: Rule) -> Vec<&(&'static str, &'static str, Member)> {
    let mut callers: Vec<_> = p.members.iter().collect();
    callers.sort_by_key(|(org, role, _)| rule(org, role) == Expect::Ok);
    callers
}

/// Whether a caller's status (REST) or error code (GraphQL, `ok` for no error) meets `expect`.
pub fn meets(expect: Expect, destructive: bool, ok: bool, code: &str) -> bool {
    match expect {
        Expect::Ok if destructive => !matches!(code, "unauthenticated" | "forbidden"),
        Expect::Ok => ok,
        Expect::Forbidden => code == "forbidden",
        Expect::NotFound => code == "not_found",
        Expect::Hidden => matches!(code, "forbidden" | "not_found"),
    }
}

/// A 422 naming a field whose referenced resource is `not_found` (another tenant's
/// supplier in a campaign) says no more than a 404 does.
pub fn refers_to_the_unknown(problem: &Value) -> bool {
    problem["errors"].as_array().is_some_and(|errors| errors.iter().any(|e| e["code"] == "not_found"))
}

fn rest_code(reply: &Reply) -> &str {
    match reply.status.as_u16() {
        401 => "unauthenticated",
        403 => "forbidden",
        404 => "not_found",
        422 if refers_to_the_unknown(&reply.body) => "not_found",
        _ => "other",
    }
}

#[tokio::test]
async fn every_assessment_supplier_and_campaign_route_answers_each_party_as_its_role_allows() -> TestResult {
    let app = spawn_app().await;
    let p = parties(&app).await;
    for row in party_rows(&p.ids) {
        let (method, path, body) = (&row.method, row.path.as_str(), row.body.as_ref());
        let anonymous = send(&app, method, path, None, body).await;
        assert_eq!(anonymous.status.as_u16(), 401, "{method} {path} anonymous: {}", anonymous.body);
        let stranger = send(&app, method, path, Some(&p.b_owner.access_token), body).await;
        let stranger_ok = match row.stranger {
            Stranger::NotFound => rest_code(&stranger) == "not_found",
            Stranger::EmptyList => stranger.status.is_success() && stranger.body["data"] == json!([]),
            Stranger::Own => stranger.status.is_success(),
        };
        assert!(stranger_ok, "{method} {path} as another tenant: {} {}", stranger.status, stranger.body);
        for (org, role, member) in callers(&p, row.rule) {
            let reply = send(&app, method, path, Some(&member.access_token), body).await;
            let expect = (row.rule)(org, role);
            assert!(
                meets(expect, row.destructive, reply.status.is_success(), rest_code(&reply)),
                "{method} {path} as {org}:{role} expected {expect:?}, got {} {}",
                reply.status,
                reply.body
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn strangers_cannot_upload_delete_cancel_or_review_and_see_no_lists() -> TestResult {
    let app = spawn_app().await;
    let p = parties(&app).await;
    let b = Some(p.b_owner.access_token.as_str());
    let x = &p.ids.assessment;
    app.delete(&format!("/api/v1/assessments/{x}/evidence/{}", p.ids.evidence), b)
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("/api/v1/assessments/{x}/cancel"), b, json!({})).await.assert_problem(404, "not_found");
    app.post(&format!("/api/v1/assessments/{x}/review"), b, json!({ "decision": "accept" }))
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("/api/v1/assessments/{x}/submit"), b, json!({})).await.assert_problem(404, "not_found");
    app.delete(&format!("/api/v1/suppliers/{}", p.ids.supplier_record), b).await.assert_problem(404, "not_found");
    app.post(&format!("/api/v1/campaigns/{}/cancel", p.ids.campaign), b, json!({}))
        .await
        .assert_problem(404, "not_found");
    for path in ["/api/v1/assessments", "/api/v1/suppliers", "/api/v1/campaigns"] {
        let list = app.get(path, b).await;
        assert_eq!(list.body["data"].as_array().map(Vec::len), Some(0), "{path}: {}", list.body);
    }
    // The supplier's organization sees its assessment but nothing of the buyer's registry.
    let s_owner = p.member("S", "owner")?;
    let s = Some(s_owner.access_token.as_str());
    let a_owner = p.member("A", "owner")?;
    let export_lines = |token: &str| {
        let request = app.client.get(app.url("/api/v1/suppliers/export")).bearer_auth(token.to_owned()).send();
        async move { request.await?.text().await.map(|t| t.lines().count()) }
    };
    assert_eq!(export_lines(&a_owner.access_token).await?, 2, "the buyer's export has its supplier");
    assert_eq!(export_lines(&p.b_owner.access_token).await?, 1, "a stranger's export is its own: a header");
    assert_eq!(export_lines(&s_owner.access_token).await?, 1, "the supplier's export is its own");
    assert_eq!(app.get("/api/v1/suppliers", s).await.body["data"].as_array().map(Vec::len), Some(0));
    assert_eq!(app.get("/api/v1/campaigns", s).await.body["data"].as_array().map(Vec::len), Some(0));
    let theirs = app.get("/api/v1/assessments", s).await;
    assert_eq!(theirs.body["data"].as_array().map(Vec::len), Some(1));
    // A supplier cannot cancel, and a buyer viewer cannot either.
    app.post(&format!("/api/v1/assessments/{x}/cancel"), s, json!({})).await.assert_problem(403, "forbidden");
    Ok(())
}
