//! Expanding recurring schedules into instants, the way the worker fires them: the first run is
//! `starts_at` itself, later runs follow the rule (DTSTART = `starts_at` on the schedule's wall
//! clock), nothing after `ends_at`.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use postiz_schedule::{Recurrence, RecurrenceError};
use tokio::sync::Semaphore;

use crate::ApiError;

/// At most this many occurrences of one schedule in one answer (a daily rule over the largest
/// calendar window needs 92).
pub(crate) const MAX_PER_SCHEDULE: usize = 1000;

/// At most this many occurrences over all schedules of one answer; past it the caller is asked
/// for a narrower window (a workspace with 1,000 daily schedules fills a 20-day window).
pub(crate) const MAX_PER_REQUEST: usize = 20_000;

/// CPU time one request may spend expanding rules. Each schedule is bounded on its own
/// (seeking, [`MAX_PER_SCHEDULE`]); this bounds a request with very many schedules.
const TIME_BUDGET: Duration = Duration::from_secs(2);

/// Expansions running at once, on blocking threads: no more than the machine's cores would
/// serve, so that expanding never starves the async threads that answer everything else.
static EXPANSIONS: LazyLock<Arc<Semaphore>> = LazyLock::new(|| Arc::new(Semaphore::new(2)));

/// How far from today a window may start: the planner's and slot finder's horizon.
pub(crate) const MAX_YEARS_FROM_NOW: i64 = 20;

/// Refuses an instant more than [`MAX_YEARS_FROM_NOW`] years from now, naming `field`.
pub(crate) fn check_horizon(field: &str, at: DateTime<Utc>) -> Result<(), ApiError> {
    let limit = chrono::Duration::days(MAX_YEARS_FROM_NOW * 366);
    if (at - Utc::now()).abs() > limit {
        return Err(ApiError::bad_request("out_of_range", format!("{field}: choose a date within {MAX_YEARS_FROM_NOW} years of today")));
    }
    Ok(())
}

/// Expands every schedule's occurrences in `[from, to)`, in the input's order, on a blocking
/// thread and within the request budgets ([`MAX_PER_REQUEST`], [`TIME_BUDGET`]). A rule that
/// does not evaluate yields nothing (the worker never fires it either).
pub(crate) async fn expand_all(
    schedules: Vec<RecurringSpec>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Vec<DateTime<Utc>>>, ApiError> {
    if schedules.is_empty() {
        return Ok(vec![]);
    }
    // The permit moves into the blocking task: a client that goes away does not free the slot
    // while the expansion still runs.
    let permit = Arc::clone(&EXPANSIONS).acquire_owned().await.map_err(|e| ApiError::internal(&e))?;
    let expanded = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        expand_within_budget(&schedules, from, to, TIME_BUDGET)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?;
    expanded.map_err(|why| ApiError::bad_request("too_many_occurrences", why))
}

fn expand_within_budget(
    schedules: &[RecurringSpec],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    budget: Duration,
) -> Result<Vec<Vec<DateTime<Utc>>>, String> {
    let started = Instant::now();
    let mut total = 0;
    let mut out = Vec::with_capacity(schedules.len());
    for schedule in schedules {
        if started.elapsed() > budget {
            return Err("this window holds too many recurring posts to show at once; choose a shorter window or fewer accounts".into());
        }
        let at = schedule.between(from, to).unwrap_or_default();
        total += at.len();
        if total > MAX_PER_REQUEST {
            return Err(format!(
                "this window holds more than {MAX_PER_REQUEST} recurring posts; choose a shorter window or fewer accounts"
            ));
        }
        out.push(at);
    }
    Ok(out)
}

/// A recurring schedule as stored (owned, so it can be expanded off the async threads).
#[derive(Debug, Clone)]
pub(crate) struct RecurringSpec {
    pub rrule: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub time_zone: String,
}

impl RecurringSpec {
    /// The rule anchored at `starts_at` on the schedule's wall clock.
    pub(crate) fn recurrence(&self) -> Result<Recurrence, RecurrenceError> {
        let tz = postiz_schedule::parse_zone(&self.time_zone).ok_or_else(|| RecurrenceError {
            field: "time_zone",
            message: format!("{:?} is not an IANA time zone name such as Europe/Berlin", self.time_zone),
        })?;
        Recurrence::parse(&self.rrule, self.starts_at.with_timezone(&tz).naive_local(), &self.time_zone)
    }

    /// Occurrences in `[from, to)`, in order.
    pub(crate) fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>, RecurrenceError> {
        let rule = self.recurrence()?;
        let mut out = Vec::new();
        if self.starts_at >= from && self.starts_at < to {
            out.push(self.starts_at);
        }
        out.extend(rule.between(from.max(self.starts_at), to, MAX_PER_SCHEDULE).into_iter().filter(|t| *t != self.starts_at));
        out.retain(|t| self.ends_at.is_none_or(|end| *t <= end));
        out.sort();
        out.dedup();
        out.truncate(MAX_PER_SCHEDULE);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_five_minutes(starts_at: &str) -> RecurringSpec {
        let minutes = (0..60).step_by(5).map(|m| m.to_string()).collect::<Vec<_>>().join(",");
        let hours = (0..24).map(|h| h.to_string()).collect::<Vec<_>>().join(",");
        RecurringSpec {
            rrule: format!("FREQ=DAILY;BYHOUR={hours};BYMINUTE={minutes}"),
            starts_at: utc(starts_at),
            ends_at: None,
            time_zone: "Europe/Paris".into(),
        }
    }

    #[test]
    fn many_schedules_in_one_window_hit_the_request_budget() {
        // 288 a day over three days is 864 each: 24 of them pass the cap, 24 more do not.
        let from = utc("2026-06-01T00:00:00Z");
        let to = utc("2026-06-04T00:00:00Z");
        let few = vec![every_five_minutes("2026-01-01T00:00:00Z"); 23];
        assert_eq!(expand_within_budget(&few, from, to, TIME_BUDGET).unwrap().iter().map(Vec::len).sum::<usize>(), 23 * 864);
        let many = vec![every_five_minutes("2026-01-01T00:00:00Z"); 48];
        assert!(expand_within_budget(&many, from, to, TIME_BUDGET).unwrap_err().contains("more than 20000"));
        assert!(expand_within_budget(&few, from, to, Duration::ZERO).unwrap_err().contains("too many recurring posts"));
    }

    #[test]
    fn the_horizon_is_bounded_both_ways() {
        assert!(check_horizon("from", Utc::now() + chrono::Duration::days(365 * 19)).is_ok());
        let far = check_horizon("from", utc("2091-01-01T00:00:00Z")).unwrap_err();
        assert_eq!(far.code(), "out_of_range");
        assert!(check_horizon("after", utc("1970-01-01T00:00:00Z")).is_err());
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn starts_at_is_the_first_occurrence_and_ends_at_the_last_possible() {
        let spec = RecurringSpec {
            rrule: "FREQ=DAILY".into(),
            starts_at: utc("2026-03-27T08:00:00Z"),
            ends_at: Some(utc("2026-03-30T07:00:00Z")),
            time_zone: "Europe/Berlin".into(),
        };
        let got = spec.between(utc("2026-03-01T00:00:00Z"), utc("2026-04-30T00:00:00Z")).unwrap();
        assert_eq!(
            got.iter().map(|t| t.to_rfc3339()).collect::<Vec<_>>(),
            ["2026-03-27T08:00:00+00:00", "2026-03-28T08:00:00+00:00", "2026-03-29T07:00:00+00:00", "2026-03-30T07:00:00+00:00"]
        );
    }
}
