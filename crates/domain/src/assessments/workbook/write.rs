//! Writing the workbook of one assessment (either side may download it; a blank one before
//! answering starts is the same file with empty answer cells).

use rust_xlsxwriter::{
    Chart, ChartType, ConditionalFormatFormula, DataValidation, DataValidationErrorStyle, DataValidationRule,
    ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Note, ProtectionOptions, Workbook, Worksheet, XlsxError,
};
use sea_orm::EntityTrait;
use sha2::{Digest, Sha256};
use tracing::instrument;
use uuid::Uuid;

use super::layout::{
    self, Column, DROPDOWN_COLUMN, HELPER_APPLICABLE, HELPER_CATEGORY, HELPER_CREDIT, META_FORMAT, META_MARK,
    META_SHEET, SCALE_HEADER_ROW, cell_name,
};
use crate::Kensa;
use crate::assessments::model::{Question, Status};
use crate::assessments::sheet::{Sheet, sheet};
use crate::entities::templates;
use crate::error::{DomainError, DomainResult};
use crate::export::xlsx_text;
use crate::scoring::Score;
use crate::templates::AnswerScale;
use crate::tenant::TenantCtx;
use crate::users::Locale;

/// A written workbook and the name to download it as.
pub struct Exported {
    pub bytes: Vec<u8>,
    pub file_name: String,
    /// The assessment's version the workbook was written at (what its upload must find).
    pub version: i32,
}

/// Everything the file shows, read before the blocking write.
struct Input {
    sheet: Sheet,
    template_name: String,
    template_version: i32,
    template_hash: String,
    score: Score,
    lang: Locale,
    exported_at: chrono::DateTime<chrono::Utc>,
}

/// The assessment as a workbook in `lang` (texts in English where the template has them,
/// the Japanese original in a note).
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn export(k: &Kensa, ctx: &TenantCtx, id: Uuid, lang: Locale) -> DomainResult<Exported> {
    let sheet = sheet(k, ctx, id).await?;
    let score = crate::scoring::service::of_assessment(k, ctx, id).await?;
    let parsed = k.template_contents.load(&k.db, sheet.assessment.template_id).await?;
    let template = templates::Entity::find_by_id(sheet.assessment.template_id)
        .one(&k.db)
        .await?
        .ok_or_else(|| DomainError::internal("an assessment's template is missing"))?;
    let input = Input {
        template_name: match lang {
            Locale::En => template.name_en.clone().unwrap_or(template.name.clone()),
            Locale::Ja => template.name.clone(),
        },
        template_version: template.version,
        template_hash: template_hash(&parsed)?,
        sheet,
        score,
        lang,
        exported_at: k.now(),
    };
    let file_name = format!("kensa-{}-{}.xlsx", input.sheet.assessment.id, k.today());
    let version = input.sheet.assessment.version;
    let bytes = tokio::task::spawn_blocking(move || write(&input).map_err(DomainError::internal))
        .await
        .map_err(DomainError::internal)??;
    Ok(Exported { bytes, file_name, version })
}

/// What the hidden sheet records of the template: its items and scale, canonically
/// serialised, so a workbook of another checklist is told apart from this one.
pub(super) fn template_hash(parsed: &crate::templates::repo::Parsed) -> DomainResult<String> {
    let canonical = serde_json::to_vec(&(&parsed.0, &parsed.1)).map_err(DomainError::internal)?;
    Ok(hex::encode(Sha256::digest(&canonical)))
}

struct Formats {
    title: Format,
    header: Format,
    text: Format,
    number: Format,
    level: Format,
    input: Format,
    input_date: Format,
    label: Format,
    percent: Format,
    date: Format,
}

impl Formats {
    fn new(editable: bool) -> Self {
        let cell = Format::new().set_text_wrap().set_align(FormatAlign::Top).set_border(FormatBorder::Thin);
        let mut input = cell.clone().set_background_color("FFF9E5");
        if editable {
            input = input.set_unlocked();
        }
        Self {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
                .set_background_color("DDEBF7")
                .set_border(FormatBorder::Thin),
            number: cell.clone().set_align(FormatAlign::Center),
            level: cell.clone().set_align(FormatAlign::Center).set_num_format("\"Lv\"0"),
            input_date: input.clone().set_num_format("yyyy-mm-dd"),
            input,
            text: cell,
            label: Format::new().set_bold(),
            percent: Format::new().set_num_format("0.0%"),
            date: Format::new().set_num_format("yyyy-mm-dd").set_align(FormatAlign::Left),
        }
    }
}

