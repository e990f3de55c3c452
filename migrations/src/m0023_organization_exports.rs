//! `organization_exports`: an organization's archive (issue 18), written by the worker and
//! downloaded once per link. `link_hash` is the SHA-256 of the current single-use download
//! token (the token itself is shown once); `storage_key` is where the archive lies beside
//! the evidence.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0023_organization_exports"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("organization_exports")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(uuid_null("requested_by"))
                    .col(string("status"))
                    .col(integer("progress").default(0))
                    .col(json_binary_null("manifest"))
                    .col(big_integer_null("size"))
                    .col(string_null("sha256"))
                    .col(string_null("storage_key"))
                    .col(string_null("error"))
                    .col(string_null("link_hash"))
                    .col(timestamp_with_time_zone_null("link_expires_at"))
                    .col(timestamp_with_time_zone_null("downloaded_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(&mut fk("organization_exports", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "organization_exports",
                "organization_exports_org_idx",
                &["organization_id", "created_at"],
                false,
            ))
            .await?;
        manager
            .create_index(index("organization_exports", "organization_exports_link_key", &["link_hash"], true))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("organization_exports").to_owned()).await
    }
}
