//! Gaps (what keeps an assessment from its target, with the supplier's plans) and a
//! supplier's score history year over year, over REST and GraphQL.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, TestResult, spawn_app};

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

/// `(no, level)` of the assessment's in-scope items, in template order.
async fn items(app: &TestApp, member: &Member, id: &str) -> Result<Vec<(u64, u64)>, String> {
    let questions = app.get(&format!("/api/v1/assessments/{id}/questions"), Some(&member.access_token)).await;
    questions.body["data"]
        .as_array()
        .map(|q| q.iter().filter_map(|i| Some((i["no"].as_u64()?, i["level"].as_u64()?))).collect())
        .ok_or(format!("questions: {}", questions.body))
}

/// A campaign of the built-in sheet due 30 days after the app's today (which a test may
/// have moved a year on), for suppliers already linked: their assessments start at once.
async fn campaign_due_by_app_clock(app: &TestApp, buyer: &Member, supplier_id: &str) -> Result<String, String> {
    let template = app.builtin_template(buyer).await;
    let due = (app.kensa.today() + chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
    let body =
        json!({ "name": "FY2027 review", "template_id": template, "due_date": due, "supplier_ids": [supplier_id] });
    let reply = app.post("/api/v1/campaigns", Some(&buyer.access_token), body).await;
    if reply.status != StatusCode::CREATED {
        return Err(format!("campaign: {}", reply.body));
    }
    reply.body["assessments"][0]["id"].as_str().map(str::to_owned).ok_or(format!("campaign: {}", reply.body))
}

async fn supplier_record(app: &TestApp, buyer: &Member) -> Result<String, String> {
    let list = app.get("/api/v1/suppliers", Some(&buyer.access_token)).await;
    list.body["data"][0]["id"].as_str().map(str::to_owned).ok_or(format!("suppliers: {}", list.body))
}

fn numbers(list: &Value) -> Vec<u64> {
    list["data"].as_array().map(|d| d.iter().filter_map(|g| g["no"].as_u64()).collect()).unwrap_or_default()
}

#[tokio::test]
async fn gaps_list_partial_and_missing_items_with_their_plans_by_level_then_number() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(2).await;
    let scope = items(&app, &supplier, &id).await?;
    let lv1: Vec<u64> = scope.iter().filter(|(_, l)| *l == 1).map(|(n, _)| *n).collect();
    let lv2: Vec<u64> = scope.iter().filter(|(_, l)| *l == 2).map(|(n, _)| *n).collect();
    assert!(lv1.len() > 4 && lv2.len() > 2, "{scope:?}");
    // A Lv2 item short of the target, then a Lv1 one: the list puts Lv1 first.
    let (late, partial, not_applicable, unanswered_lv1) = (lv2[0], lv1[3], lv1[1], lv1[2]);
    let unanswered_lv2 = lv2[1];
    let due = app.kensa.today() + chrono::Duration::days(10);
    let answers: Vec<Value> = scope
        .iter()
        .filter(|(no, _)| *no != unanswered_lv1 && *no != unanswered_lv2)
        .map(|(no, _)| match *no {
            n if n == late => json!({ "no": n, "status": "not_implemented", "remediation_plan": "Buy an EDR",
                                      "remediation_due": due.to_string(), "comment": "Budget approved" }),
            n if n == partial => {
                json!({ "no": n, "status": "partially_implemented", "remediation_plan": "MFA for all" })
            }
            n if n == not_applicable => json!({ "no": n, "status": "not_applicable", "reason": "No such systems" }),
            n => json!({ "no": n, "status": "implemented" }),
        })
        .collect();
    let saved = app
        .post(&format!("/api/v1/assessments/{id}/answers"), Some(&supplier.access_token), json!({ "answers": answers }))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);

    let path = format!("/api/v1/assessments/{id}/gaps");
    let gaps = app.get(&path, Some(&buyer.access_token)).await;
    assert_eq!(gaps.status, StatusCode::OK, "{}", gaps.body);
    assert_eq!(numbers(&gaps.body), vec![partial, late], "Lv1 before Lv2; N/A and unanswered left out");
    assert_eq!(gaps.body["next_cursor"], Value::Null);
    let first = &gaps.body["data"][0];
    assert_eq!((first["level"].as_u64(), first["status"].as_str()), (Some(1), Some("partially_implemented")));
    assert_eq!(first["remediation_plan"], "MFA for all");
    assert_eq!((&first["remediation_due"], &first["overdue_remediation"]), (&Value::Null, &json!(false)));
    assert!(first["category"]["number"].is_u64() && first["category"]["name"].is_string(), "{first}");
    assert!(first["section"].is_string() && first["question"].is_string(), "{first}");
    // The English texts beside the Japanese, as the questions carry them.
    let questions = app.get(&format!("/api/v1/assessments/{id}/questions"), Some(&buyer.access_token)).await;
    let question = questions.body["data"].as_array().and_then(|q| q.iter().find(|q| q["no"] == partial)).ok_or("q")?;
    assert!(question["question_en"].is_string(), "{question}");
    assert_eq!(
        (&first["question_en"], &first["category"]["name_en"]),
        (&question["question_en"], &question["category_name_en"])
    );
    let second = &gaps.body["data"][1];
    assert_eq!((second["level"].as_u64(), second["status"].as_str()), (Some(2), Some("not_implemented")));
    assert_eq!(second["remediation_due"], due.to_string());
    assert_eq!(second["overdue_remediation"], false, "due in ten days");
    assert_eq!(second["comment"], "Budget approved");

    let everything = app.get(&format!("{path}?include_unanswered=true"), Some(&buyer.access_token)).await;
    let mut expected = [(1, partial), (1, unanswered_lv1), (2, late), (2, unanswered_lv2)];
    expected.sort_unstable();
    assert_eq!(numbers(&everything.body), expected.iter().map(|(_, n)| *n).collect::<Vec<_>>());
    let unanswered: Vec<&Value> =
        everything.body["data"].as_array().ok_or("data")?.iter().filter(|g| g["status"].is_null()).collect();
    assert_eq!(unanswered.len(), 2, "{}", everything.body);
    assert!(unanswered.iter().all(|g| g["remediation_plan"].is_null() && g["overdue_remediation"] == false));
    let explicit = app.get(&format!("{path}?include_unanswered=false"), Some(&buyer.access_token)).await;
    assert_eq!(explicit.body, gaps.body);
    app.get(&format!("{path}?include_unanswered=maybe"), Some(&buyer.access_token))
        .await
        .assert_problem(422, "validation_failed");

    // Either side reads the same list; nobody else does.
    let theirs = app.get(&path, Some(&supplier.access_token)).await;
    assert_eq!(theirs.body, gaps.body);
    let stranger = app.signup("Stranger Motors").await;
    app.get(&path, Some(&stranger.access_token)).await.assert_problem(404, "not_found");
    assert_eq!(app.get(&path, None).await.status, StatusCode::UNAUTHORIZED);

    // Eleven days on, the plan's date has passed.
    app.clock.advance(chrono::Duration::days(11));
    let buyer = app.signed_in_again(&buyer).await;
    let later = app.get(&path, Some(&buyer.access_token)).await;
    assert_eq!(later.body["data"][1]["overdue_remediation"], true, "{}", later.body);
    assert_eq!(later.body["data"][0]["overdue_remediation"], false, "no date, never overdue");
    Ok(())
}

