//! Shares in the recipient's comparison: each active incoming share with its score, beside
//! the supplier as the recipient registered it (when it did), marked as shared and dated.

use sea_orm::{ColumnTrait, Condition};
use serde::Serialize;
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::model::Share;
use super::{content, record_in_owners_trails, repo, views};
use crate::Kensa;
use crate::comparison::ComparisonSupplier;
use crate::entities::{shares, suppliers};
use crate::error::DomainResult;
use crate::library::Line;
use crate::pagination::{Page, PageRequest};
use crate::scoring::Score;
use crate::tenant::TenantCtx;

/// One share as a comparison row.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct SharedComparisonRow {
    /// The share: `kind`, `scope`, its date (`submitted_at` for a snapshot, `created_at`),
    /// expiry and owner.
    pub share: Share,
    /// The caller's registry record of the sharing organization; null when it has none.
    pub supplier: Option<ComparisonSupplier>,
    /// Null until the share's terms are accepted.
    pub score: Option<Score>,
}

pub(crate) fn as_supplier(s: suppliers::Model) -> ComparisonSupplier {
    ComparisonSupplier {
        id: s.id,
        name: s.name,
        tier: s.tier,
        tags: serde_json::from_value(s.tags).unwrap_or_default(),
        target_level: s.target_level,
    }
}

/// `GET /api/v1/comparison/shared`: every share the caller's organization may read now
/// (optionally of one template's line), oldest first, each with its score. Each score shown
/// is a view in the supplier's audit trail (`share.viewed`, `via: comparison`).
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn shared_comparison(
    k: &Kensa,
    ctx: &TenantCtx,
    template_id: Option<Uuid>,
    page: &PageRequest,
) -> DomainResult<Page<SharedComparisonRow>> {
    let (org, now) = (ctx.org_id().0, k.now());
    let mut which = Condition::all().add(repo::readable_by(org, now));
    if let Some(id) = template_id {
        let line = Line::of_filter(k, ctx, id).await?;
        which = which
            .add(shares::Column::LineOwnerKey.eq(line.owner_key.as_str()))
            .add(shares::Column::LineKey.eq(line.key.as_str()));
    }
    let rows = repo::page(&k.db, which, page).await?;
    let page_rows = Page::from_rows(rows, page.limit, |r| r.id);
    let owners: Vec<Uuid> = page_rows.data.iter().map(|r| r.organization_id).collect();
    let records = repo::registry_records(&k.db, org, owners).await?;
    let suppliers: Vec<Option<ComparisonSupplier>> =
        page_rows.data.iter().map(|r| records.get(&r.organization_id).cloned().map(as_supplier)).collect();
    // One score per row, bounded by the page (at most 200): a snapshot's is stored, a live
    // profile's is computed from its library.
    let mut scores = Vec::with_capacity(page_rows.data.len());
    for row in &page_rows.data {
        scores.push(content::current_score(k, row).await?);
    }
    let shown: Vec<&shares::Model> =
        page_rows.data.iter().zip(&scores).filter(|(_, s)| s.is_some()).map(|(r, _)| r).collect();
    if !shown.is_empty() {
        let txn = k.begin_write().await?;
        let details = json!({ "scope": "scores", "via": "comparison" });
        record_in_owners_trails(&txn, ctx, &shown, "share.viewed", details).await?;
        txn.commit().await?;
    }
    let shares = views(&k.db, page_rows.data, org, now).await?;
    let data = shares
        .into_iter()
        .zip(suppliers)
        .zip(scores)
        .map(|((share, supplier), score)| SharedComparisonRow { share, supplier, score })
        .collect();
    Ok(Page { data, next_cursor: page_rows.next_cursor })
}
