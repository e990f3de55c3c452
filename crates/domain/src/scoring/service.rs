//! The score of one assessment, for either side: the stored snapshot once it was submitted
//! (what the buyer reviewed), else computed from the answers as they are now.

use tracing::instrument;
use uuid::Uuid;

use super::{Score, snapshot};
use crate::Kensa;
use crate::assessments::{Status, access};
use crate::error::DomainResult;
use crate::tenant::TenantCtx;

#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn of_assessment(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Score> {
    let visible = access::load(&k.db, ctx, id).await?;
    if matches!(visible.status()?, Status::Submitted | Status::Accepted)
        && let Some(stored) = snapshot::stored(&k.db, id).await?
    {
        return Ok(stored);
    }
    snapshot::compute(k, &k.db, visible.row()).await
}
