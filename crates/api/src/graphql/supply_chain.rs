//! GraphQL for the multi-tier cascade: the same services and codes as REST's
//! `/api/v1/assessments/{id}/forwarding-consent`, `/api/v1/supply-chain/forwards` and
//! `/api/v1/comparison/supply-chain`.

use async_graphql::{Context, Object};
use kensa_domain::supply_chain::{
    self, ForwardingConsentView, NewSupplyChainForward, SetForwardingConsent, SupplyChainBelow, SupplyChainForward,
};
use uuid::Uuid;

use super::connection::{self, Paged};
use super::gql;
use super::workflow::caller;

#[derive(Default)]
pub struct SupplyChainQuery;

#[Object]
impl SupplyChainQuery {
    /// The supplier's forwarding consent for an assessment, as
    /// `GET /api/v1/assessments/{id}/forwarding-consent`.
    async fn forwarding_consent(
        &self,
        ctx: &Context<'_>,
        assessment_id: Uuid,
    ) -> async_graphql::Result<ForwardingConsentView> {
        let (k, t) = caller(ctx)?;
        supply_chain::consent(k, t, assessment_id).await.map_err(gql)
    }

    /// The organization's own forwards, as `GET /api/v1/supply-chain/forwards`.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn supply_chain_forwards(
        &self,
        ctx: &Context<'_>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<SupplyChainForward>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        Ok(connection::from_page(supply_chain::list_forwards(k, t, &page).await.map_err(gql)?))
    }

    /// One forward with its figure, as `GET /api/v1/supply-chain/forwards/{id}`.
    async fn supply_chain_forward(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<SupplyChainBelow> {
        let (k, t) = caller(ctx)?;
        supply_chain::supply_chain_forward(k, t, id).await.map_err(gql)
    }

    /// Every forward the organization receives with its figure, as
    /// `GET /api/v1/comparison/supply-chain`.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn supply_chain_below(
        &self,
        ctx: &Context<'_>,
        template_id: Option<Uuid>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<SupplyChainBelow>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        Ok(connection::from_page(supply_chain::supply_chain_below(k, t, template_id, &page).await.map_err(gql)?))
    }
}

#[derive(Default)]
pub struct SupplyChainMutation;

#[Object]
impl SupplyChainMutation {
    /// Give or withdraw the forwarding consent for an assessment, as
    /// `PUT /api/v1/assessments/{id}/forwarding-consent`.
    async fn set_forwarding_consent(
        &self,
        ctx: &Context<'_>,
        assessment_id: Uuid,
        input: SetForwardingConsent,
    ) -> async_graphql::Result<ForwardingConsentView> {
        let (k, t) = caller(ctx)?;
        supply_chain::set_consent(k, t, assessment_id, input).await.map_err(gql)
    }

    /// Forward the supply chain below to the buyer of an assessment the organization answers,
    /// as `POST /api/v1/supply-chain/forwards` (a standing forward is answered again).
    async fn forward_supply_chain(
        &self,
        ctx: &Context<'_>,
        input: NewSupplyChainForward,
    ) -> async_graphql::Result<SupplyChainForward> {
        let (k, t) = caller(ctx)?;
        Ok(supply_chain::forward(k, t, input).await.map_err(gql)?.0)
    }

    /// Withdraw a forward, as `DELETE /api/v1/supply-chain/forwards/{id}`.
    async fn revoke_supply_chain_forward(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<SupplyChainForward> {
        let (k, t) = caller(ctx)?;
        supply_chain::revoke_forward(k, t, id).await.map_err(gql)
    }
}
