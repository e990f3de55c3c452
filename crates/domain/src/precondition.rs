//! `If-Match` as the services take it. Every resource with a version (assessments, with
//! their answers and evidence; suppliers; templates) checks it twice: before any work, and
//! again inside the write transaction against the row as it is then, so a write that lost a
//! race to another one answers 412 too, never overwriting it.

use crate::error::{DomainError, DomainResult};

/// What the client asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IfMatch {
    /// No `If-Match`: the write applies to whatever is current, unless the deployment
    /// requires preconditions (`KENSA_REQUIRE_IF_MATCH`, 428).
    #[default]
    Absent,
    /// `If-Match: *`: any current version (the client chose not to compare).
    Any,
    /// `If-Match: "7"`: only version 7.
    Version(i32),
}

/// GraphQL's `ifMatch: Int` arguments and older callers.
impl From<Option<i32>> for IfMatch {
    fn from(v: Option<i32>) -> Self {
        v.map_or(IfMatch::Absent, IfMatch::Version)
    }
}

impl IfMatch {
    /// The version the write must find, if the client named one.
    pub fn expected(self) -> Option<i32> {
        match self {
            IfMatch::Version(v) => Some(v),
            IfMatch::Absent | IfMatch::Any => None,
        }
    }

    /// Before any work: 428 when the deployment requires a precondition and none was sent;
    /// 412 when the named version is not `current`.
    pub fn check(self, required: bool, current: i32) -> DomainResult<()> {
        if required && self == IfMatch::Absent {
            return Err(DomainError::PreconditionRequired);
        }
        self.still(current)
    }

    /// Inside the write transaction, against the row as it is now.
    pub fn still(self, current: i32) -> DomainResult<()> {
        match self.expected() {
            Some(expected) if expected != current => Err(DomainError::PreconditionFailed { expected, current }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_version_must_be_the_current_one() {
        assert!(IfMatch::Version(3).check(false, 3).is_ok());
        assert!(matches!(
            IfMatch::Version(2).check(false, 3),
            Err(DomainError::PreconditionFailed { expected: 2, current: 3 })
        ));
        assert!(IfMatch::Any.check(true, 3).is_ok());
        assert!(IfMatch::Absent.check(false, 3).is_ok());
    }

    #[test]
    fn a_missing_precondition_is_refused_only_where_required() {
        assert!(matches!(IfMatch::Absent.check(true, 1), Err(DomainError::PreconditionRequired)));
        assert_eq!(IfMatch::from(Some(4)), IfMatch::Version(4));
        assert_eq!(IfMatch::from(None), IfMatch::Absent);
    }
}
