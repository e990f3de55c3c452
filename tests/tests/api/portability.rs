//! An organization's archive (issue 18): written from one Kensa, read into an empty one, and
//! written again there, it is the same record by record and file by file.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, TestResult, spawn_app};
use kensa_domain::audit::verify::{self, ChainStatus};
use kensa_domain::portability::{Manifest, archive};

type Parts = BTreeMap<String, Vec<u8>>;

fn parts(path: &Path) -> Result<Parts, Box<dyn std::error::Error>> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path)?)?;
    let mut parts = BTreeMap::new();
    for i in 0..zip.len() {
        let mut part = zip.by_index(i)?;
        let mut bytes = Vec::new();
        part.read_to_end(&mut bytes)?;
        parts.insert(part.name()?.into_owned(), bytes);
    }
    Ok(parts)
}

/// The rows of one data part, each built-in sheet named by its content hash instead of its id
/// (each Kensa has its own copy of the catalog).
fn rows(parts: &Parts, manifest: &Manifest, table: &str) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    let text = std::str::from_utf8(parts.get(&format!("data/{table}.jsonl")).ok_or("missing part")?)?;
    let mut rows = Vec::new();
    for line in text.lines() {
        let mut row: Value = serde_json::from_str(line)?;
        if let Value::Object(map) = &mut row {
            for (column, value) in map.iter_mut() {
                let builtin =
                    value.as_str().and_then(|id| id.parse().ok()).and_then(|id| manifest.builtin_templates.get(&id));
                if column.ends_with("template_id")
                    && let Some(hash) = builtin
                {
                    *value = Value::from(format!("builtin:{hash}"));
                }
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

async fn round_trip(from: &TestApp, member: &Member, dir: &Path) -> TestResult {
    let org = member.org_id.parse()?;
    let first = dir.join(format!("{org}-first.zip"));
    let exported = archive::write(&from.kensa, org, &first).await?;

    let empty = spawn_app().await;
    let imported = archive::import(&empty.kensa, &first).await?;
    assert_eq!(imported, exported);
    let second = dir.join(format!("{org}-second.zip"));
    let again = archive::write(&empty.kensa, org, &second).await?;

    let (a, b) = (parts(&first)?, parts(&second)?);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "the same parts");
    assert!(exported.tables.values().map(|p| p.rows).sum::<u64>() > 20, "{:?}", exported.tables);
    for (table, part) in &exported.tables {
        assert_eq!(again.tables[table].rows, part.rows, "{table}: as many rows");
        assert_eq!(rows(&a, &exported, table)?, rows(&b, &again, table)?, "{table}: the same rows");
    }
    assert!(!exported.evidence.is_empty());
    assert_eq!(again.evidence, exported.evidence);
    for sha in exported.evidence.keys() {
        let name = format!("evidence/{sha}");
        assert_eq!(a[&name], b[&name], "{name}: the same bytes");
    }
    assert_eq!((again.counterparties, again.organization_name), (exported.counterparties, exported.organization_name));

    // The trail came along whole: its chain verifies there, to the same head.
    let (here, there) =
        (verify::verify(&from.kensa, Some(org), None).await?, verify::verify(&empty.kensa, Some(org), None).await?);
    assert_eq!((there.status, there.head_hash, there.events), (ChainStatus::Intact, here.head_hash, here.events));
    // Nothing imported signs anyone in: no password hash left the first Kensa.
    assert!(!String::from_utf8_lossy(&a["data/users.jsonl"]).contains("argon2"));
    empty.login(&member.email, crate::helpers::PASSWORD).await.assert_problem(401, "invalid_credentials");
    // A second import of the same organization is refused, and changes nothing.
    let refused = archive::import(&empty.kensa, &first).await;
    assert!(refused.is_err_and(|e| e.to_string().contains("is here already")));
    Ok(())
}

#[tokio::test]
async fn a_buyers_and_a_suppliers_archive_import_into_an_empty_kensa_record_by_record_and_file_by_file() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    assert_eq!(app.answer_all(&supplier, &assessment).await.status, StatusCode::OK);
    let uploaded = app.upload_evidence(&supplier, &assessment, "policy.txt", "text/plain", b"policy\n".to_vec()).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let comment = json!({ "body": "Please attach the incident procedure." });
    let commented =
        app.post(&format!("/api/v1/assessments/{assessment}/comments"), Some(&buyer.access_token), comment).await;
    assert_eq!(commented.status, StatusCode::CREATED, "{}", commented.body);
    let submitted =
        app.post(&format!("/api/v1/assessments/{assessment}/submit"), Some(&supplier.access_token), json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);

    let dir = tempfile::tempdir()?;
    round_trip(&app, &supplier, dir.path()).await?;
    round_trip(&app, &buyer, dir.path()).await
}

#[tokio::test]
async fn every_table_of_the_schema_says_how_it_belongs_to_an_organization() -> TestResult {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    let app = spawn_app().await;
    let backend = app.db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let mut found = Vec::new();
    for row in app.db.query_all_raw(Statement::from_string(backend, sql)).await? {
        found.push(row.try_get::<String>("", "name")?);
    }
    found.sort();
    let tables = kensa_domain::portability::tables::TABLES.iter().map(|t| t.name);
    let mut known: Vec<String> = tables
        .chain(kensa_domain::portability::tables::NOT_ORGANIZATION_DATA.iter().copied())
        .map(str::to_owned)
        .collect();
    known.sort();
    assert_eq!(found, known, "a new table must say how it belongs to an organization (portability::tables)");
    Ok(())
}

/// Every column that names a person (`*_by`, `*user_id`, `*email`) is one a personal-data
/// request finds them by (`Table::people`): a new one cannot be forgotten by the export or the
/// erasure of a person.
#[tokio::test]
async fn every_column_naming_a_person_is_known_to_personal_data_requests() -> TestResult {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    let app = spawn_app().await;
    let backend = app.db.get_database_backend();
    let mut missing = Vec::new();
    for table in kensa_domain::portability::tables::TABLES {
        let sql = match backend {
            DatabaseBackend::Postgres => format!(
                "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name = '{}'",
                table.name
            ),
            _ => format!("SELECT name FROM pragma_table_info('{}')", table.name),
        };
        for row in app.db.query_all_raw(Statement::from_string(backend, sql)).await? {
            let column: String = row.try_get("", "name")?;
            // `jobs.locked_by` names the worker process holding a job, not a person.
            let names_a_person = ["_by", "user_id", "email"].iter().any(|end| column.ends_with(end))
                && (table.name, column.as_str()) != ("jobs", "locked_by");
            if names_a_person && !table.people.contains(&column.as_str()) {
                missing.push(format!("{}.{column}", table.name));
            }
        }
    }
    assert!(missing.is_empty(), "columns naming a person missing from portability::tables: {missing:?}");
    Ok(())
}

#[tokio::test]
async fn an_owner_exports_follows_the_progress_and_downloads_the_archive_once() -> TestResult {
    use sha2::Digest;
    let app = spawn_app().await;
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    assert_eq!(app.answer_all(&supplier, &assessment).await.status, StatusCode::OK);
    let owner = Some(supplier.access_token.as_str());

    let admin = app.add_member(&supplier, "admin").await;
    app.post("/api/v1/organization/export", Some(&admin.access_token), json!({}))
        .await
        .assert_problem(403, "forbidden");
    let started = app.post("/api/v1/organization/export", owner, json!({})).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    assert_eq!((started.body["status"].as_str(), started.body["progress"].as_i64()), (Some("queued"), Some(0)));
    let id = started.body["id"].as_str().ok_or("no id")?.to_owned();
    app.post("/api/v1/organization/export", owner, json!({})).await.assert_problem(409, "export_running");
    app.post(&format!("/api/v1/organization/exports/{id}/link"), owner, json!({}))
        .await
        .assert_problem(409, "export_not_ready");
    // Another organization's export is not found.
    app.get(&format!("/api/v1/organization/exports/{id}"), Some(&buyer.access_token))
        .await
        .assert_problem(404, "not_found");

    app.run_worker().await;
    let done = app.get(&format!("/api/v1/organization/exports/{id}"), owner).await;
    assert_eq!(
        (done.body["status"].as_str(), done.body["progress"].as_i64()),
        (Some("ready"), Some(100)),
        "{}",
        done.body
    );
    assert_eq!(done.body["rows"]["assessments"], 1);
    assert_eq!(done.body["rows"]["answers"].as_u64().map(|n| n > 0), Some(true));

    let link = app.post(&format!("/api/v1/organization/exports/{id}/link"), owner, json!({})).await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.body);
    let url = link.body["url"].as_str().ok_or("no url")?;
    let path = &url[url.find("/api/v1/exports/download/").ok_or("no download path")?..];
    let archive = app.get(path, None).await;
    assert_eq!(archive.status, StatusCode::OK);
    assert_eq!(archive.content_type(), "application/zip");
    let sha = hex::encode(sha2::Sha256::digest(&archive.bytes));
    assert_eq!((archive.header("x-checksum-sha256"), done.body["sha256"].as_str()), (sha.as_str(), Some(sha.as_str())));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive.bytes.clone()))?;
    let manifest: Manifest = serde_json::from_reader(zip.by_name("manifest.json")?)?;
    assert_eq!(manifest.organization_id.to_string(), supplier.org_id);
    // Once only.
    app.get(path, None).await.assert_problem(410, "link_invalid");
    // A link unused for 15 minutes is spent too.
    let late = app.post(&format!("/api/v1/organization/exports/{id}/link"), owner, json!({})).await;
    let url = late.body["url"].as_str().ok_or("no url")?;
    app.clock.advance(chrono::Duration::minutes(16));
    app.get(&url[url.find("/api/v1/exports/download/").ok_or("no path")?..], None)
        .await
        .assert_problem(410, "link_invalid");
    app.get("/api/v1/exports/download/not-a-token", None).await.assert_problem(410, "link_invalid");

    let supplier = app.signed_in_again(&supplier).await;
    let listed = app.get("/api/v1/organization/exports", Some(&supplier.access_token)).await;
    assert_eq!(listed.body["data"][0]["id"], id.as_str());
    assert!(listed.body["data"][0]["downloaded_at"].is_string());
    let trail =
        app.get("/api/v1/audit-events?action=organization.export_downloaded", Some(&supplier.access_token)).await;
    assert_eq!(trail.body["data"].as_array().map(Vec::len), Some(1));

    // A week later the archive is gone.
    app.clock.advance(chrono::Duration::days(8));
    app.run_worker().await;
    let supplier = app.signed_in_again(&supplier).await;
    let expired = app.get(&format!("/api/v1/organization/exports/{id}"), Some(&supplier.access_token)).await;
    assert_eq!(expired.body["status"], "expired");
    let token = Some(supplier.access_token.as_str());
    app.post(&format!("/api/v1/organization/exports/{id}/link"), token, json!({}))
        .await
        .assert_problem(409, "export_not_ready");
    Ok(())
}
