//! The built-in check sheet: complete, faithful to its source, loaded idempotently.

use std::collections::{BTreeMap, BTreeSet};

use kensa_domain::templates::catalog;
use kensa_domain::templates::{Item, TemplateDocument};

use crate::helpers::{TestResult, spawn_app};

fn builtin() -> Result<TemplateDocument, Box<dyn std::error::Error>> {
    Ok(catalog::builtin_documents()?.remove(0))
}

fn items(doc: &TemplateDocument) -> Vec<(u32, String, &Item)> {
    doc.categories
        .iter()
        .flat_map(|c| c.sections.iter().flat_map(move |s| s.items.iter().map(move |i| (c.number, s.code.clone(), i))))
        .collect()
}

#[test]
fn every_number_from_1_to_153_appears_exactly_once() -> TestResult {
    let doc = builtin()?;
    let numbers: Vec<u32> = items(&doc).iter().map(|(_, _, i)| i.no).collect();
    let unique: BTreeSet<u32> = numbers.iter().copied().collect();
    assert_eq!(numbers.len(), 153, "item count");
    assert_eq!(unique, (1..=153).collect::<BTreeSet<u32>>(), "missing or duplicated numbers");
    let categories: Vec<u32> = doc.categories.iter().map(|c| c.number).collect();
    assert_eq!(categories, (1..=24).collect::<Vec<u32>>());
    assert!(doc.categories.iter().all(|c| c.name_en.as_deref().is_some_and(|n| !n.is_empty())), "English names");
    Ok(())
}

#[test]
fn levels_match_the_published_distribution_with_four_inferred() -> TestResult {
    let doc = builtin()?;
    let mut per_level: BTreeMap<u8, usize> = BTreeMap::new();
    let mut inferred = Vec::new();
    for (_, _, item) in items(&doc) {
        *per_level.entry(item.level).or_default() += 1;
        if item.level_inferred {
            inferred.push(item.no);
            assert!(item.level_reason.as_deref().is_some_and(|r| r.len() > 20), "No.{} needs a reason", item.no);
        } else {
            assert!(item.level_reason.is_none(), "No.{} has a reason but is not inferred", item.no);
        }
    }
    assert_eq!(per_level, BTreeMap::from([(1, 50), (2, 74), (3, 29)]));
    assert_eq!(inferred, vec![39, 40, 142, 153]);
    Ok(())
}

#[test]
fn the_inferred_levels_follow_metis_list_where_it_cites_the_item() -> TestResult {
    let doc = builtin()?;
    let crosswalk = kensa_domain::crosswalk::mapping()?;
    for (_, _, item) in items(&doc).into_iter().filter(|(_, _, i)| i.level_inferred) {
        let reason = item.level_reason.as_deref().unwrap_or_default();
        match crosswalk.items[&item.no].meti_level.as_deref() {
            // Cited: the level is METI's, and the reason names the list.
            Some(level) => {
                assert_eq!(level, item.level.to_string(), "No.{}", item.no);
                assert!(reason.contains("METI") && reason.contains("2026-03-27"), "No.{}: {reason}", item.no);
            }
            None => assert!(reason.contains("does not cite"), "No.{}: {reason}", item.no),
        }
    }
    let level = |no: u32| items(&doc).iter().find(|(_, _, i)| i.no == no).map(|(_, _, i)| i.level);
    assert_eq!([level(39), level(40), level(142), level(153)], [Some(3), Some(1), Some(2), Some(2)]);
    Ok(())
}

/// Japanese script (kana and kanji) left in an English text.
fn has_japanese(text: &str) -> bool {
    text.chars().any(|c| matches!(c, '\u{3040}'..='\u{30ff}' | '\u{4e00}'..='\u{9fff}'))
}

