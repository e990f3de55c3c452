//! GraphQL for sharing with consent: the same services and codes as REST's
//! `/api/v1/shares` and `/api/v1/share-requests`.

use async_graphql::{Context, Object};
use kensa_domain::shares::{
    self, NewShare, NewShareRequest, NewShareReview, Share, ShareDirection, ShareRequest, ShareReviewed,
    SharedAssessment, SharedComparisonRow,
};
use uuid::Uuid;

use super::connection::{self, Paged};
use super::gql;
use super::workflow::caller;

#[derive(Default)]
pub struct SharingQuery;

#[Object]
impl SharingQuery {
    /// Shares the organization made and those made to it (still readable), as
    /// `GET /api/v1/shares`.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn shares(
        &self,
        ctx: &Context<'_>,
        direction: Option<ShareDirection>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<Share>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        Ok(connection::from_page(shares::list(k, t, direction, &page).await.map_err(gql)?))
    }

    /// One share, as `GET /api/v1/shares/{id}`.
    async fn share(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Share> {
        let (k, t) = caller(ctx)?;
        shares::get(k, t, id).await.map_err(gql)
    }

    /// What the share lets the caller's organization read, as
    /// `GET /api/v1/shares/{id}/assessment` (recorded in the supplier's audit trail).
    async fn shared_assessment(&self, ctx: &Context<'_>, share_id: Uuid) -> async_graphql::Result<SharedAssessment> {
        let (k, t) = caller(ctx)?;
        shares::read(k, t, share_id).await.map_err(gql)
    }

    /// Every share the organization may read now, with its score, as
    /// `GET /api/v1/comparison/shared` (each score shown is in the supplier's audit trail).
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn shared_comparison(
        &self,
        ctx: &Context<'_>,
        template_id: Option<Uuid>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<SharedComparisonRow>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        Ok(connection::from_page(shares::shared_comparison(k, t, template_id, &page).await.map_err(gql)?))
    }

    /// Share requests the organization made or was asked, as `GET /api/v1/share-requests`.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn share_requests(
        &self,
        ctx: &Context<'_>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<ShareRequest>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        Ok(connection::from_page(shares::list_requests(k, t, &page).await.map_err(gql)?))
    }
}

#[derive(Default)]
pub struct SharingMutation;

#[Object]
impl SharingMutation {
    /// Share a submitted assessment or the live library, as `POST /api/v1/shares` (the
    /// answer's `linkToken` is shown only here, and to a retry with the same key).
    async fn create_share(
        &self,
        ctx: &Context<'_>,
        input: NewShare,
        #[graphql(
            desc = "Retry-safe: the same key and input within 24 h returns the first result, as REST's `Idempotency-Key`."
        )]
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<Share> {
        let k = ctx.data::<kensa_domain::Kensa>()?.clone();
        let t = ctx.data::<super::Caller>()?.require()?.clone();
        let request = super::idempotent::Request::new("createShare", &input)?;
        super::idempotent::run(&k.clone(), &t.clone(), idempotency_key, request, async move {
            shares::create(&k, &t, input).await.map_err(gql)
        })
        .await
    }

    /// Revoke a share, as `DELETE /api/v1/shares/{id}`.
    async fn revoke_share(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<bool> {
        let (k, t) = caller(ctx)?;
        shares::revoke(k, t, id).await.map_err(gql)?;
        Ok(true)
    }

    /// Accept a share's terms, as `POST /api/v1/shares/{id}/accept-terms`.
    async fn accept_share_terms(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Share> {
        let (k, t) = caller(ctx)?;
        shares::accept_terms(k, t, id).await.map_err(gql)
    }

    /// Review a share (accept, or ask for changes: a share request to the supplier), as
    /// `POST /api/v1/shares/{id}/review`.
    async fn review_share(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: NewShareReview,
    ) -> async_graphql::Result<ShareReviewed> {
        let (k, t) = caller(ctx)?;
        shares::review(k, t, id, input).await.map_err(gql)
    }

    /// Claim a share sent to the caller's email domain, as `POST /api/v1/shares/claim/{token}`.
    async fn claim_share(&self, ctx: &Context<'_>, token: String) -> async_graphql::Result<Share> {
        let (k, t) = caller(ctx)?;
        shares::claim(k, t, &token).await.map_err(gql)
    }

    /// Ask a supplier to share its answers, as `POST /api/v1/share-requests` (an open
    /// request for the same supplier and checklist is answered again).
    async fn request_share(&self, ctx: &Context<'_>, input: NewShareRequest) -> async_graphql::Result<ShareRequest> {
        let (k, t) = caller(ctx)?;
        Ok(shares::request(k, t, input).await.map_err(gql)?.0)
    }

    /// Decline a share request, as `POST /api/v1/share-requests/{id}/decline`.
    async fn decline_share_request(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<ShareRequest> {
        let (k, t) = caller(ctx)?;
        shares::decline_request(k, t, id).await.map_err(gql)
    }

    /// Withdraw a share request, as `DELETE /api/v1/share-requests/{id}`.
    async fn cancel_share_request(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<ShareRequest> {
        let (k, t) = caller(ctx)?;
        shares::cancel_request(k, t, id).await.map_err(gql)
    }
}
