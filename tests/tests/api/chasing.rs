//! The worker chases, driven through a simulated year with the app's clock and
//! `run_once(now)`: each reminder step once, overdue reminders every interval, one
//! escalation digest, event mails once, nothing for finished assessments, the annual
//! re-review prefilled and never duplicated, remediation follow-ups.

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, TestResult, link_token, spawn_app};

/// Runs the worker at `at`, with the app's clock there too (what `kensa-worker run-once
/// --now` does).
pub async fn run_at(app: &TestApp, at: DateTime<Utc>) {
    app.clock.set(at);
    app.run_worker_at(at).await;
}

fn count(app: &TestApp, email: &str, marker: &str) -> usize {
    app.mails_to(email).iter().filter(|m| m.contains(marker)).count()
}

const BEFORE: &str = "This is a reminder from Kensa. The security self-assessment below is due";
const OVERDUE: &str = "day(s) overdue.";
const DIGEST: &str = "overdue past your escalation threshold";
const SUBMITTED: &str = "submitted its security self-assessment for your review";
const CHANGES: &str = "reviewed your submission and asked for changes";
const CHANGES_OPEN: &str = "asked for changes that are still open";
const ACCEPTED: &str = "accepted your security self-assessment";
const CANCELLED: &str = "cancelled the assessment below";
const REMEDIATION: &str = "Planned remediation dates of an accepted assessment have passed";

fn date(reply: &Value) -> NaiveDate {
    reply.as_str().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).unwrap_or(NaiveDate::MIN)
}

#[tokio::test]
async fn each_reminder_step_goes_out_once_and_a_late_run_sends_only_the_latest() -> TestResult {
    let app = spawn_app().await;
    let start = app.kensa.now();
    let day = |n: i64| start + Duration::days(n);
    let buyer = app.signup("Buyer Motors").await;
    let (supplier_id, contact) = app.create_supplier(&buyer, "Parts Co", 1).await;
    app.create_campaign(&buyer, &[supplier_id], None).await; // due in 30 days

    run_at(&app, day(0)).await;
    assert_eq!(app.mails_to(&contact).len(), 1, "the invitation");
    run_at(&app, day(15)).await;
    assert_eq!(count(&app, &contact, BEFORE), 0, "nothing before the first step");
    for _ in 0..2 {
        run_at(&app, day(16)).await; // 14 days before
    }
    assert_eq!(count(&app, &contact, BEFORE), 1, "the 14-day step, once");
    run_at(&app, day(23)).await; // 7 days before
    assert_eq!(count(&app, &contact, BEFORE), 2);
    // The worker did not run the day before the due date: on the due date it sends the
    // latest step due (1 day before), not the missed one and then another.
    run_at(&app, day(30)).await;
    assert_eq!(count(&app, &contact, BEFORE), 3);
    assert_eq!(count(&app, &contact, "is due today"), 1);

    for (at, overdue) in [(31, 1), (37, 1), (38, 2), (44, 2), (45, 3), (45, 3)] {
        run_at(&app, day(at)).await;
        assert_eq!(count(&app, &contact, OVERDUE), overdue, "day {at}");
    }
    assert_eq!(count(&app, &contact, BEFORE), 3, "no step before the due date again");
    assert_eq!(count(&app, &buyer.email, DIGEST), 1, "one escalation digest, on day 44");
    let digest = app.mails_to(&buyer.email).into_iter().find(|m| m.contains(DIGEST)).unwrap_or_default();
    assert!(digest.contains("Parts Co") && digest.contains("14 day(s) overdue"), "{digest}");

    // The latest reminder carries a working single-use link; the earlier ones no longer work.
    let tokens: Vec<String> = app.mails_to(&contact).iter().filter_map(|m| link_token(m, "/invitations/")).collect();
    assert_eq!(tokens.len(), 7, "every mail had a fresh link");
    let live: Vec<&String> = {
        let mut live = Vec::new();
        for token in &tokens {
            if app.get(&format!("/api/v1/invitations/{token}"), None).await.status == StatusCode::OK {
                live.push(token);
            }
        }
        live
    };
    assert_eq!(live.len(), 1, "only the newest link works");
    Ok(())
}

