//! Crosswalks from the JAMA/JAPIA check sheet to METI's supply-chain security rating scheme
//! (SCS, ★3 self-assessment and ★4 third-party criteria), ISO/IEC 27001:2022 and NIST CSF 2.0.
//!
//! The mapping is reference data compiled into the binary (`catalog/jama-scs-crosswalk.csv`),
//! read from a public reproduction of METI's working criterion list of 2026-03-27: for each
//! of the 153 items, the SCS criteria that cite it, the ★ level the list gives the item's
//! criteria, their ISO/IEC 27001 references and the CSF function. It says which criteria
//! *cite* an item, not that the item satisfies them: everything computed from it is a
//! readiness indication, labelled as such, never a rating.
//!
//! The list gives one ★ per item, not per criterion: a criterion's ★ is the one of the items
//! that cite it alone; a criterion cited only by items whose criteria span both levels
//! (`★3/★4`) has no stated ★ of its own and is reported as such.

mod data;
mod readiness;

pub use data::{ItemReferences, MAPPING_SOURCE, MAPPING_VERSION, Mapping, mapping};
pub(crate) use readiness::readiness_of;
pub use readiness::{
    CriterionReadiness, CriterionStatus, Crosswalk, CrosswalkMapping, IsoReference, ScsReadiness, StarCounts,
    StarLevel, of_assessment, references_for,
};
