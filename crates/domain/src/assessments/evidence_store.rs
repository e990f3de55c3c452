//! Where evidence files are kept, through `object_store`: the local directory (the default)
//! and an S3-compatible bucket (built by the API crate, which owns HTTP) are one code path.
//! Keys are made by Kensa (`<assessment>/<evidence>`), never by clients, and checked anyway.

use std::sync::Arc;

use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use tokio::io::AsyncReadExt;

use super::staging::Staged;
use crate::config::ConfigError;
use crate::error::{DomainError, DomainResult};

/// A file larger than this goes up in parts of this size (S3's smallest), read from the
/// staged file one at a time: a file being stored holds at most this much memory.
pub const PART_BYTES: usize = 5 * 1024 * 1024;

#[derive(Clone)]
pub struct EvidenceStore {
    objects: Arc<dyn ObjectStore>,
    /// Before every key: the evidence directory on the local file system, nothing in a bucket.
    root: Path,
    /// The local directory: a staged file is linked in rather than copied, and a failure is
    /// Kensa's own (500), not an unavailable dependency's (503).
    local: bool,
}

impl std::fmt::Debug for EvidenceStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EvidenceStore({}, {})", self.objects, self.root)
    }
}

/// A stored file on its way out: read a chunk at a time, never held whole.
pub struct StoredFile {
    pub size: u64,
    pub body: BoxStream<'static, DomainResult<bytes::Bytes>>,
}

impl EvidenceStore {
    /// Files under `dir` (created with the first file, not before).
    pub fn local(dir: &std::path::Path) -> Result<Self, ConfigError> {
        let invalid =
            |e: &dyn std::fmt::Display| ConfigError::new("KENSA_DATA_DIR", format!("evidence directory: {e}"));
        let absolute = std::path::absolute(dir).map_err(|e| invalid(&e))?;
        let root = Path::from_absolute_path(&absolute).map_err(|e| invalid(&e))?;
        // Rooted at `/` so that a staged upload (outside `dir`) can be linked in by `copy`.
        Ok(Self { objects: Arc::new(LocalFileSystem::new()), root, local: true })
    }

    /// Any other store, e.g. S3 (keys are used as they are, without a prefix).
    pub fn remote(objects: Arc<dyn ObjectStore>) -> Self {
        Self { objects, root: Path::default(), local: false }
    }

    fn location(&self, key: &str) -> DomainResult<Path> {
        if key.split('/').any(|part| part.is_empty() || part == "." || part == ".." || part.contains('\\')) {
            return Err(DomainError::internal("invalid storage key"));
        }
        Ok(key.split('/').fold(self.root.clone(), |path, part| path.join(part)))
    }

    fn failed(&self, e: object_store::Error) -> DomainError {
        failure(self.local, e)
    }

    /// Stores the staged file under `key` (its size and SHA-256 are known).
    pub async fn put(&self, key: &str, file: &Staged) -> DomainResult<()> {
        let to = self.location(key)?;
        if self.local {
            // The staging directory is on the same file system as a rule: `copy` makes a
            // hard link (then renames it into place), which costs no copy. Otherwise, below.
            let from = std::path::absolute(file.path()).ok().and_then(|p| Path::from_absolute_path(p).ok());
            if let Some(from) = from
                && self.objects.copy(&from, &to).await.is_ok()
            {
                return Ok(());
            }
        }
        let mut reader = tokio::fs::File::open(file.path()).await.map_err(DomainError::internal)?;
        if file.size <= PART_BYTES {
            let whole = read_part(&mut reader, file.size).await?;
            return self.objects.put(&to, whole).await.map(drop).map_err(|e| self.failed(e));
        }
        let mut upload = self.objects.put_multipart(&to).await.map_err(|e| self.failed(e))?;
        let sent = async {
            loop {
                let part = read_part(&mut reader, PART_BYTES).await?;
                if part.content_length() == 0 {
                    return Ok(());
                }
                upload.put_part(part).await.map_err(|e| self.failed(e))?;
            }
        }
        .await;
        match sent {
            Ok(()) => upload.complete().await.map(drop).map_err(|e| self.failed(e)),
            Err(e) => {
                let _ = upload.abort().await;
                Err(e)
            }
        }
    }

