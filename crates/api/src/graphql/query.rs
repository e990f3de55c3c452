use async_graphql::{Context, Object};
use kensa_domain::{Kensa, users};

use super::types::MeGql;
use super::{Caller, to_graphql};
use crate::error::ApiError;

pub struct Query;

#[Object]
impl Query {
    /// The signed-in user, their organization and role.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<MeGql> {
        let tenant = ctx.data::<Caller>()?.require()?;
        let kensa = ctx.data::<Kensa>()?;
        users::service::me(kensa, tenant).await.map(Into::into).map_err(|e| to_graphql(ApiError::from(e)))
    }
}
