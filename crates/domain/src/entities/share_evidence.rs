use sea_orm::entity::prelude::*;

/// An evidence file of a frozen share: a reference to a stored object (migration m0018).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "share_evidence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub share_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub evidence_id: Uuid,
    pub item_no: Option<i32>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub storage_key: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
