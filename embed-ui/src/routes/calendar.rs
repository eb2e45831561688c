//! The calendar: day, week, month and list views in the workspace zone (or the user's
//! override), filters by account, tag and status, drag-and-drop rescheduling that refuses the
//! past, recurring occurrences, failed and unconfirmed posts standing out.
//!
//! Speed: the answer is split once into one signal per cell holding its posts; a drag moves a
//! post between two cells' signals, so only those two cells update. A month cell shows the first
//! few posts and a "+N more" link, so a month with thousands of posts is a few hundred nodes.

use std::collections::HashMap;
use std::sync::Arc;

use leptos::prelude::*;

use crate::api::{Account, Api, Calendar, CalendarEntry, Tag, UiError, enc, ws_path};
use crate::app::{Toasts, Ws, Zone};
use crate::components::{ErrorBox, Loading, NetworkBadge};
use crate::live;
use crate::nav::{Link, Nav, param_of};
use crate::time;

/// Posts shown per month cell before "+N more".
const MONTH_CELL_LIMIT: usize = 3;
/// Rows per list page.
const LIST_PAGE: usize = 200;
/// The module width (px) below which the day and week views are an agenda instead of a grid.
const AGENDA_BELOW: i32 = 600;
/// Where the day and week views open (scrolled), unless something is earlier.
const WORKING_HOURS_START: i64 = 8;

/// The zones offered as a per-user override: the browser's zone and UTC first, then every zone
/// the browser knows (a short list where it cannot say), without the workspace's own zone (the
/// "no override" entry) and without repeats.
fn override_zones(workspace_zone: &str) -> Vec<String> {
    let known = time::supported_zones().unwrap_or_else(|| {
        ["America/New_York", "America/Los_Angeles", "Europe/London", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland"]
            .map(String::from)
            .to_vec()
    });
    let mut zones = vec![time::browser_zone(), "UTC".to_owned()];
    zones.extend(known);
    let mut seen = std::collections::HashSet::new();
    zones.retain(|z| z != workspace_zone && seen.insert(z.clone()));
    zones
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Day,
    Week,
    Month,
    List,
}

impl Kind {
    fn parse(s: Option<String>) -> Kind {
        match s.as_deref() {
            Some("day") => Kind::Day,
            Some("month") => Kind::Month,
            Some("list") => Kind::List,
            _ => Kind::Week,
        }
    }
    fn as_str(self) -> &'static str {
        match self {
            Kind::Day => "day",
            Kind::Week => "week",
            Kind::Month => "month",
            Kind::List => "list",
        }
    }
    /// Cells are hours (day, week) or days (month, list).
    fn hourly(self) -> bool {
        matches!(self, Kind::Day | Kind::Week)
    }
}

/// First day and number of days shown.
fn window(kind: Kind, anchor: i64) -> (i64, i64) {
    match kind {
        Kind::Day => (anchor, 1),
        Kind::Week => (anchor - time::weekday(anchor) as i64, 7),
        Kind::Month => {
            let first = time::month_start(anchor);
            (first - time::weekday(first) as i64, 42)
        }
        Kind::List => (time::month_start(anchor), time::add_months(time::month_start(anchor), 1) - time::month_start(anchor)),
    }
}

/// One thing on the board. `at` moves when it is dragged.
#[derive(Debug)]
struct Item {
    key: String,
    entry: CalendarEntry,
    at: RwSignal<f64>,
}

impl Item {
    fn draggable(&self) -> bool {
        self.entry.kind == "post"
            && self.entry.post_id.is_some()
            && matches!(self.entry.post_status.as_deref(), Some("scheduled" | "draft" | "pending_approval"))
    }
    fn attention(&self) -> Option<&'static str> {
        let status = self.entry.post_status.as_deref().unwrap_or("");
        if status == "failed" || self.entry.targets.iter().any(|t| t.status == "failed") {
            Some("failed")
        } else if self.entry.targets.iter().any(|t| t.status == "unconfirmed") {
            Some("unconfirmed")
        } else {
            None
        }
    }
}

