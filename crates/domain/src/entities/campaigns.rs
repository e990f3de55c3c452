use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub template_id: Uuid,
    pub due_date: Date,
    pub target_level: Option<i32>,
    pub created_by: Option<Uuid>,
    pub cancelled_at: Option<DateTimeUtc>,
    /// Overrides of the organization's schedule (`chase::ScheduleOverride`).
    pub schedule: Option<Json>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
