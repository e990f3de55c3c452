//! GraphQL at `POST /graphql` (GraphiQL on `GET /graphql`). Resolvers call the same domain
//! services as REST and report the same stable codes in `extensions.code`.

//!
//! Everything a caller controls is bounded (see `limits`): body size (before
//! authentication for anonymous callers), batch size, aliases, root fields, mutations,
//! variables, cost and depth (`cost`), time and concurrency (`guard`). Anonymous callers
//! get the invitation preview only.

pub mod cost;
pub mod guard;
mod http;
pub mod limits;
mod mutation;
mod query;
pub mod refusal;
mod text_guard;
mod workflow;

use async_graphql::{EmptySubscription, ErrorExtensions, Schema};
use kensa_domain::tenant::TenantCtx;

use crate::error::ApiError;

pub use guard::GraphqlGuard;
pub use http::{execute, graphiql};

pub type KensaSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Depth and cost are checked by [`cost::CostLimits`] (which answers with stable codes), not
/// by async-graphql's `limit_depth`/`limit_complexity` (which answer without one).
pub fn build_schema() -> KensaSchema {
    Schema::build(query::Query::default(), mutation::Mutation::default(), EmptySubscription)
        .limit_directives(8)
        .extension(cost::CostLimits)
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
    pub(crate) fn signed_in(&self) -> bool {
        matches!(self.0, Ok(Some(_)))
    }

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
    if let ApiError::Domain(kensa_domain::DomainError::Internal(message)) = &e {
        refusal::log_internal(message);
    }
    let fields: Vec<(String, kensa_domain::ErrorCode, String)> =
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
