//! The tenant-isolation matrix. Every route that needs a signed-in caller has a row: an
//! anonymous caller gets 401, a role below the route's gets 403, and another organization
//! gets 404 for this organization's resources (or an empty list). New routes add rows.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Member, PASSWORD, TestApp, TestResult, spawn_app, unique_email};

/// Organization A with one member per role, and organization B's owner.
struct Fixture {
    a: Vec<(&'static str, Member)>,
    b_owner: Member,
    builtin_template: String,
    a_template: String,
    /// A pending invitation of organization A.
    invitation: String,
    /// A ready export of organization A.
    a_export: String,
    /// A member of A in none of the roles' places: the person of the personal-data rows.
    a_subject: Member,
}

impl Fixture {
    async fn build(app: &TestApp) -> Self {
        let owner = app.signup("Org A").await;
        let mut a = vec![("owner", owner.clone())];
        for role in ["admin", "reviewer", "respondent", "viewer"] {
            a.push((role, app.add_member(&owner, role).await));
        }
        let b_owner = app.signup("Org B").await;
        let templates = app.get("/api/v1/templates", Some(&owner.access_token)).await;
        let builtin_template = templates.body["data"][0]["id"].as_str().unwrap_or_default().to_owned();
        let clone = app
            .post(&format!("/api/v1/templates/{builtin_template}/clone"), Some(&owner.access_token), json!({}))
            .await;
        let a_template = clone.body["id"].as_str().unwrap_or_default().to_owned();
        let invited = app
            .post(
                "/api/v1/users/invitations",
                Some(&owner.access_token),
                json!({ "email": unique_email("m"), "role": "viewer" }),
            )
            .await;
        let invitation = invited.body["id"].as_str().unwrap_or_default().to_owned();
        // An export of A's, written (a link needs a ready one).
        let export = app.post("/api/v1/organization/export", Some(&owner.access_token), json!({})).await;
        let a_export = export.body["id"].as_str().unwrap_or_default().to_owned();
        app.run_worker().await;
        let a_subject = app.add_member(&owner, "viewer").await;
        Self { a, b_owner, builtin_template, a_template, invitation, a_export, a_subject }
    }

    fn a(&self, role: &str) -> &Member {
        match self.a.iter().find(|(r, _)| *r == role) {
            Some((_, m)) => m,
            None => panic!("no {role} in the fixture"),
        }
    }
}

pub struct Row {
    pub method: Method,
    pub path: String,
    /// Made afresh for every call, so that creations do not collide.
    body: Option<fn() -> Value>,
    /// Roles of organization A that may call it.
    allowed: &'static [&'static str],
    /// What organization B's owner gets: `Some(404)` for A's resources; `None` for routes
    /// that answer about B itself (checked separately for leaks).
    other_tenant_status: Option<u16>,
}

const ALL: &[&str] = &["owner", "admin", "reviewer", "respondent", "viewer"];
const ADMINS: &[&str] = &["owner", "admin"];
const EDITORS: &[&str] = &["owner", "admin", "reviewer"];

fn small_template() -> Value {
    json!({
        "key": format!("t-{}", uuid::Uuid::new_v4().simple()), "name": "T", "guideline_version": "1",
        "categories": [{ "number": 1, "name": "C", "sections": [{ "code": "1", "items": [{ "no": 1, "level": 1, "question": "Q?" }] }] }]
    })
}

fn row(
    method: Method,
    path: String,
    body: Option<fn() -> Value>,
    allowed: &'static [&'static str],
    other: Option<u16>,
) -> Row {
    Row { method, path, body, allowed, other_tenant_status: other }
}

