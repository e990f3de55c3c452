use async_graphql::{Context, Object};
use kensa_domain::templates::{self, TemplateDocument, TemplateSummary, TemplateView, TreeFilter};
use kensa_domain::{Kensa, users};
use uuid::Uuid;

use super::connection::{self, Paged};
use super::{Caller, gql};

#[derive(Default)]
pub struct CoreQuery;

/// The whole query root.
#[derive(async_graphql::MergedObject, Default)]
pub struct Query(
    CoreQuery,
    super::workflow::WorkflowQuery,
    super::scores::ScoresQuery,
    super::comparison::ComparisonFields,
    super::chasing::ChasingQuery,
    super::webhooks::WebhookQuery,
    super::account::AccountQuery,
    super::library::LibraryQuery,
    super::sharing::SharingQuery,
    super::supply_chain::SupplyChainQuery,
);

#[Object]
impl CoreQuery {
    /// The signed-in user, their organization and role.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<users::Me> {
        let tenant = ctx.data::<Caller>()?.require()?;
        let kensa = ctx.data::<Kensa>()?;
        users::service::me(kensa, tenant).await.map_err(gql)
    }

    /// Built-in templates (latest version of each) and the organization's own.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn templates(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "1–200, default 50")] first: Option<u64>,
        #[graphql(desc = "`endCursor` (or an edge's cursor) of the previous page")] after: Option<String>,
    ) -> async_graphql::Result<Paged<TemplateSummary>> {
        let tenant = ctx.data::<Caller>()?.require()?;
        let page = connection::request(first, after)?;
        let result = templates::service::list(ctx.data::<Kensa>()?, tenant, &page).await.map_err(gql)?;
        Ok(connection::from_page(result))
    }

    /// One template with its tree, optionally only up to a level or for one category.
    async fn template(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        max_level: Option<i64>,
        category: Option<i64>,
    ) -> async_graphql::Result<TemplateView> {
        let tenant = ctx.data::<Caller>()?.require()?;
        let filter = TreeFilter::parse(max_level, category).map_err(gql)?;
        let view = templates::service::get(ctx.data::<Kensa>()?, tenant, id, filter).await.map_err(gql)?;
        if let Some(items) = ctx.data_opt::<super::cost::TreeItems>() {
            items.charge(view.filtered_item_count)?;
        }
        Ok(view)
    }

    /// The template as an importable document, as `GET /api/v1/templates/{id}/export`.
    #[graphql(complexity = "super::cost::TEMPLATE_DOCUMENT_COST")]
    async fn template_export(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<TemplateDocument> {
        let tenant = ctx.data::<Caller>()?.require()?;
        let document = templates::service::export(ctx.data::<Kensa>()?, tenant, id).await.map_err(gql)?;
        if let Some(items) = ctx.data_opt::<super::cost::TreeItems>() {
            let count = document.categories.iter().flat_map(|c| &c.sections).map(|s| s.items.len()).sum();
            items.charge(count)?;
        }
        Ok(document)
    }
}
