//! Rich-text facets for `app.bsky.feed.post`: links, mentions and hashtags, with UTF-8 byte
//! offsets (`byteStart` inclusive, `byteEnd` exclusive) as the lexicon requires.

use unicode_segmentation::UnicodeSegmentation;

use crate::rules::{Segment, UrlStyle, split_urls};

/// A facet found in text, before mentions are resolved to DIDs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Link(String),
    /// A handle without the `@`.
    Mention(String),
    /// A tag without the `#`.
    Tag(String),
}

/// Finds links (`http(s)://…`), mentions (`@handle.domain`) and hashtags (`#tag`, not only
/// digits, at most 64 characters) in `text`.
pub(crate) fn detect(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    let mut offset = 0;
    for segment in split_urls(text, UrlStyle::SchemeOnly) {
        match segment {
            Segment::Url(u) => {
                out.push(Found { start: offset, end: offset + u.len(), kind: Kind::Link(u.to_owned()) });
                offset += u.len();
            }
            Segment::Text(t) => {
                detect_words(t, offset, &mut out);
                offset += t.len();
            }
        }
    }
    out
}

fn detect_words(text: &str, base: usize, out: &mut Vec<Found>) {
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let at_boundary = prev.is_none_or(|p| p.is_whitespace() || p == '(');
        prev = Some(c);
        if !at_boundary || !(c == '@' || c == '#' || c == '\u{FF03}') {
            continue;
        }
        let rest = &text[i + c.len_utf8()..];
        let word_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = rest[..word_len].trim_end_matches(|ch: char| ch.is_ascii_punctuation() && ch != '_');
        if word.is_empty() {
            continue;
        }
        let start = base + i;
        let end = base + i + c.len_utf8() + word.len();
        if c == '@' {
            let handle = word.trim_end_matches('.');
            let labels: Vec<&str> = handle.split('.').collect();
            let valid = labels.len() >= 2
                && labels.iter().all(|l| !l.is_empty() && l.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-'))
                && labels.last().is_some_and(|tld| tld.chars().next().is_some_and(|ch| ch.is_ascii_alphabetic()));
            if valid {
                let end = base + i + 1 + handle.len();
                out.push(Found { start, end, kind: Kind::Mention(handle.to_ascii_lowercase()) });
            }
        } else {
            let tag = word;
            if tag.chars().all(|ch| ch.is_ascii_digit()) || tag.graphemes(true).count() > 64 || tag.starts_with('\u{FE0F}') {
                continue;
            }
            out.push(Found { start, end, kind: Kind::Tag(tag.to_owned()) });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(text: &str, f: &Found) -> String {
        String::from_utf8(text.as_bytes()[f.start..f.end].to_vec()).expect("utf8 slice")
    }

    #[test]
    fn offsets_are_utf8_bytes_after_emoji_and_cjk() {
        let text = "✨ 日本語 see https://example.com/ä?q=1 and @alice.bsky.social #rust!";
        let found = detect(text);
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(slice(text, &found[0]), "https://example.com/ä?q=1");
        assert_eq!(found[0].kind, Kind::Link("https://example.com/ä?q=1".into()));
        assert_eq!(slice(text, &found[1]), "@alice.bsky.social");
        assert_eq!(found[1].kind, Kind::Mention("alice.bsky.social".into()));
        assert_eq!(slice(text, &found[2]), "#rust");
        assert_eq!(found[2].kind, Kind::Tag("rust".into()));
        // "✨ " is 4 bytes, "日本語 " 10, "see " 4.
        assert_eq!(found[0].start, 18);
    }

    #[test]
    fn emails_numbers_and_bare_words_are_not_facets() {
        assert!(detect("mail me at bob@example.com about #123 or @bob").is_empty());
    }

    #[test]
    fn zwj_emoji_before_a_tag_shifts_offsets_by_its_byte_length() {
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        let text = format!("{family} #family");
        let found = detect(&text);
        assert_eq!(found[0].start, family.len() + 1);
        assert_eq!(found[0].end, text.len());
    }
}
