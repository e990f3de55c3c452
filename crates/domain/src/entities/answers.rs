use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "answers")]
pub struct Model {
    /// With `item_no`, the key: one assessment's answers are stored together (migration m0016).
    #[sea_orm(primary_key, auto_increment = false)]
    pub assessment_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_no: i32,
    pub status: String,
    pub comment: Option<String>,
    pub reason: Option<String>,
    pub remediation_plan: Option<String>,
    pub remediation_due: Option<Date>,
    pub answered_by: Option<Uuid>,
    /// Copied from last year's accepted review and not yet confirmed or changed.
    pub carried_over: bool,
    pub remediation_done_at: Option<DateTimeUtc>,
    pub remediation_note: Option<String>,
    /// The remediation date the supplier was last asked about.
    pub remediation_followed_up_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
