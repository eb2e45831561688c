//! Counting text length the way each network does.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

/// How a network measures text length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// User-perceived characters (Unicode extended grapheme clusters): Bluesky.
    Graphemes,
    /// Unicode scalar values.
    CodePoints,
    /// UTF-16 code units (JavaScript `String.length`): Meta's limits.
    Utf16,
    /// X's weighted length (twitter-text config v3): NFC-normalized; code points in
    /// U+0000–U+10FF, U+2000–U+200D, U+2010–U+201F, U+2032–U+2037 weigh 1, everything else
    /// 2; an emoji (including ZWJ sequences) weighs 2; each URL weighs 23.
    XWeighted,
    /// Mastodon: graphemes, each `http(s)://` URL counts as 23 and a remote mention
    /// `@user@domain` counts as `@user`.
    Mastodon,
    /// Threads: graphemes, except that an emoji counts as its number of UTF-8 bytes
    /// (Threads posts guide: "Emojis are counted as the number of UTF-8 bytes").
    Threads,
}

impl Counting {
    /// A short explanation for messages, e.g. "(weighted)".
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Counting::Graphemes | Counting::CodePoints | Counting::Utf16 => "",
            Counting::XWeighted => " (weighted: links count as 23, emoji and CJK as 2)",
            Counting::Mastodon => " (links count as 23)",
            Counting::Threads => " (an emoji counts as its UTF-8 bytes, up to 4 or more)",
        }
    }
}

/// The length of `text` as the network counts it.
pub fn count(text: &str, counting: Counting) -> usize {
    match counting {
        Counting::Graphemes => text.graphemes(true).count(),
        Counting::CodePoints => text.chars().count(),
        Counting::Utf16 => text.encode_utf16().count(),
        Counting::XWeighted => x_weighted_length(text),
        Counting::Mastodon => mastodon_length(text),
        Counting::Threads => threads_length(text),
    }
}

/// Threads' count: one per grapheme, but an emoji grapheme counts its UTF-8 bytes.
pub fn threads_length(text: &str) -> usize {
    text.graphemes(true).map(|g| if is_emoji(g) { g.len() } else { 1 }).sum()
}

/// Length of a URL after X's t.co wrapping and Mastodon's counting.
pub const URL_WEIGHT: usize = 23;

/// X weighted length per twitter-text config v3 (`scale` 100, `defaultWeight` 200,
/// `transformedURLLength` 23, emoji parsing on).
pub fn x_weighted_length(text: &str) -> usize {
    let text: String = text.nfc().collect();
    let mut total = 0;
    for segment in split_urls(&text, UrlStyle::X) {
        match segment {
            Segment::Url(_) => total += URL_WEIGHT,
            Segment::Text(t) => {
                for g in t.graphemes(true) {
                    total += if is_emoji(g) { 2 } else { g.chars().map(x_char_weight).sum() };
                }
            }
        }
    }
    total
}

fn x_char_weight(c: char) -> usize {
    match u32::from(c) {
        0..=0x10FF | 0x2000..=0x200D | 0x2010..=0x201F | 0x2032..=0x2037 => 1,
        _ => 2,
    }
}

/// Mastodon's `StatusLengthValidator`: grapheme clusters, URLs as 23, remote mentions
/// counted without their domain.
pub fn mastodon_length(text: &str) -> usize {
    let mut total = 0;
    for segment in split_urls(text, UrlStyle::SchemeOnly) {
        match segment {
            Segment::Url(_) => total += URL_WEIGHT,
            Segment::Text(t) => total += strip_mention_domains(t).graphemes(true).count(),
        }
    }
    total
}