/// Cells and where each item is.
#[derive(Clone, Copy)]
struct Board {
    cells: StoredValue<HashMap<i64, RwSignal<Vec<Arc<Item>>>>>,
    index: StoredValue<HashMap<String, (i64, Arc<Item>)>>,
    hourly: bool,
    zone: StoredValue<String>,
    /// Bumped by every [`Board::patch`], so replaced items get keys of their own.
    revision: StoredValue<u64>,
}

impl Board {
    fn cell_of(&self, ms: f64) -> i64 {
        let w = self.zone.with_value(|z| time::wall(z, ms));
        if self.hourly { w.day * 24 + w.minute / 60 } else { w.day }
    }

    fn build(entries: Vec<CalendarEntry>, hourly: bool, zone: &str, cell_keys: &[i64]) -> Board {
        let board = Board {
            cells: StoredValue::new(HashMap::new()),
            index: StoredValue::new(HashMap::new()),
            hourly,
            zone: StoredValue::new(zone.to_owned()),
            revision: StoredValue::new(0),
        };
        let mut cells: HashMap<i64, Vec<Arc<Item>>> = cell_keys.iter().map(|k| (*k, Vec::new())).collect();
        let mut index = HashMap::with_capacity(entries.len());
        for (i, entry) in entries.into_iter().enumerate() {
            let Some(at) = time::parse(&entry.at) else { continue };
            let key = format!("{}@{}#{i}", entry.post_id.clone().or_else(|| entry.schedule_id.clone()).unwrap_or_default(), entry.at);
            let item = Arc::new(Item { key: key.clone(), entry, at: RwSignal::new(at) });
            let cell = board.cell_of(at);
            if let Some(list) = cells.get_mut(&cell) {
                list.push(item.clone());
                index.insert(key, (cell, item));
            }
        }
        board.cells.set_value(cells.into_iter().map(|(k, v)| (k, RwSignal::new(v))).collect());
        board.index.set_value(index);
        board
    }

    fn cell(&self, key: i64) -> RwSignal<Vec<Arc<Item>>> {
        self.cells.with_value(|c| c.get(&key).copied()).unwrap_or_else(|| RwSignal::new(Vec::new()))
    }

    /// Whether something on the board can change by itself soon ([`live::due_or_in_flight`]).
    fn anything_due(&self) -> bool {
        self.index
            .try_with_value(|i| {
                i.values().any(|(_, item)| {
                    let e = &item.entry;
                    live::due_or_in_flight(
                        e.post_status.as_deref().unwrap_or(""),
                        Some(item.at.get_untracked()),
                        e.targets.iter().map(|t| t.status.as_str()),
                    )
                })
            })
            .unwrap_or(false)
    }

    /// Takes a fresh answer for the same window: the cells whose posts differ get new items
    /// (new keys, so their chips are drawn again); the others are left alone.
    fn patch(&self, entries: Vec<CalendarEntry>) {
        let Some(cells) = self.cells.try_get_value() else { return };
        let mut fresh: HashMap<i64, Vec<(f64, CalendarEntry)>> = HashMap::new();
        for entry in entries {
            let Some(at) = time::parse(&entry.at) else { continue };
            fresh.entry(self.cell_of(at)).or_default().push((at, entry));
        }
        let revision = self.revision.get_value() + 1;
        self.revision.set_value(revision);
        for (cell, list) in cells {
            let new = fresh.remove(&cell).unwrap_or_default();
            let same = list.with_untracked(|old| {
                old.len() == new.len() && old.iter().zip(&new).all(|(o, (at, e))| o.entry == *e && o.at.get_untracked() == *at)
            });
            if same {
                continue;
            }
            let items: Vec<Arc<Item>> = new
                .into_iter()
                .enumerate()
                .map(|(i, (at, entry))| {
                    let key = format!(
                        "{}@{}~{revision}#{i}",
                        entry.post_id.clone().or_else(|| entry.schedule_id.clone()).unwrap_or_default(),
                        entry.at
                    );
                    Arc::new(Item { key, entry, at: RwSignal::new(at) })
                })
                .collect();
            self.index.update_value(|index| {
                list.with_untracked(|old| old.iter().for_each(|o| drop(index.remove(&o.key))));
                for item in &items {
                    index.insert(item.key.clone(), (cell, item.clone()));
                }
            });
            list.set(items);
        }
    }

