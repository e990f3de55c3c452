//! One mail's content, written once and rendered twice: as the plain-text part and as the
//! HTML part of a `multipart/alternative` message, Japanese and English, the recipient's
//! language first.
//!
//! ```ignore
//! Compose::new(&d.locale)
//!     .para("Kensa からのお知らせです。…", "This is a message from Kensa. …")
//!     .field("組織名", "Organization", &d.organization_name) // typed by a user
//!     .fact("有効期限", "Valid until", &expires, &expires) // Kensa's own value
//!     .link("次のリンクから参加してください", "Accept with this link", &d.link)
//!     .mail(&d.to, subject, Some(&d.organization_name))
//! ```
//!
//! The layout rule of [`super::templates`] is built in: text a user typed goes only through
//! [`Compose::field`] (a labelled line, quoted and defanged by [`super::safe`], HTML-escaped),
//! Kensa's own link only through [`Compose::link`] (the only `<a href>` of the HTML part),
//! and every mail ends with the standard notes and the footer naming whom to contact.

use super::safe::{one_line, quote_en, quote_ja};

mod html;

/// The two languages of every mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Ja,
    En,
}

impl Lang {
    /// The recipient's language: `en`, or Japanese for anything else (Kensa's default).
    pub fn of(locale: &str) -> Self {
        if locale == "en" { Self::En } else { Self::Ja }
    }

    fn code(self) -> &'static str {
        match self {
            Self::Ja => "ja",
            Self::En => "en",
        }
    }

    fn other(self) -> Self {
        match self {
            Self::Ja => Self::En,
            Self::En => Self::Ja,
        }
    }
}

/// A pair of texts, one per language.
#[derive(Clone, Debug)]
struct Both {
    ja: String,
    en: String,
}

impl Both {
    fn new(ja: impl Into<String>, en: impl Into<String>) -> Self {
        Self { ja: ja.into(), en: en.into() }
    }

    fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }
}

#[derive(Clone, Debug)]
enum Block {
    /// Kensa's own sentences; a `\n` is a line break within the paragraph.
    Para(Both),
    /// A labelled value: consecutive ones form one group (lines, or rows of one table).
    Line { label: Both, value: Both },
    /// An instruction, then Kensa's URL on its own line.
    Link { lead: Both, url: String },
}

/// One mail's content. See the module documentation.
#[derive(Clone, Debug)]
pub struct Compose {
    first: Lang,
    blocks: Vec<Block>,
    /// Whether any value came from a user (the note on quoted values is then added).
    quoted: bool,
}

impl Compose {
    /// Content for a recipient whose locale is `locale` (`ja`, `en`).
    pub fn new(locale: &str) -> Self {
        Self { first: Lang::of(locale), blocks: Vec::new(), quoted: false }
    }

    /// The recipient's language.
    pub fn lang(&self) -> Lang {
        self.first
    }

    /// A paragraph of Kensa's own text. Never pass user text here: use [`Self::field`].
    pub fn para(mut self, ja: impl Into<String>, en: impl Into<String>) -> Self {
        self.blocks.push(Block::Para(Both::new(ja, en)));
        self
    }

    /// A labelled value that a user typed (a name, an address, a comment): one line, quoted
    /// (「…」 / "…"), links defanged.
    pub fn field(mut self, label_ja: &str, label_en: &str, value: &str) -> Self {
        self.quoted = true;
        self.blocks.push(Block::Line {
            label: Both::new(label_ja, label_en),
            value: Both::new(quote_ja(value), quote_en(value)),
        });
        self
    }

    /// A labelled value that Kensa produced (a date, a level, a count, a client address),
    /// per language; shown as it is, on one line.
    pub fn fact(mut self, label_ja: &str, label_en: &str, value_ja: &str, value_en: &str) -> Self {
        let value = Both::new(one_line(value_ja), one_line(value_en));
        self.blocks.push(Block::Line { label: Both::new(label_ja, label_en), value });
        self
    }

