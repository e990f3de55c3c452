//! `/api/v1/comparison`: the buyer's suppliers side by side: a sorted, filtered, paged
//! table, a heatmap of categories, per-item answer counts and a portfolio summary. Any member
//! of the buyer may read them; an organization that registered no suppliers sees none.

use actix_web::{HttpResponse, web};
use kensa_domain::assessments::Status;
use kensa_domain::comparison::{
    self, ComparisonCategory, ComparisonFilter, ComparisonRequest, ComparisonRow, ComparisonSort, ComparisonSummary,
    HeatmapRow, ItemCounts, ItemSort, SortOrder,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use kensa_domain::ErrorCode;
use kensa_domain::comparison::export::ExportFormat;

use crate::error::ApiResult;
use crate::extract::{Auth, Query};
use crate::rest::evidence::FileBytes;
use crate::state::AppState;

/// Declares a query struct with the comparison's filters and `extra` fields of its own.
macro_rules! filtered_query {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize, IntoParams)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// Suppliers of exactly this tier.
            pub tier: Option<String>,
            /// Suppliers with this tag.
            pub tag: Option<String>,
            /// Suppliers with this target level in the registry.
            #[param(minimum = 1, maximum = 3)]
            pub target_level: Option<i32>,
            /// Rows whose current (newest) assessment is in this status.
            pub status: Option<Status>,
            /// Rows whose scored assessment meets (`true`) or misses (`false`) its target; rows
            /// without a submitted or accepted assessment match neither.
            pub meets_target: Option<bool>,
            /// Rows whose scored assessment achieved exactly this level (0: not level 1).
            #[param(minimum = 0, maximum = 3)]
            pub achieved_level: Option<i32>,
            /// Rows whose current assessment is (`true`) or is not (`false`) overdue.
            pub overdue: Option<bool>,
            /// With `below` (both or neither): rows whose scored achievement in this category
            /// number is below `below`.
            #[param(minimum = 1, maximum = 1000000)]
            pub category: Option<i32>,
            /// With `category`: the threshold (0–1, exclusive). Rows without a score, or whose
            /// category has no applicable item, do not match.
            #[param(minimum = 0.0, maximum = 1.0)]
            pub below: Option<f64>,
            /// Part of the supplier's name or contact email, any case (as the supplier list).
            pub q: Option<String>,
            /// Rows whose scored assessment supports at least this share (0–1) of METI SCS ★3
            /// criteria (the crosswalk's readiness view, indicative). Rows without a score, or
            /// of a checklist without the check sheet's items, do not match.
            #[param(minimum = 0.0, maximum = 1.0)]
            pub scs_star3_min: Option<f64>,
            /// The same for ★4 criteria.
            #[param(minimum = 0.0, maximum = 1.0)]
            pub scs_star4_min: Option<f64>,
        }

        impl $name {
            fn filter(&self, template_id: Option<Uuid>) -> ComparisonFilter {
                ComparisonFilter {
                    template_id,
                    tier: self.tier.clone(),
                    tag: self.tag.clone(),
                    target_level: self.target_level,
                    status: self.status,
                    meets_target: self.meets_target,
                    achieved_level: self.achieved_level,
                    overdue: self.overdue,
                    category: self.category,
                    below: self.below,
                    q: self.q.clone(),
                    scs_star3_min: self.scs_star3_min,
                    scs_star4_min: self.scs_star4_min,
                }
            }
        }
    };
}

filtered_query! {
    /// Filters, sort and page of the comparison and its heatmap.
    ComparisonQuery {
        /// Only rows of this template.
        template_id: Option<Uuid>,
        /// The sort key (default `supplier_name`). Rows without a value (no submitted or
        /// accepted assessment yet) come last in either order.
        sort: Option<ComparisonSort>,
        /// `asc` (default) or `desc`; ties go by supplier id, then template id, ascending.
        order: Option<SortOrder>,
        /// The category number `sort=category` sorts by (required with it, refused without).
        #[param(minimum = 1, maximum = 1000000)]
        sort_category: Option<i32>,
        limit: Option<u64>,
        /// `next_cursor` of the previous page, with the same `sort`, `order` and
        /// `sort_category` (another sort's cursor is refused).
        cursor: Option<String>,
    }
}

