//! `assessment_scores.scs_star3`, `scs_star4`: the share of METI SCS ★3 and ★4 criteria the
//! scored assessment's answers support (the crosswalk's readiness view, indicative), so that
//! the comparison filters and shows it in SQL; `scs_mapping`: the crosswalk version they were
//! computed with (null: not yet computed, filled in at start for snapshots stored before).
//! Null shares with a mapping version: the checklist has no item of the check sheet.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0021_scs_readiness"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for mut col in [double_null("scs_star3"), double_null("scs_star4"), string_null("scs_mapping")] {
            manager.alter_table(Table::alter().table("assessment_scores").add_column(&mut col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in ["scs_star3", "scs_star4", "scs_mapping"] {
            manager.alter_table(Table::alter().table("assessment_scores").drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
