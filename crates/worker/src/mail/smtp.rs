//! SMTP delivery over a pool of open connections.
//!
//! A batch's jobs run `KENSA_WORKER_CONCURRENCY` at once, so the pool keeps that many
//! connections open across batches: each mail is MAIL, RCPT, DATA on a connection that said
//! EHLO long ago, checked with a NOOP before reuse, not a connect, EHLO and QUIT of its own.
//!
//! Why plain `smtp://` URLs do not go through lettre's pooled transport: lettre 0.11.23
//! writes a message's body and its final `.` in two writes on a socket with Nagle's
//! algorithm on, so the `.` waits for the server's delayed ACK, 40 ms on Linux, and every
//! mail costs 40 ms per connection whatever the server does (measured: 250 mails/s at
//! concurrency 16 into a local sink, see docs/benchmarks.md). lettre has merged a fix
//! (TCP_NODELAY on its connections) that no release carries yet; until one does, this
//! module opens the TCP connection itself with TCP_NODELAY and hands it to lettre's
//! `AsyncSmtpConnection`. TLS URLs (`smtps://`, `smtp://…?tls=`) keep lettre's transport,
//! which builds the TLS session itself: same pool size, with the stall.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use percent_encoding::percent_decode_str;
use tokio::net::TcpStream;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// One mail's whole exchange (lettre bounds only the connect): a server that stops answering
/// fails the job, which is retried, instead of holding the batch for ever.
const SEND_TIMEOUT: Duration = Duration::from_secs(120);
/// A connection parked longer than this is closed rather than reused (lettre's default).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

pub struct PlainPool {
    host: String,
    port: u16,
    hello: ClientId,
    credentials: Option<Credentials>,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    max_idle: usize,
}

impl PlainPool {
    /// The pool for a plain `smtp://` URL (the syntax lettre's `from_url` takes: host, port
    /// default 25, user and password percent-encoded, a path naming the EHLO name); `None`
    /// for a URL with TLS, which lettre's transport serves.
    pub fn from_url(url: &str, size: usize) -> Result<Option<Self>, String> {
        let url = url::Url::parse(url).map_err(|e| e.to_string())?;
        if url.scheme() != "smtp" || url.query_pairs().any(|(k, _)| k == "tls") {
            return Ok(None);
        }
        let host = match url.host() {
            Some(url::Host::Domain(name)) => name.to_owned(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err("no host".into()),
        };
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        let credentials = (!url.username().is_empty() || url.password().is_some())
            .then(|| Credentials::new(decode(url.username()), decode(url.password().unwrap_or_default())));
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        Ok(Some(Self {
            host,
            port: url.port().unwrap_or(25),
            hello,
            credentials,
            idle: Mutex::new(Vec::new()),
            max_idle: size.max(1),
        }))
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, String> {
        let stream = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((self.host.as_str(), self.port)))
            .await
            .map_err(|_| format!("connecting to {}:{} timed out", self.host, self.port))?
            .map_err(|e| format!("connecting to {}:{}: {e}", self.host, self.port))?;
        // The point of this module: each write leaves at once.
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut connection = AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(credentials) = &self.credentials {
            connection.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await.map_err(|e| e.to_string())?;
        }
        Ok(connection)
    }

    /// A parked connection that still answers, else a new one.
    async fn checkout(&self) -> Result<AsyncSmtpConnection, String> {
        loop {
            let parked = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
            match parked {
                Some((mut connection, since)) if since.elapsed() < IDLE_TIMEOUT => {
                    if connection.test_connected().await {
                        return Ok(connection);
                    }
                    connection.abort().await;
                }
                Some((mut connection, _)) => connection.abort().await,
                None => return self.connect().await,
            }
        }
    }

    pub async fn send(&self, message: &Message) -> Result<(), String> {
        // On time-out the connection is dropped with the future, never parked half-way.
        tokio::time::timeout(SEND_TIMEOUT, self.send_now(message))
            .await
            .map_err(|_| format!("no answer from {}:{} within {} s", self.host, self.port, SEND_TIMEOUT.as_secs()))?
    }

    async fn send_now(&self, message: &Message) -> Result<(), String> {
        let mut connection = self.checkout().await?;
        let sent = connection.send(message.envelope(), &message.formatted()).await;
        let reusable = sent.is_ok() && !connection.has_broken();
        let surplus = {
            let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if reusable && idle.len() < self.max_idle {
                idle.push((connection, Instant::now()));
                None
            } else {
                Some(connection)
            }
        };
        if let Some(mut connection) = surplus {
            connection.abort().await;
        }
        sent.map(|_| ()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_urls_are_served_here_and_tls_ones_by_lettre() -> Result<(), String> {
        let pool = PlainPool::from_url("smtp://us%40er:p%40ss@127.0.0.1:2525/kensa.example", 4)?.ok_or("plain")?;
        assert_eq!((pool.host.as_str(), pool.port, pool.max_idle), ("127.0.0.1", 2525, 4));
        assert_eq!(pool.hello, ClientId::Domain("kensa.example".into()));
        assert_eq!(pool.credentials, Some(Credentials::new("us@er".into(), "p@ss".into())));
        assert_eq!(PlainPool::from_url("smtp://[::1]", 1)?.map(|p| (p.host, p.port)), Some(("::1".into(), 25)));
        assert!(PlainPool::from_url("smtps://relay.example", 4)?.is_none());
        assert!(PlainPool::from_url("smtp://relay.example:587?tls=required", 4)?.is_none());
        Ok(())
    }
}
