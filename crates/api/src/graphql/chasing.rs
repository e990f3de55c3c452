//! GraphQL for the chasing schedule, re-reviews, remediation progress and deliveries: the
//! same services and codes as REST.

use async_graphql::{Context, Object};
use kensa_domain::assessments::remediation::{self, RemediationUpdate};
use kensa_domain::assessments::{Answer, Assessment};
use kensa_domain::chase::review::{self, OpenReviewInput};
use kensa_domain::chase::settings::{self, OrganizationSettings, SettingsChange};
use kensa_domain::deliveries::{self, Delivery, DeliveryFilter, DeliveryStatus};
use kensa_domain::jobs::Channel;
use uuid::Uuid;

use super::connection::{self, Paged};
use super::gql;
use super::idempotent;
use super::workflow::caller;

#[derive(Default)]
pub struct ChasingQuery;

#[Object]
impl ChasingQuery {
    /// The organization's chasing schedule, as `GET /api/v1/organization/settings` (owners
    /// and admins).
    async fn organization_settings(&self, ctx: &Context<'_>) -> async_graphql::Result<OrganizationSettings> {
        let (k, t) = caller(ctx)?;
        settings::get(k, t).await.map_err(gql)
    }

    /// Mails and webhook calls made for the organization, as `GET /api/v1/deliveries`
    /// (owners and admins).
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        status: Option<DeliveryStatus>,
        channel: Option<Channel>,
        target: Option<String>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<Delivery>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        let filter = DeliveryFilter { status, channel, target };
        Ok(connection::from_page(deliveries::list(k, t.admin().map_err(gql)?, &filter, &page).await.map_err(gql)?))
    }
}

#[derive(Default)]
pub struct ChasingMutation;

#[Object]
impl ChasingMutation {
    /// Change the settings (schedule, MFA policy, session limits), as
    /// `PATCH /api/v1/organization/settings`.
    async fn update_organization_settings(
        &self,
        ctx: &Context<'_>,
        input: SettingsChange,
        if_match: Option<i32>,
    ) -> async_graphql::Result<OrganizationSettings> {
        let (k, t) = caller(ctx)?;
        settings::update(k, t.admin().map_err(gql)?, input, if_match).await.map_err(gql)
    }

    /// Open a supplier's next review now, as `POST /api/v1/suppliers/{id}/reviews`.
    async fn open_review(
        &self,
        ctx: &Context<'_>,
        supplier_id: Uuid,
        #[graphql(default)] input: OpenReviewInput,
        #[graphql(
            desc = "Retry-safe: the same key and input within 24 h returns the first result, as REST's `Idempotency-Key`."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<Assessment> {
        let (k, t) = caller(ctx).map(|(k, t)| (k.clone(), t.clone()))?;
        let request = idempotent::Request::new("openReview", &(supplier_id, &input))?;
        idempotent::run(&k.clone(), &t.clone(), idempotency_key, request, async move {
            review::open_now(&k, t.editor().map_err(gql)?, supplier_id, input).await.map_err(gql)
        })
        .await
    }

    /// Record remediation progress, as `POST /api/v1/assessments/{id}/remediations/{no}`.
    async fn update_remediation(
        &self,
        ctx: &Context<'_>,
        assessment_id: Uuid,
        no: u32,
        input: RemediationUpdate,
        if_match: Option<i32>,
    ) -> async_graphql::Result<Answer> {
        let (k, t) = caller(ctx)?;
        remediation::update(k, t, assessment_id, no, input, if_match).await.map_err(gql)
    }

    /// Send a dead delivery again, as `POST /api/v1/deliveries/{id}/resend`.
    async fn resend_delivery(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Delivery> {
        let (k, t) = caller(ctx)?;
        deliveries::resend(k, t.admin().map_err(gql)?, id).await.map_err(gql)
    }
}
