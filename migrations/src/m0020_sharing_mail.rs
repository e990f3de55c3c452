//! `share_requests.mailed_at` and `shares.mailed_at`: when the worker first composed the
//! row's mail. A request is not mailed within a day of another one from the same requester
//! to the same supplier organization that was, nor a share (other than a reply to a request)
//! within a day of another from the same supplier to the same recipient: withdrawing and
//! asking again, or revoking and sharing again, cannot mail the other side over and over,
//! while a row closed before its mail went out holds nothing back.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

const TABLES: [&str; 2] = ["share_requests", "shares"];

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0020_sharing_mail"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for table in TABLES {
            let mut col = timestamp_with_time_zone_null("mailed_at");
            manager.alter_table(Table::alter().table(table).add_column(&mut col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager.alter_table(Table::alter().table(table).drop_column("mailed_at").to_owned()).await?;
        }
        Ok(())
    }
}
