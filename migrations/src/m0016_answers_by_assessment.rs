//! Answers keyed by `(assessment_id, item_no)`, stored so that one assessment's answers sit
//! together.
//!
//! Keyed by a UUID, the answers of an assessment built up one save at a time over weeks were
//! spread over as many pages as it has answers, each shared with other suppliers' answers:
//! a bulk save of 153 answers then wrote about thirty times the bytes of one on an
//! assessment answered in one go (docs/benchmarks.md, "Answers laid out by assessment").
//! The surrogate `id` identified nothing the pair does not, so it goes.
//!
//! SQLite: a `WITHOUT ROWID` table is a B-tree on its primary key, so the rows themselves are
//! in `(assessment_id, item_no)` order. PostgreSQL keeps rows in a heap: the primary key
//! finds them, `CLUSTER` orders what exists today, and a fill factor of 70 leaves room on
//! each page so that a changed answer is rewritten on its own page (a HOT update) instead
//! of moving to wherever there is space.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0016_answers_by_assessment"
    }
}

const COLUMNS: &str = "assessment_id, item_no, status, comment, reason, remediation_plan, remediation_due, \
     answered_by, carried_over, remediation_done_at, remediation_note, remediation_followed_up_on, created_at, \
     updated_at";

/// The table as this migration leaves it, or (`by_id`) as it was before, with a UUID key.
fn answers_table(name: &'static str, by_id: bool) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(name);
    if by_id {
        table.col(pk_uuid("id"));
    }
    table
        .col(uuid("assessment_id"))
        .col(integer("item_no"))
        .col(string("status"))
        .col(text_null("comment"))
        .col(text_null("reason"))
        .col(text_null("remediation_plan"))
        .col(date_null("remediation_due"))
        .col(uuid_null("answered_by"))
        .col(boolean("carried_over").default(false))
        .col(timestamp_with_time_zone_null("remediation_done_at"))
        .col(text_null("remediation_note"))
        .col(date_null("remediation_followed_up_on"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .foreign_key(&mut fk(name, "assessment_id", "assessments"));
    if !by_id {
        table.primary_key(Index::create().col("assessment_id").col("item_no"));
    }
    table.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => {
                let create = db.get_database_backend().build(&answers_table("answers_by_assessment", false));
                db.execute_unprepared(&format!("{} WITHOUT ROWID", create.sql)).await?;
                // In key order: the copy fills each page with one assessment's answers.
                db.execute_unprepared(&format!(
                    "INSERT INTO answers_by_assessment ({COLUMNS}) \
                     SELECT {COLUMNS} FROM answers ORDER BY assessment_id, item_no"
                ))
                .await?;
                manager.drop_table(Table::drop().table("answers").to_owned()).await?;
                manager.rename_table(Table::rename().table("answers_by_assessment", "answers").to_owned()).await?;
            }
            _ => {
                for sql in [
                    "ALTER TABLE answers DROP CONSTRAINT answers_pkey",
                    "ALTER TABLE answers DROP COLUMN id",
                    "DROP INDEX answers_assessment_item_key",
                    "ALTER TABLE answers ADD CONSTRAINT answers_pkey PRIMARY KEY (assessment_id, item_no)",
                    "ALTER TABLE answers SET (fillfactor = 70)",
                    "CLUSTER answers USING answers_pkey",
                ] {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => {
                // The old layout: a UUID key, and the pair unique beside it (below).
                let create = db.get_database_backend().build(&answers_table("answers_by_id", true));
                db.execute_unprepared(&create.sql).await?;
                db.execute_unprepared(&format!(
                    "INSERT INTO answers_by_id (id, {COLUMNS}) SELECT randomblob(16), {COLUMNS} FROM answers"
                ))
                .await?;
                manager.drop_table(Table::drop().table("answers").to_owned()).await?;
                manager.rename_table(Table::rename().table("answers_by_id", "answers").to_owned()).await?;
            }
            _ => {
                for sql in [
                    "ALTER TABLE answers RESET (fillfactor)",
                    "ALTER TABLE answers DROP CONSTRAINT answers_pkey",
                    "ALTER TABLE answers ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid()",
                    "ALTER TABLE answers ALTER COLUMN id DROP DEFAULT",
                    "ALTER TABLE answers ADD CONSTRAINT answers_pkey PRIMARY KEY (id)",
                ] {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        manager.create_index(index("answers", "answers_assessment_item_key", &["assessment_id", "item_no"], true)).await
    }
}
