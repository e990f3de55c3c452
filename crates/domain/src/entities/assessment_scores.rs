use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "assessment_scores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub assessment_id: Uuid,
    pub buyer_organization_id: Uuid,
    pub computed_at: DateTimeUtc,
    pub target_level: i32,
    #[sea_orm(column_type = "Double", nullable)]
    pub overall: Option<f64>,
    #[sea_orm(column_type = "Double", nullable)]
    pub level1: Option<f64>,
    #[sea_orm(column_type = "Double", nullable)]
    pub level2: Option<f64>,
    #[sea_orm(column_type = "Double", nullable)]
    pub level3: Option<f64>,
    pub achieved_level: i32,
    pub meets_target: bool,
    pub score: Json,
    /// Share of SCS ★3 / ★4 criteria supported (indicative); null for a checklist the
    /// crosswalk does not map.
    #[sea_orm(column_type = "Double", nullable)]
    pub scs_star3: Option<f64>,
    #[sea_orm(column_type = "Double", nullable)]
    pub scs_star4: Option<f64>,
    /// The crosswalk version the shares were computed with; null: not computed yet.
    pub scs_mapping: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
