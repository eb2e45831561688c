use leptos::prelude::*;

use crate::api::{FieldError, UiError};

/// A spinner line.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <div class="postiz-loading" aria-busy="true">"Loading…"</div> }
}

/// What an `<ErrorBoundary>` shows: the errors' messages, never a panic.
#[component]
pub fn ErrorBox(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <div class="postiz-error" role="alert">
            {move || errors.get().into_iter().map(|(_, e)| view! { <p>{e.to_string()}</p> }).collect_view()}
        </div>
    }
}

/// The messages of the fields whose path starts with one of `prefixes`, written for the person
/// in front of the screen: shown under the input that owns the path, so the input's own label
/// stands for it, and a deeper part of the path is named in words ("File 2, alt text: …"),
/// never as `media[1].alt`. Fields under `except` are left out (inputs of their own show them).
pub fn errors_except(err: &Option<UiError>, prefixes: &[&str], except: &[&str]) -> Vec<String> {
    let Some(e) = err else { return vec![] };
    let under = |field: &str, p: &str| field == p || field.starts_with(&format!("{p}.")) || field.starts_with(&format!("{p}["));
    e.fields()
        .iter()
        .filter(|f| !except.iter().any(|x| under(&f.field, x)))
        .filter_map(|f: &FieldError| {
            let prefix = prefixes.iter().find(|p| under(&f.field, p))?;
            Some(describe(&f.field[prefix.len()..], &f.message))
        })
        .collect()
}

/// `rest` is what follows the owning input's path (`""`, `"[1].alt"`, `".settings.post_type"`), or
/// a whole path for a form that shows one message (`"steps.0.required"`: "Step 1, approvals
/// needed: …"). Indexes come as `[1]` or as a segment of digits.
pub fn describe(rest: &str, message: &str) -> String {
    // The server named the field by its label already ("TikTok › Who can see this post: …").
    if message.contains(" › ") {
        return message.to_owned();
    }
    let mut segments: Vec<String> = Vec::new();
    for s in rest.split('.').filter(|p| !p.is_empty()) {
        match segments.last_mut() {
            Some(last) if s.bytes().all(|b| b.is_ascii_digit()) => last.push_str(&format!("[{s}]")),
            _ => segments.push(s.to_owned()),
        }
    }
    let parts: Vec<String> = segments.iter().flat_map(|s| words_for(s)).collect();
    // The server's sentence is kept as written (tests and people search it as sent).
    if parts.is_empty() { message.to_owned() } else { format!("{}: {message}", capitalized(&parts.join(", "))) }
}

/// One path segment in words: `[1]` is "file 2" (lists of media), `thread[0]` "reply 1".
fn words_for(segment: &str) -> Vec<String> {
    let (name, index) = match segment.split_once('[') {
        Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
        None => (segment, None),
    };
    let label = match name {
        "" => "",
        "media" | "media_ids" => "file",
        "thread" | "thread_items" => "reply",
        "alt" | "alt_text" => "alt text",
        "text" | "content" => "text",
        "first_comment" => "first comment",
        "post_type" => "post type",
        "reply_settings" => "who can reply",
        "visibility" => "visibility",
        "settings" => "",
        "tag_id" | "tag_ids" => "tag",
        "scheduled_at" | "starts_at" => "date and time",
        "time_zone" => "time zone",
        "rrule" => "repeat",
        "steps" => "step",
        "members" => "reviewer",
        "required" => "approvals needed",
        other => other,
    };
    let label = label.replace('_', " ");
    let mut out = Vec::new();
    match (label.is_empty(), index) {
        (true, Some(i)) => out.push(format!("file {}", i + 1)),
        (false, Some(i)) => out.push(format!("{label} {}", i + 1)),
        (false, None) => out.push(label),
        (true, None) => {}
    }
    out
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Field errors shown under an input (`data-field` names the path for tests and screen readers).
#[component]
pub fn FieldMessage(
    /// The last error of the form.
    error: RwSignal<Option<UiError>>,
    /// Field paths this input owns.
    prefixes: Vec<&'static str>,
    /// Field paths under `prefixes` that other inputs show.
    #[prop(optional)]
    except: Vec<&'static str>,
) -> impl IntoView {
    let field = prefixes.first().copied().unwrap_or("");
    view! {
        {move || {
            let msgs = error.with(|e| errors_except(e, &prefixes, &except));
            (!msgs.is_empty()).then(|| view! {
                <div class="postiz-field-error" data-field=field role="alert">
                    {msgs.into_iter().map(|m| view! { <div>{m}</div> }).collect_view()}
                </div>
            })
        }}
    }
}
