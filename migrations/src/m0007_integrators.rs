//! What integrators rely on: stored `Idempotency-Key` outcomes (shared by every replica),
//! and a version on suppliers for `If-Match`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_integrators"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(uuid_null("user_id"))
                    // The client's key, at most 255 characters.
                    .col(string("idem_key"))
                    // SHA-256 (hex) of the user, method, path and body: the same key with
                    // another request is refused.
                    .col(string("fingerprint"))
                    // Null while the first request runs; then the response to replay.
                    .col(integer_null("response_status"))
                    .col(json_null("response_headers"))
                    .col(blob_null("response_body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(&mut fk("idempotency_keys", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        // Keys are per organization; two replicas racing on one key meet here.
        manager
            .create_index(index("idempotency_keys", "idempotency_keys_key", &["organization_id", "idem_key"], true))
            .await?;
        manager.create_index(index("idempotency_keys", "idempotency_keys_expiry_idx", &["expires_at"], false)).await?;
        manager
            .alter_table(
                Table::alter().table("suppliers").add_column(integer("version").default(1).to_owned()).to_owned(),
            )
            .await?;
        // Incremental sync (`updated_since`) within one organization.
        manager
            .create_index(index("suppliers", "suppliers_updated_idx", &["organization_id", "updated_at"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("suppliers_updated_idx").table("suppliers").to_owned()).await?;
        manager.alter_table(Table::alter().table("suppliers").drop_column("version").to_owned()).await?;
        manager.drop_table(Table::drop().table("idempotency_keys").to_owned()).await
    }
}