fn write(input: &Input) -> Result<Vec<u8>, XlsxError> {
    let a = &input.sheet.assessment;
    let editable = input.sheet.can_answer && a.status.editable();
    let f = Formats::new(editable);
    let mut workbook = Workbook::new();
    let properties = rust_xlsxwriter::DocProperties::new()
        .set_title(format!("{} — {}", input.template_name, a.supplier.name))
        .set_company("Kensa");
    workbook.set_properties(&properties);

    let items_name = layout::items_sheet(input.lang);
    let last_row = u32::try_from(input.sheet.questions().count()).unwrap_or(u32::MAX).max(1);
    let cover = workbook.add_worksheet().set_name(layout::cover_sheet(input.lang))?;
    write_cover(cover, input, items_name, last_row, &f)?;
    let items = workbook.add_worksheet().set_name(items_name)?;
    write_items(items, input, editable, &f)?;
    let meta = workbook.add_worksheet().set_name(META_SHEET)?;
    write_meta(meta, input)?;
    workbook.save_to_buffer()
}

fn text(sheet: &mut Worksheet, row: u32, col: u16, value: &str, format: &Format) -> Result<(), XlsxError> {
    xlsx_text(sheet, (row, col), value, format)
}

/// The text in the workbook's language: the English where the template has it.
fn pick<'a>(lang: Locale, ja: &'a str, en: Option<&'a str>) -> &'a str {
    match (lang, en) {
        (Locale::En, Some(en)) if !en.trim().is_empty() => en,
        _ => ja,
    }
}

fn lines<'a>(lang: Locale, ja: &'a [String], en: &'a [String]) -> String {
    if lang == Locale::En && !en.is_empty() { en.join("\n") } else { ja.join("\n") }
}

/// One row per in-scope item: read-only texts, the five input cells unlocked with a
/// dropdown and rules, hidden helper cells the cover's formulas add up.
fn write_items(s: &mut Worksheet, input: &Input, editable: bool, f: &Formats) -> Result<(), XlsxError> {
    let lang = input.lang;
    for column in Column::ALL {
        s.set_column_width(column.position(), column.width())?;
        text(s, 0, column.position(), column.header(lang), &f.header)?;
    }
    for helper in [HELPER_CATEGORY, HELPER_APPLICABLE, HELPER_CREDIT] {
        s.set_column_hidden(helper)?;
    }
    s.write_string(0, HELPER_CATEGORY, "category_no")?;
    s.write_string(0, HELPER_APPLICABLE, "applicable")?;
    s.write_string(0, HELPER_CREDIT, "credit")?;
    s.set_row_height(0, 32)?;
    s.set_freeze_panes(1, 1)?;
    // Printed on A4 landscape, one page wide, the header on every page.
    s.set_landscape().set_paper_size(9).set_print_fit_to_pages(1, 0);
    s.set_repeat_rows(0, 0)?;

    let scale_range = scale_range(&input.sheet.scale);
    let mut row = 1u32;
    for category in &input.sheet.categories {
        let category_name = format!("{}. {}", category.number, pick(lang, &category.name, category.name_en.as_deref()));
        for section in &category.sections {
            for q in &section.questions {
                s.write_number_with_format(row, Column::No.position(), f64::from(q.no), &f.number)?;
                text(s, row, Column::Category.position(), &category_name, &f.text)?;
                let requirement = pick(lang, &section.requirement, section.requirement_en.as_deref());
                text(s, row, Column::Requirement.position(), requirement, &f.text)?;
                text(s, row, Column::Question.position(), pick(lang, &q.question, q.question_en.as_deref()), &f.text)?;
                if lang == Locale::En && q.question_en.is_some() {
                    let original = format!("原文 (Japanese original):\n{}", q.question);
                    s.insert_note(row, Column::Question.position(), &Note::new(original).set_width(420))?;
                }
                s.write_number_with_format(row, Column::Level.position(), f64::from(q.level), &f.level)?;
                text(s, row, Column::Criteria.position(), &lines(lang, &q.criteria, &q.criteria_en), &f.text)?;
                text(s, row, Column::Scope.position(), &lines(lang, &q.scope, &q.scope_en), &f.text)?;
                text(s, row, Column::Frequency.position(), &lines(lang, &q.frequency, &q.frequency_en), &f.text)?;
                write_answer(s, row, q, input, f)?;
                s.set_row_height(
                    row,
                    row_height(&[
                        (Column::Requirement, requirement),
                        (Column::Question, pick(lang, &q.question, q.question_en.as_deref())),
                        (Column::Criteria, &lines(lang, &q.criteria, &q.criteria_en)),
                        (Column::Scope, &lines(lang, &q.scope, &q.scope_en)),
                        (Column::Frequency, &lines(lang, &q.frequency, &q.frequency_en)),
                        (Column::Category, &category_name),
                    ]),
                )?;
                s.write_number(row, HELPER_CATEGORY, f64::from(category.number))?;
                write_helpers(s, row, q, &input.sheet.scale, &scale_range)?;
                row += 1;
            }
        }
    }
    let last = row.saturating_sub(1).max(1);
    s.autofilter(0, 0, last, Column::CarriedOver.position())?;
    if editable {
        validate_inputs(s, last, input)?;
    }
    colour_answers(s, last)?;
    s.protect_with_options(&ProtectionOptions {
        format_columns: true,
        format_rows: true,
        use_autofilter: true,
        ..ProtectionOptions::new()
    });
    Ok(())
}

