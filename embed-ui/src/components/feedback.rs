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

/// The messages of the fields whose path starts with one of `prefixes`.
pub fn errors_for(err: &Option<UiError>, prefixes: &[&str]) -> Vec<String> {
    let Some(e) = err else { return vec![] };
    e.fields()
        .iter()
        .filter(|f: &&FieldError| prefixes.iter().any(|p| f.field == *p || f.field.starts_with(&format!("{p}.")) || f.field.starts_with(&format!("{p}["))))
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect()
}

/// Field errors shown under an input (`data-field` names the path for tests and screen readers).
#[component]
pub fn FieldMessage(
    /// The last error of the form.
    error: RwSignal<Option<UiError>>,
    /// Field paths this input owns.
    prefixes: Vec<&'static str>,
) -> impl IntoView {
    let field = prefixes.first().copied().unwrap_or("");
    view! {
        {move || {
            let msgs = error.with(|e| errors_for(e, &prefixes));
            (!msgs.is_empty()).then(|| view! {
                <div class="postiz-field-error" data-field=field role="alert">
                    {msgs.into_iter().map(|m| view! { <div>{m}</div> }).collect_view()}
                </div>
            })
        }}
    }
}
