//! The `text/html` part of a [`Compose`]: one page, inline styles only, nothing loaded
//! from elsewhere, each language in an element with its `lang`; user values escaped, and
//! Kensa's link the only `<a href>`.

use super::{Block, Compose, Lang};
use crate::mail::safe::one_line;

impl Compose {
    /// The `text/html` part: one page, inline styles only, nothing loaded from elsewhere,
    /// each language in an element with its `lang`.
    pub fn html(&self, subject: &str, contact: Option<&str>) -> String {
        const BODY: &str = "margin:0;padding:24px 16px;background:#ffffff;color:#1f2328;\
                            font-family:sans-serif;font-size:15px;line-height:1.6";
        const RULE: &str = "border:0;border-top:1px solid #d0d7de;margin:24px 0";
        const FOOTER: &str = "margin:0 0 8px;font-size:12px;color:#57606a";
        let mut out = format!(
            "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n</head>\n<body style=\"{BODY}\">\n<div style=\"max-width:640px;margin:0 auto\">\n",
            lang = self.first.code(),
            title = escape_text(&one_line(subject)),
        );
        out.push_str(&self.html_section(self.first));
        out.push_str(&format!("<hr style=\"{RULE}\">\n"));
        out.push_str(&self.html_section(self.first.other()));
        out.push_str(&format!("<hr style=\"{RULE}\">\n"));
        for lang in [self.first, self.first.other()] {
            let (sentence, field) = Self::footer(lang, contact);
            out.push_str(&format!("<p lang=\"{}\" style=\"{FOOTER}\">{}", lang.code(), escape_text(&sentence)));
            if let Some((label, value)) = field {
                out.push_str(&format!("<br>\n{}: {}", escape_text(label), escape_text(&value)));
            }
            out.push_str("</p>\n");
        }
        out.push_str("</div>\n</body>\n</html>\n");
        out
    }

    fn html_section(&self, lang: Lang) -> String {
        const P: &str = "margin:0 0 16px";
        const TABLE: &str = "border-collapse:collapse;margin:0 0 16px";
        const LABEL: &str = "padding:2px 16px 2px 0;color:#57606a;vertical-align:top;white-space:nowrap;text-align:left;font-weight:normal";
        const VALUE: &str = "padding:2px 0;vertical-align:top";
        const LINK: &str = "color:#0b57d0;word-break:break-all";
        const NOTE: &str = "margin:0 0 16px;font-size:13px;color:#57606a";
        let mut out = format!("<div lang=\"{}\">\n", lang.code());
        let mut in_table = false;
        for block in &self.blocks {
            let is_line = matches!(block, Block::Line { .. });
            if in_table && !is_line {
                out.push_str("</table>\n");
            }
            match block {
                Block::Para(text) => out.push_str(&format!("<p style=\"{P}\">{}</p>\n", paragraph(text.get(lang)))),
                Block::Line { label, value } => {
                    if !in_table {
                        out.push_str(&format!(
                            "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" style=\"{TABLE}\">\n"
                        ));
                    }
                    out.push_str(&format!(
                        "<tr><th scope=\"row\" style=\"{LABEL}\">{}</th>\n<td style=\"{VALUE}\">{}</td></tr>\n",
                        escape_text(label.get(lang)),
                        escape_text(value.get(lang)),
                    ));
                }
                Block::Link { lead, url } => {
                    out.push_str(&format!("<p style=\"margin:0 0 4px\">{}:</p>\n", paragraph(lead.get(lang))));
                    out.push_str(&format!("<p style=\"{P}\">{}</p>\n", anchor(url, LINK)));
                }
            }
            in_table = is_line;
        }
        if in_table {
            out.push_str("</table>\n");
        }
        let notes = self.notes(lang);
        if !notes.is_empty() {
            out.push_str(&format!("<p style=\"{NOTE}\">{}</p>\n", paragraph(&notes.join("\n"))));
        }
        out.push_str("</div>\n");
        out
    }
}

/// `<a href>` for an http(s) URL; anything else is shown as text (Kensa's links are always
/// http(s), so this only guards against a mistake).
fn anchor(url: &str, style: &str) -> String {
    let shown = escape_text(url);
    if url.starts_with("https://") || url.starts_with("http://") {
        format!("<a href=\"{}\" style=\"{style}\">{shown}</a>", escape_attribute(url))
    } else {
        shown
    }
}

/// A paragraph's text with its line breaks as `<br>`.
fn paragraph(text: &str) -> String {
    text.split('\n').map(escape_text).collect::<Vec<_>>().join("<br>\n")
}

/// Text content: `&`, `<` and `>` escaped (quotes need no escaping outside attributes).
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// A double-quoted attribute value.
fn escape_attribute(text: &str) -> String {
    escape_text(text).replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_links_become_anchors() {
        assert_eq!(anchor("javascript:alert(1)", ""), "javascript:alert(1)");
    }
}
