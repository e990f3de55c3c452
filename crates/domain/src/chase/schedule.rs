//! When a supplier is chased: the schedule (an organization's settings with a campaign's
//! overrides) and the pure date arithmetic over it. Everything here takes `today`; nothing
//! reads a clock.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, ErrorCode, FieldError};

pub const DEFAULT_REMINDER_OFFSETS: [u16; 3] = [14, 7, 1];
pub const DEFAULT_OVERDUE_INTERVAL_DAYS: u16 = 7;
pub const DEFAULT_ESCALATION_AFTER_DAYS: u16 = 14;
pub const DEFAULT_REVIEW_LEAD_DAYS: u16 = 30;
/// At most this many reminders before the due date.
pub const MAX_REMINDER_OFFSETS: usize = 10;
/// Offsets, intervals and lead times are at most a year.
pub const MAX_DAYS: u16 = 365;

/// The schedule in force for one assessment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Schedule {
    /// Days before the due date on which a reminder goes out, largest first (e.g. 14, 7, 1).
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub reminder_offsets: Vec<u16>,
    /// Days between reminders once the due date has passed.
    pub overdue_interval_days: u16,
    /// Days overdue after which the buyer's owners and admins hear about it (in a daily digest).
    pub escalation_after_days: u16,
    /// Days before the next annual review date on which the worker opens the review.
    pub review_lead_days: u16,
}

impl Default for Schedule {
    fn default() -> Self {
        Self {
            reminder_offsets: DEFAULT_REMINDER_OFFSETS.to_vec(),
            overdue_interval_days: DEFAULT_OVERDUE_INTERVAL_DAYS,
            escalation_after_days: DEFAULT_ESCALATION_AFTER_DAYS,
            review_lead_days: DEFAULT_REVIEW_LEAD_DAYS,
        }
    }
}

/// Any subset of a schedule: a PATCH of the settings, or a campaign's overrides.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "graphql",
    derive(async_graphql::SimpleObject, async_graphql::InputObject),
    graphql(input_name = "ScheduleOverrideInput")
)]
#[serde(deny_unknown_fields)]
pub struct ScheduleOverride {
    /// Days before the due date (0–365, at most 10 values; duplicates are merged).
    #[cfg_attr(feature = "openapi", schema(max_items = 10))]
    pub reminder_offsets: Option<Vec<u16>>,
    /// 1–365.
    pub overdue_interval_days: Option<u16>,
    /// 1–365.
    pub escalation_after_days: Option<u16>,
    /// 1–365.
    pub review_lead_days: Option<u16>,
}

impl ScheduleOverride {
    /// Checks every field (named under `prefix`, e.g. `schedule.`) and returns the override
    /// with its offsets sorted largest first and without duplicates.
    pub fn validated(mut self, prefix: &str) -> Result<Self, DomainError> {
        let mut errors = Vec::new();
        let range = |field: &str, value: Option<u16>, min: u16, errors: &mut Vec<FieldError>| {
            if let Some(v) = value
                && !(min..=MAX_DAYS).contains(&v)
            {
                errors.push(FieldError::new(
                    format!("{prefix}{field}"),
                    ErrorCode::InvalidValue,
                    format!("{min} to {MAX_DAYS} days"),
                ));
            }
        };
        range("overdue_interval_days", self.overdue_interval_days, 1, &mut errors);
        range("escalation_after_days", self.escalation_after_days, 1, &mut errors);
        range("review_lead_days", self.review_lead_days, 1, &mut errors);
        if let Some(offsets) = &mut self.reminder_offsets {
            if offsets.len() > MAX_REMINDER_OFFSETS {
                errors.push(FieldError::new(
                    format!("{prefix}reminder_offsets"),
                    ErrorCode::TooMany,
                    format!("at most {MAX_REMINDER_OFFSETS} reminders"),
                ));
            }
            for (i, offset) in offsets.iter().enumerate() {
                if *offset > MAX_DAYS {
                    errors.push(FieldError::new(
                        format!("{prefix}reminder_offsets[{i}]"),
                        ErrorCode::InvalidValue,
                        format!("0 to {MAX_DAYS} days before the due date"),
                    ));
                }
            }
            offsets.sort_unstable_by(|a, b| b.cmp(a));
            offsets.dedup();
        }
        if errors.is_empty() { Ok(self) } else { Err(DomainError::Validation(errors)) }
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `base` with this override's fields in place of its own.
    pub fn apply(&self, base: &Schedule) -> Schedule {
        Schedule {
            reminder_offsets: self.reminder_offsets.clone().unwrap_or_else(|| base.reminder_offsets.clone()),
            overdue_interval_days: self.overdue_interval_days.unwrap_or(base.overdue_interval_days),
            escalation_after_days: self.escalation_after_days.unwrap_or(base.escalation_after_days),
            review_lead_days: self.review_lead_days.unwrap_or(base.review_lead_days),
        }
    }
}

/// One reminder of an assessment. Each is sent at most once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "n", rename_all = "snake_case")]
pub enum Step {
    /// `n` days before the due date.
    Before(u16),
    /// The `n`-th overdue reminder (0 the day after the due date, then every interval).
    Overdue(u32),
}

impl Step {
    /// `before:7`, `overdue:2`: in dedupe keys and `assessments.last_reminder`.
    pub fn key(self) -> String {
        match self {
            Step::Before(days) => format!("before:{days}"),
            Step::Overdue(n) => format!("overdue:{n}"),
        }
    }

