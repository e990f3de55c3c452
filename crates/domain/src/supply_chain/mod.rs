//! The multi-tier cascade: the guideline's Lv3 items ask every company to collect the check
//! sheet from its own partners, so a Tier-1 is at once a supplier of its OEMs and a buyer of
//! its Tier-2s. A Tier-1 sends the checklist to its Tier-2s as usual (a campaign) and can
//! **forward** to the buyer of an assessment it answers the figure of that supply chain
//! below: how many Tier-2s it asked and how many answered, and, over those that consented
//! in their own assessment, the distribution of achieved levels, a category heat map and the
//! names of those that agreed to be named.
//!
//! Consent is the Tier-2's, per assessment (`none` unless given; revocable); a forward is the
//! Tier-1's (revocable); the figure is computed when read, so either withdrawal is effective
//! at once. The recipient never learns which Tier-2s did not consent, nor anything of a
//! Tier-2 beyond the figure and the names given. The worker chases nothing across tenants:
//! the Tier-1 chases its Tier-2s as any buyer does.

mod below;
mod consent;
mod figures;
mod forwards;
pub(crate) use forwards::end_with_assessment;
pub mod model;

pub use below::{MAX_FIGURES_PER_PAGE, supply_chain_below, supply_chain_forward};
pub use consent::{consent, set_consent};
pub use forwards::{forward, list_forwards, revoke_forward};
pub use model::{
    ForwardingConsent, ForwardingConsentView, LevelDistribution, NamedSubSupplier, NewSupplyChainForward,
    SetForwardingConsent, SupplyChainBelow, SupplyChainCategory, SupplyChainFigure, SupplyChainForward,
};
