//! Keeping a template's English honest when its Japanese is edited: an edit that changes a
//! Japanese text but sends its English back unchanged would leave a translation of the old
//! text beside the new one. Such an English text is dropped (the pages then show the
//! Japanese, marked as such); an edit that changes both keeps the new English.

use std::collections::HashMap;

use super::model::{Category, Item};

/// Drops from `edited` every English text whose Japanese differs from `before`'s while the
/// English is `before`'s (matched by category number, section code and item number).
/// Returns how many texts were dropped.
pub(crate) fn drop_stale_english(before: &[Category], edited: &mut [Category]) -> usize {
    let mut dropped = 0;
    let categories: HashMap<u32, &Category> = before.iter().map(|c| (c.number, c)).collect();
    let sections: HashMap<&str, &super::model::Section> =
        before.iter().flat_map(|c| c.sections.iter()).map(|s| (s.code.as_str(), s)).collect();
    let items: HashMap<u32, &Item> =
        before.iter().flat_map(|c| c.sections.iter()).flat_map(|s| s.items.iter()).map(|i| (i.no, i)).collect();
    for category in edited.iter_mut() {
        if let Some(old) = categories.get(&category.number) {
            dropped += text(&old.name, &old.name_en, &category.name, &mut category.name_en);
            dropped += text(&old.purpose, &old.purpose_en, &category.purpose, &mut category.purpose_en);
        }
        for section in &mut category.sections {
            if let Some(old) = sections.get(section.code.as_str()) {
                dropped +=
                    text(&old.requirement, &old.requirement_en, &section.requirement, &mut section.requirement_en);
            }
            for item in &mut section.items {
                let Some(old) = items.get(&item.no) else { continue };
                dropped += text(&old.question, &old.question_en, &item.question, &mut item.question_en);
                dropped += lines(&old.criteria, &old.criteria_en, &item.criteria, &mut item.criteria_en);
                dropped += lines(&old.scope, &old.scope_en, &item.scope, &mut item.scope_en);
                dropped += lines(&old.frequency, &old.frequency_en, &item.frequency, &mut item.frequency_en);
                dropped += lines(&old.notes, &old.notes_en, &item.notes, &mut item.notes_en);
            }
        }
    }
    dropped
}

fn text(old_ja: &str, old_en: &Option<String>, ja: &str, en: &mut Option<String>) -> usize {
    if old_ja != ja && en.is_some() && en == old_en {
        *en = None;
        1
    } else {
        0
    }
}

fn lines(old_ja: &[String], old_en: &[String], ja: &[String], en: &mut Vec<String>) -> usize {
    if old_ja != ja && !en.is_empty() && en.as_slice() == old_en {
        en.clear();
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::templates::catalog;

    fn builtin() -> Vec<Category> {
        let docs = catalog::builtin_documents().unwrap_or_default();
        docs.into_iter().find(|d| d.key == catalog::JAMA_JAPIA_KEY).map(|d| d.categories).unwrap_or_default()
    }

    #[test]
    fn an_edited_japanese_text_loses_the_english_it_no_longer_matches() {
        let before = builtin();
        assert!(!before.is_empty());
        let mut edited = before.clone();
        let item = &mut edited[0].sections[0].items[0];
        item.question.push_str("（改訂）");
        item.criteria[0].push_str("（改訂）");
        let unchanged_scope = item.scope_en.clone();
        edited[1].sections[0].items[0].question.push_str("（改訂）");
        edited[1].sections[0].items[0].question_en = Some("A new English question".into());
        assert_eq!(drop_stale_english(&before, &mut edited), 2);
        let item = &edited[0].sections[0].items[0];
        assert_eq!((item.question_en.as_deref(), item.criteria_en.is_empty()), (None, true));
        assert_eq!(item.scope_en, unchanged_scope, "a line list the edit did not touch keeps its English");
        assert_eq!(edited[1].sections[0].items[0].question_en.as_deref(), Some("A new English question"));
        assert_eq!(drop_stale_english(&before, &mut before.clone()), 0, "nothing edited, nothing dropped");
    }
}
