//! `kensa-api backup`: a copy of the SQLite database taken while the app writes is a
//! checked snapshot that a server opens; a backup never overwrites a file; on PostgreSQL
//! it points to pg_dump. The drill at scale is `tools/ops/backup_drill.py`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use kensa_domain::backup::{self, BackupError};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use crate::helpers::{PASSWORD, TestResult, spawn_app, spawn_app_with, unique_email};

async fn suppliers_in(db: &sea_orm::DatabaseConnection) -> Result<i64, Box<dyn std::error::Error>> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), "SELECT count(*) FROM suppliers"))
        .await?
        .ok_or("no count")?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

#[tokio::test]
async fn a_sqlite_backup_taken_while_the_app_writes_is_a_snapshot_that_a_server_opens() -> TestResult {
    let app = spawn_app().await;
    let dir = std::env::temp_dir().join(format!("kensa-backup-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    let output = dir.join("kensa.db");
    if !app.settings.is_sqlite() {
        let refused = backup::sqlite_snapshot(&app.kensa, &output).await;
        assert!(matches!(refused, Err(BackupError::NotSqlite)), "{refused:?}");
        assert!(refused.err().map(|e| e.to_string()).unwrap_or_default().contains("pg_dump"));
        assert!(!output.exists());
        return Ok(());
    }
    let buyer = app.signup("Backup Buyer").await;
    for n in 0..3 {
        app.create_supplier(&buyer, &format!("Before {n}"), 1).await;
    }

    // Suppliers keep being created while the copy is made.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (client, url, token, stop) =
            (app.client.clone(), app.url("/api/v1/suppliers"), buyer.access_token.clone(), stop.clone());
        tokio::spawn(async move {
            let mut created = 0;
            while !stop.load(Ordering::SeqCst) {
                let body = json!({ "name": format!("During {created}"), "contact_email": unique_email("during"), "tier": "tier1" });
                let sent = client.post(&url).bearer_auth(&token).json(&body).send().await;
                if sent.map(|r| r.status()).ok() != Some(StatusCode::CREATED) {
                    return Err("a write failed during the backup");
                }
                created += 1;
            }
            Ok(created)
        })
    };
    let before = suppliers_in(&app.db).await?;
    let snapshot = backup::sqlite_snapshot(&app.kensa, &output).await?;
    let after_backup = suppliers_in(&app.db).await?;
    stop.store(true, Ordering::SeqCst);
    writer.await??;

    assert_eq!(snapshot.path, output);
    assert_eq!(snapshot.bytes, std::fs::metadata(&output)?.len());
    assert!(snapshot.counts.contains(&("organizations", 1)), "{:?}", snapshot.counts);
    let leftovers: Vec<_> = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "the partial file is gone: {leftovers:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&output)?.permissions().mode() & 0o777, 0o600, "it holds password hashes");
    }

    // A server on the copy (the restore: the file as the data directory's kensa.db).
    let restored = spawn_app_with(|vars| {
        vars.insert("KENSA_DATA_DIR".into(), dir.display().to_string());
    })
    .await;
    let copied = suppliers_in(&restored.db).await?;
    assert!(
        before <= copied && copied <= after_backup,
        "{before} ≤ {copied} ≤ {after_backup}: a snapshot of the time of the backup"
    );
    let login = restored.login(&buyer.email, PASSWORD).await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let token = login.body["access_token"].as_str().ok_or("access_token")?;
    let listed = restored.get("/api/v1/suppliers?limit=200", Some(token)).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(usize::try_from(copied)?));

    // A second backup to the same file is refused and leaves the first alone.
    let size = std::fs::metadata(&output)?.len();
    let again = backup::sqlite_snapshot(&app.kensa, &output).await;
    assert!(matches!(again, Err(BackupError::Exists(_))), "{again:?}");
    assert_eq!(std::fs::metadata(&output)?.len(), size);
    // A name that would mean something else inside a URL is opened (and checked) as a name.
    let odd = dir.join("kensa ?mode=memory#x%20.db");
    let checked = backup::sqlite_snapshot(&app.kensa, &odd).await?;
    assert!(checked.counts.contains(&("organizations", 1)), "{:?}", checked.counts);
    drop(restored);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
