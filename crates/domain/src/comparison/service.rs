//! The comparison and its heatmap: a page of (supplier, template) rows in the requested
//! order, with the current assessment's progress counted for that page only.

use std::collections::{BTreeMap, HashMap};

use tracing::instrument;
use uuid::Uuid;

use super::cursor::{self, After};
use super::model::{
    ComparisonAssessment, ComparisonCategory, ComparisonRequest, ComparisonRow, ComparisonScore, ComparisonSupplier,
    Heatmap, HeatmapCell, HeatmapRow, Ranked, SharesBeside,
};
use super::page::{self, RowData};
use super::repo;
use crate::Kensa;
use crate::assessments::Status;
use crate::assessments::model::Progress;
use crate::assessments::service::{is_overdue, scope};
use crate::error::{DomainError, DomainResult};
use crate::scoring::PerLevel;
use crate::templates::model::Content;
use crate::tenant::TenantCtx;

/// One page of rows as stored, with whether more follow.
async fn page_rows(k: &Kensa, ctx: &TenantCtx, req: &ComparisonRequest) -> DomainResult<(Vec<RowData>, bool)> {
    let after = req.cursor.as_deref().map(|c| cursor::decode(&req.sort, c)).transpose()?;
    let mut rows = page::page(&k.db, ctx, &req.filter, k.today(), &req.sort, after.as_ref(), req.limit).await?;
    let more = rows.len() as u64 > req.limit;
    rows.truncate(usize::try_from(req.limit).unwrap_or(usize::MAX));
    Ok((rows, more))
}

/// Each row with the cursor that continues after it; the last one's is `next_cursor` when
/// more follow.
fn ranked<T>(req: &ComparisonRequest, rows: &[RowData], out: Vec<T>, more: bool) -> Ranked<T> {
    let cursors: Vec<String> = rows
        .iter()
        .map(|r| {
            let after = After { value: r.sort_value.clone(), supplier_id: r.supplier_id, template_id: r.template_id };
            cursor::encode(&req.sort, &after)
        })
        .collect();
    let next_cursor = if more { cursors.last().cloned() } else { None };
    Ranked { rows: cursors.into_iter().zip(out).collect(), next_cursor }
}

/// The templates of `ids`, parsed (cached).
async fn contents(k: &Kensa, ids: Vec<Uuid>) -> DomainResult<HashMap<Uuid, crate::templates::repo::Parsed>> {
    let mut ids = ids;
    ids.sort();
    ids.dedup();
    let mut out = HashMap::with_capacity(ids.len());
    for id in ids {
        out.insert(id, k.template_contents.load(&k.db, id).await?);
    }
    Ok(out)
}

fn supplier(r: &RowData) -> ComparisonSupplier {
    ComparisonSupplier {
        id: r.supplier_id,
        name: r.name.clone(),
        tier: r.tier.clone(),
        tags: serde_json::from_value(r.tags.clone()).unwrap_or_default(),
        target_level: r.supplier_target,
    }
}

fn score(r: &RowData) -> DomainResult<Option<ComparisonScore>> {
    let (Some(id), Some(target), Some(achieved), Some(meets), Some(status)) =
        (r.scored_id, r.score_target, r.achieved_level, r.meets_target, r.scored_status.as_deref())
    else {
        return Ok(None);
    };
    Ok(Some(ComparisonScore {
        assessment_id: id,
        submitted_at: r.submitted_at,
        accepted_at: r.accepted_at,
        status: Status::try_from(status)?,
        overall: r.overall,
        levels: PerLevel { l1: r.levels[0], l2: r.levels[1], l3: r.levels[2] },
        achieved_level: u8::try_from(achieved).map_err(DomainError::internal)?,
        meets_target: meets,
        target_level: u8::try_from(target).map_err(DomainError::internal)?,
        scs: r.scs_star3.zip(r.scs_star4).map(|(star3, star4)| crate::crosswalk::ScsReadiness { star3, star4 }),
    }))
}

/// Progress of each row's current assessment: one grouped count over the page's answers.
async fn progress(k: &Kensa, rows: &[RowData]) -> DomainResult<HashMap<Uuid, Progress>> {
    let templates = contents(k, rows.iter().map(|r| r.template_id).collect()).await?;
    let mut groups: BTreeMap<(Uuid, i32), Vec<Uuid>> = BTreeMap::new();
    for r in rows {
        groups.entry((r.template_id, r.target_level)).or_default().push(r.current_id);
    }
    let mut scopes = Vec::new();
    let mut totals = HashMap::new();
    for ((template, target), ids) in groups {
        let content = templates.get(&template).ok_or(DomainError::NotFound("template"))?;
        let numbers: Vec<i32> = scope(&content.0, target).into_iter().filter_map(|n| i32::try_from(n).ok()).collect();
        for id in &ids {
            totals.insert(*id, numbers.len());
        }
        scopes.push((ids, numbers));
    }
    let answered = repo::answered(&k.db, &scopes).await?;
    Ok(totals
        .into_iter()
        .map(|(id, total)| (id, Progress { answered: answered.get(&id).copied().unwrap_or_default(), total }))
        .collect())
}

