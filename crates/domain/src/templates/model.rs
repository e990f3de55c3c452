//! The template document: the shape of the built-in data file, of imports and of exports.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

pub const MAX_ITEMS: usize = 2_000;
/// Item numbers are stored as 32-bit integers; anything near that is a mistake anyway.
pub const MAX_ITEM_NO: u32 = 1_000_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub no: u32,
    pub level: u8,
    /// The source gives no level: the data file chose one (see `level_reason`).
    #[serde(default)]
    pub level_inferred: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_reason: Option<String>,
    /// 要求事項
    pub question: String,
    /// 達成基準
    #[serde(default)]
    pub criteria: Vec<String>,
    /// 対象
    #[serde(default)]
    pub scope: Vec<String>,
    /// 頻度
    #[serde(default)]
    pub frequency: Vec<String>,
    #[serde(default)]
    pub notes: Vec<String>,
    /// Where the text is not the source's own (reconstructed or editorial), why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub code: String,
    #[serde(default)]
    pub requirement: String,
    // GraphQL cost: the built-in averages 4 items a section (see the api's `graphql::cost`).
    #[cfg_attr(feature = "graphql", graphql(complexity = "3 * child_complexity"))]
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub number: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    #[serde(default)]
    pub purpose: String,
    // GraphQL cost: the built-in averages 1.6 sections a category.
    #[cfg_attr(feature = "graphql", graphql(complexity = "2 * child_complexity"))]
    pub sections: Vec<Section>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[serde(deny_unknown_fields)]
pub struct Anomaly {
    pub items: Vec<u32>,
    pub description: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
#[cfg_attr(feature = "graphql", graphql(rename_items = "snake_case"))]
#[serde(rename_all = "snake_case")]
pub enum AnswerStatus {
    Implemented,
    PartiallyImplemented,
    NotImplemented,
    NotApplicable,
}

impl AnswerStatus {
    pub const ALL: [AnswerStatus; 4] = [
        AnswerStatus::Implemented,
        AnswerStatus::PartiallyImplemented,
        AnswerStatus::NotImplemented,
        AnswerStatus::NotApplicable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnswerStatus::Implemented => "implemented",
            AnswerStatus::PartiallyImplemented => "partially_implemented",
            AnswerStatus::NotImplemented => "not_implemented",
            AnswerStatus::NotApplicable => "not_applicable",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[serde(deny_unknown_fields)]
pub struct ScaleEntry {
    pub status: AnswerStatus,
    pub label_ja: String,
    pub label_en: String,
    /// Share of the item's weight earned; `null` for `not_applicable`, which is excluded.
    pub credit: Option<f64>,
    pub enabled: bool,
}

/// The answers a template allows and what each earns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
#[serde(deny_unknown_fields)]
pub struct AnswerScale {
    pub statuses: Vec<ScaleEntry>,
}

impl Default for AnswerScale {
    fn default() -> Self {
        let entry = |status, ja: &str, en: &str, credit| ScaleEntry {
            status,
            label_ja: ja.into(),
            label_en: en.into(),
            credit,
            enabled: true,
        };
        Self {
            statuses: vec![
                entry(AnswerStatus::Implemented, "実施している", "Implemented", Some(1.0)),
                entry(AnswerStatus::PartiallyImplemented, "一部実施している", "Partially implemented", Some(0.5)),
                entry(AnswerStatus::NotImplemented, "実施していない", "Not implemented", Some(0.0)),
                entry(AnswerStatus::NotApplicable, "対象外", "Not applicable", None),
            ],
        }
    }
}

impl AnswerScale {
    pub fn entry(&self, status: AnswerStatus) -> Option<&ScaleEntry> {
        self.statuses.iter().find(|e| e.status == status)
    }

    /// Implemented earns 1 and not implemented 0 by definition; a buyer may switch partial
    /// (or not applicable) off and set partial's credit strictly between 0 and 1.
    pub fn violations(&self, path: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let seen: BTreeSet<AnswerStatus> = self.statuses.iter().map(|e| e.status).collect();
        if seen.len() != self.statuses.len() || seen.len() != AnswerStatus::ALL.len() {
            errors.push(FieldError::new(
                format!("{path}.statuses"),
                "invalid_scale",
                "must list each of implemented, partially_implemented, not_implemented, not_applicable once",
            ));
        }
        for (i, e) in self.statuses.iter().enumerate() {
            let field = format!("{path}.statuses[{i}]");
            let ok = match e.status {
                AnswerStatus::Implemented => e.enabled && e.credit == Some(1.0),
                AnswerStatus::NotImplemented => e.enabled && e.credit == Some(0.0),
                AnswerStatus::PartiallyImplemented => e.credit.is_some_and(|c| c > 0.0 && c < 1.0),
                AnswerStatus::NotApplicable => e.credit.is_none(),
            };
            if !ok {
                let rule = match e.status {
                    AnswerStatus::Implemented => "implemented is always enabled with credit 1",
                    AnswerStatus::NotImplemented => "not_implemented is always enabled with credit 0",
                    AnswerStatus::PartiallyImplemented => {
                        "partially_implemented needs a credit between 0 and 1 (exclusive)"
                    }
                    AnswerStatus::NotApplicable => {
                        "not_applicable carries no credit (null): it is excluded from scoring"
                    }
                };
                errors.push(FieldError::new(field.clone(), "invalid_scale", rule));
            }
            if e.label_ja.trim().is_empty() || e.label_en.trim().is_empty() {
                errors.push(FieldError::new(field, "required", "labels must not be empty"));
            }
        }
        errors
    }
}

/// A whole template document, as imported and exported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateDocument {
    pub key: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    pub guideline_version: String,
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default)]
    pub answer_scale: AnswerScale,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anomalies: Vec<Anomaly>,
    pub categories: Vec<Category>,
}

