//! Erasing an organization (issue 18): scheduled by an owner who signs in again, cancellable
//! for the grace period, then carried out by the worker on the injected clock. What a buyer
//! keeps of the erased supplier's answers stays, with placeholders; nothing else of the
//! organization is left in any table.

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{Member, PASSWORD, TestApp, TestResult, spawn_app};

async fn erase_user(app: &TestApp, by: &Member, user_id: &str, password: &str) -> crate::helpers::Reply {
    let body = json!({ "password": password });
    app.request(Method::DELETE, &format!("/api/v1/users/{user_id}"), Some(&by.access_token), Some(body)).await
}

async fn erase(app: &TestApp, member: &Member, password: &str) -> crate::helpers::Reply {
    app.request(
        Method::DELETE,
        "/api/v1/organization",
        Some(&member.access_token),
        Some(json!({ "password": password })),
    )
    .await
}

/// Every row of every table as one text each, `(table, row)`: uuids as written and, where
/// SQLite keeps them as blobs, as hex.
async fn every_row(app: &TestApp) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    let backend = app.db.get_database_backend();
    let tables = match backend {
        DatabaseBackend::Postgres => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let mut rows = Vec::new();
    for table in app.db.query_all_raw(Statement::from_string(backend, tables)).await? {
        let name: String = table.try_get("", "name")?;
        let select = match backend {
            DatabaseBackend::Postgres => format!("SELECT CAST(t AS TEXT) AS row FROM \"{name}\" t"),
            _ => {
                let columns = format!("SELECT name FROM pragma_table_info('{name}')");
                let mut parts = Vec::new();
                for column in app.db.query_all_raw(Statement::from_string(backend, columns)).await? {
                    let column: String = column.try_get("", "name")?;
                    parts.push(format!("COALESCE(quote(\"{column}\"), '')"));
                }
                format!("SELECT {} AS row FROM \"{name}\"", parts.join(" || '|' || "))
            }
        };
        for row in app.db.query_all_raw(Statement::from_string(backend, select)).await? {
            rows.push((name.clone(), row.try_get::<String>("", "row")?));
        }
    }
    Ok(rows)
}

/// The forms an id takes in a row's text.
fn id_forms(id: &str) -> [String; 2] {
    [id.to_lowercase(), id.replace('-', "").to_uppercase()]
}

async fn query_one(app: &TestApp, sql: &str) -> Result<String, Box<dyn std::error::Error>> {
    let backend = app.db.get_database_backend();
    let row = app.db.query_one_raw(Statement::from_string(backend, sql.to_owned())).await?.ok_or("no row")?;
    Ok(row.try_get_by_index::<String>(0)?)
}

