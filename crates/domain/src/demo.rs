//! The little that `kensa-api demo` needs beyond the services: whether the database is
//! fresh, and an overdue assessment. The services rightly refuse a due date in the past and
//! read the real clock, so an assessment can only become overdue by waiting; the demo
//! instead moves one fresh assessment's due date back, scoped to the buyer like any write.

use chrono::NaiveDate;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::Kensa;
use crate::entities::{assessments, organizations};
use crate::error::{DomainError, DomainResult};
use crate::tenant::EditorCtx;

/// How many organizations exist: the demo refuses to mix its data into a used database.
pub async fn organization_count(k: &Kensa) -> DomainResult<u64> {
    Ok(organizations::Entity::find().count(&k.db).await?)
}

/// Sets the due date of one of the editor's organization's assessments (demo data only).
pub async fn backdate_due_date(
    k: &Kensa,
    editor: EditorCtx<'_>,
    assessment_id: Uuid,
    due: NaiveDate,
) -> DomainResult<()> {
    let txn = k.begin_write().await?;
    let updated = assessments::Entity::update_many()
        .col_expr(assessments::Column::DueDate, Expr::value(due))
        .filter(assessments::Column::Id.eq(assessment_id))
        .filter(assessments::Column::BuyerOrganizationId.eq(editor.tenant().org_id().0))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(DomainError::NotFound("assessment"));
    }
    txn.commit().await?;
    Ok(())
}

/// Marks the signed-in owner's address and organization verified: the demo's addresses are
/// made up (`@example.com`), so no one can follow a mailed link, and the demo must send
/// its campaigns (demo data only).
pub async fn mark_verified(k: &Kensa, owner: &crate::tenant::TenantCtx) -> DomainResult<()> {
    let user_id = owner.user_id().ok_or(DomainError::Forbidden)?;
    let user = crate::users::repo::find_by_id(&k.db, user_id.0).await?.ok_or(DomainError::NotFound("user"))?;
    let txn = k.begin_write().await?;
    let email = user.email.clone();
    crate::auth::mail_links::verify_address(&txn, &user, &email, k.now()).await?;
    txn.commit().await?;
    k.principals.invalidate(user.id);
    Ok(())
}
