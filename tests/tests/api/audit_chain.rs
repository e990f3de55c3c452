//! The audit trail's hash chain (issue 18): intact under concurrent writers, every direct
//! edit or deletion in the database found by `GET /api/v1/audit-events/verify` and by
//! `kensa-api audit verify`, the daily checkpoint mailed to the owners, and a rewrite that
//! fools the database found with the mailed checkpoint.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Member, TestApp, TestResult, spawn_app, unique_email};

async fn verify(app: &TestApp, who: &Member, query: &str) -> Value {
    let reply = app.get(&format!("/api/v1/audit-events/verify{query}"), Some(&who.access_token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

async fn invite(app: &TestApp, owner: &Member) {
    let reply = app
        .post(
            "/api/v1/users/invitations",
            Some(&owner.access_token),
            json!({ "email": unique_email("chain"), "role": "viewer" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

/// The organization's events, oldest first in the chain: (seq, hash).
async fn chain_of(app: &TestApp, owner: &Member) -> Vec<(i64, String)> {
    let reply = app.get("/api/v1/audit-events?limit=200", Some(&owner.access_token)).await;
    let mut events: Vec<(i64, String)> = reply.body["data"]
        .as_array()
        .map(|events| {
            events.iter().filter_map(|e| Some((e["seq"].as_i64()?, e["hash"].as_str()?.to_owned()))).collect()
        })
        .unwrap_or_default();
    events.sort();
    events
}

/// The action of the organization's event with this hash.
async fn action_of(app: &TestApp, owner: &Member, hash: &str) -> String {
    let reply = app.get("/api/v1/audit-events?limit=200", Some(&owner.access_token)).await;
    let events = reply.body["data"].as_array().cloned().unwrap_or_default();
    let event = events.iter().find(|e| e["hash"] == hash);
    event.and_then(|e| e["action"].as_str()).unwrap_or_default().to_owned()
}

/// What `kensa-api audit verify --organization` prints for the organization, and whether it
/// would exit with the status of a broken chain.
async fn command(app: &TestApp, owner: &Member, checkpoint: Option<(i64, &str)>) -> Result<(Value, bool), String> {
    let org = owner.org_id.parse().map_err(|e| format!("{e}"))?;
    let mut args =
        vec!["kensa-api".to_owned(), "audit".into(), "verify".into(), "--organization".into(), owner.org_id.clone()];
    if let Some((seq, hash)) = checkpoint {
        args.extend(["--seq".into(), seq.to_string(), "--hash".into(), hash.to_owned()]);
    }
    // The command line parses as the binary's would.
    let parsed = kensa_server::cli::try_parse_from(&args).map_err(|e| e.to_string())?;
    let expected = kensa_server::cli::Command::Audit {
        command: kensa_server::cli::AuditCommand::Verify {
            organization: Some(org),
            seq: checkpoint.map(|c| c.0),
            hash: checkpoint.map(|c| c.1.to_owned()),
        },
    };
    assert_eq!(parsed.subcommand(), expected);
    let found =
        kensa_server::cli::audit_verify(&app.settings, Some(org), checkpoint.map(|c| c.0), checkpoint.map(|c| c.1))
            .await?;
    assert_eq!(found.reports.len(), 1);
    let line = serde_json::to_value(&found.reports[0]).map_err(|e| e.to_string())?;
    Ok((line, found.broken()))
}

#[tokio::test]
async fn the_chain_is_intact_and_gapless_after_concurrent_writers_in_two_organizations() -> TestResult {
    let app = spawn_app().await;
    let a = app.signup("Chain A").await;
    let b = app.signup("Chain B").await;
    let writes = (0..12).map(|i| invite(&app, if i % 2 == 0 { &a } else { &b }));
    futures_util::future::join_all(writes).await;

    for (owner, other) in [(&a, &b), (&b, &a)] {
        let report = verify(&app, owner, "").await;
        assert_eq!(report["status"], "intact", "{report}");
        assert_eq!(report["chain"], owner.org_id.as_str(), "each organization verifies its own chain only");
        assert_ne!(report["chain"], other.org_id.as_str());
        let chain = chain_of(&app, owner).await;
        assert!(chain.len() >= 7, "the sign-up and six invitations at least: {chain:?}");
        assert_eq!(chain.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(), (1..=chain.len() as i64).collect::<Vec<_>>());
        assert_eq!(report["events"], chain.len());
        assert_eq!(report["head_seq"], chain.len());
        assert_eq!(report["head_hash"], chain[chain.len() - 1].1.as_str());
        assert_eq!(report["unsealed"], 0);
        let (line, broken) = command(&app, owner, None).await?;
        assert_eq!((line, broken), (report, false));
    }
    Ok(())
}

#[tokio::test]
async fn an_edited_or_deleted_row_is_found_by_the_endpoint_and_the_command() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Tampered").await;
    for _ in 0..4 {
        invite(&app, &owner).await;
    }
    let chain = chain_of(&app, &owner).await;
    assert!(chain.len() >= 5, "{chain:?}");
    let intact = verify(&app, &owner, "").await;
    assert_eq!(intact["status"], "intact", "{intact}");

    // An edit: the content no longer hashes to what was stored.
    let (seq, hash) = chain[1].clone();
    let action = action_of(&app, &owner, &hash).await;
    app.execute_sql(&format!("UPDATE audit_events SET action = 'user.nothing_happened' WHERE hash = '{hash}'")).await;
    let report = verify(&app, &owner, "").await;
    assert_eq!(report["status"], "broken", "{report}");
    let link = &report["broken"];
    assert_eq!((link["problem"].as_str(), link["seq"].as_i64()), (Some("content_changed"), Some(seq)), "{report}");
    assert_eq!(link["expected_hash"], hash.as_str());
    assert_ne!(link["found_hash"], hash.as_str());
    assert!(link["event_id"].is_string());
    assert_eq!(command(&app, &owner, None).await?, (report, true));
    // Put back, the chain verifies again: the check is of the content, nothing else.
    app.execute_sql(&format!("UPDATE audit_events SET action = '{action}' WHERE hash = '{hash}'")).await;
    assert_eq!(verify(&app, &owner, "").await["status"], "intact");

    // An edit that rewrites the event's own hash too breaks the next event's link.
    let forged = "f".repeat(64);
    app.execute_sql(&format!("UPDATE audit_events SET hash = '{forged}' WHERE hash = '{hash}'")).await;
    let report = verify(&app, &owner, "").await;
    let link = &report["broken"];
    assert_eq!(link["problem"], "content_changed", "the forged hash is not the content's: {report}");
    app.execute_sql(&format!("UPDATE audit_events SET hash = '{hash}' WHERE hash = '{forged}'")).await;

    // The head moved back one event: the last event lies past it.
    let org = &owner.org_id;
    let (last_seq, last_hash) = chain[chain.len() - 1].clone();
    let (prev_seq, prev_hash) = chain[chain.len() - 2].clone();
    let head = |seq: i64, hash: &str| {
        format!("UPDATE audit_chain_heads SET seq = {seq}, hash = '{hash}' WHERE chain = '{org}'")
    };
    app.execute_sql(&head(prev_seq, &prev_hash)).await;
    let report = verify(&app, &owner, "").await;
    let link = &report["broken"];
    assert_eq!((link["problem"].as_str(), link["seq"].as_i64()), (Some("beyond_head"), Some(last_seq)), "{report}");
    assert_eq!(command(&app, &owner, None).await?, (report, true));
    // A head whose hash is not the last event's: that event was replaced, hash and all.
    app.execute_sql(&head(last_seq, &forged)).await;
    let report = verify(&app, &owner, "").await;
    let link = &report["broken"];
    assert_eq!((link["problem"].as_str(), link["seq"].as_i64()), (Some("head_mismatch"), Some(last_seq)), "{report}");
    let hashes = (link["expected_hash"].as_str(), link["found_hash"].as_str());
    assert_eq!(hashes, (Some(forged.as_str()), Some(last_hash.as_str())));
    app.execute_sql(&head(last_seq, &last_hash)).await;
    assert_eq!(verify(&app, &owner, "").await["status"], "intact");

    // Deleting the last event: the chain ends before its head.
    app.execute_sql(&format!("DELETE FROM audit_events WHERE hash = '{last_hash}'")).await;
    let report = verify(&app, &owner, "").await;
    let link = &report["broken"];
    assert_eq!((link["problem"].as_str(), link["seq"].as_i64()), (Some("tail_missing"), Some(last_seq)), "{report}");
    assert_eq!(link["expected_hash"], last_hash.as_str());
    assert_eq!(link["found_hash"], chain[chain.len() - 2].1.as_str());
    assert_eq!(command(&app, &owner, None).await?, (report, true));

    // Deleting one in the middle: the first break is the gap it leaves.
    let (_, middle) = chain[2].clone();
    app.execute_sql(&format!("DELETE FROM audit_events WHERE hash = '{middle}'")).await;
    let report = verify(&app, &owner, "").await;
    let link = &report["broken"];
    assert_eq!(
        (link["problem"].as_str(), link["seq"].as_i64()),
        (Some("events_missing"), Some(chain[3].0)),
        "{report}"
    );
    assert_eq!(link["expected_hash"], chain[1].1.as_str(), "the last hash before the gap");
    assert_eq!(link["found_hash"], middle.as_str(), "the next event still links to the deleted one");
    assert_eq!(command(&app, &owner, None).await?, (report, true));
    Ok(())
}

#[tokio::test]
async fn the_daily_checkpoint_is_mailed_to_the_owners_and_exposes_a_rewrite_the_database_hides() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Checkpointed").await;
    let admin = app.add_member(&owner, "admin").await;
    invite(&app, &owner).await;
    let subject = "Today's audit trail checkpoint";

    // A chain younger than a day has no checkpoint yet.
    app.run_worker().await;
    assert!(!app.mails_to(&owner.email).iter().any(|m| m.contains(subject)));

    app.clock.advance(chrono::Duration::hours(25));
    app.run_worker().await;
    let mails: Vec<String> = app.mails_to(&owner.email).into_iter().filter(|m| m.contains(subject)).collect();
    assert_eq!(mails.len(), 1, "one checkpoint mail to the owner");
    assert!(!app.mails_to(&admin.email).iter().any(|m| m.contains(subject)), "owners only");
    // The mail names the event number and the hash, and links to their verification.
    let link = mails[0].split("seq=").nth(1).ok_or("no verification link in the mail")?;
    let (seq, rest) = link.split_once("&hash=").ok_or("no hash in the link")?;
    let seq: i64 = seq.parse()?;
    let hash: String = rest.chars().take(64).collect();
    assert!(
        mails[0].matches(hash.as_str()).count() >= 2,
        "the hash is written out, not only in the link: {}",
        mails[0]
    );

    // A day has passed: the access token has expired. Signing in is itself an event.
    let owner = app.signed_in_again(&owner).await;
    let head = verify(&app, &owner, "").await;
    assert_eq!((head["checkpoints"].as_u64(), head["head_seq"].as_i64()), (Some(1), Some(seq + 1)), "{head}");
    // Less than a day since the last checkpoint: none, though the chain grew.
    app.run_worker().await;
    assert_eq!(app.mails_to(&owner.email).iter().filter(|m| m.contains(subject)).count(), 1);

    // The mailed checkpoint verifies; a wrong hash for it does not.
    let given = format!("?seq={seq}&hash={hash}");
    assert_eq!(verify(&app, &owner, &given).await["status"], "intact");
    let wrong = verify(&app, &owner, &format!("?seq={seq}&hash={}", "0".repeat(64))).await;
    assert_eq!(wrong["broken"]["problem"], "checkpoint_mismatch", "{wrong}");

    // Someone with the database removes the events from the checkpoint on, moves the head
    // back to the event before and deletes the checkpoints: the database alone looks intact...
    let chain = chain_of(&app, &owner).await;
    let (prev_seq, prev_hash) = chain[usize::try_from(seq)? - 2].clone();
    for (_, later) in chain.iter().filter(|(s, _)| *s >= seq) {
        app.execute_sql(&format!("DELETE FROM audit_events WHERE hash = '{later}'")).await;
    }
    let org = &owner.org_id;
    app.execute_sql(&format!(
        "UPDATE audit_chain_heads SET seq = {prev_seq}, hash = '{prev_hash}' WHERE chain = '{org}'"
    ))
    .await;
    app.execute_sql("DELETE FROM audit_checkpoints").await;
    let fooled = verify(&app, &owner, "").await;
    assert_eq!((fooled["status"].as_str(), fooled["head_seq"].as_i64()), (Some("intact"), Some(prev_seq)), "{fooled}");
    // ...but not against the mail.
    let caught = verify(&app, &owner, &given).await;
    assert_eq!(caught["status"], "broken", "{caught}");
    let problem = (caught["broken"]["problem"].as_str(), caught["broken"]["seq"].as_i64());
    assert_eq!(problem, (Some("checkpoint_mismatch"), Some(seq)));
    let (line, broken) = command(&app, &owner, Some((seq, &hash))).await?;
    assert_eq!((line, broken), (caught, true));
    Ok(())
}

#[tokio::test]
async fn events_without_a_place_in_the_chain_are_sealed_by_the_worker() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Legacy").await;
    invite(&app, &owner).await;
    let before = chain_of(&app, &owner).await.len();
    // As an older version left them: no chain at all.
    app.execute_sql("UPDATE audit_events SET seq = NULL, prev_hash = NULL, hash = NULL").await;
    app.execute_sql("DELETE FROM audit_chain_heads").await;
    let report = verify(&app, &owner, "").await;
    assert_eq!(
        (report["status"].as_str(), report["events"].as_u64(), report["unsealed"].as_u64()),
        (Some("intact"), Some(0), Some(before as u64))
    );

    app.run_worker().await;
    let report = verify(&app, &owner, "").await;
    assert_eq!(
        (report["status"].as_str(), report["events"].as_u64(), report["unsealed"].as_u64()),
        (Some("intact"), Some(before as u64), Some(0)),
        "{report}"
    );

    // A day after the upgrade, an event without a place was not written by Kensa: it is
    // reported, never sealed.
    app.clock.advance(chrono::Duration::hours(25));
    let owner = app.signed_in_again(&owner).await;
    let chain = chain_of(&app, &owner).await;
    let (last, previous) = (chain[chain.len() - 1].1.clone(), chain[chain.len() - 2].clone());
    let (org, cleared) = (&owner.org_id, "seq = NULL, prev_hash = NULL, hash = NULL");
    app.execute_sql(&format!("UPDATE audit_events SET {cleared} WHERE hash = '{last}'")).await;
    app.execute_sql(&format!(
        "UPDATE audit_chain_heads SET seq = {}, hash = '{}' WHERE chain = '{org}'",
        previous.0, previous.1
    ))
    .await;
    app.run_worker().await;
    let report = verify(&app, &owner, "").await;
    let found = (report["status"].as_str(), report["broken"]["problem"].as_str(), report["unsealed"].as_u64());
    assert_eq!(found, (Some("broken"), Some("unsealed"), Some(1)), "{report}");
    assert!(report["broken"]["event_id"].is_string());
    Ok(())
}

#[tokio::test]
async fn verification_is_for_owners_and_admins_and_checkpoints_are_checked() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Guarded").await;
    let viewer = app.add_member(&owner, "viewer").await;
    app.get("/api/v1/audit-events/verify", Some(&viewer.access_token)).await.assert_problem(403, "forbidden");
    let token = Some(owner.access_token.as_str());
    for (query, field) in [
        ("?seq=1", "hash"),
        ("?hash=00", "seq"),
        ("?seq=0&hash=0000000000000000000000000000000000000000000000000000000000000000", "seq"),
        ("?seq=1&hash=ABCDEF", "hash"),
    ] {
        let reply = app.get(&format!("/api/v1/audit-events/verify{query}"), token).await;
        reply.assert_problem(422, "validation_failed");
        let fields: Vec<&str> = reply.body["errors"]
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert!(fields.contains(&field), "{query}: {}", reply.body);
    }
    Ok(())
}