filtered_query! {
    /// The template, filters and order of the item statistics.
    ItemQuery {
        /// Required: the template whose items are counted (a built-in or the organization's).
        #[param(required = true)]
        template_id: Option<Uuid>,
        /// `number` (default) or `weakest`: the highest share of `not_implemented` first.
        sort: Option<ItemSort>,
    }
}

filtered_query! {
    /// The filters of the summary.
    SummaryQuery {
        /// Only rows of this template.
        template_id: Option<Uuid>,
    }
}

impl ComparisonQuery {
    /// The checked request (422 naming every field at fault); pure, so it is fuzzed as is.
    pub fn request(self) -> kensa_domain::DomainResult<ComparisonRequest> {
        let filter = self.filter(self.template_id);
        ComparisonRequest::parse(filter, self.sort, self.order, self.sort_category, self.limit, self.cursor)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonPage {
    pub data: Vec<ComparisonRow>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeatmapPage {
    pub data: Vec<HeatmapRow>,
    /// The columns: the categories of `template_id` when given, else those of the page's
    /// templates, by number.
    pub categories: Vec<ComparisonCategory>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemStatsList {
    pub template_id: Uuid,
    /// Scored assessments counted: one per matching supplier with a submitted or accepted
    /// assessment of the template.
    pub suppliers: u64,
    /// Every item of the template.
    pub data: Vec<ItemCounts>,
    /// Always null: every item is in `data`.
    pub next_cursor: Option<String>,
}

/// Compare suppliers
///
/// One row per (supplier, template) the organization has sent: the supplier, its current
/// (newest) assessment with progress, and the figures of its newest submitted or accepted
/// assessment (`score`, null before the first submission). Sorted, filtered and paged in the
/// database; see the parameters. Any member of the organization.
#[utoipa::path(get, path = "/api/v1/comparison", operation_id = "listComparison", tag = "scores",
    security(("bearer" = [])), params(ComparisonQuery),
    responses((status = 200, description = "A page of rows", body = ComparisonPage)))]
pub async fn list(state: web::Data<AppState>, auth: Auth, query: Query<ComparisonQuery>) -> ApiResult<HttpResponse> {
    let request = query.into_inner().request()?;
    let page = comparison::service::list(&state.kensa, &auth.0, &request).await?;
    let data = page.rows.into_iter().map(|(_, row)| row).collect();
    Ok(HttpResponse::Ok().json(ComparisonPage { data, next_cursor: page.next_cursor }))
}

/// Get the category heatmap
///
/// The comparison's rows (same filters, sort and paging), each with the achievement of
/// every category of its template in template order (null where nothing applicable or
/// nothing submitted yet), and the column headings. Any member of the organization.
#[utoipa::path(get, path = "/api/v1/comparison/heatmap", operation_id = "getComparisonHeatmap", tag = "scores",
    security(("bearer" = [])), params(ComparisonQuery),
    responses((status = 200, description = "A page of heatmap rows", body = HeatmapPage)))]
pub async fn heatmap(state: web::Data<AppState>, auth: Auth, query: Query<ComparisonQuery>) -> ApiResult<HttpResponse> {
    let request = query.into_inner().request()?;
    let heatmap = comparison::service::heatmap(&state.kensa, &auth.0, &request).await?;
    let data = heatmap.page.rows.into_iter().map(|(_, row)| row).collect();
    Ok(HttpResponse::Ok().json(HeatmapPage {
        data,
        categories: heatmap.categories,
        next_cursor: heatmap.page.next_cursor,
    }))
}

