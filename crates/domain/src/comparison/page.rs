//! One page of the comparison in the requested order, keyset-paged: statements whose ORDER
//! BY an index can serve (see [`Part`]), read one after another until the page is full, so
//! that the first page of 10,000 suppliers reads about fifty rows, not all of them. NULLS
//! LAST is had by reading the rows without a value last, the same on both backends.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Condition, Expr, ExprTrait, JoinType, Order, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};
use uuid::Uuid;

use super::cursor::{After, Kind, SortValue};
use super::model::{ComparisonFilter, ComparisonSort, SortOrder, SortSpec};
use super::repo::{A, CR, CS, S, SA, SC, STATUS_ORDER, Scores, filtered_with, i};
use crate::entities::{
    assessment_category_scores as category_scores, assessment_scores as scores, assessments, comparison_rows as rows,
    suppliers,
};
use crate::error::DomainResult;
use crate::tenant::TenantCtx;

/// The value a row sorts by (joining the sort's category row when it needs one: inner when
/// only rows with a value are wanted).
fn sort_expr(q: &mut SelectStatement, sort: &SortSpec, part: Part) -> Expr {
    match sort.key {
        ComparisonSort::Overall => Expr::col((SC, scores::Column::Overall)),
        ComparisonSort::Level1 => Expr::col((SC, scores::Column::Level1)),
        ComparisonSort::Level2 => Expr::col((SC, scores::Column::Level2)),
        ComparisonSort::Level3 => Expr::col((SC, scores::Column::Level3)),
        ComparisonSort::AchievedLevel => Expr::col((SC, scores::Column::AchievedLevel)),
        ComparisonSort::Category => {
            let join = if part == Part::Valued { JoinType::InnerJoin } else { JoinType::LeftJoin };
            q.join_as(
                join,
                category_scores::Entity,
                CS,
                Condition::all()
                    .add(
                        Expr::col((CS, category_scores::Column::AssessmentId))
                            .equals((CR, rows::Column::ScoredAssessmentId)),
                    )
                    .add(Expr::col((CS, category_scores::Column::Category)).eq(sort.category.unwrap_or_default())),
            );
            Expr::col((CS, category_scores::Column::Achievement))
        }
        ComparisonSort::DueDate => Expr::col((A, assessments::Column::DueDate)),
        ComparisonSort::Status => {
            let mut case = sea_orm::sea_query::CaseStatement::new();
            for (rank, status) in (0..).zip(STATUS_ORDER) {
                case = case.case(Expr::col((A, assessments::Column::Status)).eq(status.as_str()), i(rank));
            }
            case.finally(i(6)).into()
        }
        // Lower-cased name then contact email: case-insensitive, and the same bytes compared on
        // both backends (PostgreSQL under the C collation, SQLite's BINARY).
        ComparisonSort::SupplierName => Expr::col((S, suppliers::Column::SearchText)),
    }
}

fn bind(value: &SortValue) -> Expr {
    match value {
        SortValue::Null => Expr::value(Option::<i32>::None),
        SortValue::Float(f) => Expr::val(*f),
        SortValue::Int(n) => Expr::val(*n),
        SortValue::Date(d) => Expr::val(*d),
        SortValue::Text(t) => Expr::val(t.clone()),
    }
}

/// Which rows of the order one statement reads. A sort whose rows can lack a value runs as
/// two statements, the rows with a value first and then the others: each is a plain ORDER
/// BY that an index can serve, where one statement would need `CASE WHEN v IS NULL` first
/// (NULLS LAST, portably) and so a sort of every row. A key of a few values (the status
/// rank, the achieved level) runs as one statement per value, in order: rows of one value
/// by (supplier id, template id), which the comparison's primary key serves, where the
/// value and then the ids would sort every row of a value shared by thousands. A statement
/// runs only when those before it left the page short.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    /// Every row: the value is never null (due date, name).
    All,
    /// Rows with a value, by value, then supplier id and template id.
    Valued,
    /// Rows whose value is this one (a status rank, an achieved level), by ids.
    Equal(i32),
    /// Rows without one, by supplier id and template id: the tail in either order.
    Unvalued,
}

