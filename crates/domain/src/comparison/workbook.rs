//! The export's two file formats, written on a blocking thread from pages of rows.
//!
//! CSV: UTF-8 with a byte-order mark and CRLF (Excel reads Japanese correctly), every text
//! cell through [`crate::export::neutralise_cell`]. XLSX: a summary sheet (one row per
//! supplier, the achieved level green when the target is met and red when not), a category
//! sheet (the heat map, a three-colour scale), and for small exports one sheet per supplier
//! with its answers and a radar chart of its categories. Text goes into typed string cells,
//! which Excel never evaluates; it is neutralised all the same, so both files read alike.

use std::io::Write;
use std::path::Path;

use rust_xlsxwriter::{
    Chart, ChartType, ConditionalFormat3ColorScale, Format, FormatAlign, Workbook, Worksheet, XlsxError,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use tokio::sync::mpsc::Receiver;
use uuid::Uuid;

use super::export::{ExportRow, Layout};
use crate::Kensa;
use crate::entities::answers;
use crate::error::{DomainError, DomainResult};
use crate::export::{CsvOut, neutralise_cell};

/// One answer as a supplier sheet shows it.
pub(crate) struct AnswerLine {
    pub no: u32,
    pub level: u8,
    pub category: u32,
    pub question: String,
    pub status: String,
    pub remediation_plan: String,
    pub remediation_due: String,
}

/// The in-scope items of the template with the assessment's answers, in template order.
pub(crate) async fn answer_lines(k: &Kensa, assessment: Uuid, template: Uuid) -> DomainResult<Vec<AnswerLine>> {
    let content = k.template_contents.load(&k.db, template).await?;
    let given: std::collections::HashMap<i32, answers::Model> = answers::Entity::find()
        .filter(answers::Column::AssessmentId.eq(assessment))
        .order_by_asc(answers::Column::ItemNo)
        .all(&k.db)
        .await?
        .into_iter()
        .map(|a| (a.item_no, a))
        .collect();
    Ok(content
        .0
        .items()
        .map(|(c, _, item)| {
            let answer = i32::try_from(item.no).ok().and_then(|no| given.get(&no));
            AnswerLine {
                no: item.no,
                level: item.level,
                category: c.number,
                question: item.question.clone(),
                status: answer.map(|a| a.status.clone()).unwrap_or_default(),
                remediation_plan: answer.and_then(|a| a.remediation_plan.clone()).unwrap_or_default(),
                remediation_due: answer.and_then(|a| a.remediation_due).map(|d| d.to_string()).unwrap_or_default(),
            }
        })
        .collect())
}

/// The columns every row has, before the categories.
const HEADER: [&str; 17] = [
    "supplier_id",
    "supplier_name",
    "tier",
    "tags",
    "target_level",
    "template_id",
    "status",
    "due_date",
    "overdue",
    "answered",
    "total",
    "scored_assessment_id",
    "submitted_at",
    "overall",
    "achieved_level",
    "meets_target",
    "level1",
];

fn fraction(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The text cells of a row, in [`HEADER`] order then `level2`, `level3` and the categories.
fn cells(r: &ExportRow, layout: &Layout) -> Vec<String> {
    let (row, score) = (&r.row, r.row.score.as_ref());
    let mut out = vec![
        row.supplier.id.to_string(),
        row.supplier.name.clone(),
        row.supplier.tier.clone().unwrap_or_default(),
        row.supplier.tags.join(";"),
        row.supplier.target_level.to_string(),
        row.template_id.to_string(),
        row.assessment.status.as_str().to_owned(),
        row.assessment.due_date.to_string(),
        row.assessment.overdue.to_string(),
        row.assessment.progress.answered.to_string(),
        row.assessment.progress.total.to_string(),
        score.map(|s| s.assessment_id.to_string()).unwrap_or_default(),
        score.and_then(|s| s.submitted_at).map(|t| t.to_rfc3339()).unwrap_or_default(),
        fraction(score.and_then(|s| s.overall)),
        score.map(|s| s.achieved_level.to_string()).unwrap_or_default(),
        score.map(|s| s.meets_target.to_string()).unwrap_or_default(),
    ];
    for level in 1..=3 {
        out.push(fraction(score.and_then(|s| s.levels.get(level).copied().flatten())));
    }
    out.extend(layout.columns.iter().map(|c| fraction(r.categories.get(&c.number).copied().flatten())));
    out.extend(shared_cells(r.row.shared.as_ref()));
    out
}

/// The columns after the categories: what the supplier shared for the row (see
/// [`crate::shares::ComparisonShared`]), blank when nothing is.
const SHARED_HEADER: [&str; 5] =
    ["shared_share_id", "shared_kind", "shared_answers_of", "shared_overall", "shared_achieved_level"];

fn shared_cells(shared: Option<&crate::shares::ComparisonShared>) -> [String; 5] {
    let Some(s) = shared else { return Default::default() };
    let figures = s.score.as_ref();
    [
        s.share_id.to_string(),
        s.kind.as_str().to_owned(),
        s.submitted_at.unwrap_or(s.shared_at).to_rfc3339(),
        fraction(figures.and_then(|f| f.overall)),
        figures.map(|f| f.achieved_level.to_string()).unwrap_or_default(),
    ]
}

fn header(layout: &Layout) -> Vec<String> {
    let mut out: Vec<String> = HEADER.iter().map(|h| (*h).to_owned()).collect();
    out.extend(["level2".to_owned(), "level3".to_owned()]);
    out.extend(layout.columns.iter().map(|c| format!("category_{}", c.number)));
    out.extend(SHARED_HEADER.iter().map(|h| (*h).to_owned()));
    out
}

pub(crate) fn write_csv(file: std::fs::File, layout: &Layout, mut rx: Receiver<Vec<ExportRow>>) -> DomainResult<()> {
    let mut writer = CsvOut::new(std::io::BufWriter::new(file), header(layout))?;
    while let Some(page) = rx.blocking_recv() {
        for r in &page {
            writer.row(cells(r, layout))?;
        }
    }
    writer.finish()?.flush().map_err(DomainError::internal)
}

fn xlsx(e: XlsxError) -> DomainError {
    DomainError::internal(format!("writing the workbook: {e}"))
}

struct Formats {
    bold: Format,
    percent: Format,
    met: Format,
    missed: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            bold: Format::new().set_bold(),
            percent: Format::new().set_num_format("0.0%"),
            met: Format::new().set_background_color("C6EFCE").set_align(FormatAlign::Center),
            missed: Format::new().set_background_color("FFC7CE").set_align(FormatAlign::Center),
        }
    }
}

