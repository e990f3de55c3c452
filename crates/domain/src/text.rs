//! The one place for the rules every text and date that a client sends obeys, so that users,
//! suppliers, campaigns, templates and the API's edge cannot drift apart.
//!
//! - **Any text** (the API checks every JSON string, query parameter, path segment, GraphQL
//!   argument and CSV cell with [`check_chars`]): no control characters (Unicode `Cc`: NUL,
//!   the rest of C0, DEL, C1) except TAB, LF and CR. PostgreSQL cannot store NUL, and the
//!   others have no business in a questionnaire.
//! - **Names** ([`name`], [`one_line`]): one line. No control characters at all (CR, LF and TAB
//!   included), no format characters (`Cf`: bidi overrides and isolates, zero-width spaces and
//!   joiners, soft hyphens), no line or paragraph separators; trimmed; at most 200 characters.
//!   Names of organizations, people, suppliers, campaigns and templates reach mails sent to
//!   other tenants, so they also refuse links (`://`): a supplier named "log in at
//!   https://evil.example" must not become a link in someone else's inbox.
//! - **Dates** ([`date`], [`datetime`]): years 1900–9999, everywhere a date is parsed. Outside
//!   that, PostgreSQL refuses the value (a 500 before) and no assessment has a use for it.

use crate::error::ErrorCode;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use crate::error::FieldError;

/// The longest name (organization, person, supplier, campaign, template).
pub const NAME_MAX: usize = 200;
/// The accepted years of every date and time a client sends.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=9999;

/// A control character that multi-line text may not hold (all of `Cc` but TAB, LF, CR).
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// A character that would make a one-line text break, hide or reorder what a reader sees.
fn breaks_line(c: char) -> bool {
    c.is_control()
        || matches!(
            c.general_category(),
            GeneralCategory::Format | GeneralCategory::LineSeparator | GeneralCategory::ParagraphSeparator
        )
}

/// The rule every text a client sends obeys (see the module documentation).
pub fn check_chars(field: &str, value: &str) -> Result<(), FieldError> {
    match value.chars().find(|c| is_forbidden_control(*c)) {
        Some(c) => Err(invalid_characters(field, c)),
        None => Ok(()),
    }
}

fn invalid_characters(field: &str, c: char) -> FieldError {
    FieldError::new(
        field,
        ErrorCode::InvalidCharacters,
        format!("must not contain the control or format character U+{:04X}", u32::from(c)),
    )
}

/// A required, trimmed, single-line text of at most `max` characters.
pub fn one_line(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    if let Some(c) = raw.chars().find(|c| breaks_line(*c)) {
        return Err(invalid_characters(field, c));
    }
    let value = raw.trim();
    if value.is_empty() {
        Err(FieldError::new(field, ErrorCode::Required, "must not be empty"))
    } else if value.chars().count() > max {
        Err(FieldError::new(field, ErrorCode::TooLong, format!("must be at most {max} characters")))
    } else {
        Ok(value.to_owned())
    }
}

/// A display name: [`one_line`], at most [`NAME_MAX`] characters, and no link in it.
pub fn name(field: &str, raw: &str) -> Result<String, FieldError> {
    let value = one_line(field, raw, NAME_MAX)?;
    if value.contains("://") {
        return Err(FieldError::new(field, ErrorCode::LinkNotAllowed, "a name must not contain a link (://)"));
    }
    Ok(value)
}

/// A free text of at most `max` characters that may span lines (comments, reasons, plans).
pub fn multi_line(field: &str, raw: &str, max: usize) -> Result<(), FieldError> {
    check_chars(field, raw)?;
    if raw.chars().count() > max {
        return Err(FieldError::new(field, ErrorCode::TooLong, format!("must be at most {max} characters")));
    }
    Ok(())
}

fn out_of_range(field: &str) -> FieldError {
    FieldError::new(
        field,
        ErrorCode::OutOfRange,
        format!("must be a date between the years {} and {}", YEARS.start(), YEARS.end()),
    )
}

/// A calendar date within [`YEARS`].
pub fn date(field: &str, value: NaiveDate) -> Result<NaiveDate, FieldError> {
    if YEARS.contains(&value.year()) { Ok(value) } else { Err(out_of_range(field)) }
}

/// An instant within [`YEARS`].
pub fn datetime(field: &str, value: DateTime<Utc>) -> Result<DateTime<Utc>, FieldError> {
    if YEARS.contains(&value.year()) { Ok(value) } else { Err(out_of_range(field)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_line_without_hidden_characters_or_links() {
        assert!(name("n", "  Acme Parts  ").is_ok_and(|n| n == "Acme Parts"));
        for bad in
            ["a\nb", "a\rb", "a\tb", "a\u{0}b", "a\u{202e}b", "a\u{200b}b", "a\u{2028}b", "see https://x.example"]
        {
            assert!(name("n", bad).is_err(), "{bad:?}");
        }
        assert!(name("n", &"x".repeat(201)).is_err());
        assert!(name("n", "検査株式会社").is_ok());
    }

    #[test]
    fn multi_line_text_keeps_tabs_and_newlines_but_not_nul() {
        assert!(multi_line("c", "a\r\n\tb", 10).is_ok());
        assert!(multi_line("c", "a\u{0}", 10).is_err());
        assert!(multi_line("c", "a\u{7f}", 10).is_err());
        assert!(multi_line("c", "a\u{85}", 10).is_err());
    }

    #[test]
    fn dates_outside_the_accepted_years_are_refused() {
        let ok = NaiveDate::from_ymd_opt(2026, 1, 1);
        let low = NaiveDate::from_ymd_opt(-5000, 1, 1);
        assert!(ok.is_some_and(|d| date("d", d).is_ok()));
        assert!(low.is_some_and(|d| date("d", d).is_err()));
    }
}
