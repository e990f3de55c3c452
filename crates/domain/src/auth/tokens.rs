//! Access tokens (JWT, HS256 pinned) and opaque refresh tokens.

use crate::error::ErrorCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::config::Secret;
use crate::error::DomainError;

pub const ACCESS_TOKEN_TTL: Duration = Duration::minutes(15);
pub const REFRESH_TOKEN_TTL: Duration = Duration::days(30);
pub const AUDIENCE: &str = "kensa-api";
pub const ISSUER: &str = "kensa";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub org: Uuid,
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
    /// The session (refresh-token family) the token was issued in: ending the session ends
    /// the access token too, within the principal cache's few seconds.
    pub sid: Uuid,
}

/// Signing and verification keys; the secret itself is dropped after construction.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The key before a rotation: its tokens still verify until they expire (one access
    /// token lifetime), nothing is signed with it.
    previous: Option<DecodingKey>,
    validation: Validation,
    /// Key of [`Self::mail_link_token`], derived from the secret (never the secret itself).
    link_key: [u8; 32],
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys([redacted])")
    }
}

/// Clocks of replicas differ a little; a token a few seconds past its expiry still counts.
const EXPIRY_LEEWAY_SECS: i64 = 5;

impl JwtKeys {
    /// Keys for `secret`, also accepting tokens signed with `previous` (a rotation's old key).
    pub fn new(secret: &Secret<String>, previous: Option<&Secret<String>>) -> Self {
        let bytes = secret.expose().as_bytes();
        // Only HS256 is accepted: `none` and every other algorithm fail verification.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "aud", "iss"]);
        // Expiry is judged against the services' clock in `verify`, not the system clock, so
        // tests and `run-once --now` see tokens expire when their clock says so.
        validation.validate_exp = false;
        validation.leeway = 0;
        let link_key = Sha256::new().chain_update(b"kensa mail link tokens v1\0").chain_update(bytes).finalize().into();
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            previous: previous.map(|p| DecodingKey::from_secret(p.expose().as_bytes())),
            validation,
            link_key,
        }
    }

    /// The token of the link a mail job sends for `subject` (the row whose token it is: an
    /// invitation, or a user with the link's `purpose`): HMAC-SHA256 of the three under a key
    /// derived from the secret, 256 bits like [`random_token`]. The same job always mails the
    /// same link for the same row, so when a worker dies after the mail server accepted a mail
    /// but before the job was marked done, the copy sent on the retry carries the link the
    /// first copy already has, and both work (a fresh token would have silently killed the
    /// first one). The row is part of it because one job may land on another row when tried
    /// again (a reminder whose invitation was replaced meanwhile), and each row's token must
    /// be its own (token hashes are unique).
    pub fn mail_link_token(&self, job: crate::ids::JobId, purpose: &str, subject: Uuid) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.link_key).unwrap_or_else(|_| unreachable!());
        mac.update(b"job\0");
        mac.update(job.0.as_bytes());
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(subject.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    pub fn issue(&self, user_id: Uuid, org_id: Uuid, sid: Uuid, now: DateTime<Utc>) -> Result<String, DomainError> {
        let claims = Claims {
            sub: user_id,
            org: org_id,
            aud: AUDIENCE.into(),
            iss: ISSUER.into(),
            iat: now.timestamp(),
            exp: (now + ACCESS_TOKEN_TTL).timestamp(),
            jti: Uuid::new_v4(),
            sid,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(DomainError::internal)
    }

    /// The signature, audience and issuer, then the expiry against `now` (5 s of leeway).
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, DomainError> {
        let decode = |key: &DecodingKey| jsonwebtoken::decode::<Claims>(token, key, &self.validation);
        let claims = decode(&self.decoding)
            .or_else(|e| self.previous.as_ref().map_or(Err(e), decode))
            .map(|data| data.claims)
            .map_err(|_| DomainError::Unauthenticated {
                code: ErrorCode::InvalidToken,
                detail: "the access token is not valid",
            })?;
        if claims.exp.saturating_add(EXPIRY_LEEWAY_SECS) < now.timestamp() {
            return Err(DomainError::Unauthenticated {
                code: ErrorCode::TokenExpired,
                detail: "the access token has expired",
            });
        }
        Ok(claims)
    }
}

/// 256 random bits, URL-safe: refresh tokens, invitation tokens, generated secrets.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored instead of a token. Tokens carry 256 bits of entropy, so a fast hash is
/// enough: there is nothing to brute-force.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether a single-use link still works: not used, not revoked, not expired (410 otherwise).
pub fn ensure_link_usable(
    accepted_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), DomainError> {
    if accepted_at.is_some() {
        return Err(DomainError::Gone {
            code: ErrorCode::InvitationUsed,
            detail: "this invitation has already been accepted",
        });
    }
    if revoked_at.is_some() {
        return Err(DomainError::Gone {
            code: ErrorCode::InvitationRevoked,
            detail: "this invitation was replaced or withdrawn",
        });
    }
    if expires_at <= now {
        return Err(DomainError::Gone {
            code: ErrorCode::InvitationExpired,
            detail: "this invitation has expired; ask for a new one",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::JobId;

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::new(&Secret::new(secret.to_owned()), None)
    }

    #[test]
    fn after_a_rotation_tokens_of_the_previous_key_verify_and_new_ones_use_the_new_key() {
        let (old, new) =
            ("the-old-secret-of-more-than-thirty-two-bytes", "the-new-secret-of-more-than-thirty-two-bytes");
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let (user, org, sid) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let before = keys(old);
        let issued_before = before.issue(user, org, sid, now).unwrap_or_default();
        let rotated = JwtKeys::new(&Secret::new(new.to_owned()), Some(&Secret::new(old.to_owned())));
        // During the overlap: a token signed with the previous key still verifies...
        assert!(matches!(rotated.verify(&issued_before, now), Ok(c) if c.sub == user));
        // ...and new tokens are signed with the new key: verified by it alone, not by the old.
        let issued_after = rotated.issue(user, org, sid, now).unwrap_or_default();
        assert!(keys(new).verify(&issued_after, now).is_ok());
        assert!(before.verify(&issued_after, now).is_err(), "not signed with the previous key");
        // Once the previous key is dropped (a token lifetime later), its tokens are refused;
        // and an old token expires on its own time either way.
        assert!(keys(new).verify(&issued_before, now).is_err());
        assert!(rotated.verify(&issued_before, now + ACCESS_TOKEN_TTL + Duration::seconds(10)).is_err());
        // A key that was never this service's is refused with or without a previous one.
        let stranger = keys("a-stranger-secret-of-more-than-thirty-two-bytes").issue(user, org, sid, now);
        assert!(rotated.verify(&stranger.unwrap_or_default(), now).is_err());
    }

    #[test]
    fn a_mail_link_token_is_the_jobs_own_for_one_row_and_unguessable_without_the_secret() {
        let (k, job, row) = (keys("a-secret-of-more-than-thirty-two-bytes!"), JobId(Uuid::now_v7()), Uuid::now_v7());
        let token = k.mail_link_token(job, "user_invitation", row);
        assert_eq!(token, k.mail_link_token(job, "user_invitation", row), "every attempt of the job");
        assert_eq!(URL_SAFE_NO_PAD.decode(&token).map(|b| b.len()), Ok(32));
        let others = [
            k.mail_link_token(JobId(Uuid::now_v7()), "user_invitation", row),
            k.mail_link_token(job, "user_invitation", Uuid::now_v7()),
            k.mail_link_token(job, "password_reset", row),
            keys("another-secret-of-more-than-thirty-two-bytes").mail_link_token(job, "user_invitation", row),
        ];
        assert!(others.iter().all(|other| *other != token), "another job, row, purpose or secret: another token");
    }
}
