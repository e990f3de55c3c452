//! GraphQL for the caller's own account security and the organization's API keys: the
//! same services, inputs and codes as `/api/v1/me/mfa…`, `/api/v1/me/sessions…` and
//! `/api/v1/api-keys`. (Signing in, with its second step, is REST's: a GraphQL request
//! always carries a token already.)

use async_graphql::{Context, Object, SimpleObject};
use kensa_domain::api_keys::{self, ApiKey, NewApiKey};
use kensa_domain::auth::mfa::{self, MfaStatus, RecoveryCodes, TotpEnrolment};
use kensa_domain::auth::sign_ins::{self, SignIn};
use uuid::Uuid;

use super::connection::{self, Paged};
use super::gql;
use super::workflow::caller;

/// A key just made, as `POST /api/v1/api-keys` answers it.
#[derive(SimpleObject)]
pub struct CreatedApiKeyView {
    pub api_key: ApiKey,
    /// The credential, `kensa_live_…`: store it now, it is never shown again.
    pub key: String,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The caller's second factor, as `GET /api/v1/me/mfa`.
    async fn mfa_status(&self, ctx: &Context<'_>) -> async_graphql::Result<MfaStatus> {
        let (k, t) = caller(ctx)?;
        mfa::status(k, t).await.map_err(gql)
    }

    /// The caller's open sign-ins, as `GET /api/v1/me/sessions` (at most 100).
    #[graphql(complexity = "100 * child_complexity")]
    async fn my_sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<SignIn>> {
        let (k, t) = caller(ctx)?;
        sign_ins::list(k, t).await.map_err(gql)
    }

    /// The organization's API keys, as `GET /api/v1/api-keys` (owners and admins).
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn api_keys(
        &self,
        ctx: &Context<'_>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<ApiKey>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        Ok(connection::from_page(api_keys::list(k, t.admin().map_err(gql)?, &page).await.map_err(gql)?))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Start TOTP enrolment, as `POST /api/v1/me/mfa/totp`.
    async fn start_totp_enrolment(&self, ctx: &Context<'_>) -> async_graphql::Result<TotpEnrolment> {
        let (k, t) = caller(ctx)?;
        mfa::start_enrolment(k, t).await.map_err(gql)
    }

    /// Confirm it with the app's first code, as `POST /api/v1/me/mfa/totp/confirm`.
    async fn confirm_totp_enrolment(&self, ctx: &Context<'_>, code: String) -> async_graphql::Result<RecoveryCodes> {
        let (k, t) = caller(ctx)?;
        mfa::confirm_enrolment(k, t, &code).await.map_err(gql)
    }

    /// Turn TOTP off with a current code or a recovery code, as `DELETE /api/v1/me/mfa/totp`.
    async fn disable_totp(&self, ctx: &Context<'_>, code: String) -> async_graphql::Result<bool> {
        let (k, t) = caller(ctx)?;
        mfa::disable(k, t, &code).await.map_err(gql)?;
        Ok(true)
    }

    /// New recovery codes, as `POST /api/v1/me/mfa/recovery-codes`.
    async fn regenerate_recovery_codes(&self, ctx: &Context<'_>, code: String) -> async_graphql::Result<RecoveryCodes> {
        let (k, t) = caller(ctx)?;
        mfa::regenerate_recovery_codes(k, t, &code).await.map_err(gql)
    }

    /// End one of the caller's sign-ins, as `DELETE /api/v1/me/sessions/{id}`.
    async fn end_session(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<bool> {
        let (k, t) = caller(ctx)?;
        sign_ins::end(k, t, id).await.map_err(gql)?;
        Ok(true)
    }

    /// End every other sign-in of the caller, as `DELETE /api/v1/me/sessions`; how many ended.
    async fn end_other_sessions(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        let (k, t) = caller(ctx)?;
        sign_ins::end_others(k, t).await.map_err(gql)
    }

    /// Make an API key, as `POST /api/v1/api-keys` (owners and admins, signed in as themselves).
    async fn create_api_key(&self, ctx: &Context<'_>, input: NewApiKey) -> async_graphql::Result<CreatedApiKeyView> {
        let (k, t) = caller(ctx)?;
        let created = api_keys::create(k, t.admin().map_err(gql)?, input).await.map_err(gql)?;
        Ok(CreatedApiKeyView { api_key: created.api_key, key: created.key })
    }

    /// Revoke an API key, as `DELETE /api/v1/api-keys/{id}`.
    async fn revoke_api_key(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<bool> {
        let (k, t) = caller(ctx)?;
        api_keys::revoke(k, t.admin().map_err(gql)?, id).await.map_err(gql)?;
        Ok(true)
    }
}
