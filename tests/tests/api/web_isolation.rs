//! The pages' tenant-isolation matrix: every page route of `kensa_api::web::PAGE_PATHS` has
//! a row here or is in the commented list of routes that hold no tenant's data. A signed-in
//! stranger (another organization, owner) asks for the buyer's and the supplier's
//! resources by their real ids and gets a "not found" page; list pages show none of them.
//! A new page route without a row fails the coverage check at the end.

use std::collections::BTreeSet;

use reqwest::StatusCode;

use crate::helpers::{PASSWORD, spawn_app};
use crate::web_client::Visitor;

/// Page routes that show or change no other tenant's data, and why.
const NO_TENANT_DATA: &[(&str, &str)] = &[
    // Redirects to the assessments or the sign-in page.
    ("/", "a redirect"),
    // Signing in and out acts on the visitor's own session.
    ("/sign-in", "the visitor's own session"),
    ("/sign-out", "the visitor's own session"),
    // The sign-in's second step: the MFA ticket in the form is the credential.
    ("/sign-in/mfa", "the MFA ticket is the credential"),
    ("/sign-in/mfa/enrol", "the MFA ticket is the credential"),
    ("/language/{lang}", "a cookie of the visitor's own"),
    // The token in the path is the credential (as in the API's allow-list).
    ("/invitations/{token}", "the token is the credential"),
    ("/invitations/{token}/link", "the token is the credential"),
    ("/join/{token}", "the token is the credential"),
    ("/reset/{token}", "the token is the credential"),
    ("/verify/{token}", "the token is the credential"),
    // Answers the same for every address (see `password_reset`).
    ("/forgot-password", "the same answer whatever the address"),
    // Writes that create in the caller's own organization only.
    ("/suppliers/import", "imports into the caller's organization"),
    ("/settings/invitations", "invites into the caller's organization"),
    ("/settings/organization", "the caller's organization's settings"),
    ("/settings/security", "the caller's organization's settings"),
    ("/settings/api-keys", "creates in the caller's organization"),
    ("/settings/retention", "the caller's organization's settings"),
    ("/settings/export", "exports the caller's organization"),
    ("/settings/erasure", "erases the caller's organization"),
    ("/settings/erasure/cancel", "the caller's organization's erasure"),
    // The caller's own account: its second factor and its own sign-ins.
    ("/account", "the caller's own account"),
    ("/account/mfa", "the caller's own account"),
    ("/account/mfa/confirm", "the caller's own account"),
    ("/account/mfa/disable", "the caller's own account"),
    ("/account/sessions/end-others", "the caller's own sign-ins"),
    ("/account/data/export", "the caller's own data"),
    ("/account/erasure", "the caller's own account"),
    ("/account/erasure/cancel", "the caller's own account"),
    // The caller's own answer library (a template anyone may see names the line).
    ("/library/{template_id}/items/{no}", "the caller's own library"),
    // Shares made from the caller's organization (the service refuses another's assessment).
    ("/sharing/shares", "shares from the caller's organization"),
    ("/shares/claim/{token}", "the token is the credential"),
];

/// A stranger's request and what it must meet.
enum Expect {
    /// A "not found" page.
    NotFound,
    /// The stranger's own page, with none of the victims' names in it.
    Nothing,
}

struct Row {
    template: &'static str,
    method: &'static str,
    path: String,
    expect: Expect,
}

