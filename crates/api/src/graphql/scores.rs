//! GraphQL for gaps and score history: the same services as `GET …/gaps` and
//! `GET /api/v1/suppliers/{id}/scores`. (An assessment's score is its `score` field, resolved
//! beside the type in the domain: see `kensa_domain::graphql`.)

use async_graphql::{Context, Object};
use kensa_domain::crosswalk::Crosswalk;
use kensa_domain::scoring::{self, Gap, ScoreHistoryEntry};
use uuid::Uuid;

use super::connection::{self, Paged};
use super::gql;
use super::workflow::caller;

#[derive(Default)]
pub struct ScoresQuery;

#[Object]
impl ScoresQuery {
    /// The assessment's open items (answered `NOT_IMPLEMENTED` or `PARTIALLY_IMPLEMENTED`,
    /// and with `includeUnanswered` those not answered yet, `status: null`), by level and then
    /// item number, as `GET …/gaps`: bounded by the template and read whole. Either side.
    #[graphql(complexity = "super::cost::NOMINAL_LIST * child_complexity")]
    async fn assessment_gaps(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        #[graphql(default = false)] include_unanswered: bool,
    ) -> async_graphql::Result<Vec<Gap>> {
        let (k, t) = caller(ctx)?;
        scoring::gaps::of_assessment(k, t, id, include_unanswered).await.map_err(gql)
    }

    /// The assessment's readiness against METI's SCS ★3/★4 criteria and the ISO/IEC 27001
    /// references they cite, from its answers, as `GET …/crosswalk`: indicative only. Either
    /// side; `CROSSWALK_UNAVAILABLE` for a checklist other than the JAMA/JAPIA check sheet.
    async fn assessment_crosswalk(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Crosswalk> {
        let (k, t) = caller(ctx)?;
        kensa_domain::crosswalk::of_assessment(k, t, id).await.map_err(gql)
    }

    /// The supplier's stored scores, newest submission first, with the change since the
    /// previous one of the same template, as `GET /api/v1/suppliers/{id}/scores`. The buyer
    /// whose registry holds the supplier.
    #[graphql(complexity = "super::cost::page(first, child_complexity)")]
    async fn supplier_scores(
        &self,
        ctx: &Context<'_>,
        supplier_id: Uuid,
        #[graphql(desc = "Only assessments of this template.")] template_id: Option<Uuid>,
        first: Option<u64>,
        after: Option<String>,
    ) -> async_graphql::Result<Paged<ScoreHistoryEntry>> {
        let (k, t) = caller(ctx)?;
        let page = connection::request(first, after)?;
        let result = scoring::history::of_supplier(k, t, supplier_id, template_id, &page).await.map_err(gql)?;
        Ok(connection::from_page(result))
    }
}
