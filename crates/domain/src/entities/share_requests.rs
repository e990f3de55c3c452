use sea_orm::entity::prelude::*;

/// A buyer's request that a supplier organization share its answers (migration m0018).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "share_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub requester_organization_id: Uuid,
    /// The requester's registry record of the supplier, when it has one.
    pub supplier_id: Option<Uuid>,
    pub supplier_organization_id: Uuid,
    pub template_id: Uuid,
    pub message: Option<String>,
    pub status: String,
    pub share_id: Option<Uuid>,
    pub reviewed_share_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    /// When its mail was first composed for the supplier (m0020).
    pub mailed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
