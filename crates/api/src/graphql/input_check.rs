//! Every argument and variable checked against its schema type before anything runs, with
//! **every** problem listed at once, each with its path — as REST lists a body's problems
//! (`crate::input`). async-graphql checks the same types but stops at the first problem of
//! an argument and names no field; here a wrong type, an unknown enum value, a missing
//! required field and an unknown field are each an entry `{field, code, message}` of one
//! `validation_failed` error: `variables.i.dueDate` for a variable, `createCampaign.input.dueDate`
//! for a literal argument. What is left (syntax, unknown fields of the query) async-graphql
//! reports as `invalid_query`.
//!
//! Kensa's numbers are counts, levels, item numbers and versions: an `Int` here is a whole
//! number from 0 to 2^31-1, so an unsigned field never fails later, unnamed, while parsing.

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{Name, Variables};
use async_graphql_value::{ConstValue, Value};
use kensa_domain::ErrorCode;
use kensa_domain::FieldError;

use crate::input::MAX_ERRORS;

/// A GraphQL value, literal (may hold variables, checked apart) or constant (a variable's).
enum Kind<'a, T> {
    Null,
    Variable,
    Int(Option<i64>),
    Float,
    String(&'a str),
    Boolean,
    Enum(&'a str),
    List(&'a [T]),
    Object(&'a IndexMap<Name, T>),
    Other,
}

trait Input: Sized {
    fn kind(&self) -> Kind<'_, Self>;
}

impl Input for ConstValue {
    fn kind(&self) -> Kind<'_, Self> {
        match self {
            ConstValue::Null => Kind::Null,
            ConstValue::Number(n) if n.is_f64() => Kind::Float,
            ConstValue::Number(n) => Kind::Int(n.as_i64()),
            ConstValue::String(s) => Kind::String(s),
            ConstValue::Boolean(_) => Kind::Boolean,
            ConstValue::Enum(e) => Kind::Enum(e),
            ConstValue::List(l) => Kind::List(l),
            ConstValue::Object(o) => Kind::Object(o),
            ConstValue::Binary(_) => Kind::Other,
        }
    }
}

impl Input for Value {
    fn kind(&self) -> Kind<'_, Self> {
        match self {
            Value::Variable(_) => Kind::Variable,
            Value::Null => Kind::Null,
            Value::Number(n) if n.is_f64() => Kind::Float,
            Value::Number(n) => Kind::Int(n.as_i64()),
            Value::String(s) => Kind::String(s),
            Value::Boolean(_) => Kind::Boolean,
            Value::Enum(e) => Kind::Enum(e),
            Value::List(l) => Kind::List(l),
            Value::Object(o) => Kind::Object(o),
            Value::Binary(_) => Kind::Other,
        }
    }
}

struct Check<'r> {
    registry: &'r Registry,
    out: Vec<FieldError>,
}

