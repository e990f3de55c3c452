use sea_orm::entity::prelude::*;

/// An organization's archive (migration m0023).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "organization_exports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub requested_by: Option<Uuid>,
    /// The one person whose data this archive holds (migration m0025); null: the whole
    /// organization.
    pub subject_user_id: Option<Uuid>,
    /// `queued`, `running`, `ready`, `failed` or `expired`.
    pub status: String,
    /// Percent of the tables written.
    pub progress: i32,
    pub manifest: Option<Json>,
    pub size: Option<i64>,
    pub sha256: Option<String>,
    pub storage_key: Option<String>,
    pub error: Option<String>,
    pub link_hash: Option<String>,
    pub link_expires_at: Option<DateTimeUtc>,
    pub downloaded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