    /// The hour the day and week views open at: 08:00, or earlier when something is earlier.
    fn first_hour(&self) -> i64 {
        let earliest =
            self.cells.with_value(|c| c.iter().filter(|(_, l)| l.with_untracked(|l| !l.is_empty())).map(|(k, _)| k.rem_euclid(24)).min());
        earliest.map_or(WORKING_HOURS_START, |h| h.min(WORKING_HOURS_START))
    }

    /// Moves an item to `at`, updating only the two cells involved. Returns the old time.
    fn move_item(&self, key: &str, at: f64) -> Option<f64> {
        let (from, item) = self.index.with_value(|i| i.get(key).cloned())?;
        let to = self.cell_of(at);
        let old = item.at.get_untracked();
        item.at.set(at);
        if from != to {
            self.cell(from).update(|l| l.retain(|i| i.key != key));
            self.cell(to).update(|l| {
                l.push(item.clone());
                l.sort_by(|a, b| a.at.get_untracked().total_cmp(&b.at.get_untracked()));
            });
            self.index.update_value(|i| {
                i.insert(key.to_owned(), (to, item));
            });
        }
        Some(old)
    }
}

/// The calendar screen.
#[component]
pub fn CalendarPage(ws: Ws) -> impl IntoView {
    let nav = expect_context::<Nav>();
    let api = expect_context::<Api>();
    let zone_ctx = expect_context::<Zone>();
    let ws = StoredValue::new(ws);
    let zone = Memo::new(move |_| ws.with_value(|w| zone_ctx.effective(&w.ws)));
    let kind = Memo::new(move |_| Kind::parse(nav.param("view")));
    let today = move || time::wall(&zone.get(), time::now()).day;
    let anchor = Memo::new(move |_| nav.param("date").and_then(|d| time::parse_day(&d)).unwrap_or_else(today));
    let filters = Memo::new(move |_| {
        (nav.param("accounts").unwrap_or_default(), nav.param("tags").unwrap_or_default(), nav.param("statuses").unwrap_or_default())
    });

    let set_params = move |changes: &[(&str, String)]| {
        let q = nav.query();
        let mut pairs: Vec<(String, String)> =
            ["view", "date", "accounts", "tags", "statuses"].iter().filter_map(|k| param_of(&q, k).map(|v| ((*k).to_owned(), v))).collect();
        for (k, v) in changes {
            pairs.retain(|(pk, _)| pk != k);
            if !v.is_empty() {
                pairs.push(((*k).to_owned(), v.clone()));
            }
        }
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
        let ws_id = ws.with_value(Ws::id);
        nav.replace(&format!("w/{ws_id}/calendar?{}", query.join("&")));
    };

    let a = api.clone();
    let accounts = LocalResource::new(move || {
        let a = a.clone();
        let path = ws.with_value(|w| ws_path(&w.ws.id, "/accounts"));
        async move { a.get::<Vec<Account>>(&path).await }
    });
    let a = api.clone();
    let tags = LocalResource::new(move || {
        let a = a.clone();
        let path = ws.with_value(|w| ws_path(&w.ws.id, "/tags"));
        async move { a.get::<Vec<Tag>>(&path).await }
    });

    // The window and filters as the API's query; the calendar and the live probe ask for it.
    let window_query = Memo::new(move |_| {
        let (first, days) = window(kind.get(), anchor.get());
        let z = zone.get();
        let from = time::iso(time::instant(&z, first, 0));
        let to = time::iso(time::instant(&z, first + days, 0));
        format!("from={}&to={}", enc(&from), enc(&to))
    });
    let calendar_path = Memo::new(move |_| {
        let (acc, tg, st) = filters.get();
        let mut path = ws.with_value(|w| ws_path(&w.ws.id, &format!("/calendar?{}", window_query.get())));
        for (k, v) in [("accounts", acc), ("tags", tg), ("statuses", st)] {
            if !v.is_empty() {
                path.push_str(&format!("&{k}={}", enc(&v)));
            }
        }
        path
    });
    let a = api.clone();
    let data = LocalResource::new(move || {
        let a = a.clone();
        let path = calendar_path.get();
        async move { a.get::<Calendar>(&path).await }
    });

    // Live: while something in view is due or publishing (and on focus), a changed version
    // fetches the window again and updates only the cells whose posts changed.
    let shown = StoredValue::new(None::<Board>);
    let a = api.clone();
    live::watch(
        ws.with_value(Ws::id),
        move || window_query.get_untracked(),
        move || shown.get_value().is_some_and(|b| b.anything_due()),
        move || {
            let a = a.clone();
            let path = calendar_path.get_untracked();
            leptos::task::spawn_local(async move {
                if let (Ok(cal), Some(board)) = (a.get::<Calendar>(&path).await, shown.try_get_value().flatten())
                    && calendar_path.try_get_untracked().as_ref() == Some(&path)
                {
                    board.patch(cal.entries);
                }
            });
        },
    );

    let step = move |dir: i64| {
        let a = anchor.get_untracked();
        let next = match kind.get_untracked() {
            Kind::Day => a + dir,
            Kind::Week => a + 7 * dir,
            Kind::Month | Kind::List => time::add_months(a, dir),
        };
        set_params(&[("date", time::day_key(next))]);
    };

    let title = move || {
        let (first, days) = window(kind.get(), anchor.get());
        match kind.get() {
            Kind::Day => time::short_day(first),
            Kind::Week => format!("{} – {}", time::short_day(first), time::short_day(first + days - 1)),
            Kind::Month | Kind::List => {
                let (y, m, _) = time::civil_from_days(time::month_start(anchor.get()));
                format!("{} {y}", time::MONTHS[(m - 1) as usize])
            }
        }
    };

    let view_button = move |k: Kind, label: &'static str| {
        view! {
            <button
                class=move || { if kind.get() == k { "postiz-btn postiz-btn-active" } else { "postiz-btn" } }
                data-view=k.as_str()
                on:click=move |_| set_params(&[("view", k.as_str().to_owned())])
            >
                {label}
            </button>
        }
    };

    let workspace_zone = ws.with_value(|w| w.ws.time_zone.clone());
    let zone_list = StoredValue::new(override_zones(&workspace_zone));
    let zone_options = move || {
        let workspace_zone = workspace_zone.clone();
        let current = zone_ctx.0.get().unwrap_or_default();
        let mut zones = zone_list.get_value();
        // An override kept from a browser that knew more zones still shows as chosen.
        if !current.is_empty() && !zones.contains(&current) {
            zones.insert(0, current.clone());
        }
        view! {
            <option value="" selected=current.is_empty()>{format!("Workspace zone ({workspace_zone})")}</option>
            {zones.into_iter().map(|z| {
                let sel = z == current;
                view! { <option value=z.clone() selected=sel>{z.clone()}</option> }
            }).collect_view()}
        }
    };

    let can_edit = ws.with_value(Ws::can_edit);
    let ws_id = ws.with_value(Ws::id);

    // Below AGENDA_BELOW px of the module's own width, the day and week views are an agenda.
    let narrow = RwSignal::new(false);
    let section = NodeRef::<leptos::html::Section>::new();
    let measure = move || {
        if let Some(el) = section.try_get_untracked().flatten() {
            let w = el.client_width();
            // 0: not laid out yet (or hidden by the host); keep what we had.
            if w > 0 && narrow.try_get_untracked() != Some(w < AGENDA_BELOW) {
                narrow.try_set(w < AGENDA_BELOW);
            }
        }
    };
    // A ResizeObserver rather than the window's resize: the host decides the module's width
    // (a sidebar opening narrows it too), and the first observation comes once the section is in
    // the page, which is later than its creation while the screen's data loads.
    section.on_load(move |el| {
        use wasm_bindgen::JsCast;
        let callback = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(measure);
        if let Ok(observer) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
            observer.observe(&el);
            let observer = send_wrapper::SendWrapper::new(observer);
            on_cleanup(move || observer.disconnect());
        }
        // Lives as long as the page; one small closure per calendar opened.
        callback.forget();
    });

    view! {
        <section class="postiz-calendar" node_ref=section data-view=move || kind.get().as_str()>
            <div class="postiz-toolbar">
                <div class="postiz-group">
                    <button class="postiz-btn" on:click=move |_| step(-1) aria-label="Previous">"‹"</button>
                    <button class="postiz-btn" on:click=move |_| set_params(&[("date", String::new())])>"Today"</button>
                    <button class="postiz-btn" on:click=move |_| step(1) aria-label="Next">"›"</button>
                    <h2 class="postiz-title">{title}</h2>
                </div>
                <div class="postiz-group">
                    {view_button(Kind::Day, "Day")}
                    {view_button(Kind::Week, "Week")}
                    {view_button(Kind::Month, "Month")}
                    {view_button(Kind::List, "List")}
                </div>
                <div class="postiz-group">
                    <select class="postiz-select" aria-label="Time zone" data-filter="zone"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            zone_ctx.set((!v.is_empty()).then_some(v));
                        }>
                        {zone_options}
                    </select>
                    <select class="postiz-select" aria-label="Account" data-filter="accounts"
                        on:change=move |ev| set_params(&[("accounts", event_target_value(&ev))])>
                        <option value="">"All accounts"</option>
                        {move || accounts.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|a| {
                            let sel = filters.get().0 == a.id;
                            view! { <option value=a.id.clone() selected=sel>{format!("{} · {}", crate::components::network_name(&a.network), a.label())}</option> }
                        }).collect_view()}
                    </select>
                    <select class="postiz-select" aria-label="Tag" data-filter="tags"
                        on:change=move |ev| set_params(&[("tags", event_target_value(&ev))])>
                        <option value="">"All tags"</option>
                        {move || tags.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|t| {
                            let sel = filters.get().1 == t.id;
                            view! { <option value=t.id.clone() selected=sel>{t.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                    <select class="postiz-select" aria-label="Status" data-filter="statuses"
                        on:change=move |ev| set_params(&[("statuses", event_target_value(&ev))])>
                        <option value="">"All statuses"</option>
                        {["draft", "scheduled", "publishing", "published", "failed", "canceled"].into_iter().map(|s| {
                            let sel = move || filters.get().2 == s;
                            view! { <option value=s selected=sel>{s}</option> }
                        }).collect_view()}
                    </select>
                    {can_edit.then(|| view! { <Link to=format!("w/{ws_id}/compose") class="postiz-btn postiz-btn-primary">"New post"</Link> })}
                </div>
            </div>
            <Transition fallback=|| view! { <Loading/> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorBox errors=errors/> }>
                    {move || {
                        // Read before awaiting: the screen may be gone when the data arrives, and a
                        // disposed value must not be read then (it panics).
                        let (k, at, z) = (kind.get_untracked(), anchor.get_untracked(), zone.get_untracked());
                        Suspend::new(async move {
                        let cal = data.await?;
                        let started = now_perf();
                        let (first, days) = window(k, at);
                        let keys: Vec<i64> = if k.hourly() {
                            (first..first + days).flat_map(|d| (0..24).map(move |h| d * 24 + h)).collect()
                        } else {
                            (first..first + days).collect()
                        };
                        let count = cal.entries.len();
                        let board = Board::build(cal.entries, k.hourly(), &z, &keys);
                        shown.set_value(Some(board));
                        let render_ms = RwSignal::new(None::<f64>);
                        request_animation_frame(move || render_ms.set(Some(now_perf() - started)));
                        let grid = match k {
                            Kind::Month => view! { <MonthGrid board first can_edit/> }.into_any(),
                            Kind::List => view! { <ListView board first days/> }.into_any(),
                            // Too narrow for seven columns (a phone): the days as an agenda.
                            _ => (move || if narrow.get() {
                                view! { <Agenda board first days/> }.into_any()
                            } else {
                                view! { <HourGrid board first days can_edit/> }.into_any()
                            })
                            .into_any(),
                        };
                        Ok::<_, UiError>(view! {
                            <div
                                class="postiz-board"
                                data-count=count
                                data-ready=move || render_ms.get().is_some().then_some("1")
                                data-render-ms=move || render_ms.get().map(|m| format!("{m:.1}"))
                            >
                                {grid}
                            </div>
                        })
                    })}}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

fn now_perf() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map(|p| p.now()).unwrap_or_else(time::now)
}

/// The drop handling shared by both grids: a cell starting at `cell_start` (wall `day`, and
/// `hour` for hourly cells) accepts a post unless the result would be in the past.
fn drop_handlers(board: Board, day: i64, hour: Option<i64>) -> (impl Fn(web_sys::DragEvent) + Clone, impl Fn(web_sys::DragEvent) + Clone) {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let nav = expect_context::<Nav>();
    let zone = board.zone;
    let cell_end = move || {
        let z = zone.get_value();
        match hour {
            Some(h) => time::instant(&z, day, (h + 1) * 60),
            None => time::instant(&z, day + 1, 0),
        }
    };
    let over = move |ev: web_sys::DragEvent| {
        // Not calling preventDefault refuses the drop: past cells never accept one.
        if cell_end() > time::now() {
            ev.prevent_default();
            if let Some(dt) = ev.data_transfer() {
                dt.set_drop_effect("move");
            }
        }
    };
    let drop = move |ev: web_sys::DragEvent| {
        ev.prevent_default();
        let Some(key) = ev.data_transfer().and_then(|dt| dt.get_data("text/plain").ok()) else { return };
        let Some((_, item)) = board.index.with_value(|i| i.get(&key).cloned()) else { return };
        let z = zone.get_value();
        let old = item.at.get_untracked();
        let minute_of_day = time::wall(&z, old).minute;
        let minute = match hour {
            Some(h) => h * 60 + minute_of_day % 60,
            None => minute_of_day,
        };
        let at = time::instant(&z, day, minute);
        if at <= time::now() {
            toasts.show("That time has passed: posts can only move to the future.", true);
            return;
        }
        if (at - old).abs() < 1.0 {
            return;
        }
        let Some(post_id) = item.entry.post_id.clone() else { return };
        board.move_item(&key, at);
        let api = api.clone();
        let ws = nav.route().workspace().unwrap_or_default().to_owned();
        let key2 = key.clone();
        leptos::task::spawn_local(async move {
            let body = serde_json::json!({ "schedule": { "kind": "once", "at": time::iso(at), "time_zone": z } });
            match api.patch::<serde_json::Value>(&ws_path(&ws, &format!("/posts/{post_id}")), &body).await {
                Ok(_) => toasts.show(format!("Moved to {}", time::describe(&z, at)), false),
                Err(e) => {
                    board.move_item(&key2, old);
                    toasts.error(&e);
                }
            }
        });
    };
    (over, drop)
}

/// A post on the board.
#[component]
fn Chip(item: Arc<Item>, zone: StoredValue<String>, can_edit: bool, #[prop(optional)] show_date: bool) -> impl IntoView {
    let nav = expect_context::<Nav>();
    let draggable = can_edit && item.draggable();
    let status = item.entry.post_status.clone().unwrap_or_else(|| "scheduled".into());
    let mut class = format!("postiz-chip postiz-status-{status} postiz-kind-{}", item.entry.kind);
    // Approval is a gate (the database refuses to schedule it): say so on the chip.
    let awaiting = status == "pending_approval";
    if let Some(a) = item.attention() {
        class.push_str(&format!(" postiz-attention postiz-attention-{a}"));
    }
    if draggable {
        class.push_str(" postiz-draggable");
    }
    let at = item.at;
    let label_time = move || {
        let w = zone.with_value(|z| time::wall(z, at.get()));
        if show_date { format!("{} {}", time::short_day(w.day), time::hhmm(w.minute)) } else { time::hhmm(w.minute) }
    };
    let preview: String = item.entry.content_preview.clone().unwrap_or_default().chars().take(60).collect();
    let marker = match item.entry.kind.as_str() {
        "occurrence" => "↻ ",
        "evergreen" => "♻ ",
        _ => "",
    };
    let key = item.key.clone();
    let title = preview.clone();
    let post = item.entry.post_id.clone();
    let ws = nav.route().workspace().unwrap_or_default().to_owned();
    let nets: Vec<String> = item.entry.targets.iter().map(|t| t.network.clone()).collect();
    let links: Vec<String> = item.entry.targets.iter().filter_map(|t| t.external_url.clone()).collect();
    let post_attr = post.clone();
    let open = move || {
        if let Some(p) = &post {
            nav.go(&format!("w/{ws}/posts/{p}"));
        }
    };
    let open_key = open.clone();
    view! {
        <div
            class=class
            draggable=if draggable { "true" } else { "false" }
            data-key=key.clone()
            data-post=post_attr
            data-status=status
            data-links=links.len()
            title=title
            on:dragstart=move |ev: web_sys::DragEvent| {
                if let Some(dt) = ev.data_transfer() {
                    let _ = dt.set_data("text/plain", &key);
                    dt.set_effect_allowed("move");
                }
            }
            // A button to keyboards and screen readers: Tab reaches it, Enter or Space opens the post.
            role="button"
            tabindex="0"
            on:click=move |_| open()
            on:keydown=move |ev: web_sys::KeyboardEvent| {
                if matches!(ev.key().as_str(), "Enter" | " ") {
                    ev.prevent_default();
                    open_key();
                }
            }
        >
            <span class="postiz-chip-time">{marker}{label_time}</span>
            {awaiting.then(|| view! { <span class="postiz-badge" data-approval="pending" title="Waiting for approval: it goes out once approved">"needs approval"</span> })}
            {nets.into_iter().map(|n| view! { <NetworkBadge network=n/> }).collect_view()}
            <span class="postiz-chip-text">{preview}</span>
        </div>
    }
}

/// Day and week views: an hour per row, a day per column.
#[component]
fn HourGrid(board: Board, first: i64, days: i64, can_edit: bool) -> impl IntoView {
    let today = time::wall(&board.zone.get_value(), time::now()).day;
    let cols = format!("grid-template-columns: 3.5rem repeat({days}, minmax(0, 1fr))");
    // Open at working hours: scroll the hours so the first one shown is 08:00 (or the earliest
    // post's hour), once the grid is laid out.
    let body = NodeRef::<leptos::html::Div>::new();
    let open_at = board.first_hour();
    // The grid is created before it is in the page (while the screen's data loads), so the
    // scroll waits for the first layout a ResizeObserver reports, then the observer goes.
    body.on_load(move |el| {
        use wasm_bindgen::JsCast;
        let target = el.clone();
        let observer: std::rc::Rc<std::cell::RefCell<Option<web_sys::ResizeObserver>>> = Default::default();
        let slot = observer.clone();
        let callback = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            if !target.is_connected() || target.client_height() == 0 {
                return;
            }
            if let Ok(Some(label)) = target.query_selector(&format!("[data-hour-label='{open_at}']")) {
                let top = label.get_bounding_client_rect().top() - target.get_bounding_client_rect().top() + f64::from(target.scroll_top());
                target.set_scroll_top(top.round() as i32);
            }
            if let Some(o) = slot.borrow_mut().take() {
                o.disconnect();
            }
        });
        if let Ok(o) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
            o.observe(&el);
            *observer.borrow_mut() = Some(o);
        }
        // Small, and needed until the first layout; one per grid drawn.
        callback.forget();
    });
    view! {
        <div class="postiz-hours" style=cols.clone()>
            <div class="postiz-corner"></div>
            {(first..first + days).map(|d| {
                let class = if d == today { "postiz-colhead postiz-today" } else { "postiz-colhead" };
                view! { <div class=class data-day=time::day_key(d)>{time::short_day(d)}</div> }
            }).collect_view()}
        </div>
        // It scrolls, so keyboards must be able to reach it (arrow keys scroll it once focused).
        <div class="postiz-hours postiz-hours-body" style=cols node_ref=body tabindex="0" role="region" aria-label="Hours of the day">
            {(0..24).map(|h| view! {
                <div class="postiz-hour-label" data-hour-label=h>{time::hhmm(h * 60)}</div>
                {(first..first + days).map(|d| view! { <HourCell board day=d hour=h can_edit/> }).collect_view()}
            }).collect_view()}
        </div>
    }
}

