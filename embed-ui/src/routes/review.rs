//! Approvals in the UI: the review queue (posts waiting for a decision the user may make), the
//! approval panel of a post (what is missing, the decisions, the buttons for those allowed), the
//! policy editor in Settings, and the buttons that resolve an unconfirmed target. The server
//! decides who may do what (`may_decide`, `refusal`); the UI only shows it.

use leptos::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{Api, UiError, ws_path};
use crate::app::{Toasts, Ws, Zone};
use crate::components::{Loading, describe};
use crate::nav::Link;
use crate::time;

/// `iso` as the user reads times elsewhere in the planner, in `zone`.
fn when(zone: &str, iso: &str) -> String {
    time::parse(iso).map(|ms| time::describe(zone, ms)).unwrap_or_else(|| iso.to_owned())
}

/// A step's progress (`postiz.post_approval`'s `steps[]`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct StepState {
    pub position: i32,
    #[serde(default)]
    pub min_role: Option<String>,
    #[serde(default)]
    pub members: Vec<String>,
    pub required: i32,
    #[serde(default)]
    pub approved_by: Vec<String>,
    pub satisfied: bool,
    pub open: bool,
}

/// The decision that sent the version back.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Blocked {
    pub decision: String,
    #[serde(default)]
    pub note: Option<String>,
}

/// A post's approval state.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ApprovalState {
    pub required: bool,
    pub approved: bool,
    #[serde(default)]
    pub blocked: Option<Blocked>,
    #[serde(default)]
    pub missing: Option<String>,
    #[serde(default)]
    pub steps: Vec<StepState>,
    pub may_decide: bool,
    #[serde(default)]
    pub refusal: Option<String>,
}

/// One logged decision.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct DecisionView {
    pub id: i64,
    pub decision: String,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub decided_by: Option<String>,
    /// The decider's name (None: no longer a member).
    #[serde(default)]
    pub decided_by_name: Option<String>,
    /// "via review link <label>" for a client's decision.
    #[serde(default)]
    pub via_review_link: Option<String>,
    pub current: bool,
    pub created_at: String,
}

/// `GET …/posts/{id}/approval`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct ApprovalView {
    #[serde(flatten)]
    pub state: ApprovalState,
    #[serde(default)]
    pub decisions: Vec<DecisionView>,
}

/// `GET …/review-queue` item.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct QueueItem {
    pub id: String,
    pub content_preview: String,
    #[serde(default)]
    pub scheduled_at: Option<String>,
    #[serde(default)]
    pub networks: Vec<String>,
    pub approval: ApprovalState,
}

/// `GET …/review-queue`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Queue {
    pub count: usize,
    pub posts: Vec<QueueItem>,
}

fn decision_words(d: &str) -> &'static str {
    match d {
        "approved" => "approved",
        "rejected" => "rejected",
        _ => "asked for changes",
    }
}

