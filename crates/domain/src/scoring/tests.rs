//! Hand-computed cases: each expectation is worked out in a comment from the spec's formula.

use super::*;
use crate::templates::model::Content;
use crate::templates::{AnswerScale, AnswerStatus, Category, Item, Section};
use AnswerStatus::{Implemented as I, NotApplicable as NA, NotImplemented as N, PartiallyImplemented as P};

type TestResult = Result<(), Box<dyn std::error::Error>>;

pub(super) fn item(no: u32, level: u8) -> Item {
    Item {
        no,
        level,
        level_inferred: false,
        level_reason: None,
        question: format!("Question {no}"),
        criteria: Vec::new(),
        scope: Vec::new(),
        frequency: Vec::new(),
        notes: Vec::new(),
        text_note: None,
        ..Item::default()
    }
}

/// A template of one section per category: `(category number, [(item no, level)])`.
pub(super) fn content(categories: &[(u32, &[(u32, u8)])]) -> Content {
    Content {
        source: None,
        translation: None,
        anomalies: Vec::new(),
        categories: categories
            .iter()
            .map(|(number, items)| Category {
                number: *number,
                name: format!("Category {number}"),
                name_en: None,
                purpose: String::new(),
                purpose_en: None,
                sections: vec![Section {
                    code: format!("{number}-1"),
                    requirement: String::new(),
                    requirement_en: None,
                    items: items.iter().map(|&(no, level)| item(no, level)).collect(),
                }],
            })
            .collect(),
    }
}

/// The default scale with partial's credit and switch replaced.
pub(super) fn scale(partial_credit: f64, partial_enabled: bool) -> AnswerScale {
    let mut scale = AnswerScale::default();
    for entry in scale.statuses.iter_mut().filter(|e| e.status == P) {
        entry.credit = Some(partial_credit);
        entry.enabled = partial_enabled;
    }
    scale
}

/// Category 1: No.1 L1, No.2 L1, No.3 L2, No.4 L3. Category 2: No.5 L1, No.6 L2, No.7 L2, No.8 L3.
fn two_categories() -> Content {
    content(&[(1, &[(1, 1), (2, 1), (3, 2), (4, 3)]), (2, &[(5, 1), (6, 2), (7, 2), (8, 3)])])
}

fn default_plan(content: &Content) -> ScoringPlan {
    ScoringPlan::new(content, &AnswerScale::default())
}

/// Four level-1 items, answered implemented, implemented, partial, not implemented.
fn four_items_one_partial(scale: &AnswerScale) -> Score {
    let plan = ScoringPlan::new(&content(&[(1, &[(1, 1), (2, 1), (3, 1), (4, 1)])]), scale);
    score(&plan, 1, [(1, I), (2, I), (3, P), (4, N)])
}

#[test]
fn partial_earns_half_by_default() {
    let s = four_items_one_partial(&AnswerScale::default());
    // (1 + 1 + 0.5 + 0) / 4
    assert_eq!(s.overall, Some(0.625));
    assert_eq!(s.levels.l1.achievement, Some(0.625));
    assert_eq!(s.cumulative.l1, Some(0.625));
    assert_eq!(s.categories[0].achievement, Some(0.625));
    assert!(!s.meets_target);
    assert_eq!(s.achieved_level, 0);
}

#[test]
fn partial_earns_the_templates_credit() {
    let s = four_items_one_partial(&scale(0.25, true));
    // (1 + 1 + 0.25 + 0) / 4
    assert_eq!(s.overall, Some(0.5625));
    assert_eq!(s.levels.l1.achievement, Some(0.5625));
}

#[test]
fn a_legacy_partial_answer_earns_nothing_once_partial_is_switched_off() {
    let s = four_items_one_partial(&scale(0.5, false));
    // (1 + 1 + 0 + 0) / 4: still applicable, still counted as partial.
    assert_eq!(s.overall, Some(0.5));
    assert_eq!(s.counts.partially_implemented, 1);
    assert_eq!(s.counts.applicable, 4);
}

#[test]
fn not_applicable_leaves_numerator_and_denominator() {
    let plan = default_plan(&content(&[(1, &[(1, 1), (2, 1), (3, 1), (4, 1)])]));
    let s = score(&plan, 1, [(1, I), (2, NA), (3, P), (4, N)]);
    // (1 + 0.5 + 0) / 3
    assert_eq!(s.overall, Some(0.5));
    let expected = ScoreCounts {
        implemented: 1,
        partially_implemented: 1,
        not_implemented: 1,
        not_applicable: 1,
        unanswered: 0,
        applicable: 3,
        total: 4,
    };
    assert_eq!(s.counts, expected);
    assert_eq!(s.levels.l1.applicable, 3);
    assert_eq!(s.levels.l1.not_applicable, 1);
}

