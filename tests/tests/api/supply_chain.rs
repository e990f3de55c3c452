//! The multi-tier cascade: an OEM sends the check sheet to a Tier-1, the Tier-1 sends it to
//! its own Tier-2s, each Tier-2 decides whether its answers may count (anonymously or by
//! name), and the Tier-1 forwards the figure of its supply chain below to the OEM. The OEM
//! sees exactly the figure and the names given, and nothing of it once consent or forward
//! is withdrawn.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, TestResult, spawn_app};
use crate::web_client::Visitor;

/// A Tier-2 of `tier1`: registered, invited in one campaign with the others, accepted as a
/// new organization. Returns (its owner, its assessment by the Tier-1).
async fn tier2s(app: &TestApp, tier1: &Member, names: &[&str]) -> Vec<(Member, String)> {
    let mut records = Vec::new();
    for name in names {
        records.push(app.create_supplier(tier1, name, 1).await);
    }
    let ids: Vec<String> = records.iter().map(|(id, _)| id.clone()).collect();
    let campaign = app.create_campaign(tier1, &ids, Some(1)).await;
    app.run_worker().await;
    let mut out = Vec::new();
    for ((id, email), name) in records.iter().zip(names) {
        let invitation = app.mails_to(email).pop().unwrap_or_default();
        assert!(
            invitation.contains("Whether your answers count in it is your decision")
                && invitation.contains("この回答を含めてよいかは貴社が決めます"),
            "the invitation asks for consent: {invitation}"
        );
        let owner = app.accept_as_new_supplier(&app.supplier_token_for(email), name).await;
        let assessment = campaign["assessments"]
            .as_array()
            .and_then(|all| all.iter().find(|a| a["supplier_id"] == id.as_str()))
            .and_then(|a| a["id"].as_str())
            .unwrap_or_default()
            .to_owned();
        out.push((owner, assessment));
    }
    out
}