#[tokio::test]
async fn score_history_lists_each_year_newest_first_with_its_change() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, first) = app.invited_supplier(1).await;
    let supplier_id = supplier_record(&app, &buyer).await?;
    let history = format!("/api/v1/suppliers/{supplier_id}/scores");
    let empty = app.get(&history, Some(&buyer.access_token)).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    assert_eq!(empty.body, json!({ "data": [], "next_cursor": null }), "nothing submitted yet");

    // Year one: everything implemented, accepted.
    assert_eq!(app.answer_all(&supplier, &first).await.status, StatusCode::OK);
    let s = Some(supplier.access_token.as_str());
    assert_eq!(app.post(&format!("/api/v1/assessments/{first}/submit"), s, json!({})).await.status, StatusCode::OK);
    let accepted = app
        .post(
            &format!("/api/v1/assessments/{first}/review"),
            Some(&buyer.access_token),
            json!({ "decision": "accept" }),
        )
        .await;
    assert_eq!(accepted.body["status"], "accepted", "{}", accepted.body);

    // Year two: the same sheet again, one item now only partly in place.
    app.clock.advance(chrono::Duration::days(365));
    let (buyer, supplier) = (app.signed_in_again(&buyer).await, app.signed_in_again(&supplier).await);
    let second = campaign_due_by_app_clock(&app, &buyer, &supplier_id).await?;
    let scope = items(&app, &supplier, &second).await?;
    let answers: Vec<Value> = scope
        .iter()
        .enumerate()
        .map(|(i, (no, _))| match i {
            0 => json!({ "no": no, "status": "partially_implemented", "remediation_plan": "Rolling out" }),
            _ => json!({ "no": no, "status": "implemented" }),
        })
        .collect();
    let s = Some(supplier.access_token.as_str());
    let saved = app.post(&format!("/api/v1/assessments/{second}/answers"), s, json!({ "answers": answers })).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert_eq!(app.post(&format!("/api/v1/assessments/{second}/submit"), s, json!({})).await.status, StatusCode::OK);

    // Any member of the buyer reads it: a viewer here.
    let viewer = app.add_member(&buyer, "viewer").await;
    let listed = app.get(&history, Some(&viewer.access_token)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let data = listed.body["data"].as_array().ok_or("data")?;
    let ids: Vec<&str> = data.iter().filter_map(|e| e["assessment_id"].as_str()).collect();
    assert_eq!(ids, vec![second.as_str(), first.as_str()], "newest first");
    let (newer, older) = (&data[0], &data[1]);
    let applicable = scope.len() as f64;
    let overall = (applicable - 0.5) / applicable;
    assert_eq!((newer["status"].as_str(), older["status"].as_str()), (Some("submitted"), Some("accepted")));
    assert!(close(&newer["overall"], overall) && close(&older["overall"], 1.0), "{newer} {older}");
    assert_eq!((newer["achieved_level"].as_u64(), older["achieved_level"].as_u64()), (Some(0), Some(1)));
    assert_eq!((&newer["meets_target"], &older["meets_target"]), (&json!(false), &json!(true)));
    assert!(close(&newer["levels"]["1"], overall) && newer["levels"]["2"].is_null(), "{newer}");
    assert_eq!((&newer["target_level"], &newer["template_id"]), (&json!(1), &older["template_id"]));
    assert!(newer["accepted_at"].is_null() && older["accepted_at"].is_string());
    assert!(newer["submitted_at"].as_str() > older["submitted_at"].as_str(), "{newer} {older}");
    assert!(newer["due_date"].is_string());
    assert_eq!(newer["change"]["previous_assessment_id"], first.as_str());
    assert!(close(&newer["change"]["overall"], overall - 1.0), "{}", newer["change"]);
    assert_eq!(newer["change"]["achieved_level"], -1);
    assert_eq!(older["change"], json!({ "previous_assessment_id": null, "overall": null, "achieved_level": null }));
    // Each entry is the assessment's own stored score.
    let score = app.get(&format!("/api/v1/assessments/{second}/score"), Some(&buyer.access_token)).await;
    assert_eq!(
        (&score.body["overall"], &score.body["levels"]["1"]["achievement"]),
        (&newer["overall"], &newer["levels"]["1"])
    );

    // One a page: the change still compares with the entry on the next page.
    let page = app.get(&format!("{history}?limit=1"), Some(&buyer.access_token)).await;
    assert_eq!(page.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(page.body["data"][0], *newer);
    let cursor = page.body["next_cursor"].as_str().ok_or("a next page")?;
    let rest = app.get(&format!("{history}?limit=1&cursor={cursor}"), Some(&buyer.access_token)).await;
    assert_eq!(rest.body["data"][0], *older);
    assert_eq!(rest.body["next_cursor"], Value::Null);

    // By template: this one's two, another's none.
    let template = older["template_id"].as_str().ok_or("template")?;
    let same = app.get(&format!("{history}?template_id={template}"), Some(&buyer.access_token)).await;
    assert_eq!(same.body, listed.body);
    let other = app.get(&format!("{history}?template_id={}", uuid::Uuid::new_v4()), Some(&buyer.access_token)).await;
    assert_eq!(other.body["data"], json!([]));

    // Sent back for changes, the newer one leaves the history until submitted again.
    let returned = app
        .post(
            &format!("/api/v1/assessments/{second}/review"),
            Some(&buyer.access_token),
            json!({ "decision": "request_changes", "comment": "Dates, please" }),
        )
        .await;
    assert_eq!(returned.status, StatusCode::OK, "{}", returned.body);
    let after = app.get(&history, Some(&buyer.access_token)).await;
    assert_eq!(after.body["data"].as_array().map(Vec::len), Some(1), "{}", after.body);
    assert_eq!(after.body["data"][0], *older);
    Ok(())
}

#[tokio::test]
async fn a_supplier_cannot_read_the_score_history_its_buyer_keeps() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, _) = app.invited_supplier(1).await;
    let supplier_id = supplier_record(&app, &buyer).await?;
    let history = format!("/api/v1/suppliers/{supplier_id}/scores");
    app.get(&history, Some(&supplier.access_token)).await.assert_problem(404, "not_found");
    let stranger = app.signup("Stranger Motors").await;
    app.get(&history, Some(&stranger.access_token)).await.assert_problem(404, "not_found");
    assert_eq!(app.get(&history, None).await.status, StatusCode::UNAUTHORIZED);
    let b = Some(buyer.access_token.as_str());
    app.get(&format!("/api/v1/suppliers/{}/scores", uuid::Uuid::new_v4()), b).await.assert_problem(404, "not_found");
    app.get(&format!("{history}?limit=0"), b).await.assert_problem(422, "validation_failed");
    app.get(&format!("{history}?limit=201"), b).await.assert_problem(422, "validation_failed");
    let cursor = kensa_domain::pagination::cursor_for(uuid::Uuid::new_v4());
    let unknown = app.get(&format!("{history}?cursor={cursor}"), b).await;
    unknown.assert_problem(422, "validation_failed");
    assert_eq!(unknown.body["errors"][0]["field"], "cursor", "{}", unknown.body);
    Ok(())
}