/// The share each row shows beside its own score (see [`crate::shares::ComparisonShared`]).
async fn shared_on(
    k: &Kensa,
    ctx: &TenantCtx,
    mode: SharesBeside,
    rows: impl Iterator<Item = &RowData>,
) -> DomainResult<HashMap<(Uuid, Uuid), crate::shares::comparison::RowShare>> {
    if mode == SharesBeside::Skip {
        return Ok(HashMap::new());
    }
    let pairs: Vec<(Uuid, Uuid)> = rows.map(|r| (r.supplier_id, r.template_id)).collect();
    crate::shares::comparison::for_registry_rows(k, ctx, &pairs, mode == SharesBeside::Record).await
}

/// `GET /api/v1/comparison`: any member of the buyer may read it; an organization that
/// registered no suppliers has no rows.
#[instrument(skip_all, fields(org = %ctx.org_id(), sort = req.sort.key.as_str()))]
pub async fn list(k: &Kensa, ctx: &TenantCtx, req: &ComparisonRequest) -> DomainResult<Ranked<ComparisonRow>> {
    let (rows, more) = page_rows(k, ctx, req).await?;
    let progress = progress(k, &rows).await?;
    let mut shared = shared_on(k, ctx, req.shares, rows.iter()).await?;
    let today = k.today();
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let status = Status::try_from(r.status.as_str())?;
        out.push(ComparisonRow {
            supplier: supplier(r),
            template_id: r.template_id,
            assessment: ComparisonAssessment {
                id: r.current_id,
                status,
                due_date: r.due_date,
                overdue: is_overdue(status, r.due_date, today),
                progress: progress.get(&r.current_id).copied().unwrap_or(Progress { answered: 0, total: 0 }),
            },
            score: score(r)?,
            shared: shared.remove(&(r.supplier_id, r.template_id)).map(|s| s.shown),
        });
    }
    Ok(ranked(req, &rows, out, more))
}

/// Every category of `content`, in template order.
fn columns(content: &Content) -> Vec<ComparisonCategory> {
    content.categories.iter().map(|c| ComparisonCategory { number: c.number, name: c.name.clone() }).collect()
}

/// The categories of the template the caller filtered by (when it may read it), else those
/// of the given templates merged by number.
pub(crate) async fn categories_of(
    k: &Kensa,
    ctx: &TenantCtx,
    filtered_by: Option<Uuid>,
    mut templates: Vec<Uuid>,
) -> DomainResult<Vec<ComparisonCategory>> {
    if let Some(id) = filtered_by {
        return match crate::templates::repo::find_visible(&k.db, ctx, id).await? {
            Some(_) => Ok(columns(&k.template_contents.load(&k.db, id).await?.0)),
            None => Ok(Vec::new()),
        };
    }
    templates.sort();
    templates.dedup();
    let mut merged: BTreeMap<u32, String> = BTreeMap::new();
    for id in templates {
        for c in columns(&k.template_contents.load(&k.db, id).await?.0) {
            merged.entry(c.number).or_insert(c.name);
        }
    }
    Ok(merged.into_iter().map(|(number, name)| ComparisonCategory { number, name }).collect())
}

/// `GET /api/v1/comparison/heatmap`: the same rows, each with its template's categories.
#[instrument(skip_all, fields(org = %ctx.org_id(), sort = req.sort.key.as_str()))]
pub async fn heatmap(k: &Kensa, ctx: &TenantCtx, req: &ComparisonRequest) -> DomainResult<Heatmap> {
    let (rows, more) = page_rows(k, ctx, req).await?;
    let templates = contents(k, rows.iter().map(|r| r.template_id).collect()).await?;
    let scored: Vec<Uuid> = rows.iter().filter_map(|r| r.scored_id).collect();
    let achievements = repo::category_achievements(&k.db, scored).await?;
    // A row's own submitted assessment fills its cells; a share only the rows without one.
    let shared = shared_on(k, ctx, req.shares, rows.iter().filter(|r| r.scored_id.is_none())).await?;
    let none = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let content = templates.get(&r.template_id).ok_or(DomainError::NotFound("template"))?;
        let share = shared.get(&(r.supplier_id, r.template_id)).filter(|s| s.score.is_some());
        let cells: HashMap<u32, Option<f64>> = match share.and_then(|s| s.score.as_ref()) {
            Some(score) => score.categories.iter().map(|c| (c.number, c.achievement)).collect(),
            None => r.scored_id.and_then(|id| achievements.get(&id)).unwrap_or(&none).clone(),
        };
        out.push(HeatmapRow {
            supplier: supplier(r),
            template_id: r.template_id,
            assessment_id: r.scored_id,
            share_id: share.map(|s| s.shown.share_id),
            categories: content
                .0
                .categories
                .iter()
                .map(|c| HeatmapCell { number: c.number, achievement: cells.get(&c.number).copied().flatten() })
                .collect(),
        });
    }
    let templates: Vec<Uuid> = rows.iter().map(|r| r.template_id).collect();
    let categories = categories_of(k, ctx, req.filter.template_id, templates).await?;
    Ok(Heatmap { page: ranked(req, &rows, out, more), categories })
}
