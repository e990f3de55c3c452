//! An organization's data as one archive it can take away, and back into an empty Kensa.
//!
//! The archive is a ZIP file: `data/<table>.jsonl` (one JSON object per row, for every table
//! [`tables::TABLES`] carries, with the organization's rows and those it took part in),
//! `evidence/<sha256>` (every evidence file those rows name, once each) and `manifest.json`
//! (counts and SHA-256 of every part, the organizations it dealt with, the audit chain's head).

pub mod archive;
pub mod erasure;
pub mod exports;
pub mod person;
pub mod redact;
pub mod retention;
pub mod tables;

use sea_orm::{ConnectionTrait, EntityTrait, PrimaryKeyToColumn, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::entities;
use crate::error::{DomainError, DomainResult};
use tables::Table;

/// Names the archive's layout; an import refuses any other.
pub const FORMAT: &str = "kensa-export-v1";
/// Names the layout of one person's archive (the same parts, only rows naming them, no
/// evidence files); not for import.
pub const PERSONAL_FORMAT: &str = "kensa-personal-data-v1";
/// How requests, exports and erasures of one organization take turns: its row locked `FOR NO
/// KEY UPDATE` on PostgreSQL (SQLite has one writer), which, unlike `FOR UPDATE`, lets the
/// organization's other writes insert rows that refer to it meanwhile.
pub(crate) const ORGANIZATION_LOCK: sea_orm::sea_query::LockType = sea_orm::sea_query::LockType::NoKeyUpdate;

/// Rows read per query while exporting.
const PAGE: u64 = 500;

/// What the archive holds, written last as `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub organization_id: Uuid,
    pub organization_name: String,
    /// The one person whose data this is (a personal-data archive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_user_id: Option<Uuid>,
    pub exported_at: chrono::DateTime<chrono::Utc>,
    /// Per table: rows and the SHA-256 of its `data/<table>.jsonl`.
    pub tables: std::collections::BTreeMap<String, Part>,
    /// Per evidence file (`evidence/<sha256>`): its size.
    pub evidence: std::collections::BTreeMap<String, u64>,
    /// The other organizations the rows name (a buyer, a supplier, a share's recipient): their
    /// names, so that an import can stand them in.
    pub counterparties: std::collections::BTreeMap<Uuid, String>,
    /// The built-in check sheets the rows name (`template_id`), by their content hash: an
    /// import points the rows at this Kensa's copy of each.
    pub builtin_templates: std::collections::BTreeMap<Uuid, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub rows: u64,
    pub sha256: String,
}

/// Reads every row of `table` that meets `rows`, a page at a time, oldest key first, as JSON
/// without the withheld columns.
async fn dump<E>(
    conn: &impl ConnectionTrait,
    table: &Table,
    rows: sea_orm::Condition,
    row: &mut (dyn FnMut(Value) -> DomainResult<()> + Send),
) -> DomainResult<u64>
where
    E: EntityTrait,
    E::Model: Serialize + Send + Sync,
{
    use sea_orm::Iterable;
    let condition = rows;
    let mut rows = 0;
    loop {
        let mut query = E::find().filter(condition.clone());
        for key in E::PrimaryKey::iter() {
            query = query.order_by_asc(key.into_column());
        }
        let page = query.offset(rows).limit(PAGE).all(conn).await?;
        let fetched = page.len() as u64;
        for model in page {
            let mut value = serde_json::to_value(&model).map_err(DomainError::internal)?;
            if let Value::Object(map) = &mut value {
                for column in table.withheld {
                    map.remove(*column);
                }
            }
            row(value)?;
        }
        rows += fetched;
        if fetched < PAGE {
            return Ok(rows);
        }
    }
}

