//! Writing an organization's archive, and reading one into an empty Kensa.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Read, Write};
use std::path::Path;

use futures_util::StreamExt;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::tables::{Carried, TABLES};
use super::{FORMAT, Manifest, PERSONAL_FORMAT, Part, dump_table, load_table};
use crate::entities::{organizations, templates};
use crate::error::{DomainError, DomainResult, ErrorCode};

/// The tables whose rows name an evidence file (`sha256`, `storage_key`).
const FILES: [&str; 3] = ["evidence", "library_evidence", "share_evidence"];
/// Rows inserted per statement by the import.
const LOAD_CHUNK: usize = 200;
/// The largest part an import reads (a row file or an evidence file): above any real one.
const MAX_PART_BYTES: u64 = 4 << 30;

fn zip_error(e: impl std::fmt::Display) -> DomainError {
    DomainError::Internal(format!("the archive: {e}"))
}

fn io_error(e: std::io::Error) -> DomainError {
    DomainError::Internal(format!("writing the archive: {e}"))
}

/// Writes the archive of `org` to `path` and returns its manifest.
pub async fn write(k: &crate::Kensa, org: Uuid, path: &Path) -> DomainResult<Manifest> {
    write_with_progress(k, org, None, path, None).await
}

/// [`write`], of the rows naming one person of `org` when `subject` is given (their id), and
/// recording on the export `export` how many of the tables are written.
pub async fn write_with_progress(
    k: &crate::Kensa,
    org: Uuid,
    subject: Option<Uuid>,
    path: &Path,
    export: Option<Uuid>,
) -> DomainResult<Manifest> {
    let person = match subject {
        Some(id) => Some(
            crate::entities::users::Entity::find_by_id(id)
                .filter(crate::entities::users::Column::OrganizationId.eq(org))
                .one(&k.db)
                .await?
                .ok_or(DomainError::NotFound("user"))?,
        ),
        None => None,
    };
    let organization =
        organizations::Entity::find_by_id(org).one(&k.db).await?.ok_or(DomainError::NotFound("organization"))?;
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).map_err(io_error)?);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(true);
    let mut manifest = Manifest {
        format: if person.is_some() { PERSONAL_FORMAT } else { FORMAT }.into(),
        organization_id: org,
        organization_name: organization.name,
        subject_user_id: subject,
        exported_at: k.now(),
        tables: BTreeMap::new(),
        evidence: BTreeMap::new(),
        counterparties: BTreeMap::new(),
        builtin_templates: BTreeMap::new(),
    };
    let mut templates: BTreeSet<Uuid> = BTreeSet::new();
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut others: BTreeSet<Uuid> = BTreeSet::new();
    let carried: Vec<_> = TABLES.iter().filter(|t| t.carried == Carried::Yes).collect();
    for (done, table) in carried.iter().enumerate() {
        if let Some(export) = export {
            // The evidence files come after the tables: 90 % once the last table is written.
            let percent = i32::try_from(done * 90 / carried.len()).unwrap_or(0);
            super::exports::progressed(k, export, percent).await?;
        }
        // One person's archive holds the rows of the organization's that name them, and no
        // evidence files (the organization's documents, not their data).
        let condition = match &person {
            None => table.reach.condition(org),
            Some(p) => match table.naming(p.id, &p.email) {
                Some(naming) => sea_orm::Condition::all().add(table.reach.condition(org)).add(naming),
                None => continue,
            },
        };
        zip.start_file(format!("data/{}.jsonl", table.name), options).map_err(zip_error)?;
        let mut hasher = Sha256::new();
        let names_files = person.is_none() && FILES.contains(&table.name);
        let rows = dump_table(&k.db, table, condition, &mut |value| {
            if let Value::Object(map) = &value {
                if names_files
                    && let (Some(Value::String(sha)), Some(Value::String(key))) =
                        (map.get("sha256"), map.get("storage_key"))
                {
                    files.entry(sha.clone()).or_insert_with(|| key.clone());
                }
                for (column, v) in map {
                    let Some(id) = v.as_str().and_then(|s| s.parse::<Uuid>().ok()) else { continue };
                    if column.ends_with("organization_id") && id != org {
                        others.insert(id);
                    } else if column.ends_with("template_id") {
                        templates.insert(id);
                    }
                }
            }
            let mut line = serde_json::to_vec(&value).map_err(DomainError::internal)?;
            line.push(b'\n');
            hasher.update(&line);
            zip.write_all(&line).map_err(io_error)
        })
        .await?;
        manifest.tables.insert(table.name.into(), Part { rows, sha256: hex::encode(hasher.finalize()) });
    }
    for (sha, key) in files {
        let stored = k.evidence_store.get(&key).await?;
        zip.start_file(format!("evidence/{sha}"), options).map_err(zip_error)?;
        let mut body = stored.body;
        let mut size = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            size += chunk.len() as u64;
            zip.write_all(&chunk).map_err(io_error)?;
        }
        manifest.evidence.insert(sha, size);
    }
    for id in templates {
        if let Some(t) = templates::Entity::find_by_id(id).one(&k.db).await?
            && let (true, Some(hash)) = (t.builtin, t.builtin_hash)
        {
            manifest.builtin_templates.insert(id, hash);
        }
    }
    for other in others {
        if let Some(o) = organizations::Entity::find_by_id(other).one(&k.db).await? {
            manifest.counterparties.insert(other, o.name);
        }
    }
    zip.start_file("manifest.json", options).map_err(zip_error)?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest).map_err(DomainError::internal)?).map_err(io_error)?;
    zip.finish().map_err(zip_error)?.sync_all().map_err(io_error)?;
    Ok(manifest)
}

