//! Real `kensa-worker` processes (the binary's own entry point, `kensa_worker::process::main`)
//! against the test app's database: one killed with SIGKILL mid-batch loses nothing, and two
//! of them racing the in-process loop send no step twice.

use std::process::Stdio;
use std::time::Duration;

use crate::chasing::run_at;
use crate::helpers::{TestApp, TestResult, spawn_app_with};
use crate::smtp_sink::SmtpSink;

fn worker_process(app: &TestApp, args: &[&str]) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_worker-process"));
    command.env_clear().envs(&app.vars).args(args).stdin(Stdio::null()).kill_on_drop(true);
    command
}

/// A campaign to `n` new suppliers; their contact addresses.
async fn campaign_to(app: &TestApp, n: usize) -> Vec<String> {
    let buyer = app.signup("Buyer Motors").await;
    let mut ids = Vec::new();
    let mut contacts = Vec::new();
    for i in 0..n {
        let (id, email) = app.create_supplier(&buyer, &format!("Supplier {i}"), 1).await;
        ids.push(id);
        contacts.push(email);
    }
    app.create_campaign(&buyer, &ids, None).await;
    contacts
}

fn to(messages: &[String], email: &str) -> usize {
    messages.iter().filter(|m| m.lines().any(|l| l.eq_ignore_ascii_case(&format!("To: {email}")))).count()
}

#[tokio::test]
async fn a_worker_killed_mid_batch_loses_nothing_and_repeats_at_most_what_was_in_flight() -> TestResult {
    let (sink, url) = SmtpSink::start_with_delay(Duration::from_millis(100)).await?;
    let app = spawn_app_with(|v| {
        v.insert("SMTP_URL".into(), url.clone());
        v.insert("KENSA_WORKER_CONCURRENCY".into(), "4".into());
    })
    .await;
    let contacts = campaign_to(&app, 24).await;
    let mut worker = worker_process(&app, &["run"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn()?;
    sink.wait_for(5, Duration::from_secs(120)).await?;
    worker.kill().await?; // SIGKILL: no chance to finish or clean up
    let before = sink.messages().len();
    assert!(before < contacts.len(), "killed mid-batch ({before} sent)");

    // Its leases lapse; another worker takes the rest over.
    run_at(&app, app.kensa.now() + chrono::Duration::minutes(6)).await;
    let messages = sink.messages();
    for contact in &contacts {
        assert!(to(&messages, contact) >= 1, "{contact} got nothing");
    }
    let repeated = messages.len() - contacts.len();
    assert!(repeated <= 4, "only mails in flight at the kill may repeat: {repeated} did");
    Ok(())
}

#[tokio::test]
async fn two_worker_processes_and_the_embedded_loop_never_send_a_step_twice() -> TestResult {
    let (sink, url) = SmtpSink::start().await?;
    let app = spawn_app_with(|v| {
        v.insert("SMTP_URL".into(), url.clone());
    })
    .await;
    let contacts = campaign_to(&app, 12).await;
    // All at the day of the 14-day reminder: invitations and reminders are due at once.
    let at = app.kensa.now() + chrono::Duration::days(16);
    app.clock.set(at);
    let now = at.to_rfc3339();
    let args = ["run-once", "--now", now.as_str()];
    let (mut one, mut two, embedded) = (worker_process(&app, &args), worker_process(&app, &args), app.worker());
    let (a, b, embedded) = tokio::join!(one.output(), two.output(), embedded.run_once(at));
    for output in [a?, b?] {
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    embedded?;
    // Whatever a process queued after the others finished (a fan-out) goes out now.
    app.run_worker_at(at).await;
    let messages = sink.messages();
    for contact in &contacts {
        assert_eq!(to(&messages, contact), 2, "{contact}: the invitation and the 14-day reminder, once each");
    }
    // And the buyer's owner the audit checkpoint that fell due over the 16 days: once,
    // although three workers found it due at the same moment.
    let checkpoints = messages.iter().filter(|m| m.contains("Today's audit trail checkpoint")).count();
    assert_eq!((messages.len(), checkpoints), (2 * contacts.len() + 1, 1));
    Ok(())
}
