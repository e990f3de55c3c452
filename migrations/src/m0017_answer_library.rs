//! The supplier's answer library: per organization and template line, the latest answer to
//! each item (from its submitted assessments, or edited in the library itself) and the
//! evidence files that went with it, ready to prefill the next assessment of any buyer.
//!
//! A template line is `(owner_key, key)` across versions, as re-reviews use it. Evidence
//! files are references to stored objects that assessments already hold (the same
//! `storage_key`): a file is removed from the store only when nothing refers to it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0017_answer_library"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("library_answers")
                    .col(uuid("organization_id"))
                    .col(string("line_owner_key"))
                    .col(string("line_key"))
                    .col(integer("item_no"))
                    .col(string("status"))
                    .col(text_null("comment"))
                    .col(text_null("reason"))
                    .col(text_null("remediation_plan"))
                    .col(date_null("remediation_due"))
                    // The submitted assessment it was taken from; null once edited here.
                    .col(uuid_null("source_assessment_id"))
                    .col(uuid_null("updated_by"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .primary_key(
                        Index::create().col("organization_id").col("line_owner_key").col("line_key").col("item_no"),
                    )
                    .foreign_key(&mut fk("library_answers", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("library_evidence")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("line_owner_key"))
                    .col(string("line_key"))
                    .col(integer("item_no"))
                    .col(string("file_name"))
                    .col(string("content_type"))
                    .col(big_integer("size"))
                    .col(string("sha256"))
                    .col(string("storage_key"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("library_evidence", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "library_evidence",
                "library_evidence_item_idx",
                &["organization_id", "line_owner_key", "line_key", "item_no"],
                false,
            ))
            .await?;
        manager.create_index(index("library_evidence", "library_evidence_storage_idx", &["storage_key"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("library_evidence").to_owned()).await?;
        manager.drop_table(Table::drop().table("library_answers").to_owned()).await
    }
}
