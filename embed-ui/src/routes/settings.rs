//! Settings: the workspace (name, zone), members and roles, invitations, API keys, webhooks.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::api::{Account, Api, ApiKey, CreatedInvite, Invite, Member, Role, UiError, WebhookDelivery, WebhookEndpoint, ws_path};
use crate::app::{Toasts, Ws};
use crate::components::{ErrorBox, FieldMessage, Loading, network_name};

const ROLES: [Role; 4] = [Role::Viewer, Role::Editor, Role::Admin, Role::Owner];

/// The settings screen.
#[component]
pub fn SettingsPage(ws: Ws) -> impl IntoView {
    view! {
        <section class="postiz-settings">
            <h2 class="postiz-title">"Settings"</h2>
            <WorkspaceForm ws=ws.clone()/>
            <Members ws=ws.clone()/>
            <crate::routes::review::ApprovalPolicyEditor ws=ws.clone()/>
            {ws.can_admin().then(|| view! { <Invites ws=ws.clone()/> })}
            {ws.can_admin().then(|| view! { <ApiKeys ws=ws.clone()/> })}
            {ws.can_admin().then(|| view! { <Webhooks ws=ws.clone()/> })}
        </section>
    }
}

#[component]
fn WorkspaceForm(ws: Ws) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let name = RwSignal::new(ws.ws.name.clone());
    let zone = RwSignal::new(ws.ws.time_zone.clone());
    let error = RwSignal::new(None::<UiError>);
    let admin = ws.can_admin();
    let path = ws_path(&ws.id(), "");
    let save = move |_| {
        let api = api.clone();
        let path = path.clone();
        leptos::task::spawn_local(async move {
            match api.patch::<Value>(&path, &json!({ "name": name.get_untracked(), "time_zone": zone.get_untracked() })).await {
                Ok(_) => {
                    error.set(None);
                    toasts.show("Workspace saved (reload to see the new name everywhere)", false);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <div class="postiz-card">
            <h3 class="postiz-subtitle">"Workspace"</h3>
            <label class="postiz-label">"Name"
                <input class="postiz-input" prop:value=move || name.get() disabled=!admin on:input=move |ev| name.set(event_target_value(&ev))/>
            </label>
            <FieldMessage error prefixes=vec!["name"]/>
            <label class="postiz-label">"Time zone (IANA, e.g. Europe/Paris)"
                <input class="postiz-input" prop:value=move || zone.get() disabled=!admin on:input=move |ev| zone.set(event_target_value(&ev))/>
            </label>
            <FieldMessage error prefixes=vec!["time_zone"]/>
            <p class="postiz-hint">{format!("Plan: {} · your role: {}", ws.ws.plan, ws.ws.role.as_str())}</p>
            {admin.then(|| view! { <button class="postiz-btn postiz-btn-primary" on:click=save>"Save"</button> })}
            {move || error.get().filter(|e| e.fields().is_empty()).map(|e| view! { <div class="postiz-error">{e.to_string()}</div> })}
        </div>
    }
}

#[component]
fn Members(ws: Ws) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let version = RwSignal::new(0u32);
    let ws_id = StoredValue::new(ws.id());
    let my_role = ws.ws.role;
    let a = api.clone();
    let list = LocalResource::new(move || {
        version.track();
        let a = a.clone();
        let path = ws_path(&ws_id.get_value(), "/members");
        async move { a.get::<Vec<Member>>(&path).await }
    });
    let change = move |user: String, role: String| {
        let api = api.clone();
        leptos::task::spawn_local(async move {
            let path = ws_path(&ws_id.get_value(), &format!("/members/{user}"));
            let r = if role == "remove" {
                api.delete(&path).await
            } else {
                api.patch::<Value>(&path, &json!({ "role": role })).await.map(|_| ())
            };
            match r {
                Ok(()) => toasts.show("Member updated", false),
                Err(e) => toasts.error(&e),
            }
            version.update(|v| *v += 1);
        });
    };
    view! {
        <div class="postiz-card">
            <h3 class="postiz-subtitle">"Members"</h3>
            <Transition fallback=|| view! { <Loading/> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorBox errors=errors/> }>
                    {
                        let change = change.clone();
                        move || {
                            let change = change.clone();
                            Suspend::new(async move {
                                let members = list.await?;
                                Ok::<_, UiError>(view! {
                                    <table class="postiz-table" data-table="members">
                                        <thead><tr><th>"Member"</th><th>"Role"</th></tr></thead>
                                        <tbody>
                                            {members.into_iter().map(|m| {
                                                let editable = my_role >= Role::Admin && !m.is_me && (m.role < Role::Owner || my_role == Role::Owner);
                                                let user = m.user_id.clone();
                                                let change = change.clone();
                                                view! {
                                                    <tr data-member=m.user_id.clone()>
                                                        <td><crate::components::Person name=m.name.clone() avatar_url=m.avatar_url.clone()/>{m.is_me.then_some(" (you)")}</td>
                                                        <td>
                                                            {if editable {
                                                                view! {
                                                                    <select class="postiz-select" aria-label=format!("Role of {}", m.name.clone().unwrap_or_else(|| "this member".to_owned())) on:change=move |ev| change(user.clone(), event_target_value(&ev))>
                                                                        {ROLES.iter().filter(|r| **r != Role::Owner).map(|r| view! { <option value=r.as_str() selected=*r == m.role>{r.as_str()}</option> }).collect_view()}
                                                                        <option value="remove">"remove from workspace"</option>
                                                                    </select>
                                                                }.into_any()
                                                            } else {
                                                                view! { <span class="postiz-badge">{m.role.as_str()}</span> }.into_any()
                                                            }}
                                                        </td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                })
                            })
                        }
                    }
                </ErrorBoundary>
            </Transition>
        </div>
    }
}

#[component]
fn Invites(ws: Ws) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let version = RwSignal::new(0u32);
    let ws_id = StoredValue::new(ws.id());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new("editor".to_owned());
    let error = RwSignal::new(None::<UiError>);
    let token = RwSignal::new(None::<String>);
    let sent = RwSignal::new(None::<String>);
    let a = api.clone();
    let list = LocalResource::new(move || {
        version.track();
        let a = a.clone();
        let path = ws_path(&ws_id.get_value(), "/invites");
        async move { a.get::<Vec<Invite>>(&path).await }
    });
    let a = api.clone();
    let invite = move |_| {
        let api = a.clone();
        leptos::task::spawn_local(async move {
            match api
                .post::<CreatedInvite>(
                    &ws_path(&ws_id.get_value(), "/invites"),
                    &json!({ "email": email.get_untracked(), "role": role.get_untracked() }),
                )
                .await
            {
                Ok(c) => {
                    error.set(None);
                    email.set(String::new());
                    sent.set(Some(delivery_words(&c.invite, true)));
                    token.set(Some(c.token));
                    version.update(|v| *v += 1);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let revoke = move |id: String| {
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.delete(&ws_path(&ws_id.get_value(), &format!("/invites/{id}"))).await {
                Ok(()) => version.update(|v| *v += 1),
                Err(e) => toasts.error(&e),
            }
        });
    };
    view! {
        <div class="postiz-card">
            <h3 class="postiz-subtitle">"Invitations"</h3>
            <div class="postiz-row">
                <input class="postiz-input" type="email" aria-label="Email" placeholder="email@example.com" prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                <select class="postiz-select" aria-label="Role" on:change=move |ev| role.set(event_target_value(&ev))>
                    <option value="viewer">"viewer"</option>
                    <option value="editor" selected=true>"editor"</option>
                    <option value="admin">"admin"</option>
                </select>
                <button class="postiz-btn postiz-btn-primary" on:click=invite>"Invite"</button>
            </div>
            <FieldMessage error prefixes=vec!["email", "role"]/>
            {move || error.get().filter(|e| e.fields().is_empty()).map(|e| view! { <div class="postiz-error">{e.to_string()}</div> })}
            {move || sent.get().map(|words| view! { <p class="postiz-hint" role="status">{words}</p> })}
            {move || token.get().map(|t| view! { <p class="postiz-hint">"Their invite code, if they need one (shown once): "<code>{t}</code></p> })}
            {move || match list.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(e)) => view! { <p class="postiz-error">{e.to_string()}</p> }.into_any(),
                Some(Ok(items)) => items.into_iter().map(|i| {
                    let revoke = revoke.clone();
                    let id = i.id.clone();
                    view! {
                        <div class="postiz-row">
                            <span>{i.email.clone()}</span>
                            <span class="postiz-badge">{i.role.as_str()}</span>
                            <span class="postiz-hint" data-invited-by="">{format!("Invited by {}.", i.invited_by_name.clone().unwrap_or_else(|| "a former member".to_owned()))}</span>
                            <span class="postiz-hint">{if i.accepted_at.is_some() { "accepted".to_owned() } else { format!("{} Expires {}.", delivery_words(&i, false), crate::time::day_label(&i.expires_at.chars().take(10).collect::<String>())) }}</span>
                            {i.accepted_at.is_none().then(|| view! { <button class="postiz-btn postiz-btn-small" on:click=move |_| revoke(id.clone())>"Revoke"</button> })}
                        </div>
                    }
                }).collect_view().into_any(),
            }}
        </div>
    }
}

/// What each API key scope lets a key do, in the words the settings show.
const KEY_SCOPES: [(&str, &str); 6] = [
    ("posts:read", "Read posts"),
    ("posts:write", "Create and schedule posts"),
    ("media:read", "Read the media library"),
    ("media:write", "Upload media"),
    ("accounts:read", "Read connected accounts"),
    ("analytics:read", "Read analytics"),
];

/// Lifetimes offered for a new key (days; none: until revoked).
const KEY_LIFETIMES: [(&str, &str); 4] =
    [("", "Never expires"), ("30", "Expires in 30 days"), ("90", "Expires in 90 days"), ("365", "Expires in a year")];

fn scope_label(scope: &str) -> &str {
    KEY_SCOPES.iter().find(|(s, _)| *s == scope).map_or(scope, |(_, label)| label)
}

/// API keys (`/workspaces/{ws}/api-keys`), for the host's automations: each with the
/// permissions it was given and an optional expiry; shown once when created; revoked at once.
#[component]
fn ApiKeys(ws: Ws) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let version = RwSignal::new(0u32);
    let ws_id = StoredValue::new(ws.id());
    let zone = StoredValue::new(ws.ws.time_zone.clone());
    let name = RwSignal::new(String::new());
    // Least privilege by default: reading posts only.
    let scopes = RwSignal::new(vec!["posts:read".to_owned()]);
    let lifetime = RwSignal::new(String::new());
    let secret = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<String>);
    let revoking = RwSignal::new(None::<String>);
    let a = api.clone();
    let list = LocalResource::new(move || {
        version.track();
        let a = a.clone();
        let path = ws_path(&ws_id.get_value(), "/api-keys");
        async move { a.get::<Vec<ApiKey>>(&path).await }
    });
    let a = api.clone();
    let create = move |_| {
        let api = a.clone();
        problem.set(None);
        let chosen = scopes.get_untracked();
        if name.get_untracked().trim().is_empty() {
            problem.set(Some("Key name: give the key a name, e.g. the automation that will use it.".into()));
            return;
        }
        if chosen.is_empty() {
            problem.set(Some("Permissions: choose at least one.".into()));
            return;
        }
        let expires_at =
            lifetime.get_untracked().parse::<f64>().ok().map(|days| crate::time::iso(crate::time::now() + days * 86_400_000.0));
        let body = json!({ "name": name.get_untracked().trim(), "scopes": chosen, "expires_at": expires_at });
        leptos::task::spawn_local(async move {
            match api.post::<Value>(&ws_path(&ws_id.get_value(), "/api-keys"), &body).await {
                Ok(v) => {
                    secret.set(v.get("key").or_else(|| v.get("token")).and_then(Value::as_str).map(str::to_owned));
                    name.set(String::new());
                    version.update(|x| *x += 1);
                }
                Err(e @ UiError::Validation { .. }) => problem.set(Some(e.to_string())),
                Err(e) => toasts.error(&e),
            }
        });
    };
    let revoke = move |id: String| {
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.delete(&ws_path(&ws_id.get_value(), &format!("/api-keys/{id}"))).await {
                Ok(()) => {
                    revoking.set(None);
                    // A key shown a moment ago may be the one revoked: it is of no use any more.
                    secret.set(None);
                    version.update(|x| *x += 1);
                }
                Err(e) => toasts.error(&e),
            }
        });
    };
    let key_row = move |k: ApiKey| {
        let zone = zone.get_value();
        let when = |iso: &Option<String>| iso.as_deref().and_then(crate::time::parse).map(|ms| crate::time::describe(&zone, ms));
        let state = if let Some(at) = when(&k.revoked_at) {
            format!("Revoked {at}")
        } else if k.expires_at.as_deref().and_then(crate::time::parse).is_some_and(|ms| ms <= crate::time::now()) {
            format!("Expired {}", when(&k.expires_at).unwrap_or_default())
        } else {
            let used = k
                .last_used_at
                .as_deref()
                .and_then(crate::time::parse)
                .map_or_else(|| "Never used".to_owned(), |ms| format!("Last used {}", crate::time::relative(ms)));
            match when(&k.expires_at) {
                Some(at) => format!("{used} · expires {at}"),
                None => format!("{used} · never expires"),
            }
        };
        let active = k.revoked_at.is_none();
        let id = k.id.clone();
        let key_name = k.name.clone();
        let revoke = revoke.clone();
        view! {
            <div class="postiz-row postiz-api-key" class:postiz-muted=!active>
                <span class="postiz-api-key-name">{k.name.clone()}</span>
                <code>{k.prefix.clone().unwrap_or_default()}"…"</code>
                <span class="postiz-api-key-scopes">{k.scopes.iter().map(|s| scope_label(s).to_owned()).collect::<Vec<_>>().join(", ")}</span>
                <span class="postiz-hint">{state}</span>
                {active.then(|| {
                    let id = id.clone();
                    let revoke = revoke.clone();
                    view! {
                        {move || {
                            let id = id.clone();
                            let revoke = revoke.clone();
                            if revoking.get().as_deref() == Some(id.as_str()) {
                                view! {
                                    <span role="alertdialog" aria-label="Revoke this key?">
                                        {format!("Revoke “{key_name}”? What uses it stops working at once. ")}
                                        <button class="postiz-btn postiz-btn-danger" on:click=move |_| revoke(id.clone())>"Revoke"</button>
                                        <button class="postiz-btn" on:click=move |_| revoking.set(None)>"Cancel"</button>
                                    </span>
                                }.into_any()
                            } else {
                                view! { <button class="postiz-btn" on:click=move |_| revoking.set(Some(id.clone()))>"Revoke…"</button> }.into_any()
                            }
                        }}
                    }
                })}
            </div>
        }
    };
    view! {
        <div class="postiz-card">
            <h3 class="postiz-subtitle">"API keys"</h3>
            <p class="postiz-hint">"For your own automations through the public API. A key acts for this workspace with the permissions you give it."</p>
            {move || match list.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(UiError::NotFound)) | Some(Err(UiError::Api { status: 405, .. })) => view! { <p class="postiz-hint">"API keys are not available on this server yet."</p> }.into_any(),
                Some(Err(e)) => view! { <p class="postiz-error">{e.to_string()}</p> }.into_any(),
                Some(Ok(keys)) => view! {
                    {keys.into_iter().map(key_row.clone()).collect_view()}
                    <fieldset class="postiz-fieldset postiz-api-key-new">
                        <legend>"New key"</legend>
                        <input class="postiz-input" placeholder="Key name" aria-label="Key name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                        <div class="postiz-row" role="group" aria-label="Permissions">
                            {KEY_SCOPES.iter().map(|(scope, label)| {
                                let scope = (*scope).to_owned();
                                let s2 = scope.clone();
                                view! {
                                    <label class="postiz-check">
                                        <input type="checkbox" prop:checked=move || scopes.get().contains(&s2) on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            scopes.update(|list| {
                                                list.retain(|s| *s != scope);
                                                if on { list.push(scope.clone()); }
                                            });
                                        }/>
                                        {*label}
                                    </label>
                                }
                            }).collect_view()}
                        </div>
                        <select class="postiz-input" aria-label="Expires" on:change=move |ev| lifetime.set(event_target_value(&ev))>
                            {KEY_LIFETIMES.iter().map(|(v, label)| view! { <option value=*v selected=move || lifetime.get() == *v>{*label}</option> }).collect_view()}
                        </select>
                        <button class="postiz-btn" on:click=create.clone()>"Create key"</button>
                        {move || problem.get().map(|p| view! { <p class="postiz-error" role="alert">{p}</p> })}
                    </fieldset>
                    {move || secret.get().map(|s| view! { <p class="postiz-hint" role="status">"Copy it now, it is shown once: "<code>{s}</code></p> })}
                }.into_any(),
            }}
        </div>
    }
}

