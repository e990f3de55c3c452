//! The `.eml` outbox of the embedded mode. Files are named for people looking for a mail:
//! `20261126T055238.123Z_sato@example.com_kensa-security-self-assessment-request.eml`
//! (UTC time, recipient, subject slug), so `ls outbox/*sato@example.com*` finds them and
//! the names sort by time.

use std::io::ErrorKind;
use std::path::Path;

use chrono::{DateTime, Utc};

const MAX_RECIPIENT: usize = 80;
const MAX_SLUG: usize = 60;

/// The recipient with anything a file system (or a shell) could trip on replaced by `_`.
fn recipient_part(to: &str) -> String {
    to.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '@' | '.' | '-' | '+') { c } else { '_' })
        .take(MAX_RECIPIENT)
        .collect::<String>()
        .trim_start_matches('.')
        .to_owned()
}

/// Lower-case ASCII words of the subject joined by `-` (Japanese parts drop out).
fn slug(subject: &str) -> String {
    let words: Vec<String> = subject
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut out = String::new();
    for word in words {
        if out.len() + word.len() + 1 > MAX_SLUG {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word);
    }
    if out.is_empty() { "mail".to_owned() } else { out }
}

/// The file name without its extension.
pub fn file_stem(at: DateTime<Utc>, to: &str, subject: &str) -> String {
    format!("{}_{}_{}", at.format("%Y%m%dT%H%M%S%.3fZ"), recipient_part(to), slug(subject))
}

/// Writes the mail under a free name (`stem.eml`, else `stem_2.eml`, …). The bytes go to a
/// hidden temporary file first and are hard-linked into place, which never overwrites and
/// never shows a half-written `.eml` to a reader.
pub async fn write(dir: &Path, stem: &str, bytes: &[u8]) -> std::io::Result<()> {
    let temp = dir.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
    tokio::fs::write(&temp, bytes).await?;
    let mut result = Err(std::io::Error::new(ErrorKind::AlreadyExists, "no free outbox name"));
    for n in 1..=1000 {
        let name = if n == 1 { format!("{stem}.eml") } else { format!("{stem}_{n}.eml") };
        match tokio::fs::hard_link(&temp, dir.join(name)).await {
            Ok(()) => {
                result = Ok(());
                break;
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let _ = tokio::fs::remove_file(&temp).await;
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_say_when_to_whom_and_what() {
        let at = DateTime::parse_from_rfc3339("2026-11-26T05:52:38.123Z").map(|d| d.with_timezone(&Utc));
        let stem = file_stem(at.unwrap_or_default(), "Sato/../x@Example.com", "Kensa: 組織への招待 / Invitation");
        assert_eq!(stem, "20261126T055238.123Z_sato_.._x@example.com_kensa-invitation");
    }
}
