//! What the buyer's comparison of its suppliers takes and returns.
//!
//! One row per (supplier, template) the buyer has assessed: the supplier as registered, the
//! newest assessment (where the supplier is now) and the newest submitted or accepted one's
//! stored figures (what it scored). Everything sorts, filters and pages in the database
//! (`repo`, `page`, `aggregate`); these are the parsed inputs and the shapes of the answers.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::assessments::Status;
use crate::assessments::model::Progress;
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::scoring::PerLevel;
use crate::users::model::Validator;

/// The highest category number a filter or sort accepts: the built-in check sheet numbers
/// 1–24, a custom template may number its categories further.
pub const MAX_CATEGORY: i32 = 1_000_000;

crate::closed_set::closed_set! {
    /// What the comparison is sorted by. `category` needs `sort_category` (the number).
    /// Score figures (`overall`, `level1`–`level3`, `category`, `achieved_level`) are those
    /// of the newest submitted or accepted assessment; rows without one come last in either
    /// order. `due_date` and `status` are the current assessment's (`status` in workflow
    /// order: sent, in_progress, changes_requested, submitted, accepted, cancelled).
    /// `supplier_name` ignores case.
    pub enum ComparisonSort("comparison sort") {
        Overall => "overall",
        Level1 => "level1",
        Level2 => "level2",
        Level3 => "level3",
        Category => "category",
        AchievedLevel => "achieved_level",
        DueDate => "due_date",
        Status => "status",
        SupplierName => "supplier_name",
    }
}

crate::closed_set::closed_set! {
    /// Ascending or descending; ties always go by supplier id, then template id, ascending.
    pub enum SortOrder("sort order") { Asc => "asc", Desc => "desc" }
}

crate::closed_set::closed_set! {
    /// Item statistics by item number, or the weakest requirements first: the highest share
    /// of `not_implemented` among the item's applicable answers (unanswered included).
    pub enum ItemSort("item statistics order") { Number => "number", Weakest => "weakest" }
}

/// Which rows the comparison, heatmap, item statistics and summary take. Absent fields do
/// not filter. Score filters (`meets_target`, `achieved_level`, `category`/`below`,
/// `scs_star3_min`/`scs_star4_min`) leave out rows without a submitted or accepted
/// assessment.
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct ComparisonFilter {
    /// Only rows of this template.
    pub template_id: Option<Uuid>,
    /// Suppliers of exactly this tier.
    pub tier: Option<String>,
    /// Suppliers with this tag.
    pub tag: Option<String>,
    /// Suppliers with this target level (1–3) in the registry.
    pub target_level: Option<i32>,
    /// Rows whose current assessment is in this status.
    pub status: Option<Status>,
    /// Rows whose scored assessment meets (or does not meet) its target.
    pub meets_target: Option<bool>,
    /// Rows whose scored assessment achieved exactly this level (0–3).
    pub achieved_level: Option<i32>,
    /// Rows whose current assessment is (or is not) overdue.
    pub overdue: Option<bool>,
    /// With `below`: rows whose scored achievement in this category is below the threshold.
    pub category: Option<i32>,
    /// With `category`: the threshold, 0–1 (exclusive).
    pub below: Option<f64>,
    /// Part of the supplier's name or contact email, any case (as the supplier list).
    pub q: Option<String>,
    /// Rows whose scored assessment supports at least this share (0–1) of METI SCS ★3
    /// criteria (indicative; see the assessment's crosswalk).
    pub scs_star3_min: Option<f64>,
    /// The same for ★4 criteria.
    pub scs_star4_min: Option<f64>,
}

impl ComparisonFilter {
    /// Every problem of the filter, each naming its field.
    pub fn check(&self, v: &mut Validator) {
        if self.target_level.is_some_and(|l| !(1..=3).contains(&l)) {
            v.check::<()>(Err(FieldError::new("target_level", ErrorCode::OutOfRange, "must be 1, 2 or 3")));
        }
        if self.achieved_level.is_some_and(|l| !(0..=3).contains(&l)) {
            v.check::<()>(Err(FieldError::new("achieved_level", ErrorCode::OutOfRange, "must be 0, 1, 2 or 3")));
        }
        if self.category.is_some_and(|c| !(1..=MAX_CATEGORY).contains(&c)) {
            v.check::<()>(Err(FieldError::new(
                "category",
                ErrorCode::OutOfRange,
                format!("must be a category number, 1–{MAX_CATEGORY}"),
            )));
        }
        for (name, value) in
            [("below", self.below), ("scs_star3_min", self.scs_star3_min), ("scs_star4_min", self.scs_star4_min)]
        {
            if value.is_some_and(|b| !(0.0..=1.0).contains(&b)) {
                v.check::<()>(Err(FieldError::new(name, ErrorCode::OutOfRange, "must be between 0 and 1")));
            }
        }
        match (self.category, self.below) {
            (Some(_), None) => v.check::<()>(Err(FieldError::new(
                "below",
                ErrorCode::Required,
                "required with category: the achievement (0–1) to compare with",
            ))),
            (None, Some(_)) => v.check::<()>(Err(FieldError::new(
                "category",
                ErrorCode::Required,
                "required with below: the category number whose achievement is compared",
            ))),
            _ => None,
        };
    }
}

