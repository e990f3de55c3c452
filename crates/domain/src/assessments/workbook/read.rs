//! Reading a filled workbook back: the hidden sheet must name this assessment at its
//! current version; the check sheet is found by its headers (any order, either language);
//! every cell is checked with the JSON API's rules; all answers are saved or none, and every
//! problem is reported as `Sheet!J14` with the item's number.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};
use chrono::NaiveDate;
use tracing::instrument;
use uuid::Uuid;

use super::layout::{self, Column, META_FORMAT, META_FORMAT_QUOTED, META_MARK, META_SHEET, cell_name};
use crate::Kensa;
use crate::assessments::answers::{self, violations};
use crate::assessments::model::{Answer, AnswerInput};
use crate::assessments::{access, repo};
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::export::restore_cell;
use crate::precondition::IfMatch;
use crate::templates::AnswerScale;
use crate::tenant::TenantCtx;
use crate::users::Locale;

/// What one part of the archive may unpack to, and all of them together: a filled check
/// sheet unpacks to well under 2 MiB.
const PART_LIMIT: u64 = 32 * 1024 * 1024;
const TOTAL_LIMIT: u64 = 64 * 1024 * 1024;
const MAX_PARTS: usize = 1_000;
/// Cells read from the check sheet: rows and columns beyond are refused, not allocated.
const MAX_ROWS: u32 = 5_000;
const MAX_COLUMNS: u16 = 100;
/// The most characters a spreadsheet cell holds (Excel's limit).
const MAX_CELL_CHARS: usize = 32_767;
/// The text read from one sheet: a filled check sheet holds well under 1 MiB.
const MAX_TEXT_BYTES: usize = 16 * 1024 * 1024;
/// Rows searched for the header.
const HEADER_ROWS: u32 = 20;
/// Problems reported at once (a wholly wrong sheet would otherwise list thousands).
const MAX_PROBLEMS: usize = 300;

/// A cell as read: its value, and whether it holds a formula (refused in inputs).
#[derive(Clone, Debug)]
enum Value {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
    Error(String),
}

#[derive(Clone, Debug)]
struct Cell {
    value: Value,
    formula: bool,
}

type Grid = BTreeMap<(u32, u16), Cell>;

/// What the hidden sheet says the workbook is.
struct Meta {
    /// The layout's version (`META_FORMAT`, or the older `META_FORMAT_QUOTED`).
    format: i64,
    assessment_id: Uuid,
    version: i32,
    template_hash: String,
}

/// One filled row of the check sheet.
struct Row {
    no: u32,
    input: AnswerInput,
    /// `Sheet!A5` of each column read, for the problems.
    cells: HashMap<Column, String>,
}

struct Filled {
    meta: Meta,
    sheet: String,
    rows: Vec<Row>,
    problems: Vec<FieldError>,
}

fn unreadable(detail: impl Into<String>) -> DomainError {
    DomainError::Unprocessable { code: ErrorCode::WorkbookUnreadable, detail: detail.into(), errors: Vec::new() }
}

