//! The crosswalk file, parsed once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Serialize;

/// Where the mapping comes from, as the product shows it with every figure.
pub const MAPPING_SOURCE: &str = "METI supply-chain security rating scheme (SCS ★3/★4) criterion list, working \
     list of 2026-03-27, as publicly reproduced; ISO/IEC 27001:2022 references and NIST CSF 2.0 functions as that \
     list gives them. Reference data, not an equivalence.";
/// The mapping's version: the date of the list it was read from.
pub const MAPPING_VERSION: &str = "2026-03-27";

const CSV: &str = include_str!("../../catalog/jama-scs-crosswalk.csv");

/// What one check-sheet item is cited by.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ItemReferences {
    /// The item's number (No.1–No.153).
    pub no: u32,
    /// The level METI's list annotates the item with (`1`, `2`, `3`; `1/2` where it gives
    /// both); null for an item it does not cite.
    pub meti_level: Option<String>,
    /// The SCS criteria that cite the item (e.g. `1-3-1-1`); empty for 60 of the 153.
    pub scs_criteria: Vec<String>,
    /// The ★ level of those criteria as the list gives it for the item: `3`, `4` or `3/4`.
    pub scs_star: Option<String>,
    /// ISO/IEC 27001:2022 clauses and Annex A controls of those criteria (`5.2`, `A.5.1`).
    pub iso27001: Vec<String>,
    /// The NIST CSF 2.0 function (`GV`, `ID`, `PR`, `DE`, `RS`, `RC`; two where the list
    /// gives two, e.g. `DE/PR`).
    pub nist_csf: Option<String>,
}

/// The whole mapping: per item, and per criterion its ★ and citing items.
#[derive(Debug)]
pub struct Mapping {
    pub items: BTreeMap<u32, ItemReferences>,
    /// Criterion → the items citing it, in number order.
    pub criteria: BTreeMap<String, Vec<u32>>,
    /// Criterion → its ★ (`3` or `4`) where an item citing it gives a single level.
    pub stars: BTreeMap<String, String>,
}

fn words(field: &str) -> Vec<String> {
    field.split_whitespace().map(str::to_owned).collect()
}

fn blank_to_none(field: &str) -> Option<String> {
    Some(field.trim().to_owned()).filter(|f| !f.is_empty())
}

/// `LV1/LV2` → `1/2`.
fn level(field: &str) -> Option<String> {
    blank_to_none(&field.replace("LV", ""))
}

/// `★3/★4` → `3/4`.
fn star(field: &str) -> Option<String> {
    blank_to_none(&field.replace('★', ""))
}

/// `検知(DE)/防御(PR)` → `DE/PR`.
fn function(field: &str) -> Option<String> {
    let codes: Vec<&str> =
        field.split('/').filter_map(|part| part.split_once('(').and_then(|(_, rest)| rest.strip_suffix(')'))).collect();
    Some(codes.join("/")).filter(|c| !c.is_empty())
}

pub(crate) fn parse(csv: &str) -> Result<Mapping, String> {
    let mut lines = csv.lines();
    let header = lines.next().ok_or("empty crosswalk")?;
    if !header.starts_with("jama_no,") {
        return Err(format!("unexpected header: {header}"));
    }
    let mut items = BTreeMap::new();
    for (n, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').collect();
        let [no, _seed, meti, criteria, stars, iso, nist] = cells.as_slice() else {
            return Err(format!("line {}: {} cells, 7 expected", n + 2, cells.len()));
        };
        let no: u32 = no.parse().map_err(|_| format!("line {}: item number {no:?}", n + 2))?;
        let refs = ItemReferences {
            no,
            meti_level: level(meti),
            scs_criteria: words(criteria),
            scs_star: star(stars),
            iso27001: words(iso),
            nist_csf: function(nist),
        };
        if items.insert(no, refs).is_some() {
            return Err(format!("item {no} twice"));
        }
    }
    let mut criteria: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut stated: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for refs in items.values() {
        for c in &refs.scs_criteria {
            criteria.entry(c.clone()).or_default().push(refs.no);
            if let Some(s) = refs.scs_star.as_deref().filter(|s| !s.contains('/')) {
                stated.entry(c.clone()).or_default().insert(s.to_owned());
            }
        }
    }
    let mut stars = BTreeMap::new();
    for (c, levels) in stated {
        if levels.len() > 1 {
            return Err(format!("criterion {c} is given both ★3 and ★4"));
        }
        stars.insert(c, levels.into_iter().next().unwrap_or_default());
    }
    Ok(Mapping { items, criteria, stars })
}

/// The compiled-in mapping. Its file is checked by a unit test (items 1–153 exactly), so a
/// parse failure cannot ship; should one happen, every use answers 500 rather than an empty
/// view.
pub fn mapping() -> crate::error::DomainResult<&'static Mapping> {
    static MAPPING: OnceLock<Result<Mapping, String>> = OnceLock::new();
    MAPPING
        .get_or_init(|| parse(CSV))
        .as_ref()
        .map_err(|e| crate::error::DomainError::internal(format!("the crosswalk file does not parse: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_covers_items_1_to_153_exactly_and_cites_93_of_them() -> Result<(), String> {
        let m = parse(CSV)?;
        assert_eq!(m.items.keys().copied().collect::<Vec<_>>(), (1..=153).collect::<Vec<_>>());
        let cited = m.items.values().filter(|r| !r.scs_criteria.is_empty()).count();
        assert_eq!(cited, 93);
        // An item cited has the rest of its columns; one not cited has none.
        for r in m.items.values() {
            let cited = !r.scs_criteria.is_empty();
            assert_eq!(r.scs_star.is_some(), cited, "No.{}", r.no);
            assert_eq!(r.meti_level.is_some(), cited, "No.{}", r.no);
            assert_eq!(r.nist_csf.is_some(), cited, "No.{}", r.no);
            // Six cited items' criteria name no ISO/IEC 27001 reference (No.70, 74, 75, 77, 78, 100).
            assert!(cited || r.iso27001.is_empty(), "No.{}", r.no);
        }
        let without_iso: Vec<u32> =
            m.items.values().filter(|r| !r.scs_criteria.is_empty() && r.iso27001.is_empty()).map(|r| r.no).collect();
        assert_eq!(without_iso, [70, 74, 75, 77, 78, 100]);
        assert_eq!(m.criteria.len(), 142);
        // Criteria cited only by items whose criteria span both levels have no ★ of their own.
        assert_eq!(m.criteria.len() - m.stars.len(), 14);
        Ok(())
    }

    #[test]
    fn columns_read_as_the_list_gives_them() -> Result<(), String> {
        let m = parse(CSV)?;
        let first = &m.items[&1];
        assert_eq!(first.scs_criteria, ["1-3-1-1"]);
        assert_eq!(first.scs_star.as_deref(), Some("3"));
        assert_eq!(first.iso27001, ["5.2", "7.3", "A.5.1"]);
        assert_eq!(first.nist_csf.as_deref(), Some("GV"));
        assert_eq!(m.items[&36].meti_level.as_deref(), Some("1/2"));
        assert_eq!(m.items[&142].meti_level.as_deref(), Some("2"));
        assert_eq!(m.stars["1-3-1-4"], "4");
        assert!(!m.stars.contains_key("4-2-1-4"), "only cited by No.36 (★3/★4)");
        assert!(parse("jama_no,a\n1,2").is_err());
        Ok(())
    }
}
