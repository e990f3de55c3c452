//! `Assessment.score` in GraphQL: the score as `GET /api/v1/assessments/{id}/score` answers
//! it, through the same service and the same access check, for the caller of the operation
//! (see [`crate::graphql`] for why it is resolved here).

use async_graphql::{ComplexObject, Context};

use super::{Score, service};
use crate::assessments::Assessment;
use crate::graphql::GraphqlCaller;

#[ComplexObject]
impl Assessment {
    /// The score: per level, cumulative, per category and overall, with the achieved level.
    /// Once submitted, the snapshot taken at submission; before, from the answers as they are.
    // GraphQL cost: a few queries per assessment, on top of what is selected of the score.
    #[graphql(complexity = "5 + child_complexity")]
    async fn score(&self, ctx: &Context<'_>) -> async_graphql::Result<Score> {
        let (k, tenant, caller) = GraphqlCaller::of(ctx)?;
        service::of_assessment(k, tenant, self.id).await.map_err(|e| caller.error(e))
    }
}
