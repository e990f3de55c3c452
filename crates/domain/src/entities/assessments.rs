use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
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
    /// The next date a reminder step is due; null once the assessment is closed.
    pub next_chase_on: Option<Date>,
    /// The latest reminder step sent (`before:7`, `overdue:2`).
    pub last_reminder: Option<String>,
    /// When the buyer hears about it in the escalation digest; null once escalated or closed.
    pub escalates_on: Option<Date>,
    pub escalated_at: Option<DateTimeUtc>,
    /// The earliest remediation date (of an accepted assessment) not yet followed up.
    pub remediation_next_on: Option<Date>,
    /// A re-review: the accepted assessment whose answers were carried over.
    pub follows_assessment_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