/// Approve / reject / request changes, with the note field the last two need.
#[component]
fn DecisionButtons(ws_id: String, post_id: String, done: Callback<()>) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let note = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let path = StoredValue::new(ws_path(&ws_id, &format!("/posts/{post_id}/decisions")));
    let decide = move |decision: &'static str| {
        let api = api.clone();
        busy.set(true);
        leptos::task::spawn_local(async move {
            let body = json!({ "decision": decision, "note": note.get_untracked() });
            match api.post::<Value>(&path.get_value(), &body).await {
                Ok(v) => {
                    error.set(None);
                    note.set(String::new());
                    let scheduled = v.get("scheduled").and_then(Value::as_bool).unwrap_or(false);
                    let msg = match (decision, scheduled) {
                        ("approved", true) => "Approved: the post is scheduled".to_owned(),
                        ("approved", false) => v
                            .get("not_scheduled_reason")
                            .and_then(Value::as_str)
                            .map(|r| format!("Approved, but not scheduled: {r}"))
                            .unwrap_or_else(|| "Approved".to_owned()),
                        ("rejected", _) => "Rejected".to_owned(),
                        _ => "Changes requested".to_owned(),
                    };
                    toasts.show(msg, false);
                    done.run(());
                }
                Err(UiError::Validation { fields, message }) => {
                    error.set(Some(fields.first().map(|f| f.message.clone()).unwrap_or(message)));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    let d1 = decide.clone();
    let d2 = decide.clone();
    view! {
        <div class="postiz-decide" data-decide=post_id.clone()>
            <button class="postiz-btn postiz-btn-primary" data-action="approve" disabled=move || busy.get() on:click=move |_| d1("approved")>"Approve"</button>
            <label class="postiz-field">
                <span>"Note (required to reject or ask for changes)"</span>
                <textarea class="postiz-input" data-field="note" prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
            </label>
            <button class="postiz-btn" data-action="request-changes" disabled=move || busy.get() on:click=move |_| d2("changes_requested")>"Request changes"</button>
            <button class="postiz-btn postiz-btn-danger" data-action="reject" disabled=move || busy.get() on:click=move |_| decide("rejected")>"Reject"</button>
            {move || error.get().map(|e| view! { <p class="postiz-error-text" data-error="decision">{e}</p> })}
        </div>
    }
}

/// The review queue screen.
#[component]
pub fn ReviewPage(ws: Ws) -> impl IntoView {
    let api = expect_context::<Api>();
    let tick = RwSignal::new(0u32);
    let zone = StoredValue::new(expect_context::<Zone>().effective(&ws.ws));
    let ws_id = ws.id();
    let path = StoredValue::new(ws_path(&ws_id, "/review-queue"));
    let queue = LocalResource::new(move || {
        tick.track();
        let api = api.clone();
        let path = path.get_value();
        async move { api.get::<Queue>(&path).await }
    });
    let ws_id = StoredValue::new(ws_id);
    let links_tick = RwSignal::new(0u32);
    let links_zone = zone.get_value();
    view! {
        <section class="postiz-review">
            <h2 class="postiz-title">"Review"</h2>
            <Transition fallback=|| view! { <Loading/> }>
                {move || queue.get().map(|r| match r {
                    Err(e) => view! { <p class="postiz-error-text">{e.to_string()}</p> }.into_any(),
                    Ok(q) if q.posts.is_empty() => view! { <p class="postiz-hint" data-review-empty="1">"Nothing waits for your decision."</p> }.into_any(),
                    Ok(q) => view! {
                        <ul class="postiz-review-list" data-review-count=q.count>
                            {q.posts.into_iter().map(|p| {
                                let ws_id = ws_id.get_value();
                                let link = format!("w/{ws_id}/posts/{}", p.id);
                                view! {
                                    <li class="postiz-card" data-review-post=p.id.clone()>
                                        <p class="postiz-content">{p.content_preview.clone()}</p>
                                        <p class="postiz-hint">{p.networks.join(", ")}{p.scheduled_at.clone().map(|s| format!(" · due {}", when(&zone.get_value(), &s)))}</p>
                                        {p.approval.missing.clone().map(|m| view! { <p class="postiz-hint" data-missing="1">{m}</p> })}
                                        <Link to=link class="postiz-link">"Open the post"</Link>
                                        <DecisionButtons ws_id=ws_id.clone() post_id=p.id.clone() done=Callback::new(move |_| tick.update(|t| *t += 1))/>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
            <crate::routes::review_links::ReviewLinks ws=ws.clone() zone=links_zone reload=links_tick/>
        </section>
    }
}

/// The number of posts waiting for the user's decision, for the nav (refreshed on `tick`).
pub fn queue_count(ws_id: String, tick: RwSignal<u32>) -> LocalResource<usize> {
    let api = expect_context::<Api>();
    LocalResource::new(move || {
        tick.track();
        let api = api.clone();
        let path = ws_path(&ws_id, "/review-queue");
        async move { api.get::<Queue>(&path).await.map(|q| q.count).unwrap_or(0) }
    })
}

/// A post's approval: what is missing, step progress, the decisions, buttons when allowed.
#[component]
pub fn ApprovalPanel(ws_id: String, post_id: String, zone: String, reload: RwSignal<u32>) -> impl IntoView {
    let api = expect_context::<Api>();
    let path = StoredValue::new(ws_path(&ws_id, &format!("/posts/{post_id}/approval")));
    let state = LocalResource::new(move || {
        reload.track();
        let api = api.clone();
        let path = path.get_value();
        async move { api.get::<ApprovalView>(&path).await }
    });
    let ids = StoredValue::new((ws_id, post_id));
    move || {
        let Some(Ok(a)) = state.get() else { return ().into_any() };
        if !a.state.required && a.decisions.is_empty() {
            return ().into_any();
        }
        let (ws_id, post_id) = ids.get_value();
        // No policy, yet decisions: a client's, through a review link (they count for no step).
        let label = if !a.state.required {
            "Client reviews"
        } else if a.state.approved {
            "Approved"
        } else if a.state.blocked.is_some() {
            "Sent back"
        } else {
            "Waiting for approval"
        };
        view! {
            <div class="postiz-card postiz-approval" data-approval=if !a.state.required { "reviews" } else if a.state.approved { "approved" } else { "pending" }>
                <h3>{label}</h3>
                {a.state.missing.clone().map(|m| view! { <p class="postiz-hint" data-missing="1">{m}</p> })}
                <ol class="postiz-steps">
                    {a.state.steps.iter().map(|s| {
                        let who = match (&s.min_role, s.members.is_empty()) {
                            (Some(r), true) => format!("{r} or above"),
                            (Some(r), false) => format!("{r} or above, or a named reviewer"),
                            (None, _) => "a named reviewer".to_owned(),
                        };
                        let mark = if s.satisfied { "✓" } else if s.open { "…" } else { "·" };
                        view! { <li data-step=s.position>{format!("{mark} Step {}: {} of {} approvals from {who}", s.position, s.approved_by.len().min(s.required as usize), s.required)}</li> }
                    }).collect_view()}
                </ol>
                {(!a.decisions.is_empty()).then(|| view! {
                    <ul class="postiz-decisions">
                        {a.decisions.iter().map(|d| view! {
                            <li class=if d.current { "" } else { "postiz-hint" } data-decision=d.decision.clone()>
                                {format!("{}{} {}{}{}",
                                    d.decided_by_name.clone().unwrap_or_else(|| if d.decided_by.is_some() { "A former member".into() } else { "Someone".into() }),
                                    d.via_review_link.clone().map(|v| format!(" ({v})")).unwrap_or_default(),
                                    decision_words(&d.decision),
                                    d.note.clone().map(|n| format!(": “{n}”")).unwrap_or_default(),
                                    if d.current { String::new() } else { " (an earlier version)".into() })}
                                " " <span class="postiz-hint">{when(&zone, &d.created_at)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                })}
                {if a.state.may_decide {
                    view! { <DecisionButtons ws_id=ws_id post_id=post_id done=Callback::new(move |_| reload.update(|t| *t += 1))/> }.into_any()
                } else {
                    a.state.refusal.clone().filter(|_| !a.state.approved).map(|r| view! { <p class="postiz-hint" data-refusal="1">{r}</p> }).into_any()
                }}
            </div>
        }
        .into_any()
    }
}

/// "It is on the network" (with its URL) / "Publish again" for an unconfirmed target.
#[component]
pub fn UnconfirmedActions(ws_id: String, post_id: String, target_id: String, reload: RwSignal<u32>) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let url = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let path = StoredValue::new(ws_path(&ws_id, &format!("/posts/{post_id}/targets/{target_id}/resolve")));
    let send = move |body: Value, done: &'static str| {
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.post::<Value>(&path.get_value(), &body).await {
                Ok(_) => {
                    error.set(None);
                    toasts.show(done, false);
                    reload.update(|t| *t += 1);
                }
                Err(UiError::Validation { fields, message }) => {
                    error.set(Some(fields.first().map(|f| f.message.clone()).unwrap_or(message)))
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    let s2 = send.clone();
    view! {
        <div class="postiz-resolve" data-resolve=target_id.clone()>
            <label class="postiz-field">
                <span>"Post address on the network"</span>
                <input class="postiz-input" data-field="url" placeholder="https://…" prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev))/>
            </label>
            <button class="postiz-btn" data-action="on-network" on:click=move |_| send(json!({ "outcome": "on_network", "url": url.get_untracked() }), "Marked as published")>"It is on the network"</button>
            <button class="postiz-btn" data-action="publish-again" on:click=move |_| s2(json!({ "outcome": "publish_again" }), "Publishing again")>"Publish again"</button>
            {move || error.get().map(|e| view! { <p class="postiz-error-text" data-error="resolve">{e}</p> })}
        </div>
    }
}

/// A step as the editor edits it.
#[derive(Clone, Debug, PartialEq)]
struct StepDraft {
    min_role: String,
    required: String,
}

/// The workspace's approval policy (admins edit; others read).
#[component]
pub fn ApprovalPolicyEditor(ws: Ws) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let steps = RwSignal::new(Vec::<StepDraft>::new());
    let allow_self = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let loaded = RwSignal::new(false);
    let admin = ws.can_admin();
    let path = StoredValue::new(ws_path(&ws.id(), "/approval-policy"));
    {
        let api = api.clone();
        leptos::task::spawn_local(async move {
            if let Ok(v) = api.get::<Value>(&path.get_value()).await {
                let w = &v["workspace"];
                allow_self.set(w["allow_self_approval"].as_bool().unwrap_or(false));
                let list = w["steps"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|s| StepDraft {
                                min_role: s["min_role"].as_str().unwrap_or("admin").to_owned(),
                                required: s["required"].as_i64().unwrap_or(1).to_string(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                steps.set(list);
            }
            loaded.set(true);
        });
    }
    let save = move |_| {
        let api = api.clone();
        let body = json!({
            "steps": steps.get_untracked().iter().map(|s| json!({
                "min_role": s.min_role, "required": s.required.trim().parse::<i64>().unwrap_or(0)
            })).collect::<Vec<_>>(),
            "allow_self_approval": allow_self.get_untracked(),
        });
        leptos::task::spawn_local(async move {
            match api.request::<Value>("PUT", &path.get_value(), Some(body.to_string())).await {
                Ok(_) => {
                    error.set(None);
                    toasts.show("Approval policy saved", false);
                }
                Err(UiError::Validation { fields, message }) => {
                    error.set(Some(fields.first().map(|f| describe(&f.field, &f.message)).unwrap_or(message)))
                }
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    };
    view! {
        <div class="postiz-card" data-section="approvals">
            <h3>"Approvals"</h3>
            <p class="postiz-hint">"Posts need these approvals, in order, before they can be scheduled. No steps: no approval needed."</p>
            {move || (!loaded.get()).then(|| view! { <Loading/> })}
            {move || steps.get().into_iter().enumerate().map(|(i, s)| view! {
                <div class="postiz-row" data-policy-step=i>
                    {format!("Step {}: ", i + 1)}
                    <select class="postiz-select" data-field="min_role" disabled=!admin
                        on:change=move |ev| { let v = event_target_value(&ev); steps.update(|l| if let Some(x) = l.get_mut(i) { x.min_role = v; }) }>
                        {["editor", "admin", "owner"].into_iter().map(|r| view! { <option value=r selected=s.min_role == r>{format!("{r} or above")}</option> }).collect_view()}
                    </select>
                    <input class="postiz-input" data-field="required" type="number" min="1" max="20" disabled=!admin prop:value=s.required.clone()
                        on:change=move |ev| { let v = event_target_value(&ev); steps.update(|l| if let Some(x) = l.get_mut(i) { x.required = v; }) }/>
                    " approvals "
                    {admin.then(|| view! { <button class="postiz-btn" on:click=move |_| steps.update(|l| { l.remove(i); })>"Remove"</button> })}
                </div>
            }).collect_view()}
            {admin.then(|| view! {
                <button class="postiz-btn" data-action="add-step" on:click=move |_| steps.update(|l| l.push(StepDraft { min_role: "admin".into(), required: "1".into() }))>"Add a step"</button>
                <label class="postiz-field"><input type="checkbox" data-field="allow_self_approval" prop:checked=move || allow_self.get() on:change=move |ev| allow_self.set(event_target_checked(&ev))/>" Authors may approve their own posts"</label>
                <button class="postiz-btn postiz-btn-primary" data-action="save-policy" on:click=save>"Save approvals"</button>
            })}
            {move || error.get().map(|e| view! { <p class="postiz-error-text" data-error="policy">{e}</p> })}
        </div>
    }
}