fn default_language() -> String {
    "ja".into()
}

/// What is stored in `templates.content`: the tree and its provenance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Content {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub anomalies: Vec<Anomaly>,
    pub categories: Vec<Category>,
}

impl Content {
    pub fn items(&self) -> impl Iterator<Item = (&Category, &Section, &Item)> {
        self.categories.iter().flat_map(|c| c.sections.iter().flat_map(move |s| s.items.iter().map(move |i| (c, s, i))))
    }

    pub fn item_count(&self) -> usize {
        self.items().count()
    }

    /// Items per level, `{"1": n, "2": n, "3": n}`.
    pub fn level_counts(&self) -> BTreeMap<String, usize> {
        let mut counts: BTreeMap<String, usize> = (1..=3).map(|l| (l.to_string(), 0)).collect();
        for (_, _, item) in self.items() {
            *counts.entry(item.level.to_string()).or_default() += 1;
        }
        counts
    }

    /// Keeps items at or below `max_level` and in `category`; drops what becomes empty.
    pub fn filtered(&self, max_level: Option<u8>, category: Option<u32>) -> Content {
        let categories = self
            .categories
            .iter()
            .filter(|c| category.is_none_or(|n| c.number == n))
            .map(|c| Category {
                sections: c
                    .sections
                    .iter()
                    .map(|s| Section {
                        items: s.items.iter().filter(|i| max_level.is_none_or(|m| i.level <= m)).cloned().collect(),
                        ..s.clone()
                    })
                    .filter(|s| !s.items.is_empty())
                    .collect(),
                ..c.clone()
            })
            .filter(|c| !c.sections.is_empty())
            .collect();
        Content { source: self.source.clone(), anomalies: self.anomalies.clone(), categories }
    }
}

fn required(errors: &mut Vec<FieldError>, path: String, value: &str, max: usize) {
    if value.trim().is_empty() {
        errors.push(FieldError::new(path, "required", "must not be empty"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(path, "too_long", format!("must be at most {max} characters")));
    }
}

impl TemplateDocument {
    /// Every problem in the document, each with its path
    /// (`categories[2].sections[0].items[5].level`).
    pub fn violations(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        required(&mut errors, "key".into(), &self.key, 100);
        if !self.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
            errors.push(FieldError::new("key", "invalid_key", "use letters, digits, '-', '_' and '.' only"));
        }
        for (field, name) in [("name", Some(&self.name)), ("name_en", self.name_en.as_ref())] {
            if let Some(Err(e)) = name.map(|n| crate::text::name(field, n)) {
                errors.push(e);
            }
        }
        required(&mut errors, "guideline_version".into(), &self.guideline_version, 50);
        if !["ja", "en"].contains(&self.language.as_str()) {
            errors.push(FieldError::new("language", "invalid_locale", "must be ja or en"));
        }
        errors.extend(self.answer_scale.violations("answer_scale"));
        if self.categories.is_empty() {
            errors.push(FieldError::new("categories", "required", "a template needs at least one category"));
        }
        let mut numbers = BTreeSet::new();
        let mut codes = BTreeSet::new();
        let mut item_numbers: BTreeMap<u32, String> = BTreeMap::new();
        let mut count = 0usize;
        for (ci, category) in self.categories.iter().enumerate() {
            let cpath = format!("categories[{ci}]");
            if !numbers.insert(category.number) {
                errors.push(FieldError::new(
                    format!("{cpath}.number"),
                    "duplicate",
                    format!("category {} appears twice", category.number),
                ));
            }
            required(&mut errors, format!("{cpath}.name"), &category.name, 200);
            if category.sections.is_empty() {
                errors.push(FieldError::new(
                    format!("{cpath}.sections"),
                    "required",
                    "a category needs at least one section",
                ));
            }
            for (si, section) in category.sections.iter().enumerate() {
                let spath = format!("{cpath}.sections[{si}]");
                required(&mut errors, format!("{spath}.code"), &section.code, 20);
                if !codes.insert(section.code.clone()) {
                    errors.push(FieldError::new(
                        format!("{spath}.code"),
                        "duplicate",
                        format!("section {} appears twice", section.code),
                    ));
                }
                if section.items.is_empty() {
                    errors.push(FieldError::new(
                        format!("{spath}.items"),
                        "required",
                        "a section needs at least one item",
                    ));
                }
                for (ii, item) in section.items.iter().enumerate() {
                    count += 1;
                    let ipath = format!("{spath}.items[{ii}]");
                    if item.no == 0 || item.no > MAX_ITEM_NO {
                        errors.push(FieldError::new(
                            format!("{ipath}.no"),
                            "out_of_range",
                            format!("item numbers run from 1 to {MAX_ITEM_NO}"),
                        ));
                    }
                    if let Some(first) = item_numbers.insert(item.no, ipath.clone()) {
                        errors.push(FieldError::new(
                            format!("{ipath}.no"),
                            "duplicate",
                            format!("item number {} is already used at {first}", item.no),
                        ));
                    }
                    if !(1..=3).contains(&item.level) {
                        errors.push(FieldError::new(
                            format!("{ipath}.level"),
                            "out_of_range",
                            "level must be 1, 2 or 3",
                        ));
                    }
                    required(&mut errors, format!("{ipath}.question"), &item.question, 4_000);
                }
            }
        }
        if count > MAX_ITEMS {
            errors.push(FieldError::new(
                "categories",
                "too_many_items",
                format!("at most {MAX_ITEMS} items, got {count}"),
            ));
        }
        errors
    }

    pub fn content(&self) -> Content {
        Content { source: self.source.clone(), anomalies: self.anomalies.clone(), categories: self.categories.clone() }
    }
}