/// `@user@example.social` → `@user` (only the local part counts on Mastodon).
fn strip_mention_domains(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('@') {
        let before_ok = rest[..pos].chars().last().is_none_or(|c| !c.is_alphanumeric());
        out.push_str(&rest[..=pos]);
        rest = &rest[pos + 1..];
        if !before_ok {
            continue;
        }
        let user_len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
        out.push_str(&rest[..user_len]);
        rest = &rest[user_len..];
        if user_len > 0 && rest.starts_with('@') {
            let domain_len = rest[1..].find(|c: char| !(c.is_alphanumeric() || c == '.' || c == '-')).map_or(rest.len(), |n| n + 1);
            let domain = rest[1..domain_len].trim_end_matches('.');
            if domain.contains('.') {
                rest = &rest[1 + domain.len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// True for a grapheme twitter-text treats as an emoji (weight 2 as a whole).
fn is_emoji(grapheme: &str) -> bool {
    grapheme.chars().any(|c| {
        matches!(u32::from(c),
            0x1F000..=0x1FAFF   // pictographs, emoticons, transport, flags, symbols
            | 0x2600..=0x27BF   // misc symbols, dingbats
            | 0x2B00..=0x2BFF   // arrows, stars
            | 0x2300..=0x23FF   // technical (⌚ ⏰)
            | 0xFE0F            // emoji presentation selector
            | 0x20E3) // keycap
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlStyle {
    /// `http://` and `https://` only.
    SchemeOnly,
    /// Also `www.` and bare domains with a common TLD (twitter-text links `example.com`).
    X,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Segment<'a> {
    Text(&'a str),
    Url(&'a str),
}

/// Splits text into URL and non-URL segments. URLs end at whitespace; trailing punctuation
/// (`.,;:!?'"`) and an unbalanced `)` are left out, as link extractors do.
pub(crate) fn split_urls(text: &str, style: UrlStyle) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut last = 0;
    let mut i = 0;
    while i < text.len() {
        let at_boundary = i == 0 || text[..i].chars().last().is_some_and(|c| c.is_whitespace() || c == '(');
        if at_boundary && let Some(len) = url_at(&text[i..], style) {
            if last < i {
                out.push(Segment::Text(&text[last..i]));
            }
            out.push(Segment::Url(&text[i..i + len]));
            i += len;
            last = i;
            continue;
        }
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    if last < text.len() {
        out.push(Segment::Text(&text[last..]));
    }
    out
}

const COMMON_TLDS: &[&str] = &[
    "com", "org", "net", "io", "co", "dev", "app", "ai", "me", "info", "biz", "edu", "gov", "xyz", "uk", "de", "fr", "jp", "cn", "ru",
    "br", "in", "it", "nl", "es", "ca", "au", "us", "eu", "ly", "tv", "gg", "social", "news", "blog", "tech", "site", "online", "shop",
];

/// Byte length of a URL starting at the beginning of `s`, if one does.
fn url_at(s: &str, style: UrlStyle) -> Option<usize> {
    let lower_starts = |p: &str| s.get(..p.len()).is_some_and(|head| head.eq_ignore_ascii_case(p));
    let has_scheme = lower_starts("http://") || lower_starts("https://");
    if !has_scheme && style == UrlStyle::SchemeOnly {
        return None;
    }
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    let mut candidate = &s[..end];
    // Trim trailing punctuation and an unbalanced closing parenthesis.
    loop {
        let trimmed = candidate.trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', '"']);
        let trimmed = if trimmed.ends_with(')') && trimmed.matches('(').count() < trimmed.matches(')').count() {
            &trimmed[..trimmed.len() - 1]
        } else {
            trimmed
        };
        if trimmed.len() == candidate.len() {
            break;
        }
        candidate = trimmed;
    }
    let host_part = if has_scheme {
        let after = &candidate[candidate.find("://")? + 3..];
        after.split(['/', '?', '#']).next().unwrap_or("")
    } else {
        candidate.split(['/', '?', '#']).next().unwrap_or("")
    };
    let host = host_part.split(':').next().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    let valid_host = labels.len() >= 2 && labels.iter().all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'));
    if !(valid_host || (has_scheme && host == "localhost")) {
        return None;
    }
    if !has_scheme {
        let tld = labels.last().copied().unwrap_or("").to_ascii_lowercase();
        let www = host.to_ascii_lowercase().starts_with("www.");
        if !(www || COMMON_TLDS.contains(&tld.as_str())) {
            return None;
        }
    }
    Some(candidate.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_text_weighs_one_per_character_on_x() {
        assert_eq!(x_weighted_length("hello world"), 11);
        assert_eq!(x_weighted_length(&"a".repeat(280)), 280);
    }

    #[test]
    fn cjk_weighs_two_on_x() {
        assert_eq!(x_weighted_length("日本語"), 6);
        assert_eq!(x_weighted_length("한국어 text"), 6 + 5);
    }

    #[test]
    fn an_emoji_zwj_sequence_weighs_two_on_x_and_is_one_grapheme() {
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}";
        assert_eq!(x_weighted_length(family), 2);
        assert_eq!(count(family, Counting::Graphemes), 1);
        assert_eq!(count(family, Counting::CodePoints), 7);
        assert_eq!(count(family, Counting::Utf16), 11);
        let flag = "\u{1F1FA}\u{1F1E6}";
        assert_eq!(x_weighted_length(flag), 2);
        let keycap = "1\u{FE0F}\u{20E3}";
        assert_eq!(x_weighted_length(keycap), 2);
    }

    #[test]
    fn combining_marks_are_normalized_before_weighting_on_x() {
        // "é" as e + U+0301 composes to U+00E9 (weight 1).
        assert_eq!(x_weighted_length("e\u{301}"), 1);
        // No precomposed "q́": two code points of weight 1, one grapheme.
        assert_eq!(x_weighted_length("q\u{301}"), 2);
        assert_eq!(count("q\u{301}", Counting::Graphemes), 1);
        // Stacked marks are reordered and composed where possible: á + U+0316.
        assert_eq!(x_weighted_length("a\u{301}\u{316}"), 2);
    }

    #[test]
    fn urls_weigh_23_whatever_their_length() {
        let long = format!("see https://example.com/{}", "p".repeat(200));
        assert_eq!(x_weighted_length(&long), 4 + 23);
        assert_eq!(mastodon_length(&long), 4 + 23);
        assert_eq!(x_weighted_length("go to https://t.co/x."), 6 + 23 + 1);
        assert_eq!(x_weighted_length("(https://example.com/a)"), 1 + 23 + 1);
    }

    #[test]
    fn x_counts_bare_domains_as_links_but_mastodon_does_not() {
        assert_eq!(x_weighted_length("example.com"), 23);
        assert_eq!(mastodon_length("example.com"), 11);
        assert_eq!(x_weighted_length("e.g. this"), 9);
    }

    #[test]
    fn mastodon_counts_remote_mentions_by_username_only() {
        assert_eq!(mastodon_length("hi @alice@example.social!"), "hi @alice!".len());
        assert_eq!(mastodon_length("mail bob@example.com"), "mail bob@example.com".len());
    }

    #[test]
    fn threads_counts_emoji_as_their_utf8_bytes() {
        assert_eq!(threads_length("héllo"), 5);
        assert_eq!(threads_length("日本"), 2);
        // 👋 is 4 bytes; the ZWJ family is 25.
        assert_eq!(threads_length("hi 👋"), 3 + 4);
        assert_eq!(threads_length("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}"), 25);
    }

    #[test]
    fn split_urls_keeps_text_around_links() {
        let segs = split_urls("a https://x.y/z b", UrlStyle::SchemeOnly);
        assert_eq!(segs, vec![Segment::Text("a "), Segment::Url("https://x.y/z"), Segment::Text(" b")]);
    }
}
