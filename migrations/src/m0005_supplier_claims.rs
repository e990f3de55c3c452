//! Supplier claims: an invitation accepted by someone whose address is not the invited
//! contact's (nor in its domain) waits here for the buyer's decision instead of linking.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::util::{fk, index};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_supplier_claims"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("supplier_claims")
                    .col(pk_uuid("id"))
                    .col(uuid("buyer_organization_id"))
                    .col(uuid("supplier_id"))
                    .col(uuid("assessment_id"))
                    .col(uuid("invitation_id"))
                    .col(uuid("claimant_organization_id"))
                    .col(uuid_null("claimant_user_id"))
                    .col(string("claimant_name"))
                    .col(string("claimant_email"))
                    // `pending`, `approved`, `rejected` or `superseded`.
                    .col(string("status"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("decided_at"))
                    .col(uuid_null("decided_by"))
                    .foreign_key(&mut fk("supplier_claims", "buyer_organization_id", "organizations"))
                    .foreign_key(&mut fk("supplier_claims", "supplier_id", "suppliers"))
                    .foreign_key(&mut fk("supplier_claims", "assessment_id", "assessments"))
                    .foreign_key(&mut fk("supplier_claims", "invitation_id", "supplier_invitations"))
                    .foreign_key(&mut fk("supplier_claims", "claimant_organization_id", "organizations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "supplier_claims",
                "supplier_claims_buyer_idx",
                &["buyer_organization_id", "id"],
                false,
            ))
            .await?;
        manager.create_index(index("supplier_claims", "supplier_claims_supplier_idx", &["supplier_id"], false)).await?;
        // One waiting claim per invitation, even when two arrive at the same moment.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX supplier_claims_pending_key ON supplier_claims (invitation_id) WHERE status = 'pending'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("supplier_claims").to_owned()).await
    }
}
