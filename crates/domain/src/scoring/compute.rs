//! The formula. A [`ScoringPlan`] flattens a template once; [`score`] then only counts.

use std::collections::HashSet;

use super::model::{CategoryScore, LevelScore, PerLevel, Score, ScoreCounts};
use crate::templates::model::Content;
use crate::templates::{AnswerScale, AnswerStatus};

/// What the formula needs of one template, flattened so that scoring one assessment walks a
/// flat array instead of the document tree and allocates only its output.
///
/// Build it once per template version (it depends on nothing else) and share it: it is
/// immutable, `Send` and `Sync`.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoringPlan {
    /// In template order.
    items: Vec<PlanItem>,
    /// `(item number, index into items)` sorted by number, for answers given by number.
    by_no: Vec<(u32, usize)>,
    /// `(number, name)` in template order.
    categories: Vec<(u32, String)>,
    partial_credit: f64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct PlanItem {
    level: u8,
    /// Index into `ScoringPlan::categories`.
    category: usize,
}

impl ScoringPlan {
    /// Items whose level is not 1–3, and second items with an already used number, cannot be
    /// in a validated template (`TemplateDocument::violations`); rather than fail on data that
    /// was accepted once, the plan leaves such items out (the first of a number keeps it).
    pub fn new(content: &Content, scale: &AnswerScale) -> Self {
        let categories: Vec<(u32, String)> = content.categories.iter().map(|c| (c.number, c.name.clone())).collect();
        let mut items = Vec::new();
        let mut by_no = Vec::new();
        let mut seen = HashSet::new();
        for (ci, category) in content.categories.iter().enumerate() {
            for item in category.sections.iter().flat_map(|s| &s.items) {
                if (1..=3).contains(&item.level) && seen.insert(item.no) {
                    by_no.push((item.no, items.len()));
                    items.push(PlanItem { level: item.level, category: ci });
                }
            }
        }
        by_no.sort_unstable_by_key(|&(no, _)| no);
        Self { items, by_no, categories, partial_credit: partial_credit(scale) }
    }

    /// The credit a `partially_implemented` answer earns under this plan's scale.
    pub fn partial_credit(&self) -> f64 {
        self.partial_credit
    }

    /// Items of all levels that the plan scores.
    pub fn item_count(&self) -> usize {
        self.items.len()
    }

    fn index_of(&self, no: u32) -> Option<usize> {
        self.by_no.binary_search_by_key(&no, |&(n, _)| n).ok().map(|at| self.by_no[at].1)
    }
}

/// Partial's credit, made safe to compute with.
///
/// A template that switched partial off may still have partial answers from before (legacy
/// data): they earn 0, as if not implemented, because the template no longer says what partial
/// is worth and the score must never overstate. They stay counted as `partially_implemented`.
/// A credit outside 0–1 or missing cannot pass `AnswerScale::violations`; should one reach
/// here anyway it is clamped (or taken as 0), so that no fraction leaves 0–1 or becomes NaN.
///
/// `implemented` (1) and `not_implemented` (0) are fixed by the scale's rules, and
/// `not_applicable` is excluded by definition even where the scale switched it off: the answer
/// states that the item does not apply, which no credit setting changes.
fn partial_credit(scale: &AnswerScale) -> f64 {
    match scale.entry(AnswerStatus::PartiallyImplemented) {
        Some(e) if e.enabled => e.credit.filter(|c| c.is_finite()).map_or(0.0, |c| c.clamp(0.0, 1.0)),
        _ => 0.0,
    }
}

/// Answers of a set of items, by status.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    implemented: u32,
    partial: u32,
    not_implemented: u32,
    not_applicable: u32,
    unanswered: u32,
}

impl Tally {
    fn add(&mut self, status: Option<AnswerStatus>) {
        let count = match status {
            Some(AnswerStatus::Implemented) => &mut self.implemented,
            Some(AnswerStatus::PartiallyImplemented) => &mut self.partial,
            Some(AnswerStatus::NotImplemented) => &mut self.not_implemented,
            Some(AnswerStatus::NotApplicable) => &mut self.not_applicable,
            None => &mut self.unanswered,
        };
        *count += 1;
    }

    fn plus(self, other: Tally) -> Tally {
        Tally {
            implemented: self.implemented + other.implemented,
            partial: self.partial + other.partial,
            not_implemented: self.not_implemented + other.not_implemented,
            not_applicable: self.not_applicable + other.not_applicable,
            unanswered: self.unanswered + other.unanswered,
        }
    }

