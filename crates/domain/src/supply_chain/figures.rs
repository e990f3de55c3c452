//! The figure a buyer sees of its Tier-1's supply chain below: computed from the Tier-1's own
//! comparison rows for one checklist line (its latest and its latest scored assessment of
//! each sub-supplier), with each scored assessment's consent. Nothing is stored: a withdrawn
//! consent or a removed sub-supplier is out of the next read.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, JoinType, Query};
use uuid::Uuid;

use super::model::{ForwardingConsent, LevelDistribution, NamedSubSupplier, SupplyChainCategory, SupplyChainFigure};
use crate::assessments::Status;
use crate::entities::{
    assessment_scores as scores, assessments, comparison_rows as rows, forwarding_consents as consents, suppliers,
    templates,
};
use crate::error::DomainResult;
use crate::library::Line;
use crate::templates::model::Content;

/// One comparison row of the Tier-1 as the figure needs it.
struct SubSupplier {
    supplier_id: Uuid,
    /// The sub-supplier's own organization, once it took part.
    organization_id: Option<Uuid>,
    current_status: String,
    scored: Option<Scored>,
}

/// The sub-supplier's latest scored assessment: what is counted, with its own consent and the
/// organization that answered it (the one named, when it consented to that).
struct Scored {
    assessment_id: Uuid,
    organization_id: Option<Uuid>,
    achieved_level: i32,
    answered_at: DateTime<Utc>,
    consent: ForwardingConsent,
}

/// The Tier-1's comparison rows of the line's templates, its deleted suppliers left out.
async fn sub_suppliers(conn: &impl ConnectionTrait, tier1: Uuid, line: &Line) -> DomainResult<Vec<SubSupplier>> {
    let mut q = Query::select();
    q.from_as(rows::Entity, "cr")
        .join_as(
            JoinType::InnerJoin,
            templates::Entity,
            "t",
            Condition::all()
                .add(Expr::col(("t", templates::Column::Id)).equals(("cr", rows::Column::TemplateId)))
                .add(Expr::col(("t", templates::Column::OwnerKey)).eq(line.owner_key.as_str()))
                .add(Expr::col(("t", templates::Column::Key)).eq(line.key.as_str())),
        )
        .join_as(
            JoinType::InnerJoin,
            suppliers::Entity,
            "s",
            Condition::all()
                .add(Expr::col(("s", suppliers::Column::Id)).equals(("cr", rows::Column::SupplierId)))
                .add(Expr::col(("s", suppliers::Column::OrganizationId)).eq(tier1))
                .add(Expr::col(("s", suppliers::Column::DeletedAt)).is_null()),
        )
        .join_as(
            JoinType::InnerJoin,
            assessments::Entity,
            "a",
            Expr::col(("a", assessments::Column::Id)).equals(("cr", rows::Column::CurrentAssessmentId)),
        )
        .join_as(
            JoinType::LeftJoin,
            assessments::Entity,
            "sa",
            Expr::col(("sa", assessments::Column::Id)).equals(("cr", rows::Column::ScoredAssessmentId)),
        )
        .join_as(
            JoinType::LeftJoin,
            scores::Entity,
            "sc",
            Expr::col(("sc", scores::Column::AssessmentId)).equals(("cr", rows::Column::ScoredAssessmentId)),
        )
        .join_as(
            JoinType::LeftJoin,
            consents::Entity,
            "fc",
            Expr::col(("fc", consents::Column::AssessmentId)).equals(("cr", rows::Column::ScoredAssessmentId)),
        )
        .and_where(Expr::col(("cr", rows::Column::BuyerOrganizationId)).eq(tier1))
        .expr_as(Expr::col(("cr", rows::Column::SupplierId)), "supplier_id")
        .expr_as(Expr::col(("a", assessments::Column::SupplierOrganizationId)), "organization_id")
        .expr_as(Expr::col(("a", assessments::Column::Status)), "status")
        .expr_as(Expr::col(("sc", scores::Column::AssessmentId)), "scored_id")
        .expr_as(Expr::col(("sa", assessments::Column::SupplierOrganizationId)), "scored_organization_id")
        .expr_as(Expr::col(("sc", scores::Column::AchievedLevel)), "achieved_level")
        .expr_as(Expr::col(("sa", assessments::Column::SubmittedAt)), "submitted_at")
        .expr_as(Expr::col(("sc", scores::Column::ComputedAt)), "computed_at")
        .expr_as(Expr::col(("fc", consents::Column::Consent)), "consent");
    let mut out = Vec::new();
    for r in conn.query_all(&q).await? {
        let scored_id: Option<Uuid> = r.try_get("", "scored_id")?;
        let scored = match scored_id {
            None => None,
            Some(assessment_id) => {
                let consent: Option<String> = r.try_get("", "consent")?;
                let computed_at: DateTime<Utc> = r.try_get("", "computed_at")?;
                let submitted_at: Option<DateTime<Utc>> = r.try_get("", "submitted_at")?;
                Some(Scored {
                    assessment_id,
                    organization_id: r.try_get("", "scored_organization_id")?,
                    achieved_level: r.try_get("", "achieved_level")?,
                    answered_at: submitted_at.unwrap_or(computed_at),
                    consent: consent
                        .as_deref()
                        .map(ForwardingConsent::try_from)
                        .transpose()?
                        .unwrap_or(ForwardingConsent::None),
                })
            }
        };
        out.push(SubSupplier {
            supplier_id: r.try_get("", "supplier_id")?,
            organization_id: r.try_get("", "organization_id")?,
            current_status: r.try_get("", "status")?,
            scored,
        });
    }
    Ok(out)
}

