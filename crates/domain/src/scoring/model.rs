//! The score of one assessment: the API's contract and the shape of the stored snapshot.
//!
//! Every fraction runs from 0 to 1 and is unrounded: presentation (percentages, decimals)
//! belongs to the reader. `null` always means "no applicable item to measure", never zero:
//! a supplier with nothing to do at a level has not scored 0 % there.
//!
//! No `deny_unknown_fields`: snapshots are read back by later versions, which may have added
//! fields, and older snapshots lack them (new fields must therefore be `Option` or defaulted).

use serde::{Deserialize, Serialize};

/// One value for each level of the check sheet, serialised as `{"1": …, "2": …, "3": …}`.
///
/// A struct rather than a map so that all three keys are always present and a reader cannot
/// meet a fourth; the keys are strings because JSON object keys are. GraphQL names cannot be
/// digits, so there the fields are `level1`–`level3`; both documents name the two uses
/// `LevelScores` and `LevelFractions` (see [`openapi_names`]) rather than after the generic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PerLevel<T> {
    /// Level 1.
    #[serde(rename = "1")]
    pub l1: T,
    /// Level 2.
    #[serde(rename = "2")]
    pub l2: T,
    /// Level 3.
    #[serde(rename = "3")]
    pub l3: T,
}

/// GraphQL's objects for the two uses of [`PerLevel`], written out because the generic derive
/// cannot bound `T`: `LevelScores` and `LevelFractions`, with fields `level1`–`level3`.
#[cfg(feature = "graphql")]
macro_rules! per_level_object {
    ($(#[$meta:meta])* $name:literal, $t:ty) => {
        $(#[$meta])*
        #[async_graphql::Object(name = $name)]
        impl PerLevel<$t> {
            /// Level 1.
            async fn level1(&self) -> &$t {
                &self.l1
            }

            /// Level 2.
            async fn level2(&self) -> &$t {
                &self.l2
            }

            /// Level 3.
            async fn level3(&self) -> &$t {
                &self.l3
            }
        }
    };
}

#[cfg(feature = "graphql")]
per_level_object!(
    /// One `LevelScore` per level.
    "LevelScores",
    LevelScore
);
#[cfg(feature = "graphql")]
per_level_object!(
    /// One fraction (0–1) per level; `null` where nothing is applicable, and above the target.
    "LevelFractions",
    Option<f64>
);

/// OpenAPI's names for the two uses of [`PerLevel`]: utoipa would call them
/// `PerLevel_LevelScore` and `PerLevel_Option_f64`, which generated clients turn into
/// awkward type names. Fields of those types say `schema(value_type = LevelScores)` etc.;
/// these mirrors only describe the same `{"1", "2", "3"}` shape and are never built.
#[cfg(feature = "openapi")]
pub mod openapi_names {
    use super::LevelScore;

    macro_rules! per_level_schema {
        ($(#[$meta:meta])* $name:ident, $t:ty) => {
            $(#[$meta])*
            #[derive(utoipa::ToSchema)]
            #[allow(dead_code)]
            pub struct $name {
                /// Level 1.
                #[schema(rename = "1")]
                l1: $t,
                /// Level 2.
                #[schema(rename = "2")]
                l2: $t,
                /// Level 3.
                #[schema(rename = "3")]
                l3: $t,
            }
        };
    }

    per_level_schema!(
        /// One `LevelScore` per level: the keys are always `"1"`, `"2"` and `"3"`.
        LevelScores,
        LevelScore
    );
    per_level_schema!(
        /// One fraction (0–1) per level, `null` where nothing is applicable or above the target:
        /// the keys are always `"1"`, `"2"` and `"3"`.
        LevelFractions,
        Option<f64>
    );
}

impl<T> PerLevel<T> {
    /// Builds each level's value from its number (1, 2, 3).
    pub fn from_fn(mut f: impl FnMut(u8) -> T) -> Self {
        Self { l1: f(1), l2: f(2), l3: f(3) }
    }

    /// The value of `level`; `None` outside 1–3 (no panicking `Index`: levels come from data).
    pub fn get(&self, level: u8) -> Option<&T> {
        match level {
            1 => Some(&self.l1),
            2 => Some(&self.l2),
            3 => Some(&self.l3),
            _ => None,
        }
    }

    /// `(level, value)` from level 1 up.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &T)> {
        [(1, &self.l1), (2, &self.l2), (3, &self.l3)].into_iter()
    }
}

/// The items of one level in scope of the assessment, answer by answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct LevelScore {
    /// Credit earned over applicable items at this level (0–1). `null` when the level has no
    /// applicable item: every item is not applicable, the template has none at this level, or
    /// the level is above the assessment's target (then all counts are 0 too).
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub achievement: Option<f64>,
    /// Items that count in the denominator: all in-scope items except `not_applicable` ones,
    /// unanswered items included.
    pub applicable: u32,
    pub implemented: u32,
    pub partially_implemented: u32,
    pub not_implemented: u32,
    /// Excluded from `achievement` altogether (numerator and denominator).
    pub not_applicable: u32,
    /// In scope but not answered yet: they count as earning nothing.
    pub unanswered: u32,
}

/// One category of the template (in template order, including categories without any
/// in-scope item, so that every assessment of a template lists the same categories).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CategoryScore {
    /// The category's number in the template (1–24 in the JAMA/JAPIA check sheet).
    pub number: u32,
    /// The category's name in the template's language, as it was when the score was computed.
    pub name: String,
    /// Credit earned over the category's applicable in-scope items (0–1); `null` when the
    /// category has none (all not applicable, or all above the target level).
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub achievement: Option<f64>,
    /// The same per level; `null` where the category has no applicable item at that level,
    /// always at levels above the target.
    #[cfg_attr(feature = "openapi", schema(value_type = openapi_names::LevelFractions))]
    pub levels: PerLevel<Option<f64>>,
}

/// Answers over all in-scope items (levels up to the target).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ScoreCounts {
    pub implemented: u32,
    pub partially_implemented: u32,
    pub not_implemented: u32,
    pub not_applicable: u32,
    pub unanswered: u32,
    /// `total` minus `not_applicable`: the denominator of `overall`.
    pub applicable: u32,
    /// In-scope items: the five statuses above add up to it.
    pub total: u32,
}

