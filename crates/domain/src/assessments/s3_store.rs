//! Evidence in S3-compatible object storage (AWS S3, MinIO, Ceph…) through `object_store`,
//! so that API replicas share the files. Path-style requests signed with AWS Signature
//! Version 4 over the payload (a file cannot change in transit); failed requests are retried
//! with back-off, an interrupted download resumes where it stopped, and files larger than a
//! part go up as a multipart upload. In the domain because the API serves the files and the
//! worker writes organization exports beside them.

use std::sync::Arc;
use std::time::Duration;

use crate::assessments::evidence_store::EvidenceStore;
use crate::config::{ConfigError, S3Credentials, S3Settings};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::{ClientOptions, RetryConfig};

/// sqlx and lettre use rustls with ring; reqwest (built without a provider of its own, to
/// keep aws-lc out of the build) gets the same one. Call it before building any HTTP
/// client; later calls find it installed.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The bucket of `KENSA_S3_*`. Nothing is sent until the first file is stored or read.
pub fn evidence_store(s3: &S3Settings) -> Result<EvidenceStore, ConfigError> {
    install_crypto_provider();
    let mut builder = AmazonS3Builder::new();
    match &s3.credentials {
        S3Credentials::Keys { access_key_id, secret_access_key, session_token } => {
            builder = builder.with_access_key_id(access_key_id).with_secret_access_key(secret_access_key.expose());
            if let Some(token) = session_token {
                builder = builder.with_token(token.expose());
            }
        }
        // The credential chain: keys, IRSA (web identity), ECS/EKS container credentials,
        // else the instance metadata service; temporary credentials are renewed before expiry.
        S3Credentials::AwsChain(vars) => {
            for (name, value) in vars {
                let key: AmazonS3ConfigKey =
                    name.to_ascii_lowercase().parse().map_err(|e| ConfigError::new(name, format!("{e}")))?;
                builder = builder.with_config(key, value.expose());
            }
        }
    }
    let objects = builder
        .with_endpoint(s3.endpoint.as_str().trim_end_matches('/'))
        .with_bucket_name(&s3.bucket)
        .with_region(&s3.region)
        .with_virtual_hosted_style_request(false)
        // Two minutes a request, as before; a download slower than that resumes with a ranged
        // request (a retry) instead of failing.
        .with_client_options(
            ClientOptions::new().with_timeout(Duration::from_secs(120)).with_allow_http(s3.endpoint.scheme() == "http"),
        )
        .with_retry(RetryConfig { max_retries: 3, ..RetryConfig::default() })
        .build()
        .map_err(|e| ConfigError::new("KENSA_S3_ENDPOINT", e.to_string()))?;
    Ok(EvidenceStore::remote(Arc::new(objects)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AWS_CREDENTIAL_VARIABLES, Secret};

    /// A name `object_store` did not know would stop the start of every `aws-chain` replica.
    #[test]
    fn every_aws_credential_variable_is_one_object_store_takes() -> Result<(), Box<dyn std::error::Error>> {
        let vars = AWS_CREDENTIAL_VARIABLES.iter().map(|name| (*name, Secret::new("x".to_owned()))).collect();
        evidence_store(&S3Settings {
            endpoint: url::Url::parse("https://s3.eu-central-1.amazonaws.com")?,
            bucket: "kensa-evidence".into(),
            region: "eu-central-1".into(),
            credentials: S3Credentials::AwsChain(vars),
        })?;
        Ok(())
    }
}