#[tokio::test]
async fn an_erased_supplier_leaves_its_buyer_the_answers_with_placeholders_and_nothing_else() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    let admin = app.add_member(&supplier, "admin").await;
    // Names no other row would hold by chance.
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let (owner_name, admin_name, org_name) =
        (format!("Yamashita Hanako {tag}"), format!("Kobayashi Ichiro {tag}"), format!("Parts Co KK {tag}"));
    app.execute_sql(&format!("UPDATE users SET name = '{owner_name}' WHERE email = '{}'", supplier.email)).await;
    app.execute_sql(&format!("UPDATE users SET name = '{admin_name}' WHERE email = '{}'", admin.email)).await;
    app.execute_sql(&format!("UPDATE organizations SET name = '{org_name}' WHERE name = 'Parts Co KK'")).await;
    let owner = Some(supplier.access_token.as_str());

    assert_eq!(app.answer_all(&supplier, &assessment).await.status, StatusCode::OK);
    let uploaded = app.upload_evidence(&supplier, &assessment, "policy.txt", "text/plain", b"policy\n".to_vec()).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let note = json!({ "body": format!("Answered by {owner_name}, write to {}", supplier.email) });
    let commented = app.post(&format!("/api/v1/assessments/{assessment}/comments"), owner, note).await;
    assert_eq!(commented.status, StatusCode::CREATED, "{}", commented.body);
    let submitted = app.post(&format!("/api/v1/assessments/{assessment}/submit"), owner, json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    assert_eq!(app.post("/api/v1/organization/export", owner, json!({})).await.status, StatusCode::ACCEPTED);
    app.run_worker().await;
    let storage_key = query_one(&app, "SELECT storage_key FROM evidence").await?;
    let before = app.get(&format!("/api/v1/assessments/{assessment}"), Some(&buyer.access_token)).await;
    assert_eq!(before.status, StatusCode::OK);

    // Owners only, people only, with the right password.
    erase(&app, &admin, PASSWORD).await.assert_problem(403, "forbidden");
    erase(&app, &supplier, "not the password").await.assert_problem(403, "reauthentication_failed");
    app.request(Method::DELETE, "/api/v1/organization", owner, Some(json!({ "password": PASSWORD, "extra": 1 })))
        .await
        .assert_problem(422, "validation_failed");
    let scheduled = erase(&app, &supplier, PASSWORD).await;
    assert_eq!(scheduled.status, StatusCode::ACCEPTED, "{}", scheduled.body);
    assert_eq!(scheduled.body["status"], "scheduled");
    let erase_at: chrono::DateTime<chrono::Utc> = serde_json::from_value(scheduled.body["erase_at"].clone())?;
    assert_eq!(erase_at - app.kensa.now(), chrono::Duration::days(30));
    erase(&app, &supplier, PASSWORD).await.assert_problem(409, "erasure_scheduled");
    // Every user hears of it.
    app.run_worker().await;
    for m in [&supplier, &admin] {
        let mails = app.mails_to(&m.email);
        assert!(mails.iter().any(|m| m.contains("asked for your organization to be erased")), "{mails:?}");
    }
    assert!(app.mails_to(&buyer.email).iter().all(|m| !m.contains("asked for your organization to be erased")));

    // The grace period: nothing happens.
    app.clock.advance(chrono::Duration::days(29));
    app.run_worker().await;
    let supplier = app.signed_in_again(&supplier).await;
    let pending = app.get("/api/v1/organization/erasure", Some(&supplier.access_token)).await;
    assert_eq!(pending.body["status"], "scheduled", "{}", pending.body);

    app.clock.advance(chrono::Duration::days(2));
    app.run_worker().await;
    app.run_worker().await;

    // The buyer keeps the submitted answers, without the people who gave them.
    let buyer = app.signed_in_again(&buyer).await;
    let kept = app.get(&format!("/api/v1/assessments/{assessment}"), Some(&buyer.access_token)).await;
    assert_eq!(kept.status, StatusCode::OK, "{}", kept.body);
    assert_eq!(kept.body["status"], "submitted");
    assert_eq!(before.body["progress"], json!({ "answered": 50, "total": 50 }), "{}", before.body);
    assert_eq!(kept.body["progress"], before.body["progress"]);
    assert_ne!(kept.body["supplier_organization_id"], before.body["supplier_organization_id"]);
    let comments = app.get(&format!("/api/v1/assessments/{assessment}/comments"), Some(&buyer.access_token)).await;
    let text = comments.body.to_string();
    assert!(text.contains("Answered by (消去済み / erased), write to erased@erased.invalid"), "{text}");
    let files = app.get(&format!("/api/v1/assessments/{assessment}/evidence"), Some(&buyer.access_token)).await;
    assert_eq!(files.body["data"].as_array().map(Vec::len), Some(0), "{}", files.body);
    assert!(app.kensa.evidence_store.get(&storage_key).await.is_err(), "the uploaded file is gone from the store");

    // The tombstone: the organization's id, the time, rows per table, no one's id.
    let tombstone = query_one(
        &app,
        "SELECT status FROM organization_erasures WHERE requested_by IS NULL AND erased_at IS NOT NULL",
    )
    .await?;
    assert_eq!(tombstone, "erased");

    // Nothing else of the organization anywhere: its id, its people's ids, names and addresses.
    // The buyer's audit trail recorded the supplier accepting its invitation: those events are
    // redacted, and the buyer's chain still verifies, saying so.
    let mut ids: Vec<String> = Vec::new();
    for id in [&supplier.org_id, &supplier.user_id, &admin.user_id] {
        ids.extend(id_forms(id));
    }
    let people = [supplier.email.clone(), admin.email.clone(), owner_name, admin_name, org_name, tag];
    let mut found = Vec::new();
    for (table, row) in every_row(&app).await? {
        if table == "organization_erasures" {
            continue;
        }
        for needle in ids.iter().chain(&people) {
            if row.to_lowercase().contains(&needle.to_lowercase()) {
                found.push(format!("{table}: {needle} in {row}"));
            }
        }
    }
    assert!(found.is_empty(), "left behind:\n{}", found.join("\n"));
    let report = app.get("/api/v1/audit-events/verify", Some(&buyer.access_token)).await;
    assert_eq!(report.body["status"], "intact", "{}", report.body);
    assert!(report.body["redacted"].as_u64().is_some_and(|n| n > 0), "{}", report.body);
    app.login(&supplier.email, PASSWORD).await.assert_problem(401, "invalid_credentials");
    app.login(&admin.email, PASSWORD).await.assert_problem(401, "invalid_credentials");
    Ok(())
}

