//! The buyer's comparison of its suppliers: a sorted, filtered, paged table of the newest
//! assessment and the newest score per (supplier, template), a heatmap of categories, the
//! weakest requirements across the supply chain and a portfolio summary. All of it reads
//! the snapshots stored at submission (`scoring::snapshot`), never 153 answers per row.

mod aggregate;
pub mod cursor;
pub mod export;
pub mod model;
mod page;
pub(crate) mod repo;
pub mod service;
pub mod stats;
mod workbook;

pub use model::{
    CategoryAverage, ComparisonAssessment, ComparisonCategory, ComparisonFilter, ComparisonRequest, ComparisonRow,
    ComparisonScore, ComparisonSort, ComparisonSummary, ComparisonSupplier, Heatmap, HeatmapCell, HeatmapRow,
    ItemCounts, ItemSort, ItemStats, OverallBucket, Ranked, SharesBeside, SortOrder, StatusCounts,
};
