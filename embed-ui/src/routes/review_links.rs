//! Client review links in the UI: "Share for review…" on a post (the expiry chosen, the link
//! shown once with a copy button) and the workspace's links with Revoke (in the review queue,
//! and a post's own on its page). The reviewer's page is the API's (`{api}/review#<token>`), a
//! plain page that needs no account; see `crates/postiz-api/src/routes/review_links.rs`.

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};
use wasm_bindgen::JsCast;

use crate::api::{Api, ws_path};
use crate::app::{Toasts, Ws};
use crate::components::Loading;
use crate::time;

/// A link as `GET …/review-links` lists it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ReviewLink {
    pub id: String,
    pub label: String,
    #[serde(default)]
    pub post_id: Option<String>,
    #[serde(default)]
    pub range_start: Option<String>,
    #[serde(default)]
    pub range_end: Option<String>,
    #[serde(default)]
    pub created_by_name: Option<String>,
    pub expires_at: String,
    #[serde(default)]
    pub last_used_at: Option<String>,
    /// `active`, `expired`, `revoked`.
    pub state: String,
}

/// `POST …/review-links` answer: the link plus the token and its address, shown once.
#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Created {
    url: String,
}

/// The reviewer's address as a full URL: the API answers it relative to its own origin.
fn absolute(api: &Api, url: &str) -> String {
    let origin = web_sys::Url::new(api.base())
        .map(|u| u.origin())
        .ok()
        .or_else(|| web_sys::window().and_then(|w| w.location().origin().ok()))
        .unwrap_or_default();
    format!("{origin}{url}")
}

/// Copies `text` (navigator.clipboard, through js_sys so no extra web-sys features are needed).
fn copy(text: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let Ok(navigator) = js_sys::Reflect::get(&window, &"navigator".into()) else { return false };
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into()).ok().filter(|c| !c.is_undefined());
    let Some(clipboard) = clipboard else { return false };
    let Ok(write) = js_sys::Reflect::get(&clipboard, &"writeText".into()) else { return false };
    let Some(write) = write.dyn_ref::<js_sys::Function>() else { return false };
    write.call1(&clipboard, &text.into()).is_ok()
}

