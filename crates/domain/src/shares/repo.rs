//! The sharing tables. A share is read by its owner (`organization_id`) or by its active
//! recipient; a share request by the organization that asked or the one asked. Every query
//! names the caller's organization.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entities::{organizations, share_evidence, share_requests, shares, templates};
use crate::error::DomainResult;
use crate::pagination::PageRequest;

/// Shares the organization can still read: addressed to it, neither revoked nor expired.
pub(super) fn readable_by(organization: Uuid, now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(shares::Column::RecipientOrganizationId.eq(organization))
        .add(shares::Column::RevokedAt.is_null())
        .add(shares::Column::ExpiresAt.gt(now))
}

pub(super) async fn owned(
    conn: &impl ConnectionTrait,
    organization: Uuid,
    id: Uuid,
) -> DomainResult<Option<shares::Model>> {
    Ok(shares::Entity::find_by_id(id).filter(shares::Column::OrganizationId.eq(organization)).one(conn).await?)
}

pub(super) async fn readable(
    conn: &impl ConnectionTrait,
    organization: Uuid,
    id: Uuid,
    now: DateTime<Utc>,
) -> DomainResult<Option<shares::Model>> {
    Ok(shares::Entity::find_by_id(id).filter(readable_by(organization, now)).one(conn).await?)
}

/// Shares of the organization that are neither revoked nor expired.
pub(super) async fn standing(conn: &impl ConnectionTrait, organization: Uuid, now: DateTime<Utc>) -> DomainResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(shares::Entity::find()
        .filter(shares::Column::OrganizationId.eq(organization))
        .filter(shares::Column::RevokedAt.is_null())
        .filter(shares::Column::ExpiresAt.gt(now))
        .count(conn)
        .await?)
}

/// The caller's registry records of the organizations, the oldest per organization.
pub(crate) async fn registry_records(
    conn: &impl ConnectionTrait,
    caller: Uuid,
    organizations: Vec<Uuid>,
) -> DomainResult<HashMap<Uuid, crate::entities::suppliers::Model>> {
    use crate::entities::suppliers;
    let rows = suppliers::Entity::find()
        .filter(suppliers::Column::OrganizationId.eq(caller))
        .filter(suppliers::Column::SupplierOrganizationId.is_in(organizations))
        .filter(suppliers::Column::DeletedAt.is_null())
        .order_by_desc(suppliers::Column::CreatedAt)
        .all(conn)
        .await?;
    // Newest first, so the oldest record of each organization is inserted last and kept.
    Ok(rows.into_iter().filter_map(|s| s.supplier_organization_id.map(|o| (o, s))).collect())
}

pub(super) async fn by_link(conn: &impl ConnectionTrait, link_hash: &str) -> DomainResult<Option<shares::Model>> {
    Ok(shares::Entity::find().filter(shares::Column::LinkHash.eq(link_hash)).one(conn).await?)
}

/// A page of shares matching `which`, oldest first, without a snapshot's frozen answers
/// (`content` is null: a list shows shares and their stored scores, never answers, and 153
/// answers per row were most of a comparison page's time).
pub(super) async fn page(
    conn: &impl ConnectionTrait,
    which: Condition,
    page: &PageRequest,
) -> DomainResult<Vec<shares::Model>> {
    use sea_orm::{Iterable, sea_query::Expr};
    let columns = shares::Column::iter().filter(|c| !matches!(c, shares::Column::Content));
    let mut query = shares::Entity::find()
        .select_only()
        .columns(columns)
        .column_as(Expr::value(Option::<serde_json::Value>::None), "content")
        .filter(which);
    if let Some(cursor) = page.cursor {
        query = query.filter(shares::Column::Id.gt(cursor));
    }
    Ok(query.order_by_asc(shares::Column::Id).limit(page.limit + 1).all(conn).await?)
}

