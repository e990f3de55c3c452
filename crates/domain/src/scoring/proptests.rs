//! Properties over random templates (1–60 items, levels 1–3, 1–5 categories, item numbers
//! neither dense nor in template order), random scales, targets and answers.

use proptest::prelude::*;
use proptest::sample::Index;

use super::tests::{content, scale};
use super::*;
use crate::templates::AnswerStatus;
use crate::templates::model::Content;

#[derive(Clone, Debug)]
struct Case {
    content: Content,
    partial_credit: f64,
    partial_enabled: bool,
    target: u8,
    /// At most one answer per item, in random order; unanswered items have none.
    answers: Vec<(u32, AnswerStatus)>,
}

impl Case {
    fn plan(&self) -> ScoringPlan {
        ScoringPlan::new(&self.content, &scale(self.partial_credit, self.partial_enabled))
    }

    /// `(level, category index, answer)` of every item, straight from the template.
    fn items(&self) -> Vec<(u8, usize, Option<AnswerStatus>)> {
        let answer = |no| self.answers.iter().find(|(n, _)| *n == no).map(|(_, s)| *s);
        let mut items = Vec::new();
        for (ci, category) in self.content.categories.iter().enumerate() {
            for item in category.sections.iter().flat_map(|s| &s.items) {
                items.push((item.level, ci, answer(item.no)));
            }
        }
        items
    }
}

fn status() -> impl Strategy<Value = AnswerStatus> {
    prop::sample::select(AnswerStatus::ALL.to_vec())
}

/// Anywhere in (0, 1), with both ends' closest neighbours among the draws.
fn partial_credit() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => (0.0f64..1.0).prop_filter("strictly positive", |c| *c > 0.0),
        1 => Just(1.0 - f64::EPSILON / 2.0),
        1 => Just(f64::MIN_POSITIVE),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let items = prop::collection::vec((1u8..=3, 0usize..5, prop::option::weighted(0.8, status())), 1..=60);
    (1usize..=5, items, partial_credit(), any::<bool>(), 1u8..=3, any::<u64>()).prop_flat_map(
        |(categories, items, partial_credit, partial_enabled, target, spread)| {
            // Numbers by a multiplier, so that they are sparse; template order is not numeric.
            let step = u32::try_from(spread % 97).unwrap_or(0) + 1;
            let numbers: Vec<u32> = (0..items.len()).map(|i| (items.len() - i) as u32 * step).collect();
            let mut tree: Vec<(u32, Vec<(u32, u8)>)> = (1..=categories as u32).map(|n| (n * 10, Vec::new())).collect();
            let mut answers = Vec::new();
            for ((level, category, answer), no) in items.into_iter().zip(numbers) {
                tree[category % categories].1.push((no, level));
                answers.extend(answer.map(|s| (no, s)));
            }
            let tree: Vec<(u32, &[(u32, u8)])> = tree.iter().map(|(n, items)| (*n, items.as_slice())).collect();
            let content = content(&tree);
            Just(answers).prop_shuffle().prop_map(move |answers| Case {
                content: content.clone(),
                partial_credit,
                partial_enabled,
                target,
                answers,
            })
        },
    )
}

/// Every fraction of a score, in a fixed order (so that two scores compare figure by figure).
fn figures(s: &Score) -> Vec<Option<f64>> {
    let mut all = vec![s.overall];
    all.extend(s.levels.iter().map(|(_, l)| l.achievement));
    all.extend(s.cumulative.iter().map(|(_, c)| *c));
    for category in &s.categories {
        all.push(category.achievement);
        all.extend(category.levels.iter().map(|(_, c)| *c));
    }
    all
}