    fn applicable(&self) -> u32 {
        self.implemented + self.partial + self.not_implemented + self.unanswered
    }

    /// Σ credit / applicable, from counts rather than a running sum of credits: the result
    /// cannot depend on the order of the answers, and `mul_add` rounds the numerator once, so
    /// that turning an implemented answer into a partial one can never raise it by a rounding
    /// error (exactly `implemented + partial × credit ≤ applicable`, hence at most 1).
    fn achievement(&self, partial_credit: f64) -> Option<f64> {
        let applicable = self.applicable();
        (applicable > 0).then(|| {
            f64::from(self.partial).mul_add(partial_credit, f64::from(self.implemented)) / f64::from(applicable)
        })
    }

    /// Vacuously true without applicable items.
    fn all_implemented(&self) -> bool {
        self.implemented == self.applicable()
    }

    fn level_score(&self, partial_credit: f64) -> LevelScore {
        LevelScore {
            achievement: self.achievement(partial_credit),
            applicable: self.applicable(),
            implemented: self.implemented,
            partially_implemented: self.partial,
            not_implemented: self.not_implemented,
            not_applicable: self.not_applicable,
            unanswered: self.unanswered,
        }
    }
}

/// Scores one assessment: items of levels up to `target_level`, with `answers` as
/// `(item number, status)`.
///
/// - Answers to unknown item numbers and to items above the target are ignored: the caller
///   may pass every stored answer without filtering.
/// - Of several answers to one item the last wins (the iteration order of a stored answer
///   set then decides, so callers should pass one answer per item); answers to distinct
///   items may come in any order with an identical result.
/// - `target_level` is clamped to 1–3, the only levels the services accept, so that a stray
///   value still gives a well-formed score instead of a panic; the score reports the clamped
///   value.
pub fn score(plan: &ScoringPlan, target_level: u8, answers: impl IntoIterator<Item = (u32, AnswerStatus)>) -> Score {
    let target = target_level.clamp(1, 3);
    let credit = plan.partial_credit;
    let mut statuses: Vec<Option<AnswerStatus>> = vec![None; plan.items.len()];
    for (no, status) in answers {
        if let Some(i) = plan.index_of(no) {
            statuses[i] = Some(status);
        }
    }

    let mut levels = [Tally::default(); 3];
    let mut categories = vec![[Tally::default(); 3]; plan.categories.len()];
    for (item, status) in plan.items.iter().zip(statuses) {
        if item.level <= target {
            let l = usize::from(item.level - 1);
            levels[l].add(status);
            categories[item.category][l].add(status);
        }
    }

    let in_scope = levels[0].plus(levels[1]).plus(levels[2]);
    let cumulative_tally = [levels[0], levels[0].plus(levels[1]), in_scope];
    // Levels up to the target met in a row: a level without applicable items counts as met.
    let mut achieved_level = 0;
    for l in 1..=target {
        if !cumulative_tally[usize::from(l - 1)].all_implemented() {
            break;
        }
        achieved_level = l;
    }

    Score {
        overall: in_scope.achievement(credit),
        meets_target: in_scope.all_implemented(),
        achieved_level,
        target_level: target,
        levels: PerLevel::from_fn(|l| levels[usize::from(l - 1)].level_score(credit)),
        cumulative: PerLevel::from_fn(|l| {
            if l <= target { cumulative_tally[usize::from(l - 1)].achievement(credit) } else { None }
        }),
        categories: plan
            .categories
            .iter()
            .zip(&categories)
            .map(|((number, name), tallies)| CategoryScore {
                number: *number,
                name: name.clone(),
                achievement: tallies[0].plus(tallies[1]).plus(tallies[2]).achievement(credit),
                levels: PerLevel::from_fn(|l| tallies[usize::from(l - 1)].achievement(credit)),
            })
            .collect(),
        counts: ScoreCounts {
            implemented: in_scope.implemented,
            partially_implemented: in_scope.partial,
            not_implemented: in_scope.not_implemented,
            not_applicable: in_scope.not_applicable,
            unanswered: in_scope.unanswered,
            applicable: in_scope.applicable(),
            total: in_scope.applicable() + in_scope.not_applicable,
        },
    }
}
