//! The composer: accounts, global text with per-network overrides, live per-network counters and
//! previews from the networks' rules, thread items, media, tags, and a schedule (once,
//! recurring, evergreen, next free slot); save as draft, schedule, or post now. Server
//! validation errors appear next to the field they name.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde_json::{Value, json};

use postiz_domain::{DevToSettings, NetworkSettings, TikTokSettings, YouTubeSettings};

use crate::api::{Account, Api, NetworkInfo, Post, Tag, UiError, ws_path};
use crate::app::{Toasts, Ws, Zone};
use crate::components::{ErrorBox, FieldMessage, Loading, NetworkBadge, network_name};
use crate::count::count;
use crate::nav::Nav;
use crate::routes::media::MediaPicker;
use crate::routes::network_settings::{DevToSection, TikTokSection, YouTubeSection};
use crate::time;

/// Everything the form holds.
#[derive(Clone, Copy)]
struct Form {
    targets: RwSignal<Vec<String>>,
    text: RwSignal<String>,
    overrides: RwSignal<BTreeMap<String, String>>,
    thread: RwSignal<Vec<String>>,
    tags: RwSignal<Vec<String>>,
    media: RwSignal<Vec<String>>,
    /// The post's own alt text per attached media id (absent: the library's default).
    alts: RwSignal<BTreeMap<String, String>>,
    /// Instagram's post type (`feed`, `reel`, `story`; `InstagramPostType` on the server).
    ig_post_type: RwSignal<String>,
    /// TikTok's settings (privacy level unset until the person chooses one).
    tiktok: RwSignal<TikTokSettings>,
    /// YouTube's settings.
    youtube: RwSignal<YouTubeSettings>,
    /// dev.to's settings.
    devto: RwSignal<DevToSettings>,
    mode: RwSignal<String>,
    at: RwSignal<String>,
    freq: RwSignal<String>,
    pool_tag: RwSignal<String>,
    error: RwSignal<Option<UiError>>,
    busy: RwSignal<bool>,
}

impl Form {
    fn new() -> Self {
        Form {
            targets: RwSignal::new(vec![]),
            text: RwSignal::new(String::new()),
            overrides: RwSignal::new(BTreeMap::new()),
            thread: RwSignal::new(vec![]),
            tags: RwSignal::new(vec![]),
            media: RwSignal::new(vec![]),
            alts: RwSignal::new(BTreeMap::new()),
            ig_post_type: RwSignal::new("feed".into()),
            tiktok: RwSignal::new(TikTokSettings::default()),
            youtube: RwSignal::new(YouTubeSettings::default()),
            devto: RwSignal::new(DevToSettings::default()),
            mode: RwSignal::new("once".into()),
            at: RwSignal::new(String::new()),
            freq: RwSignal::new("WEEKLY".into()),
            pool_tag: RwSignal::new(String::new()),
            error: RwSignal::new(None),
            busy: RwSignal::new(false),
        }
    }

