//! `GET /api/v1/assessments/{id}/crosswalk`: from an assessment's answers, which SCS criteria
//! the implemented items support, per ★ level, and which ISO/IEC 27001 references they
//! touch. Indicative: a criterion is "supported" when every in-scope, applicable item citing
//! it is implemented — what those items ask, not what the criterion's assessor will check.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use tracing::instrument;
use uuid::Uuid;

use super::data::{ItemReferences, MAPPING_SOURCE, MAPPING_VERSION, Mapping, mapping};
use crate::Kensa;
use crate::assessments::{access, repo};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::templates::AnswerStatus;
use crate::tenant::TenantCtx;

crate::closed_set::closed_set! {
    /// How far an assessment's implemented items support one SCS criterion.
    pub enum CriterionStatus("criterion status") {
        /// Every in-scope, applicable item citing it is implemented.
        Supported => "supported",
        /// Some are implemented or partially implemented, not all.
        PartlySupported => "partly_supported",
        /// None of them is implemented, even partially (unanswered counts as not).
        NotSupported => "not_supported",
        /// No item citing it is in the assessment's scope and applicable.
        NotAssessed => "not_assessed",
    }
}

crate::closed_set::closed_set! {
    /// A criterion's ★ level in METI's list.
    pub enum StarLevel("star level") {
        /// ★3: the self-assessed level.
        Star3 => "3",
        /// ★4: the third-party-assessed level.
        Star4 => "4",
        /// The list states ★3/★4 for the items citing it and no level for the criterion alone.
        Unstated => "unstated",
    }
}

/// One SCS criterion and what the assessment says about it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CriterionReadiness {
    /// The criterion's number in METI's list (`1-3-1-1`).
    pub code: String,
    pub star: StarLevel,
    pub status: CriterionStatus,
    /// The check-sheet items citing it.
    pub items: Vec<u32>,
    /// Those of them answered `implemented`.
    pub implemented: Vec<u32>,
    /// Those that could not be judged: above the assessment's target level, or not in its
    /// checklist (a copy that dropped or rewrote them). With any, the criterion is at most
    /// partly supported.
    pub unassessed: Vec<u32>,
}

/// Counts of criteria by status, for one ★ level.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct StarCounts {
    pub star: StarLevel,
    pub criteria: u32,
    pub supported: u32,
    pub partly_supported: u32,
    pub not_supported: u32,
    pub not_assessed: u32,
}

impl StarCounts {
    fn of(star: StarLevel) -> Self {
        Self { star, criteria: 0, supported: 0, partly_supported: 0, not_supported: 0, not_assessed: 0 }
    }
}

/// An ISO/IEC 27001:2022 reference and the items that reach it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct IsoReference {
    /// A clause (`5.2`) or Annex A control (`A.5.1`).
    pub reference: String,
    /// The items whose citing criteria name it.
    pub items: Vec<u32>,
    /// Those of them answered `implemented`: the reference is touched when there is one.
    pub implemented: Vec<u32>,
    pub touched: bool,
}

/// Where the figures come from, with every answer.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct CrosswalkMapping {
    pub version: String,
    pub source: String,
    /// Always true: a readiness indication from the check sheet's answers, not an SCS
    /// rating or an ISO/IEC 27001 assessment.
    pub indicative: bool,
}

/// The assessment's crosswalk.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct Crosswalk {
    pub assessment_id: Uuid,
    pub mapping: CrosswalkMapping,
    /// Per ★ level (`3`, `4`, `unstated`): how many criteria each status has.
    pub stars: Vec<StarCounts>,
    /// Every criterion of the list, by code.
    // GraphQL cost: 142 criteria in the list.
    #[cfg_attr(feature = "graphql", graphql(complexity = "142 * child_complexity"))]
    pub criteria: Vec<CriterionReadiness>,
    /// Every ISO/IEC 27001 reference of those criteria, by reference.
    #[cfg_attr(feature = "graphql", graphql(complexity = "100 * child_complexity"))]
    pub iso27001: Vec<IsoReference>,
    /// Per item of the checklist that is the check sheet's (by number and Japanese question),
    /// what cites it (items no criterion cites are listed too, with empty references).
    #[cfg_attr(feature = "graphql", graphql(complexity = "153 * child_complexity"))]
    pub items: Vec<ItemReferences>,
}

/// The template's items the mapping speaks of: those whose number and Japanese question are
/// the built-in check sheet's (in a copy, an item renumbered or rewritten is not the item the
/// list cites, and a checklist of other items has none).
fn mapped_items(content: &crate::templates::model::Content) -> DomainResult<BTreeMap<u32, u8>> {
    let questions = builtin_questions()?;
    Ok(content
        .items()
        .filter(|(_, _, item)| questions.get(&item.no).map(String::as_str) == Some(item.question.as_str()))
        .map(|(_, _, item)| (item.no, item.level))
        .collect())
}

