use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::zone::resolve_local;

/// A weekly posting time of an account, on its wall clock (e.g. Monday 09:30).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// Day of the week.
    pub day: Weekday,
    /// Wall-clock time, `HH:MM`.
    #[serde(with = "hhmm")]
    pub time: NaiveTime,
}

/// The first slot strictly after `after` whose instant is not in `taken`, looking `horizon_days`
/// ahead. `None` when there are no slots or all are taken in that horizon.
pub fn next_free_slot(slots: &[Slot], tz: Tz, after: DateTime<Utc>, taken: &[DateTime<Utc>], horizon_days: u32) -> Option<DateTime<Utc>> {
    let mut ordered: Vec<Slot> = slots.to_vec();
    ordered.sort_by_key(|s| s.time);
    let first_day = after.with_timezone(&tz).date_naive();
    (0..=i64::from(horizon_days))
        .map(|offset| first_day + Duration::days(offset))
        .flat_map(|day| {
            ordered.iter().filter(move |s| s.day == day.weekday()).map(move |s| resolve_local(tz, day.and_time(s.time))).collect::<Vec<_>>()
        })
        .find(|t| *t > after && !taken.contains(t))
}

mod hhmm {
    use chrono::NaiveTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&t.format("%H:%M").to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
        let text = String::deserialize(d)?;
        NaiveTime::parse_from_str(&text, "%H:%M").map_err(|_| serde::de::Error::custom(format!("{text:?} is not a time like 09:30")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(day: Weekday, hm: &str) -> Slot {
        Slot { day, time: NaiveTime::parse_from_str(hm, "%H:%M").unwrap() }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn finds_the_next_untaken_slot_in_the_accounts_zone() {
        let slots = [slot(Weekday::Mon, "09:00"), slot(Weekday::Mon, "17:30"), slot(Weekday::Wed, "12:00")];
        let berlin = chrono_tz::Europe::Berlin;
        // Monday 2026-11-23 10:00 Berlin: the morning slot has passed.
        let after = utc("2026-11-23T09:00:00Z");
        assert_eq!(next_free_slot(&slots, berlin, after, &[], 14).unwrap().to_rfc3339(), "2026-11-23T16:30:00+00:00");
        let taken = [utc("2026-11-23T16:30:00Z")];
        assert_eq!(next_free_slot(&slots, berlin, after, &taken, 14).unwrap().to_rfc3339(), "2026-11-25T11:00:00+00:00");
    }

    #[test]
    fn no_slots_or_all_taken_gives_none() {
        assert_eq!(next_free_slot(&[], chrono_tz::UTC, utc("2026-01-01T00:00:00Z"), &[], 30), None);
        let slots = [slot(Weekday::Thu, "08:00")];
        let taken = [utc("2026-01-01T08:00:00Z")];
        assert_eq!(next_free_slot(&slots, chrono_tz::UTC, utc("2026-01-01T00:00:00Z"), &taken, 6), None);
    }

    #[test]
    fn slots_serialize_as_day_and_hh_mm() {
        let json = serde_json::to_string(&slot(Weekday::Fri, "07:05")).unwrap();
        assert_eq!(json, r#"{"day":"Fri","time":"07:05"}"#);
        let err = serde_json::from_str::<Slot>(r#"{"day":"Fri","time":"7 am"}"#).unwrap_err();
        assert!(err.to_string().contains("09:30"));
    }
}
