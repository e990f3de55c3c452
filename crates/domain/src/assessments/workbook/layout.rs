//! What goes where in the workbook: one list of columns with their headers in both
//! languages, the sheet names, the hidden sheet's cells. Writing and reading share it, so a
//! renamed header cannot break the round trip.

use unicode_normalization::UnicodeNormalization;

use crate::templates::{AnswerScale, AnswerStatus};
use crate::users::Locale;

pub const CONTENT_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The hidden sheet that names the assessment, its version and its template.
pub(super) const META_SHEET: &str = "_kensa";
/// Its first cell: what marks a workbook as Kensa's, and the layout's version.
pub(super) const META_MARK: &str = "kensa_workbook";
/// 2: texts written exactly (formula-like ones with the quote prefix); 1, still read: such
/// texts were written with a leading `'`, removed again on reading.
pub(super) const META_FORMAT: i64 = 2;
pub(super) const META_FORMAT_QUOTED: i64 = 1;
/// The 0-based row of the hidden sheet that heads the answer labels Excel's formulas look
/// up (label, status, credit, applicable); the labels are listed from the next row down.
pub(super) const SCALE_HEADER_ROW: u32 = 11;
/// The dropdown's labels, in column H of the hidden sheet under the same header.
pub(super) const DROPDOWN_COLUMN: u16 = 7;

pub(super) fn cover_sheet(lang: Locale) -> &'static str {
    match lang {
        Locale::Ja => "表紙",
        Locale::En => "Cover",
    }
}

pub(super) fn items_sheet(lang: Locale) -> &'static str {
    match lang {
        Locale::Ja => "チェックシート",
        Locale::En => "Check sheet",
    }
}

/// The check sheet's columns, in the order they are written. A filled workbook may have them
/// in any order, headed in either language: they are found by header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    No,
    Category,
    Requirement,
    Question,
    Level,
    Criteria,
    Scope,
    Frequency,
    Answer,
    Reason,
    RemediationPlan,
    RemediationDue,
    Remark,
    CarriedOver,
}

impl Column {
    pub const ALL: [Column; 14] = [
        Column::No,
        Column::Category,
        Column::Requirement,
        Column::Question,
        Column::Level,
        Column::Criteria,
        Column::Scope,
        Column::Frequency,
        Column::Answer,
        Column::Reason,
        Column::RemediationPlan,
        Column::RemediationDue,
        Column::Remark,
        Column::CarriedOver,
    ];

    /// The columns a filled workbook must have: the item and everything an answer holds (a
    /// missing column would otherwise erase what it holds).
    pub const READ: [Column; 6] =
        [Column::No, Column::Answer, Column::Reason, Column::RemediationPlan, Column::RemediationDue, Column::Remark];

    pub fn header(self, lang: Locale) -> &'static str {
        let (ja, en) = self.headers();
        match lang {
            Locale::Ja => ja,
            Locale::En => en,
        }
    }

    /// (Japanese, English): the guideline's own words where it has them.
    fn headers(self) -> (&'static str, &'static str) {
        match self {
            Column::No => ("No.", "No."),
            Column::Category => ("ラベル", "Category"),
            Column::Requirement => ("要求事項", "Requirement"),
            Column::Question => ("条件", "Condition"),
            Column::Level => ("レベル", "Level"),
            Column::Criteria => ("達成基準", "Criteria"),
            Column::Scope => ("対象", "Scope"),
            Column::Frequency => ("頻度", "Frequency"),
            Column::Answer => ("回答", "Answer"),
            Column::Reason => ("対象外の理由", "N/A reason"),
            Column::RemediationPlan => ("対策計画", "Remediation plan"),
            Column::RemediationDue => ("対策期日", "Remediation due"),
            Column::Remark => ("備考", "Remark"),
            Column::CarriedOver => ("前回からの引継ぎ", "Carried over"),
        }
    }

    /// Other names a person (or the JSON API) gives the column.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::No => &["no", "番号", "item", "項番"],
            Column::Question => &["question", "設問"],
            Column::Answer => &["status", "回答状況", "実施状況"],
            Column::Reason => &["reason", "not applicable reason", "対象外理由"],
            Column::RemediationDue => &["remediation date", "対策予定日", "期日"],
            Column::Remark => &["comment", "remarks", "コメント"],
            _ => &[],
        }
    }

    /// Whether the supplier fills the column in.
    pub fn input(self) -> bool {
        matches!(
            self,
            Column::Answer | Column::Reason | Column::RemediationPlan | Column::RemediationDue | Column::Remark
        )
    }

    /// The column a header names, whatever its language, width, case or spacing.
    pub fn by_header(header: &str) -> Option<Column> {
        let wanted = fold(header);
        if wanted.is_empty() {
            return None;
        }
        Self::ALL.into_iter().find(|c| {
            let (ja, en) = c.headers();
            [ja, en].iter().chain(c.aliases()).any(|name| fold(name) == wanted)
                || fold(&format!("{ja}{en}")) == wanted
                || fold(&format!("{en}{ja}")) == wanted
        })
    }

    /// The 0-based position the writer puts the column at.
    pub(super) fn position(self) -> u16 {
        Self::ALL.iter().position(|c| *c == self).and_then(|p| u16::try_from(p).ok()).unwrap_or_default()
    }

    /// Characters wide on the written sheet.
    pub(super) fn width(self) -> f64 {
        match self {
            Column::No | Column::Level => 6.0,
            Column::Category => 18.0,
            Column::Requirement | Column::Question | Column::Criteria => 42.0,
            Column::Scope | Column::Frequency => 20.0,
            Column::Answer => 18.0,
            Column::Reason | Column::RemediationPlan | Column::Remark => 30.0,
            Column::RemediationDue => 13.0,
            Column::CarriedOver => 14.0,
        }
    }
}

