//! The template document: the shape of the built-in data file, of imports and of exports.

use crate::error::ErrorCode;
use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

pub const MAX_ITEMS: usize = 2_000;
/// Item numbers are stored as 32-bit integers; anything near that is a mistake anyway.
pub const MAX_ITEM_NO: u32 = 1_000_000;

/// Bounds on every list and string of a template document. The built-in check sheet uses a
/// fraction of each (24 categories, 6 sections, 10 items a section, 15 lines, 282 characters),
/// so a real checklist never meets them; an attacker's million one-character criteria do.
/// Whole documents are further bounded in bytes by the API (`TEMPLATE_DOCUMENT_LIMIT`).
pub mod limits {
    pub const CATEGORIES: usize = 100;
    pub const SECTIONS_PER_CATEGORY: usize = 100;
    pub const ITEMS_PER_SECTION: usize = 500;
    /// Lines of `criteria`, `scope`, `frequency` and `notes`, each.
    pub const LINES_PER_ITEM: usize = 50;
    pub const LINE_CHARS: usize = 1_000;
    pub const QUESTION_CHARS: usize = 4_000;
    /// `level_reason`, `text_note`, a category's `purpose`, a section's `requirement`.
    pub const NOTE_CHARS: usize = 4_000;
    pub const NAME_CHARS: usize = 200;
    pub const SOURCE_CHARS: usize = 1_000;
    pub const ANOMALIES: usize = 200;
    pub const ITEMS_PER_ANOMALY: usize = 2_000;
    pub const SCALE_ENTRIES: usize = 8;
    pub const LABEL_CHARS: usize = 100;
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject, async_graphql::InputObject))]
#[cfg_attr(feature = "graphql", graphql(input_name = "ItemInput"))]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub no: u32,
    pub level: u8,
    /// The source gives no level: the data file chose one (see `level_reason`).
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub level_inferred: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_reason: Option<String>,
    /// 要求事項
    pub question: String,
    /// 達成基準
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub criteria: Vec<String>,
    /// 対象
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub scope: Vec<String>,
    /// 頻度
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub frequency: Vec<String>,
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub notes: Vec<String>,
    /// Where the text is not the source's own (reconstructed or editorial), why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_note: Option<String>,
    /// The question in English (for the built-in check sheet: Kensa's translation, not the
    /// association's; see the template's `translation`). Null where there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question_en: Option<String>,
    /// `criteria` in English, line by line (empty where there is no translation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub criteria_en: Vec<String>,
    /// `scope` in English, line by line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub scope_en: Vec<String>,
    /// `frequency` in English, line by line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub frequency_en: Vec<String>,
    /// `notes` in English, line by line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub notes_en: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject, async_graphql::InputObject))]
#[cfg_attr(feature = "graphql", graphql(input_name = "SectionInput", complex))]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub code: String,
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub requirement: String,
    /// The requirement in English, where there is a translation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requirement_en: Option<String>,
    // Output through `Section::items` below, which carries the GraphQL cost.
    #[cfg_attr(feature = "graphql", graphql(skip_output))]
    pub items: Vec<Item>,
}

// A field's GraphQL cost can only be declared on an output resolver (the input derive
// refuses `complexity`), so the tree's lists are resolved here.
#[cfg(feature = "graphql")]
#[async_graphql::ComplexObject]
impl Section {
    /// GraphQL cost: the built-in averages 4 items a section (see the api's `graphql::cost`).
    #[graphql(complexity = "3 * child_complexity")]
    async fn items(&self) -> &[Item] {
        &self.items
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject, async_graphql::InputObject))]
#[cfg_attr(feature = "graphql", graphql(input_name = "CategoryInput", complex))]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub number: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub purpose: String,
    /// The purpose in English, where there is a translation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose_en: Option<String>,
    #[cfg_attr(feature = "graphql", graphql(skip_output))]
    pub sections: Vec<Section>,
}