/// A checked sort: the key, the direction and, for `category`, the category number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SortSpec {
    pub key: ComparisonSort,
    pub order: SortOrder,
    pub category: Option<i32>,
}

impl Default for SortSpec {
    fn default() -> Self {
        Self { key: ComparisonSort::SupplierName, order: SortOrder::Asc, category: None }
    }
}

impl SortSpec {
    /// `sort` (default `supplier_name`), `order` (default `asc`) and `sort_category`, which
    /// `category` needs and every other sort refuses.
    pub fn parse(
        sort: Option<ComparisonSort>,
        order: Option<SortOrder>,
        sort_category: Option<i32>,
        v: &mut Validator,
    ) -> Option<Self> {
        let key = sort.unwrap_or(ComparisonSort::SupplierName);
        let order = order.unwrap_or(SortOrder::Asc);
        match (key, sort_category) {
            (ComparisonSort::Category, None) => v.check(Err(FieldError::new(
                "sort_category",
                ErrorCode::Required,
                "required with sort=category: the category number to sort by",
            ))),
            (ComparisonSort::Category, Some(c)) if !(1..=MAX_CATEGORY).contains(&c) => v.check(Err(FieldError::new(
                "sort_category",
                ErrorCode::OutOfRange,
                format!("must be a category number, 1–{MAX_CATEGORY}"),
            ))),
            (ComparisonSort::Category, Some(c)) => Some(Self { key, order, category: Some(c) }),
            (_, Some(_)) => {
                v.check(Err(FieldError::new("sort_category", ErrorCode::NotAllowed, "only with sort=category")))
            }
            (_, None) => Some(Self { key, order, category: None }),
        }
    }
}

/// What a list call asks for: the rows, their order and where the page starts.
#[derive(Clone, Debug)]
pub struct ComparisonRequest {
    pub filter: ComparisonFilter,
    pub sort: SortSpec,
    pub limit: u64,
    pub cursor: Option<String>,
    /// What the page does with the shares beside its rows (read and recorded unless said).
    pub shares: SharesBeside,
}

/// Whether a comparison page reads the shares beside its rows, and whether their scores
/// count as views in the suppliers' trails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SharesBeside {
    /// Read, each score shown a `share.viewed` (what a caller sees).
    #[default]
    Record,
    /// Read without recording: the same page's rows were recorded by another read of it
    /// (the web page's heat map after its table).
    Quiet,
    /// Not read: the caller did not ask for them (a GraphQL selection without `shared`).
    Skip,
}

impl ComparisonRequest {
    /// Checks everything at once, so that a 422 lists every field at fault.
    pub fn parse(
        filter: ComparisonFilter,
        sort: Option<ComparisonSort>,
        order: Option<SortOrder>,
        sort_category: Option<i32>,
        limit: Option<u64>,
        cursor: Option<String>,
    ) -> DomainResult<Self> {
        let mut v = Validator::default();
        filter.check(&mut v);
        let sort = SortSpec::parse(sort, order, sort_category, &mut v);
        let limit = limit.unwrap_or(crate::pagination::DEFAULT_LIMIT);
        if !(1..=crate::pagination::MAX_LIMIT).contains(&limit) {
            v.check::<()>(Err(FieldError::new(
                "limit",
                ErrorCode::OutOfRange,
                format!("must be between 1 and {}", crate::pagination::MAX_LIMIT),
            )));
        }
        v.finish()?;
        let sort = sort.ok_or_else(|| DomainError::internal("a sort without an error"))?;
        Ok(Self { filter, sort, limit, cursor: cursor.filter(|c| !c.is_empty()), shares: SharesBeside::Record })
    }
}

/// The supplier as the buyer registered it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ComparisonSupplier {
    pub id: Uuid,
    pub name: String,
    pub tier: Option<String>,
    pub tags: Vec<String>,
    /// The target level in the registry (1–3).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub target_level: i32,
}

/// The newest assessment of the supplier on the template: where it stands now.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ComparisonAssessment {
    pub id: Uuid,
    pub status: Status,
    pub due_date: NaiveDate,
    /// Due date passed and not yet submitted.
    pub overdue: bool,
    /// In-scope items answered, of all in-scope items.
    pub progress: Progress,
}

