//! Templates: the catalog, custom imports, clones and edits of unused custom templates.

use crate::error::ErrorCode;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use serde_json::json;
use tracing::instrument;
use uuid::Uuid;

use super::model::{Anomaly, AnswerScale, Category, Content, TemplateDocument};
use super::repo;
use crate::Kensa;
use crate::audit;
use crate::entities::templates;
use crate::error::{DomainError, DomainResult, FieldError, OnUnique};
use crate::pagination::{Page, PageRequest};
use crate::precondition::IfMatch;
use crate::tenant::{EditorCtx, TenantCtx};

/// A template without its tree, for lists.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct TemplateSummary {
    pub id: Uuid,
    pub key: String,
    pub version: i32,
    pub name: String,
    pub name_en: Option<String>,
    pub guideline_version: String,
    #[cfg_attr(feature = "openapi", schema(value_type = crate::users::model::Locale))]
    pub language: String,
    pub builtin: bool,
    pub item_count: usize,
    pub level_counts: BTreeMap<String, usize>,
    pub in_use: bool,
    pub source_template_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A template with its (possibly filtered) tree.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct TemplateView {
    #[serde(flatten)]
    #[cfg_attr(feature = "graphql", graphql(flatten))]
    pub summary: TemplateSummary,
    pub answer_scale: AnswerScale,
    pub anomalies: Vec<Anomaly>,
    /// Whose the `*_en` texts are: for the built-in check sheet, Kensa's translation, not
    /// the associations' official English edition.
    pub translation: Option<String>,
    // GraphQL cost: 24 categories, as the built-in.
    #[cfg_attr(feature = "graphql", graphql(complexity = "24 * child_complexity"))]
    pub categories: Vec<Category>,
    /// Items in `categories` after the filters.
    pub filtered_item_count: usize,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct TreeFilter {
    pub max_level: Option<u8>,
    pub category: Option<u32>,
}

impl TreeFilter {
    pub fn parse(max_level: Option<i64>, category: Option<i64>) -> DomainResult<Self> {
        let mut errors = Vec::new();
        let max_level = match max_level {
            None => None,
            Some(l @ 1..=3) => u8::try_from(l).ok(),
            Some(_) => {
                errors.push(FieldError::new("max_level", ErrorCode::OutOfRange, "must be 1, 2 or 3"));
                None
            }
        };
        let category = match category {
            None => None,
            Some(c @ 1..=9999) => u32::try_from(c).ok(),
            Some(_) => {
                errors.push(FieldError::new("category", ErrorCode::OutOfRange, "must be a category number"));
                None
            }
        };
        if errors.is_empty() { Ok(Self { max_level, category }) } else { Err(DomainError::Validation(errors)) }
    }
}

fn content_of(row: &templates::Model) -> DomainResult<Content> {
    serde_json::from_value(row.content.clone()).map_err(DomainError::internal)
}

fn summary(row: &templates::Model, content: &Content) -> TemplateSummary {
    TemplateSummary {
        id: row.id,
        key: row.key.clone(),
        version: row.version,
        name: row.name.clone(),
        name_en: row.name_en.clone(),
        guideline_version: row.guideline_version.clone(),
        language: row.language.clone(),
        builtin: row.builtin,
        item_count: content.item_count(),
        level_counts: content.level_counts(),
        in_use: row.in_use,
        source_template_id: row.source_template_id,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

pub(crate) fn view(row: &templates::Model, filter: TreeFilter) -> DomainResult<TemplateView> {
    let content = content_of(row)?;
    let answer_scale = serde_json::from_value(row.answer_scale.clone()).map_err(DomainError::internal)?;
    let filtered = content.filtered(filter.max_level, filter.category);
    Ok(TemplateView {
        summary: summary(row, &content),
        answer_scale,
        anomalies: filtered.anomalies.clone(),
        translation: filtered.translation.clone(),
        filtered_item_count: filtered.item_count(),
        categories: filtered.categories,
    })
}

#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn list(k: &Kensa, ctx: &TenantCtx, page: &PageRequest) -> DomainResult<Page<TemplateSummary>> {
    let rows = repo::list_visible(&k.db, ctx, page).await?;
    let page = Page::from_rows(rows, page.limit, |r| r.id);
    let data = page.data.iter().map(|r| content_of(r).map(|c| summary(r, &c))).collect::<DomainResult<Vec<_>>>()?;
    Ok(Page { data, next_cursor: page.next_cursor })
}

async fn visible(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<templates::Model> {
    repo::find_visible(&k.db, ctx, id).await?.ok_or(DomainError::NotFound("template"))
}

#[instrument(skip_all, fields(org = %ctx.org_id(), template = %id))]
pub async fn get(k: &Kensa, ctx: &TenantCtx, id: Uuid, filter: TreeFilter) -> DomainResult<TemplateView> {
    view(&visible(k, ctx, id).await?, filter)
}

#[instrument(skip_all, fields(org = %ctx.org_id(), template = %id))]
pub async fn export(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<TemplateDocument> {
    repo::document(&visible(k, ctx, id).await?)
}

async fn insert_custom(
    k: &Kensa,
    editor: EditorCtx<'_>,
    doc: &TemplateDocument,
    source: Option<Uuid>,
    action: &'static str,
) -> DomainResult<TemplateView> {
    let ctx = editor.tenant();
    let problems = doc.violations();
    if !problems.is_empty() {
        return Err(DomainError::Validation(problems));
    }
    if repo::key_taken(&k.db, ctx, &doc.key, None).await? {
        return Err(DomainError::conflict(
            ErrorCode::TemplateKeyTaken,
            format!("your organization already has a template with key {:?}", doc.key),
        ));
    }
    let row = repo::new_row(doc, Some(ctx), 1, None, source, k.now())?;
    let txn = k.begin_write().await?;
    templates::Entity::insert(templates::ActiveModel::from(row.clone()))
        .exec_without_returning(&txn)
        .await
        .on_unique(ErrorCode::TemplateKeyTaken, "your organization already has a template with this key")?;
    audit::record_action(
        &txn,
        ctx,
        action,
        Some(("template", row.id.to_string())),
        json!({ "key": row.key, "item_count": row.item_count, "source_template_id": source }),
    )
    .await?;
    txn.commit().await?;
    view(&row, TreeFilter::default())
}

#[instrument(skip_all, fields(org = %editor.tenant().org_id()))]
pub async fn import(k: &Kensa, editor: EditorCtx<'_>, doc: TemplateDocument) -> DomainResult<TemplateView> {
    insert_custom(k, editor, &doc, None, "template.imported").await
}

pub struct CloneInput {
    pub key: Option<String>,
    pub name: Option<String>,
}

/// Copies a visible template (typically the built-in) into the organization, to adapt it.
#[instrument(skip_all, fields(org = %editor.tenant().org_id(), template = %id))]
pub async fn clone(k: &Kensa, editor: EditorCtx<'_>, id: Uuid, input: CloneInput) -> DomainResult<TemplateView> {
    let source = visible(k, editor.tenant(), id).await?;
    let mut doc = repo::document(&source)?;
    doc.key = match input.key {
        Some(key) => key,
        None => format!("{}-{}", source.key, &Uuid::now_v7().simple().to_string()[24..]),
    };
    if let Some(name) = input.name {
        doc.name = name;
    }
    insert_custom(k, editor, &doc, Some(source.id), "template.cloned").await
}

/// Replaces the given parts of an unused custom template; the result is validated whole.
#[derive(Clone, Default)]
pub struct TemplatePatch {
    pub key: Option<String>,
    pub name: Option<String>,
    pub name_en: Option<String>,
    pub guideline_version: Option<String>,
    pub language: Option<String>,
    pub answer_scale: Option<AnswerScale>,
    pub categories: Option<Vec<Category>>,
}

/// Applies the patch; the template's version moves on. With `If-Match`, only while the
/// template is at that version (412 otherwise, also when another edit commits first).
#[instrument(skip_all, fields(org = %editor.tenant().org_id(), template = %id))]
pub async fn update(
    k: &Kensa,
    editor: EditorCtx<'_>,
    id: Uuid,
    patch: TemplatePatch,
    if_match: impl Into<IfMatch>,
) -> DomainResult<TemplateView> {
    let if_match = if_match.into();
    // Without `If-Match` a concurrent edit is not an error: the patch is applied again to
    // what that edit left (a few times at most, then 409).
    for _ in 0..3 {
        if let Some(view) = try_update(k, editor, id, &patch, if_match).await? {
            return Ok(view);
        }
    }
    Err(DomainError::conflict(ErrorCode::ConcurrentUpdate, "the template keeps changing; reload it and retry"))
}

/// `None` when another edit committed between reading the template and writing it.
async fn try_update(
    k: &Kensa,
    editor: EditorCtx<'_>,
    id: Uuid,
    patch: &TemplatePatch,
    if_match: IfMatch,
) -> DomainResult<Option<TemplateView>> {
    let ctx = editor.tenant();
    let row = visible(k, ctx, id).await?;
    if_match.check(k.require_if_match, row.version)?;
    if row.builtin {
        return Err(DomainError::conflict(
            ErrorCode::TemplateImmutable,
            "built-in templates cannot be edited: clone it (POST /api/v1/templates/{id}/clone) and edit the copy",
        ));
    }
    if row.in_use {
        return Err(in_use());
    }
    let mut doc = repo::document(&row)?;
    let patch = patch.clone();
    doc.key = patch.key.unwrap_or(doc.key);
    doc.name = patch.name.unwrap_or(doc.name);
    doc.name_en = patch.name_en.or(doc.name_en);
    doc.guideline_version = patch.guideline_version.unwrap_or(doc.guideline_version);
    doc.language = patch.language.unwrap_or(doc.language);
    doc.answer_scale = patch.answer_scale.unwrap_or(doc.answer_scale);
    if let Some(mut categories) = patch.categories {
        super::translation::drop_stale_english(&doc.categories, &mut categories);
        doc.categories = categories;
    }
    let problems = doc.violations();
    if !problems.is_empty() {
        return Err(DomainError::Validation(problems));
    }
    if repo::key_taken(&k.db, ctx, &doc.key, Some(row.id)).await? {
        return Err(DomainError::conflict(
            ErrorCode::TemplateKeyTaken,
            format!("your organization already has a template with key {:?}", doc.key),
        ));
    }
    let fresh = repo::new_row(&doc, Some(ctx), row.version + 1, None, row.source_template_id, k.now())?;
    let txn = k.begin_write().await?;
    let Some(current) = repo::lock(&txn, ctx, row.id).await? else { return Err(DomainError::NotFound("template")) };
    if current.in_use {
        // An assessment created meanwhile wins.
        return Err(DomainError::conflict(
            ErrorCode::TemplateInUse,
            "this template was just put to use by an assessment: clone it",
        ));
    }
    if_match.still(current.version)?;
    if current.version != row.version {
        return Ok(None);
    }
    templates::Entity::update_many()
        .set(templates::ActiveModel {
            key: Set(fresh.key.clone()),
            version: Set(fresh.version),
            name: Set(fresh.name.clone()),
            name_en: Set(fresh.name_en.clone()),
            guideline_version: Set(fresh.guideline_version.clone()),
            language: Set(fresh.language.clone()),
            content: Set(fresh.content.clone()),
            answer_scale: Set(fresh.answer_scale.clone()),
            item_count: Set(fresh.item_count),
            updated_at: Set(fresh.updated_at),
            ..Default::default()
        })
        .filter(templates::Column::Id.eq(row.id))
        .exec(&txn)
        .await
        .on_unique(ErrorCode::TemplateKeyTaken, "your organization already has a template with this key")?;
    audit::record_action(
        &txn,
        ctx,
        "template.updated",
        Some(("template", row.id.to_string())),
        json!({ "key": fresh.key, "item_count": fresh.item_count, "version": fresh.version }),
    )
    .await?;
    txn.commit().await?;
    let stored = templates::Model { id: row.id, created_at: row.created_at, in_use: false, ..fresh };
    view(&stored, TreeFilter::default()).map(Some)
}

fn in_use() -> DomainError {
    DomainError::conflict(
        ErrorCode::TemplateInUse,
        "this template is used by an assessment and can no longer change: clone it and edit the copy",
    )
}