/// A row tall enough for its longest wrapped text (spreadsheets do not size rows of a
/// written file by themselves): lines per column from its width, a wide character counting
/// twice, 15 points a line.
fn row_height(texts: &[(Column, &str)]) -> f64 {
    let lines = texts
        .iter()
        .map(|(column, text)| {
            let width = column.width().max(1.0);
            text.split('\n')
                .map(|line| {
                    let chars: f64 = line.chars().map(|c| if c.is_ascii() { 1.0 } else { 2.0 }).sum();
                    (chars / width).ceil().max(1.0)
                })
                .sum::<f64>()
        })
        .fold(1.0, f64::max);
    (lines * 15.0 + 3.0).min(409.0)
}

fn write_answer(s: &mut Worksheet, row: u32, q: &Question, input: &Input, f: &Formats) -> Result<(), XlsxError> {
    let answer = q.answer.as_ref();
    let label = answer.and_then(|a| input.sheet.scale.entry(a.status)).map(|e| match input.lang {
        Locale::Ja => e.label_ja.as_str(),
        Locale::En => e.label_en.as_str(),
    });
    // The label as the hidden sheet spells it, for the dropdown and the formulas to match: a
    // typed string cell, which Excel never evaluates.
    s.write_string_with_format(row, Column::Answer.position(), label.unwrap_or_default(), &f.input)?;
    let cells = [
        (Column::Reason, answer.and_then(|a| a.reason.as_deref())),
        (Column::RemediationPlan, answer.and_then(|a| a.remediation_plan.as_deref())),
        (Column::Remark, answer.and_then(|a| a.comment.as_deref())),
    ];
    for (column, value) in cells {
        text(s, row, column.position(), value.unwrap_or_default(), &f.input)?;
    }
    let due = Column::RemediationDue.position();
    match answer.and_then(|a| a.remediation_due) {
        Some(d) => {
            let date = ExcelDateTime::parse_from_str(&d.format("%Y-%m-%d").to_string())?;
            s.write_datetime_with_format(row, due, &date, &f.input_date)?;
        }
        None => {
            s.write_blank(row, due, &f.input_date)?;
        }
    }
    let carried = answer.is_some_and(|a| a.carried_over);
    let note = match (carried, input.lang) {
        (false, _) => "",
        (true, Locale::Ja) => "前回から引継ぎ（要確認）",
        (true, Locale::En) => "From last review: confirm",
    };
    text(s, row, Column::CarriedOver.position(), note, &f.text)?;
    Ok(())
}

/// The Excel row numbers (1-based) of `count` entries listed under the hidden sheet's
/// header row (the 0-based row `SCALE_HEADER_ROW`, so Excel's row `SCALE_HEADER_ROW + 1`).
fn listed_rows(count: usize) -> (u32, u32) {
    let first = SCALE_HEADER_ROW + 2;
    (first, first + u32::try_from(count).unwrap_or(1).max(1) - 1)
}

/// `'_kensa'!$D$13:$G$n`: every spelling of an answer with its status, credit and whether it
/// counts.
fn scale_range(scale: &AnswerScale) -> String {
    let (first, last) = listed_rows(layout::spellings(scale).len());
    format!("'{META_SHEET}'!$D${first}:$G${last}")
}

