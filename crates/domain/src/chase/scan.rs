//! The worker's scan: what is due today becomes an event, once. Each pass reads only rows
//! whose indexed date has come (`next_chase_on`, `escalates_on`, `remediation_next_on`,
//! `review_opens_on`), decides in a write transaction, and moves the date on in the same
//! transaction. Events are jobs with unique keys: two workers deciding the same step at
//! once queue it once, and a worker killed between the decision and the commit decided
//! nothing.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tracing::info;
use uuid::Uuid;

use super::plan::{self, CHASED};
use super::schedule::Schedule;
use super::settings;
use crate::Kensa;
use crate::entities::{answers, assessments, campaigns};
use crate::error::DomainResult;
use crate::notifications::events::{self, Event};

/// Rows decided per write transaction: the write lock is never held for long.
const BATCH: u64 = 500;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    pub reminders: usize,
    pub digests: usize,
    pub remediations: usize,
    pub reviews_opened: usize,
}

impl ScanReport {
    pub fn total(&self) -> usize {
        self.reminders + self.digests + self.remediations + self.reviews_opened
    }
}

/// Everything due at `now`.
pub async fn scan(k: &Kensa, now: DateTime<Utc>) -> DomainResult<ScanReport> {
    let today = now.date_naive();
    let mut report = ScanReport {
        reminders: reminders(k, today, now).await?,
        digests: escalations(k, today, now).await?,
        remediations: remediations(k, today, now).await?,
        ..ScanReport::default()
    };
    report.reviews_opened = super::review::open_due(k, today, now).await?;
    Ok(report)
}

/// Schedules per (organization, campaign), loaded once per scan.
#[derive(Default)]
struct Schedules {
    bases: HashMap<Uuid, Schedule>,
    campaigns: HashMap<Uuid, Schedule>,
}

impl Schedules {
    async fn of(&mut self, conn: &crate::WriteTx, a: &assessments::Model) -> DomainResult<Schedule> {
        if let Some(id) = a.campaign_id
            && let Some(s) = self.campaigns.get(&id)
        {
            return Ok(s.clone());
        }
        let base = match self.bases.get(&a.buyer_organization_id) {
            Some(b) => b.clone(),
            None => {
                let b = settings::load(conn, a.buyer_organization_id).await?.schedule();
                self.bases.insert(a.buyer_organization_id, b.clone());
                b
            }
        };
        let Some(id) = a.campaign_id else { return Ok(base) };
        let campaign = campaigns::Entity::find_by_id(id).one(conn).await?;
        let schedule = settings::overrides_of(campaign.as_ref())?.apply(&base);
        self.campaigns.insert(id, schedule.clone());
        Ok(schedule)
    }
}