/// Saves the answers of a filled workbook as one change (the JSON API's bulk save), after
/// checking that it is this assessment's, at its current version, and every cell.
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id, bytes = bytes.len()))]
pub async fn import(
    k: &Kensa,
    ctx: &TenantCtx,
    id: Uuid,
    bytes: Vec<u8>,
    if_match: IfMatch,
) -> DomainResult<(Vec<Answer>, i32)> {
    let visible = access::load(&k.db, ctx, id).await?;
    visible.answerer()?;
    visible.status()?.ensure_editable()?;
    let parsed = k.template_contents.load(&k.db, visible.row().template_id).await?;
    let scale = parsed.1.clone();
    let filled = tokio::task::spawn_blocking(move || read(&bytes, &scale)).await.map_err(DomainError::internal)??;

    let meta = &filled.meta;
    if meta.assessment_id != id {
        return Err(DomainError::Unprocessable {
            code: ErrorCode::WorkbookMismatch,
            detail: format!(
                "this workbook is for assessment {}, not {id}: download this assessment's workbook and fill that in",
                meta.assessment_id
            ),
            errors: Vec::new(),
        });
    }
    if meta.template_hash != super::write::template_hash(&parsed)? {
        return Err(DomainError::Unprocessable {
            code: ErrorCode::WorkbookMismatch,
            detail: "this workbook was written for another checklist than the assessment's".into(),
            errors: Vec::new(),
        });
    }
    let current = visible.row().version;
    if meta.version != current {
        return Err(DomainError::conflict(
            ErrorCode::WorkbookOutdated,
            format!(
                "this workbook was downloaded at version {} and the assessment is now at version {current} \
                 (it changed since): download it again and carry your changes over",
                meta.version
            ),
        ));
    }

    let in_scope = crate::assessments::service::scope(&parsed.0, visible.row().target_level);
    let mut problems = filled.problems;
    let mut seen = BTreeSet::new();
    let mut inputs = Vec::new();
    for row in filled.rows {
        let at = |c: Column| row.cells.get(&c).cloned().unwrap_or_else(|| filled.sheet.clone());
        if !in_scope.contains(&row.no) {
            problems.push(FieldError::new(
                at(Column::No),
                ErrorCode::ItemNotInScope,
                format!(
                    "No.{}: not an item of this assessment (items up to level {})",
                    row.no,
                    visible.row().target_level
                ),
            ));
            continue;
        }
        if !seen.insert(row.no) {
            problems.push(FieldError::new(
                at(Column::No),
                ErrorCode::Duplicate,
                format!("No.{} appears twice", row.no),
            ));
            continue;
        }
        for e in violations(&row.input, &parsed.1, "") {
            let column = match e.field.as_str() {
                "status" => Column::Answer,
                "reason" => Column::Reason,
                // The rule names the plan for both; a date alone is reported at its cell.
                "remediation_plan" if row.input.remediation_plan.is_none() => Column::RemediationDue,
                "remediation_plan" => Column::RemediationPlan,
                "remediation_due" => Column::RemediationDue,
                _ => Column::Remark,
            };
            problems.push(FieldError::new(at(column), e.code, format!("No.{}: {}", row.no, e.message)));
        }
        inputs.push((row.no, row.input));
    }
    if problems.is_empty() && inputs.is_empty() {
        problems.push(FieldError::new(
            filled.sheet.clone(),
            ErrorCode::Required,
            "no answers: choose an answer in the 回答 / Answer column of at least one item",
        ));
    }
    if !problems.is_empty() {
        return Err(DomainError::Validation(bounded(problems)));
    }
    // Without If-Match the workbook's own version is the precondition, checked under the
    // assessment's row lock like any save.
    let if_match = if if_match == IfMatch::Absent { IfMatch::Version(meta.version) } else { if_match };
    // A row that says what is saved is left alone: the file uploaded again unchanged changes
    // nothing (no new version), and a carried-over answer stays to be confirmed.
    let saved = repo::answers(&k.db, &visible).await?;
    let now = k.now();
    inputs.retain(|(no, input)| {
        let old = i32::try_from(*no).ok().and_then(|n| saved.get(&n));
        !old.is_some_and(|old| {
            let row = answers::answer_row(ctx, now, (id, old.item_no), input.clone(), old.carried_over, Some(old));
            answers::same_answer(old, &row)
        })
    });
    if inputs.is_empty() {
        if_match.check(k.require_if_match, current)?;
        return Ok((Vec::new(), current));
    }
    answers::save(k, ctx, id, inputs, if_match, false).await
}

fn bounded(mut problems: Vec<FieldError>) -> Vec<FieldError> {
    if problems.len() > MAX_PROBLEMS {
        let more = problems.len() - MAX_PROBLEMS;
        problems.truncate(MAX_PROBLEMS);
        problems.push(FieldError::new("workbook", ErrorCode::TooMany, format!("and {more} more problems")));
    }
    problems
}