#[test]
fn every_text_has_its_english_translation_line_by_line() -> TestResult {
    let doc = builtin()?;
    assert!(
        doc.translation.as_deref().is_some_and(|t| t.contains("Kensa") && t.contains("not")),
        "{:?}",
        doc.translation
    );
    for c in &doc.categories {
        let purpose = c.purpose_en.as_deref().unwrap_or_default();
        assert!(c.purpose.is_empty() || !purpose.is_empty(), "category {} purpose", c.number);
        assert!(!has_japanese(purpose), "category {}: {purpose}", c.number);
        for s in &c.sections {
            let requirement = s.requirement_en.as_deref().unwrap_or_default();
            assert!(s.requirement.is_empty() || !requirement.is_empty(), "section {} requirement", s.code);
            assert!(!has_japanese(requirement), "section {}: {requirement}", s.code);
        }
    }
    for (_, _, item) in items(&doc) {
        let question = item.question_en.as_deref().unwrap_or_default();
        assert!(!question.is_empty() && !has_japanese(question), "No.{} question: {question:?}", item.no);
        for (name, ja, en) in [
            ("criteria", &item.criteria, &item.criteria_en),
            ("scope", &item.scope, &item.scope_en),
            ("frequency", &item.frequency, &item.frequency_en),
            ("notes", &item.notes, &item.notes_en),
        ] {
            assert_eq!(en.len(), ja.len(), "No.{} {name}", item.no);
            for line in en {
                assert!(!line.is_empty() && !has_japanese(line), "No.{} {name}: {line:?}", item.no);
            }
        }
    }
    Ok(())
}

/// One item as the seed states it.
#[derive(Debug, Default)]
struct SeedItem {
    no: u32,
    category: u32,
    section: String,
    level: Option<u8>,
    question: String,
    criteria0: String,
    extra: Vec<String>,
}

fn normalise(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `No.N question`: a question line only when a level line (`No. …`) follows.
fn question_line(line: &str, next: Option<&String>) -> Option<(u32, String)> {
    let rest = line.strip_prefix("No.")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || !next.is_some_and(|n| n.starts_with("No. ")) {
        return None;
    }
    Some((digits.parse().ok()?, rest[digits.len()..].trim().to_owned()))
}

/// `No. [N ][question ]レベル Lv[K]criteria`
fn level_line(line: &str) -> Option<(Option<u32>, String, Option<u8>, String)> {
    let rest = line.strip_prefix("No. ")?;
    let (before, after) = rest.split_once("レベル Lv")?;
    let before = before.trim();
    let digits: String = before.chars().take_while(char::is_ascii_digit).collect();
    let number = digits.parse().ok();
    let question = before[digits.len()..].trim().to_owned();
    let mut chars = after.chars();
    let level = match chars.next() {
        Some(c @ '1'..='3') => Some(c as u8 - b'0'),
        _ => None,
    };
    let criteria = if level.is_some() { chars.as_str().to_owned() } else { after.to_owned() };
    Some((number, question, level, criteria))
}

fn parse_seed(text: &str) -> (Vec<SeedItem>, BTreeMap<u32, String>, BTreeMap<String, String>) {
    let lines: Vec<String> = text.lines().skip(2).map(normalise).filter(|l| !l.is_empty()).collect();
    let mut items: Vec<SeedItem> = Vec::new();
    let mut labels = BTreeMap::new();
    let mut requirements = BTreeMap::new();
    let (mut category, mut section) = (0, String::new());
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        let next = lines.get(i + 1);
        if next.is_some_and(|n| n.starts_with("ラベル ")) {
            section = line.split(' ').next().unwrap_or_default().to_owned();
            let label = next.map(String::as_str).unwrap_or_default().trim_start_matches("ラベル ");
            let (number, rest) = label.split_once(' ').unwrap_or_default();
            category = number.parse().unwrap_or_default();
            labels.entry(category).or_insert_with(|| rest.to_owned());
            requirements.insert(section.clone(), lines.get(i + 2).cloned().unwrap_or_default());
            i += 3;
            continue;
        }
        if let Some((no, question)) = question_line(line, next)
            && let Some((number, inline_question, level, criteria0)) = next.and_then(|n| level_line(n))
        {
            assert!(number.is_none_or(|n| n == no), "No.{no} level line names {number:?}");
            let question = if question.is_empty() { inline_question } else { question };
            items.push(SeedItem { no, category, section: section.clone(), level, question, criteria0, extra: vec![] });
            i += 2;
            continue;
        }
        if let Some(item) = items.last_mut() {
            item.extra.push(line.clone());
        }
        i += 1;
    }
    (items, labels, requirements)
}

fn sorted(lines: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = lines.into_iter().collect();
    v.sort();
    v
}

