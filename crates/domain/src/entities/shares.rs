use sea_orm::entity::prelude::*;

/// What a supplier organization shares with another one (migration m0018).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "shares")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The sharing (supplier) organization.
    pub organization_id: Uuid,
    pub kind: String,
    pub assessment_id: Option<Uuid>,
    pub template_id: Uuid,
    pub line_owner_key: String,
    pub line_key: String,
    pub recipient_organization_id: Option<Uuid>,
    pub recipient_domain: Option<String>,
    pub link_hash: Option<String>,
    pub share_request_id: Option<Uuid>,
    pub scope: String,
    pub terms: Option<String>,
    pub terms_accepted_at: Option<DateTimeUtc>,
    pub terms_accepted_by: Option<Uuid>,
    pub review_decision: Option<String>,
    pub review_comment: Option<String>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub reviewed_by: Option<Uuid>,
    /// A snapshot's submission time: when the shared answers were given.
    pub submitted_at: Option<DateTimeUtc>,
    pub content: Option<Json>,
    pub score: Option<Json>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    /// When its mail was first composed for the recipient (m0020).
    pub mailed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
