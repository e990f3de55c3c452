//! Stored scores: the snapshot an assessment gets when it is submitted (replaced when it is
//! submitted again), and the comparison's pointers per (buyer, supplier, template) to the
//! newest assessment and to the newest scored one. Both are written in the transaction of
//! the change that moves them, so a comparison never reads a pointer without its snapshot.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Score, ScoringPlan, score};
use crate::assessments::Status;
use crate::crosswalk::ScsReadiness;
use crate::entities::{answers, assessment_category_scores, assessment_scores, assessments, comparison_rows};
use crate::error::{DomainError, DomainResult};
use crate::templates::AnswerStatus;
use crate::{Kensa, WriteTx};

/// The answers' statuses by item number, as they are in `conn` now.
async fn given(conn: &impl ConnectionTrait, assessment_id: Uuid) -> DomainResult<Vec<(u32, AnswerStatus)>> {
    let rows: Vec<(i32, String)> = answers::Entity::find()
        .select_only()
        .column(answers::Column::ItemNo)
        .column(answers::Column::Status)
        .filter(answers::Column::AssessmentId.eq(assessment_id))
        .into_tuple()
        .all(conn)
        .await?;
    let mut parsed = Vec::with_capacity(rows.len());
    for (no, status) in rows {
        parsed.push((u32::try_from(no).map_err(DomainError::internal)?, AnswerStatus::try_from(status.as_str())?));
    }
    Ok(parsed)
}

/// The assessment's score from its answers as they are in `conn` now.
pub(crate) async fn compute(k: &Kensa, conn: &impl ConnectionTrait, row: &assessments::Model) -> DomainResult<Score> {
    let template = k.template_contents.load(conn, row.template_id).await?;
    let plan = ScoringPlan::new(&template.0, &template.1);
    let target = u8::try_from(row.target_level).map_err(DomainError::internal)?;
    Ok(score(&plan, target, given(conn, row.id).await?))
}

/// The SCS readiness of the assessment's answers as they are in `conn` now.
async fn readiness(
    k: &Kensa,
    conn: &impl ConnectionTrait,
    row: &assessments::Model,
) -> DomainResult<Option<ScsReadiness>> {
    let template = k.template_contents.load(conn, row.template_id).await?;
    let statuses = given(conn, row.id).await?.into_iter().collect();
    crate::crosswalk::readiness_of(&template.0, row.target_level, &statuses)
}

/// Scores the assessment from its answers in `tx` and stores the snapshot with its SCS
/// readiness, replacing an earlier one: at submission, under the row lock that keeps the
/// answers still.
pub(crate) async fn record(k: &Kensa, tx: &WriteTx, row: &assessments::Model) -> DomainResult<()> {
    // One read of the template and the answers for both figures.
    let template = k.template_contents.load(tx, row.template_id).await?;
    let answers = given(tx, row.id).await?;
    let readiness = crate::crosswalk::readiness_of(&template.0, row.target_level, &answers.iter().copied().collect())?;
    let target = u8::try_from(row.target_level).map_err(DomainError::internal)?;
    let score = score(&ScoringPlan::new(&template.0, &template.1), target, answers);
    store(tx, row, &score, readiness).await
}