/// Supplier side for the review tests: buyer, a reviewer colleague, supplier, assessment.
async fn submitted(app: &TestApp) -> (Member, Member, Member, String) {
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    let reviewer = app.add_member(&buyer, "reviewer").await;
    let reply = app.answer_all(&supplier, &assessment).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply =
        app.post(&format!("/api/v1/assessments/{assessment}/submit"), Some(&supplier.access_token), json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    (buyer, reviewer, supplier, assessment)
}

#[tokio::test]
async fn each_event_is_mailed_once_and_finished_assessments_are_never_chased() -> TestResult {
    let app = spawn_app().await;
    let start = app.kensa.now();
    let day = |n: i64| start + Duration::days(n);
    let (buyer, reviewer, supplier, assessment) = submitted(&app).await;
    for _ in 0..2 {
        run_at(&app, day(1)).await;
    }
    let (buyer, supplier) = (app.signed_in_again(&buyer).await, app.signed_in_again(&supplier).await);
    for person in [&buyer, &reviewer] {
        assert_eq!(count(&app, &person.email, SUBMITTED), 1, "{}", person.email);
    }
    let mail = app.mails_to(&reviewer.email).into_iter().find(|m| m.contains(SUBMITTED)).unwrap_or_default();
    assert!(mail.contains("Achievement: 100.0 %"), "the score: {mail}");
    assert!(mail.contains(&format!("/assessments/{assessment}")), "{mail}");
    assert!(mail.contains("Submitted by"), "who submitted: {mail}");

    let review = json!({ "decision": "request_changes", "comment": "Attach the access policy", "items": [{ "no": 1, "comment": "Which standard?" }] });
    let reply = app.post(&format!("/api/v1/assessments/{assessment}/review"), Some(&buyer.access_token), review).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    run_at(&app, day(2)).await;
    assert_eq!(count(&app, &supplier.email, CHANGES), 1);
    let mail = app.mails_to(&supplier.email).into_iter().find(|m| m.contains(CHANGES)).unwrap_or_default();
    assert!(mail.contains("Attach the access policy") && mail.contains("No.1"), "{mail}");
    assert_eq!(count(&app, &buyer.email, CHANGES), 0, "the buyer is not told what it did");
    // A mail to the supplier's own users is in the supplier's list of deliveries, not the buyer's.
    let (buyer, supplier) = (app.signed_in_again(&buyer).await, app.signed_in_again(&supplier).await);
    let target = format!("/api/v1/deliveries?target={}", supplier.email.replace('@', "%40"));
    assert_eq!(app.get(&target, Some(&buyer.access_token)).await.body["data"], json!([]));
    let theirs = app.get(&target, Some(&supplier.access_token)).await;
    assert!(theirs.body["data"].as_array().is_some_and(|d| !d.is_empty()), "{}", theirs.body);

    // While changes are open the supplier is chased, with the comments summarised.
    run_at(&app, day(16)).await;
    let (buyer, supplier) = (app.signed_in_again(&buyer).await, app.signed_in_again(&supplier).await);
    assert_eq!(count(&app, &supplier.email, CHANGES_OPEN), 1);
    let mail = app.mails_to(&supplier.email).into_iter().find(|m| m.contains(CHANGES_OPEN)).unwrap_or_default();
    assert!(mail.contains("Which standard?"), "{mail}");

    let reply =
        app.post(&format!("/api/v1/assessments/{assessment}/submit"), Some(&supplier.access_token), json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    run_at(&app, day(17)).await;
    let buyer = app.signed_in_again(&buyer).await;
    assert_eq!(count(&app, &reviewer.email, SUBMITTED), 2, "a resubmission is an event of its own");
    let accept = json!({ "decision": "accept" });
    let reply = app.post(&format!("/api/v1/assessments/{assessment}/review"), Some(&buyer.access_token), accept).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    for at in [18, 23, 30, 31, 45, 60] {
        run_at(&app, day(at)).await;
    }
    let buyer = app.signed_in_again(&buyer).await;
    assert_eq!(count(&app, &supplier.email, ACCEPTED), 1);
    let mail = app.mails_to(&supplier.email).into_iter().find(|m| m.contains(ACCEPTED)).unwrap_or_default();
    assert!(mail.contains("Achieved level: 1 of target 1"), "{mail}");
    assert_eq!(count(&app, &supplier.email, BEFORE) + count(&app, &supplier.email, OVERDUE), 0);
    assert_eq!(count(&app, &supplier.email, CHANGES_OPEN), 1, "not chased once accepted");
    assert_eq!(count(&app, &buyer.email, DIGEST), 0);

    // A cancelled assessment: one mail saying so, then silence.
    app.clock.set(day(61));
    let buyer = app.signed_in_again(&buyer).await;
    let (other_id, contact) = app.create_supplier(&buyer, "Bolts Co", 1).await;
    let template = app.builtin_template(&buyer).await;
    let due = (day(61) + Duration::days(30)).date_naive();
    let body = json!({ "name": "FY2027", "template_id": template, "due_date": due, "supplier_ids": [other_id] });
    let campaign = app.post("/api/v1/campaigns", Some(&buyer.access_token), body).await.body;
    let other = campaign["assessments"][0]["id"].as_str().unwrap_or_default().to_owned();
    run_at(&app, day(61)).await;
    let reply = app.post(&format!("/api/v1/assessments/{other}/cancel"), Some(&buyer.access_token), json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    for at in [62, 77, 84, 92, 120] {
        run_at(&app, day(at)).await;
    }
    assert_eq!(count(&app, &contact, CANCELLED), 1);
    assert_eq!(count(&app, &contact, BEFORE) + count(&app, &contact, OVERDUE), 0);
    assert_eq!(count(&app, &buyer.email, DIGEST), 0);
    Ok(())
}

/// Accepts `assessment` at `at` with item `gap` answered `not_implemented`, planned for `fix`.
async fn accepted_with_gap(
    app: &TestApp,
    buyer: &Member,
    supplier: &Member,
    assessment: &str,
    gap: u64,
    fix: NaiveDate,
    at: DateTime<Utc>,
) {
    app.clock.set(at);
    let (buyer, supplier) = (&app.signed_in_again(buyer).await, &app.signed_in_again(supplier).await);
    assert_eq!(app.answer_all(supplier, assessment).await.status, StatusCode::OK);
    let answer = json!({ "status": "not_implemented", "remediation_plan": "Roll out MFA", "remediation_due": fix });
    let reply = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/v1/assessments/{assessment}/answers/{gap}"),
            Some(&supplier.access_token),
            Some(answer),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply =
        app.post(&format!("/api/v1/assessments/{assessment}/submit"), Some(&supplier.access_token), json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = app
        .post(
            &format!("/api/v1/assessments/{assessment}/review"),
            Some(&buyer.access_token),
            json!({ "decision": "accept" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

async fn buyer_assessments(app: &TestApp, buyer: &Member, supplier_id: &str) -> Vec<Value> {
    let reply =
        app.get(&format!("/api/v1/assessments?role=buyer&supplier_id={supplier_id}"), Some(&buyer.access_token)).await;
    reply.body["data"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn the_annual_review_opens_at_the_lead_time_prefilled_and_only_once() -> TestResult {
    let app = spawn_app().await;
    let start = app.kensa.now();
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    let fix = (start + Duration::days(60)).date_naive();
    accepted_with_gap(&app, &buyer, &supplier, &assessment, 1, fix, start + Duration::days(5)).await;
    let buyer = app.signed_in_again(&buyer).await;
    let view = app.get(&format!("/api/v1/assessments/{assessment}"), Some(&buyer.access_token)).await;
    let supplier_id = view.body["supplier"]["id"].as_str().unwrap_or_default().to_owned();
    let record = app.get(&format!("/api/v1/suppliers/{supplier_id}"), Some(&buyer.access_token)).await;
    let review_on = date(&record.body["next_review_on"]);
    let accepted_on = (start + Duration::days(5)).date_naive();
    assert_eq!(Some(review_on), accepted_on.checked_add_months(Months::new(12)), "accepted + 12 months");
    // A lead time changed after acceptance re-plans the pending review.
    let reply =
        app.patch("/api/v1/organization/settings", Some(&buyer.access_token), json!({ "review_lead_days": 31 })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let opens = review_on - Duration::days(31);

    run_at(&app, opens.and_hms_opt(9, 0, 0).unwrap_or_default().and_utc() - Duration::days(1)).await;
    let buyer = app.signed_in_again(&buyer).await;
    assert_eq!(buyer_assessments(&app, &buyer, &supplier_id).await.len(), 1, "not before the lead time");
    for _ in 0..2 {
        run_at(&app, opens.and_hms_opt(9, 0, 0).unwrap_or_default().and_utc()).await;
    }
    let (buyer, supplier) = (app.signed_in_again(&buyer).await, app.signed_in_again(&supplier).await);
    let all = buyer_assessments(&app, &buyer, &supplier_id).await;
    assert_eq!(all.len(), 2, "opened once: {all:?}");
    let next = all.iter().find(|a| a["id"] != json!(assessment)).cloned().unwrap_or_default();
    assert_eq!(next["follows_assessment_id"], json!(assessment));
    assert_eq!(date(&next["due_date"]), review_on);
    assert_eq!(next["status"], "sent");
    let next_id = next["id"].as_str().unwrap_or_default().to_owned();

    // Prefilled: last year's answers and plans, each carried over until confirmed.
    let questions = app.get(&format!("/api/v1/assessments/{next_id}/questions"), Some(&supplier.access_token)).await;
    let items = questions.body["data"].as_array().cloned().unwrap_or_default();
    assert!(
        !items.is_empty() && items.iter().all(|q| q["answer"]["carried_over"] == json!(true)),
        "{}",
        questions.body
    );
    let gap = items.iter().find(|q| q["no"] == json!(1)).cloned().unwrap_or_default();
    assert_eq!(gap["answer"]["status"], "not_implemented");
    assert_eq!(gap["answer"]["remediation_plan"], "Roll out MFA");

    // The buyer cannot open a second one, and the supplier cannot submit unconfirmed answers.
    let reply =
        app.post(&format!("/api/v1/suppliers/{supplier_id}/reviews"), Some(&buyer.access_token), json!({})).await;
    reply.assert_problem(409, "review_already_open");
    let reply =
        app.post(&format!("/api/v1/assessments/{next_id}/submit"), Some(&supplier.access_token), json!({})).await;
    reply.assert_problem(422, "assessment_incomplete");
    assert!(
        reply.body["errors"].as_array().is_some_and(|e| e.iter().all(|e| e["code"] == "carried_over")),
        "{}",
        reply.body
    );
    assert_eq!(app.answer_all(&supplier, &next_id).await.status, StatusCode::OK, "saving confirms");
    let reply =
        app.post(&format!("/api/v1/assessments/{next_id}/submit"), Some(&supplier.access_token), json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    // Accepted again: the next review moves a year on, and a manual one can be opened now.
    let reply = app
        .post(
            &format!("/api/v1/assessments/{next_id}/review"),
            Some(&buyer.access_token),
            json!({ "decision": "accept" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = app
        .post(
            &format!("/api/v1/suppliers/{supplier_id}/reviews"),
            Some(&buyer.access_token),
            json!({ "due_date": "1999-01-01" }),
        )
        .await;
    reply.assert_problem(422, "validation_failed");
    let reply =
        app.post(&format!("/api/v1/suppliers/{supplier_id}/reviews"), Some(&buyer.access_token), json!({})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["follows_assessment_id"], json!(next_id));
    assert!(reply.header("location").ends_with(reply.body["id"].as_str().unwrap_or("?")));
    assert_eq!(buyer_assessments(&app, &buyer, &supplier_id).await.len(), 3);
    Ok(())
}

#[tokio::test]
async fn a_passed_remediation_date_is_followed_up_once_per_date_until_done() -> TestResult {
    let app = spawn_app().await;
    let start = app.kensa.now();
    let day = |n: i64| start + Duration::days(n);
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    accepted_with_gap(&app, &buyer, &supplier, &assessment, 1, day(60).date_naive(), day(5)).await;

    run_at(&app, day(59)).await;
    assert_eq!(count(&app, &supplier.email, REMEDIATION), 0);
    for _ in 0..2 {
        run_at(&app, day(60)).await;
    }
    assert_eq!(count(&app, &supplier.email, REMEDIATION), 1);
    assert!(app.mails_to(&supplier.email).iter().any(|m| m.contains(REMEDIATION) && m.contains("No.1")));

    let (buyer, supplier) = (app.signed_in_again(&buyer).await, app.signed_in_again(&supplier).await);
    let path = format!("/api/v1/assessments/{assessment}/remediations/1");
    let token = Some(supplier.access_token.as_str());
    app.post(&path, token, json!({})).await.assert_problem(422, "validation_failed");
    app.post(&path, token, json!({ "remediation_due": day(10).date_naive() }))
        .await
        .assert_problem(422, "validation_failed");
    let ancient = app.post(&path, token, json!({ "remediation_due": "1800-01-01" })).await;
    ancient.assert_problem(422, "validation_failed");
    assert_eq!(ancient.body["errors"][0]["code"], "out_of_range", "{}", ancient.body);
    let implemented = app.scope_of(&supplier, &assessment).await.into_iter().find(|no| *no != 1).unwrap_or(2);
    app.post(&format!("/api/v1/assessments/{assessment}/remediations/{implemented}"), token, json!({ "done": true }))
        .await
        .assert_problem(409, "remediation_closed");
    app.post(&path, Some(&buyer.access_token), json!({ "done": true })).await.assert_problem(403, "forbidden");
    let reply =
        app.post(&path, token, json!({ "remediation_due": day(90).date_naive(), "note": "Vendor delayed" })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["remediation_note"], "Vendor delayed");

    // The buyer sees the progress on the answer and in the history.
    let questions = app.get(&format!("/api/v1/assessments/{assessment}/questions"), Some(&buyer.access_token)).await;
    let item = questions.body["data"]
        .as_array()
        .and_then(|q| q.iter().find(|q| q["no"] == json!(1)).cloned())
        .unwrap_or_default();
    assert_eq!(date(&item["answer"]["remediation_due"]), day(90).date_naive());
    let history =
        app.get(&format!("/api/v1/assessments/{assessment}/history?limit=200"), Some(&buyer.access_token)).await;
    assert!(history.body["data"].as_array().is_some_and(|h| {
        h.iter().any(|e| e["kind"] == "remediation_updated" && e["new_value"]["note"] == "Vendor delayed")
    }));

    run_at(&app, day(89)).await;
    assert_eq!(count(&app, &supplier.email, REMEDIATION), 1);
    run_at(&app, day(90)).await;
    assert_eq!(count(&app, &supplier.email, REMEDIATION), 2, "asked again when the new date passed");
    let supplier = app.signed_in_again(&supplier).await;
    let token = Some(supplier.access_token.as_str());
    let reply = app.post(&path, token, json!({ "done": true })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body["remediation_done_at"].is_string());
    app.post(&path, token, json!({ "done": true })).await.assert_problem(409, "remediation_closed");
    run_at(&app, day(200)).await;
    assert_eq!(count(&app, &supplier.email, REMEDIATION), 2);
    Ok(())
}

#[tokio::test]
async fn owners_and_admins_set_the_schedule_and_campaigns_override_it() -> TestResult {
    let app = spawn_app().await;
    let start = app.kensa.now();
    let day = |n: i64| start + Duration::days(n);
    let buyer = app.signup("Buyer Motors").await;
    let reviewer = app.add_member(&buyer, "reviewer").await;
    let reply = app.get("/api/v1/organization/settings", Some(&buyer.access_token)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["reminder_offsets"], json!([14, 7, 1]));
    assert_eq!(reply.body["overdue_interval_days"], 7);
    assert_eq!(reply.body["escalation_after_days"], 14);
    assert_eq!(reply.body["review_lead_days"], 30);
    assert_eq!(reply.header("etag"), "\"1\"");
    app.get("/api/v1/organization/settings", Some(&reviewer.access_token)).await.assert_problem(403, "forbidden");
    app.patch("/api/v1/organization/settings", Some(&reviewer.access_token), json!({ "review_lead_days": 10 }))
        .await
        .assert_problem(403, "forbidden");
    let bad =
        json!({ "overdue_interval_days": 0, "reminder_offsets": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], "bogus": 1 });
    let reply = app.patch("/api/v1/organization/settings", Some(&buyer.access_token), bad).await;
    assert!(reply.status.is_client_error(), "an unknown field is refused: {}", reply.body);
    let reply = app
        .patch(
            "/api/v1/organization/settings",
            Some(&buyer.access_token),
            json!({ "overdue_interval_days": 0, "reminder_offsets": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }),
        )
        .await;
    reply.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(fields, ["overdue_interval_days", "reminder_offsets"]);

    // A campaign sent before the change is re-planned with it.
    let (supplier_id, contact) = app.create_supplier(&buyer, "Parts Co", 1).await;
    app.create_campaign(&buyer, &[supplier_id], None).await; // due day 30
    let reply = app
        .send_with(
            reqwest::Method::PATCH,
            "/api/v1/organization/settings",
            Some(&buyer.access_token),
            &[("If-Match", "\"1\"")],
            Some(json!({ "reminder_offsets": [3, 3] })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["reminder_offsets"], json!([3]));
    assert_eq!(reply.body["overdue_interval_days"], 7, "untouched fields keep their values");
    assert_eq!(reply.header("etag"), "\"2\"");
    let stale = app
        .send_with(
            reqwest::Method::PATCH,
            "/api/v1/organization/settings",
            Some(&buyer.access_token),
            &[("If-Match", "\"1\"")],
            Some(json!({ "review_lead_days": 20 })),
        )
        .await;
    stale.assert_problem(412, "precondition_failed");
    for at in [16, 23] {
        run_at(&app, day(at)).await;
    }
    assert_eq!(count(&app, &contact, BEFORE), 0, "14 and 7 days are no longer steps");
    run_at(&app, day(27)).await;
    assert_eq!(count(&app, &contact, BEFORE), 1);
    let buyer = app.signed_in_again(&buyer).await;

    // A campaign's own schedule wins over the organization's.
    let (other_id, other_contact) = app.create_supplier(&buyer, "Bolts Co", 1).await;
    let template = app.builtin_template(&buyer).await;
    let due = (day(27) + Duration::days(40)).date_naive();
    let body = json!({ "name": "Urgent", "template_id": template, "due_date": due, "supplier_ids": [other_id], "schedule": { "reminder_offsets": [20] } });
    let reply = app.post("/api/v1/campaigns", Some(&buyer.access_token), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    assert_eq!(reply.body["schedule"]["reminder_offsets"], json!([20]));
    let bad = json!({ "name": "Bad", "template_id": template, "due_date": due, "supplier_ids": [reply.body["assessments"][0]["supplier_id"]], "schedule": { "escalation_after_days": 999 } });
    let reply = app.post("/api/v1/campaigns", Some(&buyer.access_token), bad).await;
    reply.assert_problem(422, "validation_failed");
    assert!(
        reply.body["errors"]
            .as_array()
            .is_some_and(|e| e.iter().any(|e| e["field"] == "schedule.escalation_after_days")),
        "{}",
        reply.body
    );
    run_at(&app, day(27) + Duration::days(20)).await; // 20 days before
    assert_eq!(count(&app, &other_contact, BEFORE), 1);
    let buyer = app.signed_in_again(&buyer).await;

    let query = "{ organizationSettings { reminderOffsets overdueIntervalDays version } }";
    let reply = app.graphql(Some(&buyer.access_token), query).await;
    assert_eq!(reply.body["data"]["organizationSettings"]["reminderOffsets"], json!([3]), "{}", reply.body);
    Ok(())
}

#[tokio::test]
async fn dead_deliveries_are_listed_for_owners_and_admins_and_can_be_resent() -> TestResult {
    // A mail server that refuses every connection: a port that was free a moment ago.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let app = crate::helpers::spawn_app_with(|v| {
        v.insert("SMTP_URL".into(), format!("smtp://127.0.0.1:{port}"));
    })
    .await;
    let start = app.kensa.now();
    let owner = app.signup("Acme").await;
    let other = app.signup("Other").await;
    let email = crate::helpers::unique_email("colleague");
    let reply = app
        .post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": email, "role": "viewer" }))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    for hour in 0..9 {
        run_at(&app, start + Duration::hours(2 * hour)).await;
    }
    let (owner, other) = (app.signed_in_again(&owner).await, app.signed_in_again(&other).await);
    let reply = app.get("/api/v1/deliveries?status=dead", Some(&owner.access_token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let dead = reply.body["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(dead.len(), 1, "{}", reply.body);
    assert_eq!(dead[0]["target"], json!(email));
    assert_eq!(dead[0]["channel"], "mail");
    assert_eq!(dead[0]["attempts"], 8);
    assert!(dead[0]["last_error"].as_str().is_some_and(|e| !e.is_empty()));
    let id = dead[0]["id"].as_str().unwrap_or_default().to_owned();

    // Another organization sees nothing of it.
    let theirs = app.get("/api/v1/deliveries", Some(&other.access_token)).await;
    assert_eq!(theirs.body["data"], json!([]), "{}", theirs.body);
    app.get(&format!("/api/v1/deliveries/{id}"), Some(&other.access_token)).await.assert_problem(404, "not_found");
    app.post(&format!("/api/v1/deliveries/{id}/resend"), Some(&other.access_token), json!({}))
        .await
        .assert_problem(404, "not_found");
    let reply = app.get("/api/v1/deliveries?status=bogus", Some(&owner.access_token)).await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "status");

    let reply = app.post(&format!("/api/v1/deliveries/{id}/resend"), Some(&owner.access_token), json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["status"], "pending");
    assert_eq!(reply.body["attempts"], 0);
    app.post(&format!("/api/v1/deliveries/{id}/resend"), Some(&owner.access_token), json!({}))
        .await
        .assert_problem(409, "invalid_transition");
    Ok(())
}

/// A review opened from an assessment with evidence carries the files over as new records
/// (the old ones stay with last year's assessment).
#[tokio::test]
async fn a_review_opened_after_an_assessment_with_evidence_carries_the_files_as_new_records() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    let (b, s) = (Some(buyer.access_token.as_str()), Some(supplier.access_token.as_str()));
    assert_eq!(app.answer_all(&supplier, &assessment).await.status, StatusCode::OK);
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();
    let uploaded = app.upload_evidence(&supplier, &assessment, "policy.pdf", "application/pdf", pdf).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let reply = app.post(&format!("/api/v1/assessments/{assessment}/submit"), s, json!({})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = app.post(&format!("/api/v1/assessments/{assessment}/review"), b, json!({ "decision": "accept" })).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let view = app.get(&format!("/api/v1/assessments/{assessment}"), b).await;
    let supplier_id = view.body["supplier"]["id"].as_str().unwrap_or_default().to_owned();

    let opened = app.post(&format!("/api/v1/suppliers/{supplier_id}/reviews"), b, json!({})).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.body);
    let next = opened.body["id"].as_str().unwrap_or_default().to_owned();
    let old = app.get(&format!("/api/v1/assessments/{assessment}/evidence"), b).await;
    let new = app.get(&format!("/api/v1/assessments/{next}/evidence"), b).await;
    let (old, new) = (old.body["data"].clone(), new.body["data"].clone());
    assert_eq!(new.as_array().map(Vec::len), Some(1), "{new}");
    assert_eq!(new[0]["filename"], old[0]["filename"]);
    assert_ne!(new[0]["id"], old[0]["id"], "a record of its own");
    Ok(())
}
