//! Analytics: a period (7/30/90 days or custom, in the workspace's days), the totals with their
//! change against the period before, a metric by day, the networks side by side, the top posts,
//! when posts do best, an account's growth, how fresh the numbers are (and why some stopped),
//! and exports. The period, metrics and account live in the query string, so a view can be
//! shared and survives a reload. A plan without analytics gets a message instead of charts.

use leptos::prelude::*;

use crate::api::{
    AccountAnalytics, AccountFreshness, Api, BestTime, Features, Freshness, MetricTotal, NetworkValues, Overview, TopPosts, UiError, enc,
    ws_path,
};
use crate::app::{Toasts, Ws, Zone};
use crate::components::charts::{DailyBars, HeatCell, Heatmap, LineChart, Point, range_labels};
use crate::components::{Loading, NetworkBadge, network_name};
use crate::metrics;
use crate::nav::{Link, Nav, param_of};
use crate::time;

/// Query parameters this screen keeps.
const KEYS: [&str; 6] = ["range", "from", "to", "metric", "top", "account"];
/// Presets, in days.
const PRESETS: [i64; 3] = [7, 30, 90];
/// The widest period the API serves.
const MAX_DAYS: i64 = 366;
/// The API's code for a plan without analytics.
const NOT_IN_PLAN: &str = "analytics_not_in_plan";

/// The chosen days (workspace zone, both included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Period {
    preset: Option<i64>,
    from: i64,
    to: i64,
}

impl Period {
    fn days(self) -> i64 {
        self.to - self.from + 1
    }
    fn query(self) -> String {
        format!("from={}&to={}", time::day_key(self.from), time::day_key(self.to))
    }
    fn describe(self) -> String {
        let (y, _, _) = time::civil_from_days(self.to);
        format!("{} – {} {y}", time::day_label(&time::day_key(self.from)), time::day_label(&time::day_key(self.to)))
    }
}

/// What a plan without analytics shows.
#[component]
fn NotInPlan(#[prop(into)] plan: String) -> impl IntoView {
    let plan = if plan.is_empty() { "This workspace's plan".to_owned() } else { format!("The {plan} plan") };
    view! {
        <div class="postiz-card postiz-callout" data-analytics="not-in-plan">
            <h3 class="postiz-subtitle">"Analytics are not included"</h3>
            <p>{format!("{plan} does not include analytics, so no numbers are collected or shown for this workspace.")}</p>
            <p class="postiz-hint">"A workspace owner can move to a plan with analytics; numbers start arriving from then on."</p>
        </div>
    }
}

/// An error of a section: the plan message for `analytics_not_in_plan`, else the error itself.
fn section_error(e: &UiError) -> AnyView {
    if e.code() == Some(NOT_IN_PLAN) {
        view! { <NotInPlan plan=""/> }.into_any()
    } else {
        view! { <div class="postiz-error" role="alert">{e.to_string()}</div> }.into_any()
    }
}

/// The analytics screen.
/// How many days the plan keeps numbers (shown beside the period).
#[derive(Clone, Copy, Debug)]
struct Retention(i32);

#[component]
pub fn AnalyticsPage(ws: Ws) -> impl IntoView {
    let api = expect_context::<Api>();
    let path = ws_path(&ws.id(), "/features");
    let features = LocalResource::new(move || {
        let (a, p) = (api.clone(), path.clone());
        async move { a.get::<Features>(&p).await }
    });
    let ws = StoredValue::new(ws);
    view! {
        <section class="postiz-analytics">
            {move || match features.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => section_error(&e),
                Some(Ok(f)) if !f.analytics_enabled => view! {
                    <h2 class="postiz-title">"Analytics"</h2>
                    <NotInPlan plan=f.plan_name/>
                }.into_any(),
                Some(Ok(f)) => {
                    provide_context(Retention(f.analytics_retention_days));
                    view! { <Dashboard ws=ws.get_value()/> }.into_any()
                }
            }}
        </section>
    }
}