    /// An instruction followed by Kensa's link (built from `KENSA_PUBLIC_URL`, never from
    /// user text).
    pub fn link(mut self, lead_ja: impl Into<String>, lead_en: impl Into<String>, url: &str) -> Self {
        self.blocks.push(Block::Link { lead: Both::new(lead_ja, lead_en), url: one_line(url) });
        self
    }

    /// The mail to `to`. `contact` names whom the recipient asks about it (the requesting
    /// organization, as its users typed it); `None` for mails about the recipient's own account.
    pub fn mail(self, to: &str, subject: impl Into<String>, contact: Option<&str>) -> super::OutgoingMail {
        super::OutgoingMail {
            to: to.to_owned(),
            subject: subject.into(),
            body: self,
            contact: contact.map(str::to_owned),
            job: None,
        }
    }

    fn links(&self) -> usize {
        self.blocks.iter().filter(|b| matches!(b, Block::Link { .. })).count()
    }

    /// The closing notes: what quotes mean, which links are Kensa's, no password by mail.
    fn notes(&self, lang: Lang) -> Vec<String> {
        let links = self.links();
        if !self.quoted && links == 0 {
            return Vec::new();
        }
        let mut lines = Vec::new();
        match lang {
            Lang::Ja => {
                if self.quoted {
                    lines.push(
                        "「」内は Kensa の利用者が入力した名称で、Kensa が内容を確認したものではありません。"
                            .to_owned(),
                    );
                }
                match links {
                    0 => {}
                    1 => lines.push("Kensa からのリンクは上記の 1 つだけです。".to_owned()),
                    n => lines.push(format!("Kensa からのリンクは上記の {n} つだけです。")),
                }
                lines.push("Kensa がメールでパスワードを尋ねることはありません。".to_owned());
            }
            Lang::En => {
                if self.quoted {
                    lines.push("Values in quotes were typed by Kensa users; Kensa has not checked them.".to_owned());
                }
                match links {
                    0 => {}
                    1 => lines.push("The link above is the only one Kensa sends.".to_owned()),
                    n => lines.push(format!("The {n} links above are the only ones Kensa sends.")),
                }
                lines.push("Kensa never asks for your password by mail.".to_owned());
            }
        }
        lines
    }

