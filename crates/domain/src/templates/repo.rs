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

/// The ids of every version of a template line (`owner_key`, `key`): what re-reviews and
/// the answer library follow across versions.
pub(crate) async fn line_versions(conn: &impl ConnectionTrait, owner_key: &str, key: &str) -> DomainResult<Vec<Uuid>> {
    Ok(templates::Entity::find()
        .select_only()
        .column(templates::Column::Id)
        .filter(templates::Column::OwnerKey.eq(owner_key))
        .filter(templates::Column::Key.eq(key))
        .into_tuple()
        .all(conn)
        .await?)
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

/// The organization's own template inside `tx`, locked until commit on PostgreSQL (SQLite's
/// write lock is already held).
pub(crate) async fn lock(tx: &crate::WriteTx, ctx: &TenantCtx, id: Uuid) -> DomainResult<Option<templates::Model>> {
    Ok(templates::Entity::find_by_id(id)
        .filter(templates::Column::OrganizationId.eq(ctx.org_id().0))
        .lock_exclusive()
        .one(tx)
        .await?)
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
    now: chrono::DateTime<chrono::Utc>,
) -> DomainResult<templates::Model> {
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
        translation: content.translation,
        answer_scale,
        anomalies: content.anomalies,
        categories: content.categories,
    })
}

/// What the cache holds per template: its tree and scale, parsed.
pub type Parsed = std::sync::Arc<(Content, AnswerScale)>;

/// Bytes of parsed templates the cache may hold (a miss only costs a parse).
pub const CACHE_BUDGET_BYTES: u64 = 32 * 1024 * 1024;

/// Weighs an entry by the bytes its tree holds, so the budget bounds memory, not a count
/// of entries that may each be megabytes.
#[derive(Clone)]
struct ByBytes;

impl quick_cache::Weighter<Uuid, (Parsed, u64)> for ByBytes {
    fn weight(&self, _: &Uuid, value: &(Parsed, u64)) -> u64 {
        value.1
    }
}

/// A template's tree and scale, parsed once. Only templates in use (immutable) are cached,
/// so an entry can never go stale. Bounded by bytes (`CACHE_BUDGET_BYTES`, S3-FIFO eviction
/// by quick_cache); an entry larger than the whole budget is not cached at all.
pub struct ContentCache {
    budget: u64,
    entries: std::sync::Mutex<quick_cache::unsync::Cache<Uuid, (Parsed, u64), ByBytes>>,
}

impl Default for ContentCache {
    fn default() -> Self {
        Self::with_budget(CACHE_BUDGET_BYTES)
    }
}

impl ContentCache {
    pub fn with_budget(budget: u64) -> Self {
        // The built-in check sheet parses to about 150 KB: budget / 64 KB entries is a fair guess.
        let estimated = usize::try_from(budget / 65_536).unwrap_or(512).max(16);
        Self {
            budget,
            entries: std::sync::Mutex::new(quick_cache::unsync::Cache::with_weighter(estimated, budget, ByBytes)),
        }
    }

    /// Bytes held now, by the cache's own accounting.
    pub fn weight(&self) -> u64 {
        self.entries.lock().map(|e| e.weight()).unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps `parsed` if it fits the budget at all; older entries make room.
    pub fn insert(&self, id: Uuid, parsed: Parsed) {
        let bytes = u64::try_from(parsed.0.approx_bytes()).unwrap_or(u64::MAX);
        if bytes > self.budget {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(id, (parsed, bytes));
        }
    }

    pub async fn load(&self, conn: &impl ConnectionTrait, id: Uuid) -> DomainResult<Parsed> {
        if let Some(hit) = self.entries.lock().ok().and_then(|e| e.get(&id).map(|(p, _)| p.clone())) {
            return Ok(hit);
        }
        let row = templates::Entity::find_by_id(id).one(conn).await?.ok_or(DomainError::NotFound("template"))?;
        let doc = document(&row)?;
        let parsed = std::sync::Arc::new((doc.content(), doc.answer_scale));
        if row.in_use {
            self.insert(id, parsed.clone());
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::model::{Category, Item, Section};

    fn parsed(criteria: usize) -> Parsed {
        let item = Item {
            no: 1,
            level: 1,
            level_inferred: false,
            level_reason: None,
            question: "q".into(),
            criteria: vec!["a".into(); criteria],
            scope: vec![],
            frequency: vec![],
            notes: vec![],
            text_note: None,
            ..Item::default()
        };
        let section = Section { code: "1".into(), requirement: String::new(), requirement_en: None, items: vec![item] };
        let category = Category {
            number: 1,
            name: "c".into(),
            name_en: None,
            purpose: String::new(),
            purpose_en: None,
            sections: vec![section],
        };
        std::sync::Arc::new((
            Content { source: None, translation: None, anomalies: vec![], categories: vec![category] },
            AnswerScale::default(),
        ))
    }

    #[test]
    fn the_cache_holds_at_most_its_budget_in_bytes() {
        let one = parsed(1_000);
        let bytes = u64::try_from(one.0.approx_bytes()).unwrap_or(u64::MAX);
        let cache = ContentCache::with_budget(bytes * 3);
        for _ in 0..10 {
            cache.insert(Uuid::now_v7(), parsed(1_000));
        }
        assert!(cache.weight() <= bytes * 3, "{} > {}", cache.weight(), bytes * 3);
        assert!(cache.len() <= 3 && !cache.is_empty(), "{}", cache.len());
    }

    #[test]
    fn an_entry_larger_than_the_budget_is_not_cached() {
        let cache = ContentCache::with_budget(10_000);
        cache.insert(Uuid::now_v7(), parsed(1_000_000));
        assert!(cache.is_empty());
        cache.insert(Uuid::now_v7(), parsed(1));
        assert_eq!(cache.len(), 1);
    }
}