/// How far an assessment's answers meet the check sheet up to its target level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Score {
    /// Credit earned over all applicable in-scope items (0–1). `null` when no in-scope item is
    /// applicable: there is nothing to measure, which is not the same as scoring 0.
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub overall: Option<f64>,
    /// Every applicable in-scope item is `implemented` (an unanswered item is not). `true`
    /// when no item is applicable: nothing required is missing. Same as
    /// `achieved_level == target_level`.
    pub meets_target: bool,
    /// The highest level L up to the target such that every applicable item of levels 1..=L
    /// is `implemented`; 0 when level 1 is not met. A level without applicable items does not
    /// hold the supplier back.
    #[cfg_attr(feature = "openapi", schema(maximum = 3))]
    pub achieved_level: u8,
    /// The level the assessment asks for (1–3): items of higher levels are out of scope.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub target_level: u8,
    /// Each level on its own. Levels above the target are listed with `achievement: null`
    /// and zero counts, so that the three keys are always there.
    #[cfg_attr(feature = "openapi", schema(value_type = openapi_names::LevelScores))]
    pub levels: PerLevel<LevelScore>,
    /// Credit earned over applicable items of levels 1..=L, for each L (0–1). `null` above the
    /// target, and where levels 1..=L have no applicable item.
    #[cfg_attr(feature = "openapi", schema(value_type = openapi_names::LevelFractions))]
    pub cumulative: PerLevel<Option<f64>>,
    /// Every category of the template, in template order.
    // GraphQL cost: 24 categories, as the built-in.
    #[cfg_attr(feature = "graphql", graphql(complexity = "24 * child_complexity"))]
    pub categories: Vec<CategoryScore>,
    /// Answers over the whole scope.
    pub counts: ScoreCounts,
}