/// Beyond `after` by (supplier id, template id).
fn tie_after(after: &After) -> Condition {
    let supplier = Expr::col((CR, rows::Column::SupplierId));
    let template = Expr::col((CR, rows::Column::TemplateId));
    Condition::any()
        .add(supplier.clone().gt(after.supplier_id))
        .add(Condition::all().add(supplier.eq(after.supplier_id)).add(template.gt(after.template_id)))
}

/// What of `part` follows a cursor.
enum Follows {
    /// Nothing: `part` lies wholly before it (a cursor in the tail of rows without a value
    /// is past every valued row).
    Nothing,
    /// All of it (every valued row comes before the tail).
    All,
    /// The rows beyond it by value, or level with it and beyond it by (supplier id,
    /// template id).
    Where(Condition),
}

fn after_condition(value: &Expr, sort: &SortSpec, after: &After, part: Part) -> Follows {
    match (&after.value, part) {
        (SortValue::Null, Part::Unvalued) => Follows::Where(tie_after(after)),
        (SortValue::Null, _) => Follows::Nothing,
        (_, Part::Unvalued) => Follows::All,
        (SortValue::Int(at), Part::Equal(v)) => {
            let ahead = match sort.order {
                SortOrder::Asc => v > *at,
                SortOrder::Desc => v < *at,
            };
            match (v == *at, ahead) {
                (true, _) => Follows::Where(tie_after(after)),
                (false, true) => Follows::All,
                (false, false) => Follows::Nothing,
            }
        }
        (v, _) => {
            let bound = bind(v);
            let beyond = match sort.order {
                SortOrder::Asc => value.clone().gt(bound.clone()),
                SortOrder::Desc => value.clone().lt(bound.clone()),
            };
            Follows::Where(
                Condition::any().add(beyond).add(Condition::all().add(value.clone().eq(bound)).add(tie_after(after))),
            )
        }
    }
}

fn order_page(q: &mut SelectStatement, value: &Expr, sort: &SortSpec, part: Part) {
    if matches!(part, Part::All | Part::Valued) {
        let order = match sort.order {
            SortOrder::Asc => Order::Asc,
            SortOrder::Desc => Order::Desc,
        };
        q.order_by_expr(value.clone(), order);
    }
    q.order_by_expr(Expr::col((CR, rows::Column::SupplierId)), Order::Asc)
        .order_by_expr(Expr::col((CR, rows::Column::TemplateId)), Order::Asc);
}

/// One comparison row as the page query reads it.
#[derive(Clone, Debug)]
pub(crate) struct RowData {
    pub supplier_id: Uuid,
    pub template_id: Uuid,
    pub current_id: Uuid,
    pub scored_id: Option<Uuid>,
    pub name: String,
    pub tier: Option<String>,
    pub tags: serde_json::Value,
    pub supplier_target: i32,
    pub status: String,
    pub due_date: NaiveDate,
    pub target_level: i32,
    pub overall: Option<f64>,
    pub levels: [Option<f64>; 3],
    pub achieved_level: Option<i32>,
    pub meets_target: Option<bool>,
    pub score_target: Option<i32>,
    pub scs_star3: Option<f64>,
    pub scs_star4: Option<f64>,
    pub scored_status: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub sort_value: SortValue,
}

fn read_row(r: &QueryResult, kind: Kind) -> Result<RowData, sea_orm::DbErr> {
    let sort_value = match kind {
        Kind::Float => r.try_get::<Option<f64>>("", "sort_value")?.map_or(SortValue::Null, SortValue::Float),
        Kind::Int => r.try_get::<Option<i32>>("", "sort_value")?.map_or(SortValue::Null, SortValue::Int),
        Kind::Date => r.try_get::<Option<NaiveDate>>("", "sort_value")?.map_or(SortValue::Null, SortValue::Date),
        Kind::Text => r.try_get::<Option<String>>("", "sort_value")?.map_or(SortValue::Null, SortValue::Text),
    };
    Ok(RowData {
        supplier_id: r.try_get("", "supplier_id")?,
        template_id: r.try_get("", "template_id")?,
        current_id: r.try_get("", "current_id")?,
        scored_id: r.try_get("", "scored_id")?,
        name: r.try_get("", "name")?,
        tier: r.try_get("", "tier")?,
        tags: r.try_get("", "tags")?,
        supplier_target: r.try_get("", "supplier_target")?,
        status: r.try_get("", "status")?,
        due_date: r.try_get("", "due_date")?,
        target_level: r.try_get("", "target_level")?,
        overall: r.try_get("", "overall")?,
        levels: [r.try_get("", "level1")?, r.try_get("", "level2")?, r.try_get("", "level3")?],
        achieved_level: r.try_get("", "achieved_level")?,
        meets_target: r.try_get("", "meets_target")?,
        score_target: r.try_get("", "score_target")?,
        scs_star3: r.try_get("", "scs_star3")?,
        scs_star4: r.try_get("", "scs_star4")?,
        scored_status: r.try_get("", "scored_status")?,
        submitted_at: r.try_get("", "submitted_at")?,
        accepted_at: r.try_get("", "accepted_at")?,
        sort_value,
    })
}

