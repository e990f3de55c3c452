//! Who may see and do what with an assessment. The buyer organization and the linked
//! supplier organization see it; anyone else gets "not found".
//!
//! [`load`] is the only way to get a [`Visible`]: holding one proves the caller may read the
//! assessment, and every query of its answers, comments, evidence and history takes it (see
//! [`super::repo`]), so no child row is ever read by assessment id alone. Writing needs a
//! capability obtained from it: [`Answerer`] (the supplier side's respondents, admins and
//! owners) or [`Reviewer`] (the buyer side's reviewers, admins and owners).

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::model::{Side, Status};
use crate::entities::assessments;
use crate::error::{DomainError, DomainResult};
use crate::tenant::{EditorCtx, Role, TenantCtx};

pub(crate) fn visible_to(ctx: &TenantCtx) -> Condition {
    Condition::any()
        .add(assessments::Column::BuyerOrganizationId.eq(ctx.org_id().0))
        .add(assessments::Column::SupplierOrganizationId.eq(ctx.org_id().0))
}

/// Proof of read access to one assessment, with the side the caller sees it from.
#[derive(Debug)]
pub struct Visible {
    row: assessments::Model,
    side: Side,
    role: Role,
}

/// Capability: the caller answers this assessment (supplier side; respondent, admin, owner).
#[derive(Clone, Copy, Debug)]
pub struct Answerer<'a>(&'a Visible);

/// Capability: the caller reviews this assessment (buyer side; reviewer, admin, owner).
#[derive(Clone, Copy, Debug)]
pub struct Reviewer<'a>(&'a Visible);

/// Capability: the caller may write in the assessment's comment threads (either of the above).
#[derive(Clone, Copy, Debug)]
pub struct Participant<'a>(&'a Visible);

impl Visible {
    pub fn row(&self) -> &assessments::Model {
        &self.row
    }

    pub fn id(&self) -> Uuid {
        self.row.id
    }

    pub fn side(&self) -> Side {
        self.side
    }

    pub fn status(&self) -> DomainResult<Status> {
        Status::try_from(self.row.status.as_str())
    }

    /// The buyer's internal comments are for the buyer side only.
    pub fn reads_internal(&self) -> bool {
        self.side == Side::Buyer
    }

    pub fn answerer(&self) -> DomainResult<Answerer<'_>> {
        if self.side == Side::Supplier && matches!(self.role, Role::Owner | Role::Admin | Role::Respondent) {
            Ok(Answerer(self))
        } else {
            Err(DomainError::Forbidden)
        }
    }

    pub fn reviewer(&self) -> DomainResult<Reviewer<'_>> {
        if self.side == Side::Buyer && matches!(self.role, Role::Owner | Role::Admin | Role::Reviewer) {
            Ok(Reviewer(self))
        } else {
            Err(DomainError::Forbidden)
        }
    }

    pub fn participant(&self) -> DomainResult<Participant<'_>> {
        self.answerer().map(|a| Participant(a.0)).or_else(|_| self.reviewer().map(|r| Participant(r.0)))
    }
}

impl<'a> Answerer<'a> {
    pub fn visible(self) -> &'a Visible {
        self.0
    }
}

impl<'a> Reviewer<'a> {
    pub fn visible(self) -> &'a Visible {
        self.0
    }
}

/// A reviewer writes in the threads too.
impl<'a> From<Reviewer<'a>> for Participant<'a> {
    fn from(r: Reviewer<'a>) -> Self {
        Participant(r.0)
    }
}

impl<'a> Participant<'a> {
    pub fn visible(self) -> &'a Visible {
        self.0
    }
}

fn side_of(ctx: &TenantCtx, row: &assessments::Model) -> Side {
    // An organization assessing itself acts as buyer for reviews and as supplier for answers;
    // the buyer view wins for reading.
    if row.buyer_organization_id == ctx.org_id().0 && row.supplier_organization_id != Some(ctx.org_id().0) {
        Side::Buyer
    } else if row.supplier_organization_id == Some(ctx.org_id().0) {
        Side::Supplier
    } else {
        Side::Buyer
    }
}

pub async fn load(conn: &impl ConnectionTrait, ctx: &TenantCtx, id: Uuid) -> DomainResult<Visible> {
    let row = assessments::Entity::find_by_id(id)
        .filter(visible_to(ctx))
        .one(conn)
        .await?
        .ok_or(DomainError::NotFound("assessment"))?;
    Ok(Visible { side: side_of(ctx, &row), role: ctx.role(), row })
}

/// The buyer's own assessments, already read by a query scoped to the editor's organization
/// (a campaign's): rows of another buyer are dropped, never proven.
pub(crate) fn buyer_rows(editor: EditorCtx<'_>, rows: Vec<assessments::Model>) -> Vec<Visible> {
    let ctx = editor.tenant();
    rows.into_iter()
        .filter(|row| row.buyer_organization_id == ctx.org_id().0)
        .map(|row| Visible { side: Side::Buyer, role: ctx.role(), row })
        .collect()
}