const SUMMARY_HEADER: [&str; 15] = [
    "Supplier",
    "Tier",
    "Target level",
    "Status",
    "Due date",
    "Overdue",
    "Progress",
    "Overall",
    "Lv1",
    "Lv2",
    "Lv3",
    "Achieved level",
    "Shared: answers of",
    "Shared: overall",
    "Shared: achieved level",
];

fn write_text(sheet: &mut Worksheet, row: u32, col: u16, text: &str) -> Result<(), XlsxError> {
    sheet.write_string(row, col, neutralise_cell(text).as_ref())?;
    Ok(())
}

fn write_fraction(sheet: &mut Worksheet, row: u32, col: u16, value: Option<f64>, f: &Formats) -> Result<(), XlsxError> {
    if let Some(v) = value {
        sheet.write_number_with_format(row, col, v, &f.percent)?;
    }
    Ok(())
}

fn summary_line(sheet: &mut Worksheet, row: u32, r: &ExportRow, f: &Formats) -> Result<(), XlsxError> {
    let (c, a, score) = (&r.row.supplier, &r.row.assessment, r.row.score.as_ref());
    write_text(sheet, row, 0, &c.name)?;
    write_text(sheet, row, 1, c.tier.as_deref().unwrap_or(""))?;
    sheet.write_number(row, 2, c.target_level)?;
    write_text(sheet, row, 3, a.status.as_str())?;
    write_text(sheet, row, 4, &a.due_date.to_string())?;
    write_text(sheet, row, 5, if a.overdue { "overdue" } else { "" })?;
    write_text(sheet, row, 6, &format!("{}/{}", a.progress.answered, a.progress.total))?;
    write_fraction(sheet, row, 7, score.and_then(|s| s.overall), f)?;
    for level in 1..=3u8 {
        write_fraction(
            sheet,
            row,
            7 + u16::from(level),
            score.and_then(|s| s.levels.get(level).copied().flatten()),
            f,
        )?;
    }
    if let Some(s) = score {
        let format = if s.meets_target { &f.met } else { &f.missed };
        sheet.write_number_with_format(row, 11, s.achieved_level, format)?;
    }
    if let Some(shared) = &r.row.shared {
        write_text(sheet, row, 12, &shared.submitted_at.unwrap_or(shared.shared_at).to_rfc3339())?;
        if let Some(figures) = &shared.score {
            write_fraction(sheet, row, 13, figures.overall, f)?;
            sheet.write_number(row, 14, figures.achieved_level)?;
        }
    }
    Ok(())
}

