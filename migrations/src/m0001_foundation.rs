//! Tenancy, users, authentication, audit trail and the durable jobs table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_foundation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("organizations")
                    .col(pk_uuid("id"))
                    .col(string("name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("email"))
                    .col(string("name"))
                    .col(string("password_hash"))
                    .col(string("role"))
                    .col(string("locale"))
                    .col(boolean("active"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("users", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("users", "users_email_key", &["email"], true)).await?;
        manager.create_index(index("users", "users_organization_idx", &["organization_id", "id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("refresh_tokens")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(uuid("family_id"))
                    .col(string("token_hash"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("refresh_tokens", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("refresh_tokens", "refresh_tokens_hash_key", &["token_hash"], true)).await?;
        manager.create_index(index("refresh_tokens", "refresh_tokens_family_idx", &["family_id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("user_invitations")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("email"))
                    .col(string("role"))
                    .col(uuid("invited_by"))
                    .col(string_null("token_hash"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("accepted_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("user_invitations", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("user_invitations", "user_invitations_hash_key", &["token_hash"], true)).await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_events")
                    .col(pk_uuid("id"))
                    .col(uuid_null("organization_id"))
                    .col(uuid_null("actor_user_id"))
                    .col(string("action"))
                    .col(string_null("target_type"))
                    .col(string_null("target_id"))
                    .col(string_null("client_ip"))
                    .col(string_null("request_id"))
                    .col(json_binary("details"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("audit_events", "audit_events_org_idx", &["organization_id", "id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("jobs")
                    .col(pk_uuid("id"))
                    .col(string("kind"))
                    .col(json_binary("payload"))
                    .col(string("status"))
                    .col(integer("attempts"))
                    .col(timestamp_with_time_zone("run_at"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(string_null("locked_by"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("jobs", "jobs_due_idx", &["status", "run_at"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["jobs", "audit_events", "user_invitations", "refresh_tokens", "users", "organizations"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
