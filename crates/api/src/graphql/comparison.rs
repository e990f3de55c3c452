//! GraphQL for the buyer's comparison: the same services, filters and codes as
//! `GET /api/v1/comparison{,/heatmap,/items,/summary}`. Score levels are `level1`–`level3`
//! fields here (REST's `levels: {"1", "2", "3"}` keys are no GraphQL names).

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use kensa_domain::Kensa;
use kensa_domain::assessments::Status;
use kensa_domain::comparison::{
    self, ComparisonAssessment, ComparisonCategory, ComparisonFilter, ComparisonRequest, ComparisonRow,
    ComparisonScore, ComparisonSort, ComparisonSummary, ComparisonSupplier, HeatmapRow, ItemSort, ItemStats, Ranked,
    SharesBeside, SortOrder,
};
use kensa_domain::shares::{ComparisonShared, ShareKind, ShareScope};
use kensa_domain::tenant::TenantCtx;
use uuid::Uuid;

use super::connection::{Paged, page_error};
use super::{Caller, gql};

fn caller<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<(&'a Kensa, &'a TenantCtx)> {
    Ok((ctx.data::<Kensa>()?, ctx.data::<Caller>()?.require()?))
}

/// The figures of the newest submitted or accepted assessment.
#[derive(SimpleObject)]
#[graphql(name = "ComparisonScore")]
pub struct ScoreGql {
    pub assessment_id: Uuid,
    pub submitted_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// `SUBMITTED` or `ACCEPTED`.
    pub status: Status,
    pub overall: Option<f64>,
    /// Achievement at level 1 (0–1; null where nothing is applicable).
    pub level1: Option<f64>,
    pub level2: Option<f64>,
    pub level3: Option<f64>,
    pub achieved_level: u8,
    pub meets_target: bool,
    pub target_level: u8,
    /// The share of METI SCS ★3 and ★4 criteria the answers support (indicative); null for
    /// a checklist without the check sheet's items.
    pub scs: Option<kensa_domain::crosswalk::ScsReadiness>,
}

impl From<ComparisonScore> for ScoreGql {
    fn from(s: ComparisonScore) -> Self {
        Self {
            assessment_id: s.assessment_id,
            submitted_at: s.submitted_at,
            accepted_at: s.accepted_at,
            status: s.status,
            overall: s.overall,
            level1: s.levels.l1,
            level2: s.levels.l2,
            level3: s.levels.l3,
            achieved_level: s.achieved_level,
            meets_target: s.meets_target,
            target_level: s.target_level,
            scs: s.scs,
        }
    }
}

/// One (supplier, template) of the buyer.
#[derive(SimpleObject)]
#[graphql(name = "ComparisonRow")]
pub struct RowGql {
    pub supplier: ComparisonSupplier,
    pub template_id: Uuid,
    /// The current (newest) assessment.
    pub assessment: ComparisonAssessment,
    /// Null until an assessment of the pair was submitted.
    pub score: Option<ScoreGql>,
    /// The supplier's answers for this template line shared with the caller by the
    /// supplier's organization, when such a share is readable now; sorting, filters and
    /// statistics use `score` only.
    pub shared: Option<SharedGql>,
}

impl From<ComparisonRow> for RowGql {
    fn from(r: ComparisonRow) -> Self {
        Self {
            supplier: r.supplier,
            template_id: r.template_id,
            assessment: r.assessment,
            score: r.score.map(Into::into),
            shared: r.shared.map(Into::into),
        }
    }
}

/// A share's figures beside a comparison row.
#[derive(SimpleObject)]
#[graphql(name = "ComparisonSharedScore")]
pub struct SharedScoreGql {
    pub overall: Option<f64>,
    pub level1: Option<f64>,
    pub level2: Option<f64>,
    pub level3: Option<f64>,
    pub achieved_level: u8,
    pub meets_target: bool,
    pub target_level: u8,
}

/// A share beside a comparison row: the supplier's answers given elsewhere and shared with
/// the caller (read it whole with `sharedAssessment(id: shareId)`).
#[derive(SimpleObject)]
#[graphql(name = "ComparisonShared")]
pub struct SharedGql {
    pub share_id: Uuid,
    pub kind: ShareKind,
    pub scope: ShareScope,
    /// When the shared answers were submitted (a snapshot); null for a live profile.
    pub submitted_at: Option<DateTime<Utc>>,
    pub shared_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Null until the share's terms are accepted.
    pub score: Option<SharedScoreGql>,
}

impl From<ComparisonShared> for SharedGql {
    fn from(s: ComparisonShared) -> Self {
        Self {
            share_id: s.share_id,
            kind: s.kind,
            scope: s.scope,
            submitted_at: s.submitted_at,
            shared_at: s.shared_at,
            expires_at: s.expires_at,
            score: s.score.map(|f| SharedScoreGql {
                overall: f.overall,
                level1: f.levels.l1,
                level2: f.levels.l2,
                level3: f.levels.l3,
                achieved_level: f.achieved_level,
                meets_target: f.meets_target,
                target_level: f.target_level,
            }),
        }
    }
}