/// The spec read literally: Σ credit / applicable over the items `keep` selects.
fn naive(case: &Case, keep: impl Fn(u8, usize) -> bool) -> Option<f64> {
    let credit = if case.partial_enabled { case.partial_credit } else { 0.0 };
    let (mut sum, mut applicable) = (0.0, 0);
    for (level, category, answer) in case.items() {
        if level > case.target || !keep(level, category) || answer == Some(AnswerStatus::NotApplicable) {
            continue;
        }
        applicable += 1;
        sum += match answer {
            Some(AnswerStatus::Implemented) => 1.0,
            Some(AnswerStatus::PartiallyImplemented) => credit,
            _ => 0.0,
        };
    }
    (applicable > 0).then(|| sum / f64::from(applicable))
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() < 1e-9,
        (a, b) => a == b,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_figure_is_a_fraction_or_null(case in case()) {
        let s = score(&case.plan(), case.target, case.answers.clone());
        for figure in figures(&s).into_iter().flatten() {
            prop_assert!((0.0..=1.0).contains(&figure), "{figure} in {s:?}");
        }
    }

    #[test]
    fn the_figures_are_the_specs_formula(case in case()) {
        let s = score(&case.plan(), case.target, case.answers.clone());
        prop_assert!(close(s.overall, naive(&case, |_, _| true)), "overall {s:?}");
        for level in 1..=3u8 {
            let own = s.levels.get(level).and_then(|l| l.achievement);
            prop_assert!(close(own, naive(&case, |l, _| l == level)), "level {level} {s:?}");
            let cumulative = s.cumulative.get(level).copied().flatten();
            // Null above the target even though levels 1..=target would have something to show.
            let expected = if level <= case.target { naive(&case, |l, _| l <= level) } else { None };
            prop_assert!(close(cumulative, expected), "cumulative {level} {s:?}");
        }
        for (ci, category) in s.categories.iter().enumerate() {
            prop_assert!(close(category.achievement, naive(&case, |_, c| c == ci)), "category {ci} {s:?}");
            for level in 1..=3u8 {
                let own = category.levels.get(level).copied().flatten();
                prop_assert!(close(own, naive(&case, |l, c| c == ci && l == level)), "category {ci} L{level}");
            }
        }
        // Reached: the highest L ≤ target with every applicable item of levels ≤ L implemented.
        let met = |level: u8| {
            case.items().iter().all(|&(l, _, a)| {
                l > level || matches!(a, Some(AnswerStatus::Implemented | AnswerStatus::NotApplicable))
            })
        };
        let reached = (0..=case.target).rev().find(|&l| l == 0 || (1..=l).all(met)).unwrap_or(0);
        prop_assert_eq!(s.achieved_level, reached);
    }

    #[test]
    fn the_counts_add_up(case in case()) {
        let s = score(&case.plan(), case.target, case.answers.clone());
        let c = s.counts;
        prop_assert_eq!(c.implemented + c.partially_implemented + c.not_implemented + c.unanswered, c.applicable);
        prop_assert_eq!(c.applicable + c.not_applicable, c.total);
        let in_scope = case.items().iter().filter(|(l, _, _)| *l <= case.target).count();
        prop_assert_eq!(c.total as usize, in_scope);
        let levels: u32 = s.levels.iter().map(|(_, l)| l.applicable + l.not_applicable).sum();
        prop_assert_eq!(levels, c.total);
    }

    #[test]
    fn all_implemented_is_full_marks_at_the_target(case in case()) {
        let all: Vec<(u32, AnswerStatus)> =
            case.content.items().map(|(_, _, i)| (i.no, AnswerStatus::Implemented)).collect();
        let s = score(&case.plan(), case.target, all);
        let expected = if s.counts.total > 0 { Some(1.0) } else { None };
        prop_assert_eq!(s.overall, expected);
        prop_assert!(s.meets_target);
        prop_assert_eq!(s.achieved_level, case.target);
    }

    #[test]
    fn losing_an_implemented_answer_never_raises_anything(
        case in case(),
        pick in any::<Index>(),
        to in prop::option::of(prop::sample::select(vec![
            AnswerStatus::PartiallyImplemented,
            AnswerStatus::NotImplemented,
        ])),
    ) {
        let implemented: Vec<usize> = (0..case.answers.len())
            .filter(|&i| case.answers[i].1 == AnswerStatus::Implemented)
            .collect();
        prop_assume!(!implemented.is_empty());
        let at = *pick.get(&implemented);
        let mut changed = case.answers.clone();
        match to {
            Some(status) => changed[at].1 = status,
            None => {
                changed.remove(at);
            }
        }
        let plan = case.plan();
        let before = score(&plan, case.target, case.answers.clone());
        let after = score(&plan, case.target, changed);
        for (b, a) in figures(&before).into_iter().zip(figures(&after)) {
            match (b, a) {
                (Some(b), Some(a)) => prop_assert!(a <= b, "{b} became {a}"),
                (b, a) => prop_assert_eq!(b, a, "applicability must not change"),
            }
        }
        prop_assert!(after.achieved_level <= before.achieved_level);
        prop_assert!(!after.meets_target || before.meets_target);
    }

    #[test]
    fn the_order_of_answers_does_not_matter(case in case()) {
        let plan = case.plan();
        let shuffled = score(&plan, case.target, case.answers.clone());
        let mut sorted = case.answers.clone();
        sorted.sort_by_key(|(no, _)| *no);
        prop_assert_eq!(&score(&plan, case.target, sorted), &shuffled);
        prop_assert_eq!(&score(&plan, case.target, case.answers.iter().rev().copied()), &shuffled);
    }

    #[test]
    fn the_level_reached_is_the_target_exactly_when_met(case in case()) {
        let s = score(&case.plan(), case.target, case.answers.clone());
        prop_assert!(s.achieved_level <= s.target_level);
        prop_assert_eq!(s.target_level, case.target);
        prop_assert_eq!(s.meets_target, s.achieved_level == s.target_level);
    }
}
