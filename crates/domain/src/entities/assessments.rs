use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "assessments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub buyer_organization_id: Uuid,
    pub supplier_id: Uuid,
    pub supplier_organization_id: Option<Uuid>,
    pub campaign_id: Option<Uuid>,
    pub template_id: Uuid,
    pub target_level: i32,
    pub due_date: Date,
    pub status: String,
    pub version: i32,
    pub submitted_at: Option<DateTimeUtc>,
    pub accepted_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