#[tokio::test]
async fn any_owner_cancels_an_erasure_within_the_grace_period_and_nothing_is_erased() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Tokai Seiki").await;
    let second = app.add_member(&owner, "owner").await;
    let member = app.add_member(&owner, "viewer").await;
    assert_eq!(erase(&app, &owner, PASSWORD).await.status, StatusCode::ACCEPTED);
    app.delete("/api/v1/organization/erasure", Some(&member.access_token)).await.assert_problem(403, "forbidden");
    let cancelled = app.delete("/api/v1/organization/erasure", Some(&second.access_token)).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!(
        (cancelled.body["status"].as_str(), cancelled.body["cancelled_by"].as_str()),
        (Some("cancelled"), Some(second.user_id.as_str()))
    );
    app.delete("/api/v1/organization/erasure", Some(&second.access_token)).await.assert_problem(404, "not_found");
    app.run_worker().await;
    for m in [&owner, &second, &member] {
        let mails = app.mails_to(&m.email);
        assert!(mails.iter().any(|m| m.contains("asked for your organization to be erased")), "{mails:?}");
        assert!(mails.iter().any(|m| m.contains("cancelled the erasure of your organization")), "{mails:?}");
    }
    app.clock.advance(chrono::Duration::days(31));
    app.run_worker().await;
    let owner = app.signed_in_again(&owner).await;
    let erasure = app.get("/api/v1/organization/erasure", Some(&owner.access_token)).await;
    assert_eq!(erasure.body["status"], "cancelled");
    let users = app.get("/api/v1/users", Some(&owner.access_token)).await;
    assert_eq!(users.body["data"].as_array().map(Vec::len), Some(3), "{}", users.body);
    let trail = app.get("/api/v1/audit-events?action=organization.erasure_cancelled", Some(&owner.access_token)).await;
    assert_eq!(trail.body["data"].as_array().map(Vec::len), Some(1));
    // A new request is possible again.
    assert_eq!(erase(&app, &owner, PASSWORD).await.status, StatusCode::ACCEPTED);
    Ok(())
}

