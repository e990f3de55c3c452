//! The score of one assessment over HTTP: computed live while the supplier works, stored at
//! submission and read back from the snapshot, readable by both sides and nobody else.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestResult, spawn_app};

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-12)
}

#[tokio::test]
async fn the_score_follows_the_answers_and_is_kept_at_submission() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(1).await;
    let path = format!("/api/v1/assessments/{id}/score");

    let empty = app.get(&path, Some(&supplier.access_token)).await;
    assert_eq!(empty.status, StatusCode::OK, "{}", empty.body);
    assert!(close(&empty.body["overall"], 0.0), "nothing answered counts 0: {}", empty.body);
    assert_eq!((empty.body["achieved_level"].as_u64(), empty.body["meets_target"].as_bool()), (Some(0), Some(false)));
    assert_eq!(empty.body["levels"]["2"]["achievement"], Value::Null, "above the target: null");
    let scope = app.scope_of(&supplier, &id).await;
    let n = scope.len();
    assert_eq!(empty.body["counts"]["unanswered"].as_u64(), Some(n as u64));

    // All implemented but one partially and one not applicable.
    let answers: Vec<Value> = scope
        .iter()
        .enumerate()
        .map(|(i, no)| match i {
            0 => json!({ "no": no, "status": "partially_implemented", "remediation_plan": "MFA next quarter" }),
            1 => json!({ "no": no, "status": "not_applicable", "reason": "No such systems" }),
            _ => json!({ "no": no, "status": "implemented" }),
        })
        .collect();
    let saved = app
        .post(&format!("/api/v1/assessments/{id}/answers"), Some(&supplier.access_token), json!({ "answers": answers }))
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let live = app.get(&path, Some(&buyer.access_token)).await;
    let applicable = (n - 1) as f64;
    let expected = (applicable - 1.0 + 0.5) / applicable;
    assert!(close(&live.body["overall"], expected), "{} vs {expected}", live.body["overall"]);
    assert!(close(&live.body["levels"]["1"]["achievement"], expected));
    assert!(close(&live.body["cumulative"]["1"], expected));
    assert_eq!(live.body["levels"]["1"]["not_applicable"], 1);
    assert_eq!(live.body["levels"]["1"]["partially_implemented"], 1);
    assert_eq!((live.body["achieved_level"].as_u64(), live.body["meets_target"].as_bool()), (Some(0), Some(false)));
    let categories = live.body["categories"].as_array().ok_or("categories")?;
    assert_eq!(categories.len(), 24, "every category of the check sheet");

    let submitted = app
        .request(Method::POST, &format!("/api/v1/assessments/{id}/submit"), Some(&supplier.access_token), None)
        .await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    let kept = app.get(&path, Some(&buyer.access_token)).await;
    assert_eq!(kept.body, live.body, "the snapshot is the score at submission");
    // The snapshot, not a recomputation, is what a submitted assessment answers with.
    // (No UUID literal: SQLite stores ids as blobs.)
    app.execute_sql(
        "DELETE FROM answers WHERE assessment_id IN (SELECT id FROM assessments WHERE status = 'submitted')",
    )
    .await;
    let questions = app.get(&format!("/api/v1/assessments/{id}/questions"), Some(&buyer.access_token)).await;
    let answered =
        questions.body["data"].as_array().ok_or("questions")?.iter().filter(|q| !q["answer"].is_null()).count();
    assert_eq!(answered, 0, "the answers are gone");
    let still = app.get(&path, Some(&supplier.access_token)).await;
    assert_eq!(still.body, live.body);
    Ok(())
}

#[tokio::test]
async fn all_implemented_reaches_the_target_level() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, id) = app.invited_supplier(2).await;
    assert_eq!(app.answer_all(&supplier, &id).await.status, StatusCode::OK);
    let score = app.get(&format!("/api/v1/assessments/{id}/score"), Some(&buyer.access_token)).await;
    assert!(close(&score.body["overall"], 1.0), "{}", score.body);
    assert_eq!(score.body["achieved_level"], 2);
    assert_eq!(score.body["target_level"], 2);
    assert_eq!(score.body["meets_target"], true);
    assert!(close(&score.body["cumulative"]["2"], 1.0));
    assert_eq!(score.body["cumulative"]["3"], Value::Null);
    Ok(())
}

#[tokio::test]
async fn another_buyer_cannot_read_a_score() -> TestResult {
    let app = spawn_app().await;
    let (_, _, id) = app.invited_supplier(1).await;
    let stranger = app.signup("Stranger Motors").await;
    app.get(&format!("/api/v1/assessments/{id}/score"), Some(&stranger.access_token))
        .await
        .assert_problem(404, "not_found");
    let anonymous = app.get(&format!("/api/v1/assessments/{id}/score"), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    Ok(())
}