#[cfg(feature = "graphql")]
#[async_graphql::ComplexObject]
impl Category {
    /// GraphQL cost: the built-in averages 1.6 sections a category.
    #[graphql(complexity = "2 * child_complexity")]
    async fn sections(&self) -> &[Section] {
        &self.sections
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject, async_graphql::InputObject))]
#[cfg_attr(feature = "graphql", graphql(input_name = "AnomalyInput"))]
#[serde(deny_unknown_fields)]
pub struct Anomaly {
    pub items: Vec<u32>,
    pub description: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
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

    /// A `not_applicable` answer says why the item does not apply.
    pub fn takes_reason(self) -> bool {
        self == AnswerStatus::NotApplicable
    }

    /// Answers short of implemented carry a remediation plan and its date; others may not.
    pub fn takes_remediation(self) -> bool {
        matches!(self, AnswerStatus::NotImplemented | AnswerStatus::PartiallyImplemented)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AnswerStatus::Implemented => "implemented",
            AnswerStatus::PartiallyImplemented => "partially_implemented",
            AnswerStatus::NotImplemented => "not_implemented",
            AnswerStatus::NotApplicable => "not_applicable",
        }
    }
}

/// A stored `answers.status`: an unknown value is a corrupt row, a 500, never a default.
impl TryFrom<&str> for AnswerStatus {
    type Error = crate::error::DomainError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| crate::error::unknown_stored("answer status", s))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject, async_graphql::InputObject))]
#[cfg_attr(feature = "graphql", graphql(input_name = "ScaleEntryInput"))]
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
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject, async_graphql::InputObject))]
#[cfg_attr(feature = "graphql", graphql(input_name = "AnswerScaleInput"))]
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
                ErrorCode::InvalidScale,
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
                errors.push(FieldError::new(field.clone(), ErrorCode::InvalidScale, rule));
            }
            if e.label_ja.trim().is_empty() || e.label_en.trim().is_empty() {
                errors.push(FieldError::new(field.clone(), ErrorCode::Required, "labels must not be empty"));
            }
            for (name, label) in [("label_ja", &e.label_ja), ("label_en", &e.label_en)] {
                bounded(&mut errors, format!("{field}.{name}"), label, limits::LABEL_CHARS);
            }
        }
        errors
    }
}

/// A whole template document, as imported and exported.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject, async_graphql::InputObject))]
#[cfg_attr(feature = "graphql", graphql(input_name = "TemplateDocumentInput"))]
#[serde(deny_unknown_fields)]
pub struct TemplateDocument {
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._-]+$"))]
    pub key: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    pub guideline_version: String,
    #[serde(default = "default_language")]
    #[cfg_attr(feature = "graphql", graphql(default_with = "default_language()"))]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::users::model::Locale))]
    pub language: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Whose the `*_en` texts are (for the built-in check sheet: Kensa's translation, not the
    /// association's official English edition).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation: Option<String>,
    #[serde(default)]
    #[cfg_attr(feature = "graphql", graphql(default))]
    pub answer_scale: AnswerScale,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "graphql", graphql(default))]
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
    /// Whose the `*_en` texts are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation: Option<String>,
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

    /// About how many bytes the parsed tree holds in memory (structs, strings, vectors): what
    /// the template cache counts against its budget.
    pub fn approx_bytes(&self) -> usize {
        use std::mem::size_of;
        fn text(s: &str) -> usize {
            size_of::<String>() + s.len()
        }
        fn opt(s: &Option<String>) -> usize {
            s.as_deref().map_or(0, str::len)
        }
        fn lines(l: &[String]) -> usize {
            l.iter().map(|s| text(s)).sum()
        }
        let item = |i: &Item| {
            size_of::<Item>()
                + i.question.len()
                + opt(&i.level_reason)
                + opt(&i.text_note)
                + lines(&i.criteria)
                + lines(&i.scope)
                + lines(&i.frequency)
                + lines(&i.notes)
        };
        let section = |s: &Section| {
            size_of::<Section>() + s.code.len() + s.requirement.len() + s.items.iter().map(item).sum::<usize>()
        };
        let category = |c: &Category| {
            size_of::<Category>()
                + c.name.len()
                + opt(&c.name_en)
                + c.purpose.len()
                + c.sections.iter().map(section).sum::<usize>()
        };
        let anomalies: usize = self
            .anomalies
            .iter()
            .map(|a| size_of::<Anomaly>() + a.description.len() + a.items.len() * size_of::<u32>())
            .sum();
        size_of::<Content>() + opt(&self.source) + anomalies + self.categories.iter().map(category).sum::<usize>()
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
        Content {
            source: self.source.clone(),
            translation: self.translation.clone(),
            anomalies: self.anomalies.clone(),
            categories,
        }
    }
}

