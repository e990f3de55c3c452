//! Mail delivery: SMTP when `SMTP_URL` is set, otherwise `.eml` files in
//! `$KENSA_DATA_DIR/outbox/` so that the embedded mode needs no mail server.

pub mod templates;

use std::path::PathBuf;

use async_trait::async_trait;
use kensa_domain::config::Settings;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

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
    transport: AsyncFileTransport<Tokio1Executor>,
}

fn build(from: &Mailbox, mail: OutgoingMail) -> Result<Message, WorkerError> {
    let to: Mailbox = mail.to.parse().map_err(|e| WorkerError::Mail(format!("recipient: {e}")))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body)
        .map_err(|e| WorkerError::Mail(e.to_string()))
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: OutgoingMail) -> Result<(), WorkerError> {
        let message = build(&self.from, mail)?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| WorkerError::Mail(e.to_string()))
    }
}

#[async_trait]
impl Mailer for FileMailer {
    async fn send(&self, mail: OutgoingMail) -> Result<(), WorkerError> {
        let message = build(&self.from, mail)?;
        self.transport.send(message).await.map(|_| ()).map_err(|e| WorkerError::Mail(e.to_string()))
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
            Ok(std::sync::Arc::new(FileMailer { from, transport: AsyncFileTransport::new(dir) }))
        }
    }
}