/// One row per sub-supplier — its organization on Kensa, else its registry record — of its
/// rows (one per template version of the line, or one per record of the same organization):
/// the one scored last, else one still open, else any. The Tier-1 assessing itself is left out.
fn one_per_supplier(rows: Vec<SubSupplier>, tier1: Uuid) -> Vec<SubSupplier> {
    let rank = |r: &SubSupplier| {
        (r.scored.as_ref().map(|s| s.answered_at), r.current_status != Status::Cancelled.as_str(), r.supplier_id)
    };
    let mut by_supplier: HashMap<Uuid, SubSupplier> = HashMap::new();
    for row in rows {
        let organization = row.scored.as_ref().and_then(|s| s.organization_id).or(row.organization_id);
        if organization == Some(tier1) {
            continue;
        }
        let key = organization.unwrap_or(row.supplier_id);
        match by_supplier.get(&key) {
            Some(kept) if rank(kept) >= rank(&row) => {}
            _ => {
                by_supplier.insert(key, row);
            }
        }
    }
    let mut out: Vec<SubSupplier> = by_supplier.into_values().collect();
    out.sort_by_key(|r| r.supplier_id);
    out
}

/// Which band of four an achievement falls in: below 25 %, 25–50 %, 50–75 %, 75 % and above.
fn band(achievement: f64) -> usize {
    if achievement < 0.25 {
        0
    } else if achievement < 0.5 {
        1
    } else if achievement < 0.75 {
        2
    } else {
        3
    }
}

/// The figure of `tier1`'s sub-suppliers for `line`, with the categories of `content` (the
/// recipient's checklist) as the heat map's columns.
pub(super) async fn compute(
    conn: &impl ConnectionTrait,
    tier1: Uuid,
    line: &Line,
    content: &Content,
    now: DateTime<Utc>,
) -> DomainResult<SupplyChainFigure> {
    let subs = one_per_supplier(sub_suppliers(conn, tier1, line).await?, tier1);
    let asked: Vec<&SubSupplier> =
        subs.iter().filter(|r| r.scored.is_some() || r.current_status != Status::Cancelled.as_str()).collect();
    let answered: Vec<(&SubSupplier, &Scored)> =
        asked.iter().filter_map(|r| r.scored.as_ref().map(|s| (*r, s))).collect();
    let counted: Vec<(&SubSupplier, &Scored)> = answered.iter().filter(|(_, s)| s.consent.counts()).copied().collect();

    let mut levels = LevelDistribution::default();
    for (_, s) in &counted {
        match s.achieved_level {
            3 => levels.level3 += 1,
            2 => levels.level2 += 1,
            1 => levels.level1 += 1,
            _ => levels.none += 1,
        }
    }
    let ids: Vec<Uuid> = counted.iter().map(|(_, s)| s.assessment_id).collect();
    let achievements = crate::comparison::repo::category_achievements(conn, ids).await?;
    let categories = content
        .categories
        .iter()
        .map(|c| {
            let values: Vec<f64> =
                achievements.values().filter_map(|by_number| by_number.get(&c.number).copied().flatten()).collect();
            let mut bands = vec![0u32; 4];
            for v in &values {
                bands[band(*v)] += 1;
            }
            let scored = u32::try_from(values.len()).unwrap_or(u32::MAX);
            SupplyChainCategory {
                number: c.number,
                name: c.name.clone(),
                scored,
                mean: (scored > 0).then(|| values.iter().sum::<f64>() / f64::from(scored)),
                bands,
            }
        })
        .collect();

    let named_ones: Vec<&Scored> =
        counted.iter().map(|(_, s)| *s).filter(|s| s.consent == ForwardingConsent::Named).collect();
    let names =
        crate::shares::repo::organization_names(conn, named_ones.iter().filter_map(|s| s.organization_id)).await?;
    let mut named: Vec<NamedSubSupplier> = named_ones
        .iter()
        .filter_map(|s| {
            let name = names.get(&s.organization_id?)?;
            Some(NamedSubSupplier { name: name.clone(), achieved_level: s.achieved_level, answered_at: s.answered_at })
        })
        .collect();
    named.sort_by(|a, b| a.name.cmp(&b.name));
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(SupplyChainFigure {
        asked: count(asked.len()),
        answered: count(answered.len()),
        counted: count(counted.len()),
        levels,
        categories,
        named,
        computed_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::band;

    #[test]
    fn bands_split_at_quarters_with_full_achievement_in_the_top_one() {
        assert_eq!([0.0, 0.249, 0.25, 0.5, 0.74, 0.75, 1.0].map(band), [0, 0, 1, 2, 2, 3, 3]);
    }
}
