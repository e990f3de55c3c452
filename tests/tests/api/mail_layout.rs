//! What Kensa's mails look like on disk: user text only as quoted data, headers that no
//! name can break, and an outbox a person can search with `ls` and `grep`.

use std::path::PathBuf;

use kensa_worker::mail;
use reqwest::StatusCode;

use crate::helpers::{TestApp, TestResult, parse_mail, spawn_app};
use crate::invitation_links::execute_bound;

const PHISHING: &str = "URGENT: log in at https://evil.example/login";

/// The outbox files (raw, undecoded) whose name mentions `email`.
fn outbox_files_for(app: &TestApp, email: &str) -> Vec<(PathBuf, String)> {
    let Ok(entries) = std::fs::read_dir(mail::outbox_dir(&app.settings)) else { return Vec::new() };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".eml") && n.contains(email)))
        .filter_map(|p| std::fs::read_to_string(&p).ok().map(|raw| (p, raw)))
        .collect()
}

/// The header block, unfolded: one entry per header.
fn headers(raw: &str) -> Vec<String> {
    let block = raw.split("\r\n\r\n").next().unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for line in block.split("\r\n") {
        match out.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => last.push_str(line),
            _ => out.push(line.to_owned()),
        }
    }
    out
}

#[tokio::test]
async fn a_supplier_name_with_a_link_and_line_breaks_stays_quoted_data() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let (supplier_id, email) = app.create_supplier(&buyer, "Parts Co", 1).await;
    // Names that the API may refuse are written straight into the database.
    execute_bound(&app, "UPDATE suppliers SET name = $1", vec![PHISHING.into()]).await?;
    let crlf_name = "Buyer\r\nBcc: victim@example.org\r\nSubject: hacked";
    execute_bound(&app, "UPDATE organizations SET name = $1", vec![crlf_name.into()]).await?;
    app.create_campaign(&buyer, &[supplier_id], None).await;
    app.run_worker().await;

    let files = outbox_files_for(&app, &email);
    let [(_, raw)] = files.as_slice() else { return Err(format!("one mail expected, found {}", files.len()).into()) };
    let headers = headers(raw);
    assert!(!headers.iter().any(|h| h.to_lowercase().starts_with("bcc:")), "{headers:?}");
    let subjects: Vec<&String> = headers.iter().filter(|h| h.to_lowercase().starts_with("subject:")).collect();
    assert_eq!(subjects.len(), 1, "{headers:?}");
    assert!(!subjects[0].contains("hacked") && !subjects[0].contains("URGENT"), "{}", subjects[0]);

    let mail = parse_mail(raw);
    let body = &mail.text;
    let first_line = body.lines().find(|l| !l.trim().is_empty()).unwrap_or_default();
    assert!(first_line.starts_with("Kensa からのお知らせです"), "{first_line}");
    assert!(!raw.contains("https://evil.example"), "the link must not survive as a link:\n{raw}");
    for line in body.lines().filter(|l| l.contains("URGENT")) {
        let quoted = line.ends_with("「URGENT: log in at https[:]//evil[.]example/login」")
            || line.ends_with("\"URGENT: log in at https[:]//evil[.]example/login\"");
        let labelled = line.starts_with("宛先の取引先: ") || line.starts_with("Supplier: ");
        assert!(quoted && labelled, "user text outside its quoted field: {line}");
    }
    // The buyer is named where the request comes from, and in the footer as the contact.
    for line in body.lines().filter(|l| l.contains("Bcc")) {
        let labelled =
            ["依頼元: 「Buyer Bcc", "Requested by: \"Buyer Bcc", "お問い合わせ先: 「Buyer Bcc", "Contact: \"Buyer Bcc"];
        assert!(labelled.iter().any(|l| line.starts_with(l)), "{line}");
    }
    let links: Vec<&str> = body.split_whitespace().filter(|w| w.contains("://")).collect();
    assert!(links.iter().all(|l| l.starts_with("http://kensa.test/invitations/")), "{links:?}");

    // The HTML part: the same values, escaped and in their table cells; one link per language.
    let html = &mail.html;
    let hrefs: Vec<&str> = html.split("href=\"").skip(1).filter_map(|h| h.split('"').next()).collect();
    assert_eq!(hrefs.len(), 2, "{html}");
    assert!(hrefs.iter().all(|h| h.starts_with("http://kensa.test/invitations/")), "{hrefs:?}");
    for line in html.lines().filter(|l| l.contains("URGENT") || l.contains("Bcc")) {
        let cell = line.starts_with("<td style=") && line.ends_with("</td></tr>");
        let footer = (line.starts_with("お問い合わせ先: 「Buyer Bcc") || line.starts_with("Contact: \"Buyer Bcc"))
            && line.ends_with("</p>");
        assert!(cell || footer, "user text outside a value cell: {line}");
    }
    assert!(html.contains("「URGENT: log in at https[:]//evil[.]example/login」"), "{html}");
    Ok(())
}

