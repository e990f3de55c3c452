//! Text that users typed (organization, user, supplier, campaign and template names,
//! comments) goes into mails to people who never chose to trust its author. These helpers
//! make sure it can only ever appear as quoted data: one line, no control or direction
//! characters, links defanged so no mail client turns them into something to click, and
//! never inside a header except after [`header_text`] removed anything that could start a
//! new header line.

use linkify::{LinkFinder, LinkKind};

/// Longest run of user text shown in one field; longer values end with "…".
const MAX_FIELD_CHARS: usize = 200;

/// Characters that change how text is displayed without being visible themselves: bidi
/// overrides and isolates, marks, zero-width joiners, the byte-order mark.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// One line of plain text: line breaks and tabs become spaces, other control and invisible
/// characters disappear, runs of spaces shrink to one.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let c = if c.is_whitespace() { ' ' } else { c };
        if c.is_control() || invisible(c) || (c == ' ' && (out.is_empty() || out.ends_with(' '))) {
            continue;
        }
        out.push(c);
    }
    let trimmed = out.trim_end();
    if trimmed.chars().count() > MAX_FIELD_CHARS {
        let mut short: String = trimmed.chars().take(MAX_FIELD_CHARS).collect();
        short.push('…');
        short
    } else {
        trimmed.to_owned()
    }
}

/// A header value: never a CR or LF (so never a second header), whatever the caller passes.
pub fn header_text(text: &str) -> String {
    one_line(text)
}

/// Rewrites every URL, bare domain and address in `text` so that mail clients do not make
/// it a link (`https://evil.example/x` → `https[:]//evil[.]example/x`): the reader still
/// sees what was typed.
pub fn defang(text: &str) -> String {
    let mut finder = LinkFinder::new();
    finder.url_must_have_scheme(false).kinds(&[LinkKind::Url, LinkKind::Email]);
    let mut out = String::with_capacity(text.len() + 8);
    for span in finder.spans(text) {
        if span.kind().is_some() {
            out.push_str(&span.as_str().replace("://", "[:]//").replace('.', "[.]"));
        } else {
            out.push_str(span.as_str());
        }
    }
    // Schemes on their own ("javascript:", "mailto:") are not links to linkify; defuse them too.
    out.replace("javascript:", "javascript[:]").replace("mailto:", "mailto[:]")
}

/// User text as a Japanese quoted field: 「…」, with any corner brackets inside replaced so
/// the quote cannot be closed early.
pub fn quote_ja(text: &str) -> String {
    format!("「{}」", defang(&one_line(text)).replace('「', "『").replace('」', "』"))
}

/// User text as an English quoted field: "…", with any double quotes inside made single.
pub fn quote_en(text: &str) -> String {
    format!("\"{}\"", defang(&one_line(text)).replace(['"', '“', '”'], "'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_controls_cannot_survive() {
        assert_eq!(one_line("Evil\r\nBcc: x@y\u{0}\u{202E}gpj.exe  "), "Evil Bcc: x@ygpj.exe");
    }

    #[test]
    fn links_are_defanged_and_quotes_closed_only_by_kensa() {
        let quoted = quote_en("URGENT: log in at https://evil.example/login \"now\"");
        assert_eq!(quoted, "\"URGENT: log in at https[:]//evil[.]example/login 'now'\"");
        assert_eq!(quote_ja("a」b evil.example"), "「a』b evil[.]example」");
    }
}