    fn fill(&self, post: &Post, zone: &str) {
        self.targets.set(post.targets.iter().map(|t| t.account.id.clone()).collect());
        self.text.set(post.content.clone());
        self.overrides.set(post.variants.iter().filter_map(|(n, v)| v.text.clone().map(|t| (n.clone(), t))).collect());
        let thread: Vec<String> = post
            .variants
            .values()
            .next()
            .map(|v| v.thread.iter().filter_map(|i| i.get("text").and_then(Value::as_str).map(str::to_owned)).collect())
            .unwrap_or_default();
        self.thread.set(thread);
        let ig = post.variants.get("instagram").and_then(|v| v.settings.get("post_type")).and_then(Value::as_str).unwrap_or("feed");
        self.ig_post_type.set(ig.to_owned());
        // Stored settings are the API's own types; a variant without them keeps the defaults.
        let settings = |n: &str| post.variants.get(n).map(|v| v.settings.clone()).filter(|v| v.get("network").is_some());
        if let Some(s) = settings("tiktok").and_then(|v| serde_json::from_value::<TikTokSettings>(v).ok()) {
            self.tiktok.set(s);
        }
        if let Some(s) = settings("youtube").and_then(|v| serde_json::from_value::<YouTubeSettings>(v).ok()) {
            self.youtube.set(s);
        }
        if let Some(s) = settings("devto").and_then(|v| serde_json::from_value::<DevToSettings>(v).ok()) {
            self.devto.set(s);
        }
        self.tags.set(post.tags.iter().map(|t| t.id.clone()).collect());
        self.media.set(post.media.iter().map(|m| m.id.clone()).collect());
        self.alts.set(post.media.iter().filter_map(|m| m.alt.clone().map(|a| (m.id.clone(), a))).collect());
        match &post.schedule {
            Some(s) if s.kind == "recurring" => {
                self.mode.set("recurring".into());
                if let Some(ms) = s.starts_at.as_deref().and_then(time::parse) {
                    self.at.set(time::to_input(zone, ms));
                }
                if let Some(f) = s.rrule.as_deref().and_then(|r| r.split(';').find_map(|p| p.strip_prefix("FREQ="))) {
                    self.freq.set(f.to_owned());
                }
            }
            _ => {
                if let Some(ms) = post.scheduled_at.as_deref().and_then(time::parse) {
                    self.at.set(time::to_input(zone, ms));
                } else {
                    self.mode.set("none".into());
                }
            }
        }
    }

    /// The selected networks, in display order.
    fn networks(&self, accounts: &[Account]) -> Vec<String> {
        let sel = self.targets.get();
        let mut n: Vec<String> = accounts.iter().filter(|a| sel.contains(&a.id)).map(|a| a.network.clone()).collect();
        n.sort();
        n.dedup();
        n
    }

    /// The schedule part of the body, or a field error.
    fn schedule(&self, zone: &str, now_mode: bool) -> Result<Value, UiError> {
        let field_err = |field: &str, message: &str| UiError::Validation {
            message: format!("{field}: {message}"),
            fields: vec![crate::api::FieldError { field: field.into(), message: message.into() }],
        };
        if now_mode {
            return Ok(json!({ "kind": "once", "at": time::iso(time::now() + 10_000.0), "time_zone": zone }));
        }
        let at = || time::from_input(zone, &self.at.get_untracked()).ok_or_else(|| field_err("schedule.at", "pick a date and time"));
        Ok(match self.mode.get_untracked().as_str() {
            "none" => Value::Null,
            "recurring" => {
                let start = at()?;
                let w = time::wall(zone, start);
                let mut rule = format!("FREQ={};BYHOUR={};BYMINUTE={}", self.freq.get_untracked(), w.minute / 60, w.minute % 60);
                if self.freq.get_untracked() == "WEEKLY" {
                    let day = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][time::weekday(w.day)];
                    rule = format!("FREQ=WEEKLY;BYDAY={day};BYHOUR={};BYMINUTE={}", w.minute / 60, w.minute % 60);
                }
                json!({ "kind": "recurring", "starts_at": time::iso(start), "rrule": rule, "time_zone": zone })
            }
            "evergreen" => {
                let tag = self.pool_tag.get_untracked();
                if tag.is_empty() {
                    return Err(field_err("schedule.tag_id", "pick the evergreen pool's tag"));
                }
                let start = at().unwrap_or_else(|_| time::now() + 3_600_000.0);
                let w = time::wall(zone, start);
                json!({ "kind": "evergreen", "tag_id": tag, "starts_at": time::iso(start), "time_zone": zone,
                        "rrule": format!("FREQ={};BYHOUR={};BYMINUTE={}", self.freq.get_untracked(), w.minute / 60, w.minute % 60) })
            }
            _ => json!({ "kind": "once", "at": time::iso(at()?), "time_zone": zone }),
        })
    }

    fn body(&self, networks: &[NetworkInfo], accounts: &[Account], zone: &str, now_mode: bool) -> Result<Value, UiError> {
        let thread = self.thread.get_untracked();
        let overrides = self.overrides.get_untracked();
        let mut variants = serde_json::Map::new();
        for n in self.networks(accounts) {
            let supports_thread = networks.iter().find(|i| i.network == n).is_some_and(|i| i.rules.thread.supported);
            let mut v = serde_json::Map::new();
            if let Some(t) = overrides.get(&n) {
                v.insert("text".into(), json!(t));
            }
            if supports_thread && !thread.is_empty() {
                v.insert("thread".into(), json!(thread.iter().map(|t| json!({ "text": t })).collect::<Vec<_>>()));
            }
            let ig = self.ig_post_type.get_untracked();
            if n == "instagram" && ig != "feed" {
                v.insert("settings".into(), json!({ "network": "instagram", "post_type": ig }));
            }
            let typed = match n.as_str() {
                "tiktok" => Some(NetworkSettings::TikTok(self.tiktok.get_untracked())),
                "youtube" => Some(NetworkSettings::YouTube(self.youtube.get_untracked())),
                "devto" => Some(NetworkSettings::DevTo(self.devto.get_untracked())),
                _ => None,
            };
            if let Some(settings) = typed.and_then(|t| serde_json::to_value(t).ok()) {
                v.insert("settings".into(), settings);
            }
            if !v.is_empty() {
                variants.insert(n, Value::Object(v));
            }
        }
        Ok(json!({
            "content": self.text.get_untracked(),
            "targets": self.targets.get_untracked(),
            "tags": self.tags.get_untracked(),
            "media": self.alts.with_untracked(|alts| self.media.get_untracked().into_iter().map(|id| match alts.get(&id) {
                Some(alt) => json!({ "id": id, "alt": alt }),
                None => json!(id),
            }).collect::<Vec<_>>()),
            "variants": variants,
            "schedule": self.schedule(zone, now_mode)?,
        }))
    }
}

