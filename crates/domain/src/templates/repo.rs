//! Template queries. Built-ins are visible to everyone; custom templates only to their
//! organization.

use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::catalog::BUILTIN_OWNER;
use super::model::{AnswerScale, Content, TemplateDocument};
use crate::entities::templates;
use crate::error::{DomainError, DomainResult};
use crate::pagination::PageRequest;
use crate::tenant::TenantCtx;

fn visible_to(ctx: &TenantCtx) -> Condition {
    Condition::any().add(templates::Column::Builtin.eq(true)).add(templates::Column::OrganizationId.eq(ctx.org_id().0))
}

/// A template the caller may read: a built-in or one of its organization's.
pub async fn find_visible(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    id: Uuid,
) -> DomainResult<Option<templates::Model>> {
    Ok(templates::Entity::find_by_id(id).filter(visible_to(ctx)).one(conn).await?)
}

/// The latest version of each built-in and the organization's own templates, by id.
pub async fn list_visible(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    page: &PageRequest,
) -> DomainResult<Vec<templates::Model>> {
    let latest = latest_builtin_ids(conn).await?;
    let mut query = templates::Entity::find().filter(
        Condition::any()
            .add(templates::Column::Id.is_in(latest))
            .add(templates::Column::OrganizationId.eq(ctx.org_id().0)),
    );
    if let Some(cursor) = page.cursor {
        query = query.filter(templates::Column::Id.gt(cursor));
    }
    let rows = query.order_by_asc(templates::Column::Id).limit(page.limit + 1).all(conn).await?;
    Ok(rows)
}

/// The newest version of every built-in key (older versions stay readable by id).
pub async fn latest_builtin_ids(conn: &impl ConnectionTrait) -> DomainResult<Vec<Uuid>> {
    let rows = templates::Entity::find()
        .filter(templates::Column::Builtin.eq(true))
        .order_by_asc(templates::Column::Key)
        .order_by_desc(templates::Column::Version)
        .all(conn)
        .await?;
    let mut seen = std::collections::BTreeSet::new();
    Ok(rows.into_iter().filter(|r| seen.insert(r.key.clone())).map(|r| r.id).collect())
}

pub async fn key_taken(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    key: &str,
    except: Option<Uuid>,
) -> DomainResult<bool> {
    let mut query = templates::Entity::find()
        .filter(templates::Column::OwnerKey.eq(ctx.org_id().to_string()))
        .filter(templates::Column::Key.eq(key));
    if let Some(id) = except {
        query = query.filter(templates::Column::Id.ne(id));
    }
    Ok(query.one(conn).await?.is_some())
}

pub(crate) fn new_row(
    doc: &TemplateDocument,
    ctx: Option<&TenantCtx>,
    version: i32,
    builtin_hash: Option<String>,
    source: Option<Uuid>,
) -> DomainResult<templates::Model> {
    let now = crate::db::now();
    let content = doc.content();
    Ok(templates::Model {
        id: Uuid::now_v7(),
        organization_id: ctx.map(|c| c.org_id().0),
        owner_key: ctx.map_or_else(|| BUILTIN_OWNER.to_owned(), |c| c.org_id().to_string()),
        key: doc.key.clone(),
        version,
        name: doc.name.clone(),
        name_en: doc.name_en.clone(),
        guideline_version: doc.guideline_version.clone(),
        language: doc.language.clone(),
        builtin: ctx.is_none(),
        item_count: i32::try_from(content.item_count()).map_err(DomainError::internal)?,
        content: serde_json::to_value(&content).map_err(DomainError::internal)?,
        answer_scale: serde_json::to_value(&doc.answer_scale).map_err(DomainError::internal)?,
        builtin_hash,
        source_template_id: source,
        in_use: false,
        created_at: now,
        updated_at: now,
    })
}

/// The stored row as a document again (for export, clone and patch).
pub fn document(row: &templates::Model) -> DomainResult<TemplateDocument> {
    let content: Content = serde_json::from_value(row.content.clone()).map_err(DomainError::internal)?;
    let answer_scale: AnswerScale = serde_json::from_value(row.answer_scale.clone()).map_err(DomainError::internal)?;
    Ok(TemplateDocument {
        key: row.key.clone(),
        name: row.name.clone(),
        name_en: row.name_en.clone(),
        guideline_version: row.guideline_version.clone(),
        language: row.language.clone(),
        source: content.source,
        answer_scale,
        anomalies: content.anomalies,
        categories: content.categories,
    })
}

/// A template's tree and scale, parsed once. Only templates in use (immutable) are cached,
/// so an entry can never go stale.
#[derive(Default)]
pub struct ContentCache {
    entries: std::sync::Mutex<std::collections::HashMap<Uuid, std::sync::Arc<(Content, AnswerScale)>>>,
}

impl ContentCache {
    pub async fn load(
        &self,
        conn: &impl ConnectionTrait,
        id: Uuid,
    ) -> DomainResult<std::sync::Arc<(Content, AnswerScale)>> {
        if let Some(hit) = self.entries.lock().ok().and_then(|e| e.get(&id).cloned()) {
            return Ok(hit);
        }
        let row = templates::Entity::find_by_id(id).one(conn).await?.ok_or(DomainError::NotFound("template"))?;
        let doc = document(&row)?;
        let parsed = std::sync::Arc::new((doc.content(), doc.answer_scale));
        if row.in_use
            && let Ok(mut entries) = self.entries.lock()
        {
            // Documents can be megabytes: keep a few hundred at most (a miss only costs a parse).
            if entries.len() >= 256 {
                entries.clear();
            }
            entries.insert(id, parsed.clone());
        }
        Ok(parsed)
    }
}
