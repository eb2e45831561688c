use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rrule::RRuleSet;

use crate::zone::{parse_zone, resolve_local};

/// A recurring schedule: a rule, a first wall-clock time and an IANA zone.
#[derive(Debug, Clone)]
pub struct Recurrence {
    /// The rule expanded in floating time (wall clock carried as UTC), without UNTIL.
    floating: RRuleSet,
    tz: Tz,
    until: Option<DateTime<Utc>>,
}

/// Why a recurrence was refused; `field` names the request field to fix.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{field}: {message}")]
pub struct RecurrenceError {
    /// `rrule`, `time_zone` or `start`.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> RecurrenceError {
    RecurrenceError { field, message: message.into() }
}

const ALLOWED: [&str; 9] = ["FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYHOUR", "BYMINUTE", "COUNT", "UNTIL", "WKST"];

impl Recurrence {
    /// Parses `rule` (`FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9;BYMINUTE=0`, with or without `RRULE:`),
    /// starting at wall-clock `start` in zone `time_zone`.
    pub fn parse(rule: &str, start: NaiveDateTime, time_zone: &str) -> Result<Self, RecurrenceError> {
        let tz = parse_zone(time_zone)
            .ok_or_else(|| err("time_zone", format!("{time_zone:?} is not an IANA time zone name such as Europe/Berlin")))?;
        let body = rule.trim().trim_start_matches("RRULE:");
        let mut kept = Vec::new();
        let mut until = None;
        let mut freq = None;
        for part in body.split(';').filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| err("rrule", format!("{part:?} is not KEY=VALUE")))?;
            let key = key.to_ascii_uppercase();
            if !ALLOWED.contains(&key.as_str()) {
                return Err(err("rrule", format!("{key} is not supported; use {}", ALLOWED.join(", "))));
            }
            match key.as_str() {
                "FREQ" => {
                    let f = value.to_ascii_uppercase();
                    if !["DAILY", "WEEKLY", "MONTHLY"].contains(&f.as_str()) {
                        return Err(err("rrule", "FREQ must be DAILY, WEEKLY or MONTHLY"));
                    }
                    freq = Some(f);
                }
                // UNTIL is an instant (UTC); applied after mapping to the zone, not to the wall clock.
                "UNTIL" => {
                    until = Some(parse_until(value, tz)?);
                    continue;
                }
                _ => {}
            }
            kept.push(format!("{key}={value}"));
        }
        if freq.is_none() {
            return Err(err("rrule", "FREQ is required"));
        }
        if body.to_ascii_uppercase().contains("COUNT=") && until.is_some() {
            return Err(err("rrule", "use COUNT or UNTIL, not both"));
        }
        let text = format!("DTSTART:{}Z\nRRULE:{}", start.format("%Y%m%dT%H%M%S"), kept.join(";"));
        let floating: RRuleSet = text.parse().map_err(|e: rrule::RRuleError| err("rrule", e.to_string()))?;
        Ok(Self { floating, tz, until })
    }

    /// The zone the rule is evaluated in.
    pub fn time_zone(&self) -> Tz {
        self.tz
    }

    /// Occurrences at or after `from` and before `to`, at most `limit`.
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>, limit: usize) -> Vec<DateTime<Utc>> {
        self.instants_from(from).take_while(|t| *t < to).take(limit).collect()
    }

    /// The first occurrence strictly after `after`.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.instants_from(after).find(|t| *t > after)
    }

    /// Instants in order from `from` on. Iterates from DTSTART (COUNT is counted from there);
    /// a daily rule walks about 365 wall-clock dates per year of history, which is cheap.
    fn instants_from(&self, from: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        let until = self.until;
        let tz = self.tz;
        self.floating
            .into_iter()
            .map(move |w| resolve_local(tz, w.naive_utc()))
            .skip_while(move |t| *t < from)
            .take_while(move |t| until.is_none_or(|u| *t <= u))
    }
}

