use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "suppliers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub contact_name: Option<String>,
    pub contact_email: String,
    pub contact_locale: String,
    pub tier: Option<String>,
    pub target_level: i32,
    pub review_interval_months: i32,
    pub tags: Json,
    pub search_text: String,
    pub tag_text: String,
    pub supplier_organization_id: Option<Uuid>,
    /// Status of the supplier's latest assessment, kept in step by the services.
    pub review_status: String,
    /// The next annual review date: the last acceptance plus the review interval.
    pub next_review_on: Option<Date>,
    /// When the worker opens that review (the lead time before it); null once opened.
    pub review_opens_on: Option<Date>,
    /// The accepted assessment the next review follows (template line, level, answers).
    pub next_review_from: Option<Uuid>,
    /// Moves on with every change to the record: its `ETag`, for `If-Match`.
    pub version: i32,
    pub deleted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
