use async_graphql::{Context, Object};
use kensa_domain::ErrorCode;
use kensa_domain::Kensa;
use kensa_domain::templates::{self, CloneInput, TemplateDocument, TemplatePatch, TemplateView};
use serde::Serialize;
use uuid::Uuid;

use super::{Caller, gql};
use crate::rest::templates::{CloneRequest, TemplatePatchRequest};

#[derive(Default)]
pub struct TemplateMutation;

/// The whole mutation root.
#[derive(async_graphql::MergedObject, Default)]
pub struct Mutation(
    TemplateMutation,
    super::workflow::WorkflowMutation,
    super::chasing::ChasingMutation,
    super::webhooks::WebhookMutation,
    super::account::AccountMutation,
    super::library::LibraryMutation,
    super::sharing::SharingMutation,
    super::supply_chain::SupplyChainMutation,
);

/// The REST bound on a template document (4 MiB) holds for GraphQL too, whose signed-in
/// bodies may be twice that: measured as the JSON it serialises to, without building it.
fn template_document_size(field: &str, value: &impl Serialize) -> async_graphql::Result<()> {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    serde_json::to_writer(&mut counter, value)?;
    let limit = crate::rest::templates::TEMPLATE_DOCUMENT_LIMIT;
    if counter.0 > limit {
        return Err(gql(kensa_domain::DomainError::validation(
            field,
            ErrorCode::TooLong,
            format!("a template document may be at most {limit} bytes, got {}", counter.0),
        )));
    }
    Ok(())
}

#[Object]
impl TemplateMutation {
    /// Import a custom template (the document of `POST /api/v1/templates`).
    async fn import_template(&self, ctx: &Context<'_>, input: TemplateDocument) -> async_graphql::Result<TemplateView> {
        let tenant = ctx.data::<Caller>()?.require()?;
        template_document_size("input", &input)?;
        let editor = tenant.editor().map_err(gql)?;
        templates::service::import(ctx.data::<Kensa>()?, editor, input).await.map_err(gql)
    }

    /// Copy a template into the organization (`key` defaults to the source's with a suffix).
    async fn clone_template(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: Option<CloneRequest>,
    ) -> async_graphql::Result<TemplateView> {
        let tenant = ctx.data::<Caller>()?.require()?;
        let editor = tenant.editor().map_err(gql)?;
        let CloneRequest { key, name } = input.unwrap_or_default();
        templates::service::clone(ctx.data::<Kensa>()?, editor, id, CloneInput { key, name }).await.map_err(gql)
    }

    /// Edit an unused custom template, as `PATCH /api/v1/templates/{id}`.
    async fn update_template(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        input: TemplatePatchRequest,
        if_match: Option<i32>,
    ) -> async_graphql::Result<TemplateView> {
        let tenant = ctx.data::<Caller>()?.require()?;
        template_document_size("input", &input)?;
        let editor = tenant.editor().map_err(gql)?;
        let p = input;
        let patch = TemplatePatch {
            key: p.key,
            name: p.name,
            name_en: p.name_en,
            guideline_version: p.guideline_version,
            language: p.language,
            answer_scale: p.answer_scale,
            categories: p.categories,
        };
        templates::service::update(ctx.data::<Kensa>()?, editor, id, patch, if_match).await.map_err(gql)
    }
}
