//! Writes `openapi/openapi.json` and `openapi/schema.graphql` from the code:
//! `cargo run -p kensa-api --bin kensa-export-schemas`. A test fails when they drift.

use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "openapi".into());
    let files = [("openapi.json", kensa_api::openapi::json()), ("schema.graphql", kensa_api::graphql::sdl())];
    for (name, contents) in files {
        let path = std::path::Path::new(&dir).join(name);
        if let Err(e) = std::fs::write(&path, contents) {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {}", path.display());
    }
    ExitCode::SUCCESS
}