fn refused(detail: String) -> DomainError {
    DomainError::Conflict { code: ErrorCode::ImportRejected, detail }
}

/// Reads an archive into this Kensa as the organization it holds, with stand-ins (a name, no
/// users) for the organizations it dealt with that are not here. Refused when the
/// organization exists, or when a part does not match the manifest. Users come without
/// passwords (each sets one with a reset link), API keys cannot be used, webhook endpoints
/// are inactive with a new secret.
pub async fn import(k: &crate::Kensa, path: &Path) -> DomainResult<Manifest> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).map_err(io_error)?).map_err(zip_error)?;
    let manifest: Manifest = {
        let part = read_part(&mut zip, "manifest.json", 1 << 20)?;
        serde_json::from_slice(&part).map_err(|e| refused(format!("manifest.json: {e}")))?
    };
    if manifest.format != FORMAT {
        return Err(refused(format!("the archive's format is {:?}, not {FORMAT:?}", manifest.format)));
    }
    let org = manifest.organization_id;
    if organizations::Entity::find_by_id(org).one(&k.db).await?.is_some() {
        return Err(refused(format!("organization {org} is here already: import into a Kensa without it")));
    }
    // Built-in sheets are this Kensa's own: the rows point at its copy of each.
    let mut same_sheet: BTreeMap<String, Value> = BTreeMap::new();
    for (id, hash) in &manifest.builtin_templates {
        let here = templates::Entity::find()
            .filter(sea_orm::ColumnTrait::eq(&templates::Column::BuiltinHash, hash.as_str()))
            .one(&k.db)
            .await?
            .ok_or_else(|| refused(format!("this Kensa lacks the built-in check sheet {hash}: upgrade it first")))?;
        same_sheet.insert(id.to_string(), Value::from(here.id.to_string()));
    }
    let mut stored = BTreeSet::new();
    let tx = k.begin_write().await?;
    let now = tx.now();
    for (id, name) in &manifest.counterparties {
        if organizations::Entity::find_by_id(*id).one(&tx).await?.is_none() {
            let stand_in = organizations::Model { id: *id, name: name.clone(), created_at: now, verified_at: None };
            organizations::Entity::insert(sea_orm::IntoActiveModel::into_active_model(stand_in))
                .exec_without_returning(&tx)
                .await?;
        }
    }
    for table in TABLES.iter().filter(|t| t.carried == Carried::Yes) {
        let expected =
            manifest.tables.get(table.name).ok_or_else(|| refused(format!("the manifest lacks {}", table.name)))?;
        let name = format!("data/{}.jsonl", table.name);
        let bytes = read_part(&mut zip, &name, MAX_PART_BYTES)?;
        if hex::encode(Sha256::digest(&bytes)) != expected.sha256 {
            return Err(refused(format!("{name} does not match its SHA-256 in the manifest")));
        }
        let mut rows = Vec::new();
        let mut count = 0;
        for line in bytes.lines() {
            let line = line.map_err(io_error)?;
            let mut row: Value = serde_json::from_str(&line).map_err(|e| refused(format!("{name}: {e}")))?;
            restore_withheld(table.name, &mut row);
            if let Value::Object(map) = &mut row {
                for (column, value) in map.iter_mut() {
                    if column.ends_with("template_id")
                        && let Some(here) = value.as_str().and_then(|id| same_sheet.get(id))
                    {
                        *value = here.clone();
                    }
                }
            }
            if FILES.contains(&table.name) {
                let (sha, key) =
                    (row["sha256"].as_str().unwrap_or_default(), row["storage_key"].as_str().unwrap_or_default());
                if stored.insert(key.to_owned()) {
                    put_file(k, &mut zip, &manifest, sha, key).await?;
                }
            }
            rows.push(row);
            count += 1;
            if rows.len() == LOAD_CHUNK {
                load_table(&tx, table.name, std::mem::take(&mut rows)).await?;
            }
        }
        load_table(&tx, table.name, rows).await?;
        if count != expected.rows {
            return Err(refused(format!("{name} has {count} rows, the manifest says {}", expected.rows)));
        }
    }
    tx.commit().await?;
    Ok(manifest)
}

