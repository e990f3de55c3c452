//! Lists as Relay connections (`edges { cursor node }`, `nodes`, `pageInfo { hasNextPage
//! endCursor … }`) over the domain's cursor pages: `first` is REST's `limit` (1–200, default
//! 50) and `after` its `cursor`. Every edge's cursor continues the list after that node; the
//! last one is REST's `next_cursor`. Lists go forward only, so `hasPreviousPage` is false.

use async_graphql::OutputType;
use async_graphql::connection::{Connection, Edge};
use kensa_domain::FieldError;
use kensa_domain::pagination::{self, Page, PageRequest};
use kensa_domain::{DomainError, assessments, campaigns, suppliers, templates};
use uuid::Uuid;

use super::gql;

/// A list's page as GraphQL sees it: `<Node>Connection` with `<Node>Edge`s.
pub type Paged<T> = Connection<String, T>;

/// Reads `first`/`after`, naming them (not REST's `limit`/`cursor`) when they are refused.
pub fn request(first: Option<u64>, after: Option<String>) -> async_graphql::Result<PageRequest> {
    PageRequest::parse(first, after.as_deref()).map_err(page_error)
}

/// A domain error as GraphQL reports it, with REST's `limit`/`cursor` named `first`/`after`.
pub fn page_error(e: DomainError) -> async_graphql::Error {
    match e {
        DomainError::Validation(errors) => gql(DomainError::Validation(
            errors
                .into_iter()
                .map(|f| {
                    let field = match f.field.as_str() {
                        "limit" => "first".to_owned(),
                        "cursor" => "after".to_owned(),
                        _ => f.field,
                    };
                    FieldError { field, ..f }
                })
                .collect(),
        )),
        other => gql(other),
    }
}

/// What a node's cursor is made from: the key the domain pages by.
pub trait Keyed {
    fn key(&self) -> Uuid;
}

macro_rules! keyed_by_id {
    ($($t:ty),*) => {$(
        impl Keyed for $t {
            fn key(&self) -> Uuid {
                self.id
            }
        }
    )*};
}

keyed_by_id!(
    templates::TemplateSummary,
    suppliers::Supplier,
    campaigns::Campaign,
    assessments::Assessment,
    assessments::Comment,
    assessments::HistoryEvent,
    assessments::evidence::Evidence,
    assessments::claims::SupplierClaim,
    kensa_domain::webhooks::Webhook,
    kensa_domain::deliveries::Delivery,
    kensa_domain::api_keys::ApiKey,
    kensa_domain::shares::Share,
    kensa_domain::shares::ShareRequest,
    kensa_domain::supply_chain::SupplyChainForward
);

/// The supply chain below pages by its forward.
impl Keyed for kensa_domain::supply_chain::SupplyChainBelow {
    fn key(&self) -> Uuid {
        self.forward.id
    }
}

/// Shared comparison rows page by their share.
impl Keyed for kensa_domain::shares::SharedComparisonRow {
    fn key(&self) -> Uuid {
        self.share.id
    }
}

/// Score history entries page by their assessment.
impl Keyed for kensa_domain::scoring::ScoreHistoryEntry {
    fn key(&self) -> Uuid {
        self.assessment_id
    }
}

pub fn from_page<T: OutputType + Keyed>(page: Page<T>) -> Paged<T> {
    let mut connection = Connection::new(false, page.next_cursor.is_some());
    connection.edges.extend(page.data.into_iter().map(|node| Edge::new(pagination::cursor_for(node.key()), node)));
    connection
}
