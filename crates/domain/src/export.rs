//! Cells of every CSV and XLSX file Kensa writes.
//!
//! A spreadsheet runs a cell that begins with `=`, `+`, `-` or `@` as a formula, and TAB or
//! CR can make a cell begin with one after the program trims it; a supplier named
//! `=HYPERLINK("https://evil.example", "Click")` would become a live link in the buyer's
//! Excel. Following OWASP's rule, such cells are written with a leading `'`, which
//! spreadsheets show as text. A cell that already begins with `'` and a formula character
//! gets one more `'`, so that [`restore_cell`] (used by Kensa's own imports) gives back
//! exactly the value that was exported.
//!
//! An XLSX text cell is a string, which a spreadsheet never evaluates; [`xlsx_text`] keeps
//! its value exactly and marks a formula-like one with the quote prefix (`'` typed before
//! it), so that editing the cell does not make it a formula either.

use std::borrow::Cow;

const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

fn escaped(value: &str) -> bool {
    let rest = value.trim_start_matches('\'');
    rest.len() < value.len() && rest.starts_with(FORMULA_STARTS)
}

/// Whether a spreadsheet would evaluate the text typed into a cell.
fn formula_like(value: &str) -> bool {
    value.starts_with(FORMULA_STARTS)
}

/// A text cell of an XLSX sheet, its value exactly as given.
pub fn xlsx_text(
    sheet: &mut rust_xlsxwriter::Worksheet,
    (row, col): (u32, u16),
    value: &str,
    format: &rust_xlsxwriter::Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    if formula_like(value) {
        sheet.write_string_with_format(row, col, value, &format.clone().set_quote_prefix())?;
    } else {
        sheet.write_string_with_format(row, col, value, format)?;
    }
    Ok(())
}

/// The cell as written: `'` before a value a spreadsheet would evaluate.
pub fn neutralise_cell(value: &str) -> Cow<'_, str> {
    if formula_like(value) || escaped(value) { Cow::Owned(format!("'{value}")) } else { Cow::Borrowed(value) }
}

/// The value of a cell written by [`neutralise_cell`]: one leading `'` before a formula
/// character (or before more such quotes) is removed; anything else is kept as it is.
pub fn restore_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) || escaped(rest) => rest,
        _ => cell,
    }
}

/// A whole CSV file: UTF-8 with a byte-order mark (so Excel reads Japanese correctly),
/// CRLF line ends, every cell neutralised.
pub fn csv_document<I, R, C>(header: &[&str], rows: I) -> Result<Vec<u8>, crate::DomainError>
where
    I: IntoIterator<Item = R>,
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let mut writer = CsvOut::new(Vec::new(), header)?;
    for row in rows {
        writer.row(row)?;
    }
    writer.finish()
}

/// The same file written a row at a time into `out` (a large export spooled to disk).
pub struct CsvOut<W: std::io::Write>(csv::Writer<W>);

impl<W: std::io::Write> CsvOut<W> {
    pub fn new<C: AsRef<str>>(mut out: W, header: impl IntoIterator<Item = C>) -> Result<Self, crate::DomainError> {
        out.write_all(b"\xEF\xBB\xBF").map_err(crate::DomainError::internal)?;
        let mut this = Self(csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(out));
        this.row(header)?;
        Ok(this)
    }

    /// Writes one row, every cell neutralised.
    pub fn row<C: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = C>) -> Result<(), crate::DomainError> {
        let cells: Vec<String> = cells.into_iter().map(|c| neutralise_cell(c.as_ref()).into_owned()).collect();
        self.0.write_record(&cells).map_err(crate::DomainError::internal)
    }

    pub fn finish(self) -> Result<W, crate::DomainError> {
        self.0.into_inner().map_err(crate::DomainError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_prefixed_and_restored_exactly() {
        for (value, cell) in [
            ("=HYPERLINK(\"https://evil.example\")", "'=HYPERLINK(\"https://evil.example\")"),
            ("+81 3 1234", "'+81 3 1234"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=x", "''=x"),
            ("''-x", "'''-x"),
            ("'quoted'", "'quoted'"),
            ("Tokai Seiki", "Tokai Seiki"),
            ("東海精機", "東海精機"),
            ("", ""),
        ] {
            assert_eq!(neutralise_cell(value), cell, "{value:?}");
            assert_eq!(restore_cell(cell), value, "{cell:?}");
        }
    }

    #[test]
    fn a_document_starts_with_a_bom_and_neutralises_every_cell() -> Result<(), crate::DomainError> {
        let bytes = csv_document(&["name", "tier"], [["=1+1", "tier1"]])?;
        assert_eq!(bytes, b"\xEF\xBB\xBFname,tier\r\n'=1+1,tier1\r\n");
        Ok(())
    }
}
