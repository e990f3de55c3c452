//! GraphQL for webhook endpoints: the same services, inputs and codes as
//! `/api/v1/webhooks` (owners and admins).

use async_graphql::{Context, Object};
use kensa_domain::deliveries::Delivery;
use kensa_domain::webhooks::{self, CreatedWebhook, Webhook, WebhookCreate, WebhookPatch};
use uuid::Uuid;

use super::connection::{self, Paged};
use super::idempotent;
use super::workflow::caller;
use super::{Caller, gql};

#[derive(Default)]
pub struct WebhookQuery;

#[Object]
impl WebhookQuery {
    /// The organization's webhook endpoints, without their secrets.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn webhooks(
        &self,
        ctx: &Context<'_>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<Webhook>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        Ok(connection::from_page(webhooks::service::list(k, t.admin().map_err(gql)?, &page).await.map_err(gql)?))
    }

    async fn webhook(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Webhook> {
        let (k, t) = caller(ctx)?;
        webhooks::service::get(k, t.admin().map_err(gql)?, id).await.map_err(gql)
    }

    /// One endpoint's deliveries, newest first, as `GET /api/v1/webhooks/{id}/deliveries`.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<Delivery>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        let deliveries = webhooks::service::deliveries(k, t.admin().map_err(gql)?, id, &page).await.map_err(gql)?;
        Ok(connection::from_page(deliveries))
    }
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Register an endpoint, as `POST /api/v1/webhooks`. The answer's `secret` is shown
    /// only here (and to a replay of the same `idempotencyKey` by the same user).
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        input: WebhookCreate,
        #[graphql(
            desc = "Retry-safe: the same key and input within 24 h returns the first result, as REST's `Idempotency-Key`."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<CreatedWebhook> {
        let k = ctx.data::<kensa_domain::Kensa>()?.clone();
        let t = ctx.data::<Caller>()?.require()?.clone();
        let request = idempotent::Request::new("createWebhook", &input)?;
        idempotent::run(&k.clone(), &t.clone(), idempotency_key, request, async move {
            webhooks::service::create(&k, t.admin().map_err(gql)?, input).await.map_err(gql)
        })
        .await
    }

    /// Change the fields sent, as `PATCH /api/v1/webhooks/{id}`.
    async fn update_webhook(&self, ctx: &Context<'_>, id: Uuid, input: WebhookPatch) -> async_graphql::Result<Webhook> {
        let (k, t) = caller(ctx)?;
        webhooks::service::update(k, t.admin().map_err(gql)?, id, input).await.map_err(gql)
    }

    async fn delete_webhook(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<bool> {
        let (k, t) = caller(ctx)?;
        webhooks::service::delete(k, t.admin().map_err(gql)?, id).await.map_err(gql)?;
        Ok(true)
    }

    /// Queue a `ping` delivery to the endpoint now, as `POST /api/v1/webhooks/{id}/ping`.
    async fn ping_webhook(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Delivery> {
        let (k, t) = caller(ctx)?;
        webhooks::service::ping(k, t.admin().map_err(gql)?, id).await.map_err(gql)
    }
}
