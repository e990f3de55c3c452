//! API keys: credentials an organization's owners and admins make for its integrations, so
//! that no integration stores a person's password or shares a person's refresh token.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0013_api_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("api_keys")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("name"))
                    // read_only | respondent | reviewer | admin
                    .col(string("scope"))
                    // The visible start of the key (`kensa_live_` and 8 characters).
                    .col(string("prefix"))
                    // SHA-256 of the whole key; the key itself is shown once and never stored.
                    .col(string("key_hash"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(string_null("last_used_address"))
                    .foreign_key(&mut fk("api_keys", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("api_keys", "api_keys_hash_idx", &["key_hash"], true)).await?;
        manager.create_index(index("api_keys", "api_keys_org_idx", &["organization_id", "id"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("api_keys").to_owned()).await
    }
}
