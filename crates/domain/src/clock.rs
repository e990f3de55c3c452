//! Time is an input. Every date decision in the domain (due and overdue, link expiry,
//! lockouts, job schedules, timestamps written) takes "now" from the [`Clock`] the services
//! were built with, never from the system clock, so tests and `kensa-worker run-once --now`
//! can drive a whole review year. Rate limiters and caches measure elapsed time with
//! `Instant`, which is not a date decision and stays monotonic.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};

pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock, for production.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move: tests and `run-once --now`.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn starting_at(at: DateTime<Utc>) -> Arc<Self> {
        Arc::new(Self(Mutex::new(at)))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The clock as the services read it.
#[derive(Clone, Debug)]
pub struct Time(Arc<dyn Clock>);

impl Default for Time {
    fn default() -> Self {
        Self(Arc::new(SystemClock))
    }
}

impl Time {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self(clock)
    }

    /// Microsecond precision: what PostgreSQL stores, so both backends hand back exactly
    /// what was written.
    pub fn now(&self) -> DateTime<Utc> {
        self.0.now().trunc_subsecs(6)
    }

    /// Due dates are calendar dates; they are compared with today's date in UTC.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_stands_still_until_moved() {
        let start = DateTime::parse_from_rfc3339("2027-03-31T23:30:00Z").map(|t| t.with_timezone(&Utc));
        let Ok(start) = start else { panic!("{start:?}") };
        let clock = ManualClock::starting_at(start);
        let time = Time::new(clock.clone());
        assert_eq!(time.now(), start);
        clock.advance(Duration::hours(1));
        assert_eq!(time.today(), NaiveDate::from_ymd_opt(2027, 4, 1).unwrap_or_default());
    }

    #[test]
    fn timestamps_are_kept_to_the_microsecond() {
        let time = Time::default();
        assert_eq!(time.now().timestamp_subsec_nanos() % 1_000, 0);
    }
}
