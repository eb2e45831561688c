use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// Parses an IANA zone name (`Europe/Berlin`); fixed offsets like `+02:00` are refused because
/// they drift across DST.
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// The instant of wall-clock time `local` in `tz`.
///
/// - exists once: that instant;
/// - exists twice (fall-back): the first one, so nothing fires twice;
/// - does not exist (spring-forward gap): read with the UTC offset in force just before the gap
///   (RFC 5545 §3.3.5), i.e. moved forward by the gap's length: 02:30 → 03:30.
pub fn resolve_local(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Find the offset before the gap by looking back until the wall clock exists.
            let offset = (1..=48)
                .map(|quarter| local - chrono::Duration::minutes(15 * quarter))
                .find_map(|earlier| match tz.from_local_datetime(&earlier) {
                    LocalResult::Single(t) => Some(t.offset().fix()),
                    LocalResult::Ambiguous(_, later) => Some(later.offset().fix()),
                    LocalResult::None => None,
                })
                // No zone has a gap longer than 12 hours; keep a total function regardless.
                .unwrap_or_else(|| chrono::FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!()));
            (local - offset).and_utc()
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap()
    }

    #[test]
    fn gap_time_moves_forward_by_the_gap() {
        // Berlin springs forward 2026-03-29 02:00 → 03:00.
        let t = resolve_local(chrono_tz::Europe::Berlin, at(2026, 3, 29, 2, 30));
        assert_eq!(t.to_rfc3339(), "2026-03-29T01:30:00+00:00", "= 03:30 CEST");
    }

    #[test]
    fn ambiguous_time_takes_the_first_instant() {
        // Berlin falls back 2026-10-25 03:00 → 02:00; 02:30 happens twice.
        let t = resolve_local(chrono_tz::Europe::Berlin, at(2026, 10, 25, 2, 30));
        assert_eq!(t.to_rfc3339(), "2026-10-25T00:30:00+00:00", "02:30 CEST, not CET");
    }

    #[test]
    fn fixed_offsets_are_not_zones() {
        assert!(parse_zone("+02:00").is_none());
        assert!(parse_zone("Mars/Olympus").is_none());
        assert_eq!(parse_zone("America/New_York"), Some(chrono_tz::America::New_York));
    }
}
