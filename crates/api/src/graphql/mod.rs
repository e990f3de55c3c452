//! GraphQL at `POST /graphql` (GraphiQL on `GET /graphql`). Resolvers call the same domain
//! services as REST and report the same stable codes in `extensions.code`.

mod mutation;
mod query;
mod text_guard;
mod types;
mod workflow;

use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::http::GraphiQLSource;
use async_graphql::{EmptySubscription, ErrorExtensions, Schema};
use async_graphql_actix_web::GraphQLResponse;
use kensa_domain::tenant::TenantCtx;

use crate::error::ApiError;
use crate::extract::{bearer, request_meta};
use crate::state::AppState;

pub type KensaSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

pub fn build_schema() -> KensaSchema {
    Schema::build(query::Query::default(), mutation::Mutation::default(), EmptySubscription)
        .limit_depth(16)
        .limit_complexity(1000)
        .extension(text_guard::TextGuard)
        .finish()
}

/// The SDL as committed in `openapi/schema.graphql`.
pub fn sdl() -> String {
    build_schema().sdl()
}

/// The caller as authentication saw it: signed in, anonymous, or a rejected token.
#[derive(Clone)]
pub(crate) struct Caller(Result<Option<TenantCtx>, (String, String)>);

impl Caller {
    pub(crate) fn require(&self) -> async_graphql::Result<&TenantCtx> {
        match &self.0 {
            Ok(Some(ctx)) => Ok(ctx),
            Ok(None) => Err(to_graphql(ApiError::MissingCredentials)),
            Err((code, message)) => {
                let code = code.clone();
                Err(async_graphql::Error::new(message.clone()).extend_with(|_, e| e.set("code", code.clone())))
            }
        }
    }
}

/// Maps the API error to a GraphQL error with the REST code and status in `extensions`.
pub(crate) fn to_graphql(e: ApiError) -> async_graphql::Error {
    use actix_web::ResponseError;
    let status = e.status_code().as_u16();
    let code = e.code();
    let fields: Vec<(String, &str, String)> =
        e.field_errors().iter().map(|f| (f.field.clone(), f.code, f.message.clone())).collect();
    async_graphql::Error::new(e.public_detail().unwrap_or_default()).extend_with(|_, ext| {
        ext.set("code", code);
        ext.set("status", status);
        if !fields.is_empty() {
            let list: Vec<async_graphql::Value> = fields
                .iter()
                .map(|(field, code, message)| {
                    let mut map = async_graphql::indexmap::IndexMap::new();
                    map.insert(async_graphql::Name::new("field"), async_graphql::Value::from(field.as_str()));
                    map.insert(async_graphql::Name::new("code"), async_graphql::Value::from(*code));
                    map.insert(async_graphql::Name::new("message"), async_graphql::Value::from(message.as_str()));
                    async_graphql::Value::Object(map)
                })
                .collect();
            ext.set("errors", async_graphql::Value::List(list));
        }
    })
}

/// GraphQL bodies carry template documents and whole answer sets, so they get the template
/// limit, and are read (and capped) before anyone is authenticated.
pub const BODY_LIMIT: usize = crate::rest::templates::TEMPLATE_LIMIT;

pub async fn execute(
    state: web::Data<AppState>,
    schema: web::Data<KensaSchema>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<GraphQLResponse, ApiError> {
    let bytes = crate::extract::read_body(&req, payload, BODY_LIMIT).await?;
    let batch: async_graphql::BatchRequest =
        serde_json::from_slice(&bytes).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    let caller = match bearer(&req) {
        Ok(Some(token)) => {
            kensa_domain::auth::authenticate(&state.kensa, &token, request_meta(&req)).await.map(Some).map_err(|e| {
                let e = ApiError::from(e);
                (e.code().to_owned(), e.public_detail().unwrap_or_default())
            })
        }
        Ok(None) => Ok(None),
        Err(e) => Err((e.code().to_owned(), e.public_detail().unwrap_or_default())),
    };
    let batch = batch.data(state.kensa.clone()).data(Caller(caller)).data(request_meta(&req));
    Ok(schema.execute_batch(batch).await.into())
}

pub async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(GraphiQLSource::build().endpoint("/graphql").finish())
}
