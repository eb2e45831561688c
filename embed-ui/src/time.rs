//! Instants as epoch milliseconds and wall clocks in IANA zones, through the browser's `Intl`
//! (no time-zone database in the bundle). Offsets are cached per zone and UTC hour, so placing
//! thousands of posts costs a few hundred `Intl` calls at most.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Date, Intl, Object, Reflect};
use wasm_bindgen::JsValue;

/// Milliseconds per day.
pub const DAY_MS: f64 = 86_400_000.0;
/// Milliseconds per hour.
pub const HOUR_MS: f64 = 3_600_000.0;

/// Short weekday names, Monday first (also the API's slot day names).
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
/// Month names.
pub const MONTHS: [&str; 12] =
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

thread_local! {
    static FORMATTERS: RefCell<HashMap<String, Intl::DateTimeFormat>> = RefCell::new(HashMap::new());
    static OFFSETS: RefCell<HashMap<(String, i64), i64>> = RefCell::new(HashMap::new());
}

/// Now, in epoch ms.
pub fn now() -> f64 {
    Date::now()
}

/// Parses RFC 3339; `None` when unreadable.
pub fn parse(s: &str) -> Option<f64> {
    let v = Date::parse(s);
    (!v.is_nan()).then_some(v)
}

/// RFC 3339 in UTC (`2026-11-23T09:30:00.000Z`).
pub fn iso(ms: f64) -> String {
    String::from(Date::new(&JsValue::from_f64(ms)).to_iso_string())
}

/// The browser's zone.
pub fn browser_zone() -> String {
    let f = Intl::DateTimeFormat::new(&Array::new(), &Object::new());
    Reflect::get(&f.resolved_options(), &"timeZone".into()).ok().and_then(|v| v.as_string()).unwrap_or_else(|| "UTC".into())
}

/// Every IANA zone the browser knows (`Intl.supportedValuesOf("timeZone")`), or `None` where
/// that function is missing (Chrome < 99, Firefox < 93, Safari < 15.4). Looked up through
/// `Reflect` rather than js-sys' binding, which would throw into the wasm when it is missing.
pub fn supported_zones() -> Option<Vec<String>> {
    use wasm_bindgen::JsCast;
    let intl = Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
    let f: js_sys::Function = Reflect::get(&intl, &"supportedValuesOf".into()).ok()?.dyn_into().ok()?;
    let list: Array = f.call1(&intl, &"timeZone".into()).ok()?.dyn_into().ok()?;
    let zones: Vec<String> = list.iter().filter_map(|v| v.as_string()).collect();
    (!zones.is_empty()).then_some(zones)
}

/// Whether the browser knows the zone.
pub fn valid_zone(zone: &str) -> bool {
    let opts = Object::new();
    let _ = Reflect::set(&opts, &"timeZone".into(), &zone.into());
    // An unknown zone throws a RangeError; js-sys surfaces it as a failed construction.
    let ctor = Reflect::get(&js_sys::global(), &"Intl".into()).and_then(|i| Reflect::get(&i, &"DateTimeFormat".into()));
    match ctor {
        Ok(c) => {
            let args = Array::of2(&JsValue::from_str("en-US"), &opts);
            Reflect::construct(&c.into(), &args).is_ok()
        }
        Err(_) => false,
    }
}

fn formatter(zone: &str) -> Intl::DateTimeFormat {
    FORMATTERS.with(|f| {
        f.borrow_mut()
            .entry(zone.to_owned())
            .or_insert_with(|| {
                let opts = Object::new();
                for (k, v) in [
                    ("timeZone", zone),
                    ("hourCycle", "h23"),
                    ("year", "numeric"),
                    ("month", "numeric"),
                    ("day", "numeric"),
                    ("hour", "numeric"),
                    ("minute", "numeric"),
                    ("second", "numeric"),
                ] {
                    let _ = Reflect::set(&opts, &k.into(), &v.into());
                }
                Intl::DateTimeFormat::new(&Array::of1(&"en-US".into()), &opts)
            })
            .clone()
    })
}

/// The zone's offset from UTC at `ms`, in minutes (east positive).
pub fn offset_minutes(zone: &str, ms: f64) -> i64 {
    let hour = (ms / HOUR_MS).floor() as i64;
    if let Some(o) = OFFSETS.with(|c| c.borrow().get(&(zone.to_owned(), hour)).copied()) {
        return o;
    }
    let parts = formatter(zone).format_to_parts(&Date::new(&JsValue::from_f64(hour as f64 * HOUR_MS)));
    let mut v = [0i64; 6];
    for p in parts.iter() {
        let kind = Reflect::get(&p, &"type".into()).ok().and_then(|t| t.as_string()).unwrap_or_default();
        let value: i64 = Reflect::get(&p, &"value".into()).ok().and_then(|t| t.as_string()).and_then(|s| s.parse().ok()).unwrap_or(0);
        let i = match kind.as_str() {
            "year" => 0,
            "month" => 1,
            "day" => 2,
            "hour" => 3,
            "minute" => 4,
            "second" => 5,
            _ => continue,
        };
        v[i] = value;
    }
    let local = days_from_civil(v[0], v[1] as u32, v[2] as u32) as f64 * DAY_MS + (v[3] * 3600 + v[4] * 60 + v[5]) as f64 * 1000.0;
    let offset = ((local - hour as f64 * HOUR_MS) / 60_000.0).round() as i64;
    OFFSETS.with(|c| c.borrow_mut().insert((zone.to_owned(), hour), offset));
    offset
}

