//! The built-in check sheet, compiled into the binary and loaded into the database at start.
//!
//! Loading is idempotent: the content's SHA-256 identifies a version, so a restart or a
//! second replica changes nothing, and a changed data file becomes a new version rather
//! than an edit of one that assessments may use.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use sha2::{Digest, Sha256};
use tracing::info;

use super::model::TemplateDocument;
use crate::Kensa;
use crate::entities::templates;
use crate::error::{DomainError, DomainResult};

pub const BUILTIN_OWNER: &str = "builtin";

/// The built-in JAMA/JAPIA check sheet's key (its line, with [`BUILTIN_OWNER`]).
pub const JAMA_JAPIA_KEY: &str = "jama-japia";

/// The JAMA/JAPIA check sheet (see `crates/domain/catalog/` and the README).
pub const JAMA_JAPIA_JSON: &str = include_str!("../../catalog/jama-japia.json");

pub fn builtin_documents() -> DomainResult<Vec<TemplateDocument>> {
    let doc: TemplateDocument = serde_json::from_str(JAMA_JAPIA_JSON)
        .map_err(|e| DomainError::internal(format!("built-in catalog does not parse: {e}")))?;
    let problems = doc.violations();
    if !problems.is_empty() {
        return Err(DomainError::internal(format!("built-in catalog is invalid: {problems:?}")));
    }
    Ok(vec![doc])
}

/// Hash of the canonical serialisation: formatting changes in the file are not a new version.
pub fn content_hash(doc: &TemplateDocument) -> DomainResult<String> {
    let canonical = serde_json::to_vec(doc).map_err(DomainError::internal)?;
    Ok(hex::encode(Sha256::digest(&canonical)))
}

#[derive(Debug, Clone)]
pub struct LoadedBuiltin {
    pub key: String,
    pub version: i32,
    pub created: bool,
}

pub async fn ensure_builtins(k: &Kensa) -> DomainResult<Vec<LoadedBuiltin>> {
    let mut loaded = Vec::new();
    for doc in builtin_documents()? {
        loaded.push(ensure_one(k, &doc).await?);
    }
    Ok(loaded)
}

async fn ensure_one(k: &Kensa, doc: &TemplateDocument) -> DomainResult<LoadedBuiltin> {
    let hash = content_hash(doc)?;
    // Two attempts: a replica racing us may insert the same version between our read and write.
    for _ in 0..2 {
        if let Some(existing) =
            templates::Entity::find().filter(templates::Column::BuiltinHash.eq(&hash)).one(&k.db).await?
        {
            return Ok(LoadedBuiltin { key: existing.key, version: existing.version, created: false });
        }
        let latest = templates::Entity::find()
            .filter(templates::Column::OwnerKey.eq(BUILTIN_OWNER))
            .filter(templates::Column::Key.eq(&doc.key))
            .order_by_desc(templates::Column::Version)
            .one(&k.db)
            .await?;
        let version = latest.map_or(1, |t| t.version + 1);
        let tx = k.begin_write().await?;
        let row = super::repo::new_row(doc, None, version, Some(hash.clone()), None, tx.now())?;
        match templates::Entity::insert(templates::ActiveModel::from(row)).exec_without_returning(&tx).await {
            Ok(_) => {
                tx.commit().await?;
                info!(key = %doc.key, version, "built-in template loaded");
                return Ok(LoadedBuiltin { key: doc.key.clone(), version, created: true });
            }
            Err(e) if crate::error::is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(DomainError::internal("could not load the built-in template"))
}
