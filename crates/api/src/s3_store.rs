//! Evidence in S3-compatible object storage (AWS S3, MinIO, Ceph…), so that API replicas
//! share the files. Path-style requests signed with AWS Signature Version 4; the payload is
//! hashed into the signature, so a file cannot change in transit.

use async_trait::async_trait;
use chrono::Utc;
use hmac::{Hmac, Mac};
use kensa_domain::assessments::evidence::EvidenceStore;
use kensa_domain::assessments::staging::Staged;
use kensa_domain::config::{ConfigError, S3Settings, Secret};
use kensa_domain::{DomainError, DomainResult};
use sha2::{Digest, Sha256};
use url::Url;

/// sqlx and lettre use rustls with ring; reqwest (built without a provider of its own, to
/// keep aws-lc out of the build) gets the same one. Call it before building any HTTP
/// client; later calls find it installed.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub struct S3Store {
    client: reqwest::Client,
    endpoint: Url,
    bucket: String,
    region: String,
    access_key: String,
    secret_key: Secret<String>,
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    // HMAC accepts keys of any length; the error branch cannot happen.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(data.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl S3Store {
    pub fn new(s3: &S3Settings) -> Result<Self, ConfigError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .map_err(|e| ConfigError::new("KENSA_S3_ENDPOINT", format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            endpoint: s3.endpoint.clone(),
            bucket: s3.bucket.clone(),
            region: s3.region.clone(),
            access_key: s3.access_key_id.clone(),
            secret_key: s3.secret_access_key.clone(),
        })
    }

    fn url(&self, key: &str) -> Url {
        let mut url = self.endpoint.clone();
        let base = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base}/{}/{key}", self.bucket));
        url
    }

    /// The `Authorization`, `x-amz-date` and `x-amz-content-sha256` headers of a request.
    pub fn sign(
        &self,
        method: &str,
        url: &Url,
        payload_hash: &str,
        now: chrono::DateTime<Utc>,
    ) -> [(String, String); 3] {
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let date = now.format("%Y%m%d").to_string();
        let host = match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        };
        let canonical = format!(
            "{method}\n{}\n\nhost:{host}\nx-amz-content-sha256:{payload_hash}\nx-amz-date:{amz_date}\n\nhost;x-amz-content-sha256;x-amz-date\n{payload_hash}",
            url.path()
        );
        let scope = format!("{date}/{}/s3/aws4_request", self.region);
        let to_sign = format!("AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}", sha256_hex(canonical.as_bytes()));
        let key = ["s3", "aws4_request"].iter().fold(
            hmac(&hmac(format!("AWS4{}", self.secret_key.expose()).as_bytes(), &date), &self.region),
            |k, part| hmac(&k, part),
        );
        let signature = hex::encode(hmac(&key, &to_sign));
        [
            (
                "authorization".into(),
                format!(
                    "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={signature}",
                    self.access_key
                ),
            ),
            ("x-amz-date".into(), amz_date),
            ("x-amz-content-sha256".into(), payload_hash.to_owned()),
        ]
    }

    async fn send(&self, method: reqwest::Method, key: &str, body: Vec<u8>) -> DomainResult<reqwest::Response> {
        let hash = sha256_hex(&body);
        let length = body.len();
        self.send_body(method, key, &hash, body.into(), length).await
    }

    async fn send_body(
        &self,
        method: reqwest::Method,
        key: &str,
        payload_hash: &str,
        body: reqwest::Body,
        length: usize,
    ) -> DomainResult<reqwest::Response> {
        let url = self.url(key);
        let headers = self.sign(method.as_str(), &url, payload_hash, Utc::now());
        // A streamed body would otherwise go chunked, which S3 refuses without its own framing.
        let mut request = self.client.request(method, url).header(reqwest::header::CONTENT_LENGTH, length);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        request
            .body(body)
            .send()
            .await
            .map_err(|e| DomainError::Unavailable(format!("object storage: {}", e.without_url())))
    }
}

fn failed(what: &str, status: reqwest::StatusCode) -> DomainError {
    DomainError::Unavailable(format!("object storage answered {status} to {what}"))
}

#[async_trait]
impl EvidenceStore for S3Store {
    /// One PUT streamed from the staged file: its SHA-256, computed while it arrived, is the
    /// signed payload hash, and its length is sent so S3 needs no chunked encoding.
    async fn put(&self, key: &str, file: &Staged) -> DomainResult<()> {
        let opened = tokio::fs::File::open(file.path()).await.map_err(DomainError::internal)?;
        let body = reqwest::Body::from(opened);
        let response = self.send_body(reqwest::Method::PUT, key, &file.sha256, body, file.size).await?;
        if response.status().is_success() { Ok(()) } else { Err(failed("PUT", response.status())) }
    }

    async fn get(&self, key: &str) -> DomainResult<Vec<u8>> {
        let response = self.send(reqwest::Method::GET, key, Vec::new()).await?;
        match response.status() {
            s if s.is_success() => response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .map_err(|e| DomainError::Unavailable(format!("object storage: {}", e.without_url()))),
            reqwest::StatusCode::NOT_FOUND => Err(DomainError::NotFound("evidence")),
            s => Err(failed("GET", s)),
        }
    }

    async fn delete(&self, key: &str) -> DomainResult<()> {
        let response = self.send(reqwest::Method::DELETE, key, Vec::new()).await?;
        match response.status() {
            s if s.is_success() || s == reqwest::StatusCode::NOT_FOUND => Ok(()),
            s => Err(failed("DELETE", s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same request signed by botocore (`S3SigV4Auth`, the AWS SDK for Python), whose
    /// headers were recorded once: an independent implementation agreeing byte for byte.
    #[test]
    fn a_put_is_signed_exactly_as_botocore_signs_it() -> Result<(), Box<dyn std::error::Error>> {
        let store = S3Store::new(&S3Settings {
            endpoint: Url::parse("http://127.0.0.1:9000")?,
            bucket: "kensa-evidence".into(),
            region: "us-east-1".into(),
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
        })?;
        let url = store.url("a1/b2");
        assert_eq!(url.as_str(), "http://127.0.0.1:9000/kensa-evidence/a1/b2");
        let hash = sha256_hex(b"hello evidence");
        assert_eq!(hash, "9af4c73b2a919f220f4b008e466b52808a1987122d95ff0f2dde00968e36e844");
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-26T01:01:33Z")?.with_timezone(&Utc);
        let [authorization, date, _] = store.sign("PUT", &url, &hash, now);
        assert_eq!(date.1, "20261126T010133Z");
        assert_eq!(
            authorization.1,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/s3/aws4_request, \
             SignedHeaders=host;x-amz-content-sha256;x-amz-date, \
             Signature=ec09bae59babdb861243d9212e037cd24cc14286997b8b5cbc57e1e8b47dac69"
        );
        Ok(())
    }

    /// AWS's published example (docs: "Signature Calculations for the Authorization Header:
    /// Transferring Payload in a Single Chunk", GET Object without the Range header is not
    /// published, so this checks the derived signing key chain instead).
    #[test]
    fn the_signing_key_chain_matches_aws_documentation() {
        // From AWS's SigV4 docs: secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
        // 20120215, us-east-1, iam → signing key f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d.
        let key = ["iam", "aws4_request"]
            .iter()
            .fold(hmac(&hmac(b"AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215"), "us-east-1"), |k, part| {
                hmac(&k, part)
            });
        assert_eq!(hex::encode(key), "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
    }
}
