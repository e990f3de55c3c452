//! Delivery through a real SMTP server process: Python's `aiosmtpd` (installed by `.ci/run`)
//! storing what it receives in a Maildir. What arrives is what a relay would pass on: the
//! headers, a unique `Message-ID`, both parts quoted-printable, Japanese text intact.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{ParsedMail, TestResult, external_program, parse_mail, spawn_app_with, unique_email};

/// The server process, stopped when the test ends however it ends.
struct Server {
    child: Child,
    maildir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

/// Starts `python3 -m aiosmtpd` with the Maildir handler on a free loopback port and waits
/// until it accepts connections. Returns the server and its `smtp://` URL.
async fn start_aiosmtpd() -> Result<(Server, String), Box<dyn std::error::Error>> {
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let maildir = std::env::temp_dir().join(format!("kensa-maildir-{}", uuid::Uuid::new_v4().simple()));
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut server = Server { child, maildir };
    // Readiness, not a guess: connect until it answers (the interpreter starts in ~0.3 s).
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Ok((server, format!("smtp://127.0.0.1:{port}")));
        }
        if let Some(status) = server.child.try_wait()? {
            let mut stderr = String::new();
            if let Some(mut pipe) = server.child.stderr.take() {
                std::io::Read::read_to_string(&mut pipe, &mut stderr)?;
            }
            return Err(format!("aiosmtpd exited ({status}): {stderr}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err("aiosmtpd did not accept connections within 10 s".into())
}

/// The messages in the Maildir's `new/`, as stored.
fn stored(maildir: &Path) -> Result<Vec<String>, std::io::Error> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(maildir.join("new"))? {
        out.push(std::fs::read_to_string(entry?.path())?);
    }
    Ok(out)
}

/// A header's RFC 2047 encoded words (`=?utf-8?b?…?=`) decoded, folding undone.
fn decoded_header(mail: &ParsedMail, name: &str) -> String {
    let value = mail.header(name).unwrap_or_default();
    let mut out = String::new();
    // Whitespace between two encoded words is folding only (RFC 2047 §6.2); elsewhere a space.
    let mut previous_encoded = false;
    for word in value.split_whitespace() {
        let encoded = word.strip_prefix("=?utf-8?b?").or_else(|| word.strip_prefix("=?UTF-8?B?"));
        let decoded = encoded.and_then(|w| w.strip_suffix("?=")).map(|b64| {
            String::from_utf8_lossy(&base64::engine::general_purpose::STANDARD.decode(b64).unwrap_or_default())
                .into_owned()
        });
        if !out.is_empty() && (!previous_encoded || decoded.is_none()) {
            out.push(' ');
        }
        previous_encoded = decoded.is_some();
        out.push_str(&decoded.unwrap_or_else(|| word.to_owned()));
    }
    out
}

#[tokio::test]
async fn invitations_reach_a_real_smtp_server_as_multipart_with_message_ids_and_japanese_intact() -> TestResult {
    if !external_program("python3 with aiosmtpd (pip install aiosmtpd)", &["python3", "-c", "import aiosmtpd"])? {
        return Ok(());
    }
    let (server, url) = start_aiosmtpd().await?;
    let app = spawn_app_with(|vars| {
        vars.insert("SMTP_URL".into(), url);
        vars.insert("KENSA_WORKER_CONCURRENCY".into(), "4".into());
    })
    .await;
    let buyer = app.signup("東海モーターズ株式会社").await;
    let mut suppliers = Vec::new();
    for name in ["部品工業", "Parts Co", "北陸精機"] {
        let email = unique_email("smtp");
        let body =
            json!({ "name": name, "contact_name": "佐藤", "contact_email": email, "target_level": 2, "tier": "tier1" });
        let reply = app.post("/api/v1/suppliers", Some(&buyer.access_token), body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        suppliers.push((reply.body["id"].as_str().unwrap_or_default().to_owned(), email));
    }
    let ids: Vec<String> = suppliers.iter().map(|(id, _)| id.clone()).collect();
    app.create_campaign(&buyer, &ids, None).await;
    assert_eq!(app.run_worker().await.succeeded, 3);
    assert!(app.mails().is_empty(), "nothing goes to the outbox when SMTP is configured");

    let messages = stored(&server.maildir)?;
    assert_eq!(messages.len(), 3, "{messages:#?}");
    let mut ids = std::collections::BTreeSet::new();
    for (_, email) in &suppliers {
        let raw = messages
            .iter()
            .find(|m| m.to_lowercase().contains(&format!("x-rcptto: {email}")))
            .ok_or(format!("no message for {email}"))?;
        let mail = parse_mail(raw);
        assert_eq!(mail.header("to").as_deref(), Some(email.as_str()), "{raw}");
        assert_eq!(mail.header("from").as_deref(), Some("Kensa <no-reply@kensa.localhost>"), "{raw}");
        let subject = decoded_header(&mail, "subject");
        assert!(subject.starts_with("Kensa: セキュリティ自己評価のご依頼（期限 "), "{subject}");
        let id = mail.header("message-id").ok_or("no Message-ID")?;
        assert!(id.starts_with('<') && id.ends_with("@kensa.test>"), "{id}");
        ids.insert(id);
        let content_type = mail.header("content-type").unwrap_or_default();
        assert!(content_type.starts_with("multipart/alternative;"), "{content_type}");
        // A relay gets 7-bit text: both parts quoted-printable, and they decode to the mail.
        assert!(raw.is_ascii(), "{raw}");
        assert_eq!(raw.matches("Content-Transfer-Encoding: quoted-printable").count(), 2, "{raw}");
        assert!(mail.text.starts_with("Kensa からのお知らせです。取引先から、"), "{}", mail.text);
        assert!(mail.text.contains("依頼元: 「東海モーターズ株式会社」\n"), "{}", mail.text);
        assert!(mail.text.contains("お問い合わせ先: 「東海モーターズ株式会社」\n"), "{}", mail.text);
        assert!(mail.text.contains("\nhttp://kensa.test/invitations/"), "{}", mail.text);
        assert!(mail.html.starts_with("<!DOCTYPE html>\n<html lang=\"ja\">"), "{}", mail.html);
        assert!(mail.html.contains("<td style=\"padding:2px 0;vertical-align:top\">「東海モーターズ株式会社」</td>"));
        assert!(mail.html.contains("<a href=\"http://kensa.test/invitations/"), "{}", mail.html);
    }
    assert_eq!(ids.len(), 3, "every message has its own Message-ID: {ids:?}");
    Ok(())
}