#[component]
fn Dashboard(ws: Ws) -> impl IntoView {
    let nav = expect_context::<Nav>();
    let api = expect_context::<Api>();
    let ws_id = StoredValue::new(ws.id());
    let ws_zone = StoredValue::new(ws.ws.time_zone.clone());
    let zone = StoredValue::new(expect_context::<Zone>().effective(&ws.ws));

    let set_params = move |changes: &[(&str, String)]| {
        let q = nav.query();
        let mut pairs: Vec<(String, String)> = KEYS.iter().filter_map(|k| param_of(&q, k).map(|v| ((*k).to_owned(), v))).collect();
        for (k, v) in changes {
            pairs.retain(|(pk, _)| pk != k);
            if !v.is_empty() {
                pairs.push(((*k).to_owned(), v.clone()));
            }
        }
        let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", enc(v))).collect();
        let sep = if query.is_empty() { "" } else { "?" };
        nav.replace(&format!("w/{}/analytics{sep}{}", ws_id.get_value(), query.join("&")));
    };

    let period = Memo::new(move |_| {
        let today = time::wall(&ws_zone.get_value(), time::now()).day;
        let preset = |n: i64| Period { preset: Some(n), from: today - n + 1, to: today };
        match nav.param("range").as_deref() {
            Some("custom") => {
                let from = nav.param("from").as_deref().and_then(time::parse_day);
                let to = nav.param("to").as_deref().and_then(time::parse_day);
                match (from, to) {
                    (Some(f), Some(t)) if f <= t && t - f < MAX_DAYS => Period { preset: None, from: f, to: t },
                    _ => preset(30),
                }
            }
            Some(n) => preset(n.parse().ok().filter(|n| PRESETS.contains(n)).unwrap_or(30)),
            None => preset(30),
        }
    });

    let a = api.clone();
    let overview = LocalResource::new(move || {
        let a = a.clone();
        let path = ws_path(&ws_id.get_value(), &format!("/analytics/overview?{}", period.get().query()));
        async move { a.get::<Overview>(&path).await }
    });

    view! {
        <div class="postiz-toolbar">
            <div class="postiz-group">
                <h2 class="postiz-title">"Analytics"</h2>
                <Updated overview zone=zone.get_value()/>
            </div>
            <ExportMenu ws_id=ws_id.get_value() period/>
        </div>
        <RangePicker period set_params ws_zone=ws_zone.get_value()/>
        {move || match overview.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(e)) => section_error(&e),
            Some(Ok(o)) => {
                let metric = nav.param("metric");
                view! { <OverviewView overview=o period=period.get_untracked() metric set_params/> }.into_any()
            }
        }}
        <TopPostsSection ws_id=ws_id.get_value() period zone=zone.get_value() set_params/>
        <BestTimeSection ws_id=ws_id.get_value() period ws_zone=ws_zone.get_value()/>
        {move || overview.get().and_then(Result::ok).map(|o| view! {
            <GrowthSection ws_id=ws_id.get_value() period accounts=o.accounts set_params/>
        })}
    }
}

/// "Updated 12 min ago", from the overview (the exact time, in `zone`, on hover).
#[component]
fn Updated(overview: LocalResource<Result<Overview, UiError>>, zone: String) -> impl IntoView {
    move || {
        let o = overview.get().and_then(Result::ok)?;
        let text = match o.updated_at.as_deref().and_then(time::parse) {
            Some(ms) => view! {
                <span class="postiz-hint" data-updated=o.updated_at.clone() title=time::describe(&zone, ms)>{format!("Updated {}", time::relative(ms))}</span>
            }
            .into_any(),
            None => view! { <span class="postiz-hint" data-updated="">"No numbers read yet"</span> }.into_any(),
        };
        Some(text)
    }
}

