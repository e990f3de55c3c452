//! An organization's schedule for reminders, escalation and re-reviews, its MFA policy and
//! session limits. No row: defaults.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "organization_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    pub reminder_offsets: Json,
    pub overdue_interval_days: i32,
    pub escalation_after_days: i32,
    pub review_lead_days: i32,
    pub mfa_required: bool,
    pub mfa_required_for_admins: bool,
    pub session_idle_minutes: i32,
    pub session_lifetime_days: i32,
    /// Years evidence stays after its assessment was accepted; 0: for good (m0024).
    pub evidence_retention_years: i32,
    pub version: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