/// The whole file, on a blocking thread: archive bounds, the hidden sheet, the check sheet.
fn read(bytes: &[u8], scale: &AnswerScale) -> DomainResult<Filled> {
    check_archive(bytes)?;
    let mut book: Xlsx<Cursor<&[u8]>> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(format!("not an Excel workbook (.xlsx): {e}")))?;
    let names = book.sheet_names();
    if !names.iter().any(|n| n == META_SHEET) {
        return Err(unreadable(format!(
            "this workbook was not downloaded from Kensa (its hidden sheet {META_SHEET} is missing): \
             download the assessment's workbook, fill it in and upload that"
        )));
    }
    let meta = read_meta(&grid(&mut book, META_SHEET, 40, 10)?)?;
    // The check sheet under either language's name first, then any other sheet with the
    // header row (a renamed or copied sheet).
    let mut order: Vec<String> = names
        .iter()
        .filter(|n| [Locale::Ja, Locale::En].iter().any(|l| layout::items_sheet(*l) == n.as_str()))
        .cloned()
        .collect();
    let others: Vec<String> =
        names.iter().filter(|n| n.as_str() != META_SHEET && !order.contains(n)).cloned().collect();
    order.extend(others);
    // The first sheet headed with every answer column; failing that, the first with No. and
    // 回答, whose missing columns are then reported.
    let mut partial = None;
    for name in order {
        let mut cells = grid(&mut book, &name, MAX_ROWS, MAX_COLUMNS)?;
        if meta.format == META_FORMAT_QUOTED {
            unquote(&mut cells);
        }
        match header_row(&cells) {
            Some((header, true)) => return Ok(filled(meta, name, &cells, header, scale)),
            Some((header, false)) if partial.is_none() => partial = Some((name, cells, header)),
            _ => {}
        }
    }
    if let Some((name, cells, header)) = partial {
        return Ok(filled(meta, name, &cells, header, scale));
    }
    Err(unreadable(
        "no sheet has a header row with No. and 回答 / Answer: keep the check sheet's header row (the columns may be \
         in any order, headed in Japanese or English)",
    ))
}

/// Every part of the archive unpacked once into nothing, counting what it really holds (the
/// sizes a zip declares may lie).
fn check_archive(bytes: &[u8]) -> DomainResult<()> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| unreadable(format!("not an Excel workbook (.xlsx): {e}")))?;
    if archive.len() > MAX_PARTS {
        return Err(unreadable(format!("the workbook has more than {MAX_PARTS} parts")));
    }
    let mut total = 0u64;
    for i in 0..archive.len() {
        let part = archive.by_index(i).map_err(|e| unreadable(format!("a part of the workbook is unreadable: {e}")))?;
        if part.is_dir() {
            continue;
        }
        let name = String::from_utf8_lossy(part.name_raw()).into_owned();
        let size = std::io::copy(&mut part.take(PART_LIMIT + 1), &mut std::io::sink())
            .map_err(|e| unreadable(format!("{name} is unreadable: {e}")))?;
        total += size;
        if size > PART_LIMIT || total > TOTAL_LIMIT {
            return Err(unreadable(format!(
                "the workbook unpacks to more than {} MiB: upload the check sheet alone",
                TOTAL_LIMIT / 1024 / 1024
            )));
        }
    }
    Ok(())
}

/// The cells of a sheet within `rows` × `columns`, read one by one; a value beyond is refused
/// with its address rather than allocated, and so is a text longer than a spreadsheet cell
/// holds or more text than a check sheet has (a large shared string repeated in every cell
/// would otherwise be copied into each).
fn grid(book: &mut Xlsx<Cursor<&[u8]>>, sheet: &str, rows: u32, columns: u16) -> DomainResult<Grid> {
    let unreadable_sheet = |e: calamine::XlsxError| unreadable(format!("sheet {sheet} is unreadable: {e}"));
    let mut reader = book.worksheet_cells_reader(sheet).map_err(unreadable_sheet)?;
    let mut out = Grid::new();
    let mut kept = 0usize;
    // With formula metadata, not expanded formula texts: a shared formula is known as one by
    // its index alone (expanding makes calamine keep a table as long as the largest index).
    while let Some(cell) = reader.next_cell_with_formula_metadata().map_err(unreadable_sheet)? {
        let (row, col) = cell.pos;
        let formula = cell.formula.is_some();
        let text = match &cell.value {
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Some(s.as_str()),
            DataRef::SharedString(s) => Some(*s),
            _ => None,
        };
        // A cell holding only spaces is an empty one.
        let empty = matches!(cell.value, DataRef::Empty) || text.is_some_and(|t| t.trim().is_empty());
        if empty && !formula {
            continue;
        }
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        let at = || cell_name(row, col);
        if row >= rows || col >= columns {
            return Err(unreadable(format!(
                "sheet {sheet} has a value at {}, beyond the check sheet (at most {rows} rows and {columns} columns)",
                at()
            )));
        }
        if let Some(t) = text {
            // A text has no more characters than bytes: only a long one is counted (and the
            // first too long is refused, so no text is counted twice).
            if t.len() > MAX_CELL_CHARS && t.chars().count() > MAX_CELL_CHARS {
                return Err(unreadable(format!(
                    "{sheet}!{} holds more than {MAX_CELL_CHARS} characters, more than a spreadsheet cell can",
                    at()
                )));
            }
            kept += t.len();
            if kept > MAX_TEXT_BYTES {
                return Err(unreadable(format!(
                    "sheet {sheet} holds more than {} MiB of text (at {}): upload the check sheet alone",
                    MAX_TEXT_BYTES / 1024 / 1024,
                    at()
                )));
            }
        }
        let value = match cell.value {
            DataRef::Empty => Value::Text(String::new()),
            DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Value::Text(s),
            DataRef::SharedString(s) => Value::Text(s.to_owned()),
            DataRef::Int(i) => Value::Number(i as f64),
            DataRef::Float(f) => Value::Number(f),
            DataRef::Bool(b) => Value::Bool(b),
            DataRef::DateTime(d) => match d.as_datetime() {
                Some(dt) => Value::Date(dt.date()),
                None => Value::Number(d.as_f64()),
            },
            DataRef::Error(e) => Value::Error(e.to_string()),
        };
        out.insert((row, col), Cell { value, formula });
    }
    Ok(out)
}