#[tokio::test]
async fn evidence_goes_the_configured_years_after_acceptance_and_the_answers_stay() -> TestResult {
    let app = spawn_app().await;
    let (buyer, supplier, assessment) = app.invited_supplier(1).await;
    let b = Some(buyer.access_token.as_str());
    let set = app.patch("/api/v1/organization/settings", b, json!({ "evidence_retention_years": 31 })).await;
    set.assert_problem(422, "validation_failed");
    let set = app.patch("/api/v1/organization/settings", b, json!({ "evidence_retention_years": 1 })).await;
    assert_eq!((set.status, &set.body["evidence_retention_years"]), (StatusCode::OK, &Value::from(1)), "{}", set.body);
    assert_eq!(app.answer_all(&supplier, &assessment).await.status, StatusCode::OK);
    let uploaded = app.upload_evidence(&supplier, &assessment, "policy.txt", "text/plain", b"policy\n".to_vec()).await;
    assert_eq!(uploaded.status, StatusCode::CREATED, "{}", uploaded.body);
    let path = format!("/api/v1/assessments/{assessment}");
    assert_eq!(
        app.post(&format!("{path}/submit"), Some(&supplier.access_token), json!({})).await.status,
        StatusCode::OK
    );
    let accepted = app.post(&format!("{path}/review"), b, json!({ "decision": "accept" })).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);

    app.clock.advance(chrono::Duration::days(364));
    app.run_worker().await;
    let buyer = app.signed_in_again(&buyer).await;
    let b = Some(buyer.access_token.as_str());
    assert_eq!(app.get(&format!("{path}/evidence"), b).await.body["data"].as_array().map(Vec::len), Some(1));

    app.clock.advance(chrono::Duration::days(2));
    app.run_worker().await;
    let buyer = app.signed_in_again(&buyer).await;
    let b = Some(buyer.access_token.as_str());
    assert_eq!(app.get(&format!("{path}/evidence"), b).await.body["data"].as_array().map(Vec::len), Some(0));
    let kept = app.get(&path, b).await;
    assert_eq!((kept.status, kept.body["status"].as_str()), (StatusCode::OK, Some("accepted")));
    assert_eq!(kept.body["progress"], json!({ "answered": 50, "total": 50 }), "{}", kept.body);
    let trail = app.get("/api/v1/audit-events?action=evidence.retention_expired", b).await;
    assert_eq!(trail.body["data"][0]["details"]["files"], 1, "{}", trail.body);
    Ok(())
}

/// The `data/<table>.jsonl` parts of a downloaded archive, and its manifest.
async fn download_export(
    app: &TestApp,
    member: &Member,
    id: &str,
) -> Result<(Value, std::collections::BTreeMap<String, Vec<Value>>), Box<dyn std::error::Error>> {
    use std::io::Read;
    let link =
        app.post(&format!("/api/v1/organization/exports/{id}/link"), Some(&member.access_token), json!({})).await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.body);
    let url = link.body["url"].as_str().ok_or("no url")?;
    let archive = app.get(&url[url.find("/api/v1/exports/download/").ok_or("no path")?..], None).await;
    assert_eq!(archive.status, StatusCode::OK);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(archive.bytes.clone()))?;
    let manifest: Value = serde_json::from_reader(zip.by_name("manifest.json")?)?;
    let mut parts = std::collections::BTreeMap::new();
    for i in 0..zip.len() {
        let mut file = zip.by_index(i)?;
        let name = file.name()?.to_string();
        assert!(!name.starts_with("evidence/"), "a personal archive carries no evidence files: {name}");
        let Some(table) = name.strip_prefix("data/").and_then(|n| n.strip_suffix(".jsonl")) else { continue };
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        let rows = text.lines().map(serde_json::from_str).collect::<Result<Vec<Value>, _>>()?;
        parts.insert(table.to_owned(), rows);
    }
    Ok((manifest, parts))
}

