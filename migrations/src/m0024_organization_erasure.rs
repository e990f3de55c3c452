//! `organization_erasures` (issue 18): an owner's request to erase the organization, kept
//! through its grace period and, once carried out, as the tombstone (organization id, time,
//! rows per table) with no one's name in it. `organization_settings.evidence_retention_years`:
//! how long evidence stays after an assessment was accepted (0: for good).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0024_organization_erasure"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign key to organizations: the tombstone outlives the organization.
        manager
            .create_table(
                Table::create()
                    .table("organization_erasures")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("status"))
                    .col(uuid_null("requested_by"))
                    .col(timestamp_with_time_zone("requested_at"))
                    .col(timestamp_with_time_zone("erase_at"))
                    .col(uuid_null("cancelled_by"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .col(timestamp_with_time_zone_null("erased_at"))
                    .col(json_binary_null("counts"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "organization_erasures",
                "organization_erasures_org_idx",
                &["organization_id", "requested_at"],
                false,
            ))
            .await?;
        manager
            .create_index(index(
                "organization_erasures",
                "organization_erasures_due_idx",
                &["status", "erase_at"],
                false,
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("organization_settings")
                    .add_column(integer("evidence_retention_years").default(0))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table("organization_settings").drop_column("evidence_retention_years").to_owned(),
            )
            .await?;
        manager.drop_table(Table::drop().table("organization_erasures").to_owned()).await
    }
}
