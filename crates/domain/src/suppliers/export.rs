//! `GET /api/v1/suppliers/export`: the registry as the CSV the import takes, so a buyer can
//! edit it in a spreadsheet and import it back unchanged. Cells are neutralised against
//! formula injection (`crate::export`); the import undoes exactly that.

use tracing::instrument;

use super::import::HEADER;
use super::model::Supplier;
use super::repo;
use crate::Kensa;
use crate::error::DomainResult;
use crate::tenant::TenantCtx;

/// The value of one import column for a supplier. Columns are named by the import's
/// `HEADER`, the one list both directions follow; a column without a value here exports empty.
fn cell(s: &Supplier, column: &str) -> String {
    match column {
        "name" => s.name.clone(),
        "contact_name" => s.contact_name.clone().unwrap_or_default(),
        "contact_email" => s.contact_email.clone(),
        "contact_locale" => s.contact_locale.as_str().to_owned(),
        "tier" => s.tier.clone().unwrap_or_default(),
        "target_level" => s.target_level.to_string(),
        "tags" => s.tags.join(";"),
        _ => String::new(),
    }
}

/// Every live supplier of the caller's organization, oldest first, as CSV bytes.
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn export(k: &Kensa, ctx: &TenantCtx) -> DomainResult<Vec<u8>> {
    let rows = repo::all_by_email(&k.db, ctx).await?;
    let mut suppliers = rows.into_iter().map(Supplier::try_from).collect::<DomainResult<Vec<Supplier>>>()?;
    suppliers.sort_by_key(|s| s.id);
    crate::export::csv_document(
        &HEADER,
        suppliers.iter().map(|s| HEADER.iter().map(|c| cell(s, c)).collect::<Vec<_>>()),
    )
}