#[tokio::test]
async fn a_person_takes_their_data_away_then_is_erased_everywhere_and_every_trail_still_verifies() -> TestResult {
    let app = spawn_app().await;
    let (buyer, owner, assessment) = app.invited_supplier(1).await;
    let person = app.add_member(&owner, "respondent").await;
    let colleague = app.add_member(&owner, "viewer").await;
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let name = format!("Nakamura Aiko {tag}");
    app.execute_sql(&format!("UPDATE users SET name = '{name}' WHERE email = '{}'", person.email)).await;
    let p = Some(person.access_token.as_str());
    assert_eq!(app.answer_all(&person, &assessment).await.status, StatusCode::OK);
    let note = json!({ "body": format!("{name} answered; ask {} about No.3", person.email) });
    let commented = app.post(&format!("/api/v1/assessments/{assessment}/comments"), p, note).await;
    assert_eq!(commented.status, StatusCode::CREATED, "{}", commented.body);
    let submitted =
        app.post(&format!("/api/v1/assessments/{assessment}/submit"), Some(&owner.access_token), json!({})).await;
    assert_eq!(submitted.status, StatusCode::OK, "{}", submitted.body);
    // A failed sign-in with their address is in a trail too.
    app.login(&person.email, "not the password").await.assert_problem(401, "invalid_credentials");
    let person = app.signed_in_again(&person).await;
    let p = Some(person.access_token.as_str());

    // Their archive: they ask for it themselves; a colleague cannot, nor see it.
    let path = format!("/api/v1/users/{}", person.user_id);
    app.post(&format!("{path}/export"), Some(&colleague.access_token), json!({}))
        .await
        .assert_problem(403, "forbidden");
    let started = app.post(&format!("{path}/export"), p, json!({})).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    assert_eq!(started.body["subject_user_id"], person.user_id.as_str());
    let id = started.body["id"].as_str().ok_or("no id")?.to_owned();
    app.run_worker().await;
    let person = app.signed_in_again(&person).await;
    let ready = app.get(&format!("/api/v1/organization/exports/{id}"), Some(&person.access_token)).await;
    assert_eq!(ready.body["status"], "ready", "{}", ready.body);
    let colleague = app.signed_in_again(&colleague).await;
    app.get(&format!("/api/v1/organization/exports/{id}"), Some(&colleague.access_token))
        .await
        .assert_problem(403, "forbidden");
    let listed = app.get("/api/v1/organization/exports", Some(&colleague.access_token)).await;
    assert_eq!(listed.body["data"], json!([]), "{}", listed.body);
    let (manifest, parts) = download_export(&app, &person, &id).await?;
    assert_eq!(manifest["format"], "kensa-personal-data-v1");
    assert_eq!(manifest["subject_user_id"], person.user_id.as_str());
    assert_eq!(parts["users"].len(), 1);
    assert_eq!(parts["users"][0]["email"], person.email.as_str());
    assert!(parts["users"][0].get("password_hash").is_none());
    assert_eq!(parts["answers"].len(), 50, "every answer they gave");
    assert!(parts["answers"].iter().all(|a| a["answered_by"] == person.user_id.as_str()));
    assert_eq!(parts["assessment_comments"].len(), 1);
    assert!(!parts["sign_ins"].is_empty());
    assert!(parts["audit_events"].iter().all(|e| e["actor_user_id"] == person.user_id.as_str()));
    // Only rows naming them: no organization, no other member, no buyer's supplier record.
    assert!(!parts.contains_key("organizations"), "{:?}", parts.keys());
    assert_eq!(parts.get("suppliers").map(Vec::len), Some(0));

    // Erasure: an owner for anyone, anyone for themselves, with their password; never the last
    // owner.
    erase_user(&app, &colleague, &person.user_id, PASSWORD).await.assert_problem(403, "forbidden");
    erase_user(&app, &owner, &person.user_id, "not the password").await.assert_problem(403, "reauthentication_failed");
    erase_user(&app, &owner, &owner.user_id, PASSWORD).await.assert_problem(409, "last_owner");
    erase_user(&app, &owner, &buyer.user_id, PASSWORD).await.assert_problem(404, "not_found");
    let owner = app.signed_in_again(&owner).await;
    // The organization's archive holds them too.
    let org_export = app.post("/api/v1/organization/export", Some(&owner.access_token), json!({})).await;
    let org_export = org_export.body["id"].as_str().ok_or("no export")?.to_owned();
    let scheduled = erase_user(&app, &owner, &person.user_id, PASSWORD).await;
    assert_eq!(scheduled.status, StatusCode::ACCEPTED, "{}", scheduled.body);
    assert_eq!(
        (scheduled.body["status"].as_str(), scheduled.body["user_id"].as_str()),
        (Some("scheduled"), Some(person.user_id.as_str()))
    );
    erase_user(&app, &owner, &person.user_id, PASSWORD).await.assert_problem(409, "erasure_scheduled");
    let seen = app.get(&format!("{path}/erasure"), Some(&person.access_token)).await;
    assert_eq!(seen.body["status"], "scheduled", "{}", seen.body);
    app.run_worker().await;
    for m in [&person, &owner] {
        let mails = app.mails_to(&m.email);
        assert!(mails.iter().any(|m| m.contains("asked for the personal data of the person below")), "{mails:?}");
    }
    assert!(app.mails_to(&colleague.email).iter().all(|m| !m.contains("personal data of the person below")));

    app.clock.advance(chrono::Duration::days(31));
    app.run_worker().await;
    app.run_worker().await;

    // The organization keeps what they did, without them.
    let owner = app.signed_in_again(&owner).await;
    let o = Some(owner.access_token.as_str());
    let done = app.get(&format!("/api/v1/organization/exports/{id}"), o).await;
    done.assert_problem(404, "not_found");
    let ended = app.get(&format!("/api/v1/organization/exports/{org_export}"), o).await;
    assert_eq!(ended.body["status"], "expired", "the organization's archive named them: {}", ended.body);
    let kept = app.get(&format!("/api/v1/assessments/{assessment}"), o).await;
    assert_eq!(kept.body["progress"], json!({ "answered": 50, "total": 50 }), "{}", kept.body);
    let comments = app.get(&format!("/api/v1/assessments/{assessment}/comments"), o).await;
    let text = comments.body.to_string();
    assert!(text.contains("(消去済み / erased) answered; ask erased@erased.invalid about No.3"), "{text}");
    let users = app.get("/api/v1/users", o).await;
    assert_eq!(users.body["data"].as_array().map(Vec::len), Some(2), "{}", users.body);

    // Nothing of them anywhere, the tombstone and every audit trail included.
    let needles: Vec<String> =
        id_forms(&person.user_id).into_iter().chain([person.email.clone(), name.clone(), tag.clone()]).collect();
    let mut found = Vec::new();
    for (table, row) in every_row(&app).await? {
        for needle in &needles {
            if row.to_lowercase().contains(&needle.to_lowercase()) {
                found.push(format!("{table}: {needle} in {row}"));
            }
        }
    }
    assert!(found.is_empty(), "left behind:\n{}", found.join("\n"));
    // (A sign-in with the address now records it anew, as any unknown address.)
    app.login(&person.email, PASSWORD).await.assert_problem(401, "invalid_credentials");

    // Every trail still verifies, and says how many of its events were redacted.
    let buyer = app.signed_in_again(&buyer).await;
    for m in [&owner, &buyer] {
        let report = app.get("/api/v1/audit-events/verify", Some(&m.access_token)).await;
        assert_eq!(report.body["status"], "intact", "{}", report.body);
    }
    let report = app.get("/api/v1/audit-events/verify", o).await;
    assert!(report.body["redacted"].as_u64().is_some_and(|n| n > 0), "{}", report.body);
    let trail = app.get("/api/v1/audit-events?action=audit.redacted", o).await;
    assert_eq!(trail.body["data"][0]["details"]["reason"], "user_erased", "{}", trail.body);
    let erased = app.get("/api/v1/audit-events?action=user.erased", o).await;
    assert_eq!(erased.body["data"].as_array().map(Vec::len), Some(1), "{}", erased.body);

    // A redacted event of the second form cannot pass for one of the first (whose other fields
    // are not checked): the redaction record says it had a digest.
    let hash = query_one(
        &app,
        "SELECT hash FROM audit_events WHERE redacted_at IS NOT NULL AND personal_digest IS NOT NULL ORDER BY seq LIMIT 1",
    )
    .await?;
    let digest = query_one(&app, &format!("SELECT personal_digest FROM audit_events WHERE hash = '{hash}'")).await?;
    let action = query_one(&app, &format!("SELECT action FROM audit_events WHERE hash = '{hash}'")).await?;
    let tampered = format!("UPDATE audit_events SET personal_digest = NULL, action = 'x' WHERE hash = '{hash}'");
    app.execute_sql(&tampered).await;
    let mut broken = Vec::new();
    for m in [&owner, &buyer] {
        let report = app.get("/api/v1/audit-events/verify", Some(&m.access_token)).await;
        if report.body["status"] == "broken" {
            broken.push(report.body);
        }
    }
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert_eq!(broken[0]["broken"]["problem"], "redaction_undeclared", "{}", broken[0]);
    let restored =
        format!("UPDATE audit_events SET personal_digest = '{digest}', action = '{action}' WHERE hash = '{hash}'");
    app.execute_sql(&restored).await;
    for m in [&owner, &buyer] {
        let report = app.get("/api/v1/audit-events/verify", Some(&m.access_token)).await;
        assert_eq!(report.body["status"], "intact", "{}", report.body);
    }

    // Marking an event redacted outside an erasure is found.
    let by_place = format!(
        "UPDATE audit_events SET redacted_at = created_at, details = '{{}}' WHERE seq = 1 AND redacted_at IS NULL AND \
         organization_id = (SELECT organization_id FROM users WHERE email = '{}')",
        owner.email
    );
    app.execute_sql(&by_place).await;
    let report = app.get("/api/v1/audit-events/verify", o).await;
    assert_eq!(report.body["status"], "broken", "{}", report.body);
    assert_eq!(report.body["broken"]["problem"], "redaction_undeclared", "{}", report.body);
    assert_eq!(report.body["broken"]["seq"], 1, "{}", report.body);
    Ok(())
}