/// How the invitee hears of an invitation, in words for the admin: about the address right
/// after inviting (`named`), about "them" in the list beside it.
fn delivery_words(i: &Invite, named: bool) -> String {
    let (they, has, was) = if named { (i.email.as_str(), "has", "was") } else { ("They", "have", "were") };
    match (i.delivery.as_str(), i.email_status.as_deref()) {
        ("in_app", _) => format!("{they} already {has} an account: the invitation waits for them in the planner."),
        ("auth_email", Some("sent")) => format!("{they} {was} emailed an invitation."),
        ("auth_email", Some("refused")) => format!(
            "The invitation email could not be sent ({}). Send the invite code instead.",
            i.email_error.as_deref().unwrap_or("refused")
        ),
        ("auth_email", _) => "An invitation email was requested; it may take a while to arrive.".to_owned(),
        _ if named => format!("Send {} the invite code: they enter it after signing in.", i.email),
        _ => "Send them the invite code: they enter it after signing in.".to_owned(),
    }
}

/// The events an endpoint can be limited to (the API's `EVENTS`, without the test event, which
/// is only ever sent on request), in words.
const WEBHOOK_EVENTS: [(&str, &str); 7] = [
    ("post.queued", "Post queued"),
    ("post.publishing", "Publishing started"),
    ("post.published", "Published"),
    ("post.failed", "Failed"),
    ("post.unconfirmed", "Not confirmed by the network"),
    ("post.approval_decided", "Approval decided"),
    ("account.status_changed", "Account connection changed"),
];

