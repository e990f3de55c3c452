//! Answering, submitting, reviewing: the whole flow and each refusal.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestResult, due_in, spawn_app};

#[tokio::test]
async fn the_whole_flow_from_answer_to_acceptance() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    let s = Some(supplier.access_token.as_str());
    let b = Some(buyer.access_token.as_str());

    let scope = app.scope_of(&supplier, &id).await;
    assert_eq!(scope.len(), 50, "a Lv1 assessment has the 50 Lv1 items");
    let before = app.get(&format!("/api/v1/assessments/{id}"), s).await;
    assert_eq!(before.body["status"], "sent");
    assert_eq!(before.headers.get("etag").and_then(|v| v.to_str().ok()), Some("\"1\""));

    let one = app.request(reqwest::Method::PUT, &format!("/api/v1/assessments/{id}/answers/{}", scope[0]), s,
        Some(json!({ "status": "partially_implemented", "remediation_plan": "Roll out MFA", "remediation_due": "2027-03-31" }))).await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.body);
    assert_eq!(one.body["version"], 2);
    let now = app.get(&format!("/api/v1/assessments/{id}"), s).await;
    assert_eq!(now.body["status"], "in_progress");
    assert_eq!(now.body["progress"], json!({ "answered": 1, "total": 50 }));

    let all = app.answer_all(&supplier, &id).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(all.body["answers"].as_array().map(Vec::len), Some(50));
    let submitted = app.post(&format!("/api/v1/assessments/{id}/submit"), s, json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    assert_eq!(submitted.body["status"], "submitted");
    assert!(submitted.body["submitted_at"].is_string());

    // Locked while the buyer reviews.
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/assessments/{id}/answers/{}", scope[0]),
        s,
        Some(json!({ "status": "implemented" })),
    )
    .await
    .assert_problem(409, "assessment_locked");

    let internal = app
        .post(
            &format!("/api/v1/assessments/{id}/comments"),
            b,
            json!({ "item_no": scope[1], "body": "Their MFA story is thin", "visibility": "internal" }),
        )
        .await;
    assert_eq!(internal.status, StatusCode::CREATED, "{}", internal.body);
    let review = app
        .post(
            &format!("/api/v1/assessments/{id}/review"),
            b,
            json!({
        "decision": "request_changes", "comment": "Please clarify item 2",
        "items": [{ "no": scope[1], "comment": "Which systems are covered?" }] }),
        )
        .await;
    assert_eq!(review.status, StatusCode::OK, "{}", review.body);
    assert_eq!(review.body["status"], "changes_requested");

    let seen = app.get(&format!("/api/v1/assessments/{id}/comments"), s).await;
    let bodies: Vec<&str> =
        seen.body["data"].as_array().ok_or("comments")?.iter().filter_map(|c| c["body"].as_str()).collect();
    assert!(bodies.contains(&"Which systems are covered?") && bodies.contains(&"Please clarify item 2"), "{bodies:?}");
    assert!(!bodies.contains(&"Their MFA story is thin"), "the supplier must not see internal comments");
    let buyer_view = app.get(&format!("/api/v1/assessments/{id}/comments"), b).await;
    assert_eq!(buyer_view.body["data"].as_array().map(Vec::len), Some(3));

    let reply = app
        .post(
            &format!("/api/v1/assessments/{id}/comments"),
            s,
            json!({ "item_no": scope[1], "body": "All office PCs" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let fix = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/assessments/{id}/answers/{}", scope[1]),
            s,
            Some(json!({ "status": "implemented", "comment": "All office PCs and servers" })),
        )
        .await;
    assert_eq!(fix.status, StatusCode::OK, "{}", fix.body);
    assert_eq!(app.get(&format!("/api/v1/assessments/{id}"), s).await.body["status"], "changes_requested");
    assert_eq!(app.post(&format!("/api/v1/assessments/{id}/submit"), s, json!({})).await.status, StatusCode::OK);
    let accepted = app.post(&format!("/api/v1/assessments/{id}/review"), b, json!({ "decision": "accept" })).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert_eq!(accepted.body["status"], "accepted");
    assert!(accepted.body["accepted_at"].is_string());

    let history = app.get(&format!("/api/v1/assessments/{id}/history?limit=200"), s).await;
    let events = history.body["data"].as_array().ok_or("history")?;
    let statuses: Vec<&str> =
        events.iter().filter(|e| e["kind"] == "status_changed").filter_map(|e| e["new_value"].as_str()).collect();
    assert_eq!(statuses, vec!["in_progress", "submitted", "changes_requested", "submitted", "accepted"]);
    let change = events
        .iter()
        .find(|e| e["kind"] == "answer_changed" && e["item_no"] == scope[1] && !e["old_value"].is_null())
        .ok_or("no answer change")?;
    assert_eq!(change["old_value"]["status"], "implemented");
    assert_eq!(change["new_value"]["comment"], "All office PCs and servers");
    assert!(change["actor_user_id"].is_string());
    let buyer_record = app.get("/api/v1/suppliers", b).await;
    assert_eq!(buyer_record.body["data"][0]["review_status"], "accepted");
    Ok(())
}

#[tokio::test]
async fn answers_follow_the_rules_and_a_bad_bulk_saves_nothing() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, id) = app.invited_supplier(1).await;
    let s = Some(supplier.access_token.as_str());
    let scope = app.scope_of(&supplier, &id).await;
    let lv2_item = (1..=153).find(|n| !scope.contains(n)).ok_or("no Lv2 item")?;
    let put = |no: u64, body: serde_json::Value| {
        let app = &app;
        let id = id.clone();
        async move {
            app.request(reqwest::Method::PUT, &format!("/api/v1/assessments/{id}/answers/{no}"), s, Some(body)).await
        }
    };

    let out = put(lv2_item, json!({ "status": "implemented" })).await;
    out.assert_problem(422, "validation_failed");
    assert_eq!(out.body["errors"][0]["code"], "item_not_in_scope");
    let na = put(scope[0], json!({ "status": "not_applicable" })).await;
    na.assert_problem(422, "validation_failed");
    assert_eq!(na.body["errors"][0]["field"], "reason");
    put(scope[0], json!({ "status": "implemented", "remediation_plan": "later" }))
        .await
        .assert_problem(422, "validation_failed");
    put(scope[0], json!({ "status": "maybe" })).await.assert_problem(422, "validation_failed");
    put(scope[0], json!({ "status": "not_applicable", "reason": "No such systems" })).await;

    let bulk = app
        .post(
            &format!("/api/v1/assessments/{id}/answers"),
            s,
            json!({ "answers": [
                { "no": scope[1], "status": "implemented" },
                { "no": scope[2], "status": "not_applicable" },
                { "no": lv2_item, "status": "implemented" }
            ]}),
        )
        .await;
    bulk.assert_problem(422, "validation_failed");
    let fields: Vec<&str> =
        bulk.body["errors"].as_array().ok_or("errors")?.iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(fields.contains(&format!("items.{}.reason", scope[2]).as_str()), "{fields:?}");
    assert!(fields.contains(&format!("items.{lv2_item}").as_str()), "{fields:?}");
    let after = app.get(&format!("/api/v1/assessments/{id}"), s).await;
    assert_eq!(after.body["progress"]["answered"], 1, "nothing of the bad bulk was saved");
    Ok(())
}

