//! One post: per-target status, links to the published posts, errors that say what to do,
//! retry and cancel. Refreshes itself while anything is still on its way out.

use std::time::Duration;

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::api::{Api, ErrorView, Post, PostAnalytics, TargetAnalytics, ws_path};
use crate::app::{Toasts, Ws, Zone};
use crate::components::charts::{Point, Sparkline};
use crate::components::{AuthImage, Loading, NetworkBadge, StatusBadge, network_name};
use crate::live;
use crate::metrics;
use crate::nav::Link;
use crate::routes::analytics::freshness_words;
use crate::time;

/// What the user can do about an error, by its code.
fn advice(e: &ErrorView, account_status: &str) -> String {
    let code = e.code.as_deref().unwrap_or("");
    let base = e.message.clone().unwrap_or_else(|| code.replace('_', " "));
    let todo = if account_status == "needs_reconnect" || code.contains("unauthorized") || code.contains("token") {
        "Reconnect the account under Accounts, then retry."
    } else if code.contains("rate") {
        "The network is rate limiting; the worker retries by itself."
    } else if code.contains("rejected") || code.contains("validation") || code.contains("too_long") {
        "The network refused the content: edit the post, then retry."
    } else if code.contains("unconfirmed") || code.contains("unknown") {
        "We could not confirm whether it went out: check the network before retrying, to avoid a duplicate."
    } else {
        "Retry; if it fails again, quote this message to support."
    };
    format!("{base} — {todo}")
}

/// The post detail screen.
#[component]
pub fn PostDetail(ws: Ws, id: String) -> impl IntoView {
    let api = expect_context::<Api>();
    let zone = expect_context::<Zone>().effective(&ws.ws);
    let zone = StoredValue::new(zone);
    let tick = RwSignal::new(0u32);
    let path = ws_path(&ws.id(), &format!("/posts/{id}"));
    let path = StoredValue::new(path);
    let a = api.clone();
    let post = LocalResource::new(move || {
        tick.track();
        let a = a.clone();
        let path = path.get_value();
        async move { a.get::<Post>(&path).await }
    });
    // Live: while the post is due or publishing (and on focus), a changed version of it fetches
    // it again (crate::live).
    let scope = format!("post={}", crate::api::enc(&id));
    live::watch(
        ws.id(),
        move || scope.clone(),
        move || {
            post.get_untracked().and_then(Result::ok).is_some_and(|p| {
                live::due_or_in_flight(
                    &p.status,
                    p.scheduled_at.as_deref().and_then(time::parse),
                    p.targets.iter().map(|t| t.status.as_str()),
                )
            })
        },
        move || tick.try_update(|t| *t += 1).unwrap_or(()),
    );
    let ws = StoredValue::new(ws);
    // Cancelling is asked first (it stops every target that has not gone out).
    let confirm_cancel = RwSignal::new(false);
    view! {
        <section class="postiz-post">
            // A plain reactive match rather than a <Transition> around a Suspend: each answer
            // builds a PostBody whose sections (performance, approval, comments) own resources of
            // their own; under a Transition those were read by the boundary after the body that
            // owned them was replaced, which panics ("disposed"). The resource keeps showing the
            // previous post while the next one loads, so nothing flickers either way.
            {move || match post.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <div class="postiz-error" role="alert"><p>{e.to_string()}</p></div> }.into_any(),
                Some(Ok(p)) => view! { <PostBody ws=ws.get_value() post=p zone=zone.get_value() reload=tick confirm_cancel/> }.into_any(),
            }}
        </section>
    }
}