impl Check<'_> {
    fn report(&mut self, field: &str, code: ErrorCode, message: impl Into<String>) {
        if self.out.len() < MAX_ERRORS {
            self.out.push(FieldError::new(field, code, message));
        }
    }

    fn value<T: Input>(&mut self, ty: &str, value: &T, path: &str) {
        if self.out.len() >= MAX_ERRORS {
            return;
        }
        let kind = value.kind();
        if matches!(kind, Kind::Variable) {
            return;
        }
        match MetaTypeName::create(ty) {
            MetaTypeName::NonNull(inner) => match kind {
                Kind::Null => self.report(path, ErrorCode::Required, format!("must not be null ({inner})")),
                _ => self.value(inner, value, path),
            },
            MetaTypeName::List(inner) => match kind {
                Kind::Null => {}
                Kind::List(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.value(inner, item, &format!("{path}[{i}]"));
                    }
                }
                // Input coercion: a single value stands for a list of one.
                _ => self.value(inner, value, path),
            },
            MetaTypeName::Named(name) => match kind {
                Kind::Null => {}
                _ => self.named(name, kind, path),
            },
        }
    }

    fn named<T: Input>(&mut self, name: &str, kind: Kind<'_, T>, path: &str) {
        const WHOLE: &str = "must be a whole number from 0 to 2147483647";
        let ok = match (name, &kind) {
            ("Int", Kind::Int(n)) => {
                if !n.is_some_and(|n| (0..=i64::from(i32::MAX)).contains(&n)) {
                    self.report(path, ErrorCode::OutOfRange, WHOLE);
                }
                return;
            }
            ("Int", _) => false,
            ("Float", k) => matches!(k, Kind::Float | Kind::Int(_)),
            ("String", k) => matches!(k, Kind::String(_)),
            ("Boolean", k) => matches!(k, Kind::Boolean),
            ("ID", k) => matches!(k, Kind::String(_) | Kind::Int(_)),
            ("UUID", Kind::String(s)) => uuid::Uuid::parse_str(s).is_ok(),
            ("NaiveDate", Kind::String(s)) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
            ("DateTime", Kind::String(s)) => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            ("UUID" | "NaiveDate" | "DateTime", _) => false,
            _ => return self.declared(name, kind, path),
        };
        if !ok {
            let message = match name {
                "Int" => WHOLE,
                "Float" => "must be a number",
                "String" => "must be a string",
                "Boolean" => "must be true or false",
                "UUID" => "must be a UUID",
                "NaiveDate" => "must be a date (YYYY-MM-DD)",
                "DateTime" => "must be a date and time (RFC 3339)",
                _ => "must be an ID",
            };
            self.report(path, ErrorCode::InvalidValue, message);
        }
    }

    /// Enums and input objects, as the registry declares them.
    fn declared<T: Input>(&mut self, name: &str, kind: Kind<'_, T>, path: &str) {
        let registry = self.registry;
        match (registry.types.get(name), kind) {
            (Some(MetaType::Enum { enum_values, .. }), Kind::Enum(v) | Kind::String(v))
                if enum_values.contains_key(v) => {}
            (Some(MetaType::Enum { enum_values, .. }), _) => {
                let values: Vec<&str> = enum_values.keys().map(String::as_str).collect();
                self.report(path, ErrorCode::InvalidValue, format!("must be one of {}", values.join(", ")));
            }
            (Some(MetaType::InputObject { input_fields, .. }), Kind::Object(map)) => {
                for field in input_fields.values() {
                    let at = format!("{path}.{}", field.name);
                    match map.get(field.name.as_str()) {
                        Some(value) => self.value(&field.ty, value, &at),
                        None if MetaTypeName::create(&field.ty).is_non_null() && field.default_value.is_none() => {
                            self.report(&at, ErrorCode::Required, format!("is required ({})", field.ty));
                        }
                        None => {}
                    }
                }
                for key in map.keys() {
                    if !input_fields.contains_key(key.as_str()) {
                        self.report(
                            &format!("{path}.{key}"),
                            ErrorCode::UnknownField,
                            format!("{name} has no field {key}"),
                        );
                    }
                }
            }
            (Some(MetaType::InputObject { .. }), _) => {
                self.report(path, ErrorCode::InvalidValue, format!("must be an object ({name})"));
            }
            // Other scalars (none are inputs today) are async-graphql's to check.
            _ => {}
        }
    }

    fn selections(&mut self, doc: &ExecutableDocument, parent: &str, set: &SelectionSet, depth: usize) {
        if depth > 8 {
            return;
        }
        let registry = self.registry;
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    let Some(meta) = registry.types.get(parent).and_then(|t| t.field_by_name(name)) else {
                        continue;
                    };
                    for (arg_name, arg) in &meta.args {
                        let at = format!("{name}.{arg_name}");
                        match field.node.get_argument(arg_name) {
                            Some(value) => self.value(&arg.ty, &value.node, &at),
                            None if MetaTypeName::create(&arg.ty).is_non_null() && arg.default_value.is_none() => {
                                self.report(&at, ErrorCode::Required, format!("is required ({})", arg.ty));
                            }
                            None => {}
                        }
                    }
                    let child = MetaTypeName::concrete_typename(&meta.ty).to_owned();
                    self.selections(doc, &child, &field.node.selection_set.node, depth + 1);
                }
                Selection::InlineFragment(fragment) => {
                    let on = fragment.node.type_condition.as_ref().map_or(parent, |c| c.node.on.node.as_str());
                    self.selections(doc, on, &fragment.node.selection_set.node, depth + 1);
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                        let on = fragment.node.type_condition.node.on.node.to_string();
                        self.selections(doc, &on, &fragment.node.selection_set.node, depth + 1);
                    }
                }
            }
        }
    }
}

/// Every problem of the request's arguments and variables with the schema's input types.
pub fn problems(registry: &Registry, document: &ExecutableDocument, variables: &Variables) -> Vec<FieldError> {
    let mut check = Check { registry, out: Vec::new() };
    for (_, operation) in document.operations.iter() {
        let op = &operation.node;
        for definition in &op.variable_definitions {
            let definition = &definition.node;
            let name = definition.name.node.as_str();
            let ty = definition.var_type.node.to_string();
            let path = format!("variables.{name}");
            match variables.get(&definition.name.node) {
                Some(value) => check.value(&ty, value, &path),
                None if !definition.var_type.node.nullable && definition.default_value.is_none() => {
                    check.report(&path, ErrorCode::Required, format!("is required ({ty})"));
                }
                None => {}
            }
        }
        let root = match op.ty {
            OperationType::Query => Some(registry.query_type.as_str()),
            OperationType::Mutation => registry.mutation_type.as_deref(),
            OperationType::Subscription => None,
        };
        if let Some(root) = root {
            check.selections(document, root, &op.selection_set.node, 0);
        }
    }
    check.out
}