#[component]
fn HourCell(board: Board, day: i64, hour: i64, can_edit: bool) -> impl IntoView {
    let list = board.cell(day * 24 + hour);
    let (over, drop) = drop_handlers(board, day, Some(hour));
    let end = time::instant(&board.zone.get_value(), day, (hour + 1) * 60);
    let class = if end <= time::now() { "postiz-cell postiz-past" } else { "postiz-cell" };
    view! {
        <div class=class data-day=time::day_key(day) data-hour=hour on:dragover=over on:drop=drop>
            <For each=move || list.get() key=|i| i.key.clone() let:item>
                <Chip item zone=board.zone can_edit/>
            </For>
        </div>
    }
}

/// Day and week views on a narrow screen: each day's posts in time order, under the day's name.
#[component]
fn Agenda(board: Board, first: i64, days: i64) -> impl IntoView {
    let today = time::wall(&board.zone.get_value(), time::now()).day;
    view! {
        <div class="postiz-agenda">
            {(first..first + days).map(|d| {
                let items = move || (0..24).flat_map(|h| board.cell(d * 24 + h).get()).collect::<Vec<_>>();
                let class = if d == today { "postiz-agenda-day postiz-today" } else { "postiz-agenda-day" };
                view! {
                    <section class=class data-day=time::day_key(d)>
                        <h3 class="postiz-agenda-head">{time::short_day(d)}{(d == today).then_some(" · today")}</h3>
                        {move || {
                            let list = items();
                            if list.is_empty() {
                                view! { <div class="postiz-agenda-empty">"Nothing scheduled"</div> }.into_any()
                            } else {
                                list.into_iter().map(|item| view! {
                                    <div class="postiz-agenda-row"><Chip item zone=board.zone can_edit=false/></div>
                                }).collect_view().into_any()
                            }
                        }}
                    </section>
                }
            }).collect_view()}
        </div>
    }
}

