//! An upload on its way in: written to a temporary file under the data directory while its
//! SHA-256, size, first bytes and UTF-8 validity are computed, so that no upload is ever held
//! in memory whole (the store then takes the file). `tempfile` gives a private (0600) file
//! created exclusively, and removes it however the request ends.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::error::{DomainError, DomainResult};

/// How many leading bytes are kept to check a type's signature ("magic bytes").
const HEAD_BYTES: usize = 16;

/// Why a chunk was not taken.
#[derive(Debug)]
pub enum StageError {
    /// The file exceeds the limit (bytes): answer 413.
    TooLarge(usize),
    Failed(DomainError),
}

impl From<DomainError> for StageError {
    fn from(e: DomainError) -> Self {
        Self::Failed(e)
    }
}

/// A file being received.
pub struct Stager {
    file: tokio::fs::File,
    path: tempfile::TempPath,
    hasher: Sha256,
    size: usize,
    limit: usize,
    head: Vec<u8>,
    utf8: Utf8Check,
}

/// A file received whole, ready for the store. Its temporary file goes when this is dropped.
pub struct Staged {
    path: tempfile::TempPath,
    pub size: usize,
    pub sha256: String,
    pub head: Vec<u8>,
    /// The whole file is valid UTF-8 (what text types require).
    pub utf8: bool,
}

impl Staged {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A file written elsewhere (an organization's export archive), measured and hashed; it
    /// is removed when dropped, as an upload is.
    pub async fn adopt(path: tempfile::TempPath) -> DomainResult<Self> {
        use tokio::io::AsyncReadExt;
        let mut file = tokio::fs::File::open(&path).await.map_err(|e| io("reading a staged file", &path, e))?;
        let (mut hasher, mut size, mut head, mut utf8) = (Sha256::new(), 0, Vec::new(), Utf8Check::default());
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = file.read(&mut buffer).await.map_err(|e| io("reading a staged file", &path, e))?;
            if n == 0 {
                break;
            }
            let chunk = &buffer[..n];
            if head.len() < HEAD_BYTES {
                head.extend_from_slice(&chunk[..(HEAD_BYTES - head.len()).min(n)]);
            }
            hasher.update(chunk);
            utf8.feed(chunk);
            size += n;
        }
        Ok(Self { path, size, sha256: hex::encode(hasher.finalize()), head, utf8: utf8.finish() })
    }
}

impl Stager {
    /// A new temporary file in `dir` (created if missing) for at most `limit` bytes.
    pub async fn new(dir: &Path, limit: usize) -> DomainResult<Self> {
        tokio::fs::create_dir_all(dir).await.map_err(|e| io("creating the upload directory", dir, e))?;
        let dir: PathBuf = dir.to_owned();
        let named = tokio::task::spawn_blocking(move || tempfile::Builder::new().prefix("upload-").tempfile_in(&dir))
            .await
            .map_err(DomainError::internal)?
            .map_err(|e| DomainError::internal(format!("creating an upload file: {e}")))?;
        let (file, path) = named.into_parts();
        Ok(Self {
            file: tokio::fs::File::from_std(file),
            path,
            hasher: Sha256::new(),
            size: 0,
            limit,
            head: Vec::with_capacity(HEAD_BYTES),
            utf8: Utf8Check::default(),
        })
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), StageError> {
        if self.size + chunk.len() > self.limit {
            return Err(StageError::TooLarge(self.limit));
        }
        self.size += chunk.len();
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.hasher.update(chunk);
        self.utf8.feed(chunk);
        self.file.write_all(chunk).await.map_err(|e| StageError::Failed(io("writing an upload", &self.path, e)))
    }

    pub async fn finish(mut self) -> DomainResult<Staged> {
        self.file.flush().await.map_err(|e| io("writing an upload", &self.path, e))?;
        self.file.sync_all().await.map_err(|e| io("writing an upload", &self.path, e))?;
        Ok(Staged {
            path: self.path,
            size: self.size,
            sha256: hex::encode(self.hasher.finalize()),
            head: self.head,
            utf8: self.utf8.finish(),
        })
    }