/// A wall-clock reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wall {
    /// Days since 1970-01-01 on the wall calendar.
    pub day: i64,
    /// Minutes since midnight.
    pub minute: i64,
}

/// The wall clock in `zone` at `ms`.
pub fn wall(zone: &str, ms: f64) -> Wall {
    let local = ms + offset_minutes(zone, ms) as f64 * 60_000.0;
    let day = (local / DAY_MS).floor() as i64;
    let minute = ((local - day as f64 * DAY_MS) / 60_000.0).floor() as i64;
    Wall { day, minute }
}

/// The instant of a wall-clock reading in `zone` (the earlier one in a fold; a gap moves forward).
pub fn instant(zone: &str, day: i64, minute: i64) -> f64 {
    let local = day as f64 * DAY_MS + minute as f64 * 60_000.0;
    let mut guess = local - offset_minutes(zone, local) as f64 * 60_000.0;
    guess = local - offset_minutes(zone, guess) as f64 * 60_000.0;
    guess
}

/// Days since the epoch of a civil date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day number.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Monday = 0 … Sunday = 6.
pub fn weekday(day: i64) -> usize {
    (day + 3).rem_euclid(7) as usize
}

/// `2026-11-23`.
pub fn day_key(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses `2026-11-23`.
pub fn parse_day(s: &str) -> Option<i64> {
    let mut it = s.split('-');
    let y = it.next()?.parse().ok()?;
    let m = it.next()?.parse().ok()?;
    let d = it.next()?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| days_from_civil(y, m, d))
}

/// `09:30`.
pub fn hhmm(minute: i64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Parses `09:30`.
pub fn parse_hhmm(s: &str) -> Option<i64> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.get(..2).unwrap_or(m).parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

/// `Mon 23 Nov`.
pub fn short_day(day: i64) -> String {
    let (_, m, d) = civil_from_days(day);
    format!("{} {d} {}", WEEKDAYS[weekday(day)], &MONTHS[(m - 1) as usize][..3])
}

/// `Mon 23 Nov 2026, 09:30` in `zone`.
pub fn describe(zone: &str, ms: f64) -> String {
    let w = wall(zone, ms);
    let (y, _, _) = civil_from_days(w.day);
    format!("{} {y}, {}", short_day(w.day), hhmm(w.minute))
}

/// How long ago (or from now) `ms` is, in words: "just now", "12 min ago", "in 5 h", "3 days ago".
pub fn relative(ms: f64) -> String {
    let diff = now() - ms;
    let mins = (diff.abs() / 60_000.0).round() as i64;
    let span = if mins < 1 {
        return if diff >= 0.0 { "just now".into() } else { "in under a minute".into() };
    } else if mins < 60 {
        format!("{mins} min")
    } else if mins < 48 * 60 {
        format!("{} h", (mins as f64 / 60.0).round() as i64)
    } else {
        format!("{} days", (mins as f64 / 1440.0).round() as i64)
    };
    if diff >= 0.0 { format!("{span} ago") } else { format!("in {span}") }
}

/// `3 Nov` for an API day (`2026-11-03`); the input when unreadable.
pub fn day_label(key: &str) -> String {
    parse_day(key)
        .map(|d| {
            let (_, m, dd) = civil_from_days(d);
            format!("{dd} {}", &MONTHS[(m - 1) as usize][..3])
        })
        .unwrap_or_else(|| key.to_owned())
}

/// The first day of the month containing `day`.
pub fn month_start(day: i64) -> i64 {
    let (y, m, _) = civil_from_days(day);
    days_from_civil(y, m, 1)
}

/// The same day-of-month `n` months later (clamped to the month's end).
pub fn add_months(day: i64, n: i64) -> i64 {
    let (y, m, d) = civil_from_days(day);
    let total = y * 12 + i64::from(m) - 1 + n;
    let (ny, nm) = (total.div_euclid(12), (total.rem_euclid(12) + 1) as u32);
    let mut dd = d;
    while dd > 28 && civil_from_days(days_from_civil(ny, nm, dd)).1 != nm {
        dd -= 1;
    }
    days_from_civil(ny, nm, dd)
}

/// `datetime-local` input value for `ms` in `zone` (`2026-11-23T09:30`).
pub fn to_input(zone: &str, ms: f64) -> String {
    let w = wall(zone, ms);
    format!("{}T{}", day_key(w.day), hhmm(w.minute))
}

/// The instant of a `datetime-local` value read in `zone`.
pub fn from_input(zone: &str, value: &str) -> Option<f64> {
    let (d, t) = value.split_once('T')?;
    Some(instant(zone, parse_day(d)?, parse_hhmm(t)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for d in [-1000, 0, 19_000, 20_780, 60_000] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
        assert_eq!(weekday(days_from_civil(2026, 11, 23)), 0);
    }

    #[test]
    fn month_arithmetic_clamps() {
        let jan31 = days_from_civil(2026, 1, 31);
        assert_eq!(civil_from_days(add_months(jan31, 1)), (2026, 2, 28));
    }
}
