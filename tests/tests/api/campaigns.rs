//! Campaigns and supplier invitations.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestResult, due_in, spawn_app};

#[tokio::test]
async fn a_campaign_creates_one_assessment_per_supplier_and_the_worker_mails_them() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let (a, a_email) = app.create_supplier(&buyer, "Alpha", 1).await;
    let (b, b_email) = app.create_supplier(&buyer, "Beta", 2).await;
    let campaign = app.create_campaign(&buyer, &[a.clone(), b.clone()], None).await;
    assert_eq!(campaign["assessment_count"], 2);
    assert_eq!(campaign["counts"]["sent"], 2);
    assert_eq!(campaign["overdue"], 0);
    assert!(app.mails().is_empty(), "the request does not wait for mail");

    assert_eq!(app.run_worker().await.succeeded, 2);
    let mail = &app.mails_to(&a_email)[0];
    assert!(mail.contains("Buyer Motors") && mail.contains("http://kensa.test/invitations/"), "{mail}");
    assert!(mail.contains(&due_in(30)), "the mail names the due date");
    assert!(mail.contains("レベル 1"), "the mail names the level");
    assert_eq!(app.mails_to(&b_email).len(), 1);

    // Each assessment takes its supplier's target level unless the campaign sets one.
    let list = app.get("/api/v1/assessments?role=buyer", Some(&buyer.access_token)).await;
    let mut levels: Vec<(String, i64)> = list.body["data"]
        .as_array()
        .ok_or("data")?
        .iter()
        .map(|x| {
            (
                x["supplier"]["name"].as_str().unwrap_or_default().to_owned(),
                x["target_level"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    levels.sort();
    assert_eq!(levels, vec![("Alpha".to_owned(), 1), ("Beta".to_owned(), 2)]);
    assert_eq!(list.body["data"][0]["progress"]["answered"], 0);

    let supplier = app.get(&format!("/api/v1/suppliers/{a}"), Some(&buyer.access_token)).await;
    assert_eq!(supplier.body["review_status"], "sent");
    let campaigns = app.get("/api/v1/campaigns", Some(&buyer.access_token)).await;
    assert_eq!(campaigns.body["data"][0]["counts"]["sent"], 2);
    Ok(())
}

#[tokio::test]
async fn campaign_input_is_validated_as_a_whole() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let other = app.signup("Other").await;
    let (theirs, _) = app.create_supplier(&other, "Not yours", 1).await;
    let (mine, _) = app.create_supplier(&buyer, "Mine", 1).await;
    let template = app.builtin_template(&buyer).await;
    let reply = app
        .post(
            "/api/v1/campaigns",
            Some(&buyer.access_token),
            json!({ "name": "", "template_id": template, "due_date": "2000-01-01", "target_level": 5,
                    "supplier_ids": [mine, mine, theirs] }),
        )
        .await;
    reply.assert_problem(422, "validation_failed");
    let fields: Vec<&str> =
        reply.body["errors"].as_array().ok_or("errors")?.iter().filter_map(|e| e["field"].as_str()).collect();
    for f in ["name", "due_date", "target_level", "supplier_ids[1]", "supplier_ids[2]"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    let bad_date = app
        .post(
            "/api/v1/campaigns",
            Some(&buyer.access_token),
            json!({ "name": "x", "template_id": template, "due_date": "31/12/2030", "supplier_ids": [mine] }),
        )
        .await;
    bad_date.assert_problem(422, "validation_failed");
    assert_eq!(bad_date.body["errors"][0]["field"], "due_date");
    Ok(())
}

#[tokio::test]
async fn an_invitation_is_previewed_and_accepted_once_by_a_new_supplier() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let (supplier_id, email) = app.create_supplier(&buyer, "Parts Co", 2).await;
    app.create_campaign(&buyer, std::slice::from_ref(&supplier_id), None).await;
    app.run_worker().await;
    let token = app.supplier_token_for(&email);

    let preview = app.get(&format!("/api/v1/invitations/{token}"), None).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(preview.body["buyer_name"], "Buyer Motors");
    assert_eq!(preview.body["target_level"], 2);
    assert_eq!(preview.body["due_date"], due_in(30));
    assert!(preview.body["template_name"].as_str().is_some_and(|n| n.contains("チェックシート")));

    let supplier = app.accept_as_new_supplier(&token, "Parts Co KK").await;
    let mine = app.get("/api/v1/assessments?role=supplier", Some(&supplier.access_token)).await;
    assert_eq!(mine.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(mine.body["data"][0]["buyer"]["name"], "Buyer Motors");
    let record = app.get(&format!("/api/v1/suppliers/{supplier_id}"), Some(&buyer.access_token)).await;
    assert_eq!(record.body["organization_id"], supplier.org_id.as_str());

    let again = app
        .post(
            &format!("/api/v1/invitations/{token}/accept"),
            None,
            json!({ "name": "X", "email": "x@example.com", "password": PASSWORD, "organization_name": "X" }),
        )
        .await;
    again.assert_problem(410, "invitation_used");
    app.get("/api/v1/invitations/unknown-token", None).await.assert_problem(404, "not_found");
    Ok(())
}

#[tokio::test]
async fn an_existing_supplier_account_links_a_second_buyers_assessment() -> TestResult {
    let app = spawn_app().await;
    let (_, supplier, _) = app.invited_supplier(1).await;
    let second_buyer = app.signup("Second Buyer").await;
    let (other_id, other_email) = app.create_supplier(&second_buyer, "Parts Co", 1).await;
    app.create_campaign(&second_buyer, std::slice::from_ref(&other_id), None).await;
    app.run_worker().await;
    let token = app.supplier_token_for(&other_email);

    let linked =
        app.post(&format!("/api/v1/invitations/{token}/accept"), Some(&supplier.access_token), json!({})).await;
    assert_eq!(linked.status, StatusCode::OK, "{}", linked.body);
    let mine = app.get("/api/v1/assessments?role=supplier", Some(&supplier.access_token)).await;
    let buyers: Vec<&str> =
        mine.body["data"].as_array().ok_or("data")?.iter().filter_map(|a| a["buyer"]["name"].as_str()).collect();
    assert_eq!(buyers.len(), 2, "{buyers:?}");
    assert!(buyers.contains(&"Second Buyer"));

    // From now on that buyer's new assessments go straight to the supplier's organization,
    // and the contact gets a notice instead of an invitation.
    app.create_campaign(&second_buyer, &[other_id], None).await;
    app.run_worker().await;
    let mails = app.mails_to(&other_email);
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().any(|m| m.contains("/assessments/")));
    let mine = app.get("/api/v1/assessments?role=supplier", Some(&supplier.access_token)).await;
    assert_eq!(mine.body["data"].as_array().map(Vec::len), Some(3));
    Ok(())
}

#[tokio::test]
async fn resending_revokes_the_old_link_and_cancelling_revokes_all() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let (supplier_id, email) = app.create_supplier(&buyer, "Late Co", 1).await;
    let campaign = app.create_campaign(&buyer, &[supplier_id], None).await;
    let assessment = campaign["assessments"][0]["id"].as_str().ok_or("id")?;
    app.run_worker().await;
    let first = app.supplier_token_for(&email);

    let resent = app
        .post(&format!("/api/v1/assessments/{assessment}/resend-invitation"), Some(&buyer.access_token), json!({}))
        .await;
    assert_eq!(resent.status, StatusCode::ACCEPTED, "{}", resent.body);
    app.run_worker().await;
    app.get(&format!("/api/v1/invitations/{first}"), None).await.assert_problem(410, "invitation_revoked");
    let tokens: Vec<String> =
        app.mails_to(&email).iter().filter_map(|m| crate::helpers::link_token(m, "/invitations/")).collect();
    let second = tokens.iter().find(|t| **t != first).ok_or("no second link")?;
    assert_eq!(app.get(&format!("/api/v1/invitations/{second}"), None).await.status, StatusCode::OK);

    let campaign_id = campaign["id"].as_str().ok_or("id")?;
    let cancelled =
        app.post(&format!("/api/v1/campaigns/{campaign_id}/cancel"), Some(&buyer.access_token), json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!(cancelled.body["counts"]["cancelled"], 1);
    app.get(&format!("/api/v1/invitations/{second}"), None).await.assert_problem(410, "invitation_revoked");
    app.post(&format!("/api/v1/campaigns/{campaign_id}/cancel"), Some(&buyer.access_token), json!({}))
        .await
        .assert_problem(409, "invalid_transition");
    Ok(())
}

#[tokio::test]
async fn an_expired_supplier_invitation_is_410() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer").await;
    let (supplier_id, email) = app.create_supplier(&buyer, "Slow Co", 1).await;
    app.create_campaign(&buyer, &[supplier_id], None).await;
    app.run_worker().await;
    let token = app.supplier_token_for(&email);
    app.execute_sql("UPDATE supplier_invitations SET expires_at = '2000-01-01T00:00:00+00:00'").await;
    app.get(&format!("/api/v1/invitations/{token}"), None).await.assert_problem(410, "invitation_expired");
    Ok(())
}
