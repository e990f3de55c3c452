use sea_orm::entity::prelude::*;

/// The last link of one audit chain (`audit::chain`); written with raw SQL there, read here
/// by the export and the import.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "audit_chain_heads")]
pub struct Model {
    /// The organization's id, or `system`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub chain: String,
    pub seq: i64,
    pub hash: String,
    pub started_at: DateTimeUtc,
    pub checkpoint_seq: i64,
    pub checkpoint_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