/// The single-organization rows; ids are parameters so that the completeness test can list
/// them without a running app.
pub fn rows(
    a_viewer: &str,
    builtin: &str,
    a_template: &str,
    invitation: &str,
    a_export: &str,
    a_subject: &str,
) -> Vec<Row> {
    use Method as M;
    let invite: fn() -> Value = || json!({ "email": unique_email("matrix"), "role": "viewer" });
    vec![
        row(M::GET, "/api/v1/me".into(), None, ALL, None),
        // The caller's own account: nothing of anyone else's is named (see also
        // `isolation_coverage::OWN_FACTOR_ROUTES`).
        row(M::GET, "/api/v1/me/mfa".into(), None, ALL, None),
        row(M::POST, "/api/v1/me/mfa/totp".into(), None, ALL, None),
        row(M::GET, "/api/v1/me/sessions".into(), None, ALL, None),
        row(M::DELETE, "/api/v1/me/sessions".into(), None, ALL, None),
        // About the caller's own address only (verified here: no mail, `already_verified`).
        row(M::POST, "/api/v1/me/verify-email".into(), Some(|| json!({})), ALL, None),
        row(M::GET, "/api/v1/users".into(), None, ADMINS, None),
        row(M::POST, "/api/v1/users/invitations".into(), Some(invite), ADMINS, None),
        row(M::GET, format!("/api/v1/users/invitations/{invitation}"), None, ADMINS, Some(404)),
        row(M::PATCH, format!("/api/v1/users/{a_viewer}"), Some(|| json!({ "role": "viewer" })), ADMINS, Some(404)),
        row(M::GET, "/api/v1/audit-events".into(), None, ADMINS, None),
        row(M::GET, "/api/v1/audit-events/verify".into(), None, ADMINS, None),
        row(M::POST, "/api/v1/organization/export".into(), Some(|| json!({})), &["owner"], None),
        // Anyone lists the exports they asked for (owners: all of them).
        row(M::GET, "/api/v1/organization/exports".into(), None, ALL, None),
        // A person's data: owners, or the person (tested in `erasure`), in this order:
        // exported, erasure scheduled, read, cancelled.
        row(M::POST, format!("/api/v1/users/{a_subject}/export"), Some(|| json!({})), &["owner"], Some(404)),
        row(
            M::DELETE,
            format!("/api/v1/users/{a_subject}"),
            Some(|| json!({ "password": PASSWORD })),
            &["owner"],
            Some(404),
        ),
        row(M::GET, format!("/api/v1/users/{a_subject}/erasure"), None, &["owner"], Some(404)),
        row(M::DELETE, format!("/api/v1/users/{a_subject}/erasure"), None, &["owner"], Some(404)),
        // The caller's own organization, in this order: scheduled, read, cancelled.
        row(M::DELETE, "/api/v1/organization".into(), Some(|| json!({ "password": PASSWORD })), &["owner"], None),
        row(M::GET, "/api/v1/organization/erasure".into(), None, &["owner"], None),
        row(M::DELETE, "/api/v1/organization/erasure".into(), None, &["owner"], None),
        row(M::GET, format!("/api/v1/organization/exports/{a_export}"), None, &["owner"], Some(404)),
        row(
            M::POST,
            format!("/api/v1/organization/exports/{a_export}/link"),
            Some(|| json!({})),
            &["owner"],
            Some(404),
        ),
        row(
            M::GET,
            "/api/v1/audit-events/export?from=2026-01-01T00:00:00Z&to=2026-12-31T00:00:00Z".into(),
            None,
            &["owner"],
            None,
        ),
        row(M::GET, "/api/v1/supplier-claims".into(), None, ADMINS, None),
        row(M::GET, "/api/v1/templates".into(), None, ALL, None),
        row(M::GET, "/api/v1/suppliers/export".into(), None, ALL, None),
        // Built-ins are everyone's.
        row(M::GET, format!("/api/v1/templates/{builtin}"), None, ALL, Some(200)),
        row(M::GET, format!("/api/v1/templates/{a_template}"), None, ALL, Some(404)),
        row(M::GET, format!("/api/v1/templates/{a_template}/export"), None, ALL, Some(404)),
        row(M::POST, "/api/v1/templates".into(), Some(small_template), EDITORS, None),
        row(M::POST, format!("/api/v1/templates/{builtin}/clone"), Some(|| json!({})), EDITORS, Some(201)),
        row(M::POST, format!("/api/v1/templates/{a_template}/clone"), Some(|| json!({})), EDITORS, Some(404)),
        row(
            M::PATCH,
            format!("/api/v1/templates/{a_template}"),
            Some(|| json!({ "name": "renamed" })),
            EDITORS,
            Some(404),
        ),
    ]
}

#[tokio::test]
async fn every_route_refuses_anonymous_wrong_role_and_other_tenant_callers() -> TestResult {
    let app = spawn_app().await;
    let fixture = Fixture::build(&app).await;
    let f = &fixture;
    let (viewer, subject) = (&f.a("viewer").user_id, &f.a_subject.user_id);
    for row in rows(viewer, &f.builtin_template, &f.a_template, &f.invitation, &f.a_export, subject) {
        let label = format!("{} {}", row.method, row.path);
        let anonymous = app.request(row.method.clone(), &row.path, None, row.body.map(|b| b())).await;
        assert_eq!(anonymous.status.as_u16(), 401, "{label} anonymous: {}", anonymous.body);

        for (role, member) in &fixture.a {
            let reply =
                app.request(row.method.clone(), &row.path, Some(&member.access_token), row.body.map(|b| b())).await;
            if row.allowed.contains(role) {
                assert!(reply.status.is_success(), "{label} as {role}: {} {}", reply.status, reply.body);
            } else {
                assert_eq!(reply.status.as_u16(), 403, "{label} as {role}: {}", reply.body);
            }
        }

        if let Some(expected) = row.other_tenant_status {
            let reply = app
                .request(row.method.clone(), &row.path, Some(&fixture.b_owner.access_token), row.body.map(|b| b()))
                .await;
            assert_eq!(reply.status.as_u16(), expected, "{label} as another tenant: {}", reply.body);
        }
    }
    Ok(())
}