    /// The file as a stream; 404 `evidence` when it is not there.
    pub async fn get(&self, key: &str) -> DomainResult<StoredFile> {
        let found = self.objects.get(&self.location(key)?).await.map_err(|e| self.failed(e))?;
        let local = self.local;
        Ok(StoredFile { size: found.meta.size, body: found.into_stream().map_err(move |e| failure(local, e)).boxed() })
    }

    /// Removes the file; one already gone is not an error.
    pub async fn delete(&self, key: &str) -> DomainResult<()> {
        match self.objects.delete(&self.location(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.failed(e)),
        }
    }
}

/// Up to `limit` bytes of the file, from where it was left.
async fn read_part(reader: &mut tokio::fs::File, limit: usize) -> DomainResult<PutPayload> {
    let mut part = Vec::with_capacity(limit);
    reader.take(limit as u64).read_to_end(&mut part).await.map_err(DomainError::internal)?;
    Ok(part.into())
}

fn failure(local: bool, e: object_store::Error) -> DomainError {
    match e {
        object_store::Error::NotFound { .. } => DomainError::NotFound("evidence"),
        e if local => DomainError::internal(format!("evidence directory: {e}")),
        e => DomainError::Unavailable(format!("object storage: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_could_leave_the_store_are_refused() -> Result<(), Box<dyn std::error::Error>> {
        let store = EvidenceStore::local(std::path::Path::new("/srv/kensa/evidence"))?;
        for key in ["../etc/passwd", "a/../../b", "a//b", "/a", "a/", "a\\b", "./a", ""] {
            assert!(store.location(key).is_err(), "{key:?} was accepted");
        }
        assert_eq!(store.location("a1/b2")?.as_ref(), "srv/kensa/evidence/a1/b2");
        Ok(())
    }

    #[tokio::test]
    async fn a_file_larger_than_a_part_goes_up_in_parts_and_comes_back_whole() -> Result<(), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let store = EvidenceStore::remote(Arc::new(object_store::memory::InMemory::new()));
        let bytes: Vec<u8> = (0..PART_BYTES * 2 + 7).map(|i| (i % 251) as u8).collect();
        let staged = super::super::staging::Stager::from_bytes(dir.path(), &bytes, bytes.len() + 1)
            .await
            .map_err(|e| format!("{e:?}"))?;
        store.put("a1/b2", &staged).await?;
        let got = store.get("a1/b2").await?;
        assert_eq!(got.size, bytes.len() as u64);
        let chunks: Vec<bytes::Bytes> = got.body.try_collect().await?;
        assert_eq!(chunks.concat(), bytes);
        store.delete("a1/b2").await?;
        store.delete("a1/b2").await?;
        assert!(matches!(store.get("a1/b2").await, Err(DomainError::NotFound("evidence"))));
        Ok(())
    }

    #[tokio::test]
    async fn a_local_store_links_the_staged_file_in() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = EvidenceStore::local(&dir.path().join("evidence"))?;
        let staged = super::super::staging::Stager::from_bytes(&dir.path().join("uploads"), b"%PDF-1.7", 100)
            .await
            .map_err(|e| format!("{e:?}"))?;
        store.put("a1/b2", &staged).await?;
        let stored = dir.path().join("evidence/a1/b2");
        assert_eq!(std::fs::read(&stored)?, b"%PDF-1.7");
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            assert_eq!(
                std::fs::metadata(&stored)?.ino(),
                std::fs::metadata(staged.path())?.ino(),
                "a link, not a copy"
            );
        }
        let chunks: Vec<bytes::Bytes> = store.get("a1/b2").await?.body.try_collect().await?;
        assert_eq!(chunks.concat(), b"%PDF-1.7");
        Ok(())
    }
}