/// Whether the item counts (not applicable: 0) and the credit it earns, as formulas over the
/// answer cell (typed in any language), with today's values cached for readers that do not
/// calculate.
fn write_helpers(s: &mut Worksheet, row: u32, q: &Question, scale: &AnswerScale, range: &str) -> Result<(), XlsxError> {
    let answer = cell_name(row, Column::Answer.position()).replace(|c: char| c.is_ascii_digit(), "");
    let at = format!("${answer}{}", row + 1);
    let entry = q.answer.as_ref().and_then(|a| scale.entry(a.status));
    let applicable = if entry.is_some_and(|e| e.credit.is_none()) { "0" } else { "1" };
    let credit = entry.and_then(|e| e.credit).unwrap_or(0.0).to_string();
    let formula = |col: u8, default: &str| {
        format!("=IF({at}=\"\",{default},IFERROR(VLOOKUP({at},{range},{col},FALSE),{default}))")
    };
    s.write_formula(row, HELPER_APPLICABLE, Formula::new(formula(4, "1")).set_result(applicable))?;
    s.write_formula(row, HELPER_CREDIT, Formula::new(formula(3, "0")).set_result(credit))?;
    Ok(())
}

fn column_range(col: u16, last: u32) -> (u32, u16, u32, u16) {
    (1, col, last, col)
}

/// Every input cell is checked by Excel as the API checks it: an answer from the dropdown,
/// texts of at most 10,000 characters, a real date.
fn validate_inputs(s: &mut Worksheet, last: u32, input: &Input) -> Result<(), XlsxError> {
    let en = input.lang == Locale::En;
    let (first, last_label) = listed_rows(layout::dropdown(&input.sheet.scale, input.lang).len());
    let letter = cell_name(0, DROPDOWN_COLUMN).replace('1', "");
    let list = format!("='{META_SHEET}'!${letter}${first}:${letter}${last_label}");
    let answer = DataValidation::new()
        .allow_list_formula(Formula::new(list))
        .set_error_title(if en { "Answer" } else { "回答" })?
        .set_error_message(if en {
            "Choose an answer from the list."
        } else {
            "一覧から回答を選んでください。"
        })?;
    let (r0, c0, r1, c1) = column_range(Column::Answer.position(), last);
    s.add_data_validation(r0, c0, r1, c1, &answer)?;
    for column in [Column::Reason, Column::RemediationPlan, Column::Remark] {
        let rule =
            DataValidation::new().allow_text_length(DataValidationRule::LessThanOrEqualTo(10_000)).set_error_message(
                if en { "At most 10,000 characters." } else { "10,000文字以内で入力してください。" },
            )?;
        let (r0, c0, r1, c1) = column_range(column.position(), last);
        s.add_data_validation(r0, c0, r1, c1, &rule)?;
    }
    let (from, to) = (ExcelDateTime::from_ymd(1900, 1, 1)?, ExcelDateTime::from_ymd(9999, 12, 31)?);
    let date = DataValidation::new()
        .allow_date(DataValidationRule::Between(from, to))
        .set_error_style(DataValidationErrorStyle::Stop)
        .set_error_message(if en {
            "A date (YYYY-MM-DD)."
        } else {
            "日付（YYYY-MM-DD）を入力してください。"
        })?;
    let (r0, c0, r1, c1) = column_range(Column::RemediationDue.position(), last);
    s.add_data_validation(r0, c0, r1, c1, &date)?;
    Ok(())
}

/// The answer cell green when implemented, amber when partly, red when not, grey when not
/// applicable: from the helper cells, so a label typed in either language colours alike.
fn colour_answers(s: &mut Worksheet, last: u32) -> Result<(), XlsxError> {
    let letter = |col: u16| cell_name(0, col).replace('1', "");
    let (answer, applicable, credit) =
        (letter(Column::Answer.position()), letter(HELPER_APPLICABLE), letter(HELPER_CREDIT));
    let rules = [
        (format!("=AND(${answer}2<>\"\",${applicable}2=0)"), "D9D9D9"),
        (format!("=AND(${answer}2<>\"\",${credit}2=1)"), "C6EFCE"),
        (format!("=AND(${answer}2<>\"\",${credit}2>0,${credit}2<1)"), "FFEB9C"),
        (format!("=AND(${answer}2<>\"\",${applicable}2=1,${credit}2=0)"), "FFC7CE"),
    ];
    let (r0, c0, r1, c1) = column_range(Column::Answer.position(), last);
    for (rule, colour) in rules {
        let format = ConditionalFormatFormula::new()
            .set_rule(rule.as_str())
            .set_format(Format::new().set_background_color(colour))
            .set_stop_if_true(true);
        s.add_conditional_format(r0, c0, r1, c1, &format)?;
    }
    Ok(())
}