fn required(errors: &mut Vec<FieldError>, path: String, value: &str, max: usize) {
    if value.trim().is_empty() {
        errors.push(FieldError::new(path, ErrorCode::Required, "must not be empty"));
    } else {
        bounded(errors, path, value, max);
    }
}

/// `too_long` when `value` has more than `max` characters.
fn bounded(errors: &mut Vec<FieldError>, path: String, value: &str, max: usize) {
    // Counting stops at the bound: a multi-megabyte string costs no more than a short one.
    if value.chars().nth(max).is_some() {
        errors.push(FieldError::new(path, ErrorCode::TooLong, format!("must be at most {max} characters")));
    }
}

/// `too_many` when `list` has more than `max` entries; `true` when it is within the bound,
/// so callers look inside only lists of sane length (one error, not a million).
fn counted<T>(errors: &mut Vec<FieldError>, path: &str, list: &[T], max: usize) -> bool {
    if list.len() > max {
        errors.push(FieldError::new(path, ErrorCode::TooMany, format!("at most {max} entries, got {}", list.len())));
        return false;
    }
    true
}

/// A list of text lines (`criteria`, `scope`…): bounded in count and in each line's length.
fn lines(errors: &mut Vec<FieldError>, path: String, list: &[String]) {
    if counted(errors, &path, list, limits::LINES_PER_ITEM) {
        for (i, line) in list.iter().enumerate() {
            bounded(errors, format!("{path}[{i}]"), line, limits::LINE_CHARS);
        }
    }
}

fn item_violations(errors: &mut Vec<FieldError>, ipath: &str, item: &Item) {
    if item.no == 0 || item.no > MAX_ITEM_NO {
        errors.push(FieldError::new(
            format!("{ipath}.no"),
            ErrorCode::OutOfRange,
            format!("item numbers run from 1 to {MAX_ITEM_NO}"),
        ));
    }
    if !(1..=3).contains(&item.level) {
        errors.push(FieldError::new(format!("{ipath}.level"), ErrorCode::OutOfRange, "level must be 1, 2 or 3"));
    }
    required(errors, format!("{ipath}.question"), &item.question, limits::QUESTION_CHARS);
    for (name, text) in [("level_reason", &item.level_reason), ("text_note", &item.text_note)] {
        if let Some(text) = text {
            bounded(errors, format!("{ipath}.{name}"), text, limits::NOTE_CHARS);
        }
    }
    for (name, list) in
        [("criteria", &item.criteria), ("scope", &item.scope), ("frequency", &item.frequency), ("notes", &item.notes)]
    {
        lines(errors, format!("{ipath}.{name}"), list);
    }
    if let Some(question_en) = &item.question_en {
        required(errors, format!("{ipath}.question_en"), question_en, limits::QUESTION_CHARS);
    }
    // A translation goes line by line: none, or one English line per line.
    for (name, original, english) in [
        ("criteria_en", &item.criteria, &item.criteria_en),
        ("scope_en", &item.scope, &item.scope_en),
        ("frequency_en", &item.frequency, &item.frequency_en),
        ("notes_en", &item.notes, &item.notes_en),
    ] {
        lines(errors, format!("{ipath}.{name}"), english);
        if !english.is_empty() && english.len() != original.len() {
            errors.push(FieldError::new(
                format!("{ipath}.{name}"),
                ErrorCode::InvalidValue,
                format!("{} lines for {} in the original: none, or one per line", english.len(), original.len()),
            ));
        }
    }
}