fn category_line(
    sheet: &mut Worksheet,
    row: u32,
    r: &ExportRow,
    layout: &Layout,
    f: &Formats,
) -> Result<(), XlsxError> {
    write_text(sheet, row, 0, &r.row.supplier.name)?;
    for (i, c) in layout.columns.iter().enumerate() {
        let col = u16::try_from(i + 1).unwrap_or(u16::MAX);
        write_fraction(sheet, row, col, r.categories.get(&c.number).copied().flatten(), f)?;
    }
    Ok(())
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`, unique by number.
fn sheet_name(index: usize, supplier: &str) -> String {
    let clean: String = supplier.chars().filter(|c| !"[]:*?/\\'".contains(*c)).take(24).collect();
    format!("{:02} {}", index + 1, clean.trim())
}

fn supplier_sheet(
    workbook: &mut Workbook,
    index: usize,
    r: &ExportRow,
    layout: &Layout,
    f: &Formats,
) -> Result<(), XlsxError> {
    let name = sheet_name(index, &r.row.supplier.name);
    let sheet = workbook.add_worksheet().set_name(&name)?;
    write_text(sheet, 0, 0, &r.row.supplier.name)?;
    sheet.set_row_format(0, &f.bold)?;
    // The categories first (the chart reads them), then the answers.
    sheet.write_string_with_format(2, 0, "Category", &f.bold)?;
    sheet.write_string_with_format(2, 1, "Achievement", &f.bold)?;
    for (i, c) in layout.columns.iter().enumerate() {
        let row = u32::try_from(i + 3).unwrap_or(u32::MAX);
        write_text(sheet, row, 0, &format!("{} {}", c.number, c.name))?;
        write_fraction(sheet, row, 1, r.categories.get(&c.number).copied().flatten(), f)?;
    }
    let last = u32::try_from(layout.columns.len() + 2).unwrap_or(u32::MAX);
    let top = last + 2;
    for (col, title) in
        ["No.", "Level", "Category", "Requirement", "Answer", "Remediation plan", "Planned"].iter().enumerate()
    {
        sheet.write_string_with_format(top, u16::try_from(col).unwrap_or(0), *title, &f.bold)?;
    }
    for (i, a) in r.answers.iter().flatten().enumerate() {
        let row = top + 1 + u32::try_from(i).unwrap_or(u32::MAX);
        sheet.write_number(row, 0, a.no)?;
        sheet.write_number(row, 1, a.level)?;
        sheet.write_number(row, 2, a.category)?;
        write_text(sheet, row, 3, &a.question)?;
        write_text(sheet, row, 4, &a.status)?;
        write_text(sheet, row, 5, &a.remediation_plan)?;
        write_text(sheet, row, 6, &a.remediation_due)?;
    }
    sheet.set_column_width(0, 28)?;
    sheet.set_column_width(3, 60)?;
    if !layout.columns.is_empty() {
        let mut chart = Chart::new(ChartType::Radar);
        chart.add_series().set_name(name.as_str()).set_categories((name.as_str(), 3, 0, last, 0)).set_values((
            name.as_str(),
            3,
            1,
            last,
            1,
        ));
        chart.title().set_name("Achievement by category");
        chart.legend().set_hidden();
        sheet.insert_chart(1, 3, &chart)?;
    }
    Ok(())
}

pub(crate) fn write_xlsx(path: &Path, layout: &Layout, mut rx: Receiver<Vec<ExportRow>>) -> DomainResult<()> {
    let f = Formats::new();
    let mut workbook = Workbook::new();
    let mut kept = Vec::new();
    let mut rows: u32 = 0;
    {
        let summary = workbook.add_worksheet_with_constant_memory().map_err(xlsx)?.set_name("Summary").map_err(xlsx)?;
        for (col, title) in SUMMARY_HEADER.iter().enumerate() {
            summary.write_string_with_format(0, u16::try_from(col).unwrap_or(0), *title, &f.bold).map_err(xlsx)?;
        }
        summary.set_column_width(0, 32).map_err(xlsx)?;
        summary.set_freeze_panes(1, 1).map_err(xlsx)?;
    }
    {
        let categories =
            workbook.add_worksheet_with_constant_memory().map_err(xlsx)?.set_name("Categories").map_err(xlsx)?;
        categories.write_string_with_format(0, 0, "Supplier", &f.bold).map_err(xlsx)?;
        for (i, c) in layout.columns.iter().enumerate() {
            let col = u16::try_from(i + 1).unwrap_or(u16::MAX);
            categories.write_string_with_format(0, col, format!("{} {}", c.number, c.name), &f.bold).map_err(xlsx)?;
        }
        categories.set_column_width(0, 32).map_err(xlsx)?;
        categories.set_freeze_panes(1, 1).map_err(xlsx)?;
    }
    while let Some(page) = rx.blocking_recv() {
        for r in page {
            rows += 1;
            summary_line(workbook.worksheet_from_index(0).map_err(xlsx)?, rows, &r, &f).map_err(xlsx)?;
            category_line(workbook.worksheet_from_index(1).map_err(xlsx)?, rows, &r, layout, &f).map_err(xlsx)?;
            if layout.per_supplier {
                kept.push(r);
            }
        }
    }
    if rows > 0 && !layout.columns.is_empty() {
        let scale = ConditionalFormat3ColorScale::new()
            .set_minimum_color("F8696B")
            .set_midpoint_color("FFEB84")
            .set_maximum_color("63BE7B");
        let last_col = u16::try_from(layout.columns.len()).unwrap_or(u16::MAX);
        workbook
            .worksheet_from_index(1)
            .map_err(xlsx)?
            .add_conditional_format(1, 1, rows, last_col, &scale)
            .map_err(xlsx)?;
    }
    for (i, r) in kept.iter().enumerate() {
        supplier_sheet(&mut workbook, i, r, layout, &f).map_err(xlsx)?;
    }
    workbook.save(path).map_err(xlsx)?;
    Ok(())
}