/// An event type in words (unknown ones as they are).
fn event_words(event: &str) -> String {
    match event {
        "webhook.test" => "Test event".to_owned(),
        e => WEBHOOK_EVENTS.iter().find(|(k, _)| *k == e).map_or_else(|| e.to_owned(), |(_, w)| (*w).to_owned()),
    }
}

/// What an endpoint receives: "Every event" or the chosen ones, and for which account.
fn endpoint_filter_words(e: &WebhookEndpoint, accounts: &[Account]) -> String {
    let events =
        if e.events.is_empty() { "Every event".to_owned() } else { e.events.iter().map(|x| event_words(x)).collect::<Vec<_>>().join(", ") };
    match &e.social_account_id {
        None => format!("{events}, every account"),
        Some(id) => {
            format!("{events}, only {}", accounts.iter().find(|a| &a.id == id).map_or_else(|| "one account".to_owned(), account_words))
        }
    }
}

/// "Acme (Mastodon)": the account as every other screen names it.
fn account_words(a: &Account) -> String {
    format!("{} ({})", a.label(), network_name(&a.network))
}

/// A delivery's state in words.
fn delivery_status_words(status: &str) -> &str {
    match status {
        "pending" => "Waiting to be sent",
        "delivered" => "Delivered",
        "failed" => "Gave up",
        other => other,
    }
}