#[tokio::test]
async fn a_stale_if_match_is_412_and_a_current_one_succeeds() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, id) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &id).await;
    let url = app.url(&format!("/api/v1/assessments/{id}/answers/{}", scope[0]));
    let send = |etag: &'static str| {
        app.client
            .put(&url)
            .bearer_auth(&supplier.access_token)
            .header("if-match", etag)
            .json(&json!({ "status": "implemented" }))
            .send()
    };
    let ok = crate::helpers::TestApp::read(send("\"1\"").await?).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.headers.get("etag").and_then(|v| v.to_str().ok()), Some("\"2\""));
    let stale = crate::helpers::TestApp::read(send("\"1\"").await?).await;
    stale.assert_problem(412, "precondition_failed");
    let garbage = crate::helpers::TestApp::read(send("yesterday").await?).await;
    garbage.assert_problem(400, "bad_request");
    Ok(())
}

#[tokio::test]
async fn submitting_an_incomplete_assessment_lists_every_unanswered_item() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, id) = app.invited_supplier(1).await;
    let s = Some(supplier.access_token.as_str());
    let scope = app.scope_of(&supplier, &id).await;
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/assessments/{id}/answers/{}", scope[0]),
        s,
        Some(json!({ "status": "implemented" })),
    )
    .await;
    let refused = app.post(&format!("/api/v1/assessments/{id}/submit"), s, json!({})).await;
    refused.assert_problem(422, "assessment_incomplete");
    let missing = refused.body["errors"].as_array().ok_or("errors")?;
    assert_eq!(missing.len(), 49);
    assert_eq!(missing[0]["field"], format!("items.{}", scope[1]));
    Ok(())
}