#[tokio::test]
async fn the_invitation_for_an_address_is_found_by_file_name_and_its_link_by_grep() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer Motors").await;
    let (a, a_email) = app.create_supplier(&buyer, "Alpha", 1).await;
    let (b, _) = app.create_supplier(&buyer, "Beta", 1).await;
    app.create_campaign(&buyer, &[a, b], None).await;
    app.run_worker().await;

    let files = outbox_files_for(&app, &a_email);
    let [(path, raw)] = files.as_slice() else { return Err(format!("one file for {a_email}: {}", files.len()).into()) };
    let name = path.file_name().and_then(|n| n.to_str()).ok_or("name")?;
    let (time, rest) = name.split_once('_').ok_or("time")?;
    assert!(time.len() == 20 && time.ends_with('Z') && time.as_bytes()[8] == b'T', "{name}");
    assert!(rest.starts_with(&format!("{a_email}_kensa-")), "{name}");
    assert!(name.contains("security-self-assessment-request"), "{name}");

    // A plain substring search of the raw file finds the link: no base64 in the way.
    let marker = "http://kensa.test/invitations/";
    let token = crate::helpers::link_token(raw, marker).ok_or("the raw file holds no invitation link")?;
    assert!(raw.to_lowercase().contains("content-transfer-encoding: 8bit"), "{raw}");
    let preview = app.get(&format!("/api/v1/invitations/{token}"), None).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    Ok(())
}

#[tokio::test]
async fn a_mail_has_a_text_and_an_html_part_a_message_id_and_a_footer_naming_whom_to_ask() -> TestResult {
    let app = spawn_app().await;
    let buyer = app.signup("Buyer <Motors> & Co").await;
    let (supplier, email) = app.create_supplier(&buyer, "Parts Co", 2).await;
    app.create_campaign(&buyer, &[supplier], None).await;
    app.run_worker().await;
    let files = outbox_files_for(&app, &email);
    let [(_, raw)] = files.as_slice() else { return Err(format!("one mail expected, found {}", files.len()).into()) };

    // multipart/alternative: the text part first, the HTML part last (the one clients prefer).
    let mail = parse_mail(raw);
    let content_type = mail.header("content-type").ok_or("no content-type")?;
    assert!(content_type.starts_with("multipart/alternative;"), "{content_type}");
    let (text_at, html_at) = (raw.find("Content-Type: text/plain"), raw.find("Content-Type: text/html"));
    assert!(text_at.is_some() && text_at < html_at, "{raw}");
    assert_eq!(raw.matches("Content-Transfer-Encoding: 8bit").count(), 2, "both parts stay greppable: {raw}");

    let id = mail.header("message-id").ok_or("no Message-ID")?;
    let (local, host) = id.trim_start_matches('<').trim_end_matches('>').split_once('@').ok_or("no @")?;
    // One id per job (`job.<job id>`): a copy resent after a crash is the same message.
    let job = local.strip_prefix("job.").unwrap_or_default();
    assert!(id.starts_with('<') && id.ends_with('>') && uuid::Uuid::parse_str(job).is_ok(), "{id}");
    assert_eq!(host, "kensa.test", "the host of KENSA_PUBLIC_URL");

    // The footer, both languages, names the requesting organization as the contact.
    assert!(mail.text.contains("\n-- \n"), "{}", mail.text);
    assert!(mail.text.contains("お問い合わせ先: 「Buyer <Motors> & Co」"), "{}", mail.text);
    assert!(mail.text.contains("Contact: \"Buyer <Motors> & Co\""), "{}", mail.text);
    assert!(mail.text.contains("no one-click unsubscribe") && mail.text.contains("ワンクリックの配信停止"));

    let html = &mail.html;
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"ja\">"), "{html}");
    assert!(html.contains("<div lang=\"ja\">") && html.contains("<div lang=\"en\">"), "{html}");
    assert!(html.contains("「Buyer &lt;Motors&gt; &amp; Co」") && !html.contains("<Motors>"), "{html}");
    assert!(html.contains("<th scope=\"row\" style=") && html.contains("レベル 2 まで"), "{html}");
    for external in ["src=", "url(", "<link", "<script", "<img"] {
        assert!(!html.contains(external), "{external} in {html}");
    }
    assert_eq!(app.html_mails_to(&email), vec![html.clone()]);

    // Every mail gets its own id.
    let (other, other_email) = app.create_supplier(&buyer, "Other Co", 1).await;
    app.create_campaign(&buyer, &[other], None).await;
    app.run_worker().await;
    let files = outbox_files_for(&app, &other_email);
    let [(_, other_raw)] = files.as_slice() else { return Err("one mail to the second supplier".into()) };
    assert_ne!(parse_mail(other_raw).header("message-id"), Some(id));
    Ok(())
}
