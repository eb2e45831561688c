//! The inbox: the signed-in person's notifications in this workspace (unread first), each with a
//! link to its post (or to Accounts), mark read and mark all read, and their notification
//! preferences per kind. Types are decoded once here from the API's shapes; the event itself is
//! `postiz_domain::NotificationEvent`, the same type the server and the worker use.

use leptos::prelude::*;
use postiz_domain::{NotificationDelivery, NotificationEvent, NotificationKind};
use serde::Deserialize;
use serde_json::json;

use crate::api::{Api, ws_path};
use crate::app::{Toasts, Ws, Zone};
use crate::components::Loading;
use crate::nav::Link;
use crate::time;

/// One notification, as `GET …/notifications` sends it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Notification {
    pub id: i64,
    #[serde(flatten)]
    pub event: NotificationEvent,
    pub headline: String,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub read_at: Option<String>,
    pub created_at: String,
}

/// A page of the inbox.
#[derive(Clone, Debug, Deserialize)]
pub struct InboxPage {
    pub items: Vec<Notification>,
    pub unread: i64,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
struct Unread {
    unread: i64,
}

#[derive(Clone, Debug, Deserialize)]
struct Preference {
    kind: NotificationKind,
    label: String,
    delivery: NotificationDelivery,
}

#[derive(Clone, Debug, Deserialize)]
struct Preferences {
    items: Vec<Preference>,
}

/// Bumped by the inbox when it marks something read, so the nav's count follows.
#[derive(Clone, Copy, Debug)]
pub struct InboxTick(pub RwSignal<u32>);

/// The unread count for the nav (refreshed on `tick`).
pub fn unread_count(ws_id: String, tick: RwSignal<u32>) -> LocalResource<i64> {
    let api = expect_context::<Api>();
    LocalResource::new(move || {
        tick.track();
        let api = api.clone();
        let path = ws_path(&ws_id, "/notifications/unread-count");
        async move { api.get::<Unread>(&path).await.map(|u| u.unread).unwrap_or(0) }
    })
}

/// Where a notification leads.
fn target(ws_id: &str, event: &NotificationEvent) -> String {
    match (event, event.post_id()) {
        (NotificationEvent::InviteReceived { .. }, _) => "invite".into(),
        (NotificationEvent::WebhookDisabled { .. }, _) => format!("w/{ws_id}/settings"),
        (_, Some(post)) => format!("w/{ws_id}/posts/{post}"),
        (_, None) => format!("w/{ws_id}/accounts"),
    }
}

/// The inbox screen.
#[component]
pub fn InboxPage(ws: Ws) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let tick = use_context::<InboxTick>();
    let zone = StoredValue::new(expect_context::<Zone>().effective(&ws.ws));
    let ws_id = StoredValue::new(ws.id());
    let items = RwSignal::new(Vec::<Notification>::new());
    let unread = RwSignal::new(0i64);
    let next = RwSignal::new(None::<String>);
    let loading = RwSignal::new(true);
    let bump = move || {
        if let Some(t) = tick {
            t.0.update(|n| *n += 1);
        }
    };

    let load = {
        let api = api.clone();
        move |cursor: Option<String>| {
            let api = api.clone();
            loading.set(true);
            leptos::task::spawn_local(async move {
                let q = cursor.map(|c| format!("?cursor={c}")).unwrap_or_default();
                match api.get::<InboxPage>(&ws_path(&ws_id.get_value(), &format!("/notifications{q}"))).await {
                    Ok(p) => {
                        items.update(|i| i.extend(p.items));
                        unread.set(p.unread);
                        next.set(p.next_cursor);
                    }
                    Err(e) => toasts.error(&e),
                }
                loading.set(false);
            });
        }
    };
    load(None);

    let mark = {
        let api = api.clone();
        move |id: i64| {
            let api = api.clone();
            leptos::task::spawn_local(async move {
                match api.post::<Unread>(&ws_path(&ws_id.get_value(), &format!("/notifications/{id}/read")), &json!({})).await {
                    Ok(u) => {
                        unread.set(u.unread);
                        items.update(|l| {
                            for n in l.iter_mut().filter(|n| n.id == id) {
                                n.read_at.get_or_insert_with(|| "now".into());
                            }
                        });
                        bump();
                    }
                    Err(e) => toasts.error(&e),
                }
            });
        }
    };
    let mark_all = {
        let api = api.clone();
        move |_| {
            let api = api.clone();
            leptos::task::spawn_local(async move {
                match api.post::<Unread>(&ws_path(&ws_id.get_value(), "/notifications/read-all"), &json!({})).await {
                    Ok(u) => {
                        unread.set(u.unread);
                        items.update(|l| {
                            for n in l.iter_mut() {
                                n.read_at.get_or_insert_with(|| "now".into());
                            }
                        });
                        bump();
                    }
                    Err(e) => toasts.error(&e),
                }
            });
        }
    };
    let more = load.clone();

