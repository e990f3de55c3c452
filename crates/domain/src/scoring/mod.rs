//! The scoring formula of the product spec, written once.
//!
//! Pure (no database, no clock, no async) because every reader must get the same figures: the
//! assessment's API view, the JSON snapshot stored with it and read back later, exports and
//! dashboards that score thousands of assessments at once. Being pure, it can be checked by
//! property tests over random templates and answers instead of only a few examples, and it is
//! cheap enough (a [`ScoringPlan`] built once per template, then counting) to run on every read.

mod compute;
pub mod gaps;
#[cfg(feature = "graphql")]
mod graphql;
pub mod history;
mod model;
#[cfg(test)]
mod proptests;
pub mod service;
pub mod snapshot;
#[cfg(test)]
mod tests;

pub use compute::{ScoringPlan, score};
pub use gaps::{CategoryRef, Gap};
pub use history::{ScoreChange, ScoreHistoryEntry};
#[cfg(feature = "openapi")]
pub use model::openapi_names;
pub use model::{CategoryScore, LevelScore, PerLevel, Score, ScoreCounts};
