//! The comparison's SQL, built with sea-query and run unchanged on SQLite and PostgreSQL. This
//! file holds what every statement shares: `comparison_rows` of the caller's organization →
//! its supplier (not deleted) → the current assessment → the scored assessment's snapshot,
//! with the filters applied; and the per-page batch reads (progress, category achievements).
//! Paging is in `page`, the figures over all matching rows in `aggregate`.

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, JoinType, LikeExpr, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::model::ComparisonFilter;
use crate::assessments::Status;
use crate::entities::{
    answers, assessment_category_scores as category_scores, assessment_scores as scores, assessments,
    comparison_rows as rows, suppliers,
};
use crate::error::{DomainError, DomainResult};
use crate::tenant::TenantCtx;

pub(super) const CR: &str = "cr";
pub(super) const S: &str = "s";
pub(super) const A: &str = "a";
pub(super) const SC: &str = "sc";
pub(super) const SA: &str = "sa";
/// The category row of the sort.
pub(super) const CS: &str = "cs";
/// The category row of the `category`/`below` filter.
const CF: &str = "cf";
pub(super) const ANS: &str = "ans";

/// The workflow order in which `status` sorts.
pub(super) const STATUS_ORDER: [Status; 6] = [
    Status::Sent,
    Status::InProgress,
    Status::ChangesRequested,
    Status::Submitted,
    Status::Accepted,
    Status::Cancelled,
];

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub(super) fn i(v: i32) -> Expr {
    Expr::val(v)
}

/// The rows of the caller's organization that `filter` keeps, with the joins every
/// statement needs (`cr`, `s`, `a`, `sc`), as a statement without columns.
pub(crate) fn filtered(ctx: &TenantCtx, filter: &ComparisonFilter, today: NaiveDate) -> SelectStatement {
    filtered_with(ctx, filter, today, Scores::Any)
}

/// Which rows the join to the score snapshot keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scores {
    /// Every row, with its snapshot when it has one (LEFT JOIN).
    Any,
    /// Only rows with a snapshot (INNER JOIN, and the snapshot's own organization column
    /// named, so that PostgreSQL can walk `assessment_scores (buyer_organization_id, …)`).
    Only,
}

