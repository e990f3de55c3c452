//! The bounds on one `POST /graphql` request, and the checks that run before anything is
//! executed: the body's JSON, the batch, and each document's shape. They need no database
//! and no schema, so an oversized or anonymous request costs a parse at most.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
};
use kensa_domain::ErrorCode;

use super::refusal::Refusal;

/// Anonymous bodies: an invitation preview needs a few hundred bytes.
pub const ANONYMOUS_BODY_LIMIT: usize = 16 * 1024;
/// Signed-in bodies carry template documents, answer sets and base64 evidence (about 6 MiB
/// of file), as the REST template import does.
pub const SIGNED_IN_BODY_LIMIT: usize = crate::rest::templates::TEMPLATE_LIMIT;
/// JSON values (objects, arrays, scalars) in one body: the REST bound.
pub const MAX_JSON_VALUES: usize = crate::extract::MAX_JSON_VALUES;
/// Length of one query document: parsing is the first cost of a request, and large values
/// (documents, answers, files) belong in `variables`. GraphiQL's introspection query is 2 KiB.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;
/// Nesting of `{`, `(`, `[` in a query text: the parser recurses on it.
pub const MAX_QUERY_NESTING: usize = 64;
/// Operations per batch.
pub const MAX_BATCH: usize = 10;
pub const MAX_ANONYMOUS_BATCH: usize = 1;
/// Aliased fields per document.
pub const MAX_ALIASES: usize = 200;
/// Fields at the root of the executed operation (fragments expanded).
pub const MAX_ROOT_FIELDS: usize = 20;
/// Root mutation fields over the whole request (all operations of a batch).
pub const MAX_MUTATIONS: usize = 10;
/// Variables per operation.
pub const MAX_VARIABLES: usize = 50;
/// Query depth (fields nested in fields).
pub const MAX_DEPTH: usize = 16;
/// Cost of one operation and of a whole request (see `cost`).
pub const MAX_OPERATION_COST: usize = 5_000;
pub const MAX_REQUEST_COST: usize = 10_000;
/// Anonymous requests per client address and minute.
pub const ANONYMOUS_PER_MINUTE: u32 = 30;
/// Root fields an anonymous caller may ask for.
pub const ANONYMOUS_FIELDS: &[&str] = &["invitation", "__typename"];

/// Counts JSON values without building them, so a huge array is refused before it takes
/// memory (the same rule as REST bodies).
pub fn check_json_values(body: &[u8]) -> Result<(), Refusal> {
    if crate::extract::json_values_exceed(body, MAX_JSON_VALUES) {
        return Err(Refusal::new(
            413,
            ErrorCode::TooManyJsonValues,
            format!("the body holds more than {MAX_JSON_VALUES} JSON values"),
        ));
    }
    Ok(())
}

/// What the caller may do, as the checks see it.
#[derive(Clone, Copy)]
pub struct Caller {
    pub signed_in: bool,
    pub introspection: bool,
}

/// What the checks found in one operation: allowed (with its count of root mutation
/// fields), or refused with a GraphQL error for that operation only: `Anonymous` answers
/// the caller's authentication error.
pub enum Verdict {
    Allowed { mutations: usize },
    Anonymous,
    Refused(async_graphql::ServerError),
}

/// Checks a whole batch: anything that refuses the request (batch size, aliases, root
/// fields, variables, mutations) is a [`Refusal`]; anything that refuses one operation
/// (anonymous access, introspection) is its [`Verdict`].
pub fn check_batch(requests: &[async_graphql::Request], caller: Caller) -> Result<Vec<Verdict>, Refusal> {
    let max_batch = if caller.signed_in { MAX_BATCH } else { MAX_ANONYMOUS_BATCH };
    if requests.len() > max_batch {
        return Err(Refusal::new(
            400,
            ErrorCode::BatchTooLarge,
            format!("a batch may hold at most {max_batch} operations for this caller; got {}", requests.len()),
        ));
    }
    let mut verdicts = Vec::with_capacity(requests.len());
    let mut mutations = 0;
    for request in requests {
        let verdict = check_request(request, caller)?;
        if let Verdict::Allowed { mutations: m } = verdict {
            mutations += m;
        }
        verdicts.push(verdict);
    }
    if mutations > MAX_MUTATIONS {
        return Err(Refusal::new(
            400,
            ErrorCode::TooManyMutations,
            format!("a request may run at most {MAX_MUTATIONS} mutation fields; got {mutations}"),
        ));
    }
    Ok(verdicts)
}