/// "Share for review…" on a post (admins and owners): a label, an expiry, then the link once.
#[component]
pub fn ShareForReview(ws: Ws, post_id: String, default_label: String, reload: RwSignal<u32>) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let open = RwSignal::new(false);
    let label = RwSignal::new(default_label);
    let days = RwSignal::new("7".to_owned());
    let error = RwSignal::new(None::<String>);
    let shown = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let path = StoredValue::new(ws_path(&ws.id(), "/review-links"));
    let post_id = StoredValue::new(post_id);
    let api2 = api.clone();
    let create = move |_| {
        let api = api2.clone();
        error.set(None);
        if label.get_untracked().trim().is_empty() {
            error.set(Some("Label must not be empty: say who the link is for".into()));
            return;
        }
        busy.set(true);
        let body = json!({
            "label": label.get_untracked().trim(),
            "post_id": post_id.get_value(),
            "expires_in_days": days.get_untracked().parse::<i64>().unwrap_or(7),
        });
        leptos::task::spawn_local(async move {
            match api.post::<Created>(&path.get_value(), &body).await {
                Ok(c) => {
                    shown.set(Some(absolute(&api, &c.url)));
                    reload.update(|t| *t += 1);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <div class="postiz-share">
            {move || (!open.get()).then(|| view! {
                <button type="button" class="postiz-btn" data-action="share-for-review" on:click=move |_| open.set(true)>"Share for review…"</button>
            })}
            {move || open.get().then(|| match shown.get() {
                Some(url) => {
                    let u = url.clone();
                    view! {
                        <div class="postiz-card" data-review-link-created="1">
                            <h3 class="postiz-subtitle">"Review link"</h3>
                            <p class="postiz-hint">"Copy it now and send it to your client: it is shown only this once. Anyone with the link can see this post and answer until it expires or you revoke it."</p>
                            <label class="postiz-label" for="postiz-review-url">"Link"</label>
                            <input id="postiz-review-url" class="postiz-input postiz-input-wide" readonly data-review-url="1" prop:value=url.clone()/>
                            <div class="postiz-row">
                                <button type="button" class="postiz-btn postiz-btn-primary" data-action="copy-review-link" on:click=move |_| {
                                    if copy(&u) { toasts.show("Link copied", false) } else { toasts.show("Select the link and copy it", false) }
                                }>"Copy link"</button>
                                <button type="button" class="postiz-btn" on:click=move |_| { shown.set(None); open.set(false); }>"Done"</button>
                            </div>
                        </div>
                    }.into_any()
                }
                None => view! {
                    <div class="postiz-card" role="group" aria-labelledby="postiz-share-title">
                        <h3 class="postiz-subtitle" id="postiz-share-title">"Share for review"</h3>
                        <p class="postiz-hint">"Your client opens the link without an account, sees the post as each network will show it, and can approve, ask for changes or comment. Their approval is shown to the team; it does not replace the approvals your policy asks for. A rejection or change request takes the post off the schedule; with an approval policy it stays off until it is edited, without one a member may schedule it again."</p>
                        <label class="postiz-label" for="postiz-share-label">"Label"</label>
                        <input id="postiz-share-label" class="postiz-input postiz-input-wide" maxlength="100" data-field="label" prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev))/>
                        <label class="postiz-label" for="postiz-share-days">"Expires after"</label>
                        <select id="postiz-share-days" class="postiz-input" data-field="expires_in_days" on:change=move |ev| days.set(event_target_value(&ev))>
                            <option value="1">"1 day"</option>
                            <option value="3">"3 days"</option>
                            <option value="7" selected>"1 week"</option>
                            <option value="14">"2 weeks"</option>
                            <option value="30">"30 days"</option>
                        </select>
                        {move || error.get().map(|e| view! { <p class="postiz-error-text" role="alert">{e}</p> })}
                        <div class="postiz-row">
                            <button type="button" class="postiz-btn postiz-btn-primary" data-action="create-review-link" disabled=move || busy.get() on:click=create.clone()>"Create link"</button>
                            <button type="button" class="postiz-btn" on:click=move |_| open.set(false)>"Cancel"</button>
                        </div>
                    </div>
                }.into_any(),
            })}
        </div>
    }
}

/// The workspace's review links (or one post's), with Revoke for admins.
#[component]
pub fn ReviewLinks(ws: Ws, #[prop(optional)] post_id: Option<String>, zone: String, reload: RwSignal<u32>) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let can_admin = ws.can_admin();
    let base = ws_path(&ws.id(), "/review-links");
    let list_path = StoredValue::new(match &post_id {
        Some(p) => format!("{base}?post_id={p}"),
        None => base.clone(),
    });
    let base = StoredValue::new(base);
    let zone = StoredValue::new(zone);
    let a = api.clone();
    let links = LocalResource::new(move || {
        reload.track();
        let a = a.clone();
        let p = list_path.get_value();
        async move { a.get::<Vec<ReviewLink>>(&p).await }
    });
    let confirm = RwSignal::new(None::<String>);
    let revoke = move |id: String| {
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.post::<Value>(&format!("{}/{id}/revoke", base.get_value()), &json!({})).await {
                Ok(_) => {
                    toasts.show("Link revoked: it no longer works", false);
                    reload.update(|t| *t += 1);
                }
                Err(e) => toasts.error(&e),
            }
        });
    };
    let for_post = post_id.is_some();
    view! {
        <div class="postiz-card" data-review-links="1">
            <h3 class="postiz-subtitle">{if for_post { "Review links for this post" } else { "Client review links" }}</h3>
            {move || match links.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <p class="postiz-hint">{e.to_string()}</p> }.into_any(),
                Some(Ok(items)) if items.is_empty() => view! {
                    <p class="postiz-hint">{if for_post { "Not shared yet." } else { "No review links yet. Open a post and choose Share for review…" }}</p>
                }.into_any(),
                Some(Ok(items)) => view! {
                    <ul class="postiz-list">
                        {items.into_iter().map(|l| {
                            let z = zone.get_value();
                            let at = |iso: &str| time::parse(iso).map(|ms| time::describe(&z, ms)).unwrap_or_else(|| iso.to_owned());
                            let scope = match (&l.range_start, &l.range_end) {
                                (Some(a), Some(b)) if a == b => format!("posts of {a}"),
                                (Some(a), Some(b)) => format!("posts of {a} to {b}"),
                                _ => "one post".to_owned(),
                            };
                            let state = match l.state.as_str() {
                                "revoked" => "Revoked".to_owned(),
                                "expired" => format!("Expired {}", at(&l.expires_at)),
                                _ => format!("Works until {}", at(&l.expires_at)),
                            };
                            let used = l.last_used_at.as_deref().map(|u| format!(" · last opened {}", at(u))).unwrap_or_else(|| " · not opened yet".into());
                            let by = l.created_by_name.clone().map(|n| format!(" · by {n}")).unwrap_or_default();
                            let id = l.id.clone();
                            let id2 = l.id.clone();
                            let revoke = revoke.clone();
                            let active = l.state == "active";
                            view! {
                                <li class="postiz-row" data-review-link=l.id.clone() data-state=l.state.clone()>
                                    <span><strong>{l.label.clone()}</strong>{format!(" · {scope}{by}")}<br/><span class="postiz-hint">{format!("{state}{used}")}</span></span>
                                    {(can_admin && active).then(|| view! {
                                        {move || if confirm.get().as_deref() == Some(id.as_str()) {
                                            let id = id.clone();
                                            let revoke = revoke.clone();
                                            view! {
                                                <span class="postiz-confirm" role="alertdialog" aria-label="Revoke this link?">
                                                    "Revoke? The client will see that the link was withdrawn. "
                                                    <button type="button" class="postiz-btn postiz-btn-danger" data-action="confirm-revoke" on:click=move |_| { confirm.set(None); revoke(id.clone()); }>"Revoke link"</button>
                                                    <button type="button" class="postiz-btn" on:click=move |_| confirm.set(None)>"Keep it"</button>
                                                </span>
                                            }.into_any()
                                        } else {
                                            let id = id2.clone();
                                            view! { <button type="button" class="postiz-btn" data-action="revoke-review-link" on:click=move |_| confirm.set(Some(id.clone()))>"Revoke…"</button> }.into_any()
                                        }}
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </div>
    }
}
