//! The audit trail of a period as one file (CSV for spreadsheets, JSON for tools), for
//! owners to hand to their auditors. Written a page at a time to a temporary file, oldest
//! event first, so that a year of events never sits in memory.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use std::io::Write;
use uuid::Uuid;

use crate::Kensa;
use crate::entities::audit_events::{Column, Entity, Model};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::export::CsvOut;
use crate::tenant::{Role, TenantCtx};

/// The longest period one export covers.
pub const MAX_PERIOD: Duration = Duration::days(366);
const PAGE: u64 = 1_000;
const HEADER: [&str; 10] = [
    "id",
    "created_at",
    "action",
    "actor_user_id",
    "actor_api_key",
    "target_type",
    "target_id",
    "client_ip",
    "request_id",
    "details",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum AuditFormat {
    Csv,
    Json,
}

impl AuditFormat {
    pub fn extension(self) -> &'static str {
        match self {
            AuditFormat::Csv => "csv",
            AuditFormat::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            AuditFormat::Csv => "text/csv; charset=utf-8",
            AuditFormat::Json => "application/json",
        }
    }
}

/// The finished file, deleted when dropped.
pub struct AuditExport {
    pub path: tempfile::TempPath,
    pub format: AuditFormat,
    pub events: usize,
}

fn period(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> DomainResult<(DateTime<Utc>, DateTime<Utc>)> {
    let mut errors = Vec::new();
    if from.is_none() {
        errors.push(FieldError::new("from", ErrorCode::Required, "the start of the period (RFC 3339)"));
    }
    if to.is_none() {
        errors.push(FieldError::new("to", ErrorCode::Required, "the end of the period (RFC 3339)"));
    }
    let (Some(from), Some(to)) = (from, to) else { return Err(DomainError::Validation(errors)) };
    if to <= from || to - from > MAX_PERIOD {
        return Err(DomainError::validation(
            "to",
            ErrorCode::OutOfRange,
            "after `from`, and at most 366 days after it",
        ));
    }
    Ok((from, to))
}

fn json_line(r: &Model) -> serde_json::Value {
    serde_json::json!({
        "id": r.id,
        "created_at": r.created_at,
        "action": r.action,
        "actor_user_id": r.actor_user_id,
        "target_type": r.target_type,
        "target_id": r.target_id,
        "client_ip": r.client_ip,
        "request_id": r.request_id,
        "details": r.details,
    })
}

fn csv_row(r: &Model) -> Vec<String> {
    let key = r.details.get("actor_api_key").and_then(|k| k.get("prefix")).and_then(|p| p.as_str());
    vec![
        r.id.to_string(),
        r.created_at.to_rfc3339(),
        r.action.clone(),
        r.actor_user_id.map(|u| u.to_string()).unwrap_or_default(),
        key.unwrap_or_default().to_owned(),
        r.target_type.clone().unwrap_or_default(),
        r.target_id.clone().unwrap_or_default(),
        r.client_ip.clone().unwrap_or_default(),
        r.request_id.clone().unwrap_or_default(),
        r.details.to_string(),
    ]
}

enum Out {
    Csv(Box<CsvOut<std::fs::File>>),
    Json { file: std::io::BufWriter<std::fs::File>, first: bool },
}

impl Out {
    fn write(&mut self, rows: &[Model]) -> DomainResult<()> {
        match self {
            Out::Csv(w) => rows.iter().try_for_each(|r| w.row(csv_row(r))),
            Out::Json { file, first } => {
                for r in rows {
                    let sep = if *first { "\n" } else { ",\n" };
                    *first = false;
                    file.write_all(sep.as_bytes()).map_err(DomainError::internal)?;
                    serde_json::to_writer(&mut *file, &json_line(r)).map_err(DomainError::internal)?;
                }
                Ok(())
            }
        }
    }

    fn finish(self) -> DomainResult<()> {
        match self {
            Out::Csv(w) => w.finish().map(drop),
            Out::Json { mut file, .. } => {
                file.write_all(b"\n]\n").and_then(|()| file.flush()).map_err(DomainError::internal)
            }
        }
    }
}

/// Every event of the caller's organization in `[from, to)`, oldest first. Owners only.
pub async fn export(
    k: &Kensa,
    ctx: &TenantCtx,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    format: AuditFormat,
) -> DomainResult<AuditExport> {
    if ctx.role() != Role::Owner || ctx.user_id().is_none() {
        return Err(DomainError::Forbidden);
    }
    let (from, to) = period(from, to)?;
    let (file, path) = tempfile::NamedTempFile::new().map_err(DomainError::internal)?.into_parts();
    let mut out = match format {
        AuditFormat::Csv => Out::Csv(Box::new(CsvOut::new(file, HEADER)?)),
        AuditFormat::Json => {
            let mut file = std::io::BufWriter::new(file);
            file.write_all(b"[").map_err(DomainError::internal)?;
            Out::Json { file, first: true }
        }
    };
    let mut after: Option<Uuid> = None;
    let mut events = 0;
    loop {
        let mut query = Entity::find()
            .filter(Column::OrganizationId.eq(ctx.org_id().0))
            .filter(Column::CreatedAt.gte(from))
            .filter(Column::CreatedAt.lt(to));
        if let Some(after) = after {
            query = query.filter(Column::Id.gt(after));
        }
        let rows = query.order_by_asc(Column::Id).limit(PAGE).all(&k.db).await?;
        events += rows.len();
        after = rows.last().map(|r| r.id);
        let full = rows.len() as u64 == PAGE;
        out = tokio::task::spawn_blocking(move || out.write(&rows).map(|()| out))
            .await
            .map_err(DomainError::internal)??;
        if !full {
            break;
        }
    }
    tokio::task::spawn_blocking(move || out.finish()).await.map_err(DomainError::internal)??;
    // The export itself is in the trail: who took the trail out of Kensa, and which part.
    let txn = k.begin_write().await?;
    let details = serde_json::json!({ "from": from, "to": to, "format": format.extension(), "events": events });
    crate::audit::record_action(&txn, ctx, "audit.exported", None, details).await?;
    txn.commit().await?;
    Ok(AuditExport { path, format, events })
}