#[component]
/// `confirm_cancel`: whether "Cancel this post?" is open. Owned by the screen, not the body, which
/// is rebuilt on every live refresh (an open question would vanish under the user's pointer).
fn PostBody(ws: Ws, post: Post, zone: String, reload: RwSignal<u32>, confirm_cancel: RwSignal<bool>) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let ws_id = ws.id();
    let pid = post.id.clone();
    let busy = RwSignal::new(false);
    let run = {
        let api = api.clone();
        let ws_id = ws_id.clone();
        let pid = pid.clone();
        move |steps: Vec<(&'static str, String, Value)>, done: &'static str| {
            let api = api.clone();
            let base = ws_path(&ws_id, &format!("/posts/{pid}"));
            busy.set(true);
            leptos::task::spawn_local(async move {
                for (method, rest, body) in steps {
                    let r = match method {
                        "PATCH" => api.patch::<Value>(&format!("{base}{rest}"), &body).await,
                        _ => api.post::<Value>(&format!("{base}{rest}"), &body).await,
                    };
                    if let Err(e) = r {
                        busy.set(false);
                        toasts.error(&e);
                        reload.update(|t| *t += 1);
                        return;
                    }
                }
                busy.set(false);
                toasts.show(done, false);
                reload.update(|t| *t += 1);
            });
        }
    };
    let run2 = run.clone();
    let z = zone.clone();
    let retry = move |_| {
        // A failed post goes back to draft, gets a time a few seconds ahead, and is scheduled again.
        let at = time::iso(time::now() + 15_000.0);
        run(
            vec![
                ("POST", "/status".into(), json!({ "status": "draft" })),
                ("PATCH", String::new(), json!({ "schedule": { "kind": "once", "at": at, "time_zone": z } })),
                ("POST", "/status".into(), json!({ "status": "scheduled" })),
            ],
            "Retrying",
        )
    };
    let cancel = move |_: web_sys::MouseEvent| run2(vec![("POST", "/status".into(), json!({ "status": "canceled" }))], "Canceled");
    let can_edit = ws.can_edit();
    let status = post.status.clone();
    let editable = !matches!(status.as_str(), "publishing" | "published");
    let failed = status == "failed" || post.targets.iter().any(|t| t.status == "failed");
    let when = post.scheduled_at.as_deref().and_then(time::parse).map(|ms| time::describe(&zone, ms)).unwrap_or_else(|| "no date".into());
    let recurring =
        post.schedule.as_ref().filter(|s| s.kind != "once").map(|s| format!("{} · {}", s.kind, s.rrule.clone().unwrap_or_default()));
    let variants: Vec<(String, String)> = post.variants.iter().filter_map(|(n, v)| v.text.clone().map(|t| (n.clone(), t))).collect();
    let back = format!("w/{ws_id}/calendar");
    let edit_link = format!("w/{ws_id}/posts/{pid}/edit");
    let z2 = zone.clone();
    // Attached media: image thumbnails (the API's, same session), a label for videos.
    let media: Vec<(String, Option<String>, String)> = post
        .media
        .iter()
        .map(|m| {
            let image = m.mime_type.as_deref().is_some_and(|t| t.starts_with("image/"));
            let thumb = image.then(|| format!("{}{}", api.base(), ws_path(&ws_id, &format!("/media/{}/thumbnail", m.id))));
            (m.id.clone(), thumb, m.alt.clone().unwrap_or_default())
        })
        .collect();
    let media_count = media.len();
    let published_any = post.targets.iter().any(|t| t.status == "published");
    let links_tick = RwSignal::new(0u32);
    view! {
        <div class="postiz-post-head">
            <Link to=back class="postiz-btn">"← Calendar"</Link>
            <h2 class="postiz-title">"Post"</h2>
            <span data-post-status=status.clone()><StatusBadge status=status.clone()/></span>
            <span class="postiz-when">{when}</span>
            {recurring.map(|r| view! { <span class="postiz-badge">{format!("↻ {r}")}</span> })}
        </div>
        <div class="postiz-card">
            <p class="postiz-content">{post.content.clone()}</p>
            {variants.into_iter().map(|(n, t)| view! {
                <div class="postiz-variant-text" data-variant=n.clone()><NetworkBadge network=n.clone()/>{format!(" {}: {t}", network_name(&n))}</div>
            }).collect_view()}
            {(!media.is_empty()).then(|| view! {
                <div class="postiz-attached" data-post-media=media_count>
                    {media.into_iter().map(|(id, thumb, alt)| view! {
                        <span class="postiz-attached-item" data-media=id>
                            {match thumb {
                                Some(src) => view! { <AuthImage src alt/> }.into_any(),
                                None => view! { <span class="postiz-badge">"video"</span> }.into_any(),
                            }}
                        </span>
                    }).collect_view()}
                </div>
            })}
            <div class="postiz-picks">{post.tags.iter().map(|t| view! { <span class="postiz-badge">{t.name.clone()}</span> }).collect_view()}</div>
        </div>
        <crate::routes::review::ApprovalPanel ws_id=ws_id.clone() post_id=pid.clone() zone=zone.clone() reload=reload/>
        <table class="postiz-table" data-table="targets">
            <thead><tr><th>"Account"</th><th>"Status"</th><th>"Published"</th><th>"Details"</th></tr></thead>
            <tbody>
                {post.targets.iter().map(|t| {
                    let err = t.last_error.as_ref().or_else(|| t.jobs.iter().find_map(|j| j.last_error.as_ref())).map(|e| advice(e, &t.account.status));
                    let published = t.published_at.as_deref().and_then(time::parse).map(|ms| time::describe(&z2, ms));
                    view! {
                        <tr data-target=t.account.network.clone() data-status=t.status.clone()>
                            <td><NetworkBadge network=t.account.network.clone()/>{format!(" {}", t.account.display_name.clone().or(t.account.handle.clone()).unwrap_or_default())}</td>
                            <td><StatusBadge status=t.status.clone()/>{(t.attempts > 1).then(|| format!(" ({} attempts)", t.attempts))}</td>
                            <td>
                                {published.unwrap_or_default()}
                                {t.external_url.clone().map(|u| view! { " " <a class="postiz-link" data-published-link="1" href=u.clone() target="_blank" rel="noopener">"View post ↗"</a> })}
                            </td>
                            <td>
                                {err.map(|e| view! { <span class="postiz-error-text">{e}</span> })}
                                {(can_edit && t.status == "unconfirmed").then(|| view! {
                                    <crate::routes::review::UnconfirmedActions ws_id=ws_id.clone() post_id=pid.clone() target_id=t.id.clone() reload=reload/>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {published_any.then(|| view! { <Performance ws=ws_id.clone() post=pid.clone() zone=zone.clone()/> })}
        {can_edit.then(|| view! {
            <div class="postiz-actions">
                {editable.then(|| view! { <Link to=edit_link.clone() class="postiz-btn">"Edit"</Link> })}
                {failed.then(|| view! { <button class="postiz-btn postiz-btn-primary" data-action="retry" disabled=move || busy.get() on:click=retry>"Retry"</button> })}
                {(editable && status != "canceled").then(|| view! {
                    <button class="postiz-btn postiz-btn-danger" data-action="cancel" disabled=move || busy.get() on:click=move |_| confirm_cancel.set(true)>"Cancel post…"</button>
                })}
            </div>
            {move || confirm_cancel.get().then(|| {
                let cancel = cancel.clone();
                view! {
                    <div class="postiz-confirm" role="alertdialog" aria-labelledby="postiz-cancel-q">
                        <p id="postiz-cancel-q">"Cancel this post? It will not be published anywhere it has not gone out yet. You can schedule it again from Edit."</p>
                        <button type="button" class="postiz-btn postiz-btn-danger" data-action="confirm-cancel" on:click=move |ev| { confirm_cancel.set(false); cancel(ev); }>"Cancel the post"</button>
                        <button type="button" class="postiz-btn" on:click=move |_| confirm_cancel.set(false)>"Keep it"</button>
                    </div>
                }
            })}
        })}
        {ws.can_admin().then(|| {
            let label = post.content.chars().take(40).collect::<String>();
            let label = if label.trim().is_empty() { "Post review".to_owned() } else { format!("Review: {}", label.trim()) };
            view! {
                <crate::routes::review_links::ShareForReview ws=ws.clone() post_id=pid.clone() default_label=label reload=links_tick/>
                <crate::routes::review_links::ReviewLinks ws=ws.clone() post_id=pid.clone() zone=zone.clone() reload=links_tick/>
            }
        })}
        <Comments ws=ws_id.clone() post=pid.clone() zone=zone.clone() can_edit/>
    }
}

/// How the post does on each network: the latest numbers, a sparkline of one metric over the
/// readings, how fresh they are (or why they stopped). Re-read every minute while the page is
/// open, as readings keep coming for 30 days.
#[component]
fn Performance(ws: String, post: String, zone: String) -> impl IntoView {
    let api = expect_context::<Api>();
    let path = StoredValue::new(ws_path(&ws, &format!("/posts/{post}/analytics")));
    let version = RwSignal::new(0u32);
    let data = LocalResource::new(move || {
        version.track();
        let a = api.clone();
        let path = path.get_value();
        async move { a.get::<PostAnalytics>(&path).await }
    });
    let handle = set_interval_with_handle(move || version.update(|v| *v += 1), Duration::from_secs(60)).ok();
    on_cleanup(move || {
        if let Some(h) = handle {
            h.clear();
        }
    });
    let metric = RwSignal::new(None::<String>);
    let zone = StoredValue::new(zone);
    view! {
        <div class="postiz-card" data-section="performance">
            <h3 class="postiz-subtitle">"Performance"</h3>
            {move || match data.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) if e.code() == Some("analytics_not_in_plan") => view! {
                    <p class="postiz-hint" data-analytics="not-in-plan">"Analytics are not part of this workspace's plan."</p>
                }.into_any(),
                Some(Err(e)) => view! { <p class="postiz-hint">{e.to_string()}</p> }.into_any(),
                Some(Ok(a)) => {
                    let targets: Vec<TargetAnalytics> = a.targets.into_iter().filter(|t| t.published_at.is_some() || !t.series.is_empty()).collect();
                    let readings: Vec<&crate::api::Values> = targets.iter().flat_map(|t| t.series.iter().map(|r| &r.values)).collect();
                    let available: Vec<&'static str> = metrics::present(readings).into_iter().filter(|m| metrics::POST.contains(m)).collect();
                    let chosen = metric.get().filter(|m| available.contains(&m.as_str())).or_else(|| {
                        ["impressions", "views", "likes"].into_iter().find(|m| available.contains(m)).or(available.first().copied()).map(str::to_owned)
                    });
                    let several = targets.len() > 1 && !a.totals.is_empty();
                    let trends = targets.iter().any(|t| t.series.len() > 1);
                    let totals = a.totals.clone();
                    view! {
                        {(trends && available.len() > 1).then(|| {
                            let chosen = chosen.clone().unwrap_or_default();
                            view! {
                                <label class="postiz-inline-label">"Trend of"
                                    <select class="postiz-select" data-field="spark-metric" on:change=move |ev| metric.set(Some(event_target_value(&ev)))>
                                        {available.iter().map(|m| view! { <option value=*m selected=*m == chosen>{metrics::label(m).to_owned()}</option> }).collect_view()}
                                    </select>
                                </label>
                            }
                        })}
                        {several.then(|| view! {
                            <p class="postiz-hint" data-perf="totals">{format!("All accounts: {}", metrics::POST.iter().filter_map(|m| totals.get(*m).map(|v| format!("{} {}", metrics::label(m), metrics::full(*v)))).collect::<Vec<_>>().join(" · "))}</p>
                        })}
                        {targets.into_iter().map(|t| view! { <TargetPerformance target=t metric=chosen.clone() zone=zone.get_value()/> }).collect_view()}
                    }.into_any()
                }
            }}
        </div>
    }
}

#[component]
fn TargetPerformance(target: TargetAnalytics, metric: Option<String>, zone: String) -> impl IntoView {
    let who = target.display_name.clone().or_else(|| target.handle.clone()).unwrap_or_else(|| network_name(&target.network));
    let (fresh, problem) = freshness_words(target.freshness.as_ref(), &target.network);
    // What the network reports (the API says; without that list, what it sent).
    let reports = |m: &str| if target.reported.is_empty() { target.latest.contains_key(m) } else { target.reported.iter().any(|r| r == m) };
    let reported: Vec<&'static str> = metrics::POST.iter().copied().filter(|m| reports(m)).collect();
    let missing: Vec<&'static str> = metrics::POST.iter().copied().filter(|m| !reports(m)).collect();
    let empty = target.series.is_empty();
    // The chosen metric, or (where this network does not report it) the first one it does.
    let own = metrics::present(target.series.iter().map(|r| &r.values)).into_iter().find(|m| metrics::POST.contains(m)).map(str::to_owned);
    let metric = metric.filter(|m| target.series.iter().any(|r| r.values.contains_key(m))).or(own);
    let spark = metric.filter(|_| !empty).map(|m| {
        let times: Vec<f64> = target.series.iter().filter_map(|r| time::parse(&r.observed_at)).collect();
        let (t0, t1) = (times.first().copied().unwrap_or(0.0), times.last().copied().unwrap_or(0.0));
        let points: Vec<Point> = target
            .series
            .iter()
            .filter_map(|r| {
                let at = time::parse(&r.observed_at)?;
                let v = *r.values.get(&m)?;
                Some(Point { x: if t1 > t0 { (at - t0) / (t1 - t0) } else { 0.5 }, y: v as f64, label: time::describe(&zone, at) })
            })
            .collect();
        let label = metrics::label(&m).to_owned();
        if points.is_empty() {
            view! { <span class="postiz-hint">{format!("{label}: not reported")}</span> }.into_any()
        } else if points.len() == 1 {
            view! { <span class="postiz-hint" data-spark="one">"One reading so far: the trend shows from the next one."</span> }.into_any()
        } else {
            let n = points.len();
            let title = format!("{label} of {who} over {n} readings");
            let range = format!("{} → {} over {n} readings", metrics::full(points[0].y as i64), metrics::full(points[n - 1].y as i64));
            view! {
                <span class="postiz-spark-wrap" data-spark=m.clone()>
                    <span class="postiz-hint">{format!("{label} trend")}</span>
                    <Sparkline title points/>
                    <span class="postiz-hint" aria-hidden="true">{range}</span>
                </span>
            }
            .into_any()
        }
    });
    view! {
        <div class="postiz-perf" data-perf-target=target.target_id.clone() data-network=target.network.clone()>
            <div class="postiz-perf-head">
                <NetworkBadge network=target.network.clone()/>
                <strong>{who.clone()}</strong>
                <span class=if problem { "postiz-error-text" } else { "postiz-hint" } data-freshness=target.freshness.as_ref().map(|f| f.state.clone())>{fresh}</span>
            </div>
            {if empty {
                view! { <p class="postiz-hint" data-perf="waiting">"No numbers yet: the first reading comes about an hour after publishing."</p> }.into_any()
            } else {
                view! {
                    <div class="postiz-perf-body">
                        <dl class="postiz-perf-numbers">
                            {reported.into_iter().map(|m| view! {
                                <div class="postiz-perf-number" data-metric=m>
                                    <dt>{metrics::label(m).to_owned()}</dt>
                                    <dd>{metrics::cell(&target.latest, m)}</dd>
                                </div>
                            }).collect_view()}
                        </dl>
                        {spark}
                    </div>
                    {(!missing.is_empty()).then(|| view! {
                        <p class="postiz-hint" data-perf="not-reported">{format!("Not reported by {}: {}", network_name(&target.network), missing.iter().map(|m| metrics::noun(m)).collect::<Vec<_>>().join(", "))}</p>
                    })}
                }.into_any()
            }}
        </div>
    }
}

#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
struct Comment {
    id: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    created_at: String,
    /// The author's name (None: no longer a member).
    #[serde(default)]
    author_name: Option<String>,
    #[serde(default)]
    author_avatar_url: Option<String>,
    /// "via review link <label>" for a client's comment.
    #[serde(default)]
    via_review_link: Option<String>,
}

/// Internal comments on the post.
#[component]
fn Comments(ws: String, post: String, zone: String, can_edit: bool) -> impl IntoView {
    let zone = StoredValue::new(zone);
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let path = StoredValue::new(ws_path(&ws, &format!("/posts/{post}/comments")));
    let version = RwSignal::new(0);
    let a = api.clone();
    let list = LocalResource::new(move || {
        version.track();
        let a = a.clone();
        let path = path.get_value();
        async move { a.get::<Vec<Comment>>(&path).await }
    });
    let draft = RwSignal::new(String::new());
    let add = move |_| {
        let body = draft.get_untracked();
        if body.trim().is_empty() {
            return;
        }
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.post::<Value>(&path.get_value(), &json!({ "body": body })).await {
                Ok(_) => {
                    draft.set(String::new());
                    version.update(|v| *v += 1);
                }
                Err(e) => toasts.error(&e),
            }
        });
    };
    view! {
        <div class="postiz-card">
            <h3 class="postiz-subtitle">"Comments"</h3>
            {move || match list.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <p class="postiz-hint">{e.to_string()}</p> }.into_any(),
                Some(Ok(items)) => items.into_iter().map(|c| view! {
                    <div class="postiz-comment" data-comment=c.id>
                        <p class="postiz-row"><crate::components::Person name=c.author_name avatar_url=c.author_avatar_url/>
                            {c.via_review_link.map(|v| view! { <span class="postiz-badge" data-via-review-link="1">{v}</span> })}
                            <span class="postiz-hint">{time::parse(&c.created_at).map(|ms| time::describe(&zone.get_value(), ms)).unwrap_or_default()}</span></p>
                        <p>{c.body}</p>
                    </div>
                }).collect_view().into_any(),
            }}
            {can_edit.then(|| view! {
                <div class="postiz-row">
                    <input class="postiz-input" placeholder="Add a comment for the team" prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev))/>
                    <button class="postiz-btn" on:click=add>"Comment"</button>
                </div>
            })}
        </div>
    }
}
