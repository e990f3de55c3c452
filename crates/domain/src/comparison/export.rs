//! `GET /api/v1/comparison/export`: the comparison with the same filters and sort, as a CSV
//! or an Excel workbook, spooled to a temporary file. Pages of 200 rows are read from the
//! database and handed through a channel of two pages to a blocking writer thread, so the
//! memory an export holds is bounded by the page size, not by the number of suppliers; the
//! workbook's big sheets use rust_xlsxwriter's constant-memory mode (rows go to disk).

use std::collections::HashMap;

use tracing::instrument;
use uuid::Uuid;

use super::model::{ComparisonCategory, ComparisonFilter, ComparisonRequest, ComparisonRow, ComparisonSort, SortOrder};
use super::{repo, service, workbook};
use crate::Kensa;
use crate::error::{DomainError, DomainResult};
use crate::tenant::TenantCtx;

/// Rows read per database page.
const PAGE: u64 = 200;
/// Up to this many rows, the workbook also has one sheet per supplier with its answers.
pub const SHEETS_PER_SUPPLIER_UP_TO: usize = 50;

crate::closed_set::closed_set! {
    /// The file an export is written as.
    pub enum ExportFormat("export format") { Csv => "csv", Xlsx => "xlsx" }
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// One comparison row with what the files show besides it.
pub(crate) struct ExportRow {
    pub row: ComparisonRow,
    /// Category number → achievement of the scored assessment.
    pub categories: HashMap<u32, Option<f64>>,
    /// The scored (else current) assessment's answers, only for a small workbook.
    pub answers: Option<Vec<workbook::AnswerLine>>,
}

/// What the writer needs before the first row.
pub(crate) struct Layout {
    pub format: ExportFormat,
    pub columns: Vec<ComparisonCategory>,
    /// Every row fits the first page and there are at most [`SHEETS_PER_SUPPLIER_UP_TO`].
    pub per_supplier: bool,
}

/// The finished file, deleted when dropped.
pub struct ExportFile {
    pub path: tempfile::TempPath,
    pub format: ExportFormat,
    pub rows: usize,
}

/// Writes the export and returns the file. The filters and sort are those of the list; the
/// page size and cursor are the export's own.
#[instrument(skip_all, fields(org = %ctx.org_id(), format = format.as_str()))]
pub async fn export(
    k: &Kensa,
    ctx: &TenantCtx,
    filter: ComparisonFilter,
    sort: (Option<ComparisonSort>, Option<SortOrder>, Option<i32>),
    format: ExportFormat,
) -> DomainResult<ExportFile> {
    let request =
        |cursor: Option<String>| ComparisonRequest::parse(filter.clone(), sort.0, sort.1, sort.2, Some(PAGE), cursor);
    let mut page = service::list(k, ctx, &request(None)?).await?;
    let templates = super::aggregate::templates_of(&k.db, ctx, &filter, k.today()).await?;
    let columns = service::categories_of(k, ctx, filter.template_id, templates).await?;
    let per_supplier = page.next_cursor.is_none() && page.rows.len() <= SHEETS_PER_SUPPLIER_UP_TO;
    let layout = Layout { format, columns, per_supplier };
    let (handle, path) = tempfile::NamedTempFile::new().map_err(DomainError::internal)?.into_parts();
    let target = path.to_path_buf();
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<ExportRow>>(2);
    let writer = tokio::task::spawn_blocking(move || match layout.format {
        ExportFormat::Csv => workbook::write_csv(handle, &layout, rx),
        ExportFormat::Xlsx => workbook::write_xlsx(&target, &layout, rx),
    });
    let mut rows = 0;
    loop {
        let next = page.next_cursor.take();
        let rows_of_page: Vec<ComparisonRow> = page.rows.into_iter().map(|(_, row)| row).collect();
        rows += rows_of_page.len();
        let batch = enrich(k, rows_of_page, per_supplier).await?;
        if tx.send(batch).await.is_err() {
            break; // The writer stopped: its error is reported below.
        }
        match next {
            Some(cursor) => page = service::list(k, ctx, &request(Some(cursor))?).await?,
            None => break,
        }
    }
    drop(tx);
    writer.await.map_err(DomainError::internal)??;
    Ok(ExportFile { path, format, rows })
}

/// The categories of each row's scored assessment and, for a small workbook, its answers.
async fn enrich(k: &Kensa, rows: Vec<ComparisonRow>, with_answers: bool) -> DomainResult<Vec<ExportRow>> {
    let scored: Vec<Uuid> = rows.iter().filter_map(|r| r.score.as_ref().map(|s| s.assessment_id)).collect();
    let mut achievements = repo::category_achievements(&k.db, scored).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let scored = row.score.as_ref().map(|s| s.assessment_id);
        let categories = scored.and_then(|id| achievements.remove(&id)).unwrap_or_default();
        let answers = match with_answers {
            true => Some(workbook::answer_lines(k, scored.unwrap_or(row.assessment.id), row.template_id).await?),
            false => None,
        };
        out.push(ExportRow { row, categories, answers });
    }
    Ok(out)
}