fn status_label(status: Status, lang: Locale) -> &'static str {
    let (ja, en) = match status {
        Status::Sent => ("送付済み", "Sent"),
        Status::InProgress => ("回答中", "In progress"),
        Status::Submitted => ("提出済み", "Submitted"),
        Status::ChangesRequested => ("修正依頼", "Changes requested"),
        Status::Accepted => ("承認済み", "Accepted"),
        Status::Cancelled => ("取消", "Cancelled"),
    };
    if lang == Locale::En { en } else { ja }
}

/// The cover: who asks whom for what, and the achievement per level and category as live
/// formulas over the check sheet (recalculated as answers are typed), with a radar chart.
fn write_cover(s: &mut Worksheet, input: &Input, items: &str, last: u32, f: &Formats) -> Result<(), XlsxError> {
    let a = &input.sheet.assessment;
    let en = input.lang == Locale::En;
    let l = |ja: &'static str, english: &'static str| if en { english } else { ja };
    s.set_column_width(0, 24)?;
    s.set_column_width(1, 44)?;
    s.set_column_width(2, 14)?;
    // One A4 page in landscape: the figures on the left, the radar chart on the right.
    s.set_landscape().set_paper_size(9).set_print_fit_to_pages(1, 1);
    text(s, 0, 0, &input.template_name, &f.title)?;
    let rows: [(&str, String); 7] = [
        (l("依頼元", "Buyer"), a.buyer.name.clone()),
        (l("取引先", "Supplier"), a.supplier.name.clone()),
        (l("チェックシート", "Checklist"), format!("{} (v{})", input.template_name, input.template_version)),
        (l("目標レベル", "Target level"), format!("Lv{}", a.target_level)),
        (l("状態", "Status"), status_label(a.status, input.lang).to_owned()),
        (l("出力日時 (UTC)", "Downloaded (UTC)"), input.exported_at.format("%Y-%m-%d %H:%M").to_string()),
        (l("版 (If-Match)", "Version (If-Match)"), a.version.to_string()),
    ];
    let mut row = 2;
    for (label, value) in &rows {
        text(s, row, 0, label, &f.label)?;
        text(s, row, 1, value, &Format::new())?;
        row += 1;
    }
    text(s, row, 0, l("回答期限", "Due date"), &f.label)?;
    let due = ExcelDateTime::parse_from_str(&a.due_date.format("%Y-%m-%d").to_string())?;
    s.write_datetime_with_format(row, 1, &due, &f.date)?;
    row += 1;
    if !(input.sheet.can_answer && a.status.editable()) {
        let note = l(
            "この版は閲覧用です（回答は変更できません）。",
            "This copy is for reading: its answers cannot be changed.",
        );
        text(s, row, 0, note, &f.label)?;
    }

    let col = |c: u16| cell_name(0, c).replace('1', "");
    let range = |c: u16| format!("'{items}'!${0}$2:${0}${1}", col(c), last + 1);
    let (credit, applicable) = (range(HELPER_CREDIT), range(HELPER_APPLICABLE));
    let (levels, categories) = (range(Column::Level.position()), range(HELPER_CATEGORY));
    let share = |criteria: &str, cached: Option<f64>| {
        Formula::new(format!("=IFERROR(SUMIFS({credit},{criteria})/SUMIFS({applicable},{criteria}),\"\")"))
            .set_result(cached.map(|v| v.to_string()).unwrap_or_default())
    };

    row += 2;
    text(s, row, 0, l("レベル", "Level"), &f.header)?;
    text(s, row, 1, l("達成率", "Achievement"), &f.header)?;
    let target = u8::try_from(a.target_level).unwrap_or(3);
    for level in 1..=3u8 {
        row += 1;
        text(s, row, 0, &format!("Lv{level}"), &Format::new())?;
        if level <= target {
            let cached = input.score.levels.get(level).and_then(|x| x.achievement);
            s.write_formula_with_format(row, 1, share(&format!("{levels},{level}"), cached), &f.percent)?;
        } else {
            text(s, row, 1, l("対象外", "not in scope"), &Format::new())?;
        }
    }
    row += 1;
    text(s, row, 0, l("全体", "Overall"), &f.label)?;
    let overall = Formula::new(format!("=IFERROR(SUM({credit})/SUM({applicable}),\"\")"))
        .set_result(input.score.overall.map(|v| v.to_string()).unwrap_or_default());
    s.write_formula_with_format(row, 1, overall, &f.percent)?;
    row += 1;
    text(s, row, 0, l("達成レベル", "Achieved level"), &f.label)?;
    // Level L is met when every applicable item up to L is implemented: the credits then add
    // up to the count (any other answer earns less than 1).
    let met =
        |level: u8| format!("SUMIFS({credit},{levels},\"<={level}\")=SUMIFS({applicable},{levels},\"<={level}\")");
    let mut achieved = format!("{target}");
    for level in (1..=target).rev() {
        achieved = format!("IF({},{achieved},{})", met(level), level - 1);
    }
    let achieved = Formula::new(format!("={achieved}")).set_result(input.score.achieved_level.to_string());
    s.write_formula_with_format(row, 1, achieved, &Format::new().set_align(FormatAlign::Left))?;

    row += 2;
    let first_category = row + 1;
    text(s, row, 0, l("ラベル", "Category"), &f.header)?;
    text(s, row, 1, l("名称", "Name"), &f.header)?;
    text(s, row, 2, l("達成率", "Achievement"), &f.header)?;
    for c in &input.score.categories {
        row += 1;
        s.write_number_with_format(row, 0, f64::from(c.number), &Format::new().set_align(FormatAlign::Left))?;
        let name = input
            .sheet
            .categories
            .iter()
            .find(|sc| sc.number == c.number)
            .map(|sc| pick(input.lang, &sc.name, sc.name_en.as_deref()))
            .unwrap_or(&c.name);
        text(s, row, 1, name, &Format::new())?;
        s.write_formula_with_format(row, 2, share(&format!("{categories},{}", c.number), c.achievement), &f.percent)?;
    }
    if row >= first_category {
        let sheet_name = layout::cover_sheet(input.lang);
        let mut chart = Chart::new(ChartType::Radar);
        chart
            .add_series()
            .set_name(l("達成率", "Achievement"))
            .set_categories((sheet_name, first_category, 0, row, 0))
            .set_values((sheet_name, first_category, 2, row, 2));
        chart.title().set_name(l("ラベル別の達成率", "Achievement by category"));
        chart.legend().set_hidden();
        chart.set_width(560).set_height(420);
        s.insert_chart(1, 4, &chart)?;
    }
    s.protect();
    Ok(())
}

