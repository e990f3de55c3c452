//! Webhook endpoints an organization registers, and the link from a delivery job to its
//! endpoint so that the endpoint's deliveries can be listed (its URL may change, and two
//! endpoints may share one).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_webhooks"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("webhook_endpoints")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(text("url"))
                    // Kept as issued: the worker signs every delivery with it (an HMAC key
                    // cannot be stored hashed). Shown once, when the endpoint is created.
                    .col(string("secret"))
                    // The subscribed event types, e.g. ["assessment.submitted"].
                    .col(json("event_types"))
                    .col(string_null("description"))
                    .col(boolean("active").default(true))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("webhook_endpoints", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("webhook_endpoints", "webhook_endpoints_org_idx", &["organization_id", "id"], false))
            .await?;
        // Not a foreign key: SQLite cannot add one to an existing table, and a delivery
        // outlives its endpoint in the organization's list of deliveries.
        let mut endpoint = uuid_null("webhook_endpoint_id");
        manager.alter_table(Table::alter().table("jobs").add_column(&mut endpoint).to_owned()).await?;
        manager.create_index(index("jobs", "jobs_webhook_endpoint_idx", &["webhook_endpoint_id", "id"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("jobs_webhook_endpoint_idx").table("jobs").to_owned()).await?;
        manager.alter_table(Table::alter().table("jobs").drop_column("webhook_endpoint_id").to_owned()).await?;
        manager.drop_table(Table::drop().table("webhook_endpoints").to_owned()).await
    }
}
