//! The crosswalk to METI's SCS ★3/★4 criteria and ISO/IEC 27001: an assessment's readiness
//! view, checked against a case computed by hand from `catalog/jama-scs-crosswalk.csv`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::comparison::{names, portfolio};
use crate::helpers::{TestResult, spawn_app};

fn criterion<'a>(view: &'a Value, code: &str) -> &'a Value {
    view["criteria"].as_array().and_then(|c| c.iter().find(|c| c["code"] == code)).unwrap_or(&Value::Null)
}

#[tokio::test]
async fn the_readiness_view_matches_a_case_computed_by_hand() -> TestResult {
    let app = spawn_app().await;
    // Target level 2: Lv1 and Lv2 items are in scope, Lv3 ones are not.
    let (buyer, supplier, assessment) = app.invited_supplier(2).await;
    let saved = app.answer_all(&supplier, &assessment).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    // No.3 not implemented, No.4 partly, No.10 not applicable, No.29 not implemented.
    let changes = json!({ "answers": [
        { "no": 3, "status": "not_implemented" },
        { "no": 4, "status": "partially_implemented", "remediation_plan": "Sign NDAs", "remediation_due": "2027-03-31" },
        { "no": 10, "status": "not_applicable", "reason": "No personal data" },
        { "no": 29, "status": "not_implemented" },
    ] });
    let s = Some(supplier.access_token.as_str());
    let changed = app.post(&format!("/api/v1/assessments/{assessment}/answers"), s, changes).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);

    let view = app.get(&format!("/api/v1/assessments/{assessment}/crosswalk"), s).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    let v = &view.body;
    assert_eq!(v["mapping"]["version"], "2026-03-27");
    assert_eq!(v["mapping"]["indicative"], true);
    // By hand from the file: 1-3-1-1 is cited by No.1 (implemented) alone; 1-3-1-2 and
    // 1-3-1-3 by No.3 alone (not implemented); 1-2-3-1 by No.4 alone (partly); 1-1-1-1 by
    // No.9 and No.10 (N/A does not count, No.9 implemented); 4-2-1-3 by No.28-30 (No.29 not
    // implemented); 2-1-3-1 by No.42 alone, a Lv3 item outside the target.
    let expect = [
        ("1-3-1-1", "supported", "3"),
        ("1-3-1-2", "not_supported", "3"),
        ("1-3-1-3", "not_supported", "3"),
        ("1-2-3-1", "partly_supported", "3"),
        ("1-3-1-4", "supported", "4"),
        ("1-1-1-1", "supported", "4"),
        ("4-2-1-3", "partly_supported", "4"),
        ("2-1-3-1", "not_assessed", "4"),
        ("4-2-1-4", "supported", "unstated"),
        // Cited by No.53 (in scope, implemented) and No.120 (Lv3, unassessed): at most partly.
        ("4-4-3-2", "partly_supported", "4"),
    ];
    for (code, status, star) in expect {
        let c = criterion(v, code);
        assert_eq!((c["status"].as_str(), c["star"].as_str()), (Some(status), Some(star)), "{code}: {c}");
    }
    assert_eq!(criterion(v, "4-2-1-3")["items"], json!([28, 29, 30]));
    assert_eq!(criterion(v, "4-2-1-3")["implemented"], json!([28, 30]));
    assert_eq!(criterion(v, "4-4-3-2")["unassessed"], json!([120]));
    assert_eq!(criterion(v, "2-1-3-1")["unassessed"], json!([42]));
    // Every criterion once, and the per-star counts add up to them.
    let criteria = v["criteria"].as_array().ok_or("criteria")?;
    assert_eq!(criteria.len(), 142);
    let counted: u64 = v["stars"].as_array().ok_or("stars")?.iter().map(|s| s["criteria"].as_u64().unwrap_or(0)).sum();
    assert_eq!(counted, 142);
    for s in v["stars"].as_array().ok_or("stars")? {
        let statuses = ["supported", "partly_supported", "not_supported", "not_assessed"];
        let of = |status: &str| criteria.iter().filter(|c| c["star"] == s["star"] && c["status"] == status).count();
        for status in statuses {
            assert_eq!(s[status].as_u64(), Some(of(status) as u64), "{} {status}", s["star"]);
        }
    }
    // ISO/IEC 27001: A.5.1 is reached by No.1-3 (No.1 and No.2 implemented: touched); each
    // item lists its references, the 60 uncited ones with none.
    let iso = v["iso27001"].as_array().ok_or("iso")?;
    let a51 = iso.iter().find(|r| r["reference"] == "A.5.1").ok_or("A.5.1")?;
    assert_eq!(
        (a51["items"].clone(), a51["implemented"].clone(), a51["touched"].clone()),
        (json!([1, 2, 3]), json!([1, 2]), json!(true))
    );
    let items = v["items"].as_array().ok_or("items")?;
    assert_eq!(items.len(), 153);
    assert_eq!(items.iter().filter(|i| i["scs_criteria"].as_array().is_some_and(|c| c.is_empty())).count(), 60);
    assert_eq!(items[0]["nist_csf"], "GV");

    // The buyer reads the same; GraphQL too.
    let theirs = app.get(&format!("/api/v1/assessments/{assessment}/crosswalk"), Some(&buyer.access_token)).await;
    assert_eq!(theirs.body["criteria"], v["criteria"]);
    let q = format!(
        r#"{{ assessmentCrosswalk(id: "{assessment}") {{ stars {{ star supported }} criteria {{ code status }} }} }}"#
    );
    let gql = app.graphql(Some(&buyer.access_token), &q).await;
    let first = &gql.body["data"]["assessmentCrosswalk"]["criteria"][0];
    assert_eq!(first["code"], v["criteria"][0]["code"], "{}", gql.body);

    // A buyer's copy of the check sheet maps item by item as the built-in does.
    let b = Some(buyer.access_token.as_str());
    let builtin = app.builtin_template(&buyer).await;
    let copy = app.post(&format!("/api/v1/templates/{builtin}/clone"), b, json!({ "name": "Copy" })).await;
    let record = app.get("/api/v1/suppliers", b).await.body["data"][0]["id"].clone();
    let body = json!({ "name": "Copy", "template_id": copy.body["id"], "due_date": crate::helpers::due_in(30), "supplier_ids": [record] });
    let sent = app.post("/api/v1/campaigns", b, body).await;
    let copied = sent.body["assessments"][0]["id"].as_str().ok_or("assessment")?.to_owned();
    let view = app.get(&format!("/api/v1/assessments/{copied}/crosswalk"), s).await;
    assert_eq!(view.status, StatusCode::OK, "{}", view.body);
    assert_eq!(view.body["items"].as_array().map(Vec::len), Some(153));
    assert_eq!(criterion(&view.body, "1-3-1-1")["status"], "not_supported", "nothing answered yet");

    // A checklist that is not the JAMA/JAPIA check sheet has no crosswalk.
    let doc = json!({ "key": "own", "name": "Own", "guideline_version": "1", "language": "en",
        "categories": [{ "number": 1, "name": "All", "sections": [{ "code": "1-1", "items": [
            { "no": 1, "level": 1, "question": "Is there a policy?", "criteria": ["written down"] } ] }] }] });
    let own = app.post("/api/v1/templates", Some(&buyer.access_token), doc).await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);
    let body = json!({ "name": "Own", "template_id": own.body["id"], "due_date": crate::helpers::due_in(30), "supplier_ids": [record] });
    let campaign = app.post("/api/v1/campaigns", Some(&buyer.access_token), body).await;
    let other = campaign.body["assessments"][0]["id"].as_str().ok_or("assessment")?.to_owned();
    app.get(&format!("/api/v1/assessments/{other}/crosswalk"), s).await.assert_problem(409, "crosswalk_unavailable");
    Ok(())
}

