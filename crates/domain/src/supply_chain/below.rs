//! What the recipient of forwards sees: per Tier-1, the figure of its supply chain below,
//! beside the recipient's own registry record of that Tier-1.

use sea_orm::{ColumnTrait, Condition};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::forwards::{self, page_of, readable_by};
use super::model::SupplyChainBelow;
use crate::Kensa;
use crate::entities::supply_chain_forwards as rows;
use crate::error::{DomainError, DomainResult};
use crate::library::Line;
use crate::pagination::{Page, PageRequest};
use crate::shares::comparison::as_supplier;
use crate::shares::repo::registry_records;
use crate::tenant::TenantCtx;

/// Figures computed by one page of the supply chain below.
pub const MAX_FIGURES_PER_PAGE: u64 = 20;

/// Each figure the recipient reads is a `supply_chain.viewed` in the forwarding Tier-1's
/// trail, as a share's reads are in the supplier's (without the reader's address, request
/// id or key: another organization's details).
async fn record_views(k: &Kensa, ctx: &TenantCtx, read: &[&rows::Model]) -> DomainResult<()> {
    if read.is_empty() {
        return Ok(());
    }
    let txn = k.begin_write().await?;
    let targets = read.iter().map(|r| (r.organization_id, r.id));
    crate::audit::record_in_trails_of(&txn, ctx, "supply_chain.viewed", "supply_chain_forward", targets, json!({}))
        .await?;
    txn.commit().await?;
    Ok(())
}

async fn below(k: &Kensa, ctx: &TenantCtx, rows: Vec<rows::Model>) -> DomainResult<Vec<SupplyChainBelow>> {
    let viewer = ctx.org_id().0;
    let now = k.now();
    let records = registry_records(&k.db, viewer, rows.iter().map(|r| r.organization_id).collect()).await?;
    let mut figures = Vec::with_capacity(rows.len());
    for r in &rows {
        let content = k.template_contents.load(&k.db, r.template_id).await?;
        let line = Line { owner_key: r.line_owner_key.clone(), key: r.line_key.clone() };
        figures.push(super::figures::compute(&k.db, r.organization_id, &line, &content.0, now).await?);
    }
    let suppliers: Vec<_> = rows
        .iter()
        .map(|r| records.get(&r.organization_id).filter(|_| r.recipient_organization_id == viewer).cloned())
        .collect();
    record_views(k, ctx, &rows.iter().filter(|r| r.recipient_organization_id == viewer).collect::<Vec<_>>()).await?;
    let views = forwards::views(&k.db, rows).await?;
    Ok(views
        .into_iter()
        .zip(suppliers)
        .zip(figures)
        .map(|((forward, supplier), figure)| SupplyChainBelow { forward, supplier: supplier.map(as_supplier), figure })
        .collect())
}

/// `GET /api/v1/comparison/supply-chain`: every forward the caller's organization receives
/// (optionally for one checklist's line), oldest first, each Tier-1 with the figure of its
/// supply chain below. At most [`MAX_FIGURES_PER_PAGE`] per page, whatever `limit` asks.
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn supply_chain_below(
    k: &Kensa,
    ctx: &TenantCtx,
    template_id: Option<Uuid>,
    page: &PageRequest,
) -> DomainResult<Page<SupplyChainBelow>> {
    let org = ctx.org_id().0;
    let mut which = Condition::all().add(readable_by(org));
    if let Some(id) = template_id {
        let line = Line::of_filter(k, ctx, id).await?;
        which = which
            .add(rows::Column::LineOwnerKey.eq(line.owner_key.as_str()))
            .add(rows::Column::LineKey.eq(line.key.as_str()));
    }
    // Each figure reads a Tier-1's whole registry for the line: a page computes at most 20.
    let page = PageRequest { limit: page.limit.min(MAX_FIGURES_PER_PAGE), ..*page };
    let found = page_of(&k.db, which, &page).await?;
    let page_rows = Page::from_rows(found, page.limit, |r| r.id);
    Ok(Page { data: below(k, ctx, page_rows.data).await?, next_cursor: page_rows.next_cursor })
}

/// `GET /api/v1/supply-chain/forwards/{id}`: one forward with its figure, for its recipient
/// while it stands, and for the Tier-1 that made it (what its buyer sees).
#[instrument(skip_all, fields(org = %ctx.org_id(), forward = %id))]
pub async fn supply_chain_forward(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<SupplyChainBelow> {
    let org = ctx.org_id().0;
    let row = match forwards::readable(&k.db, org, id).await? {
        Some(row) => row,
        None => forwards::owned(&k.db, org, id).await?.ok_or(DomainError::NotFound("supply chain forward"))?,
    };
    below(k, ctx, vec![row]).await?.pop().ok_or(DomainError::NotFound("supply chain forward"))
}