    view! {
        <section class="postiz-inbox" data-screen="inbox">
            <div class="postiz-inbox-head">
                <h2 class="postiz-title">
                    "Inbox"
                    {move || (unread.get() > 0).then(|| view! { " " <span class="postiz-count" data-inbox-unread=unread.get()>{format!("{} unread", unread.get())}</span> })}
                </h2>
                {move || (unread.get() > 0).then(|| {
                    let mark_all = mark_all.clone();
                    view! { <button class="postiz-btn postiz-btn-small" data-action="mark-all-read" on:click=mark_all>"Mark all read"</button> }
                })}
            </div>
            <ul class="postiz-inbox-list">
                <For each=move || items.get() key=|n| (n.id, n.read_at.is_some()) let:n>
                    {
                        let mark = mark.clone();
                        let id = n.id;
                        let is_unread = n.read_at.is_none();
                        let to = target(&ws_id.get_value(), &n.event);
                        let when = time::parse(&n.created_at).map(|ms| time::describe(&zone.get_value(), ms)).unwrap_or_default();
                        let mark_on_open = mark.clone();
                        view! {
                            <li class=if is_unread { "postiz-inbox-item postiz-inbox-unread" } else { "postiz-inbox-item" } data-kind=n.event.kind().as_str()>
                                <div class="postiz-inbox-main">
                                    <div on:click=move |_| if is_unread { mark_on_open(id) }>
                                        <Link to=to class="postiz-inbox-link">{n.headline.clone()}</Link>
                                    </div>
                                    {n.detail.clone().map(|d| view! { <div class="postiz-inbox-detail">{d}</div> })}
                                    <div class="postiz-hint">{when}</div>
                                </div>
                                {is_unread.then(|| view! { <button class="postiz-btn postiz-btn-small" on:click=move |_| mark(id)>"Mark read"</button> })}
                            </li>
                        }
                    }
                </For>
            </ul>
            {move || (!loading.get() && items.with(Vec::is_empty)).then(|| view! { <div class="postiz-empty">"Nothing here yet."</div> })}
            {move || loading.get().then(|| view! { <Loading/> })}
            {move || next.get().map(|c| {
                let more = more.clone();
                view! { <button class="postiz-btn" on:click=move |_| more(Some(c.clone()))>"Older"</button> }
            })}
            <NotificationPreferences ws_id=ws_id.get_value()/>
        </section>
    }
}

/// The person's choice per kind: off, inbox, inbox and email, inbox and daily digest.
#[component]
fn NotificationPreferences(ws_id: String) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let path = StoredValue::new(ws_path(&ws_id, "/notification-preferences"));
    let prefs = RwSignal::new(Vec::<Preference>::new());
    {
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.get::<Preferences>(&path.get_value()).await {
                Ok(p) => prefs.set(p.items),
                Err(e) => toasts.error(&e),
            }
        });
    }
    let choose = move |kind: NotificationKind, value: String| {
        let api = api.clone();
        leptos::task::spawn_local(async move {
            let body = json!({"preferences": {kind.as_str(): value}}).to_string();
            match api.request::<Preferences>("PUT", &path.get_value(), Some(body)).await {
                Ok(p) => {
                    prefs.set(p.items);
                    toasts.show("Notification settings saved", false);
                }
                Err(e) => toasts.error(&e),
            }
        });
    };
    view! {
        <h3 class="postiz-subtitle">"How I am told"</h3>
        <table class="postiz-table postiz-prefs" data-table="notification-preferences">
            <tbody>
                <For each=move || prefs.get() key=|p| (p.kind, p.delivery) let:p>
                    {
                        let choose = choose.clone();
                        let kind = p.kind;
                        view! {
                            <tr>
                                <td>{p.label.clone()}</td>
                                <td>
                                    <select
                                        class="postiz-select"
                                        aria-label=p.label.clone()
                                        data-kind=kind.as_str()
                                        on:change=move |ev| choose(kind, event_target_value(&ev))
                                    >
                                        {NotificationDelivery::ALL
                                            .into_iter()
                                            .map(|d| view! { <option value=d.as_str() selected=d == p.delivery>{d.describe()}</option> })
                                            .collect_view()}
                                    </select>
                                </td>
                            </tr>
                        }
                    }
                </For>
            </tbody>
        </table>
    }
}