/// Hidden columns after the visible ones, for the cover's formulas: the category's number,
/// whether the item counts (1, 0 for not applicable), and the credit it earns.
pub(super) const HELPER_CATEGORY: u16 = Column::ALL.len() as u16;
pub(super) const HELPER_APPLICABLE: u16 = HELPER_CATEGORY + 1;
pub(super) const HELPER_CREDIT: u16 = HELPER_CATEGORY + 2;

/// A header or a label as compared: NFKC (full-width letters and digits fold to ASCII),
/// lower case, without spaces, line breaks and punctuation.
pub(super) fn fold(text: &str) -> String {
    text.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '_' | '-' | '/' | '(' | ')' | '（' | '）' | '・' | ':'))
        .collect()
}

/// Every spelling of every answer: the Japanese and English labels and the API's code
/// (`implemented`). Switched-off answers are listed too, so an answer given before the buyer
/// switched its status off still counts as it does in the score (the dropdown offers only
/// enabled ones).
pub(super) fn spellings(scale: &AnswerScale) -> Vec<(String, AnswerStatus)> {
    let mut out = Vec::new();
    for entry in &scale.statuses {
        for label in [entry.label_ja.as_str(), entry.label_en.as_str(), entry.status.as_str()] {
            if !out.iter().any(|(l, _): &(String, AnswerStatus)| fold(l) == fold(label)) {
                out.push((label.to_owned(), entry.status));
            }
        }
    }
    out
}

/// The status a cell's text names, switched off or not (a switched-off one is then refused
/// by the answer rules, with their message).
pub(super) fn status_of(scale: &AnswerScale, text: &str) -> Option<AnswerStatus> {
    let wanted = fold(text);
    scale
        .statuses
        .iter()
        .find(|e| [e.label_ja.as_str(), e.label_en.as_str(), e.status.as_str()].iter().any(|l| fold(l) == wanted))
        .map(|e| e.status)
}

/// The labels of the dropdown, the workbook's language first.
pub(super) fn dropdown(scale: &AnswerScale, lang: Locale) -> Vec<String> {
    let enabled = || scale.statuses.iter().filter(|e| e.enabled);
    let ja = enabled().map(|e| e.label_ja.clone());
    let en = enabled().map(|e| e.label_en.clone());
    let mut out: Vec<String> = match lang {
        Locale::Ja => ja.chain(en).collect(),
        Locale::En => en.chain(ja).collect(),
    };
    let mut seen = std::collections::HashSet::new();
    out.retain(|l| seen.insert(fold(l)));
    out
}

/// `A1`-style name of a 0-based (row, column).
pub(super) fn cell_name(row: u32, col: u16) -> String {
    let mut letters = Vec::new();
    let mut n = u32::from(col) + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + u8::try_from(rem).unwrap_or_default()));
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", letters.into_iter().collect::<String>(), row + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_found_in_either_language_and_any_spacing() {
        assert_eq!(Column::by_header("回答"), Some(Column::Answer));
        assert_eq!(Column::by_header(" answer "), Some(Column::Answer));
        assert_eq!(Column::by_header("N/A Reason"), Some(Column::Reason));
        assert_eq!(Column::by_header("対象外の理由\nN/A reason"), Some(Column::Reason));
        assert_eq!(Column::by_header("Ｎｏ．"), Some(Column::No));
        assert_eq!(Column::by_header("remediation_due"), Some(Column::RemediationDue));
        assert_eq!(Column::by_header("Something else"), None);
        assert_eq!(Column::by_header(""), None);
    }

    #[test]
    fn every_header_names_its_own_column_only() {
        for column in Column::ALL {
            for lang in [Locale::Ja, Locale::En] {
                assert_eq!(Column::by_header(column.header(lang)), Some(column), "{column:?} {lang:?}");
            }
        }
    }

    #[test]
    fn answers_are_read_from_labels_in_both_languages_and_codes() {
        let scale = AnswerScale::default();
        assert_eq!(status_of(&scale, "実施している"), Some(AnswerStatus::Implemented));
        assert_eq!(status_of(&scale, "partially implemented"), Some(AnswerStatus::PartiallyImplemented));
        assert_eq!(status_of(&scale, "not_applicable"), Some(AnswerStatus::NotApplicable));
        assert_eq!(status_of(&scale, "たぶん"), None);
        assert_eq!(dropdown(&scale, Locale::En).first().map(String::as_str), Some("Implemented"));
        assert_eq!(dropdown(&scale, Locale::Ja).len(), 8);
    }

    #[test]
    fn cells_are_named_as_excel_names_them() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(13, 9), "J14");
        assert_eq!(cell_name(0, 26), "AA1");
        assert_eq!(cell_name(4, 701), "ZZ5");
    }
}
