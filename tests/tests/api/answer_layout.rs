//! Answers are keyed by `(assessment_id, item_no)` and stored together (migration m0016):
//! answers saved under the old UUID-keyed layout come through the migration unchanged.

use kensa_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, TransactionTrait};
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestResult, spawn_app};

/// The schema's own description of the answers table's key.
async fn answers_key(app: &TestApp) -> Result<String, Box<dyn std::error::Error>> {
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Sqlite => "SELECT sql AS key FROM sqlite_master WHERE name = 'answers'",
        _ => {
            "SELECT pg_get_indexdef(i.indexrelid) || ' fillfactor=' || coalesce(array_to_string(c.reloptions, ','), '') \
             AS key FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
             WHERE c.relname = 'answers' AND i.indisprimary"
        }
    };
    let row = app.db.query_one_raw(Statement::from_string(backend, sql)).await?.ok_or("no answers table")?;
    Ok(row.try_get("", "key")?)
}

async fn migrate_to(app: &TestApp, name: &str) -> TestResult {
    let all = Migrator::migrations();
    let at = all.iter().position(|m| m.name() == name).ok_or("no such migration")?;
    let txn = app.db.begin().await?;
    Migrator::down(&txn, Some(u32::try_from(all.len() - 1 - at)?)).await?;
    txn.commit().await?;
    Ok(())
}

#[tokio::test]
async fn answers_saved_under_the_uuid_layout_survive_the_move_to_the_assessment_key() -> TestResult {
    let app = spawn_app().await;
    let (_buyer, supplier, id) = app.invited_supplier(1).await;
    let s = Some(supplier.access_token.as_str());
    let scope = app.scope_of(&supplier, &id).await;
    // Back to the layout before m0016, and answers saved there one item at a time as that
    // version did: each row under a UUID of its own (written in SQL: this version's code
    // writes the new layout).
    migrate_to(&app, "m0015_email_verification").await?;
    let backend = app.db.get_database_backend();
    let old_key = answers_key(&app).await?;
    match backend {
        DatabaseBackend::Sqlite => assert!(!old_key.contains("WITHOUT ROWID"), "{old_key}"),
        _ => assert!(old_key.contains("(id)"), "{old_key}"),
    }
    let new_id = if backend == DatabaseBackend::Sqlite { "randomblob(16)" } else { "gen_random_uuid()" };
    for (i, no) in scope.iter().take(5).enumerate() {
        let (status, plan) = if i % 2 == 0 { ("implemented", "NULL") } else { ("partially_implemented", "'Roll out'") };
        app.execute_sql(&format!(
            "INSERT INTO answers (id, assessment_id, item_no, status, comment, remediation_plan, created_at, updated_at) \
             SELECT {new_id}, id, {no}, '{status}', 'item {no}', {plan}, created_at, created_at FROM assessments"
        ))
        .await;
    }
    let before: Value = app.get(&format!("/api/v1/assessments/{id}/questions"), s).await.body;

    kensa_domain::db::migrate(&app.kensa).await?;

    let key = answers_key(&app).await?;
    if backend == DatabaseBackend::Sqlite {
        assert!(
            key.contains("PRIMARY KEY (\"assessment_id\", \"item_no\")") && key.ends_with("WITHOUT ROWID"),
            "{key}"
        );
    } else {
        assert!(key.contains("(assessment_id, item_no)") && key.contains("fillfactor=70"), "{key}");
    }
    let after = app.get(&format!("/api/v1/assessments/{id}/questions"), s).await;
    assert_eq!(after.body, before, "every answer came through the migration as it was");
    let answered = after.body["data"].as_array().map(|q| q.iter().filter(|q| !q["answer"].is_null()).count());
    assert_eq!(answered, Some(5), "{}", after.body);
    // And the new layout takes the rest of the answers and the submission.
    let all = app.answer_all(&supplier, &id).await;
    assert_eq!(all.status, 200, "{}", all.body);
    let submitted = app.post(&format!("/api/v1/assessments/{id}/submit"), s, json!({})).await;
    assert_eq!(submitted.status, 200, "{}", submitted.body);
    Ok(())
}
