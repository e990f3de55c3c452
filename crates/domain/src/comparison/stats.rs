//! Figures over all the filtered rows rather than a page: the answers per item of one
//! template (the weakest requirements across the supply chain) and the portfolio summary.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

use tracing::instrument;
use uuid::Uuid;

use super::aggregate;
use super::model::{
    CategoryAverage, ComparisonFilter, ComparisonSummary, ItemCounts, ItemSort, ItemStats, OverallBucket, StatusCounts,
};
use crate::Kensa;
use crate::error::{DomainError, DomainResult, ErrorCode, FieldError};
use crate::templates::AnswerStatus;
use crate::tenant::TenantCtx;
use crate::users::model::Validator;

fn checked(filter: &ComparisonFilter, mut v: Validator) -> DomainResult<()> {
    filter.check(&mut v);
    v.finish()
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

/// Applicable answers (unanswered included): the denominator of an item's weakness.
fn applicable(c: &ItemCounts) -> u64 {
    c.implemented + c.partially_implemented + c.not_implemented + c.unanswered
}

/// Higher share of `not_implemented` first (compared exactly, as fractions), items without
/// an applicable answer last, then by number.
fn weaker(a: &ItemCounts, b: &ItemCounts) -> Ordering {
    let (da, db) = (applicable(a), applicable(b));
    let by_share = match (da, db) {
        (0, 0) => Ordering::Equal,
        (0, _) => Ordering::Greater,
        (_, 0) => Ordering::Less,
        _ => (u128::from(b.not_implemented) * u128::from(da)).cmp(&(u128::from(a.not_implemented) * u128::from(db))),
    };
    by_share.then(a.no.cmp(&b.no))
}

/// `GET /api/v1/comparison/items`: every item of `template_id` with the filtered rows'
/// scored answers counted per status. `filter.template_id` is replaced by `template_id`.
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn items(
    k: &Kensa,
    ctx: &TenantCtx,
    template_id: Option<Uuid>,
    mut filter: ComparisonFilter,
    sort: Option<ItemSort>,
) -> DomainResult<ItemStats> {
    let mut v = Validator::default();
    if template_id.is_none() {
        v.check::<()>(Err(FieldError::new("template_id", ErrorCode::Required, "the template whose items to count")));
    }
    checked(&filter, v)?;
    let template_id = template_id.ok_or_else(|| DomainError::internal("checked above"))?;
    if crate::templates::repo::find_visible(&k.db, ctx, template_id).await?.is_none() {
        return Err(DomainError::Validation(vec![FieldError::new(
            "template_id",
            ErrorCode::NotFound,
            "no such template",
        )]));
    }
    filter.template_id = Some(template_id);
    let content = k.template_contents.load(&k.db, template_id).await?;
    let (answered, scored) = aggregate::item_counts(&k.db, ctx, &filter, k.today()).await?;
    let mut statuses: HashMap<(i32, i32), Vec<(String, u64)>> = HashMap::new();
    for (no, status, target, n) in &answered {
        statuses.entry((*no, *target)).or_default().push((status.clone(), count(*n)));
    }
    let mut items = Vec::new();
    for (category, _, item) in content.0.items() {
        let no = i32::try_from(item.no).map_err(DomainError::internal)?;
        let mut c = ItemCounts { no: item.no, level: item.level, category: category.number, ..ItemCounts::default() };
        let mut in_scope = 0;
        for (target, n) in &scored {
            // Items above a scored assessment's target were not asked: neither counted nor
            // unanswered.
            if *target < i32::from(item.level) {
                continue;
            }
            in_scope += count(*n);
            for (status, n) in statuses.get(&(no, *target)).map(Vec::as_slice).unwrap_or_default() {
                match AnswerStatus::try_from(status.as_str())? {
                    AnswerStatus::Implemented => c.implemented += n,
                    AnswerStatus::PartiallyImplemented => c.partially_implemented += n,
                    AnswerStatus::NotImplemented => c.not_implemented += n,
                    AnswerStatus::NotApplicable => c.not_applicable += n,
                }
            }
        }
        let given = c.implemented + c.partially_implemented + c.not_implemented + c.not_applicable;
        c.unanswered = in_scope.saturating_sub(given);
        items.push(c);
    }
    match sort.unwrap_or(ItemSort::Number) {
        ItemSort::Number => items.sort_by_key(|c| c.no),
        ItemSort::Weakest => items.sort_by(weaker),
    }
    let suppliers = scored.iter().map(|(_, n)| count(*n)).sum();
    Ok(ItemStats { template_id, suppliers, items })
}

/// `GET /api/v1/comparison/summary`: the filtered rows counted (another organization, or
/// one without suppliers, gets zeros and empty lists).
#[instrument(skip_all, fields(org = %ctx.org_id()))]
pub async fn summary(k: &Kensa, ctx: &TenantCtx, filter: &ComparisonFilter) -> DomainResult<ComparisonSummary> {
    checked(filter, Validator::default())?;
    let today = k.today();
    let t = aggregate::totals(&k.db, ctx, filter, today).await?;
    let averages = aggregate::category_averages(&k.db, ctx, filter, today).await?;
    let templates = if filter.template_id.is_some() {
        Vec::new()
    } else {
        aggregate::templates_of(&k.db, ctx, filter, today).await?
    };
    let names = super::service::categories_of(k, ctx, filter.template_id, templates).await?;
    let mut categories: BTreeMap<u32, CategoryAverage> = names
        .into_iter()
        .map(|c| (c.number, CategoryAverage { number: c.number, name: c.name, average: None, scored: 0 }))
        .collect();
    for (number, average, n) in averages {
        let number = u32::try_from(number).map_err(DomainError::internal)?;
        let entry = categories.entry(number).or_insert_with(|| CategoryAverage {
            number,
            name: String::new(),
            average: None,
            scored: 0,
        });
        entry.average = average;
        entry.scored = count(n);
    }
    let s = t.statuses.map(count);
    Ok(ComparisonSummary {
        rows: count(t.rows),
        statuses: StatusCounts {
            sent: s[0],
            in_progress: s[1],
            submitted: s[2],
            changes_requested: s[3],
            accepted: s[4],
            cancelled: s[5],
        },
        overdue: count(t.overdue),
        scored: count(t.scored),
        meets_target: count(t.meets_target),
        meets_target_share: (t.scored > 0).then(|| t.meets_target as f64 / t.scored as f64),
        overall_buckets: (0..10u8)
            .map(|b| OverallBucket {
                from: f64::from(b) / 10.0,
                to: f64::from(b + 1) / 10.0,
                count: count(t.buckets[usize::from(b)]),
            })
            .collect(),
        categories: categories.into_values().collect(),
    })
}