/// Whether the sort's value comes from the score snapshot: its rows with a value are
/// exactly rows with a snapshot (and a value in it).
fn from_snapshot(key: ComparisonSort) -> bool {
    matches!(
        key,
        ComparisonSort::Overall
            | ComparisonSort::Level1
            | ComparisonSort::Level2
            | ComparisonSort::Level3
            | ComparisonSort::AchievedLevel
    )
}

/// The statement of one part of a page, `fetch` rows at most; `None` when no row of `part`
/// can follow `after`.
fn part_statement(
    ctx: &TenantCtx,
    filter: &ComparisonFilter,
    today: NaiveDate,
    sort: &SortSpec,
    after: Option<&After>,
    part: Part,
    fetch: u64,
) -> Option<SelectStatement> {
    let valued = matches!(part, Part::Valued | Part::Equal(_));
    let scores = if valued && from_snapshot(sort.key) { Scores::Only } else { Scores::Any };
    let mut q = filtered_with(ctx, filter, today, scores);
    q.join_as(
        JoinType::LeftJoin,
        assessments::Entity,
        SA,
        Expr::col((SA, assessments::Column::Id)).equals((CR, rows::Column::ScoredAssessmentId)),
    );
    let value = sort_expr(&mut q, sort, part);
    q.expr_as(Expr::col((CR, rows::Column::SupplierId)), "supplier_id")
        .expr_as(Expr::col((CR, rows::Column::TemplateId)), "template_id")
        .expr_as(Expr::col((CR, rows::Column::CurrentAssessmentId)), "current_id")
        .expr_as(Expr::col((CR, rows::Column::ScoredAssessmentId)), "scored_id")
        .expr_as(Expr::col((S, suppliers::Column::Name)), "name")
        .expr_as(Expr::col((S, suppliers::Column::Tier)), "tier")
        .expr_as(Expr::col((S, suppliers::Column::Tags)), "tags")
        .expr_as(Expr::col((S, suppliers::Column::TargetLevel)), "supplier_target")
        .expr_as(Expr::col((A, assessments::Column::Status)), "status")
        .expr_as(Expr::col((A, assessments::Column::DueDate)), "due_date")
        .expr_as(Expr::col((A, assessments::Column::TargetLevel)), "target_level")
        .expr_as(Expr::col((SC, scores::Column::Overall)), "overall")
        .expr_as(Expr::col((SC, scores::Column::Level1)), "level1")
        .expr_as(Expr::col((SC, scores::Column::Level2)), "level2")
        .expr_as(Expr::col((SC, scores::Column::Level3)), "level3")
        .expr_as(Expr::col((SC, scores::Column::AchievedLevel)), "achieved_level")
        .expr_as(Expr::col((SC, scores::Column::MeetsTarget)), "meets_target")
        .expr_as(Expr::col((SC, scores::Column::TargetLevel)), "score_target")
        .expr_as(Expr::col((SC, scores::Column::ScsStar3)), "scs_star3")
        .expr_as(Expr::col((SC, scores::Column::ScsStar4)), "scs_star4")
        .expr_as(Expr::col((SA, assessments::Column::Status)), "scored_status")
        .expr_as(Expr::col((SA, assessments::Column::SubmittedAt)), "submitted_at")
        .expr_as(Expr::col((SA, assessments::Column::AcceptedAt)), "accepted_at")
        .expr_as(value.clone(), "sort_value");
    match part {
        Part::All => {}
        Part::Valued => {
            q.and_where(value.clone().is_not_null());
        }
        Part::Unvalued => {
            q.and_where(value.clone().is_null());
        }
        // The status as stored, not its rank: `assessments (buyer_organization_id, status)`.
        Part::Equal(rank) if sort.key == ComparisonSort::Status => {
            let status = usize::try_from(rank).ok().and_then(|r| STATUS_ORDER.get(r)).map_or("", |s| s.as_str());
            q.and_where(Expr::col((A, assessments::Column::Status)).eq(status));
        }
        Part::Equal(v) => {
            q.and_where(value.clone().eq(v));
        }
    }
    if let Some(after) = after {
        match after_condition(&value, sort, after, part) {
            Follows::Nothing => return None,
            Follows::All => {}
            Follows::Where(condition) => {
                q.cond_where(condition);
            }
        }
    }
    order_page(&mut q, &value, sort, part);
    q.limit(fetch);
    Some(q)
}