fn data_lines(item: &Item) -> Vec<String> {
    item.criteria.iter().skip(1).chain(&item.scope).chain(&item.frequency).chain(&item.notes).cloned().collect()
}

#[test]
fn the_data_file_matches_the_seed_item_by_item() -> TestResult {
    // The seed is committed next to the data generated from it, so this test always runs.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/domain/catalog/source/jama-japia-checksheet.txt");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let doc = builtin()?;
    let data: BTreeMap<u32, (u32, String, &Item)> =
        items(&doc).into_iter().map(|(c, s, i)| (i.no, (c, s, i))).collect();
    let (seed, labels, requirements) = parse_seed(&text);

    let seed_numbers: BTreeSet<u32> = seed.iter().map(|s| s.no).collect();
    let recovered: Vec<u32> = data.keys().filter(|n| !seed_numbers.contains(n)).copied().collect();
    assert_eq!(recovered, vec![39, 40], "only 39 and 40 lack their own lines in the seed");
    assert_eq!(seed.len(), 151);

    for s in &seed {
        let (category, section, item) = &data[&s.no];
        assert_eq!((*category, section.as_str()), (s.category, s.section.as_str()), "No.{} placement", s.no);
        assert_eq!(item.question, s.question, "No.{} question", s.no);
        assert_eq!(item.criteria.first(), Some(&s.criteria0), "No.{} first criteria line", s.no);
        match s.level {
            Some(level) => assert_eq!((item.level, item.level_inferred), (level, false), "No.{} level", s.no),
            None => assert!(item.level_inferred, "No.{} has no level in the seed", s.no),
        }
        // No.39 and No.40 trail No.38's lines in the seed.
        let mut expected = data_lines(item);
        if s.no == 38 {
            for recovered in [39, 40] {
                let r = data[&recovered].2;
                expected.extend(r.criteria.iter().chain(&r.scope).chain(&r.frequency).chain(&r.notes).cloned());
            }
        }
        assert_eq!(sorted(expected), sorted(s.extra.clone()), "No.{} remaining lines", s.no);
    }
    for category in &doc.categories {
        let label = &labels[&category.number];
        assert_eq!(format!("{}{}", category.name, category.purpose), *label, "category {}", category.number);
        for section in &category.sections {
            assert_eq!(section.requirement, requirements[&section.code], "section {}", section.code);
        }
    }
    let r39 = data[&39].2;
    assert_eq!(r39.question, r39.criteria[0], "No.39's question is its own criteria text");
    assert!(data[&40].2.text_note.as_deref().is_some_and(|n| n.contains("editorial")));
    Ok(())
}

#[tokio::test]
async fn loading_the_catalog_again_changes_nothing() -> TestResult {
    let app = spawn_app().await;
    let again = catalog::ensure_builtins(&app.kensa).await?;
    assert_eq!(again.len(), 1);
    assert!(!again[0].created, "a restart must not add a version");
    assert_eq!(again[0].version, 1);
    Ok(())
}

#[tokio::test]
async fn a_changed_data_file_becomes_a_new_version_leaving_the_old_one_intact() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let token = Some(owner.access_token.as_str());
    let before = app.get("/api/v1/templates", token).await;
    let old_id = before.body["data"][0]["id"].as_str().ok_or("no template")?.to_owned();

    // The deployed file changes (here: the stored copy is made to differ from it).
    app.execute_sql("UPDATE templates SET builtin_hash = 'an-older-file' WHERE builtin = true").await;
    let loaded = catalog::ensure_builtins(&app.kensa).await?;
    assert!(loaded[0].created);
    assert_eq!(loaded[0].version, 2);

    let after = app.get("/api/v1/templates", token).await;
    let builtins: Vec<&serde_json::Value> =
        after.body["data"].as_array().ok_or("data")?.iter().filter(|t| t["builtin"] == true).collect();
    assert_eq!(builtins.len(), 1, "the list shows the latest version only");
    assert_eq!(builtins[0]["version"], 2);
    let old = app.get(&format!("/api/v1/templates/{old_id}"), token).await;
    assert_eq!(old.status.as_u16(), 200, "the old version stays readable");
    assert_eq!(old.body["version"], 1);
    Ok(())
}