/// Count answers per item
///
/// For every item of the template (number, level, category): how the matching suppliers'
/// newest submitted or accepted assessments answered it, per status; `unanswered` counts
/// assessments that had the item in scope without an answer. Items above an assessment's
/// target level are not counted for it. `sort=weakest` puts the requirements least
/// implemented across the supply chain first. Any member of the organization.
#[utoipa::path(get, path = "/api/v1/comparison/items", operation_id = "getComparisonItems", tag = "scores",
    security(("bearer" = [])), params(ItemQuery),
    responses((status = 200, description = "Every item with its counts", body = ItemStatsList)))]
pub async fn items(state: web::Data<AppState>, auth: Auth, query: Query<ItemQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let filter = q.filter(None);
    let stats = comparison::stats::items(&state.kensa, &auth.0, q.template_id, filter, q.sort).await?;
    Ok(HttpResponse::Ok().json(ItemStatsList {
        template_id: stats.template_id,
        suppliers: stats.suppliers,
        data: stats.items,
        next_cursor: None,
    }))
}

/// Summarise the portfolio
///
/// Over the matching rows: how many per current status, overdue, scored and meeting their
/// target (with the share), the overall achievements in ten buckets, and the mean
/// achievement per category. Any member of the organization; zeros when nothing matches.
#[utoipa::path(get, path = "/api/v1/comparison/summary", operation_id = "getComparisonSummary", tag = "scores",
    security(("bearer" = [])), params(SummaryQuery),
    responses((status = 200, description = "The summary", body = ComparisonSummary)))]
pub async fn summary(state: web::Data<AppState>, auth: Auth, query: Query<SummaryQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let filter = q.filter(q.template_id);
    Ok(HttpResponse::Ok().json(comparison::stats::summary(&state.kensa, &auth.0, &filter).await?))
}

filtered_query! {
    /// The file format, filters and order of an export (every matching row, no paging).
    ExportQuery {
        /// `csv` (UTF-8 with a byte-order mark) or `xlsx` (an Excel workbook).
        #[param(required = true)]
        format: Option<ExportFormat>,
        /// Only rows of this template.
        template_id: Option<Uuid>,
        /// As the list's `sort` (default `supplier_name`).
        sort: Option<ComparisonSort>,
        /// `asc` (default) or `desc`.
        order: Option<SortOrder>,
        /// The category number `sort=category` sorts by.
        #[param(minimum = 1, maximum = 1000000)]
        sort_category: Option<i32>,
    }
}

/// Export the comparison
///
/// Every matching row, in the list's order, as a file to download: `csv` (UTF-8 with a
/// byte-order mark, so Excel reads Japanese; cells starting with `=`, `+`, `-`, `@` are
/// prefixed with `'`) or `xlsx` (a summary sheet coloured against each target, a category
/// heat map, and for at most 50 suppliers one sheet each with the answers and a radar chart).
/// Written to a temporary file first, so memory stays bounded. Any member of the
/// organization.
#[utoipa::path(get, path = "/api/v1/comparison/export", operation_id = "exportComparison", tag = "scores",
    security(("bearer" = [])), params(ExportQuery),
    responses((status = 200, description = "The file",
                  content((FileBytes = "text/csv"),
                      (FileBytes = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
                  headers(("Content-Disposition" = String, description = "`attachment; filename=\"comparison-YYYY-MM-DD.csv\"` (or `.xlsx`)")))))]
pub async fn export(state: web::Data<AppState>, auth: Auth, query: Query<ExportQuery>) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let filter = q.filter(q.template_id);
    let Some(format) = q.format else {
        return Err(kensa_domain::DomainError::validation("format", ErrorCode::Required, "csv or xlsx").into());
    };
    let sort = (q.sort, q.order, q.sort_category);
    let file = comparison::export::export(&state.kensa, &auth.0, filter, sort, format).await?;
    download(&state, file).await
}

/// The written export as a download, streamed from its temporary file (the web page's
/// export answers with it too).
pub async fn download(state: &AppState, file: comparison::export::ExportFile) -> ApiResult<HttpResponse> {
    let format = file.format;
    let name = format!("comparison-{}.{}", state.kensa.today(), format.as_str());
    crate::rest::page::file_download(file.path, &name, format.content_type()).await
}