fn parse_until(value: &str, tz: Tz) -> Result<DateTime<Utc>, RecurrenceError> {
    let bad = || err("rrule", format!("UNTIL={value} must be YYYYMMDD or YYYYMMDDTHHMMSSZ"));
    if let Some(stamp) = value.strip_suffix('Z') {
        return NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S").map(|t| t.and_utc()).map_err(|_| bad());
    }
    // A date: the whole of that day, in the schedule's zone.
    let day = NaiveDate::parse_from_str(value, "%Y%m%d").map_err(|_| bad())?;
    let end = day.and_hms_opt(23, 59, 59).ok_or_else(bad)?;
    Ok(tz.from_local_datetime(&end).latest().map_or_else(|| end.and_utc(), |t| t.with_timezone(&Utc)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wall(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn local_strings(r: &Recurrence, ts: &[DateTime<Utc>]) -> Vec<String> {
        ts.iter().map(|t| t.with_timezone(&r.time_zone()).format("%Y-%m-%d %H:%M %Z").to_string()).collect()
    }

    #[test]
    fn daily_nine_in_berlin_stays_nine_across_both_dst_changes() {
        let r = Recurrence::parse("FREQ=DAILY", wall("2026-03-27 09:00"), "Europe/Berlin").unwrap();
        let spring = r.between(utc("2026-03-27T00:00:00Z"), utc("2026-03-31T00:00:00Z"), 10);
        assert_eq!(local_strings(&r, &spring), [
            "2026-03-27 09:00 CET", "2026-03-28 09:00 CET", "2026-03-29 09:00 CEST", "2026-03-30 09:00 CEST"
        ]);
        assert_eq!(spring[2].to_rfc3339(), "2026-03-29T07:00:00+00:00", "the UTC instant moved by an hour");
        let autumn = r.between(utc("2026-10-24T00:00:00Z"), utc("2026-10-27T00:00:00Z"), 10);
        assert_eq!(local_strings(&r, &autumn), ["2026-10-24 09:00 CEST", "2026-10-25 09:00 CET", "2026-10-26 09:00 CET"]);
    }

    #[test]
    fn new_york_weekly_rule_follows_its_own_dst_dates() {
        // The US changes on 2026-03-08, three weeks before Europe.
        let r = Recurrence::parse("FREQ=WEEKLY;BYDAY=SU;BYHOUR=8;BYMINUTE=15", wall("2026-03-01 08:15"), "America/New_York").unwrap();
        let got = r.between(utc("2026-03-01T00:00:00Z"), utc("2026-03-16T00:00:00Z"), 10);
        assert_eq!(got.iter().map(|t| t.to_rfc3339()).collect::<Vec<_>>(), [
            "2026-03-01T13:15:00+00:00", "2026-03-08T12:15:00+00:00", "2026-03-15T12:15:00+00:00"
        ]);
    }

    #[test]
    fn nonexistent_wall_time_fires_once_after_the_gap() {
        let r = Recurrence::parse("FREQ=DAILY;BYHOUR=2;BYMINUTE=30", wall("2026-03-28 02:30"), "Europe/Berlin").unwrap();
        let got = r.between(utc("2026-03-28T00:00:00Z"), utc("2026-03-31T00:00:00Z"), 10);
        assert_eq!(local_strings(&r, &got), ["2026-03-28 02:30 CET", "2026-03-29 03:30 CEST", "2026-03-30 02:30 CEST"]);
    }

    #[test]
    fn ambiguous_wall_time_never_fires_twice() {
        let r = Recurrence::parse("FREQ=DAILY;BYHOUR=2;BYMINUTE=30", wall("2026-10-24 02:30"), "Europe/Berlin").unwrap();
        let got = r.between(utc("2026-10-24T00:00:00Z"), utc("2026-10-27T00:00:00Z"), 10);
        assert_eq!(local_strings(&r, &got), ["2026-10-24 02:30 CEST", "2026-10-25 02:30 CEST", "2026-10-26 02:30 CET"]);
    }

    #[test]
    fn monthly_by_month_day_count_and_until() {
        let r = Recurrence::parse("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=3", wall("2026-01-31 12:00"), "UTC").unwrap();
        let got = r.between(utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"), 10);
        // Months without a 31st are skipped, as RFC 5545 requires; COUNT counts real occurrences.
        assert_eq!(got.iter().map(|t| t.to_rfc3339()).collect::<Vec<_>>(), [
            "2026-01-31T12:00:00+00:00", "2026-03-31T12:00:00+00:00", "2026-05-31T12:00:00+00:00"
        ]);
        let until = Recurrence::parse("FREQ=DAILY;UNTIL=20260103T120000Z", wall("2026-01-01 12:00"), "UTC").unwrap();
        assert_eq!(until.between(utc("2026-01-01T00:00:00Z"), utc("2026-02-01T00:00:00Z"), 10).len(), 3);
    }

    #[test]
    fn next_after_is_strictly_after() {
        let r = Recurrence::parse("FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9;BYMINUTE=0", wall("2020-01-06 09:00"), "Europe/Paris").unwrap();
        let next = r.next_after(utc("2026-11-23T08:00:00Z")).unwrap(); // a Monday, 09:00 Paris = 08:00Z
        assert_eq!(next.to_rfc3339(), "2026-11-25T08:00:00+00:00", "strictly after: the Wednesday");
        assert_eq!(r.next_after(utc("2026-11-23T07:59:59Z")).unwrap().to_rfc3339(), "2026-11-23T08:00:00+00:00");
    }

    #[test]
    fn unsupported_parts_and_bad_zones_name_the_field() {
        let start = wall("2026-01-01 09:00");
        assert_eq!(Recurrence::parse("FREQ=YEARLY", start, "UTC").unwrap_err().field, "rrule");
        assert_eq!(Recurrence::parse("FREQ=DAILY;BYSETPOS=1", start, "UTC").unwrap_err().field, "rrule");
        assert_eq!(Recurrence::parse("BYDAY=MO", start, "UTC").unwrap_err().message, "FREQ is required");
        assert_eq!(Recurrence::parse("FREQ=DAILY", start, "+02:00").unwrap_err().field, "time_zone");
        assert!(Recurrence::parse("FREQ=DAILY;COUNT=2;UNTIL=20260105", start, "UTC").is_err());
    }
}