pub(super) fn filtered_with(
    ctx: &TenantCtx,
    filter: &ComparisonFilter,
    today: NaiveDate,
    scores: Scores,
) -> SelectStatement {
    let org = ctx.org_id().0;
    let score_join = match scores {
        Scores::Any => JoinType::LeftJoin,
        Scores::Only => JoinType::InnerJoin,
    };
    let mut q = Query::select();
    q.from_as(rows::Entity, CR)
        .join_as(
            JoinType::InnerJoin,
            suppliers::Entity,
            S,
            Condition::all()
                .add(Expr::col((S, suppliers::Column::Id)).equals((CR, rows::Column::SupplierId)))
                .add(Expr::col((S, suppliers::Column::OrganizationId)).eq(org))
                .add(Expr::col((S, suppliers::Column::DeletedAt)).is_null()),
        )
        .join_as(
            JoinType::InnerJoin,
            assessments::Entity,
            A,
            // The organization named again (it is so by construction) lets PostgreSQL walk
            // `assessments (buyer_organization_id, due_date)` for the due-date sort.
            Condition::all()
                .add(Expr::col((A, assessments::Column::Id)).equals((CR, rows::Column::CurrentAssessmentId)))
                .add(Expr::col((A, assessments::Column::BuyerOrganizationId)).eq(org)),
        )
        .join_as(
            score_join,
            scores::Entity,
            SC,
            Expr::col((SC, scores::Column::AssessmentId)).equals((CR, rows::Column::ScoredAssessmentId)),
        )
        .and_where(Expr::col((CR, rows::Column::BuyerOrganizationId)).eq(org));
    if scores == Scores::Only {
        q.and_where(Expr::col((SC, scores::Column::BuyerOrganizationId)).eq(org));
    }
    if let Some(t) = filter.template_id {
        q.and_where(Expr::col((CR, rows::Column::TemplateId)).eq(t));
    }
    if let Some(tier) = &filter.tier {
        q.and_where(Expr::col((S, suppliers::Column::Tier)).eq(tier.as_str()));
    }
    if let Some(tag) = &filter.tag {
        let pattern = LikeExpr::new(format!("%|{}|%", like_escape(tag))).escape('\\');
        q.and_where(Expr::col((S, suppliers::Column::TagText)).like(pattern));
    }
    if let Some(level) = filter.target_level {
        q.and_where(Expr::col((S, suppliers::Column::TargetLevel)).eq(level));
    }
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let pattern = LikeExpr::new(format!("%{}%", like_escape(&text.to_lowercase()))).escape('\\');
        q.and_where(Expr::col((S, suppliers::Column::SearchText)).like(pattern));
    }
    if let Some(status) = filter.status {
        q.and_where(Expr::col((A, assessments::Column::Status)).eq(status.as_str()));
    }
    let open = Status::EDITABLE.map(Status::as_str);
    match filter.overdue {
        Some(true) => {
            q.and_where(Expr::col((A, assessments::Column::Status)).is_in(open))
                .and_where(Expr::col((A, assessments::Column::DueDate)).lt(today));
        }
        Some(false) => {
            q.cond_where(
                Condition::any()
                    .add(Expr::col((A, assessments::Column::Status)).is_not_in(open))
                    .add(Expr::col((A, assessments::Column::DueDate)).gte(today)),
            );
        }
        None => {}
    }
    if let Some(meets) = filter.meets_target {
        q.and_where(Expr::col((SC, scores::Column::MeetsTarget)).eq(meets));
    }
    if let Some(level) = filter.achieved_level {
        q.and_where(Expr::col((SC, scores::Column::AchievedLevel)).eq(level));
    }
    // A share is compared a hair below its threshold: 2/3 stored as a double still counts as
    // at least 0.6666666666666666 given as text.
    if let Some(min) = filter.scs_star3_min {
        q.and_where(Expr::col((SC, scores::Column::ScsStar3)).gte(min - 1e-9));
    }
    if let Some(min) = filter.scs_star4_min {
        q.and_where(Expr::col((SC, scores::Column::ScsStar4)).gte(min - 1e-9));
    }
    if let (Some(category), Some(below)) = (filter.category, filter.below) {
        q.join_as(
            JoinType::InnerJoin,
            category_scores::Entity,
            CF,
            Condition::all()
                .add(
                    Expr::col((CF, category_scores::Column::AssessmentId))
                        .equals((CR, rows::Column::ScoredAssessmentId)),
                )
                .add(Expr::col((CF, category_scores::Column::Category)).eq(category)),
        )
        .and_where(Expr::col((CF, category_scores::Column::Achievement)).lt(below));
    }
    q
}

/// In-scope items answered, per assessment, in one grouped query: `scopes` pairs the
/// assessments of one (template, target level) with the item numbers in that scope.
pub(crate) async fn answered(
    conn: &impl ConnectionTrait,
    scopes: &[(Vec<Uuid>, Vec<i32>)],
) -> DomainResult<HashMap<Uuid, usize>> {
    if scopes.is_empty() {
        return Ok(HashMap::new());
    }
    let mut any = Condition::any();
    for (ids, numbers) in scopes {
        any = any.add(
            Condition::all()
                .add(answers::Column::AssessmentId.is_in(ids.clone()))
                .add(answers::Column::ItemNo.is_in(numbers.clone())),
        );
    }
    let counts: Vec<(Uuid, i64)> = answers::Entity::find()
        .select_only()
        .column(answers::Column::AssessmentId)
        .column_as(answers::Column::ItemNo.count(), "answered")
        .filter(any)
        .group_by(answers::Column::AssessmentId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(counts.into_iter().map(|(id, n)| (id, usize::try_from(n).unwrap_or_default())).collect())
}

/// Category achievements of the scored assessments, by assessment then category number.
pub(crate) async fn category_achievements(
    conn: &impl ConnectionTrait,
    scored: Vec<Uuid>,
) -> DomainResult<HashMap<Uuid, HashMap<u32, Option<f64>>>> {
    let mut out: HashMap<Uuid, HashMap<u32, Option<f64>>> = HashMap::new();
    for chunk in scored.chunks(500) {
        let found = category_scores::Entity::find()
            .filter(category_scores::Column::AssessmentId.is_in(chunk.to_vec()))
            .all(conn)
            .await?;
        for c in found {
            let number = u32::try_from(c.category).map_err(DomainError::internal)?;
            out.entry(c.assessment_id).or_default().insert(number, c.achievement);
        }
    }
    Ok(out)
}