#[test]
fn an_all_not_applicable_level_is_null_and_does_not_block() {
    // L1: No.1, No.2 implemented; L2: No.3, No.4 not applicable; L3: No.5.
    let plan = default_plan(&content(&[(1, &[(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)])]));
    let s = score(&plan, 3, [(1, I), (2, I), (3, NA), (4, NA), (5, I)]);
    assert_eq!(s.levels.l2.achievement, None);
    assert_eq!(s.levels.l2.applicable, 0);
    assert_eq!(s.levels.l2.not_applicable, 2);
    // Levels 1–2 have only level 1's two items to measure.
    assert_eq!(s.cumulative.l2, Some(1.0));
    assert_eq!(s.categories[0].levels.l2, None);
    assert_eq!(s.overall, Some(1.0));
    assert_eq!(s.achieved_level, 3);
    assert!(s.meets_target);

    // Level 3 not met: level 2, empty, still counts as reached.
    let s = score(&plan, 3, [(1, I), (2, I), (3, NA), (4, NA), (5, N)]);
    assert_eq!(s.achieved_level, 2);
    assert!(!s.meets_target);
    // (1 + 1 + 0) / 3
    assert_eq!(s.overall, Some(2.0 / 3.0));
}

/// All implemented except No.4 (L3) not implemented and No.8 (L3) partial.
const MIXED_AT_LEVEL_3: [(u32, AnswerStatus); 8] = [(1, I), (2, I), (3, I), (4, N), (5, I), (6, I), (7, I), (8, P)];

#[test]
fn target_level_1_ignores_levels_2_and_3() {
    let plan = default_plan(&two_categories());
    let s = score(&plan, 1, MIXED_AT_LEVEL_3);
    // Scope: No.1, No.2, No.5, all implemented.
    assert_eq!(s.target_level, 1);
    assert_eq!(s.overall, Some(1.0));
    assert!(s.meets_target);
    assert_eq!(s.achieved_level, 1);
    assert_eq!(s.counts.total, 3);
    assert_eq!(s.levels.l2, LevelScore::default());
    assert_eq!(s.levels.l3, LevelScore::default());
    assert_eq!((s.cumulative.l1, s.cumulative.l2, s.cumulative.l3), (Some(1.0), None, None));
    for category in &s.categories {
        assert_eq!((category.levels.l2, category.levels.l3), (None, None), "{category:?}");
    }
}

#[test]
fn target_level_2_ignores_level_3() {
    let plan = default_plan(&two_categories());
    let s = score(&plan, 2, MIXED_AT_LEVEL_3);
    // Scope: No.1, 2, 3, 5, 6, 7, all implemented.
    assert_eq!(s.overall, Some(1.0));
    assert!(s.meets_target);
    assert_eq!(s.achieved_level, 2);
    assert_eq!(s.counts.total, 6);
    assert_eq!(s.levels.l2.implemented, 3);
    assert_eq!(s.levels.l3, LevelScore::default());
    assert_eq!((s.cumulative.l2, s.cumulative.l3), (Some(1.0), None));
}

#[test]
fn target_level_3_counts_everything() {
    let plan = default_plan(&two_categories());
    let s = score(&plan, 3, MIXED_AT_LEVEL_3);
    // (6 × 1 + 0 + 0.5) / 8
    assert_eq!(s.overall, Some(0.8125));
    assert!(!s.meets_target);
    assert_eq!(s.achieved_level, 2);
    // Level 3: (0 + 0.5) / 2
    assert_eq!(s.levels.l3.achievement, Some(0.25));
    assert_eq!((s.levels.l3.not_implemented, s.levels.l3.partially_implemented), (1, 1));
    assert_eq!((s.cumulative.l1, s.cumulative.l2, s.cumulative.l3), (Some(1.0), Some(1.0), Some(0.8125)));
    // Category 1: (1 + 1 + 1 + 0) / 4; category 2: (1 + 1 + 1 + 0.5) / 4
    assert_eq!(s.categories[0].achievement, Some(0.75));
    assert_eq!(s.categories[1].achievement, Some(0.875));
}