/// What the export left out, filled in so that nothing imported can be used to sign in or
/// to deliver: an API key that no key hashes to, an inactive endpoint with a new secret.
fn restore_withheld(table: &str, row: &mut Value) {
    let Value::Object(map) = row else { return };
    match table {
        "api_keys" => {
            let id = map.get("id").and_then(Value::as_str).unwrap_or_default().to_owned();
            map.insert("key_hash".into(), Value::from(format!("withheld-by-export:{id}")));
        }
        "webhook_endpoints" => {
            map.insert("secret".into(), Value::from(crate::webhooks::service::new_secret()));
            map.insert("active".into(), Value::Bool(false));
        }
        _ => {}
    }
}

fn read_part(zip: &mut zip::ZipArchive<std::fs::File>, name: &str, limit: u64) -> DomainResult<Vec<u8>> {
    let part = zip.by_name(name).map_err(|_| refused(format!("the archive lacks {name}")))?;
    if part.size() > limit {
        return Err(refused(format!("{name} is larger than {limit} bytes")));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(part.size()).unwrap_or(0));
    part.take(limit).read_to_end(&mut bytes).map_err(|e| refused(format!("{name}: {e}")))?;
    Ok(bytes)
}

async fn put_file(
    k: &crate::Kensa,
    zip: &mut zip::ZipArchive<std::fs::File>,
    manifest: &Manifest,
    sha: &str,
    key: &str,
) -> DomainResult<()> {
    let name = format!("evidence/{sha}");
    let size = *manifest.evidence.get(sha).ok_or_else(|| refused(format!("the manifest lacks {name}")))?;
    let bytes = read_part(zip, &name, size)?;
    if hex::encode(Sha256::digest(&bytes)) != sha {
        return Err(refused(format!("{name} does not have that SHA-256")));
    }
    let limit = usize::try_from(size).unwrap_or(usize::MAX);
    let staged = crate::assessments::staging::Stager::from_bytes(&k.uploads.staging_dir, &bytes, limit)
        .await
        .map_err(|e| DomainError::Internal(format!("staging {name}: {e:?}")))?;
    k.evidence_store.put(key, &staged).await
}
