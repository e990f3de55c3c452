//! A minimal SMTP server for tests: accepts every message and keeps it in memory, and counts
//! the connections it was given.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Clone)]
pub struct SmtpSink {
    messages: Arc<Mutex<Vec<String>>>,
    /// How many messages arrived: tests wait on it instead of sleeping.
    received: Arc<tokio::sync::watch::Sender<usize>>,
    /// Each message takes this long to accept, like a distant server.
    delay: std::time::Duration,
    connections: Arc<std::sync::atomic::AtomicUsize>,
}

impl SmtpSink {
    /// Starts listening on a free port and returns the sink and its `smtp://` URL.
    pub async fn start() -> std::io::Result<(Self, String)> {
        Self::start_with_delay(std::time::Duration::ZERO).await
    }

    /// A sink that takes `delay` to accept each message.
    pub async fn start_with_delay(delay: std::time::Duration) -> std::io::Result<(Self, String)> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("smtp://{}", listener.local_addr()?);
        let sink = Self {
            messages: Arc::default(),
            received: Arc::new(tokio::sync::watch::channel(0).0),
            delay,
            connections: Arc::default(),
        };
        let accepted = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accepted.connections.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let sink = accepted.clone();
                tokio::spawn(async move {
                    let _ = sink.serve(stream).await;
                });
            }
        });
        Ok((sink, url))
    }

    /// Waits until at least `n` messages arrived (or `limit` passed: then an error).
    pub async fn wait_for(&self, n: usize, limit: std::time::Duration) -> Result<(), String> {
        let mut rx = self.received.subscribe();
        match tokio::time::timeout(limit, rx.wait_for(|count| *count >= n)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(format!("fewer than {n} messages arrived within {limit:?}")),
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    async fn serve(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 sink ESMTP\r\n").await?;
        while let Some(line) = lines.next_line().await? {
            let verb = line.split_whitespace().next().unwrap_or_default().to_ascii_uppercase();
            match verb.as_str() {
                "EHLO" | "HELO" => write.write_all(b"250-sink\r\n250 8BITMIME\r\n").await?,
                "DATA" => {
                    write.write_all(b"354 go ahead\r\n").await?;
                    let mut message = String::new();
                    while let Some(data) = lines.next_line().await? {
                        if data == "." {
                            break;
                        }
                        message.push_str(&data);
                        message.push('\n');
                    }
                    tokio::time::sleep(self.delay).await;
                    if let Ok(mut messages) = self.messages.lock() {
                        messages.push(message);
                        self.received.send_replace(messages.len());
                    }
                    write.write_all(b"250 queued\r\n").await?;
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => write.write_all(b"250 ok\r\n").await?,
            }
        }
        Ok(())
    }
}