#[tokio::test]
async fn a_stranger_meets_not_found_or_nothing_on_every_page() {
    let app = spawn_app().await;
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    // Evidence, a comment, a claim and a campaign id of the victims' to aim at.
    let no = app.scope_of(&supplier, &assessment).await[0];
    let answered = app
        .client
        .post(app.url(&format!("/api/v1/assessments/{assessment}/evidence")))
        .bearer_auth(&supplier.access_token)
        .multipart(
            reqwest::multipart::Form::new().text("item_no", no.to_string()).part(
                "file",
                reqwest::multipart::Part::bytes(b"a,b\n1,2\n".to_vec())
                    .file_name("list.csv")
                    .mime_str("text/csv")
                    .unwrap_or_else(|e| panic!("{e}")),
            ),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answered.status(), StatusCode::CREATED);
    let evidence: serde_json::Value = answered.json().await.unwrap_or_default();
    let evidence = evidence["id"].as_str().unwrap_or_default().to_owned();
    let (campaign, claim) = app.claimed_invitation(&buyer, "Claimed Parts", "kato@elsewhere.example").await;
    let campaign_id = campaign["id"].as_str().unwrap_or_default().to_owned();
    assert!(!claim.is_empty(), "a claim to aim at");
    let me = app.get("/api/v1/me", Some(&buyer.access_token)).await;
    let buyer_user = me.body["user"]["id"].as_str().unwrap_or_default().to_owned();
    let key = app
        .post("/api/v1/api-keys", Some(&buyer.access_token), serde_json::json!({ "name": "ERP", "scope": "read_only" }))
        .await;
    let buyer_key = key.body["id"].as_str().unwrap_or_default().to_owned();
    let sessions = app.get("/api/v1/me/sessions", Some(&buyer.access_token)).await;
    let buyer_session = sessions.body["data"][0]["id"].as_str().unwrap_or_default().to_owned();
    let export = app.post("/api/v1/organization/export", Some(&buyer.access_token), serde_json::json!({})).await;
    let buyer_export = export.body["id"].as_str().unwrap_or_default().to_owned();

    // The supplier shares its library with the buyer, which had asked for it, and makes a
    // second request of its own to withdraw: the shares and requests to aim at.
    let s = Some(supplier.access_token.as_str());
    assert_eq!(app.answer_all(&supplier, &assessment).await.status, StatusCode::OK);
    let submitted = app.post(&format!("/api/v1/assessments/{assessment}/submit"), s, serde_json::json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    let builtin = app.builtin_template(&buyer).await;
    let record = app.get("/api/v1/suppliers", Some(&buyer.access_token)).await.body["data"][0]["id"].clone();
    let request = app
        .post(
            "/api/v1/share-requests",
            Some(&buyer.access_token),
            serde_json::json!({ "supplier_id": record, "template_id": builtin }),
        )
        .await;
    let request = request.body["id"].as_str().unwrap_or_default().to_owned();
    let shared = app
        .post(
            "/api/v1/shares",
            s,
            serde_json::json!({ "template_id": builtin, "recipient_organization_id": buyer.org_id,
                                "scope": "answers_and_evidence", "terms": "Confidential" }),
        )
        .await;
    assert_eq!(shared.status, StatusCode::CREATED, "{}", shared.body);
    let share = shared.body["id"].as_str().unwrap_or_default().to_owned();
    let stranger = app.signup("Stranger Motors").await;
    let mut visitor = Visitor::new(&app).english();
    visitor.sign_in(&stranger.email, PASSWORD).await;

    let row = |template: &'static str, method: &'static str, path: String, expect: Expect| Row {
        template,
        method,
        path,
        expect,
    };
    let a = &assessment;
    let rows = vec![
        row("/assessments", "GET", "/assessments".into(), Expect::Nothing),
        row("/assessments/{id}", "GET", format!("/assessments/{a}"), Expect::NotFound),
        row("/assessments/{id}/items/{no}", "POST", format!("/assessments/{a}/items/{no}"), Expect::NotFound),
        row("/assessments/{id}/submit", "POST", format!("/assessments/{a}/submit"), Expect::NotFound),
        row("/assessments/{id}/review", "POST", format!("/assessments/{a}/review"), Expect::NotFound),
        row("/assessments/{id}/prefill", "POST", format!("/assessments/{a}/prefill"), Expect::NotFound),
        row(
            "/assessments/{id}/forwarding-consent",
            "POST",
            format!("/assessments/{a}/forwarding-consent"),
            Expect::NotFound,
        ),
        row("/assessments/{id}/comments", "POST", format!("/assessments/{a}/comments"), Expect::NotFound),
        row("/assessments/{id}/evidence", "POST", format!("/assessments/{a}/evidence"), Expect::NotFound),
        row("/assessments/{id}/workbook", "GET", format!("/assessments/{a}/workbook"), Expect::NotFound),
        row("/assessments/{id}/workbook", "POST", format!("/assessments/{a}/workbook"), Expect::NotFound),
        row(
            "/assessments/{id}/evidence/{evidence_id}",
            "GET",
            format!("/assessments/{a}/evidence/{evidence}"),
            Expect::NotFound,
        ),
        row(
            "/assessments/{id}/evidence/{evidence_id}/delete",
            "POST",
            format!("/assessments/{a}/evidence/{evidence}/delete"),
            Expect::NotFound,
        ),
        row("/supplier-claims", "GET", "/supplier-claims".into(), Expect::Nothing),
        row("/supplier-claims/{id}", "GET", format!("/supplier-claims/{claim}"), Expect::NotFound),
        row("/supplier-claims/{id}/approve", "POST", format!("/supplier-claims/{claim}/approve"), Expect::NotFound),
        row("/supplier-claims/{id}/reject", "POST", format!("/supplier-claims/{claim}/reject"), Expect::NotFound),
        row("/suppliers", "GET", "/suppliers".into(), Expect::Nothing),
        row("/campaigns", "GET", "/campaigns".into(), Expect::Nothing),
        row("/campaigns/{id}", "GET", format!("/campaigns/{campaign_id}"), Expect::NotFound),
        row("/comparison", "GET", "/comparison".into(), Expect::Nothing),
        row("/comparison/export", "GET", "/comparison/export?format=csv".into(), Expect::Nothing),
        row("/library", "GET", "/library".into(), Expect::Nothing),
        row("/library/{template_id}", "GET", format!("/library/{builtin}"), Expect::Nothing),
        row("/sharing", "GET", "/sharing".into(), Expect::Nothing),
        row("/sharing/shares/{id}/revoke", "POST", format!("/sharing/shares/{share}/revoke"), Expect::NotFound),
        row("/sharing/requests/{id}/share", "POST", format!("/sharing/requests/{request}/share"), Expect::NotFound),
        row("/sharing/requests/{id}/decline", "POST", format!("/sharing/requests/{request}/decline"), Expect::NotFound),
        row(
            "/sharing/requests/{id}/withdraw",
            "POST",
            format!("/sharing/requests/{request}/withdraw"),
            Expect::NotFound,
        ),
        row("/shares/{id}", "GET", format!("/shares/{share}"), Expect::NotFound),
        row("/shares/{id}/accept-terms", "POST", format!("/shares/{share}/accept-terms"), Expect::NotFound),
        row("/shares/{id}/review", "POST", format!("/shares/{share}/review"), Expect::NotFound),
        row("/shares/{id}/evidence/{file_id}", "GET", format!("/shares/{share}/evidence/{evidence}"), Expect::NotFound),
        row("/settings", "GET", "/settings".into(), Expect::Nothing),
        row("/settings/users/{id}", "POST", format!("/settings/users/{buyer_user}"), Expect::NotFound),
        row(
            "/settings/api-keys/{id}/revoke",
            "POST",
            format!("/settings/api-keys/{buyer_key}/revoke"),
            Expect::NotFound,
        ),
        row("/account/sessions/{id}/end", "POST", format!("/account/sessions/{buyer_session}/end"), Expect::NotFound),
        row(
            "/settings/exports/{id}/download",
            "POST",
            format!("/settings/exports/{buyer_export}/download"),
            Expect::NotFound,
        ),
        row(
            "/account/data/exports/{id}/download",
            "POST",
            format!("/account/data/exports/{buyer_export}/download"),
            Expect::NotFound,
        ),
    ];

    let token = visitor.get("/assessments").await.csrf();
    for r in &rows {
        let page = match r.method {
            "GET" => visitor.get(&r.path).await,
            _ => {
                visitor
                    .post(
                        &r.path,
                        &[
                            ("_csrf", &token),
                            ("role", "viewer"),
                            ("decision", "accept"),
                            ("consent", "named"),
                            ("template_id", &builtin),
                            ("scope", "answers"),
                        ],
                    )
                    .await
            }
        };
        match r.expect {
            Expect::NotFound => {
                assert_eq!(page.status, StatusCode::NOT_FOUND, "{} {}: {}", r.method, r.path, page.html);
            }
            Expect::Nothing => {
                assert_eq!(page.status, StatusCode::OK, "{} {}: {}", r.method, r.path, page.html);
            }
        }
        for name in ["Buyer Motors", "Parts Co", "Claimed Parts", "kato@elsewhere.example"] {
            assert!(!page.html.contains(name), "{} {} shows {name}", r.method, r.path);
        }
    }
    // A campaign naming the victim's supplier: refused, and nothing is sent.
    let template = app.builtin_template(&stranger).await;
    let victims_supplier =
        format!("supplier.{}", campaign["assessments"][0]["supplier_id"].as_str().unwrap_or_default());
    let refused = visitor
        .post(
            "/campaigns",
            &[
                ("_csrf", &token),
                ("name", "Stolen"),
                ("template_id", &template),
                ("due_date", &crate::helpers::due_in(30)),
                (&victims_supplier, "on"),
            ],
        )
        .await;
    assert!(refused.status.is_client_error(), "POST /campaigns with another's supplier: {}", refused.status);
    let theirs = app.get("/api/v1/campaigns", Some(&stranger.access_token)).await;
    assert_eq!(theirs.body["data"].as_array().map(Vec::len), Some(0), "{}", theirs.body);

    // Nothing changed for the victims.
    let still = app.get(&format!("/api/v1/assessments/{assessment}/evidence"), Some(&supplier.access_token)).await;
    assert_eq!(still.body["data"].as_array().map(Vec::len), Some(1));
    let claims = app.get("/api/v1/supplier-claims", Some(&buyer.access_token)).await;
    assert_eq!(claims.body["data"][0]["status"], "pending");
    let theirs = app.get(&format!("/api/v1/shares/{share}"), s).await;
    assert_eq!((theirs.body["state"].as_str(), theirs.body["terms_accepted_at"].is_null()), (Some("active"), true));
    let requests = app.get("/api/v1/share-requests", Some(&buyer.access_token)).await;
    assert_eq!(requests.body["data"][0]["status"], "open");

    // Every page route is a row or in the list above.
    let covered: BTreeSet<&str> =
        rows.iter().map(|r| r.template).chain(NO_TENANT_DATA.iter().map(|(path, _)| *path)).collect();
    let missing: Vec<&&str> = kensa_api::web::PAGE_PATHS.iter().filter(|p| !covered.contains(**p)).collect();
    assert!(missing.is_empty(), "page routes without an isolation row: {missing:?}");
}
