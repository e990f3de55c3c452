//! Sharing with consent: a supplier shares a submitted assessment (frozen) or its live
//! answer library with another organization (by id, in reply to a share request, or through
//! a link for an email domain), with a scope, an expiry and terms; the recipient reads and
//! downloads under audit, and loses it on revocation or expiry.

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, TestResult, spawn_app};
use crate::web_client::Visitor;

/// The supplier answers every in-scope item `implemented` (with one file on the first item)
/// and submits.
async fn submitted_with_a_file(app: &TestApp, supplier: &Member, assessment: &str) -> TestResult {
    let uploaded =
        app.upload_evidence(supplier, assessment, "policy.pdf", "application/pdf", b"%PDF-1.4 policy".to_vec()).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let saved = app.answer_all(supplier, assessment).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let submitted =
        app.post(&format!("/api/v1/assessments/{assessment}/submit"), Some(&supplier.access_token), json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    Ok(())
}

/// A second buyer that has the supplier organization in its registry (the supplier accepted
/// its invitation): the buyer and its registry record's id.
async fn second_buyer_with(app: &TestApp, supplier: &Member) -> (Member, String) {
    let buyer = app.signup("Chubu Motors").await;
    let (record, email) = app.create_supplier(&buyer, "Parts Co", 1).await;
    app.create_campaign(&buyer, std::slice::from_ref(&record), None).await;
    app.run_worker().await;
    let token = app.supplier_token_for(&email);
    let linked =
        app.post(&format!("/api/v1/invitations/{token}/accept"), Some(&supplier.access_token), json!({})).await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.body);
    (buyer, record)
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .map(|d| d.iter().filter_map(|s| s["id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

async fn audit_actions(app: &TestApp, owner: &Member, action: &str) -> Vec<Value> {
    let trail = app.get(&format!("/api/v1/audit-events?action={action}"), Some(&owner.access_token)).await;
    assert_eq!(trail.status, StatusCode::OK, "{}", trail.body);
    trail.body["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_shared_submission_stays_as_it_was_is_read_under_audit_and_is_lost_on_revocation() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    let s = Some(supplier.access_token.as_str());
    submitted_with_a_file(&app, &supplier, &assessment).await?;
    let chubu = app.signup("Chubu Motors").await;
    let c = Some(chubu.access_token.as_str());

    let created = app
        .post(
            "/api/v1/shares",
            s,
            json!({ "assessment_id": assessment, "recipient_organization_id": chubu.org_id,
                    "scope": "answers_and_evidence", "terms": "Keep this confidential." }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let share = created.body["id"].as_str().ok_or("share id")?.to_owned();
    assert_eq!(created.body["kind"], "snapshot");
    assert_eq!(created.body["state"], "active");
    assert_eq!(created.body["recipient"]["id"], chubu.org_id.as_str());
    assert!(created.body.get("link_token").is_none(), "{}", created.body);
    assert!(!created.body["submitted_at"].is_null());
    // The recipient's owner hears of it, with what and until when.
    app.run_worker().await;
    let mails = app.mails_to(&chubu.email);
    let told = mails.iter().find(|m| m.contains("shared its answers to a check sheet")).ok_or("share mail")?;
    assert!(told.contains("scores, answers and evidence files") && told.contains("terms must be accepted"), "{told}");

    // The recipient sees it (not which assessment it was) and must accept the terms first.
    let incoming = app.get("/api/v1/shares?direction=incoming", c).await;
    assert_eq!(ids(&incoming.body), vec![share.clone()]);
    assert!(incoming.body["data"][0]["assessment_id"].is_null());
    let path = format!("/api/v1/shares/{share}/assessment");
    app.get(&path, c).await.assert_problem(409, "terms_not_accepted");
    let compared = app.get("/api/v1/comparison/shared", c).await;
    assert_eq!(compared.body["data"][0]["share"]["id"], share.as_str());
    assert!(compared.body["data"][0]["score"].is_null(), "no score before the terms: {}", compared.body);
    assert!(compared.body["data"][0]["supplier"].is_null(), "Chubu has no record of Tokai: {}", compared.body);
    let viewer = app.add_member(&chubu, "viewer").await;
    app.post(&format!("/api/v1/shares/{share}/accept-terms"), Some(&viewer.access_token), json!({}))
        .await
        .assert_problem(403, "forbidden");
    let accepted = app.post(&format!("/api/v1/shares/{share}/accept-terms"), c, json!({})).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert!(!accepted.body["terms_accepted_at"].is_null());

    // What the buyer scored, the answers without who gave them, and the file.
    let read = app.get(&path, Some(&viewer.access_token)).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    let scored = app.get(&format!("/api/v1/assessments/{assessment}/score"), Some(&buyer.access_token)).await;
    assert_eq!(read.body["score"]["overall"], scored.body["overall"]);
    let questions = read.body["questions"].as_array().ok_or("questions")?;
    assert_eq!(questions.len(), app.scope_of(&supplier, &assessment).await.len());
    assert!(questions.iter().all(|q| q["answer"]["status"] == "implemented" && q["answer"]["answered_by"].is_null()));
    let file = read.body["evidence"][0].clone();
    assert_eq!(file["file_name"], "policy.pdf");
    // The same parts at the sub-routes, in the shapes of an assessment's.
    assert_eq!(app.get(&format!("{path}/score"), c).await.body, read.body["score"]);
    assert_eq!(app.get(&format!("{path}/questions"), c).await.body["data"], read.body["questions"]);
    assert_eq!(app.get(&format!("{path}/evidence"), c).await.body["data"], read.body["evidence"]);
    let download = app.get(&format!("/api/v1/shares/{share}/evidence/{}", file["id"].as_str().unwrap_or("")), c).await;
    assert_eq!(download.status, StatusCode::OK);
    assert_eq!(download.bytes, b"%PDF-1.4 policy");

    // The buyer asks for changes and the supplier changes an answer: the share does not move.
    let b = Some(buyer.access_token.as_str());
    let review = json!({ "decision": "request_changes", "comment": "Please clarify" });
    let asked = app.post(&format!("/api/v1/assessments/{assessment}/review"), b, review).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    let first = questions[0]["no"].as_u64().ok_or("no")?;
    let changed = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/assessments/{assessment}/answers/{first}"),
            s,
            Some(json!({ "status": "not_implemented" })),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let again = app.get(&path, c).await;
    assert_eq!(again.body["questions"][0]["answer"]["status"], "implemented");
    assert_eq!(again.body["score"], read.body["score"]);

    // Every read, download and the acceptance are in the supplier's trail, by the recipient.
    let viewed = audit_actions(&app, &supplier, "share.viewed").await;
    assert_eq!(viewed.len(), 5);
    assert!(viewed.iter().all(|e| e["details"]["by_organization_id"] == chubu.org_id.as_str()));
    assert!(viewed.iter().all(|e| e["client_ip"].is_null() && e["request_id"].is_null()), "the recipient's own");
    assert_eq!(audit_actions(&app, &supplier, "share.evidence_downloaded").await.len(), 1);
    assert_eq!(audit_actions(&app, &supplier, "share.terms_accepted").await.len(), 1);

    // Chubu asks for changes: a request to Tokai Seiki with the comment; then accepts.
    let review = format!("/api/v1/shares/{share}/review");
    let bare = app.post(&review, c, json!({ "decision": "request_changes" })).await;
    bare.assert_problem(422, "validation_failed");
    assert_eq!(bare.body["errors"][0]["field"], "comment");
    app.post(&review, Some(&viewer.access_token), json!({ "decision": "accept" }))
        .await
        .assert_problem(403, "forbidden");
    let asked = app.post(&review, c, json!({ "decision": "request_changes", "comment": "Item 1: which MFA?" })).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert_eq!(asked.body["share"]["review"]["decision"], "request_changes");
    let request = asked.body["request"]["id"].as_str().ok_or("request")?.to_owned();
    assert_eq!(asked.body["request"]["reviewed_share_id"], share.as_str());
    assert!(asked.body["request"]["supplier_id"].is_null(), "Chubu has no record of Tokai");
    let again = app.post(&review, c, json!({ "decision": "request_changes", "comment": "And item 2" })).await;
    assert_eq!(again.body["request"]["id"], request.as_str(), "one open request per checklist");
    let theirs = app.get("/api/v1/share-requests", s).await;
    assert_eq!(ids(&theirs.body), vec![request.clone()]);
    assert_eq!(theirs.body["data"][0]["message"], "Item 1: which MFA?");
    let accepted = app.post(&review, c, json!({ "decision": "accept" })).await;
    assert_eq!(accepted.body["share"]["review"]["decision"], "accept");
    assert!(accepted.body["request"].is_null());
    let withdrawn = app.get("/api/v1/share-requests", s).await;
    assert_eq!(withdrawn.body["data"][0]["status"], "cancelled", "accepting withdraws the review's request");
    assert_eq!(audit_actions(&app, &chubu, "share_request.created").await.len(), 1);
    assert_eq!(app.get(&format!("/api/v1/shares/{share}"), s).await.body["review"]["decision"], "accept");

    // Nobody else finds it; the buyer that sent the assessment neither.
    for other in [&buyer, &app.signup("Stranger").await] {
        let token = Some(other.access_token.as_str());
        app.get(&format!("/api/v1/shares/{share}"), token).await.assert_problem(404, "not_found");
        app.get(&path, token).await.assert_problem(404, "not_found");
        app.delete(&format!("/api/v1/shares/{share}"), token).await.assert_problem(404, "not_found");
    }

    // The recipient cannot end it; the supplier revokes it and the recipient loses it.
    app.delete(&format!("/api/v1/shares/{share}"), c).await.assert_problem(403, "forbidden");
    let revoked = app.delete(&format!("/api/v1/shares/{share}"), s).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    app.get(&path, c).await.assert_problem(404, "not_found");
    app.get(&format!("/api/v1/shares/{share}/evidence/{}", file["id"].as_str().unwrap_or("")), c)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(ids(&app.get("/api/v1/shares?direction=incoming", c).await.body), Vec::<String>::new());
    let outgoing = app.get("/api/v1/shares?direction=outgoing", s).await;
    assert_eq!(outgoing.body["data"][0]["state"], "revoked");
    assert_eq!(outgoing.body["data"][0]["assessment_id"], assessment.as_str());
    Ok(())
}

#[tokio::test]
async fn a_buyer_asks_and_the_supplier_shares_its_live_library_in_reply_until_it_expires() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, assessment) = app.invited_supplier(1).await;
    let s = Some(supplier.access_token.as_str());
    submitted_with_a_file(&app, &supplier, &assessment).await?;
    let (chubu, record) = second_buyer_with(&app, &supplier).await;
    let c = Some(chubu.access_token.as_str());
    let builtin = app.builtin_template(&chubu).await;

    // A supplier not on Kensa yet cannot be asked; one that is, once per checklist.
    let (unlinked, _) = app.create_supplier(&chubu, "Offline Co", 1).await;
    let refused =
        app.post("/api/v1/share-requests", c, json!({ "supplier_id": unlinked, "template_id": builtin })).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.body["errors"][0]["field"], "supplier_id");
    let body = json!({ "supplier_id": record, "template_id": builtin, "message": "Your JAMA/JAPIA answers, please" });
    let asked = app.post("/api/v1/share-requests", c, body.clone()).await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.body);
    let request = asked.body["id"].as_str().ok_or("request id")?.to_owned();
    let repeated = app.post("/api/v1/share-requests", c, body).await;
    assert_eq!(repeated.status, StatusCode::OK);
    assert_eq!(repeated.body["id"], request.as_str());

    // The supplier's owner is mailed the request, with the buyer's message.
    app.run_worker().await;
    let mails = app.mails_to(&supplier.email);
    let asked_mail = mails.iter().find(|m| m.contains("asks your organization to share")).ok_or("request mail")?;
    assert!(asked_mail.contains("Your JAMA/JAPIA answers, please"), "{asked_mail}");

    // The supplier sees who asks, not the buyer's registry record.
    let theirs = app.get("/api/v1/share-requests", s).await;
    assert_eq!(ids(&theirs.body), vec![request.clone()]);
    assert_eq!(theirs.body["data"][0]["requester"]["id"], chubu.org_id.as_str());
    assert!(theirs.body["data"][0]["supplier_id"].is_null());

    // Shared live, scores only, in reply.
    let created = app
        .post("/api/v1/shares", s, json!({ "template_id": builtin, "share_request_id": request, "scope": "scores" }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let share = created.body["id"].as_str().ok_or("share id")?.to_owned();
    assert_eq!(created.body["kind"], "live");
    let fulfilled = app.get("/api/v1/share-requests", c).await;
    assert_eq!(fulfilled.body["data"][0]["status"], "fulfilled");
    assert_eq!(fulfilled.body["data"][0]["share_id"], share.as_str());
    app.post(&format!("/api/v1/share-requests/{request}/decline"), s, json!({}))
        .await
        .assert_problem(409, "request_closed");

    let path = format!("/api/v1/shares/{share}/assessment");
    let read = app.get(&path, c).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(read.body["questions"].is_null() && read.body["evidence"].is_null(), "{}", read.body);
    app.get(&format!("{path}/questions"), c).await.assert_problem(404, "not_found");
    app.get(&format!("{path}/evidence"), c).await.assert_problem(404, "not_found");
    assert_eq!(read.body["target_level"], 3);
    let before = read.body["score"]["levels"]["1"]["implemented"].as_u64().ok_or("implemented")?;
    // The library moves, and the live share with it.
    let first = app.scope_of(&supplier, &assessment).await[0];
    let edited = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/library/{builtin}/items/{first}"),
            s,
            Some(json!({ "status": "not_implemented" })),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    let after = app.get(&path, c).await;
    assert_eq!(after.body["score"]["levels"]["1"]["implemented"].as_u64(), Some(before - 1));
    // In Chubu's comparison: marked as shared, with the live score and Chubu's record of it.
    let compared = app.get(&format!("/api/v1/comparison/shared?template_id={builtin}"), c).await;
    assert_eq!(compared.status, StatusCode::OK, "{}", compared.body);
    let shared_row = &compared.body["data"][0];
    assert_eq!(shared_row["share"]["id"], share.as_str());
    assert_eq!(shared_row["supplier"]["id"], record.as_str());
    assert_eq!(shared_row["score"], after.body["score"]);
    // And beside Chubu's own row for Parts Co (its assessment is not answered yet): the
    // shared figures, marked and dated, in the table and in the heat map.
    let own = app.get(&format!("/api/v1/comparison?template_id={builtin}"), c).await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let row = &own.body["data"][0];
    assert_eq!(row["supplier"]["id"], record.as_str());
    assert!(row["score"].is_null(), "{row}");
    assert_eq!(row["shared"]["share_id"], share.as_str());
    assert_eq!(row["shared"]["kind"], "live");
    assert!(row["shared"]["submitted_at"].is_null() && row["shared"]["shared_at"].is_string(), "{row}");
    assert_eq!(row["shared"]["score"]["overall"], after.body["score"]["overall"]);
    assert_eq!(row["shared"]["score"]["achieved_level"], after.body["score"]["achieved_level"]);
    assert_eq!(row["shared"]["score"]["levels"]["1"], after.body["score"]["levels"]["1"]["achievement"]);
    let heat = app.get(&format!("/api/v1/comparison/heatmap?template_id={builtin}"), c).await;
    let heat_row = &heat.body["data"][0];
    assert_eq!(heat_row["share_id"], share.as_str());
    assert!(heat_row["assessment_id"].is_null());
    let cells: Vec<&Value> =
        heat_row["categories"].as_array().ok_or("cells")?.iter().map(|c| &c["achievement"]).collect();
    let shared_cells: Vec<&Value> =
        after.body["score"]["categories"].as_array().ok_or("categories")?.iter().map(|c| &c["achievement"]).collect();
    assert_eq!(cells, shared_cells);
    let query = r#"{ comparison(filter: {templateId: "TEMPLATE"}) { edges { node { score { overall } shared { shareId kind score { overall achievedLevel } } } } } }"#;
    let gql = app.graphql(c, &query.replace("TEMPLATE", &builtin)).await;
    let node = &gql.body["data"]["comparison"]["edges"][0]["node"];
    assert_eq!(node["shared"]["shareId"], share.as_str(), "{}", gql.body);
    assert_eq!(node["shared"]["kind"], "LIVE");
    assert_eq!(node["shared"]["score"]["overall"], after.body["score"]["overall"]);
    // The export carries it in its last columns.
    let csv = app.get(&format!("/api/v1/comparison/export?format=csv&template_id={builtin}"), c).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    let text = String::from_utf8(csv.bytes.get(3..).ok_or("csv")?.to_vec())?;
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert!(lines[0].ends_with("shared_share_id,shared_kind,shared_answers_of,shared_overall,shared_achieved_level"));
    let cells: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(cells[cells.len() - 5..cells.len() - 3], [share.as_str(), "live"], "{}", lines[1]);
    assert_eq!(cells.last().copied(), after.body["score"]["achieved_level"].as_u64().map(|l| l.to_string()).as_deref());
    // The supplier's trail has each of these reads as a view through the comparison.
    let views = audit_actions(&app, &supplier, "share.viewed").await;
    assert_eq!(views.iter().filter(|v| v["details"]["via"] == "comparison").count(), 5, "{views:?}");
    // A GraphQL selection without `shared` reads no share and records no view.
    let plain = app.graphql(c, "{ comparison { edges { node { score { overall } } } } }").await;
    assert!(plain.body["errors"].is_null(), "{}", plain.body);
    assert_eq!(audit_actions(&app, &supplier, "share.viewed").await.len(), views.len());
    // The same on Chubu's comparison page: the row with the shared badge, and the shared list.
    let mut page = Visitor::signed_in(&app, &chubu.email, "en").await;
    let html = page.get("/comparison").await.html;
    assert!(html.contains("Answers shared with you") && html.contains("Answer library (live)"), "{html}");
    assert!(html.contains(r#"class="badge shared""#), "{html}");
    // The stranger's comparison has no shared rows; the supplier's neither (it is the owner).
    assert_eq!(ids(&app.get("/api/v1/comparison/shared", s).await.body), Vec::<String>::new());
    // Scores only: no file to download.
    app.get(&format!("/api/v1/shares/{share}/evidence/{}", uuid::Uuid::new_v4()), c)
        .await
        .assert_problem(404, "not_found");

    // A day before its twelve months: still readable; then expired by the app's clock, gone
    // for the recipient and shown as expired to the supplier (both sign in again: their
    // tokens expired by the same clock).
    let expires_at: chrono::DateTime<chrono::Utc> = created.body["expires_at"].as_str().ok_or("expiry")?.parse()?;
    app.clock.set(expires_at - chrono::Duration::days(1));
    let chubu = app.signed_in_again(&chubu).await;
    assert_eq!(app.get(&path, Some(&chubu.access_token)).await.status, StatusCode::OK);
    app.clock.set(expires_at);
    let (chubu, supplier) = (app.signed_in_again(&chubu).await, app.signed_in_again(&supplier).await);
    let (c, s) = (Some(chubu.access_token.as_str()), Some(supplier.access_token.as_str()));
    app.get(&path, c).await.assert_problem(404, "not_found");
    assert_eq!(ids(&app.get("/api/v1/shares", c).await.body), Vec::<String>::new());
    let own = app.get(&format!("/api/v1/comparison?template_id={builtin}"), c).await;
    assert!(own.body["data"][0]["shared"].is_null(), "{}", own.body);
    assert_eq!(app.get(&format!("/api/v1/shares/{share}"), s).await.body["state"], "expired");
    Ok(())
}

#[tokio::test]
async fn a_share_link_for_an_email_domain_is_claimed_once_by_a_verified_user_there() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, assessment) = app.invited_supplier(1).await;
    let s = Some(supplier.access_token.as_str());
    submitted_with_a_file(&app, &supplier, &assessment).await?;
    let body = json!({ "assessment_id": assessment, "recipient_domain": " Example.COM ", "scope": "answers" });
    let created = app.post("/api/v1/shares", s, body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.body["state"], "unclaimed");
    assert_eq!(created.body["recipient_domain"], "example.com");
    let token = created.body["link_token"].as_str().ok_or("link token")?.to_owned();
    let share = created.body["id"].as_str().ok_or("share id")?.to_owned();
    // Shown once: never again.
    assert!(app.get(&format!("/api/v1/shares/{share}"), s).await.body.get("link_token").is_none());

    let claim = |member: &Member, token: &str| {
        let (access, path) = (member.access_token.clone(), format!("/api/v1/shares/claim/{token}"));
        let app = &app;
        async move { app.post(&path, Some(&access), json!({})).await }
    };
    claim(&supplier, &token).await.assert_problem(403, "link_not_allowed");
    let unverified = app.signup_unverified("Unverified KK").await;
    claim(&unverified, &token).await.assert_problem(403, "email_unverified");
    let chubu = app.signup("Chubu Motors").await;
    let viewer = app.add_member(&chubu, "viewer").await;
    claim(&viewer, &token).await.assert_problem(403, "forbidden");
    claim(&chubu, "not-a-token").await.assert_problem(404, "not_found");
    let claimed = claim(&chubu, &token).await;
    assert_eq!(claimed.status, StatusCode::OK, "{}", claimed.body);
    assert_eq!(claimed.body["state"], "active");
    assert_eq!(claimed.body["recipient"]["id"], chubu.org_id.as_str());
    assert_eq!(claim(&chubu, &token).await.status, StatusCode::OK, "claiming again changes nothing");
    let late = app.signup("Late Motors").await;
    claim(&late, &token).await.assert_problem(410, "link_used");
    let read = app.get(&format!("/api/v1/shares/{share}/assessment"), Some(&viewer.access_token)).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    assert!(read.body["evidence"].is_null(), "answers scope: no files");

    // Once expired, the worker's sweep drops the snapshot's file references (the stored file
    // stays: the assessment still holds it).
    let held = || async {
        let backend = app.db.get_database_backend();
        let count = "SELECT COUNT(*) AS n FROM share_evidence";
        let row = app.db.query_one_raw(sea_orm::Statement::from_string(backend, count)).await.ok().flatten();
        row.and_then(|r| r.try_get::<i64>("", "n").ok()).unwrap_or(-1)
    };
    assert_eq!(held().await, 1);
    app.clock.advance(chrono::Duration::days(366));
    app.run_worker().await;
    assert_eq!(held().await, 0);
    let supplier = app.signed_in_again(&supplier).await;
    let s = Some(supplier.access_token.as_str());
    let download = app.get(&format!("/api/v1/assessments/{assessment}/evidence"), s).await;
    let file = download.body["data"][0]["id"].as_str().ok_or("file")?.to_owned();
    let bytes = app.get(&format!("/api/v1/assessments/{assessment}/evidence/{file}"), s).await;
    assert_eq!(bytes.bytes, b"%PDF-1.4 policy");
    Ok(())
}

#[tokio::test]
async fn a_share_names_every_problem_of_its_input_and_shares_only_what_is_the_suppliers() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    let s = Some(supplier.access_token.as_str());
    let builtin = app.builtin_template(&supplier).await;
    let field_of = |reply: &crate::helpers::Reply| -> Vec<String> {
        reply.body["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|f| f["field"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    let both = app
        .post(
            "/api/v1/shares",
            s,
            json!({ "assessment_id": assessment, "template_id": builtin, "scope": "answers",
                    "recipient_domain": "not a domain", "expires_at": "2020-01-01T00:00:00Z" }),
        )
        .await;
    both.assert_problem(422, "validation_failed");
    assert_eq!(field_of(&both), ["assessment_id", "recipient_domain", "expires_at"]);
    let far = app
        .post("/api/v1/shares", s, json!({ "template_id": builtin, "scope": "answers", "recipient_domain": "example.org",
                                          "recipient_organization_id": buyer.org_id, "expires_at": "2999-01-01T00:00:00Z" }))
        .await;
    assert_eq!(field_of(&far), ["recipient_organization_id", "expires_at"]);
    let unknown_scope = app
        .post("/api/v1/shares", s, json!({ "template_id": builtin, "scope": "all", "recipient_domain": "example.org" }))
        .await;
    assert_eq!(unknown_scope.status.as_u16(), 422, "{}", unknown_scope.body);
    let own = app
        .post(
            "/api/v1/shares",
            s,
            json!({ "template_id": builtin, "scope": "scores", "recipient_organization_id": supplier.org_id }),
        )
        .await;
    assert_eq!(field_of(&own), ["recipient_organization_id"]);
    let nobody = app
        .post(
            "/api/v1/shares",
            s,
            json!({ "template_id": builtin, "scope": "scores", "recipient_organization_id": uuid::Uuid::new_v4() }),
        )
        .await;
    assert_eq!(nobody.body["errors"][0]["code"], "not_found", "{}", nobody.body);
    // Not submitted yet; and the buyer's copy is not the buyer's to pass on.
    let to_buyer = json!({ "assessment_id": assessment, "scope": "scores", "recipient_organization_id": buyer.org_id });
    app.post("/api/v1/shares", s, to_buyer.clone()).await.assert_problem(409, "status_not_allowed");
    let stranger = app.signup("Stranger").await;
    let to_stranger =
        json!({ "assessment_id": assessment, "scope": "scores", "recipient_organization_id": stranger.org_id });
    app.post("/api/v1/shares", Some(&buyer.access_token), to_stranger.clone()).await.assert_problem(403, "forbidden");
    let unknown = app.post("/api/v1/shares", Some(&stranger.access_token), to_stranger).await;
    unknown.assert_problem(422, "validation_failed");
    assert_eq!(unknown.body["errors"][0]["field"], "assessment_id");
    assert_eq!(unknown.body["errors"][0]["code"], "not_found");
    let respondent = app.add_member(&supplier, "respondent").await;
    app.post("/api/v1/shares", Some(&respondent.access_token), to_buyer).await.assert_problem(403, "forbidden");

    // A buyer's own checklist goes back to that buyer only.
    let b = Some(buyer.access_token.as_str());
    let own_sheet = app.post(&format!("/api/v1/templates/{builtin}/clone"), b, json!({})).await;
    let own_sheet = own_sheet.body["id"].as_str().ok_or("clone")?.to_owned();
    let record = app.get("/api/v1/suppliers", b).await.body["data"][0]["id"].as_str().unwrap_or_default().to_owned();
    let campaign = json!({ "name": "Own sheet", "template_id": own_sheet, "due_date": crate::helpers::due_in(30),
                           "supplier_ids": [record] });
    let sent = app.post("/api/v1/campaigns", b, campaign).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{}", sent.body);
    let elsewhere =
        json!({ "template_id": own_sheet, "scope": "scores", "recipient_organization_id": stranger.org_id });
    let refused = app.post("/api/v1/shares", s, elsewhere).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.body["errors"][0]["code"], "not_allowed");
    let back = json!({ "template_id": own_sheet, "scope": "scores", "recipient_organization_id": buyer.org_id });
    assert_eq!(app.post("/api/v1/shares", s, back).await.status, StatusCode::CREATED);
    Ok(())
}

#[tokio::test]
async fn the_sharing_and_library_pages_do_what_the_api_does() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, assessment) = app.invited_supplier(1).await;
    let s = Some(supplier.access_token.as_str());
    submitted_with_a_file(&app, &supplier, &assessment).await?;
    let (chubu, record) = second_buyer_with(&app, &supplier).await;
    let c = Some(chubu.access_token.as_str());
    let builtin = app.builtin_template(&chubu).await;
    let asked = app.post("/api/v1/share-requests", c, json!({ "supplier_id": record, "template_id": builtin })).await;
    let request = asked.body["id"].as_str().ok_or("request")?.to_owned();

    // The supplier answers the request on /sharing: its library, with answers and evidence.
    let mut tokai = Visitor::signed_in(&app, &supplier.email, "en").await;
    let sharing = tokai.get("/sharing").await;
    assert_eq!(sharing.status, StatusCode::OK);
    assert!(sharing.html.contains("Requests to you") && sharing.html.contains("Chubu Motors"), "{}", sharing.html);
    let action = format!("/sharing/requests/{request}/share");
    let template = builtin.clone();
    let fields = [("template_id", template.as_str()), ("scope", "answers_and_evidence")];
    let replied = tokai.submit("/sharing", &action, &fields).await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER, "{}", replied.html);
    let outgoing = app.get("/api/v1/shares?direction=outgoing", s).await;
    let share = outgoing.body["data"][0]["id"].as_str().ok_or("share")?.to_owned();
    assert_eq!(outgoing.body["data"][0]["kind"], "live");
    assert_eq!(app.get("/api/v1/share-requests", c).await.body["data"][0]["status"], "fulfilled");

    // A new share's form names what is wrong, keeps what was typed, and saves nothing.
    let source = format!("assessment:{assessment}");
    let bad = [("source", source.as_str()), ("recipient_organization_id", "nope"), ("scope", "answers")];
    let refused = tokai.submit("/sharing", "/sharing/shares", &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.html.contains("not an organization id") && refused.html.contains(r#"value="nope""#));
    assert_eq!(ids(&app.get("/api/v1/shares?direction=outgoing", s).await.body).len(), 1);
    // A domain link: its address shown this once; Chubu's owner claims it through the page.
    let link = [("source", source.as_str()), ("recipient_domain", "example.com"), ("scope", "answers_and_evidence")];
    let made = tokai.submit("/sharing", "/sharing/shares", &link).await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.html);
    let at = made.html.find("/shares/claim/").ok_or("claim link")?;
    let claim_path: String = made.html[at..].chars().take_while(|ch| *ch != '<' && *ch != '"').collect();
    let mut chubu_page = Visitor::signed_in(&app, &chubu.email, "en").await;
    let claimed = chubu_page.submit(&claim_path, &claim_path, &[]).await;
    assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.html);
    let snapshot = claimed.location().trim_start_matches("/shares/").to_owned();
    assert_eq!(ids(&app.get("/api/v1/shares?direction=incoming", c).await.body).len(), 2);

    // Chubu reads both: score and answers, and the snapshot's file, whose download is audited.
    let list = chubu_page.get("/sharing").await;
    assert!(list.html.contains("Shared with you") && list.html.contains(&format!("/shares/{share}")), "{}", list.html);
    let read = chubu_page.get(&format!("/shares/{share}")).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.html);
    assert!(read.html.contains("Answer library (live)") && read.html.contains("Implemented"), "{}", read.html);
    let read = chubu_page.get(&format!("/shares/{snapshot}")).await;
    assert!(read.html.contains("policy.pdf"), "{}", read.html);
    let at = read.html.find(&format!("/shares/{snapshot}/evidence/")).ok_or("file link")?;
    let file_path: String = read.html[at..].chars().take_while(|ch| *ch != '"').collect();
    let download = chubu_page.request(reqwest::Method::GET, &file_path).send().await?;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await?.as_ref(), b"%PDF-1.4 policy");
    assert_eq!(audit_actions(&app, &supplier, "share.evidence_downloaded").await.len(), 1);
    // Asking for changes needs a comment; with one, it is a request to Tokai Seiki.
    let review = format!("/shares/{share}/review");
    let bare = chubu_page.submit(&format!("/shares/{share}"), &review, &[("decision", "request_changes")]).await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = [("decision", "request_changes"), ("comment", "Which MFA on item 1?")];
    let asked = chubu_page.submit(&format!("/shares/{share}"), &review, &fields).await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.html);
    let theirs = tokai.get("/sharing").await;
    assert!(theirs.html.contains("Which MFA on item 1?"), "{}", theirs.html);

    // The library page edits the library, which the live share follows.
    let lines = tokai.get("/library").await;
    assert!(lines.html.contains(&format!("/library/{builtin}")), "{}", lines.html);
    let first = app.scope_of(&supplier, &assessment).await[0];
    let line = format!("/library/{builtin}");
    let item = format!("{line}/items/{first}");
    let wrong = tokai.submit(&line, &item, &[("status", "maybe")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let saved =
        tokai.submit(&line, &item, &[("status", "not_implemented"), ("remediation_plan", "MFA by March")]).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let library = app.get(&format!("/api/v1/library/{builtin}"), s).await;
    let edited = library.body["items"].as_array().ok_or("items")?.iter().find(|i| i["no"] == first).cloned();
    assert_eq!(edited.as_ref().map(|i| i["remediation_plan"].clone()), Some(json!("MFA by March")), "{}", library.body);
    let after = chubu_page.get(&format!("/shares/{share}")).await;
    assert!(after.html.contains("Not implemented"), "{}", after.html);

    // Nobody else reads it; once revoked on the page, Chubu neither.
    let stranger = app.signup("Stranger").await;
    let mut other = Visitor::signed_in(&app, &stranger.email, "en").await;
    assert_eq!(other.get(&format!("/shares/{share}")).await.status, StatusCode::NOT_FOUND);
    let revoked = tokai.submit("/sharing", &format!("/sharing/shares/{share}/revoke"), &[]).await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(chubu_page.get(&format!("/shares/{share}")).await.status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn asking_and_sharing_again_mail_the_other_side_at_most_once_a_day() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, assessment) = app.invited_supplier(1).await;
    submitted_with_a_file(&app, &supplier, &assessment).await?;
    let (chubu, record) = second_buyer_with(&app, &supplier).await;
    let builtin = app.builtin_template(&chubu).await;
    let marker = "asks your organization to share";
    let asked =
        |app: &TestApp, supplier: &Member| app.mails_to(&supplier.email).iter().filter(|m| m.contains(marker)).count();
    let body = json!({ "supplier_id": record, "template_id": builtin });

    // Asked and withdrawn before the mail went out: nothing is mailed, and nothing held back.
    let withdrawn = app.post("/api/v1/share-requests", Some(&chubu.access_token), body.clone()).await;
    let withdrawn = withdrawn.body["id"].as_str().ok_or("request")?.to_owned();
    app.delete(&format!("/api/v1/share-requests/{withdrawn}"), Some(&chubu.access_token)).await;
    // Ask (mailed), withdraw, ask again the same day: the supplier's owner is mailed once;
    // every request is in its list.
    let first = app.post("/api/v1/share-requests", Some(&chubu.access_token), body.clone()).await;
    let first = first.body["id"].as_str().ok_or("request")?.to_owned();
    app.run_worker().await;
    assert_eq!(asked(&app, &supplier), 1);
    app.delete(&format!("/api/v1/share-requests/{first}"), Some(&chubu.access_token)).await;
    let again = app.post("/api/v1/share-requests", Some(&chubu.access_token), body.clone()).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.body);
    app.run_worker().await;
    assert_eq!(asked(&app, &supplier), 1);
    assert_eq!(ids(&app.get("/api/v1/share-requests", Some(&supplier.access_token)).await.body).len(), 3);
    // A day later, a new request is mailed again.
    app.clock.advance(chrono::Duration::hours(25));
    let (chubu, supplier) = (app.signed_in_again(&chubu).await, app.signed_in_again(&supplier).await);
    let again = again.body["id"].as_str().ok_or("request")?.to_owned();
    app.delete(&format!("/api/v1/share-requests/{again}"), Some(&chubu.access_token)).await;
    let third = app.post("/api/v1/share-requests", Some(&chubu.access_token), body).await;
    assert_eq!(third.status, StatusCode::CREATED, "{}", third.body);
    app.run_worker().await;
    assert_eq!(asked(&app, &supplier), 2);

    // Shares pushed the same day: Chubu's owner hears of the first one mailed only; a share
    // in reply to Chubu's own request is always told.
    let s = Some(supplier.access_token.as_str());
    let told = |app: &TestApp| {
        app.mails_to(&chubu.email).iter().filter(|m| m.contains("shared its answers to a check sheet")).count()
    };
    let push = json!({ "assessment_id": assessment, "recipient_organization_id": chubu.org_id, "scope": "scores" });
    // One revoked before its mail went out holds nothing back.
    let mistaken = app.post("/api/v1/shares", s, push.clone()).await;
    let mistaken = mistaken.body["id"].as_str().ok_or("share")?.to_owned();
    assert_eq!(app.delete(&format!("/api/v1/shares/{mistaken}"), s).await.status, StatusCode::NO_CONTENT);
    for _ in 0..2 {
        assert_eq!(app.post("/api/v1/shares", s, push.clone()).await.status, StatusCode::CREATED);
        app.run_worker().await;
    }
    assert_eq!(told(&app), 1);
    let third = third.body["id"].as_str().ok_or("request")?;
    let reply = json!({ "template_id": builtin, "share_request_id": third, "scope": "scores" });
    assert_eq!(app.post("/api/v1/shares", s, reply).await.status, StatusCode::CREATED);
    app.run_worker().await;
    assert_eq!(told(&app), 2);
    Ok(())
}
