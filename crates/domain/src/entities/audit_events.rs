use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    /// UUID v7: ordering by id is ordering by time, which makes cursors trivial.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Option<Uuid>,
    pub actor_user_id: Option<Uuid>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub client_ip: Option<String>,
    pub request_id: Option<String>,
    pub details: Json,
    pub created_at: DateTimeUtc,
    /// The event's place in its organization's hash chain (`audit::chain`); null until sealed.
    pub seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    /// Random, per event (hex); hashed with the personal fields into `personal_digest`.
    /// Emptied when the event is redacted, so that the digest no longer confirms a guess.
    pub salt: Option<String>,
    /// SHA-256 of `salt` and the personal fields (`audit::chain::personal_digest`); the chain
    /// hashes this instead of them. Null for events of the first form (`kensa-audit-v1`).
    pub personal_digest: Option<String>,
    /// When an erasure replaced the personal fields (`audit::redaction`).
    pub redacted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
