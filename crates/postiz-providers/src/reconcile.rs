//! Helpers for `find_published`: comparing what we sent with what a network shows.

/// True when two texts are the same post once links, HTML tags and whitespace differences are
/// set aside (networks rewrite links — X's t.co — and Mastodon returns HTML).
pub(crate) fn same_text(sent: &str, shown: &str) -> bool {
    normalize(sent) == normalize(&strip_html(shown))
}

fn normalize(text: &str) -> String {
    crate::rules::split_urls(text, crate::rules::UrlStyle::SchemeOnly)
        .into_iter()
        .filter_map(|s| match s {
            crate::rules::Segment::Text(t) => Some(t),
            crate::rules::Segment::Url(_) => None,
        })
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Removes tags and decodes the few entities Mastodon emits; `<br>` and `</p>` become spaces.
pub(crate) fn strip_html(html: &str) -> String {
    if !html.contains('<') && !html.contains('&') {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    let mut tag = String::new();
    for c in html.chars() {
        match (in_tag, c) {
            (false, '<') => {
                in_tag = true;
                tag.clear();
            }
            (true, '>') => {
                in_tag = false;
                let t = tag.to_ascii_lowercase();
                if t.starts_with("br") || t.starts_with("/p") {
                    out.push(' ');
                }
            }
            (true, c) => tag.push(c),
            (false, c) => out.push(c),
        }
    }
    out.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&apos;", "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewritten_links_and_html_still_match() {
        assert!(same_text("hello https://example.com/a  world", "hello https://t.co/xyz world"));
        assert!(same_text("a & b\nline two", "<p>a &amp; b<br>line two</p>"));
        assert!(!same_text("hello", "hello again"));
    }
}
