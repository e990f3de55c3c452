//! The audit trail as a hash chain per organization (issue 18).
//!
//! `audit_events.seq`, `prev_hash`, `hash`: the event's place in its organization's chain, the
//! hash of the event before it, and the SHA-256 of its canonical content linked to that hash
//! (`kensa_domain::audit::chain`). Null for events recorded before the chain existed, or by an
//! older version during a rolling update, until the next start or worker pass seals them.
//! `audit_chain_heads`: each chain's last link, locked while events are appended, so that
//! concurrent writers append in commit order. `audit_checkpoints`: the head hashes the worker
//! recorded, and mailed to the owners, once a day.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0022_audit_chain"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for mut col in [big_integer_null("seq"), string_null("prev_hash"), string_null("hash")] {
            manager.alter_table(Table::alter().table("audit_events").add_column(&mut col).to_owned()).await?;
        }
        manager
            .create_index(index("audit_events", "audit_events_chain_key", &["organization_id", "seq"], true))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_chain_heads")
                    // The organization's id, or `system` for events of no organization.
                    .col(string("chain").primary_key())
                    .col(big_integer("seq"))
                    .col(string("hash"))
                    // When the chain began: its first daily checkpoint falls due a day later.
                    .col(timestamp_with_time_zone("started_at"))
                    // The last checkpoint's place and time (the worker's due query reads them).
                    .col(big_integer("checkpoint_seq").default(0))
                    .col(timestamp_with_time_zone_null("checkpoint_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_checkpoints")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(big_integer("seq"))
                    .col(string("hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        // One checkpoint per head: workers that fall due at once record it once.
        manager
            .create_index(index("audit_checkpoints", "audit_checkpoints_head_key", &["organization_id", "seq"], true))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["audit_checkpoints", "audit_chain_heads"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        manager.drop_index(Index::drop().name("audit_events_chain_key").table("audit_events").to_owned()).await?;
        for col in ["seq", "prev_hash", "hash"] {
            manager.alter_table(Table::alter().table("audit_events").drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