pub(super) async fn snapshot_files(
    conn: &impl ConnectionTrait,
    share: Uuid,
) -> DomainResult<Vec<share_evidence::Model>> {
    Ok(share_evidence::Entity::find()
        .filter(share_evidence::Column::ShareId.eq(share))
        .order_by_asc(share_evidence::Column::ItemNo)
        .order_by_asc(share_evidence::Column::EvidenceId)
        .all(conn)
        .await?)
}

/// Removes a share's evidence references; returns their storage keys.
pub(super) async fn drop_files(tx: &crate::WriteTx, share: Uuid) -> DomainResult<Vec<String>> {
    let keys: Vec<String> = share_evidence::Entity::find()
        .select_only()
        .column(share_evidence::Column::StorageKey)
        .filter(share_evidence::Column::ShareId.eq(share))
        .into_tuple()
        .all(tx)
        .await?;
    share_evidence::Entity::delete_many().filter(share_evidence::Column::ShareId.eq(share)).exec(tx).await?;
    Ok(keys)
}

/// Up to `limit` expired shares that still hold evidence references.
pub(super) async fn expired_with_files(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> DomainResult<Vec<Uuid>> {
    let expired = sea_orm::sea_query::Query::select()
        .column(shares::Column::Id)
        .from(shares::Entity)
        // A few minutes' grace: a download that checked the share just before it expired
        // still finds its file, and a worker whose clock runs ahead takes nothing early.
        .and_where(shares::Column::ExpiresAt.lte(now - chrono::Duration::minutes(5)))
        .to_owned();
    Ok(share_evidence::Entity::find()
        .select_only()
        .column(share_evidence::Column::ShareId)
        .distinct()
        .filter(share_evidence::Column::ShareId.in_subquery(expired))
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?)
}

pub(super) async fn refers_to(conn: &impl ConnectionTrait, storage_key: &str) -> DomainResult<bool> {
    Ok(share_evidence::Entity::find()
        .filter(share_evidence::Column::StorageKey.eq(storage_key))
        .one(conn)
        .await?
        .is_some())
}

/// The names a list of shares or requests shows: of its organizations and templates.
pub(crate) struct Names {
    organizations: HashMap<Uuid, String>,
    templates: HashMap<Uuid, String>,
}

impl Names {
    /// Both lookups, from ids collected before the awaits (a borrowing iterator held across
    /// one makes the future's lifetimes too specific for async-graphql's resolvers).
    pub(crate) async fn of(
        conn: &impl ConnectionTrait,
        organizations: Vec<Uuid>,
        templates: Vec<Uuid>,
    ) -> DomainResult<Self> {
        Ok(Self {
            organizations: organization_names(conn, organizations).await?,
            templates: template_names(conn, templates).await?,
        })
    }

    pub(crate) fn party(&self, id: Uuid) -> crate::assessments::model::PartyRef {
        crate::assessments::model::PartyRef { id, name: self.organizations.get(&id).cloned().unwrap_or_default() }
    }

    pub(crate) fn template(&self, id: Uuid) -> String {
        self.templates.get(&id).cloned().unwrap_or_default()
    }
}

/// Organization names by id.
pub(crate) async fn organization_names(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> DomainResult<HashMap<Uuid, String>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let mut out = HashMap::with_capacity(ids.len());
    // In chunks: a supply chain figure may name many organizations.
    for chunk in ids.chunks(500) {
        let rows: Vec<(Uuid, String)> = organizations::Entity::find()
            .select_only()
            .column(organizations::Column::Id)
            .column(organizations::Column::Name)
            .filter(organizations::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// Template names by id.
async fn template_names(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> DomainResult<HashMap<Uuid, String>> {
    let ids: Vec<Uuid> = ids.into_iter().collect();
    let rows: Vec<(Uuid, String)> = templates::Entity::find()
        .select_only()
        .column(templates::Column::Id)
        .column(templates::Column::Name)
        .filter(templates::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// A request the organization made or was asked.
pub(super) async fn request_of(
    conn: &impl ConnectionTrait,
    organization: Uuid,
    id: Uuid,
) -> DomainResult<Option<share_requests::Model>> {
    Ok(share_requests::Entity::find_by_id(id)
        .filter(
            Condition::any()
                .add(share_requests::Column::RequesterOrganizationId.eq(organization))
                .add(share_requests::Column::SupplierOrganizationId.eq(organization)),
        )
        .one(conn)
        .await?)
}

/// The open request by `requester` to `supplier` for `template`, if one exists.
pub(super) async fn open_request(
    conn: &impl ConnectionTrait,
    requester: Uuid,
    supplier: Uuid,
    template: Uuid,
) -> DomainResult<Option<share_requests::Model>> {
    use share_requests::Column as C;
    Ok(share_requests::Entity::find()
        .filter(C::RequesterOrganizationId.eq(requester))
        .filter(C::SupplierOrganizationId.eq(supplier))
        .filter(C::TemplateId.eq(template))
        .filter(C::Status.eq("open"))
        .one(conn)
        .await?)
}

pub(super) async fn requests_page(
    conn: &impl ConnectionTrait,
    organization: Uuid,
    page: &PageRequest,
) -> DomainResult<Vec<share_requests::Model>> {
    use share_requests::Column as C;
    let mut query = share_requests::Entity::find().filter(
        Condition::any()
            .add(C::RequesterOrganizationId.eq(organization))
            .add(C::SupplierOrganizationId.eq(organization)),
    );
    if let Some(cursor) = page.cursor {
        query = query.filter(C::Id.gt(cursor));
    }
    Ok(query.order_by_asc(C::Id).limit(page.limit + 1).all(conn).await?)
}

/// The organizations the caller's registry records are linked to, by record id (records
/// without an organization are left out).
pub(crate) async fn linked_organizations(
    conn: &impl ConnectionTrait,
    caller: Uuid,
    records: Vec<Uuid>,
) -> DomainResult<HashMap<Uuid, Uuid>> {
    use crate::entities::suppliers;
    let rows: Vec<(Uuid, Option<Uuid>)> = suppliers::Entity::find()
        .select_only()
        .column(suppliers::Column::Id)
        .column(suppliers::Column::SupplierOrganizationId)
        .filter(suppliers::Column::OrganizationId.eq(caller))
        .filter(suppliers::Column::Id.is_in(records))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().filter_map(|(id, org)| org.map(|o| (id, o))).collect())
}

/// The line of each template.
pub(crate) async fn template_lines(
    conn: &impl ConnectionTrait,
    ids: Vec<Uuid>,
) -> DomainResult<HashMap<Uuid, crate::library::Line>> {
    let rows = templates::Entity::find().filter(templates::Column::Id.is_in(ids)).all(conn).await?;
    Ok(rows.iter().map(|t| (t.id, crate::library::Line::of(t))).collect())
}

/// The shares the caller can read now from these organizations on these lines, without a
/// snapshot's frozen answers.
pub(super) async fn readable_from(
    conn: &impl ConnectionTrait,
    caller: Uuid,
    organizations: Vec<Uuid>,
    lines: &[&crate::library::Line],
    now: DateTime<Utc>,
) -> DomainResult<Vec<shares::Model>> {
    use sea_orm::{Iterable, sea_query::Expr};
    let mut on_lines = Condition::any();
    for line in lines {
        on_lines = on_lines.add(
            Condition::all()
                .add(shares::Column::LineOwnerKey.eq(line.owner_key.as_str()))
                .add(shares::Column::LineKey.eq(line.key.as_str())),
        );
    }
    let columns = shares::Column::iter().filter(|c| !matches!(c, shares::Column::Content));
    Ok(shares::Entity::find()
        .select_only()
        .columns(columns)
        .column_as(Expr::value(Option::<serde_json::Value>::None), "content")
        .filter(readable_by(caller, now))
        .filter(shares::Column::OrganizationId.is_in(organizations))
        .filter(on_lines)
        .all(conn)
        .await?)
}
