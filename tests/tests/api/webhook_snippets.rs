//! The README's signature-verification snippets (Python and Node), exactly as printed, run
//! against a real delivery: they accept it, and refuse it with a changed body or another
//! secret. Without `python3` or `node` the check is skipped on a developer's machine and
//! fails under `CI=true`.

use std::process::Command;

use crate::webhook_receiver::Received;

/// The text of the first ````lang```` block of the README's "## Webhooks" section.
fn readme_block(lang: &str) -> Result<String, String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .map_err(|e| format!("README.md: {e}"))?;
    let section = readme.split("\n## Webhooks\n").nth(1).ok_or("no Webhooks section in README.md")?;
    let section = section.split("\n## ").next().unwrap_or(section);
    let start = section.find(&format!("\n```{lang}\n")).ok_or(format!("no {lang} block under Webhooks"))?;
    let code = &section[start + lang.len() + 5..];
    Ok(code[..code.find("\n```").ok_or("an unterminated block")?].to_owned())
}

/// Runs `program args…`; `None` when the program is not installed (an error under CI).
fn run(program: &str, args: &[&str]) -> Result<Option<String>, String> {
    match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => Ok(Some(String::from_utf8_lossy(&out.stdout).trim().to_owned())),
        Ok(out) => Err(format!("{program} failed: {}", String::from_utf8_lossy(&out.stderr))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if std::env::var("CI").is_ok_and(|ci| ci == "true" || ci == "1") {
                Err(format!("{program} is not installed, and CI=true: the README's snippet must be checked"))
            } else {
                eprintln!("{program} not installed: the README's snippet is not checked here (CI checks it)");
                Ok(None)
            }
        }
        Err(e) => Err(format!("{program}: {e}")),
    }
}

pub fn readme_snippets_verify(secret: &str, request: &Received) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile_dir()?;
    let body = dir.join("body");
    let tampered = dir.join("tampered");
    std::fs::write(&body, &request.body)?;
    std::fs::write(&tampered, request.body.replace("ping", "pong"))?;
    let header = request.header("kensa-signature");
    let python = format!(
        "{}\nimport sys\nprint(verify(sys.argv[1], sys.argv[2], open(sys.argv[3], 'rb').read()))",
        readme_block("python")?
    );
    let node = format!(
        "{}\nconsole.log(verify(process.argv[1], process.argv[2], require('fs').readFileSync(process.argv[3])) ? 'True' : 'False');",
        readme_block("js")?
    );
    for (program, flag, script) in [("python3", "-c", python.as_str()), ("node", "-e", node.as_str())] {
        let path = |p: &std::path::Path| p.display().to_string();
        let cases =
            [(secret, path(&body), "True"), (secret, path(&tampered), "False"), ("whsec_other", path(&body), "False")];
        for (key, file, expected) in cases {
            if let Some(answer) = run(program, &[flag, script, key, header, &file])? {
                assert_eq!(answer, expected, "{program} with {file}");
            }
        }
    }
    std::fs::remove_dir_all(dir)?;
    Ok(())
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("kensa-webhook-snippets-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
