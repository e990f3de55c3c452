//! Server-side sessions for the web pages: a browser holds an opaque cookie, the server
//! holds what it means (whose session, its CSRF secret, when it was last used) so that the
//! idle and absolute timeouts and sign-out are enforced here, not trusted to the browser.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_browser_sessions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("browser_sessions")
                    .col(pk_uuid("id"))
                    // SHA-256 of the cookie value; the value itself is never stored.
                    .col(string("token_hash"))
                    // Proves that a form was rendered for this session (CSRF).
                    .col(string("csrf_token"))
                    .col(uuid("user_id"))
                    // The refresh-token family of the sign-in: revoking it (sign-out
                    // everywhere, a deactivated user) ends the browser session too.
                    .col(uuid("family_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("ended_at"))
                    .foreign_key(&mut fk("browser_sessions", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("browser_sessions", "browser_sessions_token_idx", &["token_hash"], true)).await?;
        manager.create_index(index("browser_sessions", "browser_sessions_user_idx", &["user_id", "id"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("browser_sessions").to_owned()).await
    }
}