/// The built-in check sheet's Japanese question per item number, read from the compiled-in
/// catalog once.
fn builtin_questions() -> DomainResult<&'static HashMap<u32, String>> {
    static QUESTIONS: std::sync::OnceLock<Result<HashMap<u32, String>, String>> = std::sync::OnceLock::new();
    QUESTIONS
        .get_or_init(|| {
            let docs = crate::templates::catalog::builtin_documents().map_err(|e| e.to_string())?;
            Ok(docs
                .iter()
                .filter(|d| d.key == crate::templates::catalog::JAMA_JAPIA_KEY)
                .flat_map(|d| d.categories.iter().flat_map(|c| c.sections.iter().flat_map(|s| s.items.iter())))
                .map(|i| (i.no, i.question.clone()))
                .collect())
        })
        .as_ref()
        .map_err(|e| DomainError::internal(format!("the built-in catalog: {e}")))
}

/// What cites each item of a template that is the check sheet's (the same items the
/// readiness view maps), for showing beside the items. The caller has read the template
/// through an assessment it can see.
pub async fn references_for(k: &Kensa, template_id: Uuid) -> DomainResult<BTreeMap<u32, &'static ItemReferences>> {
    let content = k.template_contents.load(&k.db, template_id).await?;
    let m = mapping()?;
    Ok(mapped_items(&content.0)?.keys().filter_map(|no| m.items.get(no).map(|r| (*no, r))).collect())
}

/// What an in-scope item's answer gives a criterion citing it: `None` when it is not
/// applicable (it does not count), else (implemented, at least partly).
fn contribution(status: Option<AnswerStatus>) -> Option<(bool, bool)> {
    match status {
        Some(AnswerStatus::NotApplicable) => None,
        Some(AnswerStatus::Implemented) => Some((true, true)),
        Some(AnswerStatus::PartiallyImplemented) => Some((false, true)),
        Some(AnswerStatus::NotImplemented) | None => Some((false, false)),
    }
}

/// `parts`: the counted items' contributions; `unassessed`: whether any citing item could not
/// be judged (above the target level, or not in the checklist): then the criterion is at
/// most partly supported.
fn status_of(parts: &[(bool, bool)], unassessed: bool) -> CriterionStatus {
    if parts.is_empty() {
        CriterionStatus::NotAssessed
    } else if parts.iter().all(|p| p.0) && !unassessed {
        CriterionStatus::Supported
    } else if parts.iter().any(|p| p.1) {
        CriterionStatus::PartlySupported
    } else {
        CriterionStatus::NotSupported
    }
}

/// The share of each ★ level's criteria that an assessment's answers support: what a score
/// snapshot keeps, so that the comparison can filter and show it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "graphql", derive(async_graphql::SimpleObject))]
pub struct ScsReadiness {
    /// Supported ★3 criteria over all ★3 criteria of the list (0–1).
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub star3: f64,
    /// Supported ★4 criteria over all ★4 criteria of the list (0–1).
    #[cfg_attr(feature = "openapi", schema(minimum = 0.0, maximum = 1.0))]
    pub star4: f64,
}

/// What the answers give the mapped items and the criteria citing them.
struct Evaluated {
    /// Item number → its contribution (`None`: not applicable, does not count), for the
    /// mapped items in scope; the others are unassessed.
    given: HashMap<u32, Option<(bool, bool)>>,
    criteria: Vec<CriterionReadiness>,
    stars: BTreeMap<&'static str, StarCounts>,
}

/// The criteria of the list as `statuses` (item number → answer; absent: unanswered) support
/// them, for the `mapped` items (number → level) up to `target_level`.
fn evaluate(
    m: &Mapping,
    mapped: &BTreeMap<u32, u8>,
    target_level: i32,
    statuses: &HashMap<u32, AnswerStatus>,
) -> Evaluated {
    let given: HashMap<u32, Option<(bool, bool)>> = mapped
        .iter()
        .filter(|(_, level)| i32::from(**level) <= target_level)
        .map(|(no, _)| (*no, contribution(statuses.get(no).copied())))
        .collect();
    let implemented = |no: &u32| given.get(no).copied().flatten().is_some_and(|c| c.0);
    let mut criteria = Vec::new();
    let mut stars: BTreeMap<&'static str, StarCounts> = BTreeMap::new();
    for (code, items) in &m.criteria {
        let unassessed: Vec<u32> = items.iter().copied().filter(|no| !given.contains_key(no)).collect();
        let parts: Vec<(bool, bool)> = items.iter().filter_map(|no| given.get(no).copied().flatten()).collect();
        let status = status_of(&parts, !unassessed.is_empty());
        let star = match m.stars.get(code).map(String::as_str) {
            Some("3") => StarLevel::Star3,
            Some("4") => StarLevel::Star4,
            _ => StarLevel::Unstated,
        };
        let counts = stars.entry(star.as_str()).or_insert_with(|| StarCounts::of(star));
        counts.criteria += 1;
        match status {
            CriterionStatus::Supported => counts.supported += 1,
            CriterionStatus::PartlySupported => counts.partly_supported += 1,
            CriterionStatus::NotSupported => counts.not_supported += 1,
            CriterionStatus::NotAssessed => counts.not_assessed += 1,
        }
        let implemented_items = items.iter().copied().filter(implemented).collect();
        criteria.push(CriterionReadiness {
            code: code.clone(),
            star,
            status,
            items: items.clone(),
            implemented: implemented_items,
            unassessed,
        });
    }
    Evaluated { given, criteria, stars }
}

