//! The activity log, newest first, a page at a time.

use leptos::prelude::*;

use crate::api::{Activity, ActivityPage as Page, Api, ws_path};
use crate::app::{Toasts, Ws, Zone};
use crate::components::Loading;
use crate::time;

/// The activity screen.
#[component]
pub fn ActivityPage(ws: Ws) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let zone = expect_context::<Zone>().effective(&ws.ws);
    let items = RwSignal::new(Vec::<Activity>::new());
    let next = RwSignal::new(None::<i64>);
    let loading = RwSignal::new(true);
    let ws_id = StoredValue::new(ws.id());
    let load = move |before: Option<i64>| {
        let api = api.clone();
        loading.set(true);
        leptos::task::spawn_local(async move {
            let q = before.map(|b| format!("?before={b}")).unwrap_or_default();
            match api.get::<Page>(&ws_path(&ws_id.get_value(), &format!("/activity{q}"))).await {
                Ok(p) => {
                    items.update(|i| i.extend(p.items));
                    next.set(p.next_before);
                }
                Err(e) => toasts.error(&e),
            }
            loading.set(false);
        });
    };
    load(None);
    let load2 = load.clone();
    view! {
        <section class="postiz-activity">
            <h2 class="postiz-title">"Activity"</h2>
            <table class="postiz-table" data-table="activity">
                <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Details"</th></tr></thead>
                <tbody>
                    <For each=move || items.get() key=|a| a.id let:a>
                        <tr>
                            <td>{time::parse(&a.created_at).map(|ms| time::describe(&zone, ms)).unwrap_or_default()}</td>
                            <td>{match a.actor_kind.as_str() {
                                "system" => view! { <span>"System"</span> }.into_any(),
                                // A client through a review link: the name they typed, and which link.
                                "review_link" => view! { <span data-actor="review_link">{format!("{} ({})",
                                    a.details["reviewer_name"].as_str().unwrap_or("A client"),
                                    a.details["via"].as_str().unwrap_or("via a review link"))}</span> }.into_any(),
                                _ => view! { <crate::components::Person name=a.actor_name.clone()/> }.into_any(),
                            }}</td>
                            <td>{format!("{} ({})", a.action, a.entity_type)}</td>
                            <td class="postiz-hint">{if a.details.is_null() { String::new() } else { a.details.to_string().chars().take(140).collect() }}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
            {move || loading.get().then(|| view! { <Loading/> })}
            {move || next.get().map(|b| {
                let load = load2.clone();
                view! { <button class="postiz-btn" on:click=move |_| load(Some(b))>"Older"</button> }
            })}
        </section>
    }
}