#[tokio::test]
async fn a_person_cancels_their_own_erasure_and_keeps_their_account() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Chubu Denso").await;
    let person = app.add_member(&owner, "admin").await;
    let path = format!("/api/v1/users/{}", person.user_id);
    let scheduled = erase_user(&app, &person, &person.user_id, PASSWORD).await;
    assert_eq!(scheduled.status, StatusCode::ACCEPTED, "{}", scheduled.body);
    app.get(&format!("/api/v1/users/{}/erasure", owner.user_id), Some(&person.access_token))
        .await
        .assert_problem(403, "forbidden");
    let cancelled = app.delete(&format!("{path}/erasure"), Some(&person.access_token)).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    assert_eq!(cancelled.body["status"], "cancelled");
    app.delete(&format!("{path}/erasure"), Some(&owner.access_token)).await.assert_problem(404, "not_found");
    app.run_worker().await;
    assert!(app.mails_to(&owner.email).iter().any(|m| m.contains("The erasure of the person below was cancelled")));
    app.clock.advance(chrono::Duration::days(31));
    app.run_worker().await;
    assert_eq!(app.login(&person.email, PASSWORD).await.status, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn two_owners_erasing_each_other_leave_one_owner() -> TestResult {
    let app = spawn_app().await;
    let first = app.signup("Owners Both Ways").await;
    let second = app.add_member(&first, "owner").await;
    assert_eq!(erase_user(&app, &first, &second.user_id, PASSWORD).await.status, StatusCode::ACCEPTED);
    // The other owner is on their way out: the first is the last one staying.
    erase_user(&app, &second, &first.user_id, PASSWORD).await.assert_problem(409, "last_owner");
    // A third owner makes it possible, then is demoted: when both fall due, the worker still
    // leaves one owner.
    let third = app.add_member(&first, "owner").await;
    assert_eq!(erase_user(&app, &third, &first.user_id, PASSWORD).await.status, StatusCode::ACCEPTED);
    let demoted = app
        .patch(&format!("/api/v1/users/{}", third.user_id), Some(&first.access_token), json!({ "role": "viewer" }))
        .await;
    assert_eq!(demoted.status, StatusCode::OK, "{}", demoted.body);
    app.clock.advance(chrono::Duration::days(31));
    app.run_worker().await;
    app.run_worker().await;
    // One of them is erased; the other's erasure was called off, and they can sign in.
    let signed_in: Vec<bool> = [
        app.login(&first.email, PASSWORD).await.status == StatusCode::OK,
        app.login(&second.email, PASSWORD).await.status == StatusCode::OK,
    ]
    .to_vec();
    assert_eq!(signed_in.iter().filter(|ok| **ok).count(), 1, "{signed_in:?}");
    let kept = if signed_in[0] { &first } else { &second };
    let kept = app.signed_in_again(kept).await;
    let own = app.get(&format!("/api/v1/users/{}/erasure", kept.user_id), Some(&kept.access_token)).await;
    assert_eq!(own.body["status"], "cancelled", "{}", own.body);
    let users = app.get("/api/v1/users", Some(&kept.access_token)).await;
    assert_eq!(users.body["data"].as_array().map(Vec::len), Some(2), "{}", users.body);
    assert!(app.mails_to(&kept.email).iter().any(|m| m.contains("The erasure of the person below was cancelled")));
    Ok(())
}
