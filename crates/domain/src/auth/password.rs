//! Password hashing (argon2id) and the password policy.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::error::{DomainError, DomainResult, FieldError};

pub const MIN_LENGTH: usize = 12;
/// Argon2 cost grows with input; a cap keeps one request from burning a core.
pub const MAX_LENGTH: usize = 256;

/// The most common passwords of at least 12 characters, from public breach corpora.
const COMMON: &[&str] = &[
    "password1234",
    "password12345",
    "password123456",
    "passwordpassword",
    "qwertyuiop12",
    "qwertyuiopasdf",
    "iloveyou1234",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "q1w2e3r4t5y6",
    "letmein12345",
    "welcome12345",
    "admin1234567",
    "administrator",
    "changeme1234",
    "trustno11234",
    "football1234",
    "baseball1234",
    "sunshine1234",
    "princess1234",
    "monkey123456",
    "dragon123456",
    "superman1234",
    "starwars1234",
    "p@ssw0rd1234",
    "p@ssword1234",
    "passw0rd1234",
    "qwerty123456",
    "asdfghjkl123",
    "zxcvbnm12345",
    "abc123456789",
    "password!234",
    "welcome!2345",
    "kensa1234567",
];

type Job = Box<dyn FnOnce() + Send>;

/// Argon2 runs on a few dedicated threads (one per core, at most four), not on tokio's
/// blocking pool of up to 512 threads: each hash takes 19 MiB, so a flood of sign-ins could
/// otherwise hold gigabytes at once. Here at most `threads × 19 MiB` is in use, and the
/// async runtime never stalls on a hash.
fn hashing_pool() -> Option<&'static std::sync::Mutex<std::sync::mpsc::Sender<Job>>> {
    static POOL: std::sync::OnceLock<Option<std::sync::Mutex<std::sync::mpsc::Sender<Job>>>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new().name(format!("argon2-{i}")).spawn(move || {
                loop {
                    let job = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
            if spawned.is_err() {
                return None;
            }
        }
        Some(std::sync::Mutex::new(tx))
    })
    .as_ref()
}

async fn on_hashing_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> DomainResult<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(f());
    });
    let sender = hashing_pool().ok_or_else(|| DomainError::internal("no password hashing threads"))?;
    sender
        .lock()
        .map_err(|_| DomainError::internal("hashing pool poisoned"))?
        .send(job)
        .map_err(DomainError::internal)?;
    rx.await.map_err(DomainError::internal)
}

pub async fn hash(password: &str) -> DomainResult<String> {
    let password = password.to_owned();
    on_hashing_thread(move || {
        Argon2::default().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(DomainError::internal)
    })
    .await?
}

/// An unparsable hash never matches.
pub async fn verify(password: &str, hash: &str) -> bool {
    let password = password.to_owned();
    let hash = hash.to_owned();
    on_hashing_thread(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false)
}

/// A valid hash of a random password, verified against when the account does not exist so
/// that "unknown email" and "wrong password" take the same time.
pub async fn dummy_hash() -> &'static str {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY.get_or_init(|| async { hash(&crate::auth::tokens::random_token()).await.unwrap_or_default() }).await.as_str()
}

/// Every rule the password breaks, named by `code`.
pub fn policy_violations(password: &str, email: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let chars: Vec<char> = password.chars().collect();
    let mut fail = |code: &'static str, message: String| errors.push(FieldError::new("password", code, message));
    if chars.len() < MIN_LENGTH {
        fail("password_too_short", format!("must be at least {MIN_LENGTH} characters"));
    }
    if chars.len() > MAX_LENGTH {
        fail("password_too_long", format!("must be at most {MAX_LENGTH} characters"));
    }
    let classes = [
        chars.iter().any(|c| c.is_lowercase()),
        chars.iter().any(|c| c.is_uppercase()),
        chars.iter().any(|c| c.is_numeric()),
        chars.iter().any(|c| !c.is_alphanumeric()),
    ];
    if !chars.is_empty() && classes.iter().filter(|present| **present).count() < 2 {
        fail(
            "password_single_character_class",
            "must mix at least two kinds of characters (lower case, upper case, digits, symbols)".into(),
        );
    }
    if is_trivial_sequence(&chars) {
        fail(
            "password_sequential",
            "must not be one repeated character or a plain run such as abcdef or 123456".into(),
        );
    }
    let lower = password.to_lowercase();
    let local_part = email.split('@').next().unwrap_or_default().to_lowercase();
    if COMMON.contains(&lower.as_str()) || (local_part.len() >= 4 && lower.contains(&local_part)) {
        fail("password_common", "is a commonly used password or contains your email address".into());
    }
    errors
}

/// True for a run along the digits, the alphabet or a keyboard row (wrapping, either
/// direction: "123456789012", "zyxwvutsrqpo", "qwertyuiopas"), or for a short block repeated
/// ("aaaaaaaaaaaa", "Ab1Ab1Ab1Ab1").
fn is_trivial_sequence(chars: &[char]) -> bool {
    if chars.len() < 2 {
        return false;
    }
    let lower: String = chars.iter().flat_map(|c| c.to_lowercase()).collect();
    let runs = ["0123456789".repeat(4), "abcdefghijklmnopqrstuvwxyz".repeat(3), "qwertyuiopasdfghjklzxcvbnm".repeat(3)];
    let along_a_run = runs.iter().any(|run| {
        let reversed: String = run.chars().rev().collect();
        run.contains(&lower) || reversed.contains(&lower)
    });
    let repeated_block = (1..=chars.len() / 3)
        .any(|len| chars.len().is_multiple_of(len) && chars.chunks(len).all(|chunk| chunk == &chars[..len]));
    along_a_run || repeated_block
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(pw: &str) -> Vec<&'static str> {
        policy_violations(pw, "someone@example.com").into_iter().map(|e| e.code).collect()
    }

    #[test]
    fn a_long_mixed_password_passes() {
        assert!(codes("correct-Horse-battery-9").is_empty());
    }

    #[test]
    fn each_rule_is_named() {
        assert!(codes("Short1!").contains(&"password_too_short"));
        assert!(codes("abcdefghijklmnop").contains(&"password_single_character_class"));
        assert!(codes("123456789012").contains(&"password_sequential"));
        assert!(codes("Ab1Ab1Ab1Ab1").contains(&"password_sequential"));
        assert!(codes("Password1234").contains(&"password_common"));
        assert!(codes("someone-Was-here-1").contains(&"password_common"));
    }
}