    /// Whom to contact, and that there is no one-click unsubscribe (a `List-Unsubscribe`
    /// header would promise one): Kensa's sentence, then the contact as a quoted field.
    fn footer(lang: Lang, contact: Option<&str>) -> (String, Option<(&'static str, String)>) {
        match (lang, contact) {
            (Lang::Ja, Some(contact)) => (
                "このメールは、下記の組織の依頼により Kensa が送信しました。このメールについてのお問い合わせや、\
                 今後の送信を止めたい場合は、その組織のご担当者へご連絡ください（Kensa のメールにワンクリックの配信停止はありません）。"
                    .to_owned(),
                Some(("お問い合わせ先", quote_ja(contact))),
            ),
            (Lang::En, Some(contact)) => (
                "Kensa sent this mail at the request of the organization below. For questions about it, or to stop \
                 such mails, contact that organization (Kensa mails have no one-click unsubscribe)."
                    .to_owned(),
                Some(("Contact", quote_en(contact))),
            ),
            (Lang::Ja, None) => (
                "このメールは、Kensa でのご自身のアカウントについて Kensa が送信しました。このお知らせは停止できません\
                 （ワンクリックの配信停止はありません）。ご不明な点は、ご所属の組織の Kensa のオーナーまたは管理者へお問い合わせください。"
                    .to_owned(),
                None,
            ),
            (Lang::En, None) => (
                "Kensa sent this mail about your own Kensa account. Such notices cannot be turned off (there is no \
                 one-click unsubscribe); for questions, ask your organization's owners or admins on Kensa."
                    .to_owned(),
                None,
            ),
        }
    }

    // ---- plain text ----

    /// The `text/plain` part.
    pub fn text(&self, contact: Option<&str>) -> String {
        let first = self.text_section(self.first);
        let second = self.text_section(self.first.other());
        let mut out = format!("{first}\n----\n\n{second}\n-- \n");
        for (i, lang) in [self.first, self.first.other()].into_iter().enumerate() {
            if i > 0 {
                out.push('\n');
            }
            let (sentence, field) = Self::footer(lang, contact);
            out.push_str(&sentence);
            out.push('\n');
            if let Some((label, value)) = field {
                out.push_str(&format!("{label}: {value}\n"));
            }
        }
        out
    }

    fn text_section(&self, lang: Lang) -> String {
        let mut groups: Vec<String> = Vec::new();
        let mut in_lines = false;
        for block in &self.blocks {
            match block {
                Block::Para(text) => groups.push(format!("{}\n", text.get(lang))),
                Block::Line { label, value } => {
                    let line = format!("{}: {}\n", label.get(lang), value.get(lang));
                    match groups.last_mut() {
                        Some(group) if in_lines => group.push_str(&line),
                        _ => groups.push(line),
                    }
                }
                Block::Link { lead, url } => groups.push(format!("{}:\n{url}\n", lead.get(lang))),
            }
            in_lines = matches!(block, Block::Line { .. });
        }
        let notes = self.notes(lang);
        if !notes.is_empty() {
            groups.push(format!("{}\n", notes.join("\n")));
        }
        groups.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(locale: &str) -> Compose {
        Compose::new(locale)
            .para("こんにちは。\n二行目", "Hello.\nSecond line")
            .field("組織名", "Organization", "<b>Evil</b> & https://evil.example \"x\"")
            .fact("期限", "Due", "2026-12-01", "2026-12-01")
            .link("開く", "Open", "http://kensa.test/join/abc?x=1&y=\"2\"")
    }

    #[test]
    fn the_recipients_language_comes_first_in_both_parts() {
        let text = sample("en").text(None);
        assert!(text.find("Hello.").unwrap_or(usize::MAX) < text.find("こんにちは").unwrap_or(0), "{text}");
        let html = sample("ja").html("s", None);
        assert!(html.contains("<html lang=\"ja\">") && html.contains("<div lang=\"en\">"), "{html}");
        assert!(html.find("こんにちは").unwrap_or(usize::MAX) < html.find("Hello.").unwrap_or(0));
    }

    #[test]
    fn user_text_is_quoted_defanged_and_escaped_and_only_kensas_link_is_a_link() {
        let text = sample("ja").text(Some("Buyer <x>"));
        assert!(text.contains("組織名: 「<b>Evil</b> & https[:]//evil[.]example \"x\"」\n"), "{text}");
        assert!(text.contains("Organization: \"<b>Evil</b> & https[:]//evil[.]example 'x'\"\n"), "{text}");
        assert!(text.contains("お問い合わせ先: 「Buyer <x>」") && text.contains("Contact: \"Buyer <x>\""), "{text}");
        let html = sample("ja").html("Kensa <subject>", Some("Buyer <x>"));
        assert!(!html.contains("<b>") && !html.contains("<x>"), "{html}");
        assert!(html.contains("「&lt;b&gt;Evil&lt;/b&gt; &amp; https[:]//evil[.]example \"x\"」"), "{html}");
        assert!(html.contains("<title>Kensa &lt;subject&gt;</title>"), "{html}");
        assert_eq!(html.matches("<a ").count(), 2, "one link per language: {html}");
        assert!(html.contains("href=\"http://kensa.test/join/abc?x=1&amp;y=&quot;2&quot;\""), "{html}");
        assert!(!html.contains("src=") && !html.contains("url("), "nothing external: {html}");
    }

    #[test]
    fn the_footer_says_whom_to_ask_with_or_without_a_contact() {
        let own = Compose::new("ja").para("a", "b").text(None);
        assert!(own.contains("ご自身のアカウント") && own.contains("your own Kensa account"), "{own}");
        assert!(own.contains("one-click unsubscribe") && !own.contains("Contact:"), "{own}");
        assert!(!own.contains("Kensa never asks"), "no notes without values or links: {own}");
    }
}
