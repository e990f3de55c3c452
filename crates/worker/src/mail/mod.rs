//! Mail delivery: SMTP when `SMTP_URL` is set, otherwise `.eml` files in
//! `$KENSA_DATA_DIR/outbox/` so that the embedded mode needs no mail server. Outbox files
//! are named `<UTC time>_<recipient>_<subject-slug>.eml` and hold 8-bit text, so a person
//! finds the mail for an address with `ls` and its link with `grep`.

pub mod compose;
pub mod event_templates;
mod outbox;
pub mod safe;
mod smtp;
pub mod templates;

use std::path::PathBuf;

use async_trait::async_trait;
use kensa_domain::config::Settings;
use kensa_domain::ids::JobId;
use lettre::message::header::{ContentTransferEncoding, ContentType, MessageId};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub use self::compose::Compose;
use crate::WorkerError;

/// A rendered mail, independent of the transport.
#[derive(Clone, Debug)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    /// The content, rendered as the text and the HTML part when the mail is built.
    pub body: Compose,
    /// Whom the recipient should ask about this mail (the requesting organization's name, as
    /// its users typed it), named in the footer; `None`: a mail about the recipient's own
    /// account.
    pub contact: Option<String>,
    /// The job that sends it; its `Message-ID` is made from this when set.
    pub job: Option<JobId>,
}

impl OutgoingMail {
    /// The mail as sent by `job`: `Message-ID: <job.{id}@{host}>` on every attempt, so a
    /// copy that a retry sends after a crash is the same message to a mail client (Gmail,
    /// for one, shows a repeated `Message-ID` once) and to anyone counting.
    pub fn for_job(mut self, job: JobId) -> Self {
        self.job = Some(job);
        self
    }

    /// The `text/plain` part.
    pub fn text(&self) -> String {
        self.body.text(self.contact.as_deref())
    }

    /// The `text/html` part.
    pub fn html(&self) -> String {
        self.body.html(&safe::header_text(&self.subject), self.contact.as_deref())
    }
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: OutgoingMail) -> Result<(), WorkerError>;
}

/// What every message is built from: the sender, and the domain of its `Message-ID`s.
#[derive(Clone, Debug)]
struct Envelope {
    from: Mailbox,
    /// The host of `KENSA_PUBLIC_URL`: ids are `<uuid@host>`, unique and traceable to this
    /// installation (lettre's own default would name the machine's host name).
    id_domain: String,
}

pub struct SmtpMailer {
    envelope: Envelope,
    transport: SmtpTransport,
}

/// Plain `smtp://`: connections of [`smtp::PlainPool`] (TCP_NODELAY); TLS: lettre's.
enum SmtpTransport {
    Plain(smtp::PlainPool),
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
}

pub struct FileMailer {
    envelope: Envelope,
    dir: PathBuf,
}

/// The message as sent: `multipart/alternative` with the text part first and the HTML part
/// second (clients show the last one they can), a fresh `Message-ID`. The recipient is a bare
/// address (never a display name taken from data), the subject passes [`safe::header_text`],
/// and both parts use `encoding` (quoted-printable when 8-bit would make lines too long).
fn build(envelope: &Envelope, mail: &OutgoingMail, encoding: ContentTransferEncoding) -> Result<Message, WorkerError> {
    let address: Address = mail.to.trim().parse().map_err(|e| WorkerError::Mail(format!("recipient: {e}")))?;
    let parts = MultiPart::alternative()
        .singlepart(part(ContentType::TEXT_PLAIN, mail.text(), encoding)?)
        .singlepart(part(ContentType::TEXT_HTML, mail.html(), encoding)?);
    Message::builder()
        .from(envelope.from.clone())
        .to(Mailbox::new(None, address))
        .subject(safe::header_text(&mail.subject))
        .header(MessageId::from(match mail.job {
            Some(job) => format!("<job.{}@{}>", job.0, envelope.id_domain),
            None => format!("<{}@{}>", uuid::Uuid::new_v4(), envelope.id_domain),
        }))
        .multipart(parts)
        .map_err(|e| WorkerError::Mail(e.to_string()))
}