#[test]
fn achieved_level_is_the_last_level_met_in_a_row() {
    let plan = default_plan(&two_categories());
    let with = |changes: &[(u32, AnswerStatus)]| {
        let answers = (1..=8).map(|no| (no, I)).chain(changes.iter().copied());
        score(&plan, 3, answers)
    };
    assert_eq!(with(&[(1, N)]).achieved_level, 0, "a level 1 item not implemented");
    assert_eq!(with(&[(5, P)]).achieved_level, 0, "partial is not implemented");
    assert_eq!(with(&[(3, P)]).achieved_level, 1, "a level 2 item partial");
    assert_eq!(with(&[(8, N)]).achieved_level, 2, "a level 3 item not implemented");
    assert_eq!(with(&[]).achieved_level, 3);
    assert_eq!(with(&[(4, NA), (8, NA)]).achieved_level, 3, "level 3 all not applicable");
    // A lower level holds back higher levels that are met.
    assert_eq!(with(&[(2, N), (3, I)]).achieved_level, 0);

    let unanswered_level_1 = score(&plan, 3, (2..=8).map(|no| (no, I)));
    assert_eq!(unanswered_level_1.achieved_level, 0, "unanswered is not implemented");
    assert!(!unanswered_level_1.meets_target);
}

#[test]
fn unanswered_items_count_as_nothing_earned() {
    let plan = default_plan(&two_categories());
    // Scope at level 2: No.1, 2, 3, 5, 6, 7; No.2, 5, 7 unanswered.
    let s = score(&plan, 2, [(1, I), (3, I), (6, P)]);
    // (1 + 1 + 0.5) / 6
    assert_eq!(s.overall, Some(2.5 / 6.0));
    // Level 1: No.1 I, No.2 and No.5 unanswered: 1 / 3. Level 2: No.3 I, No.6 P, No.7: 1.5 / 3.
    assert_eq!(s.levels.l1.achievement, Some(1.0 / 3.0));
    assert_eq!(s.levels.l2.achievement, Some(0.5));
    assert_eq!((s.counts.unanswered, s.counts.applicable, s.counts.total), (3, 6, 6));
    assert_eq!(s.levels.l1.unanswered, 2);
    assert_eq!(s.levels.l2.unanswered, 1);
}

#[test]
fn categories_are_scored_in_total_and_per_level() {
    let plan = default_plan(&two_categories());
    let answers = [(1, I), (2, N), (3, P), (4, I), (5, I), (6, NA), (7, N), (8, P)];
    let s = score(&plan, 3, answers);
    let [first, second] = s.categories.as_slice() else { panic!("two categories: {:?}", s.categories) };
    assert_eq!((first.number, first.name.as_str()), (1, "Category 1"));
    // No.1 I, No.2 N (L1: 1 / 2), No.3 P (L2: 0.5), No.4 I (L3: 1); in all (1 + 0 + 0.5 + 1) / 4.
    assert_eq!(first.achievement, Some(0.625));
    assert_eq!(first.levels, PerLevel { l1: Some(0.5), l2: Some(0.5), l3: Some(1.0) });
    assert_eq!((second.number, second.name.as_str()), (2, "Category 2"));
    // No.5 I (L1: 1), No.6 NA and No.7 N (L2: 0 / 1), No.8 P (L3: 0.5); in all 1.5 / 3.
    assert_eq!(second.achievement, Some(0.5));
    assert_eq!(second.levels, PerLevel { l1: Some(1.0), l2: Some(0.0), l3: Some(0.5) });

    // At target 1 the same answers leave only level 1 in each category.
    let s = score(&plan, 1, answers);
    assert_eq!(s.categories[0].levels, PerLevel { l1: Some(0.5), l2: None, l3: None });
    assert_eq!(s.categories[0].achievement, Some(0.5));
    assert_eq!(s.categories[1].achievement, Some(1.0));
}

#[test]
fn a_category_without_applicable_items_is_null_but_listed() {
    let plan = default_plan(&content(&[(1, &[(1, 1)]), (2, &[(2, 1)]), (3, &[(3, 3)])]));
    let s = score(&plan, 1, [(1, I), (2, NA)]);
    let numbers: Vec<u32> = s.categories.iter().map(|c| c.number).collect();
    assert_eq!(numbers, [1, 2, 3], "template order, all of them");
    assert_eq!(s.categories[1].achievement, None, "only not applicable");
    assert_eq!(s.categories[2].achievement, None, "only above the target");
    assert_eq!(s.categories[2].levels, PerLevel::default());
}

