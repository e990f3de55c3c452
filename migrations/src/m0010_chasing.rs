//! What the worker needs to chase suppliers: organization settings (the schedule), a
//! campaign's overrides, the next date each open assessment has something due (reminder,
//! escalation, remediation follow-up) under an index so that a scan reads only what is due,
//! the annual re-review date per supplier, answers carried over from last year's review,
//! remediation progress, and deliveries that an organization can list.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_chasing"
    }
}

/// SQLite alters one column per statement.
async fn add(manager: &SchemaManager<'_>, table: &'static str, col: ColumnDef) -> Result<(), DbErr> {
    let mut col = col;
    manager.alter_table(Table::alter().table(table).add_column(&mut col).to_owned()).await
}

async fn drop(manager: &SchemaManager<'_>, table: &'static str, col: &'static str) -> Result<(), DbErr> {
    manager.alter_table(Table::alter().table(table).drop_column(col).to_owned()).await
}

const INDEXES: [(&str, &str, &[&str]); 5] = [
    ("assessments", "assessments_chase_idx", &["next_chase_on"]),
    ("assessments", "assessments_escalation_idx", &["escalates_on"]),
    ("assessments", "assessments_remediation_idx", &["remediation_next_on"]),
    ("suppliers", "suppliers_review_opens_idx", &["review_opens_on"]),
    ("jobs", "jobs_organization_idx", &["organization_id", "status", "created_at"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("organization_settings")
                    .col(pk_uuid("organization_id"))
                    // Days before the due date, e.g. [14, 7, 1].
                    .col(json("reminder_offsets"))
                    .col(integer("overdue_interval_days"))
                    .col(integer("escalation_after_days"))
                    .col(integer("review_lead_days"))
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("organization_settings", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        // A campaign's overrides of its organization's schedule (any subset of the fields).
        add(manager, "campaigns", json_null("schedule")).await?;
        // The next date something is due for an open assessment; null once it is closed.
        add(manager, "assessments", date_null("next_chase_on")).await?;
        // The latest reminder step sent, e.g. "before:7" or "overdue:2".
        add(manager, "assessments", string_null("last_reminder")).await?;
        add(manager, "assessments", date_null("escalates_on")).await?;
        add(manager, "assessments", timestamp_with_time_zone_null("escalated_at")).await?;
        // The earliest remediation date of an accepted assessment not yet followed up.
        add(manager, "assessments", date_null("remediation_next_on")).await?;
        // A re-review: the accepted assessment it follows (its answers were carried over).
        add(manager, "assessments", uuid_null("follows_assessment_id")).await?;
        add(manager, "suppliers", date_null("next_review_on")).await?;
        add(manager, "suppliers", date_null("review_opens_on")).await?;
        // The accepted assessment the next review follows (template line and level).
        add(manager, "suppliers", uuid_null("next_review_from")).await?;
        add(manager, "answers", boolean("carried_over").default(false).to_owned()).await?;
        add(manager, "answers", timestamp_with_time_zone_null("remediation_done_at")).await?;
        add(manager, "answers", text_null("remediation_note")).await?;
        add(manager, "answers", date_null("remediation_followed_up_on")).await?;
        // Deliveries (mail and webhooks) an organization's owners and admins can list.
        add(manager, "jobs", uuid_null("organization_id")).await?;
        add(manager, "jobs", string_null("channel")).await?;
        add(manager, "jobs", text_null("target")).await?;
        add(manager, "jobs", integer_null("response_status")).await?;
        for (table, name, cols) in INDEXES {
            manager.create_index(index(table, name, cols, false)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, _) in INDEXES {
            manager.drop_index(Index::drop().name(name).table(table).to_owned()).await?;
        }
        for col in ["organization_id", "channel", "target", "response_status"] {
            drop(manager, "jobs", col).await?;
        }
        for col in ["carried_over", "remediation_done_at", "remediation_note", "remediation_followed_up_on"] {
            drop(manager, "answers", col).await?;
        }
        for col in ["next_review_on", "review_opens_on", "next_review_from"] {
            drop(manager, "suppliers", col).await?;
        }
        for col in [
            "next_chase_on",
            "last_reminder",
            "escalates_on",
            "escalated_at",
            "remediation_next_on",
            "follows_assessment_id",
        ] {
            drop(manager, "assessments", col).await?;
        }
        drop(manager, "campaigns", "schedule").await?;
        manager.drop_table(Table::drop().table("organization_settings").to_owned()).await
    }
}
