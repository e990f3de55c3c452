//! The library's tables. Every query names the organization: a library is only ever read
//! or written by its own organization's id.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::Line;
use crate::WriteTx;
use crate::entities::{assessments, library_answers, library_evidence};
use crate::error::DomainResult;
use crate::tenant::TenantCtx;

fn of_line<E: EntityTrait>(
    query: sea_orm::Select<E>,
    organization: Uuid,
    line: &Line,
    cols: (E::Column, E::Column, E::Column),
) -> sea_orm::Select<E>
where
    E::Column: ColumnTrait,
{
    query
        .filter(cols.0.eq(organization))
        .filter(cols.1.eq(line.owner_key.as_str()))
        .filter(cols.2.eq(line.key.as_str()))
}

pub(crate) async fn answers(
    conn: &impl ConnectionTrait,
    organization: Uuid,
    line: &Line,
) -> DomainResult<Vec<library_answers::Model>> {
    use library_answers::Column as C;
    let query =
        of_line(library_answers::Entity::find(), organization, line, (C::OrganizationId, C::LineOwnerKey, C::LineKey));
    Ok(query.order_by_asc(C::ItemNo).all(conn).await?)
}

pub(crate) async fn files(
    conn: &impl ConnectionTrait,
    organization: Uuid,
    line: &Line,
) -> DomainResult<Vec<library_evidence::Model>> {
    use library_evidence::Column as C;
    let query =
        of_line(library_evidence::Entity::find(), organization, line, (C::OrganizationId, C::LineOwnerKey, C::LineKey));
    Ok(query.order_by_asc(C::ItemNo).order_by_asc(C::CreatedAt).all(conn).await?)
}

/// Line, item count and newest answer time of every line the organization's library holds.
pub(super) async fn lines(
    conn: &impl ConnectionTrait,
    organization: Uuid,
) -> DomainResult<Vec<(Line, u32, chrono::DateTime<chrono::Utc>)>> {
    use library_answers::Column as C;
    let rows: Vec<(String, String, chrono::DateTime<chrono::Utc>)> = library_answers::Entity::find()
        .select_only()
        .column(C::LineOwnerKey)
        .column(C::LineKey)
        .column(C::UpdatedAt)
        .filter(C::OrganizationId.eq(organization))
        .into_tuple()
        .all(conn)
        .await?;
    let mut lines: std::collections::BTreeMap<(String, String), (u32, chrono::DateTime<chrono::Utc>)> =
        std::collections::BTreeMap::new();
    for (owner_key, key, at) in rows {
        let entry = lines.entry((owner_key, key)).or_insert((0, at));
        entry.0 += 1;
        entry.1 = entry.1.max(at);
    }
    Ok(lines.into_iter().map(|((owner_key, key), (n, at))| (Line { owner_key, key }, n, at)).collect())
}

/// Whether an assessment addressed to the caller's organization uses the template.
pub(super) async fn answers_template(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    template: Uuid,
) -> DomainResult<bool> {
    Ok(assessments::Entity::find()
        .filter(assessments::Column::TemplateId.eq(template))
        .filter(assessments::Column::SupplierOrganizationId.eq(ctx.org_id().0))
        .one(conn)
        .await?
        .is_some())
}

/// The assessment of the same line that the supplier organization last submitted to the
/// same buyer, other than `row`.
pub(super) async fn last_given(
    conn: &impl ConnectionTrait,
    row: &assessments::Model,
    line: &Line,
) -> DomainResult<Option<assessments::Model>> {
    let Some(supplier) = row.supplier_organization_id else { return Ok(None) };
    let versions = crate::templates::repo::line_versions(conn, &line.owner_key, &line.key).await?;
    Ok(assessments::Entity::find()
        .filter(assessments::Column::SupplierOrganizationId.eq(supplier))
        .filter(assessments::Column::BuyerOrganizationId.eq(row.buyer_organization_id))
        .filter(assessments::Column::TemplateId.is_in(versions))
        .filter(assessments::Column::SubmittedAt.is_not_null())
        .filter(assessments::Column::Id.ne(row.id))
        .order_by_desc(assessments::Column::SubmittedAt)
        .one(conn)
        .await?)
}

/// Inserts library answers and overwrites those that exist.
pub(super) async fn upsert_answers(tx: &WriteTx, rows: Vec<library_answers::Model>) -> DomainResult<()> {
    use library_answers::Column as C;
    let on_conflict = OnConflict::columns([C::OrganizationId, C::LineOwnerKey, C::LineKey, C::ItemNo])
        .update_columns([
            C::Status,
            C::Comment,
            C::Reason,
            C::RemediationPlan,
            C::RemediationDue,
            C::SourceAssessmentId,
            C::UpdatedBy,
            C::UpdatedAt,
        ])
        .to_owned();
    for chunk in rows.chunks(300) {
        library_answers::Entity::insert_many(chunk.iter().cloned().map(library_answers::ActiveModel::from))
            .on_conflict(on_conflict.clone())
            .exec_without_returning(tx)
            .await?;
    }
    Ok(())
}

/// Replaces the evidence references of `items` with `files`; returns the storage keys of
/// the references it removed.
pub(super) async fn replace_files(
    tx: &WriteTx,
    organization: Uuid,
    line: &Line,
    items: Vec<i32>,
    files: Vec<library_evidence::Model>,
) -> DomainResult<Vec<String>> {
    use library_evidence::Column as C;
    let mut removed = Vec::new();
    for chunk in items.chunks(300) {
        let of_items = Condition::all()
            .add(C::OrganizationId.eq(organization))
            .add(C::LineOwnerKey.eq(line.owner_key.as_str()))
            .add(C::LineKey.eq(line.key.as_str()))
            .add(C::ItemNo.is_in(chunk.iter().copied()));
        let keys: Vec<String> = library_evidence::Entity::find()
            .select_only()
            .column(C::StorageKey)
            .filter(of_items.clone())
            .into_tuple()
            .all(tx)
            .await?;
        removed.extend(keys);
        library_evidence::Entity::delete_many().filter(of_items).exec(tx).await?;
    }
    for chunk in files.chunks(300) {
        library_evidence::Entity::insert_many(chunk.iter().cloned().map(library_evidence::ActiveModel::from))
            .exec_without_returning(tx)
            .await?;
    }
    Ok(removed)
}

/// Removes an item's answer and evidence references: the storage keys of the references,
/// or `None` when the item had no answer.
pub(super) async fn delete_item(
    tx: &WriteTx,
    organization: Uuid,
    line: &Line,
    no: i32,
) -> DomainResult<Option<Vec<String>>> {
    let removed = replace_files(tx, organization, line, vec![no], Vec::new()).await?;
    use library_answers::Column as C;
    let deleted = library_answers::Entity::delete_many()
        .filter(C::OrganizationId.eq(organization))
        .filter(C::LineOwnerKey.eq(line.owner_key.as_str()))
        .filter(C::LineKey.eq(line.key.as_str()))
        .filter(C::ItemNo.eq(no))
        .exec(tx)
        .await?;
    Ok((deleted.rows_affected > 0).then_some(removed))
}

pub(super) async fn refers_to(conn: &impl ConnectionTrait, storage_key: &str) -> DomainResult<bool> {
    Ok(library_evidence::Entity::find()
        .filter(library_evidence::Column::StorageKey.eq(storage_key))
        .one(conn)
        .await?
        .is_some())
}
