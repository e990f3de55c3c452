//! The buyer's supplier registry.

pub mod export;
pub mod import;
pub mod model;
pub mod repo;
pub mod service;

pub use import::ImportReport;
pub use model::{ReviewStatus, Supplier, SupplierFilter, SupplierInput};
