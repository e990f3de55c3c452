use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "supplier_claims")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub buyer_organization_id: Uuid,
    pub supplier_id: Uuid,
    pub assessment_id: Uuid,
    pub invitation_id: Uuid,
    pub claimant_organization_id: Uuid,
    pub claimant_user_id: Option<Uuid>,
    pub claimant_name: String,
    pub claimant_email: String,
    /// `pending`, `approved`, `rejected` or `superseded`.
    pub status: String,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