async fn answer_and_submit(app: &TestApp, supplier: &Member, assessment: &str, status: &str) -> TestResult {
    let answers: Vec<Value> =
        app.scope_of(supplier, assessment).await.into_iter().map(|no| json!({ "no": no, "status": status })).collect();
    let t = Some(supplier.access_token.as_str());
    let saved = app.post(&format!("/api/v1/assessments/{assessment}/answers"), t, json!({ "answers": answers })).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let submitted = app.post(&format!("/api/v1/assessments/{assessment}/submit"), t, json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    Ok(())
}

async fn consent(app: &TestApp, supplier: &Member, assessment: &str, consent: &str) -> Value {
    let reply = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/assessments/{assessment}/forwarding-consent"),
            Some(&supplier.access_token),
            Some(json!({ "consent": consent })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

/// How many events of `action` are in the member's organization's audit trail.
async fn trail(app: &TestApp, m: &Member, action: &str) -> usize {
    let reply = app.get(&format!("/api/v1/audit-events?action={action}"), Some(&m.access_token)).await;
    reply.body["data"].as_array().map(Vec::len).unwrap_or_default()
}

/// The OEM's one row of `GET /api/v1/comparison/supply-chain`.
async fn below(app: &TestApp, oem: &Member) -> Value {
    let reply = app.get("/api/v1/comparison/supply-chain", Some(&oem.access_token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["data"].as_array().map(Vec::len), Some(1), "{}", reply.body);
    reply.body["data"][0].clone()
}

#[tokio::test]
async fn an_oem_sees_its_tier1s_supply_chain_below_only_as_far_as_each_tier2_consented() -> TestResult {
    let app = spawn_app().await;
    let (oem, tier1, oem_assessment) = app.invited_supplier(1).await;
    let (o, t1) = (Some(oem.access_token.as_str()), Some(tier1.access_token.as_str()));
    let subs = tier2s(&app, &tier1, &["Named Parts KK", "Quiet Parts KK", "Silent Parts KK", "Late Parts KK"]).await;
    let [(named, named_a), (quiet, quiet_a), (silent, silent_a), (late, late_a)] = subs.as_slice() else {
        return Err("four Tier-2s".into());
    };
    // Named answers everything implemented and agrees to be named; Quiet implements nothing
    // and agrees anonymously (before submitting); Silent answers and never consents; Late
    // consents by name but has not submitted.
    answer_and_submit(&app, named, named_a, "implemented").await?;
    assert_eq!(consent(&app, named, named_a, "named").await["consent"], "named");
    consent(&app, quiet, quiet_a, "anonymous").await;
    answer_and_submit(&app, quiet, quiet_a, "not_implemented").await?;
    answer_and_submit(&app, silent, silent_a, "implemented").await?;
    // Late decides on its assessment's page.
    let mut page = Visitor::signed_in(&app, &late.email, "en").await;
    let sheet = page.get(&format!("/assessments/{late_a}")).await;
    assert!(sheet.html.contains("consent-form") && sheet.html.contains("Count them anonymously"), "{}", sheet.html);
    let path = format!("/assessments/{late_a}");
    let decided = page.submit(&path, &format!("{path}/forwarding-consent"), &[("consent", "named")]).await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.html);
    let seen = app.get(&format!("/api/v1/assessments/{late_a}/forwarding-consent"), Some(&late.access_token)).await;
    assert_eq!(seen.body["consent"], "named");
    // Both sides read a consent; only the supplier's owners and admins give it.
    let seen = app.get(&format!("/api/v1/assessments/{quiet_a}/forwarding-consent"), t1).await;
    assert_eq!(seen.body["consent"], "anonymous", "{}", seen.body);
    let unset = app.get(&format!("/api/v1/assessments/{silent_a}/forwarding-consent"), t1).await;
    assert_eq!((unset.body["consent"].clone(), unset.body["updated_at"].clone()), (json!("none"), Value::Null));
    let respondent = app.add_member(named, "respondent").await;
    for token in [&respondent.access_token, &tier1.access_token] {
        app.request(
            reqwest::Method::PUT,
            &format!("/api/v1/assessments/{named_a}/forwarding-consent"),
            Some(token),
            Some(json!({ "consent": "none" })),
        )
        .await
        .assert_problem(403, "forbidden");
    }

    // Nothing reaches the OEM until the Tier-1 forwards.
    let nothing = app.get("/api/v1/comparison/supply-chain", o).await;
    assert_eq!(nothing.body["data"], json!([]), "{}", nothing.body);
    let forwarded = app.post("/api/v1/supply-chain/forwards", t1, json!({ "assessment_id": oem_assessment })).await;
    assert_eq!(forwarded.status, StatusCode::CREATED, "{}", forwarded.body);
    let forward = forwarded.body["id"].as_str().ok_or("forward id")?.to_owned();
    assert_eq!(forwarded.body["recipient"]["id"], oem.org_id.as_str());
    let again = app.post("/api/v1/supply-chain/forwards", t1, json!({ "assessment_id": oem_assessment })).await;
    assert_eq!((again.status, again.body["id"].clone()), (StatusCode::OK, json!(forward)));
    // The Tier-1 cannot forward from an assessment it sent, nor the OEM from its own.
    for (token, from) in [(t1, named_a), (o, &oem_assessment)] {
        let refused = app.post("/api/v1/supply-chain/forwards", token, json!({ "assessment_id": from })).await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(refused.body["errors"][0]["field"], "assessment_id", "{}", refused.body);
        assert_eq!(refused.body["errors"][0]["code"], "not_found", "{}", refused.body);
    }

    // The OEM's figure, against what the Tier-1 itself sees of each Tier-2.
    let named_score = app.get(&format!("/api/v1/assessments/{named_a}/score"), t1).await.body;
    let quiet_score = app.get(&format!("/api/v1/assessments/{quiet_a}/score"), t1).await.body;
    let row = below(&app, &oem).await;
    assert_eq!(row["forward"]["id"], forward.as_str());
    let records = app.get("/api/v1/suppliers", o).await;
    assert_eq!(row["supplier"]["id"], records.body["data"][0]["id"], "the OEM's own record of the Tier-1");
    let figure = &row["figure"];
    assert_eq!(
        (figure["asked"].clone(), figure["answered"].clone(), figure["counted"].clone()),
        (json!(4), json!(3), json!(2))
    );
    let mut levels = json!({ "none": 0, "level1": 0, "level2": 0, "level3": 0 });
    for s in [&named_score, &quiet_score] {
        let key = match s["achieved_level"].as_i64() {
            Some(3) => "level3",
            Some(2) => "level2",
            Some(1) => "level1",
            _ => "none",
        };
        levels[key] = json!(levels[key].as_i64().unwrap_or_default() + 1);
    }
    assert_eq!(figure["levels"], levels);
    assert_eq!(figure["named"].as_array().map(Vec::len), Some(1), "{figure}");
    assert_eq!(figure["named"][0]["name"], "Named Parts KK");
    assert_eq!(figure["named"][0]["achieved_level"], named_score["achieved_level"]);
    // Every category: Named at 100 %, Quiet at 0 %, where the category has level-1 items.
    let categories = figure["categories"].as_array().ok_or("categories")?;
    assert_eq!(categories.len(), 24);
    let scored: Vec<&Value> = categories.iter().filter(|c| c["scored"] != 0).collect();
    assert!(!scored.is_empty());
    for c in &scored {
        assert_eq!(
            (c["scored"].clone(), c["mean"].clone(), c["bands"].clone()),
            (json!(2), json!(0.5), json!([1, 0, 0, 1])),
            "{c}"
        );
    }
    assert!(categories.iter().filter(|c| c["scored"] == 0).all(|c| c["mean"].is_null()));
    // Nothing else of the Tier-2s: not the others' names, organizations or assessments.
    let text = row.to_string();
    for hidden in ["Quiet Parts KK", "Silent Parts KK", "Late Parts KK"] {
        assert!(!text.contains(hidden), "{hidden} leaked: {text}");
    }
    for (m, a) in subs.iter() {
        assert!(!text.contains(m.org_id.as_str()) && !text.contains(a.as_str()), "a Tier-2 id leaked: {text}");
    }
    let tier1_records = app.get("/api/v1/suppliers", t1).await;
    for record in tier1_records.body["data"].as_array().ok_or("the Tier-1's registry")? {
        let id = record["id"].as_str().ok_or("record id")?;
        assert!(!text.contains(id), "the Tier-1's record of a Tier-2 leaked: {text}");
    }
    // The same over GraphQL, and the one forward by id.
    let gql = app
        .graphql(o, "{ supplyChainBelow { edges { node { forward { id } figure { asked answered counted named { name } } } } } }")
        .await;
    let node = &gql.body["data"]["supplyChainBelow"]["edges"][0]["node"];
    assert_eq!(node["figure"]["counted"], 2, "{}", gql.body);
    assert_eq!(node["figure"]["named"], json!([{ "name": "Named Parts KK" }]));
    let one = app.get(&format!("/api/v1/supply-chain/forwards/{forward}"), o).await;
    assert_eq!(one.body["figure"]["counted"], 2, "{}", one.body);

    // The OEM's comparison page shows the Tier-1's line below its own table.
    let mut oem_page = Visitor::signed_in(&app, &oem.email, "en").await;
    let compared = oem_page.get("/comparison").await;
    assert!(
        compared.html.contains("Supply chain below") && compared.html.contains("Named Parts KK (Lv"),
        "{}",
        compared.html
    );
    assert!(!compared.html.contains("Quiet Parts KK"));

    // A Tier-2 withdraws: out of the next read.
    consent(&app, named, named_a, "none").await;
    let figure = below(&app, &oem).await["figure"].clone();
    assert_eq!((figure["counted"].clone(), figure["named"].clone()), (json!(1), json!([])));
    // Strangers and Tier-2s never see the forward.
    let stranger = app.signup("Stranger Co").await;
    for m in [&stranger, named] {
        app.get(&format!("/api/v1/supply-chain/forwards/{forward}"), Some(&m.access_token))
            .await
            .assert_problem(404, "not_found");
        let list = app.get("/api/v1/comparison/supply-chain", Some(&m.access_token)).await;
        assert_eq!(list.body["data"], json!([]));
    }

    // The Tier-1 withdraws the forward: the OEM loses it at once, over REST and GraphQL.
    let revoked = app.delete(&format!("/api/v1/supply-chain/forwards/{forward}"), t1).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert!(!revoked.body["revoked_at"].is_null());
    assert_eq!(app.get("/api/v1/comparison/supply-chain", o).await.body["data"], json!([]));
    app.get(&format!("/api/v1/supply-chain/forwards/{forward}"), o).await.assert_problem(404, "not_found");
    let gone = app.graphql(o, &format!(r#"{{ supplyChainForward(id: "{forward}") {{ forward {{ id }} }} }}"#)).await;
    assert_eq!(gone.body["errors"][0]["extensions"]["code"], "not_found", "{}", gone.body);
    // The Tier-1 still sees its own, withdrawn; a new forward may be made afterwards.
    let own = app.get("/api/v1/supply-chain/forwards", t1).await;
    assert_eq!(own.body["data"][0]["id"], forward.as_str());
    assert!(!own.body["data"][0]["revoked_at"].is_null());
    let renewed = app.post("/api/v1/supply-chain/forwards", t1, json!({ "assessment_id": oem_assessment })).await;
    assert_eq!(renewed.status, StatusCode::CREATED, "{}", renewed.body);
    assert_ne!(renewed.body["id"], json!(forward));
    assert_eq!(below(&app, &oem).await["figure"]["counted"], 1);

    // Each decision is in the deciding organization's audit trail.
    assert_eq!(trail(&app, named, "assessment.forwarding_consent_set").await, 2);
    assert_eq!(trail(&app, &tier1, "supply_chain.forwarded").await, 2);
    assert_eq!(trail(&app, &tier1, "supply_chain.forward_revoked").await, 1);
    // Every figure the OEM read is in the Tier-1's trail, by the OEM; the Tier-1's own reads
    // of what it forwarded are not.
    let viewed = trail(&app, &tier1, "supply_chain.viewed").await;
    assert!(viewed >= 4, "{viewed}");
    let renewed = renewed.body["id"].as_str().ok_or("forward")?.to_owned();
    let own_read = app.get(&format!("/api/v1/supply-chain/forwards/{renewed}"), t1).await;
    assert_eq!(own_read.status, StatusCode::OK, "{}", own_read.body);
    assert_eq!(trail(&app, &tier1, "supply_chain.viewed").await, viewed);
    let oem_read = app.get(&format!("/api/v1/supply-chain/forwards/{renewed}"), o).await;
    assert_eq!(oem_read.status, StatusCode::OK, "{}", oem_read.body);
    let events = app.get("/api/v1/audit-events?action=supply_chain.viewed", t1).await;
    assert_eq!(events.body["data"].as_array().map(Vec::len), Some(viewed + 1));
    assert_eq!(events.body["data"][0]["details"]["by_organization_id"], oem.org_id.as_str());
    assert!(events.body["data"][0]["client_ip"].is_null(), "not the OEM's address");
    assert!(events.body["data"][0]["request_id"].is_null(), "not the OEM's request");
    assert_eq!(trail(&app, &oem, "supply_chain.viewed").await, 0);

    // The OEM withdraws the assessment the forward was made for: the forward ends with it.
    let cancelled = app.post(&format!("/api/v1/assessments/{oem_assessment}/cancel"), o, json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let gone = app.get("/api/v1/comparison/supply-chain", o).await;
    assert_eq!(gone.body["data"].as_array().map(Vec::len), Some(0), "{}", gone.body);
    let own = app.get(&format!("/api/v1/supply-chain/forwards/{renewed}"), t1).await;
    assert!(!own.body["forward"]["revoked_at"].is_null(), "{}", own.body);
    let ended = app.get("/api/v1/audit-events?action=supply_chain.forward_ended", t1).await;
    assert_eq!(ended.body["data"].as_array().map(Vec::len), Some(1), "{}", ended.body);
    assert_eq!(ended.body["data"][0]["details"]["by_organization_id"], oem.org_id.as_str());
    assert!(ended.body["data"][0]["request_id"].is_null(), "not the OEM's request");
    Ok(())
}

#[tokio::test]
async fn a_forward_ends_with_the_campaign_its_assessment_was_sent_in() -> TestResult {
    let app = spawn_app().await;
    let (oem, tier1, oem_assessment) = app.invited_supplier(1).await;
    let (o, t1) = (Some(oem.access_token.as_str()), Some(tier1.access_token.as_str()));
    let forwarded = app.post("/api/v1/supply-chain/forwards", t1, json!({ "assessment_id": oem_assessment })).await;
    assert_eq!(forwarded.status, StatusCode::CREATED, "{}", forwarded.body);
    let forward = forwarded.body["id"].as_str().ok_or("forward id")?.to_owned();
    let campaign = app.get(&format!("/api/v1/assessments/{oem_assessment}"), o).await.body["campaign_id"].clone();
    let campaign = campaign.as_str().ok_or("campaign")?;
    let cancelled = app.post(&format!("/api/v1/campaigns/{campaign}/cancel"), o, json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let own = app.get(&format!("/api/v1/supply-chain/forwards/{forward}"), t1).await;
    assert!(!own.body["forward"]["revoked_at"].is_null(), "{}", own.body);
    app.get(&format!("/api/v1/supply-chain/forwards/{forward}"), o).await.assert_problem(404, "not_found");
    // A cancelled assessment cannot be forwarded again.
    let refused = app.post("/api/v1/supply-chain/forwards", t1, json!({ "assessment_id": oem_assessment })).await;
    refused.assert_problem(422, "validation_failed");
    Ok(())
}
