//! Personal-data requests for one person (issue 18), and an audit trail that can forget
//! someone without hiding that it did.
//!
//! `audit_events`: `salt` and `personal_digest` (the SHA-256 of the salt and the event's
//! personal fields: actor, target id, client address, details) let the chain hash the digest
//! instead of those fields (`kensa-audit-v2`), so an erasure can replace them and still leave a
//! chain that verifies; `redacted_at` marks such an event. Events written before keep the
//! first form (no digest). `organization_erasures.user_id` and
//! `organization_exports.subject_user_id`: the one person an erasure or an export is about
//! (null: the whole organization).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0025_personal_data"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in
            [string_null("salt"), string_null("personal_digest"), timestamp_with_time_zone_null("redacted_at")]
        {
            let mut column = column;
            manager.alter_table(Table::alter().table("audit_events").add_column(&mut column).to_owned()).await?;
        }
        manager
            .alter_table(Table::alter().table("organization_erasures").add_column(uuid_null("user_id")).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter().table("organization_exports").add_column(uuid_null("subject_user_id")).to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("organization_exports").drop_column("subject_user_id").to_owned())
            .await?;
        manager.alter_table(Table::alter().table("organization_erasures").drop_column("user_id").to_owned()).await?;
        for column in ["redacted_at", "personal_digest", "salt"] {
            manager.alter_table(Table::alter().table("audit_events").drop_column(column).to_owned()).await?;
        }
        Ok(())
    }
}
