//! The committed `openapi/` files must be what the code generates. Regenerate with
//! `cargo run -p kensa-api --bin kensa-export-schemas`.

use crate::helpers::TestResult;

fn committed(name: &str) -> Result<String, std::io::Error> {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi").join(name))
}

#[test]
fn committed_openapi_json_matches_the_code() -> TestResult {
    assert!(
        committed("openapi.json")? == kensa_api::openapi::json(),
        "openapi/openapi.json is stale: run `cargo run -p kensa-api --bin kensa-export-schemas`"
    );
    Ok(())
}

#[test]
fn committed_graphql_schema_matches_the_code() -> TestResult {
    assert!(
        committed("schema.graphql")? == kensa_api::graphql::sdl(),
        "openapi/schema.graphql is stale: run `cargo run -p kensa-api --bin kensa-export-schemas`"
    );
    Ok(())
}