#[tokio::test]
async fn the_assessment_page_shows_what_cites_each_item() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    let mut visitor = crate::web_client::Visitor::signed_in(&app, &buyer.email, "en").await;
    let page = visitor.get(&format!("/assessments/{assessment}")).await;
    assert_eq!(page.status, StatusCode::OK);
    // No.1 is cited by 1-3-1-1 (★3) with ISO/IEC 27001 5.2, 7.3 and A.5.1, function GV.
    let card = |no: u64| page.html.split("<article").find(|a| a.contains(&format!("id=\"item-{no}\""))).unwrap_or("");
    let item = card(1);
    assert!(
        item.contains("Cited by (indicative): METI SCS ★3 1-3-1-1 · ISO/IEC 27001 5.2, 7.3, A.5.1 · NIST CSF GV"),
        "{item}"
    );
    // An item no criterion cites shows no line.
    let uncited = app.get(&format!("/api/v1/assessments/{assessment}/crosswalk"), Some(&supplier.access_token)).await;
    let no = uncited.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["scs_criteria"] == json!([])))
        .and_then(|i| i["no"].as_u64())
        .ok_or("an uncited item")?;
    let item = card(no);
    assert!(!item.is_empty() && !item.contains("METI SCS"), "No.{no}: {item}");

    // The questions API carries the same references per item (empty for an uncited one).
    let questions = app.get(&format!("/api/v1/assessments/{assessment}/questions"), Some(&supplier.access_token)).await;
    let of = |n: u64| {
        questions.body["data"].as_array().and_then(|q| q.iter().find(|q| q["no"] == n)).map(|q| q["references"].clone())
    };
    let first = of(1).ok_or("No.1")?;
    assert_eq!(
        (&first["scs_criteria"], &first["scs_star"], &first["nist_csf"]),
        (&json!(["1-3-1-1"]), &json!("3"), &json!("GV"))
    );
    assert_eq!(first["iso27001"], json!(["5.2", "7.3", "A.5.1"]));
    assert_eq!(of(no).ok_or("uncited")?["scs_criteria"], json!([]));
    Ok(())
}

