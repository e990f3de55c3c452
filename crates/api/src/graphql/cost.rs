//! The cost model: an operation costs about what it returns. async-graphql adds up the
//! `complexity` of every selected field (1 each, by default); lists multiply their
//! children's cost by what they can return: pages by their `limit` (default 50), a
//! template tree by the built-in's shape (24 categories, ×2 sections, ×3 items: an item
//! field counts 144 times), assessment lists by a nominal length. This extension refuses
//! an operation over [`MAX_OPERATION_COST`] or [`MAX_DEPTH`], and a request whose
//! operations together exceed [`MAX_REQUEST_COST`], before any resolver runs.

use kensa_domain::ErrorCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};

use super::limits::{MAX_DEPTH, MAX_OPERATION_COST, MAX_REQUEST_COST};
use super::refusal::graphql_error;

/// Nominal length of the per-assessment lists (questions, comments, history, evidence).
pub const NOMINAL_LIST: usize = 150;
/// A template export (a JSON scalar) costs as much as the whole tree.
pub const TEMPLATE_DOCUMENT_COST: usize = 2_000;

/// The cost of a page of `limit` entries.
pub fn page(limit: Option<u64>, child_complexity: usize) -> usize {
    use kensa_domain::pagination::{DEFAULT_LIMIT, MAX_LIMIT};
    let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT) as usize;
    limit.saturating_mul(child_complexity.max(1)).saturating_add(1)
}

/// Template items one request may return as trees or exports. The static cost model prices
/// a tree as the built-in's 153 items; a custom template may hold 2,000, so what is actually
/// returned is counted too: one largest template, or about thirteen of the built-in.
pub const MAX_TREE_ITEMS_PER_REQUEST: usize = 2_000;

/// Template items returned so far by one request (all operations of a batch).
#[derive(Clone, Default)]
pub struct TreeItems(Arc<AtomicUsize>);

impl TreeItems {
    /// Counts `items` more; past [`MAX_TREE_ITEMS_PER_REQUEST`] the field answers
    /// `query_too_complex` instead of its tree.
    pub fn charge(&self, items: usize) -> async_graphql::Result<()> {
        let before = self.0.fetch_add(items, Ordering::SeqCst);
        if before.saturating_add(items) > MAX_TREE_ITEMS_PER_REQUEST {
            use async_graphql::ErrorExtensions;
            let message = format!(
                "one request may return at most {MAX_TREE_ITEMS_PER_REQUEST} template items; ask for fewer trees (or use maxLevel / category)"
            );
            return Err(async_graphql::Error::new(message).extend_with(|_, e| {
                e.set("code", ErrorCode::QueryTooComplex);
                e.set("status", 400);
            }));
        }
        Ok(())
    }
}

/// What one request has spent so far, shared by the operations of a batch.
#[derive(Clone, Default)]
pub struct RequestBudget(Arc<AtomicUsize>);

impl RequestBudget {
    fn charge(&self, cost: usize) -> bool {
        let before = self.0.fetch_add(cost, Ordering::SeqCst);
        before.saturating_add(cost) <= MAX_REQUEST_COST
    }
}

pub struct CostLimits;

impl ExtensionFactory for CostLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostCheck)
    }
}

struct CostCheck;

fn refused(code: &str, message: String) -> Vec<ServerError> {
    vec![graphql_error(code, 400, &message)]
}

#[async_graphql::async_trait::async_trait]
impl Extension for CostCheck {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if result.depth > MAX_DEPTH {
            return Err(refused(
                "query_too_deep",
                format!("the query nests {} deep; at most {MAX_DEPTH}", result.depth),
            ));
        }
        if result.complexity > MAX_OPERATION_COST {
            return Err(refused(
                "query_too_complex",
                format!(
                    "the operation costs {}; at most {MAX_OPERATION_COST} (ask for smaller pages or fewer fields)",
                    result.complexity
                ),
            ));
        }
        if let Some(budget) = ctx.data_opt::<RequestBudget>()
            && !budget.charge(result.complexity)
        {
            return Err(refused(
                "query_too_complex",
                format!("the request's operations together cost more than {MAX_REQUEST_COST}; send fewer per request"),
            ));
        }
        Ok(result)
    }
}
