//! Sends webhook deliveries: one signed POST per attempt, to an address that was checked.
//!
//! The SSRF guard: a URL whose host is a literal address is judged before anything is sent;
//! a host name is resolved by [`CheckedResolver`], the client's only resolver, which refuses
//! the name when any of its addresses is internal and otherwise hands the connector exactly
//! the addresses it checked. So the address connected to is the address checked (a DNS
//! answer that changes between a check and the connection — DNS rebinding — cannot slip
//! through), no proxy is used (it would resolve the name itself), and no redirect is
//! followed (a 3xx is a failed attempt), so the request never leaves the checked host.

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use kensa_domain::config::WebhookPolicy;
use kensa_domain::webhooks::Target;
use kensa_domain::webhooks::model::{Refusal, check_address, check_url};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sha2::Sha256;
use uuid::Uuid;

/// A delivery that gets no complete answer within this time is a failed attempt.
pub const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the secret as issued.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length: `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("t={timestamp},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// How one attempt went.
#[derive(Debug)]
pub struct Attempt {
    /// The HTTP status, when the endpoint answered.
    pub status: Option<u16>,
    /// `Err`: why the attempt failed, short, for the delivery's `last_error`.
    pub outcome: Result<(), String>,
}

impl Attempt {
    fn failed(reason: impl Into<String>) -> Self {
        Self { status: None, outcome: Err(reason.into()) }
    }
}

/// The refusal of a resolved name, recognisable in reqwest's chain of error sources.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Resolves with the system's resolver, then refuses a name any of whose addresses the
/// policy forbids (a name that also points inward is not used at all).
struct CheckedResolver {
    policy: WebhookPolicy,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for address in &addresses {
                if let Err(refusal) = check_address(address.ip(), policy) {
                    return Err(Box::new(Refused(format!("{host}: {refusal}"))) as Box<_>);
                }
            }
            Ok(Box::new(addresses.into_iter()) as Addrs)
        })
    }
}

/// One HTTP client for every delivery (connections to a receiver are reused).
pub struct WebhookSender {
    client: reqwest::Client,
    policy: WebhookPolicy,
}

impl WebhookSender {
    pub fn new(policy: WebhookPolicy) -> Result<Self, String> {
        // reqwest is built without a TLS provider of its own; sqlx and lettre use ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .dns_resolver(std::sync::Arc::new(CheckedResolver { policy }))
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("Kensa-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the webhook HTTP client: {e}"))?;
        Ok(Self { client, policy })
    }

    /// POSTs `body` to the endpoint, signed at `now`. Anything but a 2xx is a failure.
    pub async fn send(&self, target: &Target, delivery: Uuid, event: &str, body: &str, now: DateTime<Utc>) -> Attempt {
        let url = match url::Url::parse(&target.url) {
            Ok(url) => url,
            Err(e) => return Attempt::failed(format!("the endpoint URL is not valid ({e})")),
        };
        // Again at every attempt: the operator's policy may have changed since the endpoint
        // was saved, and a literal address never reaches the resolver.
        if let Err(refusal) = check_url(&url, self.policy) {
            return Attempt::failed(match refusal {
                Refusal::NotAllowed(m) => format!("refused: {m}"),
                Refusal::Invalid(m) => format!("the endpoint URL {m}"),
            });
        }
        let request = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Kensa-Signature", signature(&target.secret, now.timestamp(), body))
            .header("Kensa-Event", event)
            .header("Kensa-Delivery", delivery.to_string())
            .body(body.to_owned());
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Attempt::failed(describe(&e)),
        };
        let status = response.status();
        let reason = status.canonical_reason().unwrap_or("");
        let outcome = if status.is_success() {
            Ok(())
        } else if status.is_redirection() {
            Err(format!(
                "answered HTTP {} {reason}; redirects are not followed (register the final URL)",
                status.as_u16()
            ))
        } else {
            Err(format!("answered HTTP {} {reason}", status.as_u16()))
        };
        Attempt { status: Some(status.as_u16()), outcome }
    }
}

/// A failed request in a few words: the refusal, a timeout, or the innermost cause.
fn describe(e: &reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut innermost = e.to_string();
    while let Some(s) = source {
        if let Some(refused) = s.downcast_ref::<Refused>() {
            return format!("refused: {refused}");
        }
        innermost = s.to_string();
        source = s.source();
    }
    if e.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if e.is_connect() {
        format!("could not connect: {innermost}")
    } else {
        format!("request failed: {innermost}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_of_timestamp_dot_body() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature("whsec_test", 1_700_000_000, r#"{"a":1}"#),
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }
}
