//! Reading a client's JSON into a typed input while reporting **every** problem at once, each
//! with its path (`answers[3].status`, `remediation_due`), instead of the first one serde hits.
//!
//! The document is parsed to a `serde_json::Value` once, then:
//! 1. every string (and key) is checked against the text rule of the domain
//!    ([`kensa_domain::text::check_chars`]): no NUL or other control characters but TAB, LF
//!    and CR, so nothing a database refuses gets past the edge;
//! 2. the value is deserialized into `T`; on an error, the failing field is recorded and
//!    removed from the value, and deserialization is tried again. A removed required field
//!    then shows up as "missing", which removes its enclosing object or array element (so
//!    `answers[4]` is still checked after `answers[3]` failed). This needs no per-type code,
//!    keeps the input types and their OpenAPI schemas exactly as they are (enums stay enums),
//!    and is bounded: at most [`MAX_ERRORS`] problems and [`MAX_ATTEMPTS`] tries, fewer for
//!    a large document (each try walks it again).
//!
//! Serde checks missing fields of an object after all of its present fields, so when a
//! required field is absent the others are still reported; a second absent field of the same
//! object is reported once the first is supplied.

use kensa_domain::ErrorCode;
use std::collections::HashMap;

use kensa_domain::FieldError;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The most problems one answer lists.
pub const MAX_ERRORS: usize = 50;
/// The most deserialization attempts spent on one document.
pub const MAX_ATTEMPTS: usize = 64;
/// Values visited over all attempts, at most (about): a 1 MiB document of small values gets
/// the minimum of 4 attempts, a typical request body all 64.
const WORK: usize = 500_000;

