//! Evidence file names as Kensa stores and serves them.
//!
//! A name comes from the uploader and is shown to the other side, so it must not be able to
//! disguise a file: bidi overrides (`report\u{202E}fdp.bat` displays as "reporttab.pdf"),
//! zero-width and other invisible format characters, and control characters are removed;
//! the name is put in Unicode NFC (macOS sends Japanese names decomposed); path parts and
//! characters Windows refuses are dropped or replaced; and the extension must be one of the
//! detected type's, else that type's extension is appended (`report.pdf.exe` uploaded as a
//! PDF is stored as `report.pdf.exe.pdf`), so what a browser or desktop saves opens with the
//! program the bytes were checked for. Names are at most [`MAX_NAME_CHARS`] characters (the
//! stem is shortened, the extension kept). The same function runs on the way out, so rows
//! stored before these rules are served clean too.

use unicode_normalization::UnicodeNormalization;

pub const MAX_NAME_CHARS: usize = 200;

/// The extensions a type may carry; the first is appended when the name has none of them.
pub fn extensions(content_type: &str) -> &'static [&'static str] {
    match content_type {
        "application/pdf" => &["pdf"],
        "image/png" => &["png"],
        "image/jpeg" => &["jpg", "jpeg", "jpe"],
        "image/gif" => &["gif"],
        "application/zip" => &["zip"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => &["docx"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => &["xlsx"],
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => &["pptx"],
        "text/plain" => &["txt", "text", "log"],
        "text/csv" => &["csv"],
        _ => &[],
    }
}

/// Invisible characters that change how a name reads: bidi embeddings, overrides and
/// isolates, zero-width spaces and joiners, marks, the BOM, soft hyphen, tags, separators.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180E}'
        | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}'
        | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// The name to store and serve for a file of `content_type` uploaded as `raw`.
pub fn sanitise(raw: &str, content_type: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut cleaned = String::with_capacity(last.len());
    let mut space = false;
    // Hidden characters go before normalising: removed after, they could leave combining
    // marks side by side out of canonical order, a name that is not NFC and that a second
    // pass (names are sanitised again when served) would change (found by fuzzing).
    for c in last.chars().filter(|c| !c.is_control() && !is_invisible(*c)).nfc() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !cleaned.is_empty() {
            cleaned.push(' ');
        }
        space = false;
        cleaned.push(if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') { '_' } else { c });
    }
    // Windows drops trailing dots and spaces; leading dots hide a file on Unix.
    let trimmed = cleaned.trim_matches(|c: char| c == '.' || c == ' ');
    let name = if trimmed.is_empty() { "file" } else { trimmed };
    let allowed = extensions(content_type);
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && allowed.iter().any(|a| a.eq_ignore_ascii_case(ext)) => {
            (stem.to_owned(), Some(ext.to_owned()))
        }
        _ => (name.to_owned(), allowed.first().map(|e| (*e).to_owned())),
    };
    match ext {
        Some(ext) => {
            let room = MAX_NAME_CHARS - ext.chars().count() - 1;
            let stem: String = stem.chars().take(room).collect();
            format!("{}.{ext}", stem.trim_end_matches(['.', ' ']))
        }
        None => name.chars().take(MAX_NAME_CHARS).collect::<String>().trim_end_matches(['.', ' ']).to_owned(),
    }
}

/// The name in printable ASCII for `Content-Disposition`'s plain `filename=` (clients that
/// ignore `filename*`): everything else, and the quote, backslash and percent sign, become `_`.
pub fn ascii_fallback(name: &str) -> String {
    name.chars()
        .map(|c| if (c.is_ascii_graphic() || c == ' ') && !matches!(c, '"' | '\\' | '%') { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_are_removed_and_the_extension_follows_the_type() {
        assert_eq!(sanitise("report\u{202E}fdp.bat", "application/pdf"), "reportfdp.bat.pdf");
        assert_eq!(sanitise("report.pdf.exe", "application/pdf"), "report.pdf.exe.pdf");
        assert_eq!(sanitise("scan.JPG", "image/jpeg"), "scan.JPG");
        assert_eq!(sanitise("notes", "text/plain"), "notes.txt");
        assert_eq!(sanitise("..\\..\\etc/passwd", "text/plain"), "passwd.txt");
    }

    #[test]
    fn control_and_invisible_characters_are_removed() {
        assert_eq!(sanitise("a\r\nb\0c\u{200B}d\u{FEFF}.pdf", "application/pdf"), "abcd.pdf");
        assert_eq!(sanitise("  \u{2066}\u{2069} ", "application/pdf"), "file.pdf");
        assert_eq!(sanitise("x<y>:\"z\".pdf", "application/pdf"), "x_y___z_.pdf");
        assert_eq!(sanitise("two   spaces\u{3000}wide\ttab.pdf", "application/pdf"), "two spaces widetab.pdf");
    }

    #[test]
    fn japanese_names_are_kept_in_nfc_and_bounded() {
        // "が" decomposed (か + combining mark), as macOS sends it.
        assert_eq!(sanitise("か\u{3099}いよう.pdf", "application/pdf"), "がいよう.pdf");
        let long = format!("{}.pdf", "報".repeat(500));
        let bounded = sanitise(&long, "application/pdf");
        assert_eq!(bounded.chars().count(), MAX_NAME_CHARS);
        assert!(bounded.ends_with("報.pdf"));
    }

    #[test]
    fn sanitising_twice_changes_nothing() {
        // The last: marks a control character kept apart (fuzzing found them left out of order).
        let long = "x".repeat(300);
        let cases: [&str; 6] =
            ["report\u{202E}fdp.bat", "a.pdf.exe", "報告書.xlsx", ". .", &long, "a\u{35C}\u{1}\u{34D}"];
        for raw in cases {
            let once = sanitise(raw, "application/pdf");
            assert_eq!(sanitise(&once, "application/pdf"), once, "{raw}");
        }
    }

    #[test]
    fn the_ascii_fallback_is_printable_ascii_without_quotes() {
        assert_eq!(ascii_fallback("報告書 \"v2\" 100%.pdf"), "___ _v2_ 100_.pdf");
    }
}