    pub fn date(self, schedule: &Schedule, due: NaiveDate) -> NaiveDate {
        match self {
            Step::Before(days) => due.checked_sub_days(Days::new(days.into())).unwrap_or(NaiveDate::MIN),
            Step::Overdue(n) => due
                .checked_add_days(Days::new(1 + u64::from(n) * u64::from(schedule.overdue_interval_days.max(1))))
                .unwrap_or(NaiveDate::MAX),
        }
    }
}

impl Schedule {
    /// The latest step whose date is `today` or earlier: a late run sends that one, not
    /// every step it missed. `None` before the first reminder date.
    pub fn latest_step(&self, due: NaiveDate, today: NaiveDate) -> Option<Step> {
        if today > due {
            let days_late = u64::try_from((today - due).num_days() - 1).unwrap_or(0);
            let n = days_late / u64::from(self.overdue_interval_days.max(1));
            return Some(Step::Overdue(u32::try_from(n).unwrap_or(u32::MAX)));
        }
        // Offsets are largest first; the last one already reached is the latest step.
        self.reminder_offsets.iter().map(|d| Step::Before(*d)).rfind(|s| s.date(self, due) <= today)
    }

    /// The first step dated after `today` (overdue reminders never end while it is open).
    pub fn next_step_on(&self, due: NaiveDate, today: NaiveDate) -> NaiveDate {
        let before = self.reminder_offsets.iter().map(|d| Step::Before(*d).date(self, due)).find(|d| *d > today);
        if let Some(date) = before {
            return date;
        }
        let first_overdue = Step::Overdue(0).date(self, due);
        if first_overdue > today {
            return first_overdue;
        }
        let n = match self.latest_step(due, today) {
            Some(Step::Overdue(n)) => n.saturating_add(1),
            _ => 0,
        };
        Step::Overdue(n).date(self, due)
    }

    /// The day the buyer hears that the assessment is overdue.
    pub fn escalates_on(&self, due: NaiveDate) -> NaiveDate {
        due.checked_add_days(Days::new(self.escalation_after_days.into())).unwrap_or(NaiveDate::MAX)
    }

    /// The day the worker opens a review due on `review_on`.
    pub fn review_opens_on(&self, review_on: NaiveDate) -> NaiveDate {
        review_on.checked_sub_days(Days::new(self.review_lead_days.into())).unwrap_or(NaiveDate::MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn the_latest_step_due_is_the_one_sent() {
        let s = Schedule::default();
        let due = day("2027-03-31");
        assert_eq!(s.latest_step(due, day("2027-03-16")), None);
        assert_eq!(s.latest_step(due, day("2027-03-17")), Some(Step::Before(14)));
        assert_eq!(s.latest_step(due, day("2027-03-24")), Some(Step::Before(7)));
        // A run that comes late sends the latest step, not the missed ones.
        assert_eq!(s.latest_step(due, day("2027-03-30")), Some(Step::Before(1)));
        assert_eq!(s.latest_step(due, day("2027-03-31")), Some(Step::Before(1)));
        assert_eq!(s.latest_step(due, day("2027-04-01")), Some(Step::Overdue(0)));
        assert_eq!(s.latest_step(due, day("2027-04-07")), Some(Step::Overdue(0)));
        assert_eq!(s.latest_step(due, day("2027-04-08")), Some(Step::Overdue(1)));
        assert_eq!(s.latest_step(due, day("2027-05-01")), Some(Step::Overdue(4)));
    }

    #[test]
    fn the_next_step_is_always_after_today_and_is_the_next_one_sent() {
        let s = Schedule::default();
        let due = day("2027-03-31");
        let mut today = day("2027-01-01");
        while today < day("2027-07-01") {
            let next = s.next_step_on(due, today);
            assert!(next > today, "{today}: {next}");
            let step_then = s.latest_step(due, next);
            assert!(step_then.is_some() && step_then != s.latest_step(due, today), "{today}");
            today = today.succ_opt().unwrap_or(NaiveDate::MAX);
        }
    }

    #[test]
    fn an_override_replaces_only_its_fields_and_is_checked() {
        let o = ScheduleOverride { reminder_offsets: Some(vec![1, 30, 30]), ..Default::default() };
        let Ok(o) = o.validated("schedule.") else { panic!("valid") };
        assert_eq!(o.reminder_offsets, Some(vec![30, 1]));
        let applied = o.apply(&Schedule::default());
        assert_eq!(applied.overdue_interval_days, DEFAULT_OVERDUE_INTERVAL_DAYS);
        let bad = ScheduleOverride {
            overdue_interval_days: Some(0),
            reminder_offsets: Some(vec![400]),
            ..Default::default()
        };
        let Err(DomainError::Validation(errors)) = bad.validated("schedule.") else { panic!("invalid") };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["schedule.overdue_interval_days", "schedule.reminder_offsets[0]"]);
    }
}
