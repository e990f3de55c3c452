//! Mail delivery: SMTP when `SMTP_URL` is set, otherwise `.eml` files in
//! `$KENSA_DATA_DIR/outbox/` so that the embedded mode needs no mail server. Outbox files
//! are named `<UTC time>_<recipient>_<subject-slug>.eml` and hold 8-bit text, so a person
//! finds the mail for an address with `ls` and its link with `grep`.

pub mod event_templates;
mod outbox;
pub mod safe;
pub mod templates;

use std::path::PathBuf;

use async_trait::async_trait;
use kensa_domain::config::Settings;
use lettre::message::header::{ContentTransferEncoding, ContentType, MIME_VERSION_1_0};
use lettre::message::{Body, Mailbox};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::WorkerError;

/// A rendered mail, independent of the transport.
#[derive(Clone, Debug)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: OutgoingMail) -> Result<(), WorkerError>;
}

pub struct SmtpMailer {
    from: Mailbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

pub struct FileMailer {
    from: Mailbox,
    dir: PathBuf,
}

/// The message as sent. The recipient is a bare address (never a display name taken from
/// data), the subject passes [`safe::header_text`], and the text part uses `encoding`
/// (quoted-printable when 8-bit would make lines too long).
fn build(from: &Mailbox, mail: &OutgoingMail, encoding: ContentTransferEncoding) -> Result<Message, WorkerError> {
    let address: Address = mail.to.trim().parse().map_err(|e| WorkerError::Mail(format!("recipient: {e}")))?;
    let body = match encoding {
        ContentTransferEncoding::EightBit => eight_bit(&mail.body),
        _ => None,
    };
    let body = match body {
        Some(body) => body,
        None => Body::new_with_encoding(mail.body.clone(), ContentTransferEncoding::QuotedPrintable)
            .map_err(|_| WorkerError::Mail("the body cannot be encoded".into()))?,
    };
    Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, address))
        .subject(safe::header_text(&mail.subject))
        // Content-Transfer-Encoding means something only under MIME-Version: 1.0.
        .header(MIME_VERSION_1_0)
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| WorkerError::Mail(e.to_string()))
}

/// The text as an 8-bit body (RFC 2045 §2.8: CRLF line ends, lines of at most 998 octets,
/// no NUL or bare CR), or `None` when it does not qualify. lettre's own chooser only picks
/// 8-bit for lines under 76 octets, which Japanese text exceeds in a dozen characters.
fn eight_bit(text: &str) -> Option<Body> {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    for line in text.split('\n') {
        if line.len() > 998 || line.contains(['\0', '\r']) {
            return None;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    Some(Body::dangerous_pre_encoded(out.into_bytes(), ContentTransferEncoding::EightBit))
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: OutgoingMail) -> Result<(), WorkerError> {
        // Quoted-printable: 7-bit safe for any relay (lettre does not negotiate 8BITMIME),
        // yet readable, unlike base64.
        let message = build(&self.from, &mail, ContentTransferEncoding::QuotedPrintable)?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| WorkerError::Mail(e.to_string()))
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, mail: OutgoingMail) -> Result<(), WorkerError> {
        // 8-bit: the file holds the text as written, so `grep` finds a link or a token.
        let message = build(&self.from, &mail, ContentTransferEncoding::EightBit)?;
        let name = outbox::file_stem(chrono::Utc::now(), &mail.to, &safe::header_text(&mail.subject));
        outbox::write(&self.dir, &name, &message.formatted()).await.map_err(|e| WorkerError::Mail(e.to_string()))
    }
}

/// The outbox directory used when no SMTP server is configured.
pub fn outbox_dir(settings: &Settings) -> PathBuf {
    settings.data_dir.join("outbox")
}

/// The mailer the settings ask for. Errors name the variable at fault.
pub fn from_settings(settings: &Settings) -> Result<std::sync::Arc<dyn Mailer>, kensa_domain::config::ConfigError> {
    use kensa_domain::config::ConfigError;
    let from: Mailbox = settings
        .mail_from
        .parse()
        .map_err(|e| ConfigError::new("KENSA_MAIL_FROM", format!("not a valid mailbox: {e}")))?;
    match &settings.smtp_url {
        Some(url) => {
            let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                .map_err(|e| ConfigError::new("SMTP_URL", format!("not a usable SMTP URL: {e}")))?
                .build();
            Ok(std::sync::Arc::new(SmtpMailer { from, transport }))
        }
        None => {
            let dir = outbox_dir(settings);
            std::fs::create_dir_all(&dir)
                .map_err(|e| ConfigError::new("KENSA_DATA_DIR", format!("cannot create {}: {e}", dir.display())))?;
            Ok(std::sync::Arc::new(FileMailer { from, dir }))
        }
    }
}