/// Outgoing webhooks (`/workspaces/{ws}/webhooks`): endpoints, the secret shown once, turning one
/// off or on again, rotating its secret (the old one honoured for a day), a test event, and each
/// endpoint's delivery log with redelivery.
#[component]
fn Webhooks(ws: Ws) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let version = RwSignal::new(0u32);
    let ws_id = StoredValue::new(ws.id());
    let zone = StoredValue::new(ws.ws.time_zone.clone());
    let url = RwSignal::new(String::new());
    let secret = RwSignal::new(None::<String>);
    let rotated = RwSignal::new(None::<(String, String)>);
    let url_error = RwSignal::new(None::<String>);
    let open_log = RwSignal::new(None::<String>);
    // The endpoint whose filter is being edited, with the boxes ticked and the account picked.
    let editing = RwSignal::new(None::<String>);
    let picked = RwSignal::new(Vec::<String>::new());
    let only_account = RwSignal::new(String::new());
    let a = api.clone();
    let list = LocalResource::new(move || {
        version.track();
        let a = a.clone();
        let path = ws_path(&ws_id.get_value(), "/webhooks");
        async move { a.get::<Vec<WebhookEndpoint>>(&path).await }
    });
    let a = api.clone();
    let accounts = LocalResource::new(move || {
        let a = a.clone();
        let path = ws_path(&ws_id.get_value(), "/accounts");
        async move { a.get::<Vec<Account>>(&path).await.unwrap_or_default() }
    });
    let a = api.clone();
    let log = LocalResource::new(move || {
        version.track();
        let a = a.clone();
        let path = open_log.get().map(|id| ws_path(&ws_id.get_value(), &format!("/webhooks/{id}/deliveries")));
        async move {
            match path {
                Some(path) => a.get::<Vec<WebhookDelivery>>(&path).await.map(Some),
                None => Ok(None),
            }
        }
    });
    let act = {
        let api = api.clone();
        // `closes_editor`: the filter editor closes once the change is saved (kept open on a
        // refusal, with what was chosen).
        move |method: &'static str, path: String, body: Value, closes_editor: bool| {
            let api = api.clone();
            let path = ws_path(&ws_id.get_value(), &path);
            leptos::task::spawn_local(async move {
                let done = match method {
                    "PATCH" => api.patch::<Value>(&path, &body).await.map(|_| ()),
                    "DELETE" => api.delete(&path).await,
                    _ => api.post::<Value>(&path, &body).await.map(|_| ()),
                };
                match done {
                    Ok(()) => {
                        if closes_editor {
                            editing.set(None);
                        }
                        version.update(|x| *x += 1);
                    }
                    Err(e) => toasts.error(&e),
                }
            });
        }
    };
    let create = {
        let api = api.clone();
        move |_| {
            let api = api.clone();
            url_error.set(None);
            leptos::task::spawn_local(async move {
                match api.post::<Value>(&ws_path(&ws_id.get_value(), "/webhooks"), &json!({ "url": url.get_untracked() })).await {
                    Ok(v) => {
                        secret.set(v.get("secret").and_then(Value::as_str).map(str::to_owned));
                        url.set(String::new());
                        version.update(|x| *x += 1);
                    }
                    Err(UiError::Validation { fields, .. }) if !fields.is_empty() => {
                        url_error.set(fields.into_iter().next().map(|f| f.message));
                    }
                    Err(e) => toasts.error(&e),
                }
            });
        }
    };
    let rotate = {
        let api = api.clone();
        move |id: String| {
            let api = api.clone();
            leptos::task::spawn_local(async move {
                match api.post::<Value>(&ws_path(&ws_id.get_value(), &format!("/webhooks/{id}/rotate-secret")), &json!({})).await {
                    Ok(v) => {
                        let until = v
                            .get("previous_secret_valid_until")
                            .and_then(Value::as_str)
                            .and_then(crate::time::parse)
                            .and_then(|ms| zone.try_with_value(|z| crate::time::describe(z, ms)))
                            .unwrap_or_default();
                        if let Some(s) = v.get("secret").and_then(Value::as_str) {
                            secret.set(None);
                            rotated.set(Some((s.to_owned(), until)));
                        }
                        version.update(|x| *x += 1);
                    }
                    Err(e) => toasts.error(&e),
                }
            });
        }
    };
    view! {
        <div class="postiz-card">
            <h3 class="postiz-subtitle">"Webhooks"</h3>
            <p class="postiz-hint">"Events are POSTed signed per Standard Webhooks; verify them with the standardwebhooks library and your endpoint's secret."</p>
            {let act = act.clone(); move || match list.get() {
                None => view! { <Loading/> }.into_any(),
                Some(Err(UiError::NotFound)) | Some(Err(UiError::Api { status: 405, .. })) => view! { <p class="postiz-hint">"Webhooks are not available on this server yet."</p> }.into_any(),
                Some(Err(e)) => view! { <p class="postiz-error">{e.to_string()}</p> }.into_any(),
                Some(Ok(endpoints)) => {
                    let act = act.clone();
                    let rotate = rotate.clone();
                    let known = accounts.get().unwrap_or_default();
                    endpoints.into_iter().map(move |e| {
                        let (act1, act2, act3, save_act) = (act.clone(), act.clone(), act.clone(), act.clone());
                        let rotate = rotate.clone();
                        let (id1, id2, id3, id4, id5) = (e.id.clone(), e.id.clone(), e.id.clone(), e.id.clone(), e.id.clone());
                        let old_until = e
                            .previous_secret_valid_until
                            .as_deref()
                            .and_then(crate::time::parse)
                            .map(|ms| zone.with_value(|z| crate::time::describe(z, ms)));
                        let enabled = e.enabled;
                        let filter = endpoint_filter_words(&e, &known);
                        let (edit_id, start_events, start_account) = (e.id.clone(), e.events.clone(), e.social_account_id.clone().unwrap_or_default());
                        let this = e.id.clone();
                        let is_editing = move || editing.get().as_deref() == Some(this.as_str());
                        let options = known.clone();
                        view! {
                            <div class="postiz-row" data-webhook=e.id.clone()>
                                <code>{e.url.clone()}</code>
                                <span class="postiz-hint" data-webhook-filter="">{filter}</span>
                                <span>{if enabled { "On".to_owned() } else { format!("Off: {}", e.disabled_reason.clone().unwrap_or_default()) }}</span>
                                <button class="postiz-btn" data-action="edit-webhook-filter" on:click=move |_| {
                                    picked.set(start_events.clone());
                                    only_account.set(start_account.clone());
                                    editing.set(if editing.get_untracked().as_deref() == Some(edit_id.as_str()) { None } else { Some(edit_id.clone()) });
                                }>"Choose events…"</button>
                                <button class="postiz-btn" on:click=move |_| act1("PATCH", format!("/webhooks/{id1}"), json!({ "enabled": !enabled }), false)>
                                    {if enabled { "Turn off" } else { "Turn on again" }}
                                </button>
                                <button class="postiz-btn" on:click=move |_| act2("POST", format!("/webhooks/{id2}/test"), json!({}), false)>"Send test event"</button>
                                <button class="postiz-btn" data-action="rotate-secret" on:click=move |_| rotate(id5.clone())>"Rotate secret"</button>
                                {old_until.map(|t| view! { <span class="postiz-hint">{format!("Old secret still signs until {t}")}</span> })}
                                <button class="postiz-btn" on:click=move |_| open_log.set(if open_log.get_untracked().as_deref() == Some(id3.as_str()) { None } else { Some(id3.clone()) })>"Delivery log"</button>
                                <button class="postiz-btn" on:click=move |_| act3("DELETE", format!("/webhooks/{id4}"), Value::Null, false)>"Delete"</button>
                            </div>
                            {move || is_editing().then(|| {
                                let save_act = save_act.clone();
                                let endpoint = e.id.clone();
                                let options = options.clone();
                                view! {
                                    <fieldset class="postiz-fieldset" data-section="webhook-filter">
                                        <legend>"Send these events"</legend>
                                        <p class="postiz-hint">"Tick none to receive every event, including ones added later."</p>
                                        {WEBHOOK_EVENTS.iter().map(|(key, words)| {
                                            let key = *key;
                                            view! {
                                                <label class="postiz-check">
                                                    <input type="checkbox" data-event=key
                                                        prop:checked=move || picked.with(|p| p.iter().any(|x| x == key))
                                                        on:change=move |ev| {
                                                            let on = event_target_checked(&ev);
                                                            picked.update(|p| {
                                                                p.retain(|x| x != key);
                                                                if on {
                                                                    p.push(key.to_owned());
                                                                }
                                                            });
                                                        }/>
                                                    {*words}
                                                </label>
                                            }
                                        }).collect_view()}
                                        <label class="postiz-label">"Account"
                                            // The choice is on the options: a select's value set before its
                                            // options exist falls back to the first one.
                                            <select class="postiz-input" data-field="webhook-account"
                                                on:change=move |ev| only_account.set(event_target_value(&ev))>
                                                <option value="" selected=move || only_account.with(String::is_empty)>"Every account"</option>
                                                {options.iter().map(|a| {
                                                    let id = a.id.clone();
                                                    view! { <option value=a.id.clone() selected=move || only_account.with(|x| *x == id)>{account_words(a)}</option> }
                                                }).collect_view()}
                                            </select>
                                        </label>
                                        <div class="postiz-row">
                                            <button class="postiz-btn postiz-btn-primary" data-action="save-webhook-filter" on:click=move |_| {
                                                // In the catalogue's order, whatever order they were ticked in.
                                                let events: Vec<&str> = WEBHOOK_EVENTS.iter().map(|(k, _)| *k).filter(|k| picked.with_untracked(|p| p.iter().any(|x| x == k))).collect();
                                                let account = only_account.get_untracked();
                                                let account = if account.is_empty() { Value::Null } else { json!(account) };
                                                save_act("PATCH", format!("/webhooks/{endpoint}"), json!({ "events": events, "social_account_id": account }), true);
                                            }>"Save"</button>
                                            <button class="postiz-btn" on:click=move |_| editing.set(None)>"Cancel"</button>
                                        </div>
                                    </fieldset>
                                }
                            })}
                        }
                    }).collect_view().into_any()
                }
            }}
            {
                let act = act.clone();
                move || {
                    let act = act.clone();
                    match (open_log.get(), log.get()) {
                        (Some(endpoint), Some(Ok(Some(rows)))) => view! {
                            <div class="postiz-card">
                                <h4 class="postiz-subtitle">"Delivery log"</h4>
                                {rows.into_iter().map(|d| {
                                    let act = act.clone();
                                    let endpoint = endpoint.clone();
                                    let code = d.last_response_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into());
                                    view! {
                                        <div class="postiz-row">
                                            <span data-delivery-event=d.event_type.clone()>{event_words(&d.event_type)}</span>
                                            <span data-delivery-status=d.status.clone()>{delivery_status_words(&d.status).to_owned()}</span>
                                            <span>{format!("{} attempt(s), last answer {code}", d.attempts)}</span>
                                            <span class="postiz-hint">{d.last_error.clone().unwrap_or_default()}</span>
                                            <button class="postiz-btn" on:click=move |_| act("POST", format!("/webhooks/{endpoint}/deliveries/{}/redeliver", d.id), json!({}), false)>"Redeliver"</button>
                                        </div>
                                    }
                                }).collect_view()}
                            </div>
                        }.into_any(),
                        (Some(_), Some(Err(e))) => view! { <p class="postiz-error">{e.to_string()}</p> }.into_any(),
                        _ => ().into_any(),
                    }
                }
            }
            <div class="postiz-row">
                <input class="postiz-input postiz-input-url" aria-label="Endpoint URL" placeholder="Endpoint URL (https://…)" prop:value=move || url.get() on:input=move |ev| url.set(event_target_value(&ev))/>
                <button class="postiz-btn" on:click=create>"Add endpoint"</button>
            </div>
            {move || url_error.get().map(|m| view! { <p class="postiz-error">{m}</p> })}
            {move || secret.get().map(|s| view! { <p class="postiz-hint">"Signing secret, shown once: copy it into your receiver now: "<code>{s}</code></p> })}
            {move || rotated.get().map(|(s, until)| view! {
                <p class="postiz-hint" data-rotated="1">
                    "New signing secret, shown once: copy it into your receiver now: "<code>{s}</code>
                    {format!(". Deliveries are signed with the old secret too until {until}, so nothing fails while you switch.")}
                </p>
            })}
        </div>
    }
}
