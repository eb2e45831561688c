use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use rrule::RRuleSet;

use crate::zone::{parse_zone, resolve_local};

/// A recurring schedule: a rule, a first wall-clock time and an IANA zone.
///
/// Asking for occurrences far from the first run costs the same as near it: without COUNT the
/// rule is re-anchored at a whole number of periods before the window (see [`Self::seek`]);
/// with COUNT it is walked from the start, which COUNT (at most [`MAX_COUNT`]) bounds.
#[derive(Debug, Clone)]
pub struct Recurrence {
    /// The rule expanded in floating time (wall clock carried as UTC), without UNTIL.
    floating: RRuleSet,
    tz: Tz,
    until: Option<DateTime<Utc>>,
    /// The first wall-clock time (DTSTART).
    start: NaiveDateTime,
    freq: Freq,
    interval: u32,
    /// The parts kept for the rule (no UNTIL), uppercase keys.
    parts: Vec<(String, String)>,
    has_count: bool,
}

/// The frequencies a schedule may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freq {
    Daily,
    Weekly,
    Monthly,
}

/// The largest COUNT a rule may have: a rule with COUNT is walked from its start.
pub const MAX_COUNT: u32 = 5000;

/// The largest INTERVAL a rule may have.
pub const MAX_INTERVAL: u32 = 999;

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
        let mut kept: Vec<(String, String)> = Vec::new();
        let mut until = None;
        let mut freq = None;
        let mut interval = 1;
        let mut has_count = false;
        for part in body.split(';').filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| err("rrule", format!("{part:?} is not KEY=VALUE")))?;
            let key = key.trim().to_ascii_uppercase();
            let value = value.trim();
            if !ALLOWED.contains(&key.as_str()) {
                return Err(err("rrule", format!("{key} is not supported; use {}", ALLOWED.join(", "))));
            }
            match key.as_str() {
                "FREQ" => {
                    freq = Some(match value.to_ascii_uppercase().as_str() {
                        "DAILY" => Freq::Daily,
                        "WEEKLY" => Freq::Weekly,
                        "MONTHLY" => Freq::Monthly,
                        _ => return Err(err("rrule", "FREQ must be DAILY, WEEKLY or MONTHLY")),
                    });
                }
                "INTERVAL" => {
                    interval = value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_INTERVAL).contains(n))
                        .ok_or_else(|| err("rrule", format!("INTERVAL must be a whole number from 1 to {MAX_INTERVAL}")))?;
                }
                "COUNT" => {
                    value
                        .parse::<u32>()
                        .ok()
                        .filter(|n| (1..=MAX_COUNT).contains(n))
                        .ok_or_else(|| err("rrule", format!("COUNT must be a whole number from 1 to {MAX_COUNT}")))?;
                    has_count = true;
                }
                // UNTIL is an instant (UTC); applied after mapping to the zone, not to the wall clock.
                "UNTIL" => {
                    until = Some(parse_until(value, tz)?);
                    continue;
                }
                _ => {}
            }
            kept.push((key, value.to_owned()));
        }
        let freq = freq.ok_or_else(|| err("rrule", "FREQ is required"))?;
        if has_count && until.is_some() {
            return Err(err("rrule", "use COUNT or UNTIL, not both"));
        }
        let floating = rule_set(start, &kept)?;
        Ok(Self { floating, tz, until, start, freq, interval, parts: kept, has_count })
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

    /// Instants in order from `from` on.
    fn instants_from(&self, from: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        let set = self.seek(from).unwrap_or_else(|| self.floating.clone());
        self.resolved(set, from)
    }

    /// The floating rule mapped to the zone, from `from` on, until UNTIL.
    fn resolved(&self, set: RRuleSet, from: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> + use<> {
        let until = self.until;
        let tz = self.tz;
        set.into_iter()
            .map(move |w| resolve_local(tz, w.naive_utc()))
            .skip_while(move |t| *t < from)
            .take_while(move |t| until.is_none_or(|u| *t <= u))
    }

    /// The same rule re-anchored shortly before `from`, so expanding it does not walk every
    /// occurrence since the first run (a rule firing 288 times a day, asked about a window
    /// decades later, would otherwise walk millions). The new DTSTART lies a whole number of
    /// periods (INTERVAL days, weeks or months) after the old one, so every occurrence keeps its
    /// phase; the parts RFC 5545 takes from DTSTART when the rule omits them (time of day, the
    /// weekday of a weekly rule, the day of a monthly one) are written out, so moving DTSTART
    /// changes none of them. It lies at least two days of wall clock before `from`, more than
    /// any zone offset, so whether DTSTART itself counts as an occurrence does not matter: it
    /// is before the window. None when there is nothing to skip, or when COUNT needs the walk
    /// from the start (COUNT is bounded instead).
    fn seek(&self, from: DateTime<Utc>) -> Option<RRuleSet> {
        if self.has_count {
            return None;
        }
        let target = from.with_timezone(&self.tz).naive_local() - Duration::days(2);
        if target <= self.start {
            return None;
        }
        let interval = i64::from(self.interval);
        let anchor = match self.freq {
            Freq::Daily | Freq::Weekly => {
                let period = if self.freq == Freq::Daily { interval } else { 7 * interval };
                let days = (target.date() - self.start.date()).num_days();
                self.start + Duration::days(days / period * period)
            }
            Freq::Monthly => {
                let months = i64::from(target.year() - self.start.year()) * 12 + i64::from(target.month()) - i64::from(self.start.month());
                let skip = u32::try_from(months / interval * interval).ok()?;
                // The first of the month always exists; the day is written out below.
                let first = self.start.date().with_day(1)?.checked_add_months(Months::new(skip))?;
                first.and_time(self.start.time())
            }
        };
        if anchor <= self.start {
            return None;
        }
        let mut parts = self.parts.clone();
        let has = |parts: &[(String, String)], key: &str| parts.iter().any(|(k, _)| k == key);
        for (key, value) in [("BYHOUR", self.start.hour()), ("BYMINUTE", self.start.minute()), ("BYSECOND", self.start.second())] {
            if !has(&parts, key) {
                parts.push((key.to_owned(), value.to_string()));
            }
        }
        match self.freq {
            Freq::Weekly if !has(&parts, "BYDAY") => {
                parts.push(("BYDAY".into(), weekday_code(self.start.weekday()).into()));
            }
            Freq::Monthly if !has(&parts, "BYDAY") && !has(&parts, "BYMONTHDAY") => {
                parts.push(("BYMONTHDAY".into(), self.start.day().to_string()));
            }
            _ => {}
        }
        rule_set(anchor, &parts).ok()
    }
}