fn part(content_type: ContentType, text: String, encoding: ContentTransferEncoding) -> Result<SinglePart, WorkerError> {
    let body = match encoding {
        ContentTransferEncoding::EightBit => eight_bit(&text),
        _ => None,
    };
    let body = match body {
        Some(body) => body,
        None => Body::new_with_encoding(text, ContentTransferEncoding::QuotedPrintable)
            .map_err(|_| WorkerError::Mail("the body cannot be encoded".into()))?,
    };
    Ok(SinglePart::builder().header(content_type).body(body))
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
        let message = build(&self.envelope, &mail, ContentTransferEncoding::QuotedPrintable)?;
        match &self.transport {
            SmtpTransport::Plain(pool) => pool.send(&message).await.map_err(WorkerError::Mail),
            SmtpTransport::Lettre(transport) => {
                transport.send(message).await.map(|_| ()).map_err(|e| WorkerError::Mail(e.to_string()))
            }
        }
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, mail: OutgoingMail) -> Result<(), WorkerError> {
        // 8-bit: the file holds the text as written, so `grep` finds a link or a token.
        let message = build(&self.envelope, &mail, ContentTransferEncoding::EightBit)?;
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
    let id_domain = settings.public_url.host_str().unwrap_or("localhost").to_owned();
    let envelope = Envelope { from, id_domain };
    match &settings.smtp_url {
        Some(url) => {
            // One connection per job a worker runs at once, kept open across batches: a
            // batch is `worker_concurrency` SMTP conversations in parallel (see `smtp`).
            let size = settings.worker_concurrency.max(1);
            let unusable = |e: String| ConfigError::new("SMTP_URL", format!("not a usable SMTP URL: {e}"));
            let transport = match smtp::PlainPool::from_url(url.expose(), size).map_err(unusable)? {
                Some(pool) => SmtpTransport::Plain(pool),
                None => SmtpTransport::Lettre(
                    AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                        .map_err(|e| unusable(e.to_string()))?
                        .pool_config(PoolConfig::new().max_size(u32::try_from(size).unwrap_or(u32::MAX)))
                        .build(),
                ),
            };
            Ok(std::sync::Arc::new(SmtpMailer { envelope, transport }))
        }
        None => {
            let dir = outbox_dir(settings);
            std::fs::create_dir_all(&dir)
                .map_err(|e| ConfigError::new("KENSA_DATA_DIR", format!("cannot create {}: {e}", dir.display())))?;
            Ok(std::sync::Arc::new(FileMailer { envelope, dir }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        Envelope {
            from: Mailbox::new(None, "no-reply@kensa.test".parse().unwrap_or_else(|_| unreachable!())),
            id_domain: "kensa.test".into(),
        }
    }

    fn sample() -> OutgoingMail {
        Compose::new("ja")
            .para("Kensa からのお知らせです。", "This is a message from Kensa.")
            .field("組織名", "Organization", "Acme & Co")
            .link("参加する", "Join", "http://kensa.test/join/abc")
            .mail("sato@example.com", "Kensa: 組織への招待\r\nBcc: x@y", Some("Acme & Co"))
    }

    #[test]
    fn the_outbox_copy_is_eight_bit_multipart_with_text_first() -> Result<(), WorkerError> {
        let raw =
            String::from_utf8_lossy(&build(&envelope(), &sample(), ContentTransferEncoding::EightBit)?.formatted())
                .into_owned();
        if std::env::var_os("KENSA_PRINT_MAIL").is_some() {
            println!("{raw}");
        }
        let text = raw.find("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit");
        let html = raw.find("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit");
        assert!(text.is_some() && text < html, "{raw}");
        assert!(raw.contains("組織名: 「Acme & Co」\r\n") && raw.contains("<td style="), "{raw}");
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
        Ok(())
    }

    #[test]
    fn the_smtp_copy_is_seven_bit() -> Result<(), WorkerError> {
        let raw = build(&envelope(), &sample(), ContentTransferEncoding::QuotedPrintable)?.formatted();
        assert!(raw.iter().all(u8::is_ascii), "{}", String::from_utf8_lossy(&raw));
        assert_eq!(String::from_utf8_lossy(&raw).matches("Content-Transfer-Encoding: quoted-printable").count(), 2);
        Ok(())
    }
}