#[tokio::test]
async fn graphql_answers_scores_gaps_and_history_as_rest_does() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    let scope = app.scope_of(&supplier, &id).await;
    let answers: Vec<Value> = scope
        .iter()
        .enumerate()
        .map(|(i, no)| match i {
            0 => json!({ "no": no, "status": "not_implemented", "remediation_plan": "Next year" }),
            _ => json!({ "no": no, "status": "implemented" }),
        })
        .collect();
    let s = Some(supplier.access_token.as_str());
    let saved = app.post(&format!("/api/v1/assessments/{id}/answers"), s, json!({ "answers": answers })).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);

    let query = format!(
        r#"{{ assessment(id: "{id}") {{ score {{ overall achievedLevel targetLevel meetsTarget
              levels {{ level1 {{ achievement notImplemented }} level2 {{ achievement }} }}
              cumulative {{ level1 level3 }} categories {{ number levels {{ level1 }} }} }} }} }}"#
    );
    for member in [&buyer, &supplier] {
        let rest = app.get(&format!("/api/v1/assessments/{id}/score"), Some(&member.access_token)).await;
        let graphql = app.graphql(Some(&member.access_token), &query).await;
        assert!(graphql.body["errors"].is_null(), "{}", graphql.body);
        let score = &graphql.body["data"]["assessment"]["score"];
        assert_eq!(score["overall"], rest.body["overall"]);
        assert_eq!(score["achievedLevel"], rest.body["achieved_level"]);
        assert_eq!(
            (&score["targetLevel"], &score["meetsTarget"]),
            (&rest.body["target_level"], &rest.body["meets_target"])
        );
        assert_eq!(score["levels"]["level1"]["achievement"], rest.body["levels"]["1"]["achievement"]);
        assert_eq!(score["levels"]["level1"]["notImplemented"], 1);
        assert_eq!(score["levels"]["level2"]["achievement"], Value::Null);
        assert_eq!(
            (&score["cumulative"]["level1"], &score["cumulative"]["level3"]),
            (&rest.body["cumulative"]["1"], &Value::Null)
        );
        assert_eq!(score["categories"].as_array().map(Vec::len), Some(24));
        assert_eq!(score["categories"][0]["levels"]["level1"], rest.body["categories"][0]["levels"]["1"]);
    }
    // The score of a listed assessment, and a stranger's attempt.
    let listed = app.graphql(Some(&buyer.access_token), "{ assessments { nodes { id score { overall } } } }").await;
    assert!(listed.body["errors"].is_null(), "{}", listed.body);
    assert_eq!(
        listed.body["data"]["assessments"]["nodes"][0]["score"]["overall"].as_f64().map(|o| o < 1.0),
        Some(true)
    );
    let stranger = app.signup("Stranger Motors").await;
    let hidden = app.graphql(Some(&stranger.access_token), &query).await;
    assert_eq!(hidden.body["errors"][0]["extensions"]["code"], "not_found", "{}", hidden.body);

    let gaps = app
        .graphql(
            Some(&buyer.access_token),
            &format!(
                r#"{{ assessmentGaps(id: "{id}") {{ no level status remediationPlan overdueRemediation category {{ number name }} }} }}"#
            ),
        )
        .await;
    assert!(gaps.body["errors"].is_null(), "{}", gaps.body);
    let rest = app.get(&format!("/api/v1/assessments/{id}/gaps"), Some(&buyer.access_token)).await;
    let gap = &gaps.body["data"]["assessmentGaps"][0];
    assert_eq!(gaps.body["data"]["assessmentGaps"].as_array().map(Vec::len), Some(1));
    assert_eq!((gap["no"].as_u64(), gap["status"].as_str()), (Some(scope[0]), Some("NOT_IMPLEMENTED")));
    assert_eq!(gap["category"]["name"], rest.body["data"][0]["category"]["name"]);
    let all = app
        .graphql(
            Some(&buyer.access_token),
            &format!(r#"{{ assessmentGaps(id: "{id}", includeUnanswered: true) {{ no }} }}"#),
        )
        .await;
    assert_eq!(all.body["data"]["assessmentGaps"].as_array().map(Vec::len), Some(1), "nothing unanswered");

    assert_eq!(app.post(&format!("/api/v1/assessments/{id}/submit"), s, json!({})).await.status, StatusCode::OK);
    let supplier_id = supplier_record(&app, &buyer).await?;
    let history = app
        .graphql(
            Some(&buyer.access_token),
            &format!(
                r#"{{ supplierScores(supplierId: "{supplier_id}", first: 10) {{ nodes {{ assessmentId status overall achievedLevel levels {{ level1 level2 }} change {{ overall achievedLevel previousAssessmentId }} }} pageInfo {{ hasNextPage }} }} }}"#
            ),
        )
        .await;
    assert!(history.body["errors"].is_null(), "{}", history.body);
    let rest = app.get(&format!("/api/v1/suppliers/{supplier_id}/scores"), Some(&buyer.access_token)).await;
    let node = &history.body["data"]["supplierScores"]["nodes"][0];
    assert_eq!(node["assessmentId"], id.as_str());
    assert_eq!(node["status"], "SUBMITTED");
    assert_eq!(
        (&node["overall"], &node["levels"]["level1"]),
        (&rest.body["data"][0]["overall"], &rest.body["data"][0]["levels"]["1"])
    );
    assert_eq!(node["change"], json!({ "overall": null, "achievedLevel": null, "previousAssessmentId": null }));
    assert_eq!(history.body["data"]["supplierScores"]["pageInfo"]["hasNextPage"], false);
    let theirs = app
        .graphql(
            Some(&supplier.access_token),
            &format!(r#"{{ supplierScores(supplierId: "{supplier_id}") {{ nodes {{ overall }} }} }}"#),
        )
        .await;
    assert_eq!(theirs.body["errors"][0]["extensions"]["code"], "not_found", "{}", theirs.body);
    Ok(())
}