/// The parts a page of `sort` is read in, in order.
fn parts(sort: &SortSpec) -> Vec<Part> {
    let values = |n: i32, tail: bool| -> Vec<Part> {
        let mut parts: Vec<Part> = (0..n).map(Part::Equal).collect();
        if sort.order == SortOrder::Desc {
            parts.reverse();
        }
        if tail {
            parts.push(Part::Unvalued);
        }
        parts
    };
    match sort.key {
        ComparisonSort::Status => values(STATUS_ORDER.len() as i32, false),
        ComparisonSort::AchievedLevel => values(4, true),
        key if key.nullable() => vec![Part::Valued, Part::Unvalued],
        _ => vec![Part::All],
    }
}

pub(crate) async fn page(
    conn: &impl ConnectionTrait,
    ctx: &TenantCtx,
    filter: &ComparisonFilter,
    today: NaiveDate,
    sort: &SortSpec,
    after: Option<&After>,
    limit: u64,
) -> DomainResult<Vec<RowData>> {
    let kind = sort.key.kind();
    let wanted = limit + 1;
    let mut out: Vec<RowData> = Vec::new();
    for part in parts(sort) {
        let missing = wanted.saturating_sub(out.len() as u64);
        if missing == 0 {
            break;
        }
        let Some(statement) = part_statement(ctx, filter, today, sort, after, part, missing) else { continue };
        for r in conn.query_all(&statement).await? {
            out.push(read_row(&r, kind)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{PostgresQueryBuilder, SqliteQueryBuilder};

    use super::*;
    use crate::ids::OrganizationId;

    #[test]
    fn the_first_page_by_overall_walks_the_scores_by_value_with_no_null_sorting() {
        let ctx = TenantCtx::for_background_job(OrganizationId(Uuid::nil()));
        let sort = SortSpec { key: ComparisonSort::Overall, order: SortOrder::Desc, category: None };
        let today = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap_or_default();
        let filter = ComparisonFilter::default();
        let Some(q) = part_statement(&ctx, &filter, today, &sort, None, parts(&sort)[0], 51) else {
            panic!("a first page has a first statement")
        };
        let (pg, sqlite) = (q.to_string(PostgresQueryBuilder), q.to_string(SqliteQueryBuilder));
        println!("{pg}");
        for sql in [&pg, &sqlite] {
            assert!(!sql.contains("NULLS") && !sql.contains("CASE"), "{sql}");
            assert!(sql.contains("INNER JOIN \"assessment_scores\" AS \"sc\""), "{sql}");
            assert!(sql.contains("\"sc\".\"buyer_organization_id\" ="), "{sql}");
            assert!(sql.contains("\"sc\".\"overall\" IS NOT NULL"), "{sql}");
            assert!(
                sql.ends_with(
                    "ORDER BY \"sc\".\"overall\" DESC, \"cr\".\"supplier_id\" ASC, \"cr\".\"template_id\" ASC LIMIT 51"
                ),
                "{sql}"
            );
        }
        // A cursor in the tail of unscored rows: only the tail is read.
        let after = After { value: SortValue::Null, supplier_id: Uuid::nil(), template_id: Uuid::nil() };
        assert!(part_statement(&ctx, &filter, today, &sort, Some(&after), Part::Valued, 51).is_none());
        assert!(part_statement(&ctx, &filter, today, &sort, Some(&after), Part::Unvalued, 51).is_some());
    }
}