/// The rule as the rrule crate reads it, in floating time (wall clock carried as UTC).
fn rule_set(start: NaiveDateTime, parts: &[(String, String)]) -> Result<RRuleSet, RecurrenceError> {
    let rule = parts.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";");
    let text = format!("DTSTART:{}Z\nRRULE:{rule}", start.format("%Y%m%dT%H%M%S"));
    text.parse().map_err(|e: rrule::RRuleError| err("rrule", e.to_string()))
}

fn weekday_code(day: chrono::Weekday) -> &'static str {
    match day {
        chrono::Weekday::Mon => "MO",
        chrono::Weekday::Tue => "TU",
        chrono::Weekday::Wed => "WE",
        chrono::Weekday::Thu => "TH",
        chrono::Weekday::Fri => "FR",
        chrono::Weekday::Sat => "SA",
        chrono::Weekday::Sun => "SU",
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
        assert_eq!(
            local_strings(&r, &spring),
            ["2026-03-27 09:00 CET", "2026-03-28 09:00 CET", "2026-03-29 09:00 CEST", "2026-03-30 09:00 CEST"]
        );
        assert_eq!(spring[2].to_rfc3339(), "2026-03-29T07:00:00+00:00", "the UTC instant moved by an hour");
        let autumn = r.between(utc("2026-10-24T00:00:00Z"), utc("2026-10-27T00:00:00Z"), 10);
        assert_eq!(local_strings(&r, &autumn), ["2026-10-24 09:00 CEST", "2026-10-25 09:00 CET", "2026-10-26 09:00 CET"]);
    }

    #[test]
    fn new_york_weekly_rule_follows_its_own_dst_dates() {
        // The US changes on 2026-03-08, three weeks before Europe.
        let r = Recurrence::parse("FREQ=WEEKLY;BYDAY=SU;BYHOUR=8;BYMINUTE=15", wall("2026-03-01 08:15"), "America/New_York").unwrap();
        let got = r.between(utc("2026-03-01T00:00:00Z"), utc("2026-03-16T00:00:00Z"), 10);
        assert_eq!(
            got.iter().map(|t| t.to_rfc3339()).collect::<Vec<_>>(),
            ["2026-03-01T13:15:00+00:00", "2026-03-08T12:15:00+00:00", "2026-03-15T12:15:00+00:00"]
        );
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
        assert_eq!(
            got.iter().map(|t| t.to_rfc3339()).collect::<Vec<_>>(),
            ["2026-01-31T12:00:00+00:00", "2026-03-31T12:00:00+00:00", "2026-05-31T12:00:00+00:00"]
        );
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

    #[test]
    fn count_and_interval_are_bounded() {
        let start = wall("2026-01-01 09:00");
        assert!(Recurrence::parse("FREQ=DAILY;COUNT=5000", start, "UTC").is_ok());
        assert_eq!(
            Recurrence::parse("FREQ=DAILY;COUNT=5001", start, "UTC").unwrap_err().message,
            "COUNT must be a whole number from 1 to 5000"
        );
        assert_eq!(Recurrence::parse("FREQ=DAILY;INTERVAL=0", start, "UTC").unwrap_err().field, "rrule");
        assert_eq!(Recurrence::parse("FREQ=DAILY;INTERVAL=1000", start, "UTC").unwrap_err().field, "rrule");
    }

    #[test]
    fn a_window_decades_after_the_start_is_found_without_walking_there() {
        // 288 occurrences a day since 2026; the window is in 2091 (the review's case).
        let minutes = (0..60).step_by(5).map(|m| m.to_string()).collect::<Vec<_>>().join(",");
        let hours = (0..24).map(|h| h.to_string()).collect::<Vec<_>>().join(",");
        let rule = format!("FREQ=DAILY;BYHOUR={hours};BYMINUTE={minutes}");
        let r = Recurrence::parse(&rule, wall("2026-01-01 00:00"), "Europe/Paris").unwrap();
        assert!(r.seek(utc("2091-06-01T00:00:00Z")).is_some(), "the rule is re-anchored near the window");
        let got = r.between(utc("2091-06-01T00:00:00Z"), utc("2091-06-02T00:00:00Z"), 1000);
        assert_eq!(got.len(), 288);
        assert_eq!(got[0].to_rfc3339(), "2091-06-01T00:00:00+00:00");
        assert_eq!(r.next_after(utc("2091-06-01T00:02:00Z")).unwrap().to_rfc3339(), "2091-06-01T00:05:00+00:00");
    }

    use proptest::prelude::*;

    const ZONES: [&str; 6] = ["UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland", "Asia/Kathmandu", "Australia/Lord_Howe"];
    const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

    prop_compose! {
        fn rule()(freq in 0..3usize, interval in 1..4u32,
                  days in proptest::sample::subsequence(DAYS.to_vec(), 0..3),
                  month_days in proptest::sample::subsequence(vec![1, 15, 28, 29, 30, 31], 0..3),
                  hours in proptest::sample::subsequence(vec![0, 2, 9, 23], 0..3),
                  minutes in proptest::sample::subsequence(vec![0, 30, 45], 0..2)) -> String {
            let mut parts = vec![format!("FREQ={}", ["DAILY", "WEEKLY", "MONTHLY"][freq])];
            if interval > 1 { parts.push(format!("INTERVAL={interval}")); }
            if !days.is_empty() && freq != 2 { parts.push(format!("BYDAY={}", days.join(","))); }
            if !month_days.is_empty() && freq == 2 {
                parts.push(format!("BYMONTHDAY={}", month_days.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")));
            }
            if !hours.is_empty() { parts.push(format!("BYHOUR={}", hours.iter().map(ToString::to_string).collect::<Vec<_>>().join(","))); }
            if !minutes.is_empty() { parts.push(format!("BYMINUTE={}", minutes.iter().map(ToString::to_string).collect::<Vec<_>>().join(","))); }
            parts.join(";")
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        /// Seeking gives exactly what walking from the first run gives.
        #[test]
        fn seeking_equals_walking_from_the_start(
            rule in rule(),
            zone in proptest::sample::select(ZONES.to_vec()),
            start_day in 0..3650i64, start_minute in 0..1440i64,
            offset_days in 0..4000i64, offset_minutes in 0..1440i64,
        ) {
            let start = wall("2015-01-01 00:00") + Duration::days(start_day) + Duration::minutes(start_minute);
            let r = Recurrence::parse(&rule, start, zone).unwrap();
            let from = start.and_utc() + Duration::days(offset_days) + Duration::minutes(offset_minutes);
            let to = from + Duration::days(40);
            let seeked = r.between(from, to, 2000);
            let walked: Vec<_> = r.resolved(r.floating.clone(), from).take_while(|t| *t < to).take(2000).collect();
            prop_assert_eq!(&seeked, &walked, "rule {} from {} in {}", rule, start, zone);
            let next = r.next_after(from);
            let walked_next = r.resolved(r.floating.clone(), from).find(|t| *t > from);
            prop_assert_eq!(next, walked_next);
        }
    }
}