    /// Stages bytes already in memory (GraphQL's base64 uploads).
    pub async fn from_bytes(dir: &Path, bytes: &[u8], limit: usize) -> Result<Staged, StageError> {
        let mut stager = Self::new(dir, limit).await?;
        stager.write(bytes).await?;
        Ok(stager.finish().await?)
    }
}

fn io(what: &str, path: &Path, e: std::io::Error) -> DomainError {
    DomainError::internal(format!("{what} ({}): {e}", path.display()))
}

/// UTF-8 validation over chunks that may split a character (public for the fuzz target
/// `evidence_upload`, which holds it to `std::str::from_utf8` on the whole file).
#[derive(Default)]
pub struct Utf8Check {
    failed: bool,
    /// The start of a character cut by the chunk boundary (at most 3 bytes).
    carry: Vec<u8>,
}

impl Utf8Check {
    pub fn feed(&mut self, mut rest: &[u8]) {
        if self.failed {
            return;
        }
        // Complete the cut character byte by byte (at most 3 more).
        while !self.carry.is_empty() {
            let Some((&byte, tail)) = rest.split_first() else { return };
            self.carry.push(byte);
            rest = tail;
            match std::str::from_utf8(&self.carry) {
                Ok(_) => self.carry.clear(),
                Err(e) if e.error_len().is_none() => {}
                Err(_) => {
                    self.failed = true;
                    return;
                }
            }
        }
        match std::str::from_utf8(rest) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => self.carry = rest[e.valid_up_to()..].to_vec(),
            Err(_) => self.failed = true,
        }
    }

    pub fn finish(self) -> bool {
        !self.failed && self.carry.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::Utf8Check;

    fn check(chunks: &[&[u8]]) -> bool {
        let mut c = Utf8Check::default();
        for chunk in chunks {
            c.feed(chunk);
        }
        c.finish()
    }

    #[test]
    fn utf8_is_checked_across_chunk_boundaries() {
        let text = "検査 report, ok".as_bytes();
        for cut in 0..text.len() {
            assert!(check(&[&text[..cut], &text[cut..]]), "cut at {cut}");
            for cut2 in cut..text.len() {
                assert!(check(&[&text[..cut], &text[cut..cut2], &text[cut2..]]), "cuts at {cut}, {cut2}");
            }
        }
        assert!(!check(&[b"ok \xFF"]));
        assert!(!check(&[&text[..1], b"\xE6"]), "a truncated character at the end");
        assert!(!check(&[b"\xE6", b"\x41"]), "a broken sequence across chunks");
    }
}

/// Temporary files a crashed process left behind: any `upload-*` file in `dir` older than
/// `age`. Younger ones may belong to another replica sharing the directory, mid-upload.
/// Returns how many were removed; a missing directory removes nothing.
pub fn sweep_stale(dir: &Path, age: std::time::Duration) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|elapsed| elapsed > age);
        if entry.file_name().to_string_lossy().starts_with("upload-") && stale {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod sweep_tests {
    use super::*;

    #[test]
    fn only_old_upload_files_are_swept() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("upload-abc"), b"x")?;
        std::fs::write(dir.path().join("keep-me"), b"x")?;
        // Everything is younger than an hour: nothing goes.
        assert_eq!(sweep_stale(dir.path(), std::time::Duration::from_secs(3600))?, 0);
        // With no grace every upload file is stale, and only upload files go.
        assert_eq!(sweep_stale(dir.path(), std::time::Duration::ZERO)?, 1);
        assert!(dir.path().join("keep-me").exists());
        assert!(!dir.path().join("upload-abc").exists());
        assert_eq!(sweep_stale(&dir.path().join("missing"), std::time::Duration::ZERO)?, 0);
        Ok(())
    }
}