/// A workbook of the older layout wrote a formula-like text with a leading `'`: the text as
/// it was saved.
fn unquote(cells: &mut Grid) {
    for cell in cells.values_mut() {
        if let Value::Text(t) = &mut cell.value {
            let restored = restore_cell(t);
            if restored.len() != t.len() {
                *t = restored.to_owned();
            }
        }
    }
}

fn text_of(cell: Option<&Cell>) -> String {
    match cell.map(|c| &c.value) {
        Some(Value::Text(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Date(d)) => d.to_string(),
        Some(Value::Bool(b)) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Some(Value::Error(e)) => e.clone(),
        None => String::new(),
    }
}

fn read_meta(cells: &Grid) -> DomainResult<Meta> {
    let not_kensa = || unreadable(format!("the hidden sheet {META_SHEET} is not Kensa's: download the workbook again"));
    if text_of(cells.get(&(0, 0))) != META_MARK {
        return Err(not_kensa());
    }
    let format = text_of(cells.get(&(0, 1)));
    let Some(format) = [META_FORMAT, META_FORMAT_QUOTED].into_iter().find(|f| f.to_string() == format) else {
        return Err(unreadable(format!(
            "this workbook's layout (version {format}) is not one Kensa reads: download it again"
        )));
    };
    let value =
        |key: &str| (1..20u32).find(|r| text_of(cells.get(&(*r, 0))) == key).map(|r| text_of(cells.get(&(r, 1))));
    Ok(Meta {
        format,
        assessment_id: value("assessment_id").and_then(|v| Uuid::parse_str(&v).ok()).ok_or_else(not_kensa)?,
        version: value("version").and_then(|v| v.parse().ok()).ok_or_else(not_kensa)?,
        template_hash: value("template_hash").ok_or_else(not_kensa)?,
    })
}

/// The first row (of the first twenty) that heads both the No. and the answer column, and
/// whether it heads every column read.
fn header_row(cells: &Grid) -> Option<(u32, bool)> {
    (0..HEADER_ROWS).find_map(|r| {
        let found: Vec<Column> =
            cells.range((r, 0)..(r, MAX_COLUMNS)).filter_map(|(_, c)| Column::by_header(&text_of(Some(c)))).collect();
        (found.contains(&Column::No) && found.contains(&Column::Answer))
            .then(|| (r, Column::READ.iter().all(|c| found.contains(c))))
    })
}

fn filled(meta: Meta, sheet: String, cells: &Grid, header: u32, scale: &AnswerScale) -> Filled {
    let (rows, problems) = rows(&sheet, cells, header, scale);
    Filled { meta, sheet, rows, problems }
}

/// The filled rows under the header, and every problem of the header and the cells.
fn rows(sheet: &str, cells: &Grid, header: u32, scale: &AnswerScale) -> (Vec<Row>, Vec<FieldError>) {
    let at = |row: u32, col: u16| format!("{sheet}!{}", cell_name(row, col));
    let mut problems = Vec::new();
    let mut columns: HashMap<Column, u16> = HashMap::new();
    for (&(_, col), cell) in cells.range((header, 0)..(header, MAX_COLUMNS)) {
        let Some(column) = Column::by_header(&text_of(Some(cell))) else { continue };
        if let Some(first) = columns.insert(column, col) {
            problems.push(FieldError::new(
                at(header, col),
                ErrorCode::Duplicate,
                format!(
                    "two columns are headed {} ({} and this one)",
                    column.header(Locale::Ja),
                    cell_name(header, first)
                ),
            ));
        }
    }
    for column in Column::READ {
        if !columns.contains_key(&column) {
            problems.push(FieldError::new(
                format!("{sheet}!{0}:{0}", header + 1),
                ErrorCode::Required,
                format!(
                    "no column is headed {} / {}: keep every answer column",
                    column.header(Locale::Ja),
                    column.header(Locale::En)
                ),
            ));
        }
    }
    if !problems.is_empty() {
        return (Vec::new(), problems);
    }
    let last_row = cells.keys().map(|(r, _)| *r).max().unwrap_or(header);
    let mut out = Vec::new();
    for r in header + 1..=last_row {
        let cell = |c: Column| columns.get(&c).and_then(|col| cells.get(&(r, *col)));
        let address = |c: Column| at(r, columns.get(&c).copied().unwrap_or_default());
        let filled: Vec<Column> = Column::READ.into_iter().filter(|c| cell(*c).is_some()).collect();
        if filled.is_empty() {
            continue;
        }
        let no_text = text_of(cell(Column::No));
        let no = no_text.trim_start_matches("No.").trim().parse::<u32>().ok().filter(|n| *n > 0);
        let item = no.map(|n| format!("No.{n}: ")).unwrap_or_default();
        let formulas: Vec<Column> = filled.iter().copied().filter(|c| cell(*c).is_some_and(|x| x.formula)).collect();
        for column in &formulas {
            problems.push(FieldError::new(
                address(*column),
                ErrorCode::FormulaNotAllowed,
                format!("{item}a formula: type the value itself (formulas are not imported)"),
            ));
        }
        if !formulas.is_empty() {
            continue;
        }
        let Some(no) = no else {
            let message = if no_text.is_empty() {
                "this row has answers but no item number".to_owned()
            } else {
                format!("\"{}\" is not an item number", short(&no_text))
            };
            problems.push(FieldError::new(address(Column::No), ErrorCode::InvalidValue, message));
            continue;
        };
        let answer = text_of(cell(Column::Answer));
        if answer.is_empty() {
            if filled.iter().any(|c| c.input()) {
                problems.push(FieldError::new(
                    address(Column::Answer),
                    ErrorCode::Required,
                    format!("No.{no}: choose an answer (the row's other cells are filled in)"),
                ));
            }
            continue;
        }
        let Some(status) = layout::status_of(scale, &answer) else {
            let choices: Vec<String> = layout::dropdown(scale, Locale::Ja);
            problems.push(FieldError::new(
                address(Column::Answer),
                ErrorCode::InvalidValue,
                format!(
                    "No.{no}: \"{}\" is not an answer of this checklist (one of {})",
                    short(&answer),
                    choices.join(", ")
                ),
            ));
            continue;
        };
        let optional = |c: Column| Some(text_of(cell(c))).filter(|t| !t.is_empty());
        // `Some(None)`: no date; `None`: a bad one, reported.
        let due = match cell(Column::RemediationDue) {
            None => Some(None),
            Some(c) => match date_of(&c.value) {
                Some(d) => Some(Some(d)),
                None => {
                    problems.push(FieldError::new(
                        address(Column::RemediationDue),
                        ErrorCode::InvalidValue,
                        format!("No.{no}: \"{}\" is not a date (YYYY-MM-DD)", short(&text_of(Some(c)))),
                    ));
                    None
                }
            },
        };
        let Some(due) = due else { continue };
        let input = AnswerInput {
            status,
            comment: optional(Column::Remark),
            reason: optional(Column::Reason),
            remediation_plan: optional(Column::RemediationPlan),
            remediation_due: due,
        };
        let cells = Column::READ.into_iter().map(|c| (c, address(c))).collect();
        out.push(Row { no, input, cells });
    }
    (out, problems)
}

/// A cell's text cut for a message.
fn short(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out
}

/// A date cell, an ISO or slashed date typed as text, or an Excel serial number.
fn date_of(value: &Value) -> Option<NaiveDate> {
    match value {
        Value::Date(d) => Some(*d),
        Value::Text(t) => {
            let t = t.trim();
            // A date with a time of day (`2027-03-31T00:00:00`, `2027/03/31 0:00:00`): the date.
            let t = t.get(..10).filter(|_| matches!(t.as_bytes().get(10), Some(b'T' | b' '))).unwrap_or(t);
            ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"].iter().find_map(|f| NaiveDate::parse_from_str(t, f).ok())
        }
        Value::Number(n) if n.fract() == 0.0 && (1.0..2_958_466.0).contains(n) => {
            NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(*n as u64))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of_zeros(size: usize) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        assert!(zip.start_file("xl/worksheets/sheet1.xml", options).is_ok());
        let chunk = vec![0u8; 1024 * 1024];
        for _ in 0..size / chunk.len() {
            assert!(zip.write_all(&chunk).is_ok());
        }
        assert!(zip.finish().is_ok());
        out.into_inner()
    }

    /// A one-sheet workbook (sheet `S`) with the given sheet data and shared strings.
    fn workbook(sheet_data: &str, shared: &[String]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut zip = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let strings: String = shared.iter().map(|t| format!("<si><t>{t}</t></si>")).collect();
        let parts = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#.to_owned(),
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned(),
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#.to_owned(),
            ),
            (
                "xl/worksheets/sheet1.xml",
                format!(r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#),
            ),
            (
                "xl/sharedStrings.xml",
                format!(r#"<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{0}" uniqueCount="{0}">{strings}</sst>"#, shared.len()),
            ),
        ];
        for (name, text) in parts {
            assert!(zip.start_file(name, options).is_ok());
            assert!(zip.write_all(text.as_bytes()).is_ok());
        }
        assert!(zip.finish().is_ok());
        out.into_inner()
    }

    fn grid_of(bytes: &[u8]) -> DomainResult<Grid> {
        let mut book: Xlsx<Cursor<&[u8]>> = Xlsx::new(Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
        grid(&mut book, "S", MAX_ROWS, MAX_COLUMNS)
    }

    fn refused_with(result: &DomainResult<Grid>, words: &str) -> bool {
        matches!(result, Err(DomainError::Unprocessable { code: ErrorCode::WorkbookUnreadable, detail, .. })
            if detail.contains(words))
    }

    #[test]
    fn a_shared_formula_with_a_huge_index_is_a_formula_not_an_allocation() {
        let data = r#"<row r="2"><c r="A2"><f t="shared" ref="A2:A3" si="4000000000000">1+1</f><v>2</v></c></row><row r="3"><c r="A3"><f t="shared" si="4000000000000"/><v>2</v></c></row>"#;
        let cells = grid_of(&workbook(data, &[]));
        let cells = cells.as_ref().map(|g| g.values().map(|c| c.formula).collect::<Vec<_>>());
        assert!(matches!(&cells, Ok(f) if f == &[true, true]), "{cells:?}");
    }

    #[test]
    fn a_text_longer_than_a_cell_or_more_text_than_a_sheet_is_refused_by_address() {
        let long = "あ".repeat(MAX_CELL_CHARS + 1);
        let one = grid_of(&workbook(r#"<row r="1"><c r="B1" t="s"><v>0</v></c></row>"#, &[long]));
        assert!(refused_with(&one, "S!B1 holds more than 32767 characters"), "{:?}", one.map(|g| g.len()));
        // A shared string within a cell's limit repeated in 2,000 cells: refused before it is
        // copied 2,000 times.
        let row: String =
            (1..=2_000).map(|r| format!(r#"<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>"#)).collect();
        let many = grid_of(&workbook(&row, &["x".repeat(MAX_CELL_CHARS)]));
        assert!(refused_with(&many, "more than 16 MiB of text"), "{:?}", many.map(|g| g.len()));
        let fine = grid_of(&workbook(r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#, &["ok".to_owned()]));
        assert!(matches!(&fine, Ok(g) if g.len() == 1), "{:?}", fine.map(|g| g.len()));
    }

    #[test]
    fn a_part_that_unpacks_past_the_limit_is_refused_before_it_is_parsed() {
        let bomb = zip_of_zeros(80 * 1024 * 1024);
        assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
        let refused = check_archive(&bomb);
        assert!(
            matches!(&refused, Err(DomainError::Unprocessable { code: ErrorCode::WorkbookUnreadable, detail, .. })
                if detail.contains("unpacks to more than")),
            "{refused:?}"
        );
        assert!(check_archive(&zip_of_zeros(1024 * 1024)).is_ok());
    }
}
