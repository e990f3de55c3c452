//! The supplier registry: create, list, get, update, soft-delete.

use crate::error::ErrorCode;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::model::{Supplier, SupplierFields, SupplierFilter, SupplierInput, validate_filter};
use super::repo;
use crate::Kensa;
use crate::assessments::{claims, invitations};
use crate::audit::record_action as record;
use crate::entities::suppliers;
use crate::error::{DomainError, DomainResult, OnUnique};
use crate::pagination::{Page, PageRequest};
use crate::precondition::IfMatch;
use crate::tenant::{EditorCtx, TenantCtx};

fn email_taken(email: &str) -> DomainError {
    DomainError::conflict(
        ErrorCode::SupplierEmailTaken,
        format!("a supplier with contact email {email} is already registered"),
    )
}

#[instrument(skip_all, fields(org = %editor.tenant().org_id()))]
pub async fn create(k: &Kensa, editor: EditorCtx<'_>, input: SupplierInput) -> DomainResult<Supplier> {
    let ctx = editor.tenant();
    let fields = SupplierFields::parse(input, None, "").map_err(DomainError::Validation)?;
    let row = repo::row(ctx, Uuid::now_v7(), &fields, k.now());
    let txn = k.begin_write().await?;
    if repo::find_by_email(&txn, ctx, &fields.contact_email).await?.is_some() {
        return Err(email_taken(&fields.contact_email));
    }
    suppliers::Entity::insert(suppliers::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await
        .on_unique(ErrorCode::SupplierEmailTaken, "a supplier with this contact email is already registered")?;
    record(&txn, ctx, "supplier.created", Some(("supplier", row.id.to_string())), json!({ "name": row.name })).await?;
    txn.commit().await?;
    Supplier::try_from(row)
}

#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn list(
    k: &Kensa,
    ctx: &TenantCtx,
    filter: &SupplierFilter,
    page: &PageRequest,
) -> DomainResult<Page<Supplier>> {
    validate_filter(filter)?;
    let rows = repo::list(&k.db, ctx, filter, page).await?;
    Page::from_rows(rows, page.limit, |r| r.id).try_map(Supplier::try_from)
}

#[instrument(skip_all, fields(org = %ctx.org_id(), supplier = %id))]
pub async fn get(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Supplier> {
    repo::find(&k.db, ctx, id).await?.map(Supplier::try_from).ok_or(DomainError::NotFound("supplier"))?
}

/// Changes the given fields. With `If-Match`, only while the record is at that version (412
/// otherwise, also when another write commits first).
#[instrument(skip_all, fields(org = %editor.tenant().org_id(), supplier = %id))]
pub async fn update(
    k: &Kensa,
    editor: EditorCtx<'_>,
    id: Uuid,
    input: SupplierInput,
    if_match: impl Into<IfMatch>,
) -> DomainResult<Supplier> {
    let ctx = editor.tenant();
    let txn = k.begin_write().await?;
    let existing = repo::lock(&txn, ctx, id).await?.ok_or(DomainError::NotFound("supplier"))?;
    if_match.into().check(k.require_if_match, existing.version)?;
    let current = SupplierFields::of(&Supplier::try_from(existing)?);
    let fields = SupplierFields::parse(input, Some(&current), "").map_err(DomainError::Validation)?;
    if fields.contact_email != current.contact_email
        && repo::find_by_email(&txn, ctx, &fields.contact_email).await?.is_some()
    {
        return Err(email_taken(&fields.contact_email));
    }
    let updated = repo::update_fields(&txn, ctx, id, &fields, k.now())
        .await
        .on_unique(ErrorCode::SupplierEmailTaken, "a supplier with this contact email is already registered")?;
    if !updated {
        return Err(DomainError::NotFound("supplier"));
    }
    record(&txn, ctx, "supplier.updated", Some(("supplier", id.to_string())), json!({ "name": fields.name })).await?;
    let row = repo::find(&txn, ctx, id).await?.ok_or(DomainError::NotFound("supplier"))?;
    let contact_changed = fields.contact_email != current.contact_email;
    if contact_changed {
        // Links mailed to the old address must not let their holder become this supplier.
        let now = k.now();
        let revoked = invitations::revoke_for_supplier(&txn, id, now).await?;
        claims::supersede_for_supplier(&txn, id, now).await?;
        let reinvited = invitations::reinvite_open(&txn, &row, now).await?;
        record(
            &txn,
            ctx,
            "supplier.contact_changed",
            Some(("supplier", id.to_string())),
            json!({ "revoked_links": revoked, "new_invitations": reinvited }),
        )
        .await?;
    }
    txn.commit().await?;
    if contact_changed {
        k.wake_worker();
    }
    Supplier::try_from(row)
}

/// Soft delete: the record stays for the history of its assessments; its outstanding
/// invitation links stop working. With `If-Match`, only at that version.
#[instrument(skip_all, fields(org = %editor.tenant().org_id(), supplier = %id))]
pub async fn delete(k: &Kensa, editor: EditorCtx<'_>, id: Uuid, if_match: impl Into<IfMatch>) -> DomainResult<()> {
    let ctx = editor.tenant();
    let txn = k.begin_write().await?;
    let existing = repo::lock(&txn, ctx, id).await?.ok_or(DomainError::NotFound("supplier"))?;
    if_match.into().check(k.require_if_match, existing.version)?;
    let now = k.now();
    let version = existing.version;
    let mut model: suppliers::ActiveModel = existing.into();
    model.deleted_at = Set(Some(now));
    model.updated_at = Set(now);
    model.version = Set(version + 1);
    suppliers::Entity::update(model).exec(&txn).await?;
    invitations::revoke_for_supplier(&txn, id, now).await?;
    claims::supersede_for_supplier(&txn, id, now).await?;
    record(&txn, ctx, "supplier.deleted", Some(("supplier", id.to_string())), json!({})).await?;
    txn.commit().await?;
    Ok(())
}
