//! Indexes that let the comparison's first page be read in order instead of sorting every
//! row of the buyer (`kensa_domain::comparison::repo`): each sort key that an index can hold
//! gets one, led by the organization the query names.
//!
//! - `supplier_name` (the default) walks `suppliers (organization_id, search_text)`;
//! - `due_date` walks `assessments (buyer_organization_id, due_date)`, and reaches the
//!   comparison row through `comparison_rows (current_assessment_id)`;
//! - `overall` walks `assessment_scores (buyer_organization_id, overall)` (m0008), and
//!   `level1`–`level3` and `achieved_level` their own;
//! - `status` reads one status at a time, found through
//!   `assessments (buyer_organization_id, status)` when it is rare.
//!
//! `category:<n>` still sorts the buyer's rows (category scores carry no organization).

use sea_orm_migration::prelude::*;

use crate::util::index;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_comparison_indexes"
    }
}

const INDEXES: &[(&str, &str, &[&str])] = &[
    ("suppliers", "suppliers_org_search_idx", &["organization_id", "search_text"]),
    ("assessments", "assessments_buyer_due_idx", &["buyer_organization_id", "due_date"]),
    ("assessments", "assessments_buyer_status_idx", &["buyer_organization_id", "status"]),
    ("comparison_rows", "comparison_rows_current_idx", &["current_assessment_id"]),
    ("assessment_scores", "assessment_scores_buyer_level1_idx", &["buyer_organization_id", "level1"]),
    ("assessment_scores", "assessment_scores_buyer_level2_idx", &["buyer_organization_id", "level2"]),
    ("assessment_scores", "assessment_scores_buyer_level3_idx", &["buyer_organization_id", "level3"]),
    ("assessment_scores", "assessment_scores_buyer_achieved_idx", &["buyer_organization_id", "achieved_level"]),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, cols) in INDEXES {
            manager.create_index(index(table, name, cols, false)).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, _) in INDEXES {
            manager.drop_index(Index::drop().name(*name).table(*table).to_owned()).await?;
        }
        Ok(())
    }
}
