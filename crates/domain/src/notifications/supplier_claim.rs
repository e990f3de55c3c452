//! "Someone claimed your supplier's invitation": to each of the buyer's owners and admins.

use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::Kensa;
use crate::assessments::claims::{ClaimStatus, SupplierClaim, describe};
use crate::entities::{supplier_claims, users};
use crate::error::DomainResult;

/// What the worker needs to tell one of the buyer's owners or admins about a claim.
#[derive(Clone, Debug)]
pub struct ClaimMail {
    pub to: String,
    pub locale: String,
    pub claim: SupplierClaim,
    pub link: String,
}

/// `None` once the claim was decided or the recipient left.
pub async fn prepare(k: &Kensa, claim_id: Uuid, user_id: Uuid) -> DomainResult<Option<ClaimMail>> {
    let Some(row) = supplier_claims::Entity::find_by_id(claim_id).one(&k.db).await? else { return Ok(None) };
    if ClaimStatus::try_from(row.status.as_str())? != ClaimStatus::Pending {
        return Ok(None);
    }
    let Some(user) = users::Entity::find_by_id(user_id).one(&k.db).await? else { return Ok(None) };
    if !user.active || user.organization_id != row.buyer_organization_id {
        return Ok(None);
    }
    let Some(claim) = describe(&k.db, vec![row]).await?.pop() else { return Ok(None) };
    let mut link = k.public_url.clone();
    link.set_path(&format!("/supplier-claims/{claim_id}"));
    Ok(Some(ClaimMail { to: user.email, locale: user.locale, claim, link: link.to_string() }))
}
