//! One set of schema migrations that runs unchanged on SQLite and PostgreSQL.
//!
//! Only portable column types are used (UUID, text, integer, boolean, timestamp with time
//! zone, JSON); anything backend-specific lives in the domain's repositories.

pub use sea_orm_migration::prelude::*;

mod m0001_foundation;
mod m0002_templates;
mod m0003_assessments;
mod m0004_supplier_email_unique;
mod m0005_supplier_claims;
mod m0006_job_dedupe_key;
mod m0007_integrators;
mod m0008_scores;
mod m0009_comparison_indexes;
mod m0010_chasing;
mod m0011_webhooks;
mod m0012_browser_sessions;
mod m0013_api_keys;
mod m0014_sign_ins_and_mfa;
mod m0015_email_verification;
mod m0016_answers_by_assessment;
mod m0017_answer_library;
mod m0018_shares;
mod m0019_supply_chain;
mod m0020_sharing_mail;
mod m0021_scs_readiness;
mod m0022_audit_chain;
mod m0023_organization_exports;
mod m0024_organization_erasure;
mod m0025_personal_data;
mod util;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_foundation::Migration),
            Box::new(m0002_templates::Migration),
            Box::new(m0003_assessments::Migration),
            Box::new(m0004_supplier_email_unique::Migration),
            Box::new(m0005_supplier_claims::Migration),
            Box::new(m0006_job_dedupe_key::Migration),
            Box::new(m0007_integrators::Migration),
            Box::new(m0008_scores::Migration),
            Box::new(m0009_comparison_indexes::Migration),
            Box::new(m0010_chasing::Migration),
            Box::new(m0011_webhooks::Migration),
            Box::new(m0012_browser_sessions::Migration),
            Box::new(m0013_api_keys::Migration),
            Box::new(m0014_sign_ins_and_mfa::Migration),
            Box::new(m0015_email_verification::Migration),
            Box::new(m0016_answers_by_assessment::Migration),
            Box::new(m0017_answer_library::Migration),
            Box::new(m0018_shares::Migration),
            Box::new(m0019_supply_chain::Migration),
            Box::new(m0020_sharing_mail::Migration),
            Box::new(m0021_scs_readiness::Migration),
            Box::new(m0022_audit_chain::Migration),
            Box::new(m0023_organization_exports::Migration),
            Box::new(m0024_organization_erasure::Migration),
            Box::new(m0025_personal_data::Migration),
        ]
    }
}