/// The composer screen (new post, or `edit` an existing one).
#[component]
pub fn ComposerPage(ws: Ws, edit: Option<String>) -> impl IntoView {
    let api = expect_context::<Api>();
    let zone_ctx = expect_context::<Zone>();
    if !ws.can_edit() {
        return view! { <div class="postiz-empty" data-denied="1">"Your role in this workspace can view posts but not write them."</div> }
            .into_any();
    }
    let zone = zone_ctx.effective(&ws.ws);
    let ws = StoredValue::new(ws);
    let edit = StoredValue::new(edit);
    let a = api.clone();
    let loaded = LocalResource::new(move || {
        let a = a.clone();
        let id = ws.with_value(Ws::id);
        let edit = edit.get_value();
        async move {
            let accounts = a.get::<Vec<Account>>(&ws_path(&id, "/accounts")).await?;
            let networks = a.get::<Vec<NetworkInfo>>("/networks").await?;
            let tags = a.get::<Vec<Tag>>(&ws_path(&id, "/tags")).await?;
            let post = match edit {
                Some(p) => Some(a.get::<Post>(&ws_path(&id, &format!("/posts/{p}"))).await?),
                None => None,
            };
            Ok::<_, UiError>((accounts, networks, tags, post))
        }
    });
    view! {
        <section class="postiz-composer">
            <Transition fallback=|| view! { <Loading/> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorBox errors=errors/> }>
                    {
                        let zone = zone.clone();
                        move || {
                            let zone = zone.clone();
                            // Read before awaiting (the screen may be gone by then).
                            let ws = ws.get_value();
                            Suspend::new(async move {
                                let (accounts, networks, tags, post) = loaded.await?;
                                let form = Form::new();
                                match &post {
                                    Some(p) => form.fill(p, &zone),
                                    None => form.at.set(time::to_input(&zone, time::now() + 3_600_000.0)),
                                }
                                Ok::<_, UiError>(view! {
                                    <ComposerForm ws=ws form accounts networks tags post zone=zone.clone()/>
                                })
                            })
                        }
                    }
                </ErrorBoundary>
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn ComposerForm(
    ws: Ws,
    form: Form,
    accounts: Vec<Account>,
    networks: Vec<NetworkInfo>,
    tags: Vec<Tag>,
    post: Option<Post>,
    zone: String,
) -> impl IntoView {
    let api = expect_context::<Api>();
    let nav = expect_context::<Nav>();
    let toasts = expect_context::<Toasts>();
    let accounts = StoredValue::new(accounts);
    let networks = StoredValue::new(networks);
    let tags = StoredValue::new(tags);
    let zone = StoredValue::new(zone);
    let editing = post.as_ref().map(|p| p.id.clone());
    let editing = StoredValue::new(editing);
    let ws_id = ws.id();
    let ws_sv = StoredValue::new(ws_id.clone());
    let api_sv = StoredValue::new(api.clone());

    let submit = move |status: &'static str| {
        let now_mode = status == "now";
        let body = accounts.with_value(|acc| networks.with_value(|nets| form.body(nets, acc, &zone.get_value(), now_mode)));
        let mut body = match body {
            Ok(b) => b,
            Err(e) => {
                form.error.set(Some(e));
                return;
            }
        };
        if status == "scheduled" && body["schedule"].is_null() {
            form.error.set(Some(UiError::Validation {
                message: "schedule: pick when to publish".into(),
                fields: vec![crate::api::FieldError { field: "schedule".into(), message: "pick when to publish, or save a draft".into() }],
            }));
            return;
        }
        let api = api_sv.get_value();
        let ws_id = ws_sv.get_value();
        form.busy.set(true);
        form.error.set(None);
        leptos::task::spawn_local(async move {
            let result = match editing.get_value() {
                Some(id) => api.patch::<Post>(&ws_path(&ws_id, &format!("/posts/{id}")), &body).await,
                None => {
                    body["status"] = json!(if status == "now" { "scheduled" } else { status });
                    api.post::<Post>(&ws_path(&ws_id, "/posts"), &body).await
                }
            };
            form.busy.set(false);
            match result {
                Ok(p) => {
                    toasts.show(
                        match status {
                            "draft" => "Draft saved",
                            "now" => "Publishing now",
                            _ => "Scheduled",
                        },
                        false,
                    );
                    nav.go(&format!("w/{ws_id}/posts/{}", p.id));
                }
                Err(e) => {
                    if !matches!(e, UiError::Validation { .. }) {
                        toasts.error(&e);
                    }
                    form.error.set(Some(e));
                }
            }
        });
    };

    let account_picker = move || {
        accounts.with_value(|acc| {
            if acc.is_empty() {
                return view! { <p class="postiz-hint">"No accounts connected yet. Connect one under Accounts."</p> }.into_any();
            }
            acc.iter()
                .map(|a| {
                    let id = StoredValue::new(a.id.clone());
                    let id2 = a.id.clone();
                    let selected = move || id.with_value(|id| form.targets.with(|t| t.contains(id)));
                    let reconnect = a.status == "needs_reconnect";
                    view! {
                        <button
                            type="button"
                            class=move || { if selected() { "postiz-pick postiz-pick-on" } else { "postiz-pick" } }
                            data-account=a.id.clone()
                            data-network=a.network.clone()
                            aria-pressed=move || selected().to_string()
                            on:click=move |_| form.targets.update(|t| if let Some(i) = t.iter().position(|x| *x == id2) { t.remove(i); } else { t.push(id2.clone()); })
                        >
                            <NetworkBadge network=a.network.clone()/>
                            {a.label()}
                            {reconnect.then(|| view! { <span class="postiz-badge postiz-status-failed">"reconnect"</span> })}
                        </button>
                    }
                })
                .collect_view()
                .into_any()
        })
    };

    let network_panels = move || {
        let nets = accounts.with_value(|acc| form.networks(acc));
        nets.into_iter()
            .map(|n| {
                let info = networks.with_value(|all| all.iter().find(|i| i.network == n).cloned());
                let (max, counting, max_items) = info
                    .as_ref()
                    .map(|i| (i.rules.text.max_length as usize, i.rules.text.counting.clone(), i.rules.thread.max_items))
                    .unwrap_or((usize::MAX, "graphemes".into(), None));
                let supports_thread = info.as_ref().is_some_and(|i| i.rules.thread.supported);
                let n_sv = StoredValue::new(n.clone());
                let n3 = n.clone();
                let n4 = n.clone();
                let overridden = move || n_sv.with_value(|n1| form.overrides.with(|o| o.contains_key(n1)));
                let effective = move || n_sv.with_value(|n2| form.overrides.with(|o| o.get(n2).cloned())).unwrap_or_else(|| form.text.get());
                let counting_sv = StoredValue::new(counting.clone());
                let used = move || counting_sv.with_value(|c| count(&effective(), c));
                let prefix: &'static str = Box::leak(format!("variants.{n}").into_boxed_str());
                let settings_prefix: &'static str = Box::leak(format!("variants.{n}.settings").into_boxed_str());
                let handle = accounts.with_value(|acc| {
                    let sel = form.targets.get_untracked();
                    acc.iter().find(|a| a.network == n && sel.contains(&a.id)).map(Account::label).unwrap_or_default()
                });
                view! {
                    <div class="postiz-variant" data-network=n.clone()>
                        <div class="postiz-variant-head">
                            <NetworkBadge network=n.clone()/>
                            <strong>{network_name(&n)}</strong>
                            <span
                                class=move || { if used() > max { "postiz-counter postiz-over" } else { "postiz-counter" } }
                                data-counter=n.clone()
                            >
                                {move || if max == usize::MAX { format!("{}", used()) } else { format!("{} / {max}", used()) }}
                            </span>
                            <button type="button" class="postiz-btn postiz-btn-small" data-customize=n.clone()
                                on:click=move |_| {
                                    let text = form.text.get_untracked();
                                    form.overrides.update(|o| if o.remove(&n3).is_none() { o.insert(n3.clone(), text); });
                                }>
                                {move || if overridden() { "Back to global text" } else { "Customize" }}
                            </button>
                        </div>
                        {move || overridden().then(|| {
                            let n5 = n4.clone();
                            let n6 = n4.clone();
                            view! {
                                <textarea class="postiz-textarea" data-override=n4.clone() rows="3"
                                    aria-label=format!("Text for {}", network_name(&n4))
                                    prop:value=move || form.overrides.with(|o| o.get(&n5).cloned().unwrap_or_default())
                                    on:input=move |ev| { let v = event_target_value(&ev); form.overrides.update(|o| { o.insert(n6.clone(), v); }); }
                                ></textarea>
                            }
                        })}
                        {(n == "instagram").then(|| view! {
                            <label class="postiz-label">"Post type"
                                <select class="postiz-select" data-field="variants.instagram.settings.post_type"
                                    on:change=move |ev| form.ig_post_type.set(event_target_value(&ev))>
                                    <option value="feed" selected=move || form.ig_post_type.get() == "feed">"Feed post"</option>
                                    <option value="reel" selected=move || form.ig_post_type.get() == "reel">"Reel (one video)"</option>
                                    <option value="story" selected=move || form.ig_post_type.get() == "story">"Story (one 9:16 image or video, 24 h)"</option>
                                </select>
                            </label>
                            {move || (form.ig_post_type.get() == "story").then(|| view! {
                                <p class="postiz-hint">"Stories have no caption: the text is not published. Videos up to 60 s."</p>
                            })}
                        })}
                        {(n == "tiktok").then(|| {
                            let account = accounts.with_value(|acc| {
                                let sel = form.targets.get_untracked();
                                acc.iter().find(|a| a.network == "tiktok" && sel.contains(&a.id)).map(|a| a.id.clone())
                            });
                            view! { <TikTokSection ws=ws_sv.get_value() account settings=form.tiktok error=form.error/> }
                        })}
                        {(n == "youtube").then(|| view! { <YouTubeSection settings=form.youtube error=form.error/> })}
                        {(n == "devto").then(|| view! { <DevToSection settings=form.devto error=form.error/> })}
                        <div class="postiz-preview" data-preview=n_sv.get_value()>
                            <div class="postiz-preview-handle">{handle}</div>
                            <div class="postiz-preview-text">{effective}</div>
                            {move || {
                                let items = form.thread.get();
                                if !supports_thread && !items.is_empty() {
                                    return view! { <div class="postiz-hint">{format!("{} does not publish threads: replies are left out.", network_name(&n_sv.get_value()))}</div> }.into_any();
                                }
                                let over_items = max_items.is_some_and(|m| items.len() as u32 > m);
                                let counting = counting.clone();
                                view! {
                                    {items.into_iter().enumerate().map(|(i, t)| {
                                        let c = count(&t, &counting);
                                        let class = if c > max { "postiz-preview-reply postiz-over" } else { "postiz-preview-reply" };
                                        view! { <div class=class>{format!("↳ {} ({c}/{max})", t)}{(i == 0 && over_items).then_some(" — too many replies")}</div> }
                                    }).collect_view()}
                                }.into_any()
                            }}
                        </div>
                        // TikTok's, YouTube's and dev.to's settings show their errors under their own controls.
                        <FieldMessage error=form.error prefixes=vec![prefix]
                            except=if matches!(n_sv.get_value().as_str(), "tiktok" | "youtube" | "devto") { vec![settings_prefix] } else { vec![] }/>
                    </div>
                }
            })
            .collect_view()
    };

    let tag_picker = move || {
        tags.with_value(|all| {
            all.iter()
                .map(|t| {
                    let id = t.id.clone();
                    let id2 = id.clone();
                    let on = move || form.tags.with(|l| l.contains(&id));
                    let style = t.color.clone().map(|c| format!("border-color: {c}")).unwrap_or_default();
                    view! {
                        <button type="button" style=style class=move || { if on() { "postiz-pick postiz-pick-on" } else { "postiz-pick" } }
                            on:click=move |_| form.tags.update(|l| if let Some(i) = l.iter().position(|x| *x == id2) { l.remove(i); } else { l.push(id2.clone()); })>
                            {t.name.clone()}
                        </button>
                    }
                })
                .collect_view()
        })
    };

    let api2 = expect_context::<Api>();
    let ws_for_slot = ws_id.clone();
    let next_slot = move |_| {
        let Some(account) = form.targets.get_untracked().first().cloned() else {
            toasts.show("Pick an account first: slots are per account.", true);
            return;
        };
        let api = api2.clone();
        let ws_id = ws_for_slot.clone();
        leptos::task::spawn_local(async move {
            match api.get::<crate::api::NextSlot>(&ws_path(&ws_id, &format!("/accounts/{account}/next-slot"))).await {
                Ok(s) => match s.at.as_deref().and_then(time::parse) {
                    Some(ms) => {
                        form.mode.set("once".into());
                        // The composer may be gone by now: nothing to fill then.
                        if let Some(z) = zone.try_get_value() {
                            form.at.set(time::to_input(&z, ms));
                        }
                    }
                    None if s.slots == 0 => toasts.show("This account has no posting times yet (Accounts → Time slots).", true),
                    None => toasts.show("Every slot in the next weeks is taken.", true),
                },
                Err(e) => toasts.error(&e),
            }
        });
    };

    let mode_radio = move |value: &'static str, label: &'static str| {
        view! {
            <label class="postiz-radio">
                <input type="radio" name="postiz-schedule" value=value
                    prop:checked=move || form.mode.get() == value
                    on:change=move |_| form.mode.set(value.into())/>
                {label}
            </label>
        }
    };

    let is_edit = editing.with_value(Option::is_some);
    view! {
        <form class="postiz-form" on:submit=move |ev| ev.prevent_default()>
            <h2 class="postiz-title">{if is_edit { "Edit post" } else { "New post" }}</h2>
            <FieldMessage error=form.error prefixes=vec!["body"]/>
            <fieldset class="postiz-fieldset" data-section="accounts">
                <legend>"Publish to"</legend>
                <div class="postiz-picks">{account_picker}</div>
                <FieldMessage error=form.error prefixes=vec!["targets"]/>
            </fieldset>
            <fieldset class="postiz-fieldset" data-section="text">
                <legend>"Text (every network)"</legend>
                <textarea class="postiz-textarea" data-field="content" rows="5" placeholder="What do you want to share?"
                    prop:value=move || form.text.get()
                    on:input=move |ev| form.text.set(event_target_value(&ev))></textarea>
                <FieldMessage error=form.error prefixes=vec!["content"]/>
                <div class="postiz-thread">
                    <For each=move || { let v: Vec<usize> = (0..form.thread.with(Vec::len)).collect(); v } key=|i| *i let:i>
                        <div class="postiz-thread-item">
                            <textarea class="postiz-textarea" rows="2" data-thread=i
                                prop:value=move || form.thread.with(|t| t.get(i).cloned().unwrap_or_default())
                                on:input=move |ev| { let v = event_target_value(&ev); form.thread.update(|t| if let Some(x) = t.get_mut(i) { *x = v; }); }></textarea>
                            <button type="button" class="postiz-btn postiz-btn-small" on:click=move |_| form.thread.update(|t| { if i < t.len() { t.remove(i); } })>"Remove"</button>
                        </div>
                    </For>
                    <button type="button" class="postiz-btn postiz-btn-small" data-action="add-thread" on:click=move |_| form.thread.update(|t| t.push(String::new()))>"+ Thread reply"</button>
                </div>
            </fieldset>
            <fieldset class="postiz-fieldset" data-section="networks">
                <legend>"Per network"</legend>
                {network_panels}
            </fieldset>
            <fieldset class="postiz-fieldset" data-section="media">
                <legend>"Media"</legend>
                <MediaPicker ws=ws_id.clone() selected=form.media alts=form.alts/>
                <FieldMessage error=form.error prefixes=vec!["media"]/>
            </fieldset>
            <fieldset class="postiz-fieldset" data-section="tags">
                <legend>"Tags"</legend>
                <div class="postiz-picks">{tag_picker}</div>
                <FieldMessage error=form.error prefixes=vec!["tags"]/>
            </fieldset>
            <fieldset class="postiz-fieldset" data-section="schedule">
                <legend>"When"</legend>
                <div class="postiz-picks">
                    {mode_radio("once", "Once")}
                    {mode_radio("recurring", "Recurring")}
                    {mode_radio("evergreen", "Evergreen")}
                    {mode_radio("none", "No date")}
                    <button type="button" class="postiz-btn postiz-btn-small" data-action="next-slot" on:click=next_slot>"Next free slot"</button>
                </div>
                {move || (form.mode.get() != "none").then(|| view! {
                    <label class="postiz-label">{move || format!("Date and time ({})", zone.get_value())}
                        <input type="datetime-local" class="postiz-input" data-field="schedule.at"
                            prop:value=move || form.at.get()
                            on:input=move |ev| form.at.set(event_target_value(&ev))/>
                    </label>
                })}
                {move || matches!(form.mode.get().as_str(), "recurring" | "evergreen").then(|| view! {
                    <label class="postiz-label">"Repeat"
                        <select class="postiz-select" on:change=move |ev| form.freq.set(event_target_value(&ev))>
                            <option value="DAILY" selected=move || form.freq.get() == "DAILY">"Every day"</option>
                            <option value="WEEKLY" selected=move || form.freq.get() == "WEEKLY">"Every week"</option>
                            <option value="MONTHLY" selected=move || form.freq.get() == "MONTHLY">"Every month"</option>
                        </select>
                    </label>
                })}
                {move || (form.mode.get() == "evergreen").then(|| view! {
                    <label class="postiz-label">"Pool tag"
                        <select class="postiz-select" on:change=move |ev| form.pool_tag.set(event_target_value(&ev))>
                            <option value="">"Pick a tag"</option>
                            {tags.with_value(|t| t.iter().map(|t| view! { <option value=t.id.clone()>{t.name.clone()}</option> }).collect_view())}
                        </select>
                    </label>
                })}
                <FieldMessage error=form.error prefixes=vec!["schedule"]/>
            </fieldset>
            <div class="postiz-actions">
                <button type="button" class="postiz-btn" data-action="draft" disabled=move || form.busy.get() on:click=move |_| submit("draft")>
                    {if is_edit { "Save changes" } else { "Save draft" }}
                </button>
                {(!is_edit).then(|| view! {
                    <button type="button" class="postiz-btn postiz-btn-primary" data-action="schedule" disabled=move || form.busy.get() on:click=move |_| submit("scheduled")>"Schedule"</button>
                    <button type="button" class="postiz-btn" data-action="now" disabled=move || form.busy.get() on:click=move |_| submit("now")>"Post now"</button>
                })}
            </div>
            {move || form.error.get().filter(|e| e.fields().is_empty()).map(|e| view! { <div class="postiz-error" role="alert">{e.to_string()}</div> })}
        </form>
    }
}