#[tokio::test]
async fn each_side_does_only_its_own_part() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &id).await;
    let answer = json!({ "status": "implemented" });
    // The buyer cannot answer, the supplier cannot review, a supplier viewer reads only.
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/assessments/{id}/answers/{}", scope[0]),
        Some(&buyer.access_token),
        Some(answer.clone()),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post(
        &format!("/api/v1/assessments/{id}/review"),
        Some(&supplier.access_token),
        json!({ "decision": "accept" }),
    )
    .await
    .assert_problem(403, "forbidden");
    let viewer = app.add_member(&supplier, "viewer").await;
    assert_eq!(
        app.get(&format!("/api/v1/assessments/{id}/questions"), Some(&viewer.access_token)).await.status,
        StatusCode::OK
    );
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/assessments/{id}/answers/{}", scope[0]),
        Some(&viewer.access_token),
        Some(answer.clone()),
    )
    .await
    .assert_problem(403, "forbidden");
    let respondent = app.add_member(&supplier, "respondent").await;
    let ok = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/assessments/{id}/answers/{}", scope[0]),
            Some(&respondent.access_token),
            Some(answer),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    // A supplier may not write internal comments.
    app.post(
        &format!("/api/v1/assessments/{id}/comments"),
        Some(&supplier.access_token),
        json!({ "body": "x", "visibility": "internal" }),
    )
    .await
    .assert_problem(422, "validation_failed");
    // Reviewing before submission names the state.
    let early = app
        .post(&format!("/api/v1/assessments/{id}/review"), Some(&buyer.access_token), json!({ "decision": "accept" }))
        .await;
    early.assert_problem(409, "invalid_transition");
    assert!(early.body["detail"].as_str().is_some_and(|d| d.contains("in_progress")), "{}", early.body);
    // The buyer cancels; the supplier can no longer answer.
    let cancelled = app.post(&format!("/api/v1/assessments/{id}/cancel"), Some(&buyer.access_token), json!({})).await;
    assert_eq!(cancelled.body["status"], "cancelled");
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/assessments/{id}/answers/{}", scope[1]),
        Some(&supplier.access_token),
        Some(json!({ "status": "implemented" })),
    )
    .await
    .assert_problem(409, "assessment_locked");
    Ok(())
}

#[tokio::test]
async fn overdue_assessments_are_flagged_and_filtered() -> TestResult {
    let app = spawn_app().await;
    let (buyer, _, id) = app.invited_supplier(1).await;
    app.execute_sql("UPDATE assessments SET due_date = '2020-01-01'").await;
    let one = app.get(&format!("/api/v1/assessments/{id}"), Some(&buyer.access_token)).await;
    assert_eq!(one.body["overdue"], true);
    let overdue = app.get("/api/v1/assessments?overdue=true", Some(&buyer.access_token)).await;
    assert_eq!(overdue.body["data"].as_array().map(Vec::len), Some(1));
    let on_time = app.get("/api/v1/assessments?overdue=false", Some(&buyer.access_token)).await;
    assert_eq!(on_time.body["data"].as_array().map(Vec::len), Some(0));
    let campaign = app.get("/api/v1/campaigns", Some(&buyer.access_token)).await;
    assert_eq!(campaign.body["data"][0]["overdue"], 1);
    app.get("/api/v1/assessments?status=lost", Some(&buyer.access_token))
        .await
        .assert_problem(422, "validation_failed");
    Ok(())
}

#[tokio::test]
async fn the_app_clock_decides_what_is_due_and_what_is_overdue() -> TestResult {
    let app = spawn_app().await;
    let (buyer, _, id) = app.invited_supplier(1).await;
    let path = format!("/api/v1/assessments/{id}");
    assert_eq!(app.get(&path, Some(&buyer.access_token)).await.body["overdue"], false);

    // Due in 30 days: a month and a day later by the app's clock, nothing else changed.
    app.clock.advance(chrono::Duration::days(31));
    // Access tokens expire by the same clock: sign in again a month later.
    let buyer = app.signed_in_again(&buyer).await;
    assert_eq!(app.get(&path, Some(&buyer.access_token)).await.body["overdue"], true);
    let overdue = app.get("/api/v1/assessments?overdue=true", Some(&buyer.access_token)).await;
    assert_eq!(overdue.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(app.get("/api/v1/campaigns", Some(&buyer.access_token)).await.body["data"][0]["overdue"], 1);

    // "After today" means after the clock's today: a date 10 real days ahead is now past.
    let (supplier, _) = app.create_supplier(&buyer, "Later Parts", 1).await;
    let template = app.builtin_template(&buyer).await;
    let body = json!({ "name": "FY2027", "template_id": template, "due_date": due_in(10), "supplier_ids": [supplier] });
    let refused = app.post("/api/v1/campaigns", Some(&buyer.access_token), body).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.body["errors"][0]["field"], "due_date", "{}", refused.body);
    Ok(())
}