/// Inserts rows read back from an archive.
async fn load<E>(conn: &impl ConnectionTrait, rows: Vec<Value>) -> DomainResult<()>
where
    E: EntityTrait,
    E::Model: for<'de> Deserialize<'de> + sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + Send,
{
    if rows.is_empty() {
        return Ok(());
    }
    let mut models = Vec::with_capacity(rows.len());
    for row in rows {
        let model: E::Model = serde_json::from_value(row).map_err(|e| DomainError::internal(format!("a row: {e}")))?;
        models.push(sea_orm::IntoActiveModel::into_active_model(model));
    }
    E::insert_many(models).exec_without_returning(conn).await?;
    Ok(())
}

/// Redacts the rows of `table` that meet `rows` (see [`redact::Redaction`]); returns how
/// many changed. Reads them at once: callers keep `rows` to one assessment, or to what the
/// organization's counterparties keep (a row per buyer).
async fn redact<E>(
    conn: &impl ConnectionTrait,
    table: &Table,
    rows: sea_orm::Condition,
    redaction: &redact::Redaction,
    cleared: &[&str],
) -> DomainResult<u64>
where
    E: EntityTrait,
    E::Model: Serialize + for<'de> Deserialize<'de> + sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: sea_orm::ActiveModelTrait<Entity = E> + sea_orm::ActiveModelBehavior + Send,
{
    use sea_orm::ActiveModelTrait;
    let mut changed = 0;
    for model in E::find().filter(rows).all(conn).await? {
        let mut value = serde_json::to_value(&model).map_err(DomainError::internal)?;
        if !redaction.row(table.name, cleared, &mut value) {
            continue;
        }
        let model: E::Model = serde_json::from_value(value)
            .map_err(|e| DomainError::internal(format!("redacting {}: {e}", table.name)))?;
        E::update(sea_orm::IntoActiveModel::into_active_model(model).reset_all()).exec(conn).await?;
        changed += 1;
    }
    Ok(changed)
}

/// The typed reading and writing of each table by its name.
macro_rules! by_table {
    ($($table:ident),* $(,)?) => {
        async fn dump_table(
            conn: &impl ConnectionTrait,
            table: &Table,
            rows: sea_orm::Condition,
            row: &mut (dyn FnMut(Value) -> DomainResult<()> + Send),
        ) -> DomainResult<u64> {
            match table.name {
                $(stringify!($table) => dump::<entities::$table::Entity>(conn, table, rows, row).await,)*
                other => Err(DomainError::Internal(format!("the export knows no table {other}"))),
            }
        }

        async fn load_table(conn: &impl ConnectionTrait, table: &str, rows: Vec<Value>) -> DomainResult<()> {
            match table {
                $(stringify!($table) => load::<entities::$table::Entity>(conn, rows).await,)*
                other => Err(DomainError::Internal(format!("the import knows no table {other}"))),
            }
        }

        async fn redact_table(
            conn: &impl ConnectionTrait,
            table: &Table,
            rows: sea_orm::Condition,
            redaction: &redact::Redaction,
            cleared: &[&str],
        ) -> DomainResult<u64> {
            match table.name {
                $(stringify!($table) => redact::<entities::$table::Entity>(conn, table, rows, redaction, cleared).await,)*
                other => Err(DomainError::Internal(format!("the erasure cannot redact table {other}"))),
            }
        }
    };
}

by_table!(
    organizations,
    organization_settings,
    users,
    user_invitations,
    api_keys,
    templates,
    suppliers,
    campaigns,
    assessments,
    supplier_invitations,
    answers,
    assessment_comments,
    assessment_events,
    assessment_scores,
    assessment_category_scores,
    evidence,
    forwarding_consents,
    supplier_claims,
    comparison_rows,
    library_answers,
    library_evidence,
    shares,
    share_evidence,
    share_requests,
    supply_chain_forwards,
    webhook_endpoints,
    sign_ins,
    audit_events,
    audit_checkpoints,
    audit_chain_heads,
    // Not carried, but redacted when a person who asked for one is erased.
    organization_exports,
);
