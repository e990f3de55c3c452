use sea_orm::entity::prelude::*;

/// One item of a supplier organization's answer library (migration m0017).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "library_answers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub line_owner_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub line_key: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_no: i32,
    pub status: String,
    pub comment: Option<String>,
    pub reason: Option<String>,
    pub remediation_plan: Option<String>,
    pub remediation_due: Option<Date>,
    pub source_assessment_id: Option<Uuid>,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