/// Month view: six weeks of days.
#[component]
fn MonthGrid(board: Board, first: i64, can_edit: bool) -> impl IntoView {
    let today = time::wall(&board.zone.get_value(), time::now()).day;
    view! {
        <div class="postiz-month">
            {time::WEEKDAYS.iter().map(|d| view! { <div class="postiz-colhead">{*d}</div> }).collect_view()}
            {(first..first + 42).map(|d| view! { <MonthCell board day=d today can_edit/> }).collect_view()}
        </div>
    }
}

#[component]
fn MonthCell(board: Board, day: i64, today: i64, can_edit: bool) -> impl IntoView {
    let nav = expect_context::<Nav>();
    let list = board.cell(day);
    let (over, drop) = drop_handlers(board, day, None);
    let mut class = String::from("postiz-cell postiz-day");
    if day < today {
        class.push_str(" postiz-past");
    }
    if day == today {
        class.push_str(" postiz-today");
    }
    let (_, _, dom) = time::civil_from_days(day);
    let more = move || {
        let n = list.with(Vec::len);
        (n > MONTH_CELL_LIMIT).then(|| {
            let ws = nav.route().workspace().unwrap_or_default().to_owned();
            view! { <Link to=format!("w/{ws}/calendar?view=day&date={}", time::day_key(day)) class="postiz-more">{format!("+{} more", n - MONTH_CELL_LIMIT)}</Link> }
        })
    };
    view! {
        <div class=class data-day=time::day_key(day) on:dragover=over on:drop=drop>
            <div class="postiz-daynum">{dom}</div>
            <For each=move || list.with(|l| l.iter().take(MONTH_CELL_LIMIT).cloned().collect::<Vec<_>>()) key=|i| i.key.clone() let:item>
                <Chip item zone=board.zone can_edit/>
            </For>
            {more}
        </div>
    }
}

/// List view: the month's posts in time order, a page at a time.
#[component]
fn ListView(board: Board, first: i64, days: i64) -> impl IntoView {
    let shown = RwSignal::new(LIST_PAGE);
    let all = move || {
        let mut v: Vec<Arc<Item>> = (first..first + days).flat_map(|d| board.cell(d).get()).collect();
        v.sort_by(|a, b| a.at.get_untracked().total_cmp(&b.at.get_untracked()));
        v
    };
    let total = move || all().len();
    view! {
        <div class="postiz-list">
            {move || {
                let items = all();
                if items.is_empty() {
                    return view! { <div class="postiz-empty">"Nothing scheduled in this month."</div> }.into_any();
                }
                items.into_iter().take(shown.get()).map(|item| view! {
                    <div class="postiz-list-row"><Chip item zone=board.zone can_edit=false show_date=true/></div>
                }).collect_view().into_any()
            }}
            {move || (total() > shown.get()).then(|| view! {
                <button class="postiz-btn" on:click=move |_| shown.update(|s| *s += LIST_PAGE)>"Show more"</button>
            })}
        </div>
    }
}