/// The latest reminder step due for each open assessment whose next step date has come.
async fn reminders(k: &Kensa, today: NaiveDate, now: DateTime<Utc>) -> DomainResult<usize> {
    let mut schedules = Schedules::default();
    let mut sent = 0;
    let due_now = Condition::all()
        .add(assessments::Column::NextChaseOn.lte(today))
        .add(assessments::Column::Status.is_in(CHASED));
    // Decided rows move past today, so each batch is new.
    while let Some((txn, due)) = next_batch(k, due_now.clone(), assessments::Column::NextChaseOn).await? {
        let mut events = Vec::with_capacity(due.len());
        let mut moves: BTreeMap<(NaiveDate, Option<String>), Vec<Uuid>> = BTreeMap::new();
        for a in &due {
            let schedule = schedules.of(&txn, a).await?;
            let step = schedule.latest_step(a.due_date, today);
            if let Some(step) = step {
                info!(assessment = %a.id, step = %step.key(), "reminder due");
                let on = step.date(&schedule, a.due_date);
                events.push((a.buyer_organization_id, Event::Reminder { assessment_id: a.id, step, on }));
            }
            let last = step.map(|s| s.key()).or_else(|| a.last_reminder.clone());
            moves.entry((schedule.next_step_on(a.due_date, today), last)).or_default().push(a.id);
        }
        sent += usize::try_from(events::queue(&txn, events, now).await?).unwrap_or(0);
        for ((next, last), ids) in moves {
            assessments::Entity::update_many()
                .col_expr(assessments::Column::NextChaseOn, Expr::value(next))
                .col_expr(assessments::Column::LastReminder, Expr::value(last))
                .filter(assessments::Column::Id.is_in(ids))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    Ok(sent)
}

/// One digest per buyer organization and day, listing every assessment that crossed the
/// escalation threshold. Those that cross after today's digest was decided wait for
/// tomorrow's.
async fn escalations(k: &Kensa, today: NaiveDate, now: DateTime<Utc>) -> DomainResult<usize> {
    let due: Vec<(Uuid, Uuid)> = assessments::Entity::find()
        .select_only()
        .column(assessments::Column::BuyerOrganizationId)
        .column(assessments::Column::Id)
        .filter(assessments::Column::EscalatesOn.lte(today))
        .filter(assessments::Column::Status.is_in(CHASED))
        // Ordered by the indexed date: ordering by id makes SQLite walk the whole table.
        .order_by_asc(assessments::Column::EscalatesOn)
        .into_tuple()
        .all(&k.db)
        .await?;
    let mut by_org: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for (org, id) in due {
        by_org.entry(org).or_default().push(id);
    }
    by_org.values_mut().for_each(|ids| ids.sort_unstable());
    let mut digests = 0;
    for (organization_id, assessment_ids) in by_org {
        let txn = k.begin_write().await?;
        let event = Event::EscalationDigest { organization_id, date: today, assessment_ids: assessment_ids.clone() };
        if events::queue(&txn, vec![(organization_id, event)], now).await? == 0 {
            txn.commit().await?;
            continue;
        }
        info!(organization = %organization_id, assessments = assessment_ids.len(), "escalation digest");
        for chunk in assessment_ids.chunks(500) {
            assessments::Entity::update_many()
                .col_expr(assessments::Column::EscalatesOn, Expr::value(Option::<NaiveDate>::None))
                .col_expr(assessments::Column::EscalatedAt, Expr::value(now))
                .filter(assessments::Column::Id.is_in(chunk.to_vec()))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        digests += 1;
    }
    Ok(digests)
}

/// Accepted assessments whose remediation dates passed without an update: one request per
/// assessment and date (the latest date passed, listing every item due by then).
async fn remediations(k: &Kensa, today: NaiveDate, now: DateTime<Utc>) -> DomainResult<usize> {
    let mut asked = 0;
    let due_now = Condition::all().add(assessments::Column::RemediationNextOn.lte(today));
    // Each assessment's date moves past today in its batch (or is cleared).
    while let Some((txn, due)) = next_batch(k, due_now.clone(), assessments::Column::RemediationNextOn).await? {
        for a in &due {
            let items = answers::Entity::find()
                .filter(answers::Column::AssessmentId.eq(a.id))
                .filter(answers::Column::Status.is_in(["not_implemented", "partially_implemented"]))
                .filter(answers::Column::RemediationDue.lte(today))
                .filter(answers::Column::RemediationDoneAt.is_null())
                .all(&txn)
                .await?;
            let items: Vec<answers::Model> = items
                .into_iter()
                .filter(|i| i.remediation_followed_up_on.is_none() || i.remediation_followed_up_on < i.remediation_due)
                .collect();
            if a.status == "accepted"
                && let Some(date) = items.iter().filter_map(|i| i.remediation_due).max()
            {
                let numbers: Vec<i32> = items.iter().map(|i| i.item_no).collect();
                info!(assessment = %a.id, %date, items = numbers.len(), "remediation follow-up due");
                let event = Event::RemediationDue { assessment_id: a.id, date, items: numbers };
                if events::queue(&txn, vec![(a.buyer_organization_id, event)], now).await? > 0 {
                    asked += 1;
                }
                for i in &items {
                    answers::Entity::update_many()
                        .col_expr(answers::Column::RemediationFollowedUpOn, Expr::value(i.remediation_due))
                        .filter(answers::Column::AssessmentId.eq(i.assessment_id))
                        .filter(answers::Column::ItemNo.eq(i.item_no))
                        .exec(&txn)
                        .await?;
                }
            }
            let next =
                if a.status == "accepted" { plan::next_remediation(&txn, a.id, Some(today)).await? } else { None };
            assessments::Entity::update_many()
                .col_expr(assessments::Column::RemediationNextOn, Expr::value(next))
                .filter(assessments::Column::Id.eq(a.id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    Ok(asked)
}

/// The next batch of assessments matching `due`, read in a write transaction in the order of
/// its date index `by` (a second sort key would sort every due row for each batch: 100,000
/// due at once took 9.6 s on SQLite), locked for the caller's decisions; `None` when nothing
/// is due. An idle pass (most of them) reads first and never queues for the write lock. On
/// PostgreSQL, workers scanning at once take disjoint batches (`SKIP LOCKED`), and a
/// supplier's change to one of these rows waits for the batch; SQLite has one writer anyway.
async fn next_batch(
    k: &Kensa,
    due: Condition,
    by: assessments::Column,
) -> DomainResult<Option<(crate::WriteTx, Vec<assessments::Model>)>> {
    let any = assessments::Entity::find()
        .select_only()
        .column(assessments::Column::Id)
        .filter(due.clone())
        .into_tuple::<Uuid>()
        .one(&k.db)
        .await?;
    if any.is_none() {
        return Ok(None);
    }
    let txn = k.begin_write().await?;
    let batch = assessments::Entity::find()
        .filter(due)
        .order_by_asc(by)
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&txn)
        .await?;
    if batch.is_empty() {
        txn.commit().await?;
        return Ok(None);
    }
    Ok(Some((txn, batch)))
}