#[test]
fn nothing_applicable_means_null_overall_and_target_met() {
    let plan = default_plan(&two_categories());
    let s = score(&plan, 2, (1..=8).map(|no| (no, NA)));
    assert_eq!(s.overall, None);
    assert_eq!((s.levels.l1.achievement, s.levels.l2.achievement), (None, None));
    assert_eq!(s.cumulative, PerLevel::default());
    assert!(s.meets_target, "nothing required is missing");
    assert_eq!(s.achieved_level, 2);
    assert_eq!((s.counts.applicable, s.counts.not_applicable, s.counts.total), (0, 6, 6));

    // No item in scope at all: only level 3 items, target 1.
    let plan = default_plan(&content(&[(1, &[(1, 3)])]));
    let s = score(&plan, 1, [(1, N)]);
    assert_eq!((s.overall, s.meets_target, s.achieved_level, s.counts.total), (None, true, 1, 0));
}

#[test]
fn stray_answers_are_ignored_and_the_last_answer_to_an_item_wins() {
    let plan = default_plan(&two_categories());
    let clean = score(&plan, 1, [(1, I), (2, I), (5, I)]);
    // No.999 is not in the template; No.3 and No.8 are above the target.
    let noisy = score(&plan, 1, [(999, N), (1, I), (3, N), (2, I), (8, NA), (5, I)]);
    assert_eq!(noisy, clean);
    let last_wins = score(&plan, 1, [(1, N), (2, I), (5, I), (1, I)]);
    assert_eq!(last_wins, clean);
    let last_loses = score(&plan, 1, [(1, I), (2, I), (5, I), (1, N)]);
    assert_eq!(last_loses.achieved_level, 0);
}

#[test]
fn an_out_of_range_target_is_clamped() {
    let plan = default_plan(&two_categories());
    assert_eq!(score(&plan, 0, []).target_level, 1);
    let high = score(&plan, 9, MIXED_AT_LEVEL_3);
    assert_eq!(high, score(&plan, 3, MIXED_AT_LEVEL_3));
}

#[test]
fn the_json_has_every_level_key_and_reads_back() -> TestResult {
    let plan = default_plan(&two_categories());
    let s = score(&plan, 1, [(1, I), (2, P)]);
    let json = serde_json::to_value(&s)?;
    assert_eq!(json["levels"]["1"]["achievement"], serde_json::json!(0.5));
    assert_eq!(json["levels"]["3"]["achievement"], serde_json::Value::Null);
    assert_eq!(json["levels"]["3"]["applicable"], serde_json::json!(0));
    assert_eq!(json["cumulative"], serde_json::json!({"1": 0.5, "2": null, "3": null}));
    assert_eq!(json["categories"][1]["levels"], serde_json::json!({"1": 0.0, "2": null, "3": null}));
    assert_eq!(json["counts"]["unanswered"], serde_json::json!(1));
    assert_eq!(json["achieved_level"], serde_json::json!(0));
    let back: Score = serde_json::from_value(json)?;
    assert_eq!(back, s);
    Ok(())
}

#[test]
fn the_built_in_check_sheet_all_implemented_reaches_level_3() -> TestResult {
    let docs = crate::templates::catalog::builtin_documents()?;
    let doc = docs.first().ok_or("no built-in template")?;
    let content = doc.content();
    let plan = ScoringPlan::new(&content, &doc.answer_scale);
    assert_eq!(plan.item_count(), 153);
    let all: Vec<u32> = content.items().map(|(_, _, i)| i.no).collect();
    let s = score(&plan, 3, all.iter().map(|&no| (no, I)));
    assert_eq!(s.overall, Some(1.0));
    assert_eq!((s.achieved_level, s.meets_target), (3, true));
    assert_eq!((s.counts.total, s.counts.implemented), (153, 153));
    assert_eq!(s.categories.len(), 24);
    let per_level = content.level_counts();
    for (level, scored) in s.levels.iter() {
        assert_eq!(Some(&(scored.implemented as usize)), per_level.get(&level.to_string()), "level {level}");
    }

    // Nothing answered: every figure 0, nothing reached.
    let s = score(&plan, 3, []);
    assert_eq!((s.overall, s.achieved_level, s.counts.unanswered), (Some(0.0), 0, 153));
    Ok(())
}