#[tokio::test]
async fn lists_show_another_tenant_nothing_of_this_one() -> TestResult {
    let app = spawn_app().await;
    let fixture = Fixture::build(&app).await;
    let b = Some(fixture.b_owner.access_token.as_str());
    let a_ids: Vec<&str> = fixture.a.iter().map(|(_, m)| m.user_id.as_str()).collect();

    let users = app.get("/api/v1/users", b).await;
    let listed: Vec<&str> =
        users.body["data"].as_array().ok_or("data")?.iter().filter_map(|u| u["id"].as_str()).collect();
    assert_eq!(listed, vec![fixture.b_owner.user_id.as_str()]);

    let audit = app.get("/api/v1/audit-events?limit=200", b).await;
    for event in audit.body["data"].as_array().ok_or("data")? {
        let text = event.to_string();
        assert!(!a_ids.iter().any(|id| text.contains(id)), "B sees A's event {text}");
    }

    let templates = app.get("/api/v1/templates", b).await;
    let ids: Vec<&str> =
        templates.body["data"].as_array().ok_or("data")?.iter().filter_map(|t| t["id"].as_str()).collect();
    assert!(ids.contains(&fixture.builtin_template.as_str()), "built-ins are visible to everyone");
    assert!(!ids.contains(&fixture.a_template.as_str()), "B sees A's template");
    let gql = app.graphql(b, &format!(r#"{{ template(id: "{}") {{ id }} }}"#, fixture.a_template)).await;
    assert_eq!(gql.body["errors"][0]["extensions"]["code"], "not_found");

    let me = app.get("/api/v1/me", b).await;
    assert_eq!(me.body["organization"]["id"], fixture.b_owner.org_id.as_str());

    let graphql = app.graphql(b, "{ me { organization { id } } }").await;
    assert_eq!(graphql.body["data"]["me"]["organization"]["id"], fixture.b_owner.org_id.as_str());
    Ok(())
}

#[tokio::test]
async fn supplier_claim_decisions_refuse_anonymous_lower_roles_and_other_tenants() -> TestResult {
    use crate::supplier_claims::{claim_as_new_account, invited_supplier_link};
    let app = spawn_app().await;
    let (owner, _, token) = invited_supplier_link(&app).await;
    let claim = claim_as_new_account(&app, &token, "claimant@elsewhere.example").await?;
    let b_owner = app.signup("Org B").await;
    for verb in ["approve", "reject"] {
        let path = format!("/api/v1/supplier-claims/{claim}/{verb}");
        app.post(&path, None, json!({})).await.assert_problem(401, "unauthenticated");
        for role in ["reviewer", "respondent", "viewer"] {
            let member = app.add_member(&owner, role).await;
            app.post(&path, Some(&member.access_token), json!({})).await.assert_problem(403, "forbidden");
        }
        app.post(&path, Some(&b_owner.access_token), json!({})).await.assert_problem(404, "not_found");
        let gql = app
            .graphql(
                Some(&b_owner.access_token),
                &format!(r#"mutation {{ {verb}SupplierClaim(id: "{claim}") {{ id }} }}"#),
            )
            .await;
        assert_eq!(gql.body["errors"][0]["extensions"]["code"], "not_found", "{}", gql.body);
    }
    let b_list = app.get("/api/v1/supplier-claims", Some(&b_owner.access_token)).await;
    assert_eq!(b_list.body["data"], json!([]), "B sees A's claims: {}", b_list.body);
    let admin = app.add_member(&owner, "admin").await;
    let decided =
        app.post(&format!("/api/v1/supplier-claims/{claim}/reject"), Some(&admin.access_token), json!({})).await;
    assert_eq!(decided.status.as_u16(), 200, "{}", decided.body);
    Ok(())
}

#[tokio::test]
async fn graphql_refuses_anonymous_callers() -> TestResult {
    let app = spawn_app().await;
    let reply = app.graphql(None, "{ me { user { id } } }").await;
    assert_eq!(reply.body["errors"][0]["extensions"]["code"], "unauthenticated");
    assert!(reply.body["data"].is_null());
    Ok(())
}
