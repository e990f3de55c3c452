//! Scores: the snapshot stored when an assessment is submitted, its per-category figures, and
//! the comparison's one row per (buyer, supplier, template), so that comparisons sort, filter
//! and page in the database over stored figures and never recompute 153 answers per row.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_scores"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("assessment_scores")
                    .col(uuid("assessment_id").primary_key())
                    .col(uuid("buyer_organization_id"))
                    .col(timestamp_with_time_zone("computed_at"))
                    .col(integer("target_level"))
                    // The figures comparisons sort and filter by; null: nothing applicable.
                    .col(double_null("overall"))
                    .col(double_null("level1"))
                    .col(double_null("level2"))
                    .col(double_null("level3"))
                    .col(integer("achieved_level"))
                    .col(boolean("meets_target"))
                    // The whole `Score` document, as the API returns it.
                    .col(json("score"))
                    .foreign_key(&mut fk("assessment_scores", "assessment_id", "assessments"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("assessment_category_scores")
                    .col(uuid("assessment_id"))
                    .col(integer("category"))
                    .col(double_null("achievement"))
                    .primary_key(Index::create().col("assessment_id").col("category"))
                    .foreign_key(&mut fk("assessment_category_scores", "assessment_id", "assessments"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("comparison_rows")
                    .col(uuid("buyer_organization_id"))
                    .col(uuid("supplier_id"))
                    .col(uuid("template_id"))
                    // The newest assessment of this supplier on this template.
                    .col(uuid("current_assessment_id"))
                    // The newest submitted or accepted one: whose snapshot is compared.
                    .col(uuid_null("scored_assessment_id"))
                    .primary_key(Index::create().col("buyer_organization_id").col("supplier_id").col("template_id"))
                    .foreign_key(&mut fk("comparison_rows", "buyer_organization_id", "organizations"))
                    .foreign_key(&mut fk("comparison_rows", "supplier_id", "suppliers"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "assessment_scores",
                "assessment_scores_buyer_overall_idx",
                &["buyer_organization_id", "overall"],
                false,
            ))
            .await?;
        manager
            .create_index(index("comparison_rows", "comparison_rows_scored_idx", &["scored_assessment_id"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["comparison_rows", "assessment_category_scores", "assessment_scores"] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
