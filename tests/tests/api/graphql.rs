use crate::helpers::{TestResult, spawn_app};

#[tokio::test]
async fn me_over_graphql_matches_rest() -> TestResult {
    let app = spawn_app().await;
    let owner = app.signup("Acme").await;
    let reply =
        app.graphql(Some(&owner.access_token), "{ me { role user { id email } organization { id name } } }").await;
    assert!(reply.body["errors"].is_null(), "{}", reply.body);
    let me = &reply.body["data"]["me"];
    assert_eq!(me["role"], "owner");
    assert_eq!(me["user"]["id"], owner.user_id.as_str());
    assert_eq!(me["organization"]["name"], "Acme");
    Ok(())
}

#[tokio::test]
async fn graphql_reports_the_same_error_codes_as_rest() -> TestResult {
    let app = spawn_app().await;
    let reply = app.graphql(Some("not-a-jwt"), "{ me { role } }").await;
    assert_eq!(reply.body["errors"][0]["extensions"]["code"], "invalid_token");
    Ok(())
}

#[tokio::test]
async fn graphiql_is_served_on_get() -> TestResult {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/graphql")).send().await?;
    assert_eq!(response.status().as_u16(), 200);
    assert!(response.text().await?.to_lowercase().contains("graphiql"));
    Ok(())
}