impl TemplateDocument {
    /// Every problem in the document, each with its path
    /// (`categories[2].sections[0].items[5].level`). Lists over their bound are reported once
    /// and not looked into.
    pub fn violations(&self) -> Vec<FieldError> {
        use limits::*;
        let mut errors = Vec::new();
        required(&mut errors, "key".into(), &self.key, 100);
        if !self.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
            errors.push(FieldError::new("key", ErrorCode::InvalidKey, "use letters, digits, '-', '_' and '.' only"));
        }
        for (field, name) in [("name", Some(&self.name)), ("name_en", self.name_en.as_ref())] {
            if let Some(Err(e)) = name.map(|n| crate::text::name(field, n)) {
                errors.push(e);
            }
        }
        required(&mut errors, "guideline_version".into(), &self.guideline_version, 50);
        if !["ja", "en"].contains(&self.language.as_str()) {
            errors.push(FieldError::new("language", ErrorCode::InvalidLocale, "must be ja or en"));
        }
        if let Some(source) = &self.source {
            bounded(&mut errors, "source".into(), source, SOURCE_CHARS);
        }
        if let Some(translation) = &self.translation {
            bounded(&mut errors, "translation".into(), translation, SOURCE_CHARS);
        }
        if counted(&mut errors, "answer_scale.statuses", &self.answer_scale.statuses, SCALE_ENTRIES) {
            errors.extend(self.answer_scale.violations("answer_scale"));
        }
        if counted(&mut errors, "anomalies", &self.anomalies, ANOMALIES) {
            for (i, anomaly) in self.anomalies.iter().enumerate() {
                counted(&mut errors, &format!("anomalies[{i}].items"), &anomaly.items, ITEMS_PER_ANOMALY);
                bounded(&mut errors, format!("anomalies[{i}].description"), &anomaly.description, NOTE_CHARS);
            }
        }
        if self.categories.is_empty() {
            errors.push(FieldError::new("categories", ErrorCode::Required, "a template needs at least one category"));
        }
        if !counted(&mut errors, "categories", &self.categories, CATEGORIES) {
            return errors;
        }
        let mut numbers = BTreeSet::new();
        let mut codes = BTreeSet::new();
        let mut item_numbers: BTreeMap<u32, String> = BTreeMap::new();
        let count = self.categories.iter().flat_map(|c| &c.sections).map(|s| s.items.len()).sum::<usize>();
        if count > MAX_ITEMS {
            errors.push(FieldError::new(
                "categories",
                ErrorCode::TooMany,
                format!("at most {MAX_ITEMS} items, got {count}"),
            ));
        }
        for (ci, category) in self.categories.iter().enumerate() {
            let cpath = format!("categories[{ci}]");
            if !numbers.insert(category.number) {
                errors.push(FieldError::new(
                    format!("{cpath}.number"),
                    ErrorCode::Duplicate,
                    format!("category {} appears twice", category.number),
                ));
            }
            required(&mut errors, format!("{cpath}.name"), &category.name, NAME_CHARS);
            if let Some(name_en) = &category.name_en {
                bounded(&mut errors, format!("{cpath}.name_en"), name_en, NAME_CHARS);
            }
            bounded(&mut errors, format!("{cpath}.purpose"), &category.purpose, NOTE_CHARS);
            if let Some(purpose_en) = &category.purpose_en {
                bounded(&mut errors, format!("{cpath}.purpose_en"), purpose_en, NOTE_CHARS);
            }
            if category.sections.is_empty() {
                errors.push(FieldError::new(
                    format!("{cpath}.sections"),
                    ErrorCode::Required,
                    "a category needs at least one section",
                ));
            }
            if !counted(&mut errors, &format!("{cpath}.sections"), &category.sections, SECTIONS_PER_CATEGORY) {
                continue;
            }
            for (si, section) in category.sections.iter().enumerate() {
                let spath = format!("{cpath}.sections[{si}]");
                required(&mut errors, format!("{spath}.code"), &section.code, 20);
                if !codes.insert(section.code.clone()) {
                    errors.push(FieldError::new(
                        format!("{spath}.code"),
                        ErrorCode::Duplicate,
                        format!("section {} appears twice", section.code),
                    ));
                }
                bounded(&mut errors, format!("{spath}.requirement"), &section.requirement, NOTE_CHARS);
                if let Some(requirement_en) = &section.requirement_en {
                    bounded(&mut errors, format!("{spath}.requirement_en"), requirement_en, NOTE_CHARS);
                }
                if section.items.is_empty() {
                    errors.push(FieldError::new(
                        format!("{spath}.items"),
                        ErrorCode::Required,
                        "a section needs at least one item",
                    ));
                }
                if !counted(&mut errors, &format!("{spath}.items"), &section.items, ITEMS_PER_SECTION) {
                    continue;
                }
                for (ii, item) in section.items.iter().enumerate() {
                    let ipath = format!("{spath}.items[{ii}]");
                    item_violations(&mut errors, &ipath, item);
                    if let Some(first) = item_numbers.insert(item.no, ipath.clone()) {
                        errors.push(FieldError::new(
                            format!("{ipath}.no"),
                            ErrorCode::Duplicate,
                            format!("item number {} is already used at {first}", item.no),
                        ));
                    }
                }
            }
        }
        errors
    }

    pub fn content(&self) -> Content {
        Content {
            source: self.source.clone(),
            translation: self.translation.clone(),
            anomalies: self.anomalies.clone(),
            categories: self.categories.clone(),
        }
    }
}

