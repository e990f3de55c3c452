//! The comparison's keyset cursor: the last row's sort value, supplier id and template id,
//! with the sort it belongs to, as base64url JSON. Opaque to clients; a cursor that does not
//! decode, or was made for another sort, is a 422 naming `cursor`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::{ComparisonSort, SortSpec};
use crate::error::{DomainError, DomainResult, ErrorCode};

/// A row's value of the sort key, typed as the database compares it.
#[derive(Clone, Debug, PartialEq)]
pub enum SortValue {
    /// No score yet (or nothing applicable): these rows come last in either order.
    Null,
    Float(f64),
    Int(i32),
    Date(NaiveDate),
    Text(String),
}

/// The kind of value a sort key has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Float,
    Int,
    Date,
    Text,
}

impl ComparisonSort {
    pub(crate) fn kind(self) -> Kind {
        match self {
            Self::Overall | Self::Level1 | Self::Level2 | Self::Level3 | Self::Category => Kind::Float,
            Self::AchievedLevel | Self::Status => Kind::Int,
            Self::DueDate => Kind::Date,
            Self::SupplierName => Kind::Text,
        }
    }

    /// Whether rows can lack a value (those from the score snapshot).
    pub(crate) fn nullable(self) -> bool {
        !matches!(self, Self::DueDate | Self::Status | Self::SupplierName)
    }
}

/// Where a page starts: after the row with these keys.
#[derive(Clone, Debug, PartialEq)]
pub struct After {
    pub value: SortValue,
    pub supplier_id: Uuid,
    pub template_id: Uuid,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    /// The sort the cursor belongs to: `overall:asc`, `category:7:desc`.
    k: String,
    v: serde_json::Value,
    s: Uuid,
    t: Uuid,
}

fn signature(sort: &SortSpec) -> String {
    match sort.category {
        Some(c) => format!("{}:{c}:{}", sort.key.as_str(), sort.order.as_str()),
        None => format!("{}:{}", sort.key.as_str(), sort.order.as_str()),
    }
}

pub fn encode(sort: &SortSpec, after: &After) -> String {
    let v = match &after.value {
        SortValue::Null => serde_json::Value::Null,
        SortValue::Float(f) => serde_json::json!(f),
        SortValue::Int(i) => serde_json::json!(i),
        SortValue::Date(d) => serde_json::json!(d.format("%Y-%m-%d").to_string()),
        SortValue::Text(t) => serde_json::json!(t),
    };
    let wire = Wire { k: signature(sort), v, s: after.supplier_id, t: after.template_id };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wire).unwrap_or_default())
}

fn refused(why: &str) -> DomainError {
    DomainError::validation("cursor", ErrorCode::InvalidCursor, format!("not a cursor of this list: {why}"))
}

pub fn decode(sort: &SortSpec, raw: &str) -> DomainResult<After> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| refused("not base64url"))?;
    let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| refused("malformed"))?;
    if wire.k != signature(sort) {
        return Err(refused("it was made for another sort or order"));
    }
    let wrong = || refused("its value does not fit the sort");
    let value = match (&wire.v, sort.key.kind()) {
        (serde_json::Value::Null, _) if sort.key.nullable() => SortValue::Null,
        (v, Kind::Float) => SortValue::Float(v.as_f64().filter(|f| f.is_finite()).ok_or_else(wrong)?),
        (v, Kind::Int) => SortValue::Int(v.as_i64().and_then(|i| i32::try_from(i).ok()).ok_or_else(wrong)?),
        (v, Kind::Date) => {
            SortValue::Date(v.as_str().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()).ok_or_else(wrong)?)
        }
        (v, Kind::Text) => SortValue::Text(v.as_str().ok_or_else(wrong)?.to_owned()),
    };
    Ok(After { value, supplier_id: wire.s, template_id: wire.t })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comparison::model::SortOrder;

    fn spec(key: ComparisonSort, order: SortOrder) -> SortSpec {
        SortSpec { key, order, category: (key == ComparisonSort::Category).then_some(3) }
    }

    #[test]
    fn every_kind_of_value_survives_the_round_trip() -> DomainResult<()> {
        let ids = (Uuid::now_v7(), Uuid::now_v7());
        let cases = [
            (ComparisonSort::Overall, SortValue::Float(0.1 + 0.2)),
            (ComparisonSort::Category, SortValue::Null),
            (ComparisonSort::AchievedLevel, SortValue::Int(2)),
            (ComparisonSort::DueDate, SortValue::Date(NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or_default())),
            (ComparisonSort::SupplierName, SortValue::Text("ｱｲｳ parts co a@b.example".into())),
        ];
        for (key, value) in cases {
            let sort = spec(key, SortOrder::Desc);
            let after = After { value, supplier_id: ids.0, template_id: ids.1 };
            assert_eq!(decode(&sort, &encode(&sort, &after))?, after);
        }
        Ok(())
    }

    #[test]
    fn a_cursor_of_another_sort_or_a_forged_one_is_refused_naming_the_cursor() {
        let after = After { value: SortValue::Float(0.5), supplier_id: Uuid::nil(), template_id: Uuid::nil() };
        let asc = spec(ComparisonSort::Overall, SortOrder::Asc);
        let cursor = encode(&asc, &after);
        for (sort, raw) in [
            (spec(ComparisonSort::Overall, SortOrder::Desc), cursor.as_str()),
            (spec(ComparisonSort::Level1, SortOrder::Asc), cursor.as_str()),
            (asc, "not a cursor"),
            (asc, "e30"),
        ] {
            let refused = decode(&sort, raw);
            assert!(matches!(&refused, Err(DomainError::Validation(e)) if e[0].field == "cursor"), "{refused:?}");
        }
        let name = spec(ComparisonSort::SupplierName, SortOrder::Asc);
        let null_name = encode(&name, &After { value: SortValue::Null, ..after });
        assert!(decode(&name, &null_name).is_err(), "names are never null");
    }
}
