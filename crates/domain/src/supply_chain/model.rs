//! What the cascade shows: a Tier-2's consent, a Tier-1's forwards, and the figure its buyer
//! sees of the supply chain below.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::assessments::model::PartyRef;
use crate::closed_set::closed_set;
use crate::comparison::ComparisonSupplier;

closed_set! {
    /// May the buyer count this assessment's answers in what it forwards to its own customers?
    pub enum ForwardingConsent("forwarding consent") {
        /// No: the answers stay between the supplier and this buyer (the default).
        None => "none",
        /// Yes, in figures that do not name the supplier.
        Anonymous => "anonymous",
        /// Yes, and the supplier's organization name with its achieved level may be shown.
        Named => "named",
    }
}

impl ForwardingConsent {
    pub fn counts(self) -> bool {
        !matches!(self, ForwardingConsent::None)
    }
}

/// The supplier's consent for one assessment.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ForwardingConsentView {
    pub assessment_id: Uuid,
    pub consent: ForwardingConsent,
    /// Null while the supplier has not decided (consent `none`).
    pub updated_at: Option<DateTime<Utc>>,
}

/// The supplier's decision for one assessment; it can be changed or withdrawn at any time.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct SetForwardingConsent {
    pub consent: ForwardingConsent,
}

/// A Tier-1 forwards its supply chain figure to the buyer of an assessment it received.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
#[serde(deny_unknown_fields)]
pub struct NewSupplyChainForward {
    /// An assessment the caller's organization answers (it is the supplier): its buyer
    /// receives the figure for the assessment's checklist (any version of its line).
    pub assessment_id: Uuid,
}

/// A forward: which Tier-1 shows which buyer its supply chain below, for which checklist.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct SupplyChainForward {
    pub id: Uuid,
    /// The Tier-1 organization that forwards.
    pub organization: PartyRef,
    /// The buyer that sees the figure.
    pub recipient: PartyRef,
    /// The recipient's assessment of the Tier-1 the forward was made from.
    pub assessment_id: Uuid,
    pub template_id: Uuid,
    pub template_name: String,
    pub created_at: DateTime<Utc>,
    /// Set once the Tier-1 withdrew it: the recipient no longer sees anything.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Sub-suppliers per achieved level.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct LevelDistribution {
    /// Not even level 1 achieved.
    pub none: u32,
    pub level1: u32,
    pub level2: u32,
    pub level3: u32,
}

/// One category of the heat map over the counted sub-suppliers.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct SupplyChainCategory {
    pub number: u32,
    pub name: String,
    /// Counted sub-suppliers with an achievement in this category (some have no applicable
    /// item in it).
    pub scored: u32,
    /// Mean achievement, 0–1; null when no counted sub-supplier has one.
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub mean: Option<f64>,
    /// Counted sub-suppliers by achievement: below 25 %, 25–50 %, 50–75 %, 75 % and above.
    pub bands: Vec<u32>,
}

/// A sub-supplier that agreed to be named.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct NamedSubSupplier {
    /// Its organization's name on Kensa.
    pub name: String,
    pub achieved_level: i32,
    /// When its counted assessment was submitted (scored).
    pub answered_at: DateTime<Utc>,
}

/// The Tier-1's supply chain below, as its buyer sees it: counts over every sub-supplier the
/// Tier-1 asked for this checklist (its latest assessment of each); levels and categories
/// only over those that answered and consented; names only of those that consented to be
/// named. Computed when read.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct SupplyChainFigure {
    /// Sub-suppliers the Tier-1 sent the checklist to.
    pub asked: u32,
    /// Of those, the ones whose latest assessment was submitted (scored).
    pub answered: u32,
    /// Of those, the ones that consented to be counted: the base of everything below.
    pub counted: u32,
    pub levels: LevelDistribution,
    pub categories: Vec<SupplyChainCategory>,
    /// Counted sub-suppliers that agreed to be named, by name.
    pub named: Vec<NamedSubSupplier>,
    pub computed_at: DateTime<Utc>,
}

/// One forward the caller's organization received, beside its own registry record of the
/// Tier-1: a line of the comparison's "supply chain below".
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct SupplyChainBelow {
    pub forward: SupplyChainForward,
    /// The caller's registry record of the Tier-1; null when it has none.
    pub supplier: Option<ComparisonSupplier>,
    pub figure: SupplyChainFigure,
}