/// The comparison shows each scored row's SCS readiness as the crosswalk computes it from
/// the submitted answers, and filters by it: rows without a score never match, a share out
/// of 0–1 is refused naming the field, and GraphQL filters the same.
#[tokio::test]
async fn the_comparison_shows_and_filters_by_scs_readiness() -> TestResult {
    let app = spawn_app().await;
    let p = portfolio(&app).await;
    let token = Some(p.buyer.access_token.as_str());
    // Each scored supplier's ★3 and ★4 shares, from its crosswalk.
    let mut shares: Vec<(&str, f64, f64)> = Vec::new();
    for name in ["Alpha Parts", "Bravo Castings", "Charlie Electronics"] {
        let view = app.get(&format!("/api/v1/assessments/{}/crosswalk", p.get(name)?.assessment), token).await;
        assert_eq!(view.status, StatusCode::OK, "{}", view.body);
        let share = |star: &str| -> Result<f64, String> {
            let counts = view.body["stars"]
                .as_array()
                .and_then(|s| s.iter().find(|s| s["star"] == star))
                .ok_or(format!("no ★{star} in {}", view.body))?;
            let (supported, criteria) = (counts["supported"].as_f64(), counts["criteria"].as_f64());
            Ok(supported.zip(criteria).map(|(s, c)| s / c).ok_or("counts")?)
        };
        shares.push((name, share("3")?, share("4")?));
    }
    let (alpha, bravo) = (shares[0].1, shares[1].1);
    assert!(alpha > 0.0 && bravo == 0.0, "{shares:?}");

    let rows = app.get("/api/v1/comparison", token).await;
    assert_eq!(rows.status, StatusCode::OK, "{}", rows.body);
    for (name, star3, star4) in &shares {
        let row = rows.body["data"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["supplier"]["name"] == *name))
            .ok_or(format!("no row for {name}"))?;
        let scs = &row["score"]["scs"];
        let near = |v: &Value, want: f64| v.as_f64().is_some_and(|v| (v - want).abs() < 1e-9);
        assert!(near(&scs["star3"], *star3) && near(&scs["star4"], *star4), "{name}: {scs} vs {star3}, {star4}");
    }
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let expected = |min: f64| -> Vec<String> {
        sorted(shares.iter().filter(|s| s.1 >= min - 1e-9).map(|s| s.0.to_owned()).collect())
    };
    for min in [0.0, alpha, 1.0] {
        let got = names(&app.get(&format!("/api/v1/comparison?scs_star3_min={min}"), token).await);
        assert_eq!(sorted(got), expected(min), "scs_star3_min={min}");
    }
    let everyone = names(&app.get("/api/v1/comparison", token).await);
    let at_zero = names(&app.get("/api/v1/comparison?scs_star3_min=0", token).await);
    assert!(everyone.contains(&"Delta Logistics".to_owned()), "{everyone:?}");
    assert!(!at_zero.contains(&"Delta Logistics".to_owned()), "never submitted: no score, no match: {at_zero:?}");
    let star4 = shares[0].2;
    let got = names(&app.get(&format!("/api/v1/comparison?scs_star4_min={star4}"), token).await);
    let want: Vec<String> = sorted(shares.iter().filter(|s| s.2 >= star4 - 1e-9).map(|s| s.0.to_owned()).collect());
    assert_eq!(sorted(got), want, "scs_star4_min={star4}");

    // A snapshot stored before the readiness was kept (or under another crosswalk version)
    // gets it when Kensa starts.
    app.execute_sql("UPDATE assessment_scores SET scs_star3 = NULL, scs_star4 = NULL, scs_mapping = NULL").await;
    assert!(names(&app.get("/api/v1/comparison?scs_star3_min=0", token).await).is_empty());
    kensa_domain::scoring::snapshot::backfill(&app.kensa).await?;
    let again = names(&app.get("/api/v1/comparison?scs_star3_min=0", token).await);
    assert_eq!(sorted(again), expected(0.0), "brought up to date");
    let refused = app.get("/api/v1/comparison?scs_star4_min=1.5", token).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(refused.body["errors"][0]["field"], "scs_star4_min", "{}", refused.body);

    let graphql = app
        .graphql(token, &format!("{{ comparison(filter: {{ scsStar3Min: {alpha} }}) {{ nodes {{ supplier {{ name }} score {{ scs {{ star3 }} }} }} }} }}"))
        .await;
    assert!(graphql.body["errors"].is_null(), "{}", graphql.body);
    let got: Vec<String> = graphql.body["data"]["comparison"]["nodes"]
        .as_array()
        .map(|n| n.iter().filter_map(|n| n["supplier"]["name"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    assert_eq!(sorted(got), expected(alpha));
    Ok(())
}
