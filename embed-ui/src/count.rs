//! Live text counters in the networks' own units (`rules.text.counting` from `GET /networks`).
//! The server's `/validate` and the post checks stay the authority; these keep the composer
//! honest while typing. Graphemes come from the browser's `Intl.Segmenter`.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

fn graphemes(text: &str) -> Vec<String> {
    let seg = Reflect::get(&js_sys::global(), &"Intl".into())
        .and_then(|i| Reflect::get(&i, &"Segmenter".into()))
        .ok()
        .filter(|c| c.is_function());
    let Some(ctor) = seg else { return text.chars().map(String::from).collect() };
    let opts = Object::new();
    let _ = Reflect::set(&opts, &"granularity".into(), &"grapheme".into());
    let Ok(segmenter) = Reflect::construct(&ctor.into(), &Array::of2(&"en".into(), &opts)) else {
        return text.chars().map(String::from).collect();
    };
    let Ok(segment) = Reflect::get(&segmenter, &"segment".into()) else { return text.chars().map(String::from).collect() };
    let segment: js_sys::Function = segment.into();
    let Ok(segments) = segment.call1(&segmenter, &JsValue::from_str(text)) else {
        return text.chars().map(String::from).collect();
    };
    let mut out = Vec::new();
    if let Ok(Some(iter)) = js_sys::try_iter(&segments) {
        for s in iter.flatten() {
            if let Some(g) = Reflect::get(&s, &"segment".into()).ok().and_then(|v| v.as_string()) {
                out.push(g);
            }
        }
    }
    out
}

fn is_emoji(g: &str) -> bool {
    g.chars().any(|c| matches!(u32::from(c), 0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0xFE0F | 0x200D))
}

/// Splits off URLs (`http://`, `https://`) so they can be weighed as 23.
fn split_urls(text: &str) -> (usize, String) {
    let mut urls = 0;
    let mut rest = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            rest.push(' ');
        }
        if word.starts_with("http://") || word.starts_with("https://") {
            urls += 1;
        } else {
            rest.push_str(word);
        }
    }
    (urls, rest)
}

fn x_weight(c: char) -> usize {
    let u = u32::from(c);
    if u <= 0x10FF || (0x2000..=0x200D).contains(&u) || (0x2010..=0x201F).contains(&u) || (0x2032..=0x2037).contains(&u) { 1 } else { 2 }
}

/// The length of `text` counted as `counting` (`graphemes`, `code_points`, `utf16`,
/// `x_weighted`, `mastodon`, `threads`).
pub fn count(text: &str, counting: &str) -> usize {
    match counting {
        "code_points" => text.chars().count(),
        "utf16" => text.encode_utf16().count(),
        "x_weighted" => {
            let (urls, rest) = split_urls(text);
            let body: usize = graphemes(&rest).iter().map(|g| if is_emoji(g) { 2 } else { g.chars().map(x_weight).sum() }).sum();
            body + urls * 23
        }
        "mastodon" => {
            let (urls, rest) = split_urls(text);
            // A remote mention @user@domain counts as @user.
            let rest: String = rest
                .split(' ')
                .map(|w| match w.strip_prefix('@').and_then(|m| m.split_once('@')) {
                    Some((user, _)) => format!("@{user}"),
                    None => w.to_owned(),
                })
                .collect::<Vec<_>>()
                .join(" ");
            graphemes(&rest).len() + urls * 23
        }
        "threads" => graphemes(text).iter().map(|g| if is_emoji(g) { g.len() } else { 1 }).sum(),
        _ => graphemes(text).len(),
    }
}