/// The heatmap's columns, beside its rows.
#[derive(SimpleObject)]
pub struct HeatmapColumns {
    /// The categories of `filter.templateId` when given, else those of the page's
    /// templates, by number.
    pub categories: Vec<ComparisonCategory>,
}

fn connection<T: async_graphql::OutputType, E: async_graphql::ObjectType>(
    page: Ranked<T>,
    extra: E,
) -> Connection<String, T, E> {
    let mut connection = Connection::with_additional_fields(false, page.next_cursor.is_some(), extra);
    connection.edges.extend(page.rows.into_iter().map(|(cursor, node)| Edge::new(cursor, node)));
    connection
}

fn request(
    filter: Option<ComparisonFilter>,
    sort: Option<ComparisonSort>,
    order: Option<SortOrder>,
    sort_category: Option<i32>,
    first: Option<u64>,
    after: Option<String>,
) -> async_graphql::Result<ComparisonRequest> {
    ComparisonRequest::parse(filter.unwrap_or_default(), sort, order, sort_category, first, after).map_err(page_error)
}

#[derive(Default)]
pub struct ComparisonFields;

#[Object]
impl ComparisonFields {
    /// The buyer's suppliers side by side, as `GET /api/v1/comparison`: one row per
    /// (supplier, template), sorted (default `SUPPLIER_NAME`, `ASC`; rows without a score
    /// last in either order; `sortCategory` with `CATEGORY`), filtered and paged.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn comparison(
        &self,
        ctx: &Context<'_>,
        filter: Option<ComparisonFilter>,
        sort: Option<ComparisonSort>,
        order: Option<SortOrder>,
        #[graphql(desc = "The category number `sort: CATEGORY` sorts by (required with it, refused without).")]
        sort_category: Option<i32>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<RowGql>> {
        let (k, t) = caller(ctx)?;
        let mut req = request(filter, sort, order, sort_category, first, after)?;
        // Shares are read (and their views recorded) only for a selection that shows them.
        if !ctx.look_ahead().field("edges").field("node").field("shared").exists() {
            req.shares = SharesBeside::Skip;
        }
        let page = comparison::service::list(k, t, &req).await.map_err(page_error)?;
        let page: Ranked<RowGql> =
            Ranked { rows: page.rows.into_iter().map(|(c, r)| (c, r.into())).collect(), next_cursor: page.next_cursor };
        Ok(connection(page, async_graphql::connection::EmptyFields))
    }

    /// The comparison's rows with every category's achievement, as
    /// `GET /api/v1/comparison/heatmap`, and the column headings.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn heatmap(
        &self,
        ctx: &Context<'_>,
        filter: Option<ComparisonFilter>,
        sort: Option<ComparisonSort>,
        order: Option<SortOrder>,
        #[graphql(desc = "The category number `sort: CATEGORY` sorts by (required with it, refused without).")]
        sort_category: Option<i32>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, HeatmapRow, HeatmapColumns>> {
        let (k, t) = caller(ctx)?;
        let mut req = request(filter, sort, order, sort_category, first, after)?;
        let node = ctx.look_ahead().field("edges").field("node");
        if !node.field("categories").exists() && !node.field("shareId").exists() {
            req.shares = SharesBeside::Skip;
        }
        let heatmap = comparison::service::heatmap(k, t, &req).await.map_err(page_error)?;
        Ok(connection(heatmap.page, HeatmapColumns { categories: heatmap.categories }))
    }

    /// Every item of the template with the matching suppliers' scored answers counted per
    /// status, as `GET /api/v1/comparison/items` (`filter.templateId` is replaced by
    /// `templateId`).
    #[graphql(complexity = "super::cost::NOMINAL_LIST * child_complexity")]
    async fn item_stats(
        &self,
        ctx: &Context<'_>,
        template_id: Uuid,
        filter: Option<ComparisonFilter>,
        sort: Option<ItemSort>,
    ) -> async_graphql::Result<ItemStats> {
        let (k, t) = caller(ctx)?;
        comparison::stats::items(k, t, Some(template_id), filter.unwrap_or_default(), sort).await.map_err(gql)
    }

    /// Counts, shares, buckets and category means over the matching rows, as
    /// `GET /api/v1/comparison/summary`.
    async fn comparison_summary(
        &self,
        ctx: &Context<'_>,
        filter: Option<ComparisonFilter>,
    ) -> async_graphql::Result<ComparisonSummary> {
        let (k, t) = caller(ctx)?;
        comparison::stats::summary(k, t, &filter.unwrap_or_default()).await.map_err(gql)
    }
}
