//! Expanding recurring schedules into instants, the way the worker fires them: the first run is
//! `starts_at` itself, later runs follow the rule (DTSTART = `starts_at` on the schedule's wall
//! clock), nothing after `ends_at`.

use chrono::{DateTime, Utc};
use postiz_schedule::{Recurrence, RecurrenceError};

/// At most this many occurrences of one schedule in one answer (a daily rule over the largest
/// calendar window needs 92).
pub(crate) const MAX_PER_SCHEDULE: usize = 1000;

/// A recurring schedule as stored.
#[derive(Debug, Clone)]
pub(crate) struct RecurringSpec<'a> {
    pub rrule: &'a str,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub time_zone: &'a str,
}

impl RecurringSpec<'_> {
    /// The rule anchored at `starts_at` on the schedule's wall clock.
    pub(crate) fn recurrence(&self) -> Result<Recurrence, RecurrenceError> {
        let tz = postiz_schedule::parse_zone(self.time_zone).ok_or_else(|| RecurrenceError {
            field: "time_zone",
            message: format!("{:?} is not an IANA time zone name such as Europe/Berlin", self.time_zone),
        })?;
        Recurrence::parse(self.rrule, self.starts_at.with_timezone(&tz).naive_local(), self.time_zone)
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

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn starts_at_is_the_first_occurrence_and_ends_at_the_last_possible() {
        let spec = RecurringSpec {
            rrule: "FREQ=DAILY",
            starts_at: utc("2026-03-27T08:00:00Z"),
            ends_at: Some(utc("2026-03-30T07:00:00Z")),
            time_zone: "Europe/Berlin",
        };
        let got = spec.between(utc("2026-03-01T00:00:00Z"), utc("2026-04-30T00:00:00Z")).unwrap();
        assert_eq!(
            got.iter().map(|t| t.to_rfc3339()).collect::<Vec<_>>(),
            ["2026-03-27T08:00:00+00:00", "2026-03-28T08:00:00+00:00", "2026-03-29T07:00:00+00:00", "2026-03-30T07:00:00+00:00"]
        );
    }
}
