//! GraphQL for the supplier's answer library and prefills: the same services and codes as
//! REST's `/api/v1/library` and `/api/v1/assessments/{id}/prefill`.

use async_graphql::{Context, Object};
use kensa_domain::assessments::AnswerInput;
use kensa_domain::library::{self, Library, LibraryAnswer, LibraryLine, PrefillPlan};
use uuid::Uuid;

use super::gql;
use super::workflow::caller;

#[derive(Default)]
pub struct LibraryQuery;

#[Object]
impl LibraryQuery {
    /// The organization's answer library for the line of `templateId`, as
    /// `GET /api/v1/library/{template_id}` (owners, admins and respondents).
    async fn library(&self, ctx: &Context<'_>, template_id: Uuid) -> async_graphql::Result<Library> {
        let (k, t) = caller(ctx)?;
        library::view(k, t, template_id).await.map_err(gql)
    }

    /// Every line the organization's library holds answers for, as `GET /api/v1/library`.
    async fn library_lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<LibraryLine>> {
        let (k, t) = caller(ctx)?;
        library::lines(k, t).await.map_err(gql)
    }

    /// What a prefill of the assessment from the library would do, as
    /// `GET /api/v1/assessments/{id}/prefill`.
    async fn prefill_preview(&self, ctx: &Context<'_>, assessment_id: Uuid) -> async_graphql::Result<PrefillPlan> {
        let (k, t) = caller(ctx)?;
        library::preview(k, t, assessment_id).await.map_err(gql)
    }
}

#[derive(Default)]
pub struct LibraryMutation;

#[Object]
impl LibraryMutation {
    /// Write one answer of the library, as `PUT /api/v1/library/{template_id}/items/{no}`.
    async fn save_library_answer(
        &self,
        ctx: &Context<'_>,
        template_id: Uuid,
        no: u32,
        input: AnswerInput,
    ) -> async_graphql::Result<LibraryAnswer> {
        let (k, t) = caller(ctx)?;
        library::save_item(k, t, template_id, no, input).await.map_err(gql)
    }

    /// Remove one answer from the library, as `DELETE /api/v1/library/{template_id}/items/{no}`.
    async fn delete_library_answer(
        &self,
        ctx: &Context<'_>,
        template_id: Uuid,
        no: u32,
    ) -> async_graphql::Result<bool> {
        let (k, t) = caller(ctx)?;
        library::delete_item(k, t, template_id, no).await.map_err(gql)?;
        Ok(true)
    }

    /// Prefill the assessment from the library, as `POST /api/v1/assessments/{id}/prefill`.
    async fn prefill_assessment(
        &self,
        ctx: &Context<'_>,
        assessment_id: Uuid,
        if_match: Option<i32>,
    ) -> async_graphql::Result<PrefillPlan> {
        let (k, t) = caller(ctx)?;
        library::prefill(k, t, assessment_id, if_match).await.map_err(gql)
    }
}
