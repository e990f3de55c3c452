//! Campaigns: one send of one template to many suppliers.

pub mod service;

pub use service::{Campaign, CampaignInput};
