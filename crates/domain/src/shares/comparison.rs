//! Shares in the recipient's comparison: each active incoming share with its score, beside
//! the supplier as the recipient registered it (when it did), marked as shared and dated.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition};
use serde::Serialize;
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::model::{Share, ShareKind, ShareScope};
use super::{content, record_in_owners_trails, repo, views};
use crate::Kensa;
use crate::comparison::ComparisonSupplier;
use crate::entities::{shares, suppliers};
use crate::error::DomainResult;
use crate::library::Line;
use crate::pagination::{Page, PageRequest};
use crate::scoring::{PerLevel, Score};
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

/// The figures of a share beside a registry row, as the row's own score shows them.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedFigures {
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub overall: Option<f64>,
    /// Achievement per level (0–1; null where nothing is applicable or above the target).
    pub levels: PerLevel<Option<f64>>,
    #[cfg_attr(feature = "openapi", schema(maximum = 3))]
    pub achieved_level: u8,
    pub meets_target: bool,
    /// The level the shared answers were given for (1–3).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub target_level: u8,
}

impl From<&Score> for SharedFigures {
    fn from(s: &Score) -> Self {
        Self {
            overall: s.overall,
            levels: PerLevel { l1: s.levels.l1.achievement, l2: s.levels.l2.achievement, l3: s.levels.l3.achievement },
            achieved_level: s.achieved_level,
            meets_target: s.meets_target,
            target_level: s.target_level,
        }
    }
}

/// A share beside a row of the registry comparison: the supplier's answers given elsewhere
/// (a snapshot of an assessment submitted to another buyer, or its live profile) and shared
/// with this buyer, for the row's template line.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComparisonShared {
    /// Read it whole at `GET /api/v1/shares/{share_id}/assessment`.
    pub share_id: Uuid,
    pub kind: ShareKind,
    pub scope: ShareScope,
    /// When the shared answers were submitted (a snapshot); null for a live profile, which
    /// follows the supplier's library.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When the supplier shared it.
    pub shared_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Null until the share's terms are accepted.
    pub score: Option<SharedFigures>,
}

/// A registry row's share with its whole score (the heatmap reads the categories).
pub(crate) struct RowShare {
    pub shown: ComparisonShared,
    pub score: Option<Score>,
}

/// Which share a row shows when several are readable: a live profile (it follows the
/// library, so it is the newest answer), else the latest submitted snapshot.
fn preference(row: &shares::Model) -> (bool, Option<DateTime<Utc>>, DateTime<Utc>) {
    (row.kind == ShareKind::Live.as_str(), row.submitted_at, row.created_at)
}

/// For the registry rows `(supplier id, template id)` of a comparison page, the share each
/// shows: the preferred readable share of the supplier's organization (when the record is
/// linked to one) on the template's line. Each score shown is a `share.viewed` in the
/// supplier's trail (when `record`), as on the shared comparison. At most one share per row, so a page of
/// 200 rows computes at most 200 scores.
pub(crate) async fn for_registry_rows(
    k: &Kensa,
    ctx: &TenantCtx,
    rows: &[(Uuid, Uuid)],
    record: bool,
) -> DomainResult<HashMap<(Uuid, Uuid), RowShare>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let (org, now) = (ctx.org_id().0, k.now());
    let supplier_ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let linked = repo::linked_organizations(&k.db, org, supplier_ids).await?;
    if linked.is_empty() {
        return Ok(HashMap::new());
    }
    let lines = repo::template_lines(&k.db, rows.iter().map(|r| r.1).collect()).await?;
    let mut organizations: Vec<Uuid> = linked.values().copied().collect();
    organizations.sort();
    organizations.dedup();
    let wanted: Vec<&Line> = lines.values().collect();
    let mut best: HashMap<(Uuid, String, String), shares::Model> = HashMap::new();
    for share in repo::readable_from(&k.db, org, organizations, &wanted, now).await? {
        let slot = (share.organization_id, share.line_owner_key.clone(), share.line_key.clone());
        match best.get(&slot) {
            Some(kept) if preference(kept) >= preference(&share) => {}
            _ => {
                best.insert(slot, share);
            }
        }
    }
    let mut out = HashMap::new();
    let mut shown: Vec<shares::Model> = Vec::new();
    for &(supplier, template) in rows {
        let (Some(owner), Some(line)) = (linked.get(&supplier), lines.get(&template)) else {
            continue;
        };
        let Some(share) = best.get(&(*owner, line.owner_key.clone(), line.key.clone())) else {
            continue;
        };
        let score = content::current_score(k, share).await?;
        if score.is_some() && !shown.iter().any(|s| s.id == share.id) {
            shown.push(share.clone());
        }
        let view = ComparisonShared {
            share_id: share.id,
            kind: ShareKind::try_from(share.kind.as_str())?,
            scope: ShareScope::try_from(share.scope.as_str())?,
            submitted_at: share.submitted_at,
            shared_at: share.created_at,
            expires_at: share.expires_at,
            score: score.as_ref().map(SharedFigures::from),
        };
        out.insert((supplier, template), RowShare { shown: view, score });
    }
    if record && !shown.is_empty() {
        let txn = k.begin_write().await?;
        let details = json!({ "scope": "scores", "via": "comparison" });
        record_in_owners_trails(&txn, ctx, &shown.iter().collect::<Vec<_>>(), "share.viewed", details).await?;
        txn.commit().await?;
    }
    Ok(out)
}