/// The hidden sheet: what the import checks (assessment, version, template) and the answer
/// labels the formulas and the dropdown read.
fn write_meta(s: &mut Worksheet, input: &Input) -> Result<(), XlsxError> {
    let a = &input.sheet.assessment;
    s.write_string(0, 0, META_MARK)?;
    s.write_number(0, 1, META_FORMAT as f64)?;
    let pairs: [(&str, String); 6] = [
        ("assessment_id", a.id.to_string()),
        ("version", a.version.to_string()),
        ("template_id", a.template_id.to_string()),
        ("template_hash", input.template_hash.clone()),
        ("language", input.lang.as_str().to_owned()),
        ("exported_at", input.exported_at.to_rfc3339()),
    ];
    for (row, (key, value)) in (1u32..).zip(pairs) {
        s.write_string(row, 0, key)?;
        s.write_string(row, 1, &value)?;
    }
    let header = SCALE_HEADER_ROW;
    for (col, name) in (3u16..).zip(["label", "status", "credit", "applicable"]) {
        s.write_string(header, col, name)?;
    }
    s.write_string(header, DROPDOWN_COLUMN, "dropdown")?;
    for (row, (label, status)) in (header + 1..).zip(layout::spellings(&input.sheet.scale)) {
        let credit = input.sheet.scale.entry(status).and_then(|e| e.credit);
        s.write_string(row, 3, &label)?;
        s.write_string(row, 4, status.as_str())?;
        s.write_number(row, 5, credit.unwrap_or(0.0))?;
        s.write_number(row, 6, if credit.is_some() { 1.0 } else { 0.0 })?;
    }
    for (row, label) in (header + 1..).zip(layout::dropdown(&input.sheet.scale, input.lang)) {
        s.write_string(row, DROPDOWN_COLUMN, &label)?;
    }
    s.set_hidden(true);
    s.protect();
    Ok(())
}
