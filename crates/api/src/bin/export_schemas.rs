//! `kensa-export-schemas [DIR]`: the same as `kensa-api export-schemas [DIR]`, kept so the
//! older command (`cargo run -p kensa-api --bin kensa-export-schemas`) still works. Writes
//! `openapi/openapi.json` and `openapi/schema.graphql`; a test fails when they drift.

use std::process::ExitCode;

fn main() -> ExitCode {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "openapi".into());
    match kensa_api::schemas::export(std::path::Path::new(&dir)) {
        Ok(written) => {
            written.iter().for_each(|path| println!("wrote {}", path.display()));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
