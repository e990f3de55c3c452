//! `jobs.dedupe_key`: what a job is about (kind, subject, step), unique, so that the same
//! job can be queued only once however often the code that queues it runs. Rows queued
//! before this migration get a key of their own made from their id (`legacy:<hex id>`):
//! older data may hold two jobs for one subject (a notice sent again by a resend), which
//! a key derived from the payload would refuse.
//!
//! PostgreSQL adds the column in place. SQLite cannot make an added column `NOT NULL`
//! without a default (and a default would let a row without a key pass, and a second such
//! row be dropped as a duplicate), so there the table is rebuilt with the column.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_job_dedupe_key"
    }
}

/// The jobs table of m0001 with the key, under `name`.
fn jobs_table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(pk_uuid("id"))
        .col(string("kind"))
        .col(string("dedupe_key"))
        .col(json_binary("payload"))
        .col(string("status"))
        .col(integer("attempts"))
        .col(timestamp_with_time_zone("run_at"))
        .col(timestamp_with_time_zone_null("locked_until"))
        .col(string_null("locked_by"))
        .col(text_null("last_error"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
        .to_owned()
}

const COLUMNS: &str =
    "id, kind, payload, status, attempts, run_at, locked_until, locked_by, last_error, created_at, updated_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => {
                // Ids are 16-byte blobs on SQLite.
                manager.create_table(jobs_table("jobs_keyed")).await?;
                db.execute_unprepared(&format!(
                    "INSERT INTO jobs_keyed ({COLUMNS}, dedupe_key) \
                     SELECT {COLUMNS}, 'legacy:' || lower(hex(id)) FROM jobs"
                ))
                .await?;
                manager.drop_table(Table::drop().table("jobs").to_owned()).await?;
                manager.rename_table(Table::rename().table("jobs_keyed", "jobs").to_owned()).await?;
                manager.create_index(index("jobs", "jobs_due_idx", &["status", "run_at"], false)).await?;
            }
            _ => {
                manager
                    .alter_table(Table::alter().table("jobs").add_column(string_null("dedupe_key")).to_owned())
                    .await?;
                db.execute_unprepared("UPDATE jobs SET dedupe_key = 'legacy:' || replace(id::text, '-', '')").await?;
                db.execute_unprepared("ALTER TABLE jobs ALTER COLUMN dedupe_key SET NOT NULL").await?;
            }
        }
        manager.create_index(index("jobs", "jobs_dedupe_key", &["dedupe_key"], true)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("jobs_dedupe_key").table("jobs").to_owned()).await?;
        manager.alter_table(Table::alter().table("jobs").drop_column("dedupe_key").to_owned()).await
    }
}