/// Stores `score` and `readiness` as the assessment's snapshot, replacing an earlier one.
async fn store(
    tx: &WriteTx,
    row: &assessments::Model,
    score: &Score,
    readiness: Option<ScsReadiness>,
) -> DomainResult<()> {
    let snapshot = assessment_scores::Model {
        assessment_id: row.id,
        buyer_organization_id: row.buyer_organization_id,
        computed_at: tx.now(),
        target_level: i32::from(score.target_level),
        overall: score.overall,
        level1: score.levels.l1.achievement,
        level2: score.levels.l2.achievement,
        level3: score.levels.l3.achievement,
        achieved_level: i32::from(score.achieved_level),
        meets_target: score.meets_target,
        score: serde_json::to_value(score).map_err(DomainError::internal)?,
        scs_star3: readiness.map(|r| r.star3),
        scs_star4: readiness.map(|r| r.star4),
        scs_mapping: Some(crate::crosswalk::MAPPING_VERSION.to_owned()),
    };
    // Upserts: replicas back-filling together at start must not collide.
    use assessment_scores::Column as S;
    assessment_scores::Entity::insert(assessment_scores::ActiveModel::from(snapshot))
        .on_conflict(
            OnConflict::column(S::AssessmentId)
                .update_columns([
                    S::ComputedAt,
                    S::TargetLevel,
                    S::Overall,
                    S::Level1,
                    S::Level2,
                    S::Level3,
                    S::AchievedLevel,
                    S::MeetsTarget,
                    S::Score,
                    S::ScsStar3,
                    S::ScsStar4,
                    S::ScsMapping,
                ])
                .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
    let categories: Vec<assessment_category_scores::ActiveModel> = score
        .categories
        .iter()
        .map(|c| {
            Ok(assessment_category_scores::ActiveModel::from(assessment_category_scores::Model {
                assessment_id: row.id,
                category: i32::try_from(c.number).map_err(DomainError::internal)?,
                achievement: c.achievement,
            }))
        })
        .collect::<DomainResult<_>>()?;
    if !categories.is_empty() {
        use assessment_category_scores::Column as C;
        assessment_category_scores::Entity::insert_many(categories)
            .on_conflict(OnConflict::columns([C::AssessmentId, C::Category]).update_column(C::Achievement).to_owned())
            .exec_without_returning(tx)
            .await?;
    }
    Ok(())
}

/// The stored snapshot of an assessment, if it has one.
pub(crate) async fn stored(conn: &impl ConnectionTrait, assessment_id: Uuid) -> DomainResult<Option<Score>> {
    let Some(row) = assessment_scores::Entity::find_by_id(assessment_id).one(conn).await? else { return Ok(None) };
    Ok(Some(serde_json::from_value(row.score).map_err(DomainError::internal)?))
}

/// Points the comparison row of (buyer, supplier, template) at the newest assessment and at
/// the newest submitted or accepted one (none while changes are requested and nothing was
/// accepted before).
pub(crate) async fn refresh_comparison(tx: &WriteTx, buyer: Uuid, supplier: Uuid, template: Uuid) -> DomainResult<()> {
    let of_pair = || {
        assessments::Entity::find()
            .select_only()
            .column(assessments::Column::Id)
            .filter(assessments::Column::BuyerOrganizationId.eq(buyer))
            .filter(assessments::Column::SupplierId.eq(supplier))
            .filter(assessments::Column::TemplateId.eq(template))
    };
    let current: Option<Uuid> = of_pair()
        .order_by_desc(assessments::Column::CreatedAt)
        .order_by_desc(assessments::Column::Id)
        .into_tuple()
        .one(tx)
        .await?;
    let Some(current) = current else { return Ok(()) };
    let scored: Option<Uuid> = of_pair()
        .filter(assessments::Column::Status.is_in([Status::Submitted.as_str(), Status::Accepted.as_str()]))
        .order_by_desc(assessments::Column::SubmittedAt)
        .order_by_desc(assessments::Column::Id)
        .into_tuple()
        .one(tx)
        .await?;
    let row = comparison_rows::Model {
        buyer_organization_id: buyer,
        supplier_id: supplier,
        template_id: template,
        current_assessment_id: current,
        scored_assessment_id: scored,
    };
    comparison_rows::Entity::insert(comparison_rows::ActiveModel::from(row))
        .on_conflict(
            pair_conflict()
                .update_columns([
                    comparison_rows::Column::CurrentAssessmentId,
                    comparison_rows::Column::ScoredAssessmentId,
                ])
                .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
    Ok(())
}

/// The comparison row's key: one per (buyer, supplier, template).
fn pair_conflict() -> OnConflict {
    use comparison_rows::Column as C;
    OnConflict::columns([C::BuyerOrganizationId, C::SupplierId, C::TemplateId])
}

/// After creating assessments: each is the newest of its pair (its scored pointer stays).
pub(crate) async fn created(tx: &WriteTx, rows: &[assessments::Model]) -> DomainResult<()> {
    for chunk in rows.chunks(500) {
        let models = chunk.iter().map(|a| {
            comparison_rows::ActiveModel::from(comparison_rows::Model {
                buyer_organization_id: a.buyer_organization_id,
                supplier_id: a.supplier_id,
                template_id: a.template_id,
                current_assessment_id: a.id,
                scored_assessment_id: None,
            })
        });
        comparison_rows::Entity::insert_many(models)
            .on_conflict(pair_conflict().update_column(comparison_rows::Column::CurrentAssessmentId).to_owned())
            .exec_without_returning(tx)
            .await?;
    }
    Ok(())
}

/// Gives every submitted or accepted assessment without a snapshot its snapshot, and every
/// assessed pair its comparison row: for data from before scores were stored. Runs at start;
/// does nothing once done. Returns how many snapshots it wrote.
pub async fn backfill(k: &Kensa) -> DomainResult<usize> {
    let missing: Vec<assessments::Model> = assessments::Entity::find()
        .filter(assessments::Column::Status.is_in([Status::Submitted.as_str(), Status::Accepted.as_str()]))
        .filter(
            assessments::Column::Id.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(assessment_scores::Column::AssessmentId)
                    .from(assessment_scores::Entity)
                    .to_owned(),
            ),
        )
        .all(&k.db)
        .await?;
    let unpaired: Vec<(Uuid, Uuid, Uuid)> = assessments::Entity::find()
        .select_only()
        .column(assessments::Column::BuyerOrganizationId)
        .column(assessments::Column::SupplierId)
        .column(assessments::Column::TemplateId)
        .distinct()
        .filter(
            assessments::Column::SupplierId.not_in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(comparison_rows::Column::SupplierId)
                    .from(comparison_rows::Entity)
                    .to_owned(),
            ),
        )
        .into_tuple()
        .all(&k.db)
        .await?;
    for row in &missing {
        let txn = k.begin_write().await?;
        record(k, &txn, row).await?;
        refresh_comparison(&txn, row.buyer_organization_id, row.supplier_id, row.template_id).await?;
        txn.commit().await?;
    }
    // Snapshots stored before the SCS readiness was kept, or with another crosswalk version,
    // of assessments still submitted or accepted (the ones the comparison reads; their
    // answers are those the snapshot scored): their readiness from those answers.
    let stale: Vec<Uuid> = assessment_scores::Entity::find()
        .select_only()
        .column(assessment_scores::Column::AssessmentId)
        .filter(
            sea_orm::Condition::any()
                .add(assessment_scores::Column::ScsMapping.is_null())
                .add(assessment_scores::Column::ScsMapping.ne(crate::crosswalk::MAPPING_VERSION)),
        )
        .into_tuple()
        .all(&k.db)
        .await?;
    let mut refreshed = 0;
    for chunk in stale.chunks(500) {
        let rows = assessments::Entity::find()
            .filter(assessments::Column::Id.is_in(chunk.to_vec()))
            .filter(assessments::Column::Status.is_in([Status::Submitted.as_str(), Status::Accepted.as_str()]))
            .all(&k.db)
            .await?;
        for row in &rows {
            let txn = k.begin_write().await?;
            let readiness = readiness(k, &txn, row).await?;
            assessment_scores::Entity::update_many()
                .col_expr(assessment_scores::Column::ScsStar3, Expr::value(readiness.map(|r| r.star3)))
                .col_expr(assessment_scores::Column::ScsStar4, Expr::value(readiness.map(|r| r.star4)))
                .col_expr(assessment_scores::Column::ScsMapping, Expr::value(crate::crosswalk::MAPPING_VERSION))
                .filter(assessment_scores::Column::AssessmentId.eq(row.id))
                .exec(&txn)
                .await?;
            txn.commit().await?;
            refreshed += 1;
        }
    }
    if refreshed > 0 {
        tracing::info!(
            refreshed,
            "stored the SCS readiness of score snapshots kept before it (or another crosswalk version)"
        );
    }
    for (buyer, supplier, template) in unpaired {
        let txn = k.begin_write().await?;
        refresh_comparison(&txn, buyer, supplier, template).await?;
        txn.commit().await?;
    }
    Ok(missing.len())
}