/// The number of values in `value`, counting no further than `limit`.
fn nodes(value: &Value, limit: usize) -> usize {
    fn count(value: &Value, seen: &mut usize, limit: usize) {
        *seen += 1;
        if *seen >= limit {
            return;
        }
        match value {
            Value::Array(items) => items.iter().for_each(|v| count(v, seen, limit)),
            Value::Object(map) => map.values().for_each(|v| count(v, seen, limit)),
            _ => {}
        }
    }
    let mut seen = 0;
    count(value, &mut seen, limit);
    seen
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Seg {
    Key(String),
    Index(usize),
}

fn render(prefix: &str, path: &[Seg]) -> String {
    let mut out = prefix.to_owned();
    for seg in path {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() { "body".into() } else { out }
}

/// True when `body` is one well-formed JSON document whose every string and key keeps the
/// text rule. Reads the bytes without building anything (strings without escapes are
/// borrowed), so a valid document can be deserialized straight into its type; false sends the
/// caller to [`text_problems`] and [`from_body`], which say what is wrong and where.
pub fn text_rule_kept(body: &[u8]) -> bool {
    let mut reader = serde_json::Deserializer::from_slice(body);
    serde::Deserialize::deserialize(&mut reader).is_ok_and(|TextRuleKept| reader.end().is_ok())
}

/// A JSON value that was read only to check the text rule in every string and key.
struct TextRuleKept;

impl<'de> serde::Deserialize<'de> for TextRuleKept {
    fn deserialize<D: serde::Deserializer<'de>>(reader: D) -> Result<Self, D::Error> {
        reader.deserialize_any(TextRuleKept)
    }
}

impl<'de> serde::de::Visitor<'de> for TextRuleKept {
    type Value = TextRuleKept;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self, E> {
        match kensa_domain::text::check_chars("", text) {
            Ok(()) => Ok(self),
            Err(_) => Err(E::custom("breaks the text rule")),
        }
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<Self, A::Error> {
        while items.next_element::<TextRuleKept>()?.is_some() {}
        Ok(self)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        while map.next_key::<TextRuleKept>()?.is_some() {
            map.next_value::<TextRuleKept>()?;
        }
        Ok(self)
    }
}

/// Every string or key of `value` that breaks the text rule, with `prefix` before each path.
pub fn text_problems(prefix: &str, value: &Value) -> Vec<FieldError> {
    fn walk(prefix: &str, value: &Value, path: &mut Vec<Seg>, out: &mut Vec<FieldError>) {
        if out.len() >= MAX_ERRORS {
            return;
        }
        match value {
            Value::String(s) => {
                if let Err(e) = kensa_domain::text::check_chars(&render(prefix, path), s) {
                    out.push(e);
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    walk(prefix, item, path, out);
                    path.pop();
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    path.push(Seg::Key(key.escape_default().to_string()));
                    if let Err(e) = kensa_domain::text::check_chars(&render(prefix, path), key) {
                        out.push(e);
                    }
                    walk(prefix, item, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(prefix, value, &mut Vec::new(), &mut out);
    out.truncate(MAX_ERRORS);
    out
}

/// Deserializes `value` into `T`, or lists every problem in it (text rule and shape).
pub fn from_value<T: DeserializeOwned>(prefix: &str, value: Value) -> Result<T, Vec<FieldError>> {
    let errors = text_problems(prefix, &value);
    diagnose(prefix, value, errors)
}

/// [`from_value`] for a request body: a valid document is deserialized by value, moving its
/// strings instead of copying them (a large template costs one copy in memory, not two); only
/// an invalid one is parsed again from `body` to find every problem.
pub fn from_body<T: DeserializeOwned>(body: &[u8], value: Value) -> Result<T, Vec<FieldError>> {
    let errors = text_problems("", &value);
    if !errors.is_empty() {
        return diagnose("", value, errors);
    }
    match T::deserialize(value) {
        Ok(parsed) => Ok(parsed),
        Err(first) => match serde_json::from_slice(body) {
            Ok(again) => diagnose("", again, Vec::new()),
            Err(_) => Err(vec![FieldError::new("body", ErrorCode::InvalidValue, first.to_string())]),
        },
    }
}

fn diagnose<T: DeserializeOwned>(
    prefix: &str,
    value: Value,
    mut errors: Vec<FieldError>,
) -> Result<T, Vec<FieldError>> {
    // Each attempt walks the document again: a large one gets fewer attempts.
    let budget = (WORK / nodes(&value, WORK).max(1)).clamp(4, MAX_ATTEMPTS);
    let mut shape = Shape { value, removed: HashMap::new(), known: Vec::new(), attempts: 0, budget };
    while shape.attempts < shape.budget {
        shape.attempts += 1;
        let failure = match serde_path_to_error::deserialize::<_, T>(&shape.value) {
            Ok(parsed) if errors.is_empty() => return Ok(parsed),
            Ok(_) => break,
            Err(e) => e,
        };
        let Some(mut at) = segments(failure.path()) else { break };
        let message = failure.into_inner().to_string();
        let missing = missing_field(&message);
        let code = match (&missing, quoted_after(&message, "unknown field `")) {
            (Some(name), _) => {
                at.push(Seg::Key(name.clone()));
                ErrorCode::Required
            }
            (None, Some(name)) => {
                if at.last() != Some(&Seg::Key(name.clone())) {
                    at.push(Seg::Key(name));
                }
                ErrorCode::UnknownField
            }
            (None, None) => {
                // Inside `#[serde(flatten)]` the path stops at the object: find the field.
                if let Some(key) = shape.culprit::<T>(&at, &message) {
                    at.push(Seg::Key(key));
                }
                ErrorCode::InvalidValue
            }
        };
        let original = shape.original(&at);
        if !shape.is_known(&original) {
            if !errors.iter().any(|e| e.field == render(prefix, &original)) {
                errors.push(FieldError::new(render(prefix, &original), code, message));
            }
            if errors.len() >= MAX_ERRORS {
                break;
            }
        }
        // A missing field cannot be removed: remove the object that lacks it.
        if missing.is_some() {
            at.pop();
        }
        if at.is_empty() || !shape.remove(&at) {
            break;
        }
    }
    if errors.is_empty() {
        errors.push(FieldError::new(render(prefix, &[]), ErrorCode::InvalidValue, "the input could not be read"));
    }
    Err(errors)
}

/// The document being narrowed down, and how its current positions map to the client's.
struct Shape {
    value: Value,
    /// Array (in the client's positions) → removed indexes (the client's), ascending.
    removed: HashMap<Vec<Seg>, Vec<usize>>,
    /// Removed or reported paths (the client's positions).
    known: Vec<Vec<Seg>>,
    attempts: usize,
    budget: usize,
}

impl Shape {
    fn get(&self, path: &[Seg]) -> Option<&Value> {
        path.iter().try_fold(&self.value, |node, seg| match (seg, node) {
            (Seg::Key(k), Value::Object(map)) => map.get(k),
            (Seg::Index(i), Value::Array(items)) => items.get(*i),
            _ => None,
        })
    }

    /// When an error names an object rather than one of its fields (fields flattened into
    /// it lose their path), the field to blame: the one holding the value the message quotes,
    /// or else the one whose absence makes the error go away.
    fn culprit<T: DeserializeOwned>(&mut self, at: &[Seg], message: &str) -> Option<String> {
        let Value::Object(map) = self.get(at)? else { return None };
        let quoted = quoted_after(message, "unknown variant `").or_else(|| {
            let rest = message.split_once("string \"")?.1;
            rest.split('"').next().map(str::to_owned)
        });
        if let Some(quoted) = quoted {
            let keys: Vec<&String> = map.iter().filter(|(_, v)| v.as_str() == Some(&quoted)).map(|(k, _)| k).collect();
            if let [key] = keys.as_slice() {
                return Some((*key).clone());
            }
        }
        let keys: Vec<String> = map.keys().cloned().collect();
        for key in keys {
            if self.attempts >= self.budget {
                break;
            }
            self.attempts += 1;
            let mut probe =
                Shape { value: self.value.clone(), removed: HashMap::new(), known: Vec::new(), attempts: 0, budget: 0 };
            let mut path = at.to_vec();
            path.push(Seg::Key(key.clone()));
            probe.remove(&path);
            let moved = match serde_path_to_error::deserialize::<_, T>(&probe.value) {
                Ok(_) => true,
                Err(e) => {
                    let same = segments(e.path()).as_deref() == Some(at);
                    let text = e.into_inner().to_string();
                    !(same && (text == message || missing_field(&text).as_deref() == Some(key.as_str())))
                }
            };
            if moved {
                return Some(key);
            }
        }
        None
    }

    /// The client's position of a current path.
    fn original(&self, path: &[Seg]) -> Vec<Seg> {
        let mut out = Vec::with_capacity(path.len());
        for seg in path {
            match seg {
                Seg::Index(i) => {
                    let mut index = *i;
                    for r in self.removed.get(&out).into_iter().flatten() {
                        if *r <= index {
                            index += 1;
                        }
                    }
                    out.push(Seg::Index(index));
                }
                key => out.push(key.clone()),
            }
        }
        out
    }

    /// Whether the path was reported or removed, or lies above such a path (an object whose
    /// field was removed now misses it).
    fn is_known(&self, path: &[Seg]) -> bool {
        self.known.iter().any(|k| k.starts_with(path))
    }

    /// Removes the value at `path` (current positions); false when there is nothing to remove.
    fn remove(&mut self, path: &[Seg]) -> bool {
        let original = self.original(path);
        let Some((last, parent)) = path.split_last() else { return false };
        let mut node = &mut self.value;
        for seg in parent {
            let next = match (seg, node) {
                (Seg::Key(k), Value::Object(map)) => map.get_mut(k),
                (Seg::Index(i), Value::Array(items)) => items.get_mut(*i),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => return false,
            }
        }
        let done = match (last, node) {
            (Seg::Key(k), Value::Object(map)) => map.remove(k).is_some(),
            (Seg::Index(i), Value::Array(items)) if *i < items.len() => {
                items.remove(*i);
                if let Some(Seg::Index(orig)) = original.last() {
                    let list = self.removed.entry(original[..original.len() - 1].to_vec()).or_default();
                    list.push(*orig);
                    list.sort_unstable();
                }
                true
            }
            _ => false,
        };
        if done {
            self.known.push(original);
        }
        done
    }
}

fn segments(path: &serde_path_to_error::Path) -> Option<Vec<Seg>> {
    use serde_path_to_error::Segment;
    path.iter()
        .map(|seg| match seg {
            Segment::Seq { index } => Some(Seg::Index(*index)),
            Segment::Map { key } => Some(Seg::Key(key.clone())),
            Segment::Enum { variant } => Some(Seg::Key(variant.clone())),
            Segment::Unknown => None,
        })
        .collect()
}

pub(crate) fn missing_field(message: &str) -> Option<String> {
    quoted_after(message, "missing field `")
}

fn quoted_after(message: &str, prefix: &str) -> Option<String> {
    message.strip_prefix(prefix)?.split('`').next().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "snake_case")]
    enum Status {
        Yes,
        No,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        no: u32,
        status: Status,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        due: chrono::NaiveDate,
        items: Vec<Item>,
        level: Option<i32>,
    }

    #[test]
    fn the_quick_text_check_agrees_with_the_full_one() {
        let documents: [&[u8]; 9] = [
            br#"{"name":"a\tb","items":[{"no":1,"status":"yes"}],"due":null}"#,
            br#"{"name":"\u0007"}"#,
            br#"{"na\u0000me":"x"}"#,
            b"{\"name\":\"\xe2\x80\xae\"}",
            br#"["ok", 1, 2.5, -3, true, null, {"deep":[["\u001b"]]}]"#,
            br#""plain""#,
            br#"{"name":"x"} trailing"#,
            br#"{"name":"#,
            b"",
        ];
        for body in documents {
            let full = serde_json::from_slice::<Value>(body).is_ok_and(|v| text_problems("", &v).is_empty());
            assert_eq!(text_rule_kept(body), full, "{}", String::from_utf8_lossy(body));
        }
    }

    fn fields(value: Value) -> Vec<String> {
        match from_value::<Body>("", value) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| e.field).collect(),
        }
    }

    #[test]
    fn every_bad_field_is_named_with_its_path() {
        let body = json!({"name": "a\u{0}", "due": "soon",
            "items": [{"no": 1, "status": "yes"}, {"no": 2, "status": "maybe"}, {"no": "3", "status": "no"}],
            "level": "high", "extra": 1});
        let mut got = fields(body);
        got.sort();
        assert_eq!(got, ["due", "extra", "items[1].status", "items[2].no", "level", "name"]);
    }

    #[test]
    fn a_missing_required_field_is_named_after_the_others() {
        assert_eq!(fields(json!({"name": "x", "items": [], "level": true})), ["level", "due"]);
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Flat {
        no: u32,
        #[serde(flatten)]
        answer: Answer,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Answer {
        status: Status,
        due: Option<chrono::NaiveDate>,
    }

    #[test]
    fn fields_flattened_into_an_element_are_still_named() {
        let body =
            json!([{"no": 1, "status": "yes"}, {"no": 2, "status": "maybe"}, {"no": 3, "status": "no", "due": "x"}]);
        let got: Vec<String> = match from_value::<Vec<Flat>>("answers", body) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| e.field).collect(),
        };
        assert_eq!(got, ["answers[1].status", "answers[2].due"]);
    }

    #[test]
    fn a_valid_document_parses() {
        assert!(from_value::<Body>("", json!({"name": "x", "due": "2030-01-01", "items": []})).is_ok());
    }
}
