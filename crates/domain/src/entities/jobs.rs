use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    /// What the job is about (see `Job::dedupe_key`); unique, so a job is queued once.
    pub dedupe_key: String,
    pub payload: Json,
    /// `pending`, `running`, `done` or `failed`.
    pub status: String,
    pub attempts: i32,
    pub run_at: DateTimeUtc,
    /// A running job whose lease passed is claimable again: a killed worker loses nothing.
    pub locked_until: Option<DateTimeUtc>,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    /// For deliveries: the organization whose list shows it, `mail` or `webhook`, the
    /// recipient address or endpoint URL, and the last HTTP status a webhook answered.
    pub organization_id: Option<Uuid>,
    pub channel: Option<String>,
    pub target: Option<String>,
    pub response_status: Option<i32>,
    /// For webhook deliveries: the endpoint, whose list of deliveries shows it.
    pub webhook_endpoint_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
