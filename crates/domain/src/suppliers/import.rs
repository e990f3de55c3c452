//! `POST /api/v1/suppliers/import`: a CSV of suppliers, UTF-8 (with or without BOM) or
//! Shift_JIS as Japanese procurement systems export it. Rows with a known contact email
//! update that supplier; others create one. Any rejected row means nothing is imported,
//! unless the caller asks for a partial import.

use crate::error::ErrorCode;
use std::collections::HashMap;

use sea_orm::EntityTrait;
use serde::Serialize;
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::model::{Supplier, SupplierFields, SupplierInput};
use super::repo;
use crate::Kensa;
use crate::entities::suppliers;
use crate::error::{DomainError, DomainResult, FieldError, OnUnique};
use crate::tenant::EditorCtx;

pub const MAX_ROWS: usize = 10_000;
/// The CSV columns, in the order Kensa writes them; the one list for import and export.
/// `contact_locale` (`ja` or `en`, empty → `ja`) is the language of the mails to the contact.
pub const HEADER: [&str; 7] =
    ["name", "contact_name", "contact_email", "contact_locale", "tier", "target_level", "tags"];

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RejectedRow {
    /// Line number in the file (the header is line 1).
    pub line: usize,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub rejected: Vec<RejectedRow>,
    /// False when rejected rows stopped the whole import.
    pub applied: bool,
}

/// UTF-8 (a BOM is dropped) or, failing that, Shift_JIS (Windows-31J).
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_owned());
    }
    let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    if had_errors { Err("the file is neither UTF-8 nor Shift_JIS".into()) } else { Ok(text.into_owned()) }
}

struct ParsedRow {
    line: usize,
    /// Kept to apply over an existing supplier: columns the file leaves out or empty keep
    /// the stored values.
    input: SupplierInput,
    fields: SupplierFields,
}

fn parse_rows(text: &str) -> DomainResult<(Vec<ParsedRow>, Vec<RejectedRow>)> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| DomainError::validation("file", ErrorCode::InvalidCsv, e.to_string()))?
        .iter()
        .map(|h| h.to_lowercase())
        .collect();
    let position: HashMap<&str, usize> =
        HEADER.iter().filter_map(|name| header.iter().position(|h| h == name).map(|i| (*name, i))).collect();
    let missing: Vec<&str> = ["name", "contact_email"].into_iter().filter(|n| !position.contains_key(n)).collect();
    if !missing.is_empty() {
        return Err(DomainError::validation(
            "file",
            ErrorCode::InvalidHeader,
            format!("the header must name {} (columns: {})", missing.join(", "), HEADER.join(",")),
        ));
    }
    let (mut rows, mut rejected) = (Vec::new(), Vec::new());
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        if index >= MAX_ROWS {
            return Err(DomainError::validation("file", ErrorCode::TooManyRows, format!("at most {MAX_ROWS} rows")));
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                rejected.push(RejectedRow { line, reason: e.to_string() });
                continue;
            }
        };
        // A cell Kensa's export neutralised (`'=…`) reads back as the value it was.
        let get = |name: &str| {
            position
                .get(name)
                .and_then(|i| record.get(*i))
                .map(|v| crate::export::restore_cell(v).to_owned())
                .filter(|v| !v.is_empty())
        };
        let target_level = match get("target_level").map(|v| v.parse::<i32>()) {
            Some(Err(_)) => {
                rejected.push(RejectedRow { line, reason: "target_level: must be 1, 2 or 3".into() });
                continue;
            }
            Some(Ok(level)) => Some(level),
            None => None,
        };
        let input = SupplierInput {
            name: Some(get("name").unwrap_or_default()),
            contact_name: get("contact_name"),
            contact_email: Some(get("contact_email").unwrap_or_default()),
            contact_locale: get("contact_locale").map(|l| l.to_lowercase()),
            tier: get("tier"),
            target_level,
            tags: get("tags").map(|t| t.split([';', ',']).map(str::to_owned).collect()),
            ..SupplierInput::default()
        };
        match SupplierFields::parse(input.clone(), None, "") {
            Ok(fields) => rows.push(ParsedRow { line, input, fields }),
            Err(errors) => rejected.push(RejectedRow { line, reason: reasons(&errors) }),
        }
    }
    Ok((rows, rejected))
}

fn reasons(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

/// A file read and checked, before anything is looked up or written.
pub struct ParsedFile {
    rows: Vec<ParsedRow>,
    /// Rows refused by the file alone (shape, values, an email twice), by line.
    pub rejected: Vec<RejectedRow>,
}

impl ParsedFile {
    /// Rows that may be applied.
    pub fn accepted(&self) -> usize {
        self.rows.len()
    }
}

/// Everything the import checks without a database: the encoding, the header, every row's
/// values, and the same email twice in one file (the later row is refused rather than
/// silently winning). Pure, so the fuzz target `supplier_csv` calls exactly this.
pub fn parse_file(bytes: &[u8]) -> DomainResult<ParsedFile> {
    let text = decode(bytes).map_err(|e| DomainError::validation("file", ErrorCode::InvalidEncoding, e))?;
    let (rows, mut rejected) = parse_rows(&text)?;
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut unique = Vec::with_capacity(rows.len());
    for row in rows {
        match first_line.get(&row.fields.contact_email) {
            Some(first) => {
                rejected.push(RejectedRow { line: row.line, reason: format!("contact_email: already on line {first}") })
            }
            None => {
                first_line.insert(row.fields.contact_email.clone(), row.line);
                unique.push(row);
            }
        }
    }
    rejected.sort_by_key(|r| r.line);
    Ok(ParsedFile { rows: unique, rejected })
}

#[instrument(skip_all, fields(org = %editor.tenant().org_id(), bytes = bytes.len()))]
pub async fn import(k: &Kensa, editor: EditorCtx<'_>, bytes: &[u8], partial: bool) -> DomainResult<ImportReport> {
    let ctx = editor.tenant();
    let ParsedFile { rows: unique, rejected } = parse_file(bytes)?;
    if !rejected.is_empty() && !partial {
        return Ok(ImportReport { created: 0, updated: 0, rejected, applied: false });
    }
    let now = k.now();
    let txn = k.begin_write().await?;
    let existing: HashMap<String, suppliers::Model> =
        repo::all_by_email(&txn, ctx).await?.into_iter().map(|s| (s.contact_email.clone(), s)).collect();
    let (mut created, mut updated) = (Vec::new(), Vec::new());
    for row in unique {
        match existing.get(&row.fields.contact_email) {
            Some(current) => {
                let base = SupplierFields::of(&Supplier::try_from(current.clone())?);
                let fields = SupplierFields::parse(row.input, Some(&base), "").map_err(DomainError::Validation)?;
                updated.push((current.id, fields));
            }
            None => created.push(repo::row(ctx, Uuid::now_v7(), &row.fields, now)),
        }
    }
    for chunk in created.chunks(500) {
        suppliers::Entity::insert_many(chunk.iter().cloned().map(suppliers::ActiveModel::from))
            .exec_without_returning(&txn)
            .await
            .on_unique(
                ErrorCode::SupplierEmailTaken,
                "another import or request registered one of these emails meanwhile; retry",
            )?;
    }
    for (id, fields) in &updated {
        repo::update_fields(&txn, ctx, *id, fields, now).await?;
    }
    crate::audit::record_action(
        &txn,
        ctx,
        "supplier.imported",
        None,
        json!({ "created": created.len(), "updated": updated.len(), "rejected": rejected.len() }),
    )
    .await?;
    txn.commit().await?;
    Ok(ImportReport { created: created.len(), updated: updated.len(), rejected, applied: true })
}
