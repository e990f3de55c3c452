//! The committed contract, `openapi/openapi.json` and `openapi/schema.graphql`, written from
//! the code by `kensa-api export-schemas` and `kensa-export-schemas`; a test fails when the
//! committed files drift from it.

use std::path::{Path, PathBuf};

/// Writes both files into `dir` and returns their paths.
pub fn export(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let files = [("openapi.json", crate::openapi::json()), ("schema.graphql", crate::graphql::sdl())];
    let mut written = Vec::new();
    for (name, contents) in files {
        let path = dir.join(name);
        std::fs::write(&path, contents).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
