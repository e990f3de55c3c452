//! Sharing with consent: a supplier organization lets another organization read one of its
//! submitted assessments (frozen as it was when shared) or its live answer library for a
//! template line, with a scope, an expiry and optional terms the recipient must accept; a
//! buyer can ask for one (a share request) instead of sending its own questionnaire.
//!
//! A frozen share keeps its answers and score in the row (a later change of the assessment,
//! e.g. after changes were requested, does not reach what was shared) and its evidence files
//! in `share_evidence` as references to stored objects, like the library's: a file is
//! removed from the store only when nothing refers to it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0018_shares"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("share_requests")
                    .col(pk_uuid("id"))
                    .col(uuid("requester_organization_id"))
                    // The requester's registry record of the supplier; null for a request made
                    // by reviewing a share from a supplier the requester has no record of.
                    .col(uuid_null("supplier_id"))
                    .col(uuid("supplier_organization_id"))
                    .col(uuid("template_id"))
                    .col(text_null("message"))
                    .col(string("status").check(Expr::col("status").is_in([
                        "open",
                        "fulfilled",
                        "declined",
                        "cancelled",
                    ])))
                    .col(uuid_null("share_id"))
                    // The share whose review asked for changes, when the request came from one.
                    .col(uuid_null("reviewed_share_id"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .foreign_key(&mut fk("share_requests", "requester_organization_id", "organizations"))
                    .foreign_key(&mut fk("share_requests", "supplier_organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("share_requests_requester_idx", "requester_organization_id"),
            ("share_requests_supplier_idx", "supplier_organization_id"),
        ] {
            manager.create_index(index("share_requests", name, &[col, "id"], false)).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("shares")
                    .col(pk_uuid("id"))
                    .col(uuid("organization_id"))
                    .col(string("kind").check(Expr::col("kind").is_in(["snapshot", "live"])))
                    .col(uuid_null("assessment_id"))
                    .col(uuid("template_id"))
                    .col(string("line_owner_key"))
                    .col(string("line_key"))
                    .col(uuid_null("recipient_organization_id"))
                    .col(string_null("recipient_domain"))
                    // SHA-256 of the link's secret, for a share addressed to an email domain.
                    .col(string_null("link_hash").unique_key())
                    .col(uuid_null("share_request_id"))
                    .col(string("scope").check(Expr::col("scope").is_in(["scores", "answers", "answers_and_evidence"])))
                    .col(text_null("terms"))
                    .col(timestamp_with_time_zone_null("terms_accepted_at"))
                    .col(uuid_null("terms_accepted_by"))
                    // The recipient's review of what it was given.
                    .col(
                        string_null("review_decision")
                            .check(Expr::col("review_decision").is_in(["accept", "request_changes"])),
                    )
                    .col(text_null("review_comment"))
                    .col(timestamp_with_time_zone_null("reviewed_at"))
                    .col(uuid_null("reviewed_by"))
                    // A snapshot's content as shared: target level, submission time, answers.
                    .col(timestamp_with_time_zone_null("submitted_at"))
                    .col(json_null("content"))
                    .col(json_null("score"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("shares", "organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        for (name, col) in
            [("shares_owner_idx", "organization_id"), ("shares_recipient_idx", "recipient_organization_id")]
        {
            manager.create_index(index("shares", name, &[col, "id"], false)).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("share_evidence")
                    .col(uuid("share_id"))
                    // The assessment's evidence id the file had when shared: the download id.
                    .col(uuid("evidence_id"))
                    .col(integer_null("item_no"))
                    .col(string("file_name"))
                    .col(string("content_type"))
                    .col(big_integer("size"))
                    .col(string("sha256"))
                    .col(string("storage_key"))
                    .primary_key(Index::create().col("share_id").col("evidence_id"))
                    .foreign_key(&mut fk("share_evidence", "share_id", "shares"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("share_evidence", "share_evidence_storage_idx", &["storage_key"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("share_evidence").to_owned()).await?;
        manager.drop_table(Table::drop().table("shares").to_owned()).await?;
        manager.drop_table(Table::drop().table("share_requests").to_owned()).await
    }
}
