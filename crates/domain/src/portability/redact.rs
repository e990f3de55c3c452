//! What stays with another organization when one is erased loses the erased people in it:
//! their ids become null, their names and addresses a placeholder, the erased organization's
//! id a stand-in's and its name a placeholder — in every column, JSON included.

use std::collections::HashSet;

use serde_json::Value;
use uuid::Uuid;

/// What replaces a person's name.
pub const ERASED_NAME: &str = "(消去済み / erased)";
/// What replaces an email address (`.invalid` can never be delivered: RFC 2606).
pub const ERASED_EMAIL: &str = "erased@erased.invalid";
/// The stand-in organization's name (the kept records point at it).
pub const ERASED_ORGANIZATION: &str = "消去された組織 / Erased organization";

/// Columns where a buyer named the erased organization itself: its record of whom it
/// assessed stays readable (a company's name is not a person's data).
const BUYERS_OWN_NAMING: &[(&str, &str)] = &[("suppliers", "name"), ("suppliers", "search_text")];

/// Names shorter than this are replaced only where they are a whole value: inside a text
/// they would take parts of ordinary words with them.
const SHORTEST_NAME_IN_TEXT: usize = 3;

/// The people and the organization to take out of kept rows.
#[derive(Debug, Default)]
pub struct Redaction {
    /// Ids of erased users, as text.
    user_ids: HashSet<String>,
    /// The erased organization's id and its stand-in's.
    organization: Option<(String, String)>,
    /// The organization's name, as written in any case.
    organization_name: Option<regex::Regex>,
    /// Addresses and names (longest first), as written in any case, and their replacement.
    texts: Vec<(regex::Regex, &'static str)>,
    /// Names too short to be looked for inside a text.
    short_names: HashSet<String>,
    /// The erased addresses, lowercased: a column holding one as its whole value gets a
    /// placeholder of its own row ([`unique_address`]).
    emails: HashSet<String>,
}

/// The placeholder of an address column: unique per row (a buyer's supplier contacts are
/// unique per buyer), naming only the row.
fn unique_address(row_id: Option<&str>) -> String {
    match row_id.and_then(|id| Uuid::try_parse(id).ok()) {
        Some(id) => format!("erased+{}@erased.invalid", id.simple()),
        None => ERASED_EMAIL.to_owned(),
    }
}

/// `text` in any case, as a whole word where it starts or ends with a letter or digit of
/// ASCII: "Ted" is not taken out of "accepted". Japanese is written without spaces, so a name
/// in it is looked for as it stands ("山田さん").
fn any_case(text: &str) -> Option<regex::Regex> {
    let edge = |c: Option<char>| if c.is_some_and(|c| c.is_ascii_alphanumeric()) { r"\b" } else { "" };
    let pattern = format!("{}{}{}", edge(text.chars().next()), regex::escape(text), edge(text.chars().last()));
    regex::RegexBuilder::new(&pattern).case_insensitive(true).build().ok()
}

impl Redaction {
    pub fn organization(org: Uuid, stand_in: Uuid, name: &str) -> Self {
        Self {
            organization: Some((org.to_string(), stand_in.to_string())),
            organization_name: Some(name.trim())
                .filter(|n| n.chars().count() >= SHORTEST_NAME_IN_TEXT)
                .and_then(any_case),
            ..Self::default()
        }
    }

    /// Adds an erased user.
    pub fn user(&mut self, id: Uuid, name: &str, email: &str) {
        self.user_ids.insert(id.to_string());
        if !email.trim().is_empty() {
            self.emails.insert(email.trim().to_lowercase());
        }
        if let Some(email) = Some(email).filter(|e| !e.is_empty()).and_then(any_case) {
            self.texts.push((email, ERASED_EMAIL));
        }
        let name = name.trim();
        if name.chars().count() >= SHORTEST_NAME_IN_TEXT {
            if let Some(pattern) = any_case(name) {
                self.texts.push((pattern, ERASED_NAME));
            }
        } else if !name.is_empty() {
            self.short_names.insert(name.to_owned());
        }
        // Longest first: "Sato Hanako" before "Sato", an address before the name in it.
        self.texts.sort_by_key(|(p, _)| std::cmp::Reverse(p.as_str().len()));
    }

    /// Redacts one row (a JSON object, column → value) of `table` in place; `cleared` columns
    /// become null. True when anything changed.
    pub fn row(&self, table: &str, cleared: &[&str], row: &mut Value) -> bool {
        let Value::Object(map) = row else { return false };
        let address = unique_address(map.get("id").and_then(Value::as_str));
        let mut changed = false;
        for (column, value) in map.iter_mut() {
            if cleared.contains(&column.as_str()) {
                changed |= !value.is_null();
                *value = Value::Null;
                continue;
            }
            if value.as_str().is_some_and(|s| self.emails.contains(&s.trim().to_lowercase())) {
                *value = Value::String(address.clone());
                changed = true;
                continue;
            }
            let keep_name = BUYERS_OWN_NAMING.contains(&(table, column.as_str()));
            changed |= self.value(value, keep_name);
        }
        changed
    }