/// The answer scale's rules without HTTP or a database.
#[cfg(test)]
mod scale_tests {
    use super::*;

    fn with(status: AnswerStatus, change: impl Fn(&mut ScaleEntry)) -> AnswerScale {
        let mut scale = AnswerScale::default();
        scale.statuses.iter_mut().filter(|e| e.status == status).for_each(change);
        scale
    }

    #[test]
    fn the_default_scale_is_the_specs_one() {
        let scale = AnswerScale::default();
        assert!(scale.violations("answer_scale").is_empty());
        let credit = |s| scale.entry(s).and_then(|e| e.credit);
        assert_eq!(credit(AnswerStatus::Implemented), Some(1.0));
        assert_eq!(credit(AnswerStatus::PartiallyImplemented), Some(0.5));
        assert_eq!(credit(AnswerStatus::NotImplemented), Some(0.0));
        assert_eq!(credit(AnswerStatus::NotApplicable), None, "excluded from numerator and denominator");
    }

    #[test]
    fn partial_may_be_recredited_or_switched_off_but_the_ends_are_fixed() {
        assert!(with(AnswerStatus::PartiallyImplemented, |e| e.credit = Some(0.25)).violations("s").is_empty());
        assert!(with(AnswerStatus::PartiallyImplemented, |e| e.enabled = false).violations("s").is_empty());
        for broken in [
            with(AnswerStatus::PartiallyImplemented, |e| e.credit = Some(1.0)),
            with(AnswerStatus::PartiallyImplemented, |e| e.credit = None),
            with(AnswerStatus::Implemented, |e| e.credit = Some(0.9)),
            with(AnswerStatus::Implemented, |e| e.enabled = false),
            with(AnswerStatus::NotImplemented, |e| e.credit = Some(0.1)),
            with(AnswerStatus::NotApplicable, |e| e.credit = Some(0.0)),
        ] {
            assert!(!broken.violations("s").is_empty(), "{broken:?}");
        }
    }

    #[test]
    fn each_status_must_be_listed_exactly_once() {
        let mut scale = AnswerScale::default();
        scale.statuses.pop();
        assert!(scale.violations("s").iter().any(|e| e.code == "invalid_scale"));
        let mut scale = AnswerScale::default();
        let first = scale.statuses[0].clone();
        scale.statuses.push(first);
        assert!(scale.violations("s").iter().any(|e| e.code == "invalid_scale"));
    }
}