/// 7 / 30 / 90 days or a custom from–to.
#[component]
fn RangePicker(
    period: Memo<Period>,
    set_params: impl Fn(&[(&str, String)]) + Copy + Send + Sync + 'static,
    ws_zone: String,
) -> impl IntoView {
    let custom_open = RwSignal::new(period.get_untracked().preset.is_none());
    let from = RwSignal::new(time::day_key(period.get_untracked().from));
    let to = RwSignal::new(time::day_key(period.get_untracked().to));
    let problem = RwSignal::new(None::<&'static str>);
    let apply = move || {
        let (f, t) = (time::parse_day(&from.get_untracked()), time::parse_day(&to.get_untracked()));
        match (f, t) {
            (Some(f), Some(t)) if f > t => problem.set(Some("The first day must not be after the last.")),
            (Some(f), Some(t)) if t - f >= MAX_DAYS => problem.set(Some("Choose at most 366 days.")),
            (Some(f), Some(t)) => {
                problem.set(None);
                set_params(&[("range", "custom".into()), ("from", time::day_key(f)), ("to", time::day_key(t))]);
            }
            _ => problem.set(Some("Pick both days.")),
        }
    };
    view! {
        <div class="postiz-range" role="group" aria-label="Period">
            <div class="postiz-group">
                {PRESETS.into_iter().map(|n| view! {
                    <button
                        class=move || if period.get().preset == Some(n) { "postiz-btn postiz-btn-active" } else { "postiz-btn" }
                        aria-pressed=move || (period.get().preset == Some(n)).to_string()
                        data-range=n
                        on:click=move |_| {
                            custom_open.set(false);
                            set_params(&[("range", n.to_string()), ("from", String::new()), ("to", String::new())]);
                        }
                    >{format!("{n} days")}</button>
                }).collect_view()}
                <button
                    class=move || if period.get().preset.is_none() || custom_open.get() { "postiz-btn postiz-btn-active" } else { "postiz-btn" }
                    aria-pressed=move || (period.get().preset.is_none()).to_string()
                    aria-expanded=move || custom_open.get().to_string()
                    data-range="custom"
                    on:click=move |_| {
                        let p = period.get_untracked();
                        from.set(time::day_key(p.from));
                        to.set(time::day_key(p.to));
                        custom_open.update(|o| *o = !*o);
                    }
                >"Custom"</button>
            </div>
            {move || custom_open.get().then(|| view! {
                <div class="postiz-group postiz-range-custom">
                    <label class="postiz-inline-label">"From"
                        <input class="postiz-input postiz-input-date" type="date" data-field="from" prop:value=move || from.get()
                            on:change=move |ev| { from.set(event_target_value(&ev)); apply(); }/>
                    </label>
                    <label class="postiz-inline-label">"To"
                        <input class="postiz-input postiz-input-date" type="date" data-field="to" prop:value=move || to.get()
                            on:change=move |ev| { to.set(event_target_value(&ev)); apply(); }/>
                    </label>
                    {move || problem.get().map(|p| view! { <span class="postiz-field-error" role="alert">{p}</span> })}
                </div>
            })}
            <span class="postiz-hint" data-period=move || period.get().query()>
                {move || {
                    let p = period.get();
                    let kept = use_context::<Retention>()
                        .filter(|r| r.0 > 0)
                        .map(|r| format!(" · your plan keeps numbers for {} days", r.0))
                        .unwrap_or_default();
                    format!("{} · {} days in {ws_zone} · compared with the {} days before{kept}", p.describe(), p.days(), p.days())
                }}
            </span>
        </div>
    }
}

/// Cards, the chart of one metric by day, the networks, where the numbers come from.
#[component]
fn OverviewView(
    overview: Overview,
    period: Period,
    metric: Option<String>,
    set_params: impl Fn(&[(&str, String)]) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let Overview { totals, series, networks, accounts, updated_at, reported, .. } = overview;
    if totals.is_empty() && updated_at.is_none() {
        let no_accounts = accounts.is_empty();
        return view! {
            <div class="postiz-card postiz-empty-state" data-analytics="empty">
                <h3 class="postiz-subtitle">"No numbers yet"</h3>
                <p>"Numbers arrive about an hour after a post is published, then keep updating for 30 days. Account numbers such as followers are read once a day."</p>
                {no_accounts.then(|| view! { <p class="postiz-hint">"Connect an account under Accounts and publish a post to get started."</p> })}
            </div>
            <Sources accounts/>
        }
        .into_any();
    }
    // A metric some connected network reports gets a card even when nothing was gained (0);
    // one no network reports is listed as not reported, never shown as 0.
    let is_reported = |m: &str| reported.iter().any(|r| r.has(m));
    let totals: Vec<MetricTotal> = metrics::ALL
        .iter()
        .filter_map(|m| {
            totals
                .iter()
                .find(|t| t.metric == *m)
                .cloned()
                .or_else(|| is_reported(m).then(|| MetricTotal { metric: (*m).to_owned(), value: 0, previous: 0, change_pct: None }))
        })
        .collect();
    let shown: Vec<&'static str> = metrics::ALL.iter().copied().filter(|m| totals.iter().any(|t| t.metric == *m)).collect();
    let missing: Vec<&'static str> = metrics::ALL.iter().copied().filter(|m| !shown.contains(m)).collect();
    if shown.is_empty() {
        return view! {
            <div class="postiz-card postiz-empty-state" data-analytics="empty">
                <h3 class="postiz-subtitle">"Nothing gained in this period"</h3>
                <p>"Try a longer period. Numbers arrive about an hour after a post is published."</p>
            </div>
            <Sources accounts/>
        }
        .into_any();
    }
    // Every connected network, even one that gained nothing; "not reported" where it does not report the metric.
    let mut networks = networks;
    for r in &reported {
        if !networks.iter().any(|n| n.network == r.network) {
            networks.push(NetworkValues { network: r.network.clone(), values: Default::default() });
        }
    }
    // Whether `network` reports `metric` (None: the API did not say).
    let network_reports = move |network: &str, metric: &str| reported.iter().find(|r| r.network == network).map(|r| r.has(metric));
    let chosen = metric.filter(|m| shown.contains(&m.as_str())).unwrap_or_else(|| {
        ["impressions", "likes", "views", "reach"].into_iter().find(|m| shown.contains(m)).unwrap_or(shown[0]).to_owned()
    });
    let label = metrics::label(&chosen).to_owned();
    let days: Vec<(String, i64)> = series.iter().map(|d| (time::day_label(&d.day), d.values.get(&chosen).copied().unwrap_or(0))).collect();
    let chart_title = format!("{label} gained per day, {}", period.describe());
    let max_net = networks.iter().filter_map(|n| n.values.get(&chosen)).map(|v| v.abs()).max().unwrap_or(0).max(1);
    let options = shown.clone();
    let chosen2 = chosen.clone();
    view! {
        <div class="postiz-cards" data-section="totals">
            {totals.into_iter().map(|t| {
                let (arrow, words, up) = metrics::change(t.change_pct, t.value, t.previous);
                let class = match up {
                    Some(true) => "postiz-change postiz-change-up",
                    Some(false) => "postiz-change postiz-change-down",
                    None => "postiz-change",
                };
                let note = if t.metric == "followers" { "net growth" } else { "gained" };
                view! {
                    <div class="postiz-stat" data-metric=t.metric.clone()>
                        <span class="postiz-stat-label">{match t.metric.as_str() {
                            // Gains of levels: say so, or "100 followers" reads as the audience's size.
                            "followers" | "following" => format!("{} (net)", metrics::label(&t.metric)),
                            "posts" => "Posts (new)".to_owned(),
                            m => metrics::label(m).to_owned(),
                        }}</span>
                        <span class="postiz-stat-value" data-value=t.value title=format!("{} {note} in this period; {} in the period before", metrics::full(t.value), metrics::full(t.previous))>{metrics::compact(t.value as f64)}</span>
                        <span class=class>
                            <span aria-hidden="true">{arrow}</span>
                            <span class="postiz-sr-only">{words}</span>
                        </span>
                    </div>
                }
            }).collect_view()}
            {(!missing.is_empty()).then(|| view! {
                <div class="postiz-stat postiz-stat-missing" data-metric="not-reported">
                    <span class="postiz-stat-label">"Not reported by your networks"</span>
                    <span>{missing.iter().map(|m| metrics::label(m)).collect::<Vec<_>>().join(", ")}</span>
                    <span class="postiz-hint">"Shown as —, never as 0."</span>
                </div>
            })}
        </div>
        <div class="postiz-card" data-section="series">
            <div class="postiz-card-head">
                <h3 class="postiz-subtitle">"By day"</h3>
                <label class="postiz-inline-label">"Metric"
                    <select class="postiz-select" data-field="metric" on:change=move |ev| set_params(&[("metric", event_target_value(&ev))])>
                        {options.into_iter().map(|m| view! { <option value=m selected=m == chosen2>{metrics::label(m).to_owned()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            <DailyBars title=chart_title value_label=label.clone() days/>
        </div>
        <div class="postiz-card" data-section="networks">
            <h3 class="postiz-subtitle">{format!("{label} by network")}</h3>
            {if networks.is_empty() {
                view! { <p class="postiz-hint">"No network gained anything in this period."</p> }.into_any()
            } else {
                view! {
                    <table class="postiz-bars">
                        <caption class="postiz-sr-only">{format!("{label} gained in this period, by network")}</caption>
                        <thead><tr>
                            <th scope="col"><span class="postiz-sr-only">"Network"</span></th>
                            <td></td>
                            <th scope="col"><span class="postiz-sr-only">{label.clone()}</span></th>
                        </tr></thead>
                        <tbody>
                            {networks.into_iter().map(|n| {
                                // Absent: nothing gained where the network reports it, else not reported.
                                let v = n.values.get(&chosen).copied().or_else(|| (network_reports(&n.network, &chosen) != Some(false)).then_some(0));
                                let width = v.map(|v| v.abs() as f64 / max_net as f64 * 100.0).unwrap_or(0.0);
                                view! {
                                    <tr data-network=n.network.clone()>
                                        <th scope="row" class="postiz-bars-name"><NetworkBadge network=n.network.clone()/>{format!(" {}", network_name(&n.network))}</th>
                                        <td class="postiz-bars-track" aria-hidden="true">
                                            {v.map(|v| view! { <span class=if v < 0 { "postiz-bars-fill postiz-bars-neg" } else { "postiz-bars-fill" } style=format!("width: {width:.1}%")></span> })}
                                        </td>
                                        <td class="postiz-bars-value">{match v {
                                            Some(v) => metrics::full(v),
                                            None => "not reported".to_owned(),
                                        }}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </div>
        <Sources accounts/>
    }
    .into_any()
}

/// Why an account's or a post's numbers are as fresh as they are, and whether that needs attention.
pub fn freshness_words(f: Option<&Freshness>, network: &str) -> (String, bool) {
    let Some(f) = f else { return ("Not read yet".into(), false) };
    let last = f.last_fetched_at.as_deref().and_then(time::parse);
    let next = f.next_fetch_at.as_deref().and_then(time::parse);
    let err = f.last_error.clone();
    match f.state.as_str() {
        "paused" => {
            (format!("Stopped until the account is reconnected under Accounts{}", err.map(|e| format!(": {e}")).unwrap_or_default()), true)
        }
        "gone" => (format!("Stopped: {}", err.unwrap_or_else(|| "the network no longer shows it".into())), true),
        "unsupported" => (format!("{} offers no numbers for this", network_name(network)), false),
        "done" => (format!("Final numbers{}", last.map(|l| format!(" (last read {})", time::relative(l))).unwrap_or_default()), false),
        _ => match (err, last, next) {
            (Some(e), _, n) => {
                (format!("Last read failed: {e}{}", n.map(|n| format!("; trying again {}", time::relative(n))).unwrap_or_default()), true)
            }
            (None, Some(l), Some(n)) => (format!("Updated {} · next {}", time::relative(l), time::relative(n)), false),
            (None, Some(l), None) => (format!("Updated {}", time::relative(l)), false),
            (None, None, Some(n)) => (format!("First reading {}", time::relative(n)), false),
            (None, None, None) => ("Not read yet".into(), false),
        },
    }
}

/// Where the numbers come from: each account, how fresh, why it stopped.
#[component]
fn Sources(accounts: Vec<AccountFreshness>) -> impl IntoView {
    if accounts.is_empty() {
        return ().into_any();
    }
    view! {
        <div class="postiz-card" data-section="sources">
            <h3 class="postiz-subtitle">"Sources"</h3>
            <ul class="postiz-sources">
                {accounts.into_iter().map(|a| {
                    let (words, problem) = freshness_words(a.freshness.as_ref(), &a.network);
                    let handle = a.display_name.clone().or_else(|| a.handle.clone()).unwrap_or_else(|| network_name(&a.network));
                    let stopped = (a.posts_stopped > 0).then(|| {
                        let n = a.posts_stopped;
                        format!("{n} post{} stopped updating (removed on the network, or the account needs reconnecting)", if n == 1 { "" } else { "s" })
                    });
                    let class = if problem || stopped.is_some() { "postiz-source postiz-source-problem" } else { "postiz-source" };
                    view! {
                        <li class=class data-account=a.account_id.clone() data-state=a.freshness.as_ref().map(|f| f.state.clone())>
                            <NetworkBadge network=a.network.clone()/>
                            <span class="postiz-source-name">{handle}</span>
                            <span class=if problem { "postiz-error-text" } else { "postiz-hint" }>{words}</span>
                            {stopped.map(|s| view! { <span class="postiz-error-text">{s}</span> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </div>
    }
    .into_any()
}

/// The posts that did best in the period, by a chosen metric.
#[component]
fn TopPostsSection(
    ws_id: String,
    period: Memo<Period>,
    zone: String,
    set_params: impl Fn(&[(&str, String)]) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let nav = expect_context::<Nav>();
    let api = expect_context::<Api>();
    let metric = Memo::new(move |_| nav.param("top").filter(|m| metrics::POST.contains(&m.as_str())).unwrap_or_else(|| "likes".into()));
    let ws = StoredValue::new(ws_id);
    let zone = StoredValue::new(zone);
    let top = LocalResource::new(move || {
        let a = api.clone();
        let path = ws_path(&ws.get_value(), &format!("/analytics/top-posts?{}&metric={}&limit=10", period.get().query(), metric.get()));
        async move { a.get::<TopPosts>(&path).await }
    });
    view! {
        <div class="postiz-card" data-section="top-posts">
            <div class="postiz-card-head">
                <h3 class="postiz-subtitle">"Top posts"</h3>
                <label class="postiz-inline-label">"Ranked by"
                    <select class="postiz-select" data-field="top" on:change=move |ev| set_params(&[("top", event_target_value(&ev))])>
                        {metrics::POST.into_iter().map(|m| view! { <option value=m selected=move || metric.get() == m>{metrics::label(m).to_owned()}</option> }).collect_view()}
                    </select>
                </label>
            </div>
            {move || match top.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => section_error(&e),
                Some(Ok(t)) if t.posts.is_empty() => view! {
                    <p class="postiz-hint">{format!("No post published in this period has {} yet.", metrics::noun(&t.metric))}</p>
                }.into_any(),
                Some(Ok(t)) => {
                    let m = t.metric.clone();
                    let others: Vec<&'static str> = ["impressions", "likes", "comments", "shares"].into_iter().filter(|o| *o != m).collect();
                    let ws = ws.get_value();
                    view! {
                        <div class="postiz-scroll-x">
                            <table class="postiz-table postiz-top" data-table="top-posts">
                                <caption class="postiz-sr-only">{format!("Top posts of {} by {}", period.get_untracked().describe(), metrics::noun(&m))}</caption>
                                <thead><tr>
                                    <th scope="col">"Post"</th>
                                    <th scope="col" class="postiz-num">{metrics::label(&m).to_owned()}</th>
                                    {others.iter().map(|o| view! { <th scope="col" class="postiz-num postiz-wide-only">{metrics::label(o).to_owned()}</th> }).collect_view()}
                                </tr></thead>
                                <tbody>
                                    {t.posts.into_iter().map(|p| {
                                        let preview: String = p.content_preview.chars().take(90).collect();
                                        let preview = if preview.trim().is_empty() { "(no text)".to_owned() } else if p.content_preview.chars().count() > 90 { format!("{preview}…") } else { preview };
                                        let when = p.published_at.as_deref().and_then(time::parse).map(|ms| zone.with_value(|z| time::describe(z, ms))).unwrap_or_default();
                                        view! {
                                            <tr data-post=p.post_id.clone()>
                                                <td class="postiz-top-post">
                                                    <Link to=format!("w/{ws}/posts/{}", p.post_id) class="postiz-link">{preview}</Link>
                                                    <span class="postiz-top-meta">
                                                        {p.networks.iter().map(|n| view! { <NetworkBadge network=n.clone()/> }).collect_view()}
                                                        <span class="postiz-hint">{when}</span>
                                                    </span>
                                                </td>
                                                <td class="postiz-num"><strong>{metrics::full(p.value)}</strong></td>
                                                {others.iter().map(|o| view! { <td class="postiz-num postiz-wide-only">{metrics::cell(&p.values, o)}</td> }).collect_view()}
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any()
                }
            }}
        </div>
    }
}

/// When the workspace's posts did best, by weekday and hour of publishing.
#[component]
fn BestTimeSection(ws_id: String, period: Memo<Period>, ws_zone: String) -> impl IntoView {
    let api = expect_context::<Api>();
    let ws = StoredValue::new(ws_id);
    let best = LocalResource::new(move || {
        let a = api.clone();
        let path = ws_path(&ws.get_value(), &format!("/analytics/best-time?{}", period.get().query()));
        async move { a.get::<BestTime>(&path).await }
    });
    view! {
        <div class="postiz-card" data-section="best-time">
            <h3 class="postiz-subtitle">"Best time to post"</h3>
            {move || match best.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => section_error(&e),
                Some(Ok(b)) => {
                    let by_rate = b.cells.iter().any(|c| c.engagement_rate_pct.is_some());
                    let cells: Vec<HeatCell> = b.cells.iter().map(|c| {
                        let value = if by_rate { c.engagement_rate_pct.unwrap_or(0.0) } else { c.engagement_per_post };
                        let posts = format!("{} post{}", c.posts, if c.posts == 1 { "" } else { "s" });
                        let rate = c.engagement_rate_pct.map(|r| format!(", {r:.1}% of impressions")).unwrap_or_default();
                        HeatCell {
                            weekday: usize::from(c.weekday.clamp(1, 7) - 1),
                            hour: usize::from(c.hour.min(23)),
                            value,
                            text: format!("{posts}, {:.1} engagements per post{rate}", c.engagement_per_post),
                        }
                    }).collect();
                    let measure = if by_rate { "engagement per impression" } else { "engagement per post" };
                    // "Darker" would be wrong in a dark theme: the colour gets stronger either way.
                    let sample = b.sample_size;
                    view! {
                        <p class="postiz-hint" data-sample=sample>
                            {format!("Based on {sample} published post{} with numbers · hours in {} · stronger colour = more {measure}", if sample == 1 { "" } else { "s" }, b.range.time_zone)}
                        </p>
                        {(!b.enough_data).then(|| view! {
                            <div class="postiz-callout" role="note" data-best-time="fallback">
                                <strong>"Not enough posts yet. "</strong>
                                {b.fallback.clone().unwrap_or_else(|| "Publish more posts to see when yours do best.".into())}
                            </div>
                        })}
                        {(!cells.is_empty()).then(|| view! {
                            <Heatmap title=format!("Best time to post, {}, by weekday and hour ({})", period.get_untracked().describe(), ws_zone) cells/>
                        })}
                    }.into_any()
                }
            }}
        </div>
    }
}

/// One account's followers over the period.
#[component]
fn GrowthSection(
    ws_id: String,
    period: Memo<Period>,
    accounts: Vec<AccountFreshness>,
    set_params: impl Fn(&[(&str, String)]) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let nav = expect_context::<Nav>();
    let api = expect_context::<Api>();
    if accounts.is_empty() {
        return ().into_any();
    }
    let first = accounts[0].account_id.clone();
    let known = StoredValue::new(accounts.iter().map(|a| a.account_id.clone()).collect::<Vec<_>>());
    let chosen = Memo::new(move |_| nav.param("account").filter(|a| known.with_value(|k| k.contains(a))).unwrap_or_else(|| first.clone()));
    let ws = StoredValue::new(ws_id);
    let data = LocalResource::new(move || {
        let a = api.clone();
        let path = ws_path(&ws.get_value(), &format!("/analytics/accounts/{}?{}", chosen.get(), period.get().query()));
        async move { a.get::<AccountAnalytics>(&path).await }
    });
    let options = accounts
        .iter()
        .map(|a| {
            (
                a.account_id.clone(),
                format!(
                    "{} · {}",
                    network_name(&a.network),
                    a.display_name.clone().or_else(|| a.handle.clone()).unwrap_or_else(|| "account".into())
                ),
            )
        })
        .collect::<Vec<_>>();
    view! {
        <div class="postiz-card" data-section="growth">
            <div class="postiz-card-head">
                <h3 class="postiz-subtitle">"Account growth"</h3>
                <label class="postiz-inline-label">"Account"
                    <select class="postiz-select" data-field="account" on:change=move |ev| set_params(&[("account", event_target_value(&ev))])>
                        {options.into_iter().map(|(id, label)| {
                            let id2 = id.clone();
                            view! { <option value=id selected=move || chosen.get() == id2>{label}</option> }
                        }).collect_view()}
                    </select>
                </label>
            </div>
            {move || match data.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => section_error(&e),
                Some(Ok(a)) => view! { <Growth data=a period=period.get_untracked()/> }.into_any(),
            }}
        </div>
    }
    .into_any()
}

#[component]
fn Growth(data: AccountAnalytics, period: Period) -> impl IntoView {
    let who = data.display_name.clone().or_else(|| data.handle.clone()).unwrap_or_else(|| network_name(&data.network));
    let (fresh, problem) = freshness_words(data.freshness.as_ref(), &data.network);
    let fresh = view! { <p class=if problem { "postiz-error-text" } else { "postiz-hint" } data-freshness="account">{fresh}</p> };
    let span = (period.to - period.from).max(1) as f64;
    let points: Vec<Point> = data
        .levels
        .iter()
        .filter_map(|l| {
            let day = time::parse_day(&l.day)?;
            let v = *l.values.get("followers")?;
            Some(Point { x: ((day - period.from) as f64 / span).clamp(0.0, 1.0), y: v as f64, label: time::day_label(&l.day) })
        })
        .collect();
    if data.levels.is_empty() {
        return view! {
            {fresh}
            <p class="postiz-hint" data-growth="empty">{format!("No readings of {who}'s followers in this period yet. Account numbers are read once a day.")}</p>
        }
        .into_any();
    }
    if points.is_empty() {
        return view! {
            {fresh}
            <p class="postiz-hint" data-growth="not-reported">{format!("{} does not report followers.", network_name(&data.network))}</p>
        }
        .into_any();
    }
    let latest = data.levels.last().map(|l| l.values.clone()).unwrap_or_default();
    let gained: i64 = data.gains.iter().filter_map(|g| g.values.get("followers")).sum();
    let now = points.last().map(|p| p.y as i64).unwrap_or(0);
    let sign = if gained > 0 { "+" } else { "" };
    let others = ["following", "posts"]
        .into_iter()
        .map(|m| format!("{} {}", metrics::label(m), metrics::cell(&latest, m)))
        .collect::<Vec<_>>()
        .join(" · ");
    let chart = if points.len() > 1 {
        view! {
            <LineChart
                title=format!("Followers of {who}, {}", period.describe())
                value_label="Followers"
                points
                x_labels=range_labels(period.from, period.to)
            />
        }
        .into_any()
    } else {
        let on = points.first().map(|p| p.label.clone()).unwrap_or_default();
        view! { <p class="postiz-hint" data-growth="one">{format!("One reading so far ({on}): the curve grows with the daily readings.")}</p> }.into_any()
    };
    view! {
        <p class="postiz-growth-head" data-growth="followers">
            <strong data-followers=now>{format!("{} followers", metrics::full(now))}</strong>
            <span class="postiz-hint">{format!(" · {sign}{} in this period", metrics::full(gained))}</span>
            <br/>
            <span class="postiz-hint">{others}</span>
        </p>
        {fresh}
        {chart}
    }
    .into_any()
}

/// CSV or JSON of the period, downloaded with the session.
#[component]
fn ExportMenu(ws_id: String, period: Memo<Period>) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let busy = RwSignal::new(false);
    let menu = NodeRef::<leptos::html::Details>::new();
    let ws = StoredValue::new(ws_id);
    let run = move |kind: &'static str, format: &'static str| {
        if let Some(d) = menu.get_untracked() {
            d.set_open(false);
        }
        let api = api.clone();
        let p = period.get_untracked();
        let path = ws_path(&ws.get_value(), &format!("/analytics/export?kind={kind}&format={format}&{}", p.query()));
        let fallback = format!("analytics-{kind}-{}-{}.{format}", time::day_key(p.from), time::day_key(p.to));
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api.download(&path, &fallback).await {
                Ok(name) => toasts.show(format!("Downloaded {name}"), false),
                Err(e) => toasts.error(&e),
            }
            busy.set(false);
        });
    };
    let row = move |kind: &'static str, label: &'static str| {
        let (run1, run2) = (run.clone(), run.clone());
        view! {
            <div class="postiz-menu-row">
                <span class="postiz-menu-label">{label}</span>
                <button class="postiz-btn postiz-btn-small" data-export=format!("{kind}-csv") aria-label=format!("{label} as CSV") disabled=move || busy.get() on:click=move |_| run1(kind, "csv")>"CSV"</button>
                <button class="postiz-btn postiz-btn-small" data-export=format!("{kind}-json") aria-label=format!("{label} as JSON") disabled=move || busy.get() on:click=move |_| run2(kind, "json")>"JSON"</button>
            </div>
        }
    };
    view! {
        <details class="postiz-menu" node_ref=menu>
            <summary class="postiz-btn" data-action="export">{move || if busy.get() { "Exporting…" } else { "Export ▾" }}</summary>
            <div class="postiz-menu-list" role="group" aria-label="Export this period">
                {row("daily", "Daily numbers")}
                {row("snapshots", "Every reading")}
                {row("posts", "Posts")}
            </div>
        </details>
    }
}
