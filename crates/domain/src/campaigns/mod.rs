//! Campaigns: one send of one template to many suppliers.

mod repo;
pub mod service;

pub use service::{Campaign, CampaignInput};
