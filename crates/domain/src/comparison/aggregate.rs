//! Figures over every matching row (item statistics, the summary), each one grouped or
//! aggregate statement over the shared filtered join of `repo`.

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Func, JoinType};
use uuid::Uuid;

use super::model::ComparisonFilter;
use super::repo::{A, ANS, CR, SC, filtered, i};
use crate::assessments::Status;
use crate::entities::{
    answers, assessment_category_scores as category_scores, assessment_scores as scores, assessments,
    comparison_rows as rows,
};
use crate::error::DomainResult;
use crate::tenant::TenantCtx;

/// The filtered rows' answers of one template, counted per (item, status, target level of
/// the scored assessment), in one grouped query; and the scored assessments counted per
/// target level (each is the denominator of the items up to that level).
pub(crate) async fn item_counts(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    filter: &ComparisonFilter,
    today: NaiveDate,
) -> DomainResult<(Vec<(i32, String, i32, i64)>, Vec<(i32, i64)>)> {
    let mut q = filtered(ctx, filter, today);
    q.join_as(
        JoinType::InnerJoin,
        answers::Entity,
        ANS,
        Expr::col((ANS, answers::Column::AssessmentId)).equals((SC, scores::Column::AssessmentId)),
    )
    .expr_as(Expr::col((ANS, answers::Column::ItemNo)), "item_no")
    .expr_as(Expr::col((ANS, answers::Column::Status)), "status")
    .expr_as(Expr::col((SC, scores::Column::TargetLevel)), "target_level")
    .expr_as(Func::count(Expr::col((ANS, answers::Column::ItemNo))), "n")
    .add_group_by([
        Expr::col((ANS, answers::Column::ItemNo)),
        Expr::col((ANS, answers::Column::Status)),
        Expr::col((SC, scores::Column::TargetLevel)),
    ]);
    let mut counts = Vec::new();
    for r in conn.query_all(&q).await? {
        counts.push((
            r.try_get("", "item_no")?,
            r.try_get("", "status")?,
            r.try_get("", "target_level")?,
            r.try_get("", "n")?,
        ));
    }
    let mut q = filtered(ctx, filter, today);
    q.and_where(Expr::col((SC, scores::Column::AssessmentId)).is_not_null())
        .expr_as(Expr::col((SC, scores::Column::TargetLevel)), "target_level")
        .expr_as(Func::count(Expr::col((SC, scores::Column::AssessmentId))), "n")
        .add_group_by([Expr::col((SC, scores::Column::TargetLevel))]);
    let mut scored = Vec::new();
    for r in conn.query_all(&q).await? {
        scored.push((r.try_get("", "target_level")?, r.try_get("", "n")?));
    }
    Ok((counts, scored))
}

/// The summary's figures over the filtered rows, in one aggregate query.
#[derive(Clone, Debug, Default)]
pub(crate) struct Totals {
    pub rows: i64,
    pub statuses: [i64; 6],
    pub overdue: i64,
    pub scored: i64,
    pub meets_target: i64,
    pub buckets: [i64; 10],
}

fn count_when(condition: Expr) -> Expr {
    let case: Expr = sea_orm::sea_query::CaseStatement::new().case(condition, i(1)).finally(i(0)).into();
    Func::coalesce([Expr::from(Func::sum(case)), i(0)]).into()
}

pub(crate) async fn totals(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    filter: &ComparisonFilter,
    today: NaiveDate,
) -> DomainResult<Totals> {
    let mut q = filtered(ctx, filter, today);
    let status = || Expr::col((A, assessments::Column::Status));
    let overall = || Expr::col((SC, scores::Column::Overall));
    q.expr_as(Func::count(Expr::col((CR, rows::Column::SupplierId))), "rows");
    for s in Status::ALL {
        q.expr_as(count_when(status().eq(s.as_str())), s.as_str());
    }
    let open = Status::EDITABLE.map(Status::as_str);
    q.expr_as(count_when(status().is_in(open).and(Expr::col((A, assessments::Column::DueDate)).lt(today))), "overdue")
        .expr_as(Func::count(Expr::col((SC, scores::Column::AssessmentId))), "scored")
        .expr_as(count_when(Expr::col((SC, scores::Column::MeetsTarget)).eq(true)), "meets");
    for b in 0..10 {
        let from = f64::from(b) / 10.0;
        let to = f64::from(b + 1) / 10.0;
        let upper = if b == 9 { overall().lte(to) } else { overall().lt(to) };
        q.expr_as(count_when(overall().gte(from).and(upper)), format!("b{b}"));
    }
    let Some(r) = conn.query_one(&q).await? else { return Ok(Totals::default()) };
    let mut t = Totals {
        rows: r.try_get("", "rows")?,
        overdue: r.try_get("", "overdue")?,
        scored: r.try_get("", "scored")?,
        meets_target: r.try_get("", "meets")?,
        ..Totals::default()
    };
    for (n, s) in Status::ALL.into_iter().enumerate() {
        t.statuses[n] = r.try_get("", s.as_str())?;
    }
    for b in 0..10 {
        t.buckets[b] = r.try_get("", &format!("b{b}"))?;
    }
    Ok(t)
}

/// Mean achievement per category number over the filtered rows' snapshots (AVG ignores the
/// nulls of categories without an applicable item), with how many values it averaged.
pub(crate) async fn category_averages(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    filter: &ComparisonFilter,
    today: NaiveDate,
) -> DomainResult<Vec<(i32, Option<f64>, i64)>> {
    const CC: &str = "cc";
    let mut q = filtered(ctx, filter, today);
    q.join_as(
        JoinType::InnerJoin,
        category_scores::Entity,
        CC,
        Expr::col((CC, category_scores::Column::AssessmentId)).equals((SC, scores::Column::AssessmentId)),
    )
    .expr_as(Expr::col((CC, category_scores::Column::Category)), "category")
    .expr_as(Func::avg(Expr::col((CC, category_scores::Column::Achievement))), "average")
    .expr_as(Func::count(Expr::col((CC, category_scores::Column::Achievement))), "n")
    .add_group_by([Expr::col((CC, category_scores::Column::Category))]);
    let mut out = Vec::new();
    for r in conn.query_all(&q).await? {
        out.push((r.try_get("", "category")?, r.try_get("", "average")?, r.try_get("", "n")?));
    }
    Ok(out)
}

/// The templates of the filtered rows.
pub(crate) async fn templates_of(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    filter: &ComparisonFilter,
    today: NaiveDate,
) -> DomainResult<Vec<Uuid>> {
    let mut q = filtered(ctx, filter, today);
    q.distinct().expr_as(Expr::col((CR, rows::Column::TemplateId)), "template_id");
    let mut out = Vec::new();
    for r in conn.query_all(&q).await? {
        out.push(r.try_get("", "template_id")?);
    }
    Ok(out)
}
