//! Verified addresses and password resets: when a user's address and an organization were
//! verified, and the single-use tokens mailed to prove an address or reset a password.
//!
//! Users and organizations that exist when this runs predate the rule and are marked
//! verified: they keep sending campaigns and invitations as before.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0015_email_verification"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table("users").add_column(timestamp_with_time_zone_null("email_verified_at")).to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("organizations")
                    .add_column(timestamp_with_time_zone_null("verified_at"))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("UPDATE users SET email_verified_at = created_at").await?;
        db.execute_unprepared("UPDATE organizations SET verified_at = created_at").await?;
        manager
            .create_table(
                Table::create()
                    .table("email_tokens")
                    .col(pk_uuid("id"))
                    // verify_email | password_reset
                    .col(string("purpose"))
                    // SHA-256 of the token; the token itself is only in the mail.
                    .col(string("token_hash"))
                    .col(uuid("user_id"))
                    // The address the link was sent to: verifying proves this one, not
                    // whatever the account's address became since.
                    .col(string("email"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .check(Expr::col("purpose").is_in(["verify_email", "password_reset"]))
                    .foreign_key(&mut fk("email_tokens", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("email_tokens", "email_tokens_hash_idx", &["token_hash"], true)).await?;
        manager.create_index(index("email_tokens", "email_tokens_user_idx", &["user_id", "purpose"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("email_tokens").to_owned()).await?;
        manager.alter_table(Table::alter().table("organizations").drop_column("verified_at").to_owned()).await?;
        manager.alter_table(Table::alter().table("users").drop_column("email_verified_at").to_owned()).await
    }
}
