use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// Always stored lower-cased: emails compare case-insensitively.
    pub email: String,
    pub name: String,
    /// Never serialised (an organization's export carries no password hash); read back as
    /// empty, which no password matches: an imported user sets one with a reset link.
    #[serde(skip_serializing, default)]
    pub password_hash: String,
    pub role: String,
    pub locale: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// When the user followed a link mailed to their address (or joined through one).
    pub email_verified_at: Option<DateTimeUtc>,
}

// The password hash stays out of logs: it is what an offline guesser needs.
crate::redacted_debug!(Model { id, organization_id, email, name, role, locale, active, created_at, updated_at, email_verified_at } secret { password_hash });

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
