use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_totp")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub secret: String,
    pub enabled_at: Option<DateTimeUtc>,
    pub last_step: Option<i64>,
    pub created_at: DateTimeUtc,
}

// The secret stays out of logs: with it anyone computes the user's codes.
crate::redacted_debug!(Model { user_id, enabled_at, last_step, created_at } secret { secret });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
