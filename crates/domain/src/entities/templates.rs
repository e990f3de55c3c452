use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Option<Uuid>,
    pub owner_key: String,
    pub key: String,
    pub version: i32,
    pub name: String,
    pub name_en: Option<String>,
    pub guideline_version: String,
    pub language: String,
    pub builtin: bool,
    /// The tree: `{categories, anomalies?, source?}`.
    pub content: Json,
    pub answer_scale: Json,
    pub item_count: i32,
    pub builtin_hash: Option<String>,
    pub source_template_id: Option<Uuid>,
    /// Set when an assessment first uses the template; from then on it is immutable.
    pub in_use: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
