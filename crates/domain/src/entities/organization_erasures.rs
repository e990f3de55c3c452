use sea_orm::entity::prelude::*;

/// An erasure of an organization: scheduled, cancelled, or carried out (the tombstone;
/// migration m0024).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "organization_erasures")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// The one person to erase (migration m0025); null: the whole organization. Emptied once
    /// erased.
    pub user_id: Option<Uuid>,
    /// `scheduled`, `cancelled`, `erasing` or `erased`.
    pub status: String,
    pub requested_by: Option<Uuid>,
    pub requested_at: DateTimeUtc,
    pub erase_at: DateTimeUtc,
    pub cancelled_by: Option<Uuid>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub erased_at: Option<DateTimeUtc>,
    /// Once erased: rows removed and rows redacted, per table.
    pub counts: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