    fn value(&self, value: &mut Value, keep_name: bool) -> bool {
        match value {
            Value::String(s) => {
                if self.user_ids.contains(s.as_str()) {
                    *value = Value::Null;
                    return true;
                }
                match self.text(s, keep_name) {
                    Some(new) => {
                        *s = new;
                        true
                    }
                    None => false,
                }
            }
            Value::Array(items) => items.iter_mut().fold(false, |c, v| self.value(v, keep_name) | c),
            Value::Object(map) => map.values_mut().fold(false, |c, v| self.value(v, keep_name) | c),
            _ => false,
        }
    }

    /// The text with every erased id, address and name replaced; None when it has none.
    pub fn text(&self, s: &str, keep_name: bool) -> Option<String> {
        if let Some((org, stand_in)) = &self.organization
            && s == org
        {
            return Some(stand_in.clone());
        }
        // Another id stays as it is: a name made of hex letters ("Abe") must not bend it.
        if uuid::Uuid::try_parse(s).is_ok() {
            return None;
        }
        if self.short_names.contains(s.trim()) {
            return Some(ERASED_NAME.to_owned());
        }
        let mut out = s.to_owned();
        for (pattern, with) in &self.texts {
            if pattern.is_match(&out) {
                out = pattern.replace_all(&out, regex::NoExpand(with)).into_owned();
            }
        }
        if let Some(org_name) = self.organization_name.as_ref().filter(|_| !keep_name)
            && org_name.is_match(&out)
        {
            out = org_name.replace_all(&out, regex::NoExpand(ERASED_ORGANIZATION)).into_owned();
        }
        // Ids inside a text (a URL, a message) go too.
        if let Some((org, stand_in)) = &self.organization {
            out = out.replace(org.as_str(), stand_in);
        }
        for id in &self.user_ids {
            if out.contains(id.as_str()) {
                out = out.replace(id.as_str(), "00000000-0000-0000-0000-000000000000");
            }
        }
        (out != s).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_names_and_addresses_go_everywhere_but_the_buyers_own_naming() {
        let org = Uuid::now_v7();
        let stand_in = Uuid::now_v7();
        let user = Uuid::now_v7();
        let mut r = Redaction::organization(org, stand_in, "Hamamatsu Koki");
        r.user(user, "Sato Hanako", "hanako@koki.example");
        r.user(Uuid::now_v7(), "Li", "li@koki.example");
        r.user(Uuid::now_v7(), "Ted", "ted@koki.example");
        r.user(Uuid::now_v7(), "Abe", "abe@koki.example");
        let mut row = json!({
            "name": "Hamamatsu Koki",
            "search_text": "hamamatsu koki sato hanako hanako@koki.example",
            "contact_email": "Hanako@koki.example",
            "supplier_organization_id": org.to_string(),
            "answered_by": user.to_string(),
            "details": { "by": ["Li", "Limit by Sato Hanako of Hamamatsu Koki"] },
            "untouched": 3,
            "status": "accepted",
            "id": "01a22662-abe0-7000-8000-00000000abe0",
        });
        assert!(r.row("suppliers", &["next_review_on"], &mut row));
        assert_eq!(
            row,
            json!({
                "name": "Hamamatsu Koki",
                "search_text": format!("hamamatsu koki {ERASED_NAME} {ERASED_EMAIL}"),
                "contact_email": "erased+01a22662abe07000800000000000abe0@erased.invalid",
                "supplier_organization_id": stand_in.to_string(),
                "answered_by": null,
                "details": { "by": [ERASED_NAME, format!("Limit by {ERASED_NAME} of {ERASED_ORGANIZATION}")] },
                "untouched": 3,
                "status": "accepted",
                "id": "01a22662-abe0-7000-8000-00000000abe0",
            })
        );
        // Two rows holding the address as their whole value get placeholders of their own (a
        // buyer's supplier contacts are unique).
        let mut first = json!({ "id": Uuid::now_v7().to_string(), "contact_email": "HANAKO@koki.example" });
        let mut second = json!({ "id": Uuid::now_v7().to_string(), "contact_email": "li@koki.example" });
        assert!(r.row("suppliers", &[], &mut first) && r.row("suppliers", &[], &mut second));
        assert_ne!(first["contact_email"], second["contact_email"]);
        assert!(
            first["contact_email"].as_str().is_some_and(|a| a.starts_with("erased+") && a.ends_with("@erased.invalid"))
        );
        let mut clean = json!({ "name": "Nagoya Motors" });
        assert!(!r.row("suppliers", &[], &mut clean));
    }
}
