//! Holds every string a GraphQL request carries — variables and literal arguments alike — to
//! the domain's text rule before anything runs ([`kensa_domain::text::check_chars`]): NUL and
//! other control characters but TAB, LF and CR are refused with `invalid_characters`, naming
//! the variable (`variables.input.name`) or argument (`acceptInvitation.token`). The same
//! error lists what `input_check` finds wrong with the types of those values.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Pos, ServerResult, Value, Variables};
use kensa_domain::text::check_chars;
use kensa_domain::{DomainError, FieldError};

pub struct TextGuard;

impl ExtensionFactory for TextGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(TextGuard)
    }
}

/// Walks a GraphQL value in place (no copy: variables can be megabytes).
fn strings(path: String, value: &Value, out: &mut Vec<FieldError>) {
    if out.len() >= crate::input::MAX_ERRORS {
        return;
    }
    match value {
        Value::String(s) => {
            if let Err(e) = check_chars(&path, s) {
                out.push(e);
            }
        }
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(format!("{path}[{i}]"), item, out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                strings(format!("{path}.{key}"), item, out);
            }
        }
        _ => {}
    }
}

fn walk(set: &SelectionSet, out: &mut Vec<FieldError>) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                for (name, value) in &field.node.arguments {
                    // Literals are part of the (bounded) query text; variables are checked apart.
                    let literal = value.node.clone().into_const_with(|_| Ok::<_, ()>(Value::Null)).unwrap_or_default();
                    strings(format!("{}.{}", field.node.name.node, name.node), &literal, out);
                }
                walk(&field.node.selection_set.node, out);
            }
            Selection::InlineFragment(fragment) => walk(&fragment.node.selection_set.node, out),
            Selection::FragmentSpread(_) => {}
        }
    }
}

/// Every string of the request that breaks the text rule.
pub fn problems(document: &ExecutableDocument, variables: &Variables) -> Vec<FieldError> {
    let mut out = Vec::new();
    for (name, value) in variables.iter() {
        strings(format!("variables.{name}"), value, &mut out);
    }
    for (_, operation) in document.operations.iter() {
        walk(&operation.node.selection_set.node, &mut out);
    }
    for fragment in document.fragments.values() {
        walk(&fragment.node.selection_set.node, &mut out);
    }
    out.truncate(crate::input::MAX_ERRORS);
    out
}

#[async_trait::async_trait]
impl Extension for TextGuard {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let mut found = problems(&document, variables);
        found.extend(super::input_check::problems(&ctx.schema_env.registry, &document, variables));
        found.truncate(crate::input::MAX_ERRORS);
        if found.is_empty() {
            return Ok(document);
        }
        Err(super::to_graphql(DomainError::Validation(found).into()).into_server_error(Pos::default()))
    }
}
