//! The multi-tier cascade: a Tier-1 supplier forwards to its buyer an aggregate of its own
//! suppliers' (Tier-2s') answers to the same checklist, and each Tier-2 decides in its
//! assessment whether its answers may count in it, anonymously or by name.
//!
//! Consent belongs to the assessment whose answers it covers (a re-review asks again);
//! absence means no. A forward is live: the buyer's figure is computed when read, so a
//! revoked consent or forward is gone at once. Also an index for the sweep of expired shares.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0019_supply_chain"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("forwarding_consents")
                    .col(pk_uuid("assessment_id"))
                    .col(string("consent").check(Expr::col("consent").is_in(["none", "anonymous", "named"])))
                    .col(uuid_null("updated_by"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(&mut fk("forwarding_consents", "assessment_id", "assessments"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("supply_chain_forwards")
                    .col(pk_uuid("id"))
                    // The Tier-1: the supplier that forwards, buyer of the Tier-2s counted.
                    .col(uuid("organization_id"))
                    .col(uuid("recipient_organization_id"))
                    // The recipient's assessment of the Tier-1 the forward was made from.
                    .col(uuid("assessment_id"))
                    // That assessment's checklist: the heat map's columns. The figure counts
                    // every version of its line.
                    .col(uuid("template_id"))
                    .col(string("line_owner_key"))
                    .col(string("line_key"))
                    .col(uuid_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("supply_chain_forwards", "organization_id", "organizations"))
                    .foreign_key(&mut fk("supply_chain_forwards", "recipient_organization_id", "organizations"))
                    .foreign_key(&mut fk("supply_chain_forwards", "assessment_id", "assessments"))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("supply_chain_forwards_owner_idx", "organization_id"),
            ("supply_chain_forwards_recipient_idx", "recipient_organization_id"),
        ] {
            manager.create_index(index("supply_chain_forwards", name, &[col, "id"], false)).await?;
        }
        manager.create_index(index("shares", "shares_expires_idx", &["expires_at"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("shares_expires_idx").table("shares").to_owned()).await?;
        manager.drop_table(Table::drop().table("supply_chain_forwards").to_owned()).await?;
        manager.drop_table(Table::drop().table("forwarding_consents").to_owned()).await
    }
}
