//! The caller, for GraphQL fields that domain types resolve themselves.
//!
//! GraphQL's root fields live in the API crate, which knows the caller and turns a
//! [`DomainError`] into a GraphQL error with its stable code and status. A field *of a domain
//! type* that needs a service (`Assessment.score`) must be resolved beside the type, here:
//! async-graphql's `ComplexObject` cannot be implemented in another crate. So that such a
//! field answers exactly as a root field would, the API puts a [`GraphqlCaller`] in every
//! operation's data: the caller (when signed in) and the API's own error translation. The
//! domain still knows nothing of HTTP, and there is one translation of errors, the API's.

use async_graphql::Context;

use crate::Kensa;
use crate::error::{DomainError, ErrorCode};
use crate::tenant::TenantCtx;

/// The API's translation of a domain error into a GraphQL error.
pub type TranslateError = fn(DomainError) -> async_graphql::Error;

/// Who runs the operation, as a domain resolver needs it.
#[derive(Clone)]
pub struct GraphqlCaller {
    tenant: Option<TenantCtx>,
    translate: TranslateError,
}

impl GraphqlCaller {
    /// `tenant` is `None` for an anonymous caller.
    pub fn new(tenant: Option<TenantCtx>, translate: TranslateError) -> Self {
        Self { tenant, translate }
    }

    /// The services and the signed-in caller of the operation `ctx` belongs to. The
    /// operation's data always has both when it came through the API; anonymous callers are
    /// refused as root fields refuse them (401).
    pub(crate) fn of<'a>(ctx: &'a Context<'_>) -> async_graphql::Result<(&'a Kensa, &'a TenantCtx, &'a Self)> {
        let caller = ctx.data::<GraphqlCaller>()?;
        let kensa = ctx.data::<Kensa>()?;
        let tenant = caller.tenant.as_ref().ok_or_else(|| {
            caller.error(DomainError::Unauthenticated { code: ErrorCode::Unauthenticated, detail: "sign in first" })
        })?;
        Ok((kensa, tenant, caller))
    }

    pub(crate) fn error(&self, e: DomainError) -> async_graphql::Error {
        (self.translate)(e)
    }
}