/// The stored figures of the newest submitted or accepted assessment (see
/// `GET /api/v1/assessments/{id}/score` for the whole score).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComparisonScore {
    /// The scored assessment: the current one, or an earlier one while the current is open.
    pub assessment_id: Uuid,
    pub submitted_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// `submitted` or `accepted`.
    pub status: Status,
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub overall: Option<f64>,
    /// Achievement per level (0–1; null where nothing is applicable or above the target).
    pub levels: PerLevel<Option<f64>>,
    #[cfg_attr(feature = "openapi", schema(maximum = 3))]
    pub achieved_level: u8,
    pub meets_target: bool,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub target_level: u8,
    /// The share of METI SCS ★3 and ★4 criteria the scored answers support (the crosswalk's
    /// readiness view, indicative); null for a checklist without the check sheet's items.
    pub scs: Option<crate::crosswalk::ScsReadiness>,
}

/// One (supplier, template) of the buyer.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComparisonRow {
    pub supplier: ComparisonSupplier,
    pub template_id: Uuid,
    pub assessment: ComparisonAssessment,
    /// Null until an assessment of the pair was submitted.
    pub score: Option<ComparisonScore>,
    /// The supplier's answers for this template line shared with the caller by the
    /// supplier's organization (when the record is linked to one and such a share is
    /// readable now), marked as shared and dated; null otherwise. Sorting, filters and
    /// statistics use `score` only.
    pub shared: Option<crate::shares::ComparisonShared>,
}

/// One category's achievement in a heatmap row.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct HeatmapCell {
    pub number: u32,
    /// 0–1; null when the category has no applicable item or nothing was submitted yet.
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub achievement: Option<f64>,
}

/// A comparison row as a line of the heatmap: every category of its template, in template
/// order.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct HeatmapRow {
    pub supplier: ComparisonSupplier,
    pub template_id: Uuid,
    /// The scored (submitted or accepted) assessment; null before the first submission.
    pub assessment_id: Option<Uuid>,
    /// Set when the cells are a share's (see the comparison row's `shared`): the buyer has
    /// no submitted assessment of its own for the row and the supplier shared one.
    pub share_id: Option<Uuid>,
    pub categories: Vec<HeatmapCell>,
}

/// A category of a template: a heatmap column, a summary line.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ComparisonCategory {
    pub number: u32,
    pub name: String,
}

/// How the filtered suppliers' scored assessments answered one item.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ItemCounts {
    pub no: u32,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub level: u8,
    /// The item's category number.
    pub category: u32,
    pub implemented: u64,
    pub partially_implemented: u64,
    pub not_implemented: u64,
    pub not_applicable: u64,
    /// In scope of a scored assessment (level up to its target) without an answer.
    pub unanswered: u64,
}

/// The answers per item of one template across the filtered suppliers.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ItemStats {
    pub template_id: Uuid,
    /// Scored assessments counted (one per supplier).
    pub suppliers: u64,
    /// Every item of the template, by number or weakest first.
    pub items: Vec<ItemCounts>,
}

/// Rows per status of the current assessment.
#[derive(Clone, Copy, Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct StatusCounts {
    pub sent: u64,
    pub in_progress: u64,
    pub submitted: u64,
    pub changes_requested: u64,
    pub accepted: u64,
    pub cancelled: u64,
}

/// Scored rows whose overall achievement is in `[from, to)` (the last bucket includes 1).
#[derive(Clone, Copy, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct OverallBucket {
    pub from: f64,
    pub to: f64,
    pub count: u64,
}

/// The mean achievement in one category over the scored rows.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CategoryAverage {
    pub number: u32,
    pub name: String,
    /// 0–1; null when no scored row has an applicable item in the category.
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub average: Option<f64>,
    /// Scored rows with an achievement in the category (the mean's denominator).
    pub scored: u64,
}

/// The portfolio at a glance, over the filtered rows.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ComparisonSummary {
    /// Rows (supplier, template) matched.
    pub rows: u64,
    /// Rows per status of the current assessment.
    pub statuses: StatusCounts,
    /// Rows whose current assessment is overdue.
    pub overdue: u64,
    /// Rows with a submitted or accepted assessment.
    pub scored: u64,
    /// Scored rows that meet their target.
    pub meets_target: u64,
    /// `meets_target / scored`; null when nothing is scored.
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub meets_target_share: Option<f64>,
    /// Ten buckets of the scored rows' overall achievement: [0, 0.1), …, [0.9, 1.0].
    /// Rows whose overall is null (nothing applicable) are in none.
    pub overall_buckets: Vec<OverallBucket>,
    /// Per category number of the rows' templates, by number.
    pub categories: Vec<CategoryAverage>,
}

/// A page of rows, each with the cursor that continues after it (GraphQL's edges).
#[derive(Clone, Debug)]
pub struct Ranked<T> {
    pub rows: Vec<(String, T)>,
    pub next_cursor: Option<String>,
}

/// The heatmap's page and its columns.
#[derive(Clone, Debug)]
pub struct Heatmap {
    pub page: Ranked<HeatmapRow>,
    /// The categories of `template_id`, else of the page's templates (by number).
    pub categories: Vec<ComparisonCategory>,
}
