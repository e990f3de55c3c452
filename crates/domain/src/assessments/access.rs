//! Who may see and do what with an assessment. The buyer organization and the linked
//! supplier organization see it; anyone else gets "not found".

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::model::{Side, Status};
use crate::entities::assessments;
use crate::error::{DomainError, DomainResult};
use crate::tenant::{Role, TenantCtx};

pub fn visible_to(ctx: &TenantCtx) -> Condition {
    Condition::any()
        .add(assessments::Column::BuyerOrganizationId.eq(ctx.org_id().0))
        .add(assessments::Column::SupplierOrganizationId.eq(ctx.org_id().0))
}

/// An assessment the caller can see, with the side it sees it from.
pub struct Visible {
    pub row: assessments::Model,
    pub side: Side,
}

impl Visible {
    pub fn status(&self) -> DomainResult<Status> {
        Status::try_from(self.row.status.as_str())
    }

    /// Suppliers' respondents, admins and owners answer; everyone else reads.
    pub fn require_answerer(&self, ctx: &TenantCtx) -> DomainResult<()> {
        if self.side == Side::Supplier && matches!(ctx.role(), Role::Owner | Role::Admin | Role::Respondent) {
            Ok(())
        } else {
            Err(DomainError::Forbidden)
        }
    }

    /// Buyers' reviewers, admins and owners review, comment and cancel.
    pub fn require_reviewer(&self, ctx: &TenantCtx) -> DomainResult<()> {
        if self.side == Side::Buyer && matches!(ctx.role(), Role::Owner | Role::Admin | Role::Reviewer) {
            Ok(())
        } else {
            Err(DomainError::Forbidden)
        }
    }

    /// Who may write comments: the answering side's answerers, the buying side's reviewers.
    pub fn require_participant(&self, ctx: &TenantCtx) -> DomainResult<()> {
        self.require_answerer(ctx).or_else(|_| self.require_reviewer(ctx))
    }
}

pub async fn load(conn: &impl ConnectionTrait, ctx: &TenantCtx, id: Uuid) -> DomainResult<Visible> {
    let row = assessments::Entity::find_by_id(id)
        .filter(visible_to(ctx))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound("assessment"))?;
    // An organization assessing itself acts as buyer for reviews and as supplier for answers;
    // the buyer view wins for reading.
    let side = if row.buyer_organization_id == ctx.org_id().0 && row.supplier_organization_id != Some(ctx.org_id().0) {
        Side::Buyer
    } else if row.supplier_organization_id == Some(ctx.org_id().0) {
        Side::Supplier
    } else {
        Side::Buyer
    };
    Ok(Visible { row, side })
}
