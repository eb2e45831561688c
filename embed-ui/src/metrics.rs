//! The analytics vocabulary as the UI shows it: names, which metrics belong to posts, and
//! numbers written for people (`12,345`, `12.3k`, `▲ 12.5%`). A metric missing from a values
//! map is one the network does not report, shown as "—", never as 0.

use crate::api::Values;

/// The API's vocabulary, in its display order.
pub const ALL: [&str; 13] = [
    "impressions",
    "reach",
    "views",
    "likes",
    "comments",
    "shares",
    "quotes",
    "saves",
    "clicks",
    "profile_views",
    "followers",
    "following",
    "posts",
];

/// Metrics a post has (what top posts can be ranked by and post pages show).
pub const POST: [&str; 9] = ["impressions", "reach", "views", "likes", "comments", "shares", "quotes", "saves", "clicks"];

/// What a metric is called.
pub fn label(metric: &str) -> &str {
    match metric {
        "impressions" => "Impressions",
        "reach" => "Reach",
        "views" => "Views",
        "likes" => "Likes",
        "comments" => "Comments",
        "shares" => "Shares",
        "quotes" => "Quotes",
        "saves" => "Saves",
        "clicks" => "Clicks",
        "profile_views" => "Profile views",
        "followers" => "Followers",
        "following" => "Following",
        "posts" => "Posts",
        other => other,
    }
}

/// Lower-case, for running text ("42 likes").
pub fn noun(metric: &str) -> String {
    label(metric).to_lowercase()
}

/// `12,345` (`-12` for a loss).
pub fn full(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("−{out}") } else { out }
}

/// `950`, `12.3k`, `4.5M`: for axes and tight cells.
pub fn compact(n: f64) -> String {
    let a = n.abs();
    let sign = if n < 0.0 { "−" } else { "" };
    let (v, unit) = if a >= 1e6 {
        (a / 1e6, "M")
    } else if a >= 1e4 {
        (a / 1e3, "k")
    } else {
        return format!("{sign}{}", full(a.round() as i64));
    };
    let text = if v >= 100.0 { format!("{v:.0}") } else { format!("{v:.1}") };
    format!("{sign}{}{unit}", text.trim_end_matches(".0"))
}

/// A value or "—" when the network does not report it.
pub fn cell(values: &Values, metric: &str) -> String {
    values.get(metric).map_or_else(|| "—".to_owned(), |v| full(*v))
}

/// The change against the previous range: the arrow and text shown, its words for screen
/// readers, and whether it went up (`None`: no change or nothing to compare with).
pub fn change(pct: Option<f64>, value: i64, previous: i64) -> (String, String, Option<bool>) {
    match pct {
        None if value == 0 && previous == 0 => ("no change".into(), "nothing gained in this period or the one before".into(), None),
        None => ("no earlier numbers".into(), "nothing to compare with in the previous period".into(), None),
        Some(p) if p.abs() < 0.05 => ("= 0%".into(), "unchanged from the previous period".into(), None),
        Some(p) => {
            let shown = format!("{:.1}", p.abs());
            let shown = shown.trim_end_matches(".0");
            if p > 0.0 {
                (format!("▲ {shown}%"), format!("up {shown}% on the previous period"), Some(true))
            } else {
                (format!("▼ {shown}%"), format!("down {shown}% on the previous period"), Some(false))
            }
        }
    }
}

/// The metrics of `ALL` present in any of `maps`, in vocabulary order.
pub fn present<'a>(maps: impl IntoIterator<Item = &'a Values>) -> Vec<&'static str> {
    let mut seen = [false; ALL.len()];
    for m in maps {
        for (i, k) in ALL.iter().enumerate() {
            seen[i] |= m.contains_key(*k);
        }
    }
    ALL.iter().zip(seen).filter(|(_, s)| *s).map(|(k, _)| *k).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_numbers() {
        assert_eq!(full(0), "0");
        assert_eq!(full(1234567), "1,234,567");
        assert_eq!(full(-1200), "−1,200");
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(12_340.0), "12.3k");
        assert_eq!(compact(2_000_000.0), "2M");
    }
}
