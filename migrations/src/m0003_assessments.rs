//! Suppliers, campaigns, assessments, their invitations, answers, comments, evidence and
//! history.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_assessments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("suppliers")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("name"))
                    .col(string_null("contact_name"))
                    .col(string("contact_email"))
                    .col(string("contact_locale"))
                    .col(string_null("tier"))
                    .col(integer("target_level"))
                    .col(integer("review_interval_months"))
                    .col(json_binary("tags"))
                    // Lower-cased name and email, searched with LIKE on both backends.
                    .col(string("search_text"))
                    // Tags as "|a|b|", so one LIKE finds a tag on both backends.
                    .col(string("tag_text"))
                    .col(uuid_null("supplier_organization_id"))
                    .col(string("review_status"))
                    .col(timestamp_with_time_zone_null("deleted_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("suppliers", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("suppliers", "suppliers_org_idx", &["organization_id", "id"], false)).await?;
        manager
            .create_index(index("suppliers", "suppliers_email_idx", &["organization_id", "contact_email"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("campaigns")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("name"))
                    .col(uuid("template_id"))
                    .col(date("due_date"))
                    .col(integer_null("target_level"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("campaigns", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("campaigns", "campaigns_org_idx", &["organization_id", "id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("assessments")
                    .col(pk_uuid("id"))
                    .col(uuid("buyer_organization_id"))
                    .col(uuid("supplier_id"))
                    .col(uuid_null("supplier_organization_id"))
                    .col(uuid_null("campaign_id"))
                    .col(uuid("template_id"))
                    .col(integer("target_level"))
                    .col(date("due_date"))
                    .col(string("status"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone_null("submitted_at"))
                    .col(timestamp_with_time_zone_null("accepted_at"))
                    .col(timestamp_with_time_zone_null("cancelled_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("assessments", "buyer_organization_id", "organizations"))
                    .foreign_key(&mut fk("assessments", "supplier_id", "suppliers"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("assessments", "assessments_buyer_idx", &["buyer_organization_id", "id"], false))
            .await?;
        manager
            .create_index(index(
                "assessments",
                "assessments_supplier_org_idx",
                &["supplier_organization_id", "id"],
                false,
            ))
            .await?;
        manager.create_index(index("assessments", "assessments_campaign_idx", &["campaign_id"], false)).await?;
        manager.create_index(index("assessments", "assessments_supplier_idx", &["supplier_id"], false)).await?;

        manager
            .create_table(
                Table::create()
                    .table("supplier_invitations")
                    .col(pk_uuid("id"))
                    .col(uuid("assessment_id"))
                    .col(string("email"))
                    .col(string_null("token_hash"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("accepted_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("supplier_invitations", "assessment_id", "assessments"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("supplier_invitations", "supplier_invitations_hash_key", &["token_hash"], true))
            .await?;
        manager
            .create_index(index(
                "supplier_invitations",
                "supplier_invitations_assessment_idx",
                &["assessment_id"],
                false,
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("answers")
                    .col(pk_uuid("id"))
                    .col(uuid("assessment_id"))
                    .col(integer("item_no"))
                    .col(string("status"))
                    .col(text_null("comment"))
                    .col(text_null("reason"))
                    .col(text_null("remediation_plan"))
                    .col(date_null("remediation_due"))
                    .col(uuid_null("answered_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("answers", "assessment_id", "assessments"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("answers", "answers_assessment_item_key", &["assessment_id", "item_no"], true))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("assessment_comments")
                    .col(pk_uuid("id"))
                    .col(uuid("assessment_id"))
                    .col(integer_null("item_no"))
                    .col(uuid_null("author_user_id"))
                    .col(uuid("author_organization_id"))
                    .col(string("visibility"))
                    .col(text("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("assessment_comments", "assessment_id", "assessments"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("assessment_comments", "assessment_comments_idx", &["assessment_id", "id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("assessment_events")
                    .col(pk_uuid("id"))
                    .col(uuid("assessment_id"))
                    .col(uuid_null("actor_user_id"))
                    .col(uuid_null("actor_organization_id"))
                    .col(string("kind"))
                    .col(integer_null("item_no"))
                    .col(json_binary_null("old_value"))
                    .col(json_binary_null("new_value"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("assessment_events", "assessment_id", "assessments"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("assessment_events", "assessment_events_idx", &["assessment_id", "id"], false))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("evidence")
                    .col(pk_uuid("id"))
                    .col(uuid("assessment_id"))
                    .col(integer_null("item_no"))
                    .col(string("file_name"))
                    .col(string("content_type"))
                    .col(big_integer("size"))
                    .col(string("sha256"))
                    .col(string("storage_key"))
                    .col(uuid_null("uploaded_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("evidence", "assessment_id", "assessments"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("evidence", "evidence_assessment_idx", &["assessment_id", "id"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "evidence",
            "assessment_events",
            "assessment_comments",
            "answers",
            "supplier_invitations",
            "assessments",
            "campaigns",
            "suppliers",
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
