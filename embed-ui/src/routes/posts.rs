//! The posts list: every post of the workspace, dated or not, searched, filtered and sorted,
//! with checkboxes and a bulk action bar (move, duplicate, cancel, delete, add or remove a tag).
//! Filters by tag, account and author are pickers filled from the workspace's tags, accounts and
//! members (by name). Destructive actions ask first; a done move, cancel or tag change offers an
//! undo (the server's `undo` body, posted back).

use std::collections::BTreeSet;

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{Account, Api, Member, Tag, enc, ws_path};
use crate::app::{Toasts, Ws, Zone};
use crate::components::{Loading, StatusBadge};
use crate::nav::Link;
use crate::time;

/// One row of `GET /workspaces/{ws}/posts`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct PostRow {
    pub id: String,
    pub status: String,
    pub content_preview: String,
    pub scheduled_at: Option<String>,
    pub author_name: Option<String>,
    pub networks: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub updated_at: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Page {
    items: Vec<PostRow>,
    next_cursor: Option<String>,
}

/// A destructive action waiting for confirmation.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pending {
    Cancel,
    Delete,
}

/// The posts screen.
#[component]
pub fn PostsPage(ws: Ws) -> impl IntoView {
    let api = StoredValue::new(expect_context::<Api>());
    let toasts = expect_context::<Toasts>();
    let zone = StoredValue::new(expect_context::<Zone>().effective(&ws.ws));
    let ws_id = StoredValue::new(ws.id());
    let can_edit = ws.can_edit();
    let search = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let sort = RwSignal::new("created:desc".to_owned());
    let tag = RwSignal::new(String::new());
    let account = RwSignal::new(String::new());
    let author = RwSignal::new(String::new());
    let bulk_tag = RwSignal::new(String::new());
    let a = api.get_value();
    let tags = LocalResource::new(move || {
        let a = a.clone();
        let path = ws_path(&ws_id.get_value(), "/tags");
        async move { a.get::<Vec<Tag>>(&path).await }
    });
    let a = api.get_value();
    let accounts = LocalResource::new(move || {
        let a = a.clone();
        let path = ws_path(&ws_id.get_value(), "/accounts");
        async move { a.get::<Vec<Account>>(&path).await }
    });
    let a = api.get_value();
    let members = LocalResource::new(move || {
        let a = a.clone();
        let path = ws_path(&ws_id.get_value(), "/members");
        async move { a.get::<Vec<Member>>(&path).await }
    });
    let items = RwSignal::new(Vec::<PostRow>::new());
    let next = RwSignal::new(None::<String>);
    let loading = RwSignal::new(true);
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let shift = RwSignal::new("1440".to_owned());
    let pending = RwSignal::new(None::<Pending>);
    let undo = RwSignal::new(None::<(String, Value)>);
    let busy = RwSignal::new(false);

    let load = move |cursor: Option<String>| {
        loading.set(true);
        let (by, order) = sort.get_untracked().split_once(':').map(|(a, b)| (a.to_owned(), b.to_owned())).unwrap_or_default();
        let mut q = format!("?limit=50&sort={by}&order={order}");
        let s = search.get_untracked();
        if !s.trim().is_empty() {
            q.push_str(&format!("&q={}", enc(s.trim())));
        }
        let st = status.get_untracked();
        if !st.is_empty() {
            q.push_str(&format!("&status={st}"));
        }
        for (key, value) in [("tag", tag), ("account", account), ("author", author)] {
            let v = value.get_untracked();
            if !v.is_empty() {
                q.push_str(&format!("&{key}={}", enc(&v)));
            }
        }
        let more = cursor.is_some();
        if let Some(c) = cursor {
            q.push_str(&format!("&cursor={}", enc(&c)));
        }
        let api = api.get_value();
        leptos::task::spawn_local(async move {
            match api.get::<Page>(&ws_path(&ws_id.get_value(), &format!("/posts{q}"))).await {
                Ok(p) => {
                    if more {
                        items.update(|i| i.extend(p.items));
                    } else {
                        items.set(p.items);
                        selected.set(BTreeSet::new());
                    }
                    next.set(p.next_cursor);
                }
                Err(e) => toasts.error(&e),
            }
            loading.set(false);
        });
    };
    Effect::new(move |_| {
        search.track();
        status.track();
        sort.track();
        tag.track();
        account.track();
        author.track();
        load(None);
    });

    let run = move |body: Value, done: &'static str| {
        busy.set(true);
        let api = api.get_value();
        leptos::task::spawn_local(async move {
            match api.post::<Value>(&ws_path(&ws_id.get_value(), "/posts/bulk"), &body).await {
                Ok(r) => {
                    let n = r["ids"].as_array().map_or(0, Vec::len);
                    let text = format!("{done} {n} post{}", if n == 1 { "" } else { "s" });
                    match r.get("undo").filter(|u| !u.is_null()) {
                        Some(u) if done != "Undid" => undo.set(Some((text, u.clone()))),
                        _ => {
                            undo.set(None);
                            toasts.show(text, false);
                        }
                    }
                    load(None);
                }
                Err(e) => {
                    let why = e.to_string();
                    toasts.show(why, true);
                }
            }
            busy.set(false);
        });
    };
    let ids = move || selected.get_untracked().into_iter().collect::<Vec<_>>();
    let act = move |action: Value, done: &'static str| run(json!({"ids": ids(), "action": action}), done);

    let row = move |p: PostRow| {
        let id = p.id.clone();
        let id2 = p.id.clone();
        let label = format!("Select post: {}", p.content_preview.chars().take(60).collect::<String>());
        let when = p
            .scheduled_at
            .as_deref()
            .and_then(time::parse)
            .map(|ms| time::describe(&zone.get_value(), ms))
            .unwrap_or_else(|| "No date".to_owned());
        let text = if p.content_preview.is_empty() { "(no text)".to_owned() } else { p.content_preview.clone() };
        view! {
            <tr data-post=p.id.clone()>
                <td>
                    <input type="checkbox" aria-label=label
                        prop:checked=move || selected.with(|s| s.contains(&id))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            let id = id2.clone();
                            selected.update(|s| { if on { s.insert(id); } else { s.remove(&id); } });
                        }/>
                </td>
                <td class="postiz-posts-text"><Link to=format!("w/{}/posts/{}", ws_id.get_value(), p.id)>{text}</Link></td>
                <td><StatusBadge status=p.status.clone()/></td>
                <td>{when}</td>
                <td>{p.networks.join(", ")}</td>
                <td data-tags="">{
                    let ids = p.tags.clone();
                    move || {
                        let all = tags.get().and_then(Result::ok).unwrap_or_default();
                        ids.iter().filter_map(|id| all.iter().find(|t| &t.id == id).map(|t| t.name.clone())).collect::<Vec<_>>().join(", ")
                    }
                }</td>
                <td>{p.author_name.clone().unwrap_or_else(|| "Former member".to_owned())}</td>
            </tr>
        }
    };

    view! {
        <section class="postiz-posts">
            <h2 class="postiz-title">"Posts"</h2>
            <div class="postiz-posts-filters" role="search">
                <label class="postiz-field">"Search"
                    <input class="postiz-input" type="search" placeholder="Words in the post"
                        prop:value=move || search.get()
                        on:change=move |ev| search.set(event_target_value(&ev))/>
                </label>
                <label class="postiz-field">"Status"
                    <select class="postiz-select" on:change=move |ev| status.set(event_target_value(&ev))>
                        <option value="">"Any"</option>
                        <option value="draft">"Draft"</option>
                        <option value="pending_approval">"Awaiting approval"</option>
                        <option value="scheduled">"Scheduled"</option>
                        <option value="published">"Published"</option>
                        <option value="failed">"Failed"</option>
                        <option value="canceled">"Canceled"</option>
                    </select>
                </label>
                <label class="postiz-field">"Tag"
                    <select class="postiz-select" data-filter="tag" on:change=move |ev| tag.set(event_target_value(&ev))>
                        <option value="">"Any tag"</option>
                        {move || tags.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|t| {
                            let sel = tag.get_untracked() == t.id;
                            view! { <option value=t.id.clone() selected=sel>{t.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="postiz-field">"Account"
                    <select class="postiz-select" data-filter="account" on:change=move |ev| account.set(event_target_value(&ev))>
                        <option value="">"Any account"</option>
                        {move || accounts.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|a| {
                            let sel = account.get_untracked() == a.id;
                            view! { <option value=a.id.clone() selected=sel>{format!("{} · {}", crate::components::network_name(&a.network), a.label())}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="postiz-field">"Author"
                    <select class="postiz-select" data-filter="author" on:change=move |ev| author.set(event_target_value(&ev))>
                        <option value="">"Anyone"</option>
                        {move || members.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|m| {
                            let sel = author.get_untracked() == m.user_id;
                            let name = m.name.clone().unwrap_or_else(|| "A member".to_owned());
                            let name = if m.is_me { format!("{name} (you)") } else { name };
                            view! { <option value=m.user_id.clone() selected=sel>{name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label class="postiz-field">"Sort by"
                    <select class="postiz-select" on:change=move |ev| sort.set(event_target_value(&ev))>
                        <option value="created:desc">"Newest first"</option>
                        <option value="created:asc">"Oldest first"</option>
                        <option value="scheduled:asc">"Scheduled time, soonest first"</option>
                        <option value="scheduled:desc">"Scheduled time, latest first"</option>
                        <option value="updated:desc">"Recently changed"</option>
                    </select>
                </label>
            </div>
            {move || (can_edit && !selected.with(BTreeSet::is_empty)).then(|| {
                let n = selected.with(BTreeSet::len);
                view! {
                    <div class="postiz-bulk-bar" role="toolbar" aria-label="Actions on the selected posts">
                        <span>{format!("{n} selected")}</span>
                        <label class="postiz-field">"Move by"
                            <select class="postiz-select" on:change=move |ev| shift.set(event_target_value(&ev))>
                                <option value="1440">"1 day later"</option>
                                <option value="60">"1 hour later"</option>
                                <option value="10080">"1 week later"</option>
                                <option value="-60">"1 hour earlier"</option>
                                <option value="-1440">"1 day earlier"</option>
                            </select>
                        </label>
                        <button class="postiz-btn" disabled=move || busy.get()
                            on:click=move |_| act(json!({"kind": "move", "by_minutes": shift.get_untracked().parse::<i64>().unwrap_or(1440)}), "Moved")>"Move"</button>
                        <button class="postiz-btn" disabled=move || busy.get()
                            on:click=move |_| act(json!({"kind": "duplicate"}), "Duplicated")>"Duplicate"</button>
                        <label class="postiz-field">"Tag to add or remove"
                            <select class="postiz-select" data-bulk="tag" on:change=move |ev| bulk_tag.set(event_target_value(&ev))>
                                <option value="" selected=move || bulk_tag.with(String::is_empty)>"Choose a tag"</option>
                                {move || tags.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|t| {
                                    let sel = bulk_tag.get_untracked() == t.id;
                                    view! { <option value=t.id.clone() selected=sel>{t.name.clone()}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                        <button class="postiz-btn" disabled=move || busy.get() || bulk_tag.with(String::is_empty)
                            on:click=move |_| act(json!({"kind": "add_tag", "tag_id": bulk_tag.get_untracked()}), "Tagged")>"Add tag"</button>
                        <button class="postiz-btn" disabled=move || busy.get() || bulk_tag.with(String::is_empty)
                            on:click=move |_| act(json!({"kind": "remove_tag", "tag_id": bulk_tag.get_untracked()}), "Untagged")>"Remove tag"</button>
                        <button class="postiz-btn" disabled=move || busy.get() on:click=move |_| pending.set(Some(Pending::Cancel))>"Cancel posts"</button>
                        <button class="postiz-btn postiz-btn-danger" disabled=move || busy.get() on:click=move |_| pending.set(Some(Pending::Delete))>"Delete"</button>
                    </div>
                }
            })}
            {move || pending.get().map(|p| {
                let n = selected.with_untracked(BTreeSet::len);
                let (posts, they, them) = if n == 1 { ("1 post".to_owned(), "It", "Keep it") } else { (format!("{n} posts"), "They", "Keep them") };
                let (question, yes) = match p {
                    Pending::Cancel => (format!("Cancel {posts}? {they} will not go out; you can undo this right after."), "Cancel posts"),
                    Pending::Delete => (format!("Delete {posts}? This cannot be undone."), "Delete for good"),
                };
                view! {
                    <div class="postiz-confirm" role="alertdialog" aria-modal="true" aria-labelledby="postiz-confirm-q">
                        <p id="postiz-confirm-q">{question}</p>
                        <button class="postiz-btn postiz-btn-danger" on:click=move |_| {
                            pending.set(None);
                            match p {
                                Pending::Cancel => act(json!({"kind": "cancel"}), "Canceled"),
                                Pending::Delete => act(json!({"kind": "delete"}), "Deleted"),
                            }
                        }>{yes}</button>
                        <button class="postiz-btn" on:click=move |_| pending.set(None)>{them}</button>
                    </div>
                }
            })}
            {move || undo.get().map(|(text, body)| view! {
                <div class="postiz-undo" role="status">
                    <span>{text}</span>
                    <button class="postiz-btn" on:click=move |_| { undo.set(None); run(body.clone(), "Undid"); }>"Undo"</button>
                    <button class="postiz-btn" aria-label="Dismiss" on:click=move |_| undo.set(None)>"×"</button>
                </div>
            })}
            <table class="postiz-table" data-table="posts">
                <thead><tr>
                    <th><span class="postiz-sr-only">"Selected"</span></th>
                    <th>"Post"</th><th>"Status"</th><th>"When"</th><th>"Networks"</th><th>"Tags"</th><th>"Author"</th>
                </tr></thead>
                <tbody>
                    <For each=move || items.get() key=|p| (p.id.clone(), p.updated_at.clone(), p.status.clone(), p.tags.clone()) children=row/>
                </tbody>
            </table>
            {move || (!loading.get() && items.with(Vec::is_empty)).then(|| view! {
                <div class="postiz-empty">{move || if search.with(|s| s.trim().is_empty()) && [status, tag, account, author].iter().all(|f| f.with(String::is_empty)) {
                    "No posts yet. Write one with New post."
                } else {
                    "No post matches this search."
                }}</div>
            })}
            {move || loading.get().then(|| view! { <Loading/> })}
            {move || next.get().map(|c| view! { <button class="postiz-btn" on:click=move |_| load(Some(c.clone()))>"More"</button> })}
        </section>
    }
}