/// The readiness a score snapshot keeps: `None` for a checklist without any item of the
/// check sheet (by number and Japanese question).
pub(crate) fn readiness_of(
    content: &crate::templates::model::Content,
    target_level: i32,
    statuses: &HashMap<u32, AnswerStatus>,
) -> DomainResult<Option<ScsReadiness>> {
    let mapped = mapped_items(content)?;
    if mapped.is_empty() {
        return Ok(None);
    }
    let e = evaluate(mapping()?, &mapped, target_level, statuses);
    let share = |star: StarLevel| {
        e.stars
            .get(star.as_str())
            .filter(|c| c.criteria > 0)
            .map_or(0.0, |c| f64::from(c.supported) / f64::from(c.criteria))
    };
    Ok(Some(ScsReadiness { star3: share(StarLevel::Star3), star4: share(StarLevel::Star4) }))
}

/// Either side of the assessment. 409 `crosswalk_unavailable` for a checklist without any
/// item of the JAMA/JAPIA check sheet (by number and Japanese question).
#[instrument(skip_all, fields(org = %ctx.org_id(), assessment = %id))]
pub async fn of_assessment(k: &Kensa, ctx: &TenantCtx, id: Uuid) -> DomainResult<Crosswalk> {
    let visible = access::load(&k.db, ctx, id).await?;
    let row = visible.row();
    let content = k.template_contents.load(&k.db, row.template_id).await?;
    let mapped = mapped_items(&content.0)?;
    if mapped.is_empty() {
        return Err(DomainError::conflict(
            ErrorCode::CrosswalkUnavailable,
            "the crosswalk maps the JAMA/JAPIA check sheet; this assessment's checklist has none of its items",
        ));
    }
    let m = mapping()?;
    let mut statuses = HashMap::new();
    for (no, a) in repo::answers(&k.db, &visible).await? {
        statuses.insert(u32::try_from(no).map_err(DomainError::internal)?, AnswerStatus::try_from(a.status.as_str())?);
    }
    let Evaluated { given, criteria, stars } = evaluate(m, &mapped, row.target_level, &statuses);
    let implemented = |no: &u32| given.get(no).copied().flatten().is_some_and(|c| c.0);
    let mut iso: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
    let items: Vec<ItemReferences> = mapped.keys().filter_map(|no| m.items.get(no).cloned()).collect();
    for refs in &items {
        for r in &refs.iso27001 {
            iso.entry(r.as_str()).or_default().push(refs.no);
        }
    }
    let iso27001 = iso
        .into_iter()
        .map(|(reference, items)| {
            let implemented: Vec<u32> = items.iter().copied().filter(implemented).collect();
            IsoReference { reference: reference.to_owned(), touched: !implemented.is_empty(), items, implemented }
        })
        .collect();
    Ok(Crosswalk {
        assessment_id: id,
        mapping: CrosswalkMapping {
            version: MAPPING_VERSION.to_owned(),
            source: MAPPING_SOURCE.to_owned(),
            indicative: true,
        },
        stars: stars.into_values().collect(),
        criteria,
        iso27001,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_criterion_is_supported_only_when_every_counted_item_is_implemented() {
        use AnswerStatus::*;
        let c = |s| contribution(Some(s));
        assert_eq!(status_of(&[], false), CriterionStatus::NotAssessed);
        assert_eq!(c(NotApplicable), None, "not applicable does not count");
        let parts = |v: Vec<Option<(bool, bool)>>| v.into_iter().flatten().collect::<Vec<_>>();
        assert_eq!(status_of(&parts(vec![c(Implemented), c(Implemented)]), false), CriterionStatus::Supported);
        assert_eq!(status_of(&parts(vec![c(Implemented), c(NotApplicable)]), false), CriterionStatus::Supported);
        assert_eq!(status_of(&parts(vec![c(Implemented)]), true), CriterionStatus::PartlySupported, "one unassessed");
        assert_eq!(status_of(&parts(vec![c(Implemented), c(NotImplemented)]), false), CriterionStatus::PartlySupported);
        assert_eq!(status_of(&parts(vec![c(PartiallyImplemented)]), false), CriterionStatus::PartlySupported);
        assert_eq!(
            status_of(&parts(vec![c(NotImplemented), contribution(None)]), false),
            CriterionStatus::NotSupported
        );
    }
}