fn check_request(request: &async_graphql::Request, caller: Caller) -> Result<Verdict, Refusal> {
    if request.variables.len() > MAX_VARIABLES {
        return Err(Refusal::new(400, ErrorCode::TooManyVariables, format!("at most {MAX_VARIABLES} variables")));
    }
    if request.query.len() > MAX_QUERY_BYTES {
        return Err(Refusal::new(
            413,
            ErrorCode::QueryTooLarge,
            format!("a query document may be at most {MAX_QUERY_BYTES} bytes; pass large values as variables"),
        ));
    }
    if nesting(&request.query) > MAX_QUERY_NESTING {
        return Err(Refusal::new(
            400,
            ErrorCode::QueryTooDeep,
            format!("brackets nest more than {MAX_QUERY_NESTING} deep"),
        ));
    }
    // A document that does not parse is left to async-graphql, which reports it.
    let Ok(doc) = async_graphql::parser::parse_query(&request.query) else {
        return Ok(Verdict::Allowed { mutations: 0 });
    };
    let aliases = count_aliases(&doc);
    if aliases > MAX_ALIASES {
        return Err(Refusal::new(
            400,
            ErrorCode::TooManyAliases,
            format!("a document may use at most {MAX_ALIASES} aliases; got {aliases}"),
        ));
    }
    let Some(operation) = selected(&doc, request.operation_name.as_deref()) else {
        return Ok(Verdict::Allowed { mutations: 0 });
    };
    let mut roots = Vec::new();
    root_fields(&doc, &operation.selection_set.node, 0, &mut roots);
    if roots.len() > MAX_ROOT_FIELDS {
        return Err(Refusal::new(
            400,
            ErrorCode::TooManyRootFields,
            format!("an operation may select at most {MAX_ROOT_FIELDS} root fields; got {}", roots.len()),
        ));
    }
    if !caller.signed_in {
        let invitations = roots.iter().filter(|name| *name == "invitation").count();
        let allowed = operation.ty == OperationType::Query
            && invitations <= 1
            && roots.iter().all(|name| ANONYMOUS_FIELDS.contains(&name.as_str()));
        if !allowed {
            return Ok(Verdict::Anonymous);
        }
    }
    let introspects = roots.iter().any(|name| name == "__schema" || name == "__type");
    if introspects && !(caller.signed_in && caller.introspection) {
        return Ok(Verdict::Refused(super::refusal::graphql_error(
            "introspection_disabled",
            403,
            "introspection is off on this server (see KENSA_GRAPHQL_INTROSPECTION); the schema is published as openapi/schema.graphql",
        )));
    }
    let mutations = if operation.ty == OperationType::Mutation { roots.len() } else { 0 };
    Ok(Verdict::Allowed { mutations })
}

/// The deepest nesting of brackets outside strings and comments, lexed as the parser lexes
/// them: a block string (`"""…"""`, where `\"""` is an escaped delimiter) may hold lone
/// quotes, which once made this count stop early while the parser recursed on the brackets
/// after it (a stack overflow from a 10 KiB anonymous request; found with the fuzz target
/// `graphql_request`). A string
/// ends at a line break as well, where the parser refuses it: counting on is the safe side.
fn nesting(query: &str) -> usize {
    enum In {
        Code,
        String,
        Block,
        Comment,
    }
    let bytes = query.as_bytes();
    let (mut depth, mut deepest, mut at) = (0usize, 0usize, 0usize);
    let mut state = In::Code;
    while let Some(&b) = bytes.get(at) {
        let rest = &bytes[at..];
        at += 1;
        match state {
            In::Comment if b == b'\n' || b == b'\r' => state = In::Code,
            In::Comment => {}
            In::String => match b {
                b'\\' => at += 1,
                b'"' | b'\n' | b'\r' => state = In::Code,
                _ => {}
            },
            In::Block if rest.starts_with(br#"\""""#) => at += 3,
            In::Block if rest.starts_with(br#"""""#) => {
                state = In::Code;
                at += 2;
            }
            In::Block => {}
            In::Code => match b {
                b'"' if rest.starts_with(br#"""""#) => {
                    state = In::Block;
                    at += 2;
                }
                b'"' => state = In::String,
                b'#' => state = In::Comment,
                b'{' | b'(' | b'[' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                b'}' | b')' | b']' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
    }
    deepest
}

fn selected<'a>(doc: &'a ExecutableDocument, name: Option<&str>) -> Option<&'a OperationDefinition> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next().map(|op| &op.node),
        _ => None,
    }
}

fn count_aliases(doc: &ExecutableDocument) -> usize {
    fn walk(set: &SelectionSet) -> usize {
        set.items
            .iter()
            .map(|s| match &s.node {
                Selection::Field(f) => usize::from(f.node.alias.is_some()) + walk(&f.node.selection_set.node),
                Selection::InlineFragment(i) => walk(&i.node.selection_set.node),
                Selection::FragmentSpread(_) => 0,
            })
            .sum()
    }
    let operations: usize = doc.operations.iter().map(|(_, op)| walk(&op.node.selection_set.node)).sum();
    let fragments: usize = doc.fragments.values().map(|f| walk(&f.node.selection_set.node)).sum();
    operations + fragments
}

/// The root field names, with fragments expanded (depth-capped: cycles are async-graphql's
/// to report, and the cap stops the expansion from multiplying).
fn root_fields(doc: &ExecutableDocument, set: &SelectionSet, depth: usize, out: &mut Vec<String>) {
    if depth > 4 || out.len() > MAX_ROOT_FIELDS {
        return;
    }
    for selection in &set.items {
        match &selection.node {
            Selection::Field(f) => out.push(f.node.name.node.to_string()),
            Selection::InlineFragment(i) => root_fields(doc, &i.node.selection_set.node, depth + 1, out),
            Selection::FragmentSpread(s) => {
                if let Some(fragment) = doc.fragments.get(&s.node.fragment_name.node) {
                    root_fields(doc, &fragment.node.selection_set.node, depth + 1, out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_ignores_brackets_in_strings_and_comments() {
        assert_eq!(nesting(r#"{ a(x: "{{{{") { b } } # {{{{"#), 2);
        // A lone quote in a block string does not hide the brackets after it.
        assert_eq!(nesting(r#"{ a(x: """ " {{ \""" """, y: [[[1]]]) }"#), 5);
        assert_eq!(nesting("{ a(x: \"unterminated\n[[[[]]]]) }"), 6);
    }

    #[test]
    fn json_values_are_counted_outside_strings() {
        assert!(check_json_values(br#"{"a": "[,,,,{"}"#).is_ok());
        let many = format!("[{}0]", "0,".repeat(MAX_JSON_VALUES));
        assert!(check_json_values(many.as_bytes()).is_err());
    }
}
