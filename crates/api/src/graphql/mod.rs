//! GraphQL at `POST /graphql` (GraphiQL on `GET /graphql`, from `assets`). Resolvers call
//! the same domain services as REST, with the same input types (input objects derived on
//! the domain's and REST's types), and report the same stable codes and statuses in
//! `extensions.code` and `extensions.status`. Lists are Relay connections (`connection`);
//! every type problem of the arguments is listed before anything runs (`input_check`).
//!
//! Everything a caller controls is bounded (see `limits`): body size (before
//! authentication for anonymous callers), batch size, aliases, root fields, mutations,
//! variables, cost and depth (`cost`), time and concurrency (`guard`). Anonymous callers
//! get the invitation preview only; a credential that does not authenticate gets its 401.

mod account;
mod assets;
mod chasing;
mod comparison;
mod connection;
pub mod cost;
pub mod guard;
mod http;
mod idempotent;
mod input_check;
mod library;
pub mod limits;
mod mutation;
mod query;
pub mod refusal;
mod scores;
mod sharing;
mod supply_chain;
mod text_guard;
mod webhooks;
mod workflow;

use async_graphql::{EmptySubscription, ErrorExtensions, Schema};
use kensa_domain::tenant::TenantCtx;

use crate::error::ApiError;

pub use assets::asset as graphiql_asset;
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

/// The caller as authentication saw it: signed in, anonymous, or a rejected credential
/// (kept as its GraphQL error, `extensions.code` and `status` 401, so that every operation
/// of the request answers it).
#[derive(Clone)]
pub(crate) struct Caller(Result<Option<TenantCtx>, async_graphql::Error>);

impl Caller {
    pub(crate) fn new(result: Result<Option<TenantCtx>, ApiError>) -> Self {
        Self(result.map_err(to_graphql))
    }

    pub(crate) fn signed_in(&self) -> bool {
        matches!(self.0, Ok(Some(_)))
    }

    /// The signed-in caller, or the authentication error (401).
    pub(crate) fn require(&self) -> async_graphql::Result<&TenantCtx> {
        self.optional()?.ok_or_else(|| to_graphql(ApiError::MissingCredentials))
    }

    /// The signed-in caller or nobody; a rejected credential is its error, never "nobody".
    pub(crate) fn optional(&self) -> async_graphql::Result<Option<&TenantCtx>> {
        match &self.0 {
            Ok(ctx) => Ok(ctx.as_ref()),
            Err(e) => Err(e.clone()),
        }
    }
}

/// A resolver's error: the API error with field paths in GraphQL's casing (`dueDate`,
/// `supplierIds[2]`, `items.12.remediationPlan`), the names the client sent.
pub(crate) fn gql<E: Into<ApiError>>(e: E) -> async_graphql::Error {
    let e = match e.into() {
        ApiError::Domain(kensa_domain::DomainError::Validation(errors)) => {
            ApiError::Domain(kensa_domain::DomainError::Validation(graphql_fields(errors)))
        }
        ApiError::Domain(kensa_domain::DomainError::Unprocessable { code, detail, errors }) => {
            ApiError::Domain(kensa_domain::DomainError::Unprocessable { code, detail, errors: graphql_fields(errors) })
        }
        other => other,
    };
    to_graphql(e)
}

fn graphql_fields(errors: Vec<kensa_domain::FieldError>) -> Vec<kensa_domain::FieldError> {
    errors.into_iter().map(|e| kensa_domain::FieldError { field: camel_path(&e.field), ..e }).collect()
}

/// `supplier_ids[2].due_date` → `supplierIds[2].dueDate`.
pub(crate) fn camel_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut upper = false;
    for c in path.chars() {
        match c {
            '_' if out.ends_with(|p: char| p.is_ascii_alphanumeric()) => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// Maps the API error to a GraphQL error with the REST code and status in `extensions`, and
/// REST's per-field `errors: [{field, code, message}]` for validation errors.
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

#[cfg(test)]
mod tests {
    #[test]
    fn field_paths_take_graphql_casing() {
        assert_eq!(super::camel_path("supplier_ids[2]"), "supplierIds[2]");
        assert_eq!(super::camel_path("items.12.remediation_plan"), "items.12.remediationPlan");
        assert_eq!(super::camel_path("name"), "name");
    }
}
