//! Typed jobs: one row per (subject, kind, step), however often it is queued.

use kensa_domain::jobs::{self, Enqueued, Job};
use kensa_migrations::{Migrator, MigratorTrait};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use serde_json::json;

use crate::helpers::{TestApp, TestResult, spawn_app, unique_email};

async fn dedupe_keys(app: &TestApp) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let backend = app.db.get_database_backend();
    let sql = "SELECT dedupe_key FROM jobs ORDER BY dedupe_key";
    let rows = app.db.query_all_raw(Statement::from_string(backend, sql)).await?;
    Ok(rows.iter().map(|r| r.try_get("", "dedupe_key")).collect::<Result<_, _>>()?)
}

#[tokio::test]
async fn the_same_job_queued_twice_is_one_row_and_the_second_caller_is_told() -> TestResult {
    let app = spawn_app().await;
    let now = app.kensa.now();
    let job = Job::UserInvitationMail { invitation_id: uuid::Uuid::now_v7() };
    let other = Job::AssessmentNoticeMail { assessment_id: uuid::Uuid::now_v7(), resent_at: None };

    let (first, second, queued) = {
        let txn = app.kensa.begin_write().await?;
        let first = jobs::enqueue(&txn, &job, now).await?;
        let second = jobs::enqueue(&txn, &job, now).await?;
        // In bulk too, also when the duplicate is in the same statement.
        let queued = jobs::enqueue_many(&txn, &[job.clone(), other.clone(), other.clone()], now).await?;
        txn.commit().await?;
        (first, second, queued)
    };

    assert!(matches!(first, Enqueued::Queued(_)), "{first:?}");
    assert_eq!(second, Enqueued::Duplicate);
    assert_eq!(queued, 1);
    assert_eq!(jobs::stats(&app.kensa).await?, vec![("pending".to_owned(), 2)]);
    let mut expected = vec![job.dedupe_key(), other.dedupe_key()];
    expected.sort();
    assert_eq!(dedupe_keys(&app).await?, expected);

    // Once done, the job stays done: queuing it again does nothing.
    assert_eq!(app.run_worker().await.succeeded, 2);
    {
        let txn = app.kensa.begin_write().await?;
        assert_eq!(jobs::enqueue(&txn, &job, now).await?, Enqueued::Duplicate);
        txn.commit().await?;
    }
    assert_eq!(jobs::stats(&app.kensa).await?, vec![("done".to_owned(), 2)]);
    Ok(())
}

#[tokio::test]
async fn each_resend_to_a_linked_supplier_is_mailed_again() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let (supplier_id, email) = app.create_supplier(&buyer, "Parts Co", 1).await;
    app.create_campaign(&buyer, std::slice::from_ref(&supplier_id), None).await;
    app.run_worker().await;
    let token = app.supplier_token_for(&email);
    app.accept_as_new_supplier(&token, "Parts Co KK").await;
    let campaign = app.create_campaign(&buyer, &[supplier_id], None).await;
    let assessment = campaign["assessments"][0]["id"].as_str().ok_or("id")?;
    assert_eq!(app.run_worker().await.succeeded, 1, "the notice of the new assessment");

    for _ in 0..2 {
        // A resend is keyed by its time: the test app's clock stands still until moved.
        app.clock.advance(chrono::Duration::minutes(1));
        let resent = app
            .post(&format!("/api/v1/assessments/{assessment}/resend-invitation"), Some(&buyer.access_token), json!({}))
            .await;
        assert_eq!(resent.status, StatusCode::ACCEPTED, "{}", resent.body);
        assert_eq!(app.run_worker().await.succeeded, 1, "a resend is a step of its own");
    }
    let notices =
        app.mails_to(&email).into_iter().filter(|m| m.contains(&format!("/assessments/{assessment}"))).count();
    assert_eq!(notices, 3);
    Ok(())
}

/// Jobs queued by a version without keys are given one each (from their id) by the
/// migration, and are carried out as before.
#[tokio::test]
async fn jobs_queued_before_the_dedupe_key_existed_get_keys_of_their_own_and_still_run() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let emails = [unique_email("before"), unique_email("before")];
    for email in &emails {
        app.post("/api/v1/users/invitations", Some(&owner.access_token), json!({ "email": email, "role": "viewer" }))
            .await;
    }
    // Back to the schema before the key (undoing any later migration first), then forward as
    // a start-up does; each in one transaction, on one connection, like `db::migrate`.
    let all = Migrator::migrations();
    let keyed = all.iter().position(|m| m.name() == "m0006_job_dedupe_key").ok_or("no m0006")?;
    let txn = app.db.begin().await?;
    Migrator::down(&txn, Some(u32::try_from(all.len() - keyed)?)).await?;
    txn.commit().await?;
    kensa_domain::db::migrate(&app.kensa).await?;

    let keys = dedupe_keys(&app).await?;
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k.starts_with("legacy:")) && keys[0] != keys[1], "{keys:?}");
    assert_eq!(app.run_worker().await.succeeded, 2);
    for email in &emails {
        assert_eq!(app.mails_to(email).len(), 1, "{email}");
    }
    Ok(())
}
