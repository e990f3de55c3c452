//! Account security: sign-ins a user can see and end (one row per refresh-token family),
//! TOTP multi-factor authentication with recovery codes, the short-lived tickets between
//! the password and the code, and each organization's MFA policy and session limits.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0014_sign_ins_and_mfa"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("sign_ins")
                    // The refresh-token family's id: a sign-in is the family.
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    // Moved on every refresh (and page view): what the idle timeout measures.
                    .col(timestamp_with_time_zone("last_used_at"))
                    .col(string_null("address"))
                    .col(string_null("user_agent"))
                    .col(timestamp_with_time_zone_null("ended_at"))
                    // signed_out | ended_by_user | idle_timeout | lifetime | password_reset | reuse
                    .col(string_null("end_reason"))
                    .foreign_key(&mut fk("sign_ins", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("sign_ins", "sign_ins_user_idx", &["user_id", "id"], false)).await?;
        // Families that exist already become sign-ins, so that refreshing them keeps working.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO sign_ins (id, user_id, created_at, last_used_at) \
                 SELECT family_id, user_id, MIN(created_at), MAX(created_at) FROM refresh_tokens \
                 WHERE revoked_at IS NULL GROUP BY family_id, user_id",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("user_totp")
                    .col(pk_uuid("user_id"))
                    // Base32 secret (RFC 6238, SHA-1, 6 digits, 30 s).
                    .col(string("secret"))
                    // None while enrolment waits for its first code.
                    .col(timestamp_with_time_zone_null("enabled_at"))
                    // The last time step a code was accepted for: no code works twice.
                    .col(big_integer_null("last_step"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("user_totp", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("recovery_codes")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    // SHA-256 of the normalised code (80 random bits: no offline guessing).
                    .col(string("code_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(&mut fk("recovery_codes", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("recovery_codes", "recovery_codes_user_idx", &["user_id"], false)).await?;
        manager
            .create_table(
                Table::create()
                    .table("mfa_tickets")
                    .col(pk_uuid("id"))
                    .col(string("token_hash"))
                    .col(uuid("user_id"))
                    // sign_in (the account has MFA) | enrol (the policy requires it first)
                    .col(string("purpose"))
                    .col(integer("failures").default(0))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .foreign_key(&mut fk("mfa_tickets", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("mfa_tickets", "mfa_tickets_token_idx", &["token_hash"], true)).await?;

        for column in [
            boolean("mfa_required").default(false).to_owned(),
            boolean("mfa_required_for_admins").default(false).to_owned(),
            integer("session_idle_minutes").default(480).to_owned(),
            integer("session_lifetime_days").default(30).to_owned(),
        ] {
            let mut column = column;
            manager
                .alter_table(Table::alter().table("organization_settings").add_column(&mut column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["mfa_required", "mfa_required_for_admins", "session_idle_minutes", "session_lifetime_days"] {
            manager.alter_table(Table::alter().table("organization_settings").drop_column(column).to_owned()).await?;
        }
        for table in ["mfa_tickets", "recovery_codes", "user_totp", "sign_ins"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
