//! Accounts: connect buttons per network (OAuth redirect, app password, bot token, webhook),
//! the second-step picker (pages, channels), needs-reconnect badges, posting-time slots.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::api::{Account, AccountHealth, Api, ConnectOutcome, NetworkInfo, Slot, Started, TargetChoice, UiError, ws_path};
use crate::app::{Toasts, Ws, Zone};
use crate::components::{ErrorBox, FieldMessage, Loading, NetworkBadge, StatusBadge};
use crate::nav::{Nav, param_of};
use crate::time::{self, WEEKDAYS};

const PENDING_KEY: &str = "postiz.connect";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.session_storage().ok().flatten())
}

/// The accounts screen.
#[component]
pub fn AccountsPage(ws: Ws) -> impl IntoView {
    let api = expect_context::<Api>();
    let version = RwSignal::new(0u32);
    let ws = StoredValue::new(ws);
    let a = api.clone();
    let data = LocalResource::new(move || {
        version.track();
        let a = a.clone();
        let id = ws.with_value(Ws::id);
        async move {
            let accounts = a.get::<Vec<Account>>(&ws_path(&id, "/accounts")).await?;
            let networks = a.get::<Vec<NetworkInfo>>("/networks").await?;
            Ok::<_, UiError>((accounts, networks))
        }
    });
    // A second step left over from an OAuth callback.
    let choice = RwSignal::new(None::<(String, Vec<TargetChoice>)>);
    if let Some(s) = session_storage()
        && let Ok(Some(v)) = s.get_item("postiz.choice")
    {
        let _ = s.remove_item("postiz.choice");
        if let Ok(ConnectOutcome::ChooseTarget { pending_id, targets }) = serde_json::from_str(&v) {
            choice.set(Some((pending_id, targets)));
        }
    }
    view! {
        <section class="postiz-accounts">
            <h2 class="postiz-title">"Accounts"</h2>
            <Transition fallback=|| view! { <Loading/> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorBox errors=errors/> }>
                    {move || {
                        // Read before awaiting (the screen may be gone by then).
                        let w = ws.get_value();
                        Suspend::new(async move {
                        let (accounts, networks) = data.await?;
                        Ok::<_, UiError>(view! {
                            <TargetPicker choice version/>
                            <div class="postiz-account-list">
                                {if accounts.is_empty() { Some(view! { <p class="postiz-hint">"No accounts yet."</p> }) } else { None }}
                                {accounts.into_iter().map(|a| view! { <AccountCard ws=w.clone() account=a version/> }).collect_view()}
                            </div>
                            {w.can_admin().then(|| view! { <ConnectPanel ws=w.clone() networks choice version/> })}
                        })
                    })}}
                </ErrorBoundary>
            </Transition>
        </section>
    }
}

#[component]
fn AccountCard(ws: Ws, account: Account, version: RwSignal<u32>) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let slots: Vec<Slot> = serde_json::from_value(account.posting_slots.clone()).unwrap_or_default();
    let slots = RwSignal::new(slots);
    let new_day = RwSignal::new("Mon".to_owned());
    let new_time = RwSignal::new("09:00".to_owned());
    let path = StoredValue::new(ws_path(&ws.id(), &format!("/accounts/{}", account.id)));
    let admin = ws.can_admin();
    let api2 = api.clone();
    let save = move |_| {
        let api = api2.clone();
        let body = json!({ "posting_slots": slots.get_untracked() });
        leptos::task::spawn_local(async move {
            match api.patch::<Value>(&path.get_value(), &body).await {
                Ok(_) => toasts.show("Posting times saved", false),
                Err(e) => toasts.error(&e),
            }
        });
    };
    let disconnect = move |_| {
        let api = api.clone();
        leptos::task::spawn_local(async move {
            match api.delete(&path.get_value()).await {
                Ok(()) => {
                    toasts.show("Account disconnected", false);
                    version.update(|v| *v += 1);
                }
                Err(e) => toasts.error(&e),
            }
        });
    };
    let needs = account.status == "needs_reconnect";
    // Disconnecting takes the account off every post: asked first.
    let confirming = RwSignal::new(false);
    let confirm_id = StoredValue::new(account.id.clone());
    let confirm_name = StoredValue::new(account.label());
    let zone = expect_context::<Zone>().effective(&ws.ws);
    let health = health_line(&account.health, &zone);
    view! {
        <div class=if needs { "postiz-card postiz-account postiz-attention postiz-attention-failed" } else { "postiz-card postiz-account" }
            data-account=account.id.clone() data-network=account.network.clone()>
            <div class="postiz-row">
                <NetworkBadge network=account.network.clone()/>
                <strong>{account.label()}</strong>
                {account.handle.clone().map(|h| view! { <span class="postiz-hint">{format!("@{h}")}</span> })}
                <StatusBadge status=account.status.clone()/>
                {needs.then(|| view! { <span class="postiz-badge postiz-status-failed" data-needs-reconnect="1">"Needs reconnect: connect it again below"</span> })}
                {admin.then(|| view! {
                    <button class="postiz-btn postiz-btn-small postiz-btn-danger" data-action="disconnect" on:click=move |_| confirming.set(true)>"Disconnect…"</button>
                })}
            </div>
            {move || confirming.get().then(|| {
                let disconnect = disconnect.clone();
                view! {
                    <div class="postiz-confirm" role="alertdialog" aria-labelledby=format!("postiz-disconnect-{}", confirm_id.get_value())>
                        <p id=format!("postiz-disconnect-{}", confirm_id.get_value())>{format!(
                            "Disconnect {}? Its sign-in is deleted, it is taken off every post, scheduled or published, and its numbers and any webhook endpoint limited to it are deleted too. This cannot be undone; you can connect it again later.",
                            confirm_name.get_value()
                        )}</p>
                        <button type="button" class="postiz-btn postiz-btn-danger" data-action="confirm-disconnect" on:click=disconnect>"Disconnect for good"</button>
                        <button type="button" class="postiz-btn" on:click=move |_| confirming.set(false)>"Keep it"</button>
                    </div>
                }
            })}
            {health}
            <div class="postiz-slots">
                <span class="postiz-hint">"Posting times: "</span>
                <For each=move || { let v: Vec<(usize, Slot)> = slots.get().into_iter().enumerate().collect(); v } key=|(i, s)| format!("{i}{}{}", s.day, s.time) let:entry>
                    <span class="postiz-badge">
                        {format!("{} {}", entry.1.day, entry.1.time)}
                        {admin.then(|| view! { <button class="postiz-x" aria-label="Remove" on:click=move |_| slots.update(|s| { if entry.0 < s.len() { s.remove(entry.0); } })>"×"</button> })}
                    </span>
                </For>
                {admin.then(|| view! {
                    <select class="postiz-select" aria-label="Day" on:change=move |ev| new_day.set(event_target_value(&ev))>
                        {WEEKDAYS.iter().map(|d| view! { <option value=*d>{*d}</option> }).collect_view()}
                    </select>
                    <input type="time" class="postiz-input postiz-input-time" aria-label="Time" prop:value=move || new_time.get() on:input=move |ev| new_time.set(event_target_value(&ev))/>
                    <button class="postiz-btn postiz-btn-small" on:click=move |_| slots.update(|s| s.push(Slot { day: new_day.get_untracked(), time: new_time.get_untracked() }))>"Add"</button>
                    <button class="postiz-btn postiz-btn-small postiz-btn-primary" on:click=save>"Save times"</button>
                })}
            </div>
        </div>
    }
}

/// Connect buttons; credential networks open a small form here, OAuth ones redirect.
#[component]
fn ConnectPanel(
    ws: Ws,
    networks: Vec<NetworkInfo>,
    choice: RwSignal<Option<(String, Vec<TargetChoice>)>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let open = RwSignal::new(None::<NetworkInfo>);
    let ws_id = ws.id();
    view! {
        <div class="postiz-card postiz-connect">
            <h3 class="postiz-subtitle">"Connect an account"</h3>
            <div class="postiz-picks">
                {networks.into_iter().filter(|n| n.connectable).map(|n| {
                    let n2 = n.clone();
                    view! {
                        <button class="postiz-btn" data-connect=n.network.clone() on:click=move |_| open.set(Some(n2.clone()))>
                            <NetworkBadge network=n.network.clone()/>{format!(" {}", n.name)}
                        </button>
                    }
                }).collect_view()}
            </div>
            {move || open.get().map(|n| view! { <ConnectForm ws=ws_id.clone() network=n open choice version/> })}
        </div>
    }
}

#[component]
fn ConnectForm(
    ws: String,
    network: NetworkInfo,
    open: RwSignal<Option<NetworkInfo>>,
    choice: RwSignal<Option<(String, Vec<TargetChoice>)>>,
    version: RwSignal<u32>,
) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let identifier = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    let server = RwSignal::new(String::new());
    let error = RwSignal::new(None::<UiError>);
    let style = network.connection.style.clone();
    let net = network.network.clone();
    let redirect = matches!(style.as_str(), "oauth2" | "instance_url");
    let style2 = style.clone();
    let submit = move |_| {
        let api = api.clone();
        let ws = ws.clone();
        let net = net.clone();
        let style = style2.clone();
        leptos::task::spawn_local(async move {
            if redirect {
                let mut body = json!({ "workspace_id": ws });
                if !server.get_untracked().is_empty() {
                    body["server_url"] = json!(server.get_untracked());
                }
                match api.post::<Started>(&format!("/connect/{net}/start"), &body).await {
                    Ok(s) => {
                        if let Some(st) = session_storage() {
                            let _ = st.set_item(PENDING_KEY, &format!("{net}|{ws}"));
                        }
                        if let Some(w) = web_sys::window() {
                            let _ = w.location().set_href(&s.authorization_url);
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
                return;
            }
            let mut body = json!({ "workspace_id": ws });
            match style.as_str() {
                "app_password" => {
                    body["identifier"] = json!(identifier.get_untracked());
                    body["password"] = json!(secret.get_untracked());
                    if !server.get_untracked().is_empty() {
                        body["server_url"] = json!(server.get_untracked());
                    }
                }
                "bot_token" => body["token"] = json!(secret.get_untracked()),
                "api_key" => body["api_key"] = json!(secret.get_untracked()),
                "secret_key" => {
                    body["secret_key"] = json!(secret.get_untracked());
                    if !server.get_untracked().is_empty() {
                        body["server_url"] = json!(server.get_untracked());
                    }
                }
                _ => body["webhook_url"] = json!(secret.get_untracked()),
            }
            match api.post::<ConnectOutcome>(&format!("/connect/{net}/credentials"), &body).await {
                Ok(ConnectOutcome::Connected { .. }) => {
                    toasts.show("Account connected", false);
                    open.set(None);
                    version.update(|v| *v += 1);
                }
                Ok(ConnectOutcome::ChooseTarget { pending_id, targets }) => {
                    open.set(None);
                    choice.set(Some((pending_id, targets)));
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let label = match style.as_str() {
        "bot_token" => "Bot token",
        "webhook_url" => "Webhook URL",
        "secret_key" => "Secret key (nsec…)",
        "api_key" => "API key",
        _ => "App password",
    };
    let (server_label, server_hint) = if style == "secret_key" {
        ("Relay (optional)", "e.g. wss://relay.damus.io")
    } else {
        ("Server (optional)", "e.g. mastodon.social")
    };
    view! {
        <form class="postiz-form postiz-connect-form" data-connect-form=network.network.clone() on:submit=move |ev| ev.prevent_default()>
            <h4>{format!("Connect {}", network.name)}</h4>
            {(style == "app_password").then(|| view! {
                <label class="postiz-label">"Handle or email"
                    <input class="postiz-input" name="identifier" prop:value=move || identifier.get() on:input=move |ev| identifier.set(event_target_value(&ev))/>
                </label>
                <FieldMessage error prefixes=vec!["identifier"]/>
            })}
            {(!redirect).then(|| view! {
                <label class="postiz-label">{label}
                    <input class="postiz-input" name="secret" type="password" prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev))/>
                </label>
                <FieldMessage error prefixes=vec!["password", "token", "webhook_url", "secret_key", "api_key"]/>
            })}
            {(style == "api_key").then(|| view! {
                <p class="postiz-hint">{format!("Make an API key in your {} settings (on dev.to: Settings → Extensions) and paste it here. It is stored encrypted and never shown again.", network.name)}</p>
            })}
            {(style == "secret_key").then(|| view! {
                <p class="postiz-hint">"Your key signs the notes and is stored encrypted; it is never shown again. Notes go to the relay you name."</p>
            })}
            {matches!(style.as_str(), "app_password" | "instance_url" | "secret_key").then(|| view! {
                <label class="postiz-label">{server_label}
                    <input class="postiz-input" name="server" placeholder=server_hint prop:value=move || server.get() on:input=move |ev| server.set(event_target_value(&ev))/>
                </label>
                <FieldMessage error prefixes=vec!["server_url"]/>
            })}
            {redirect.then(|| view! { <p class="postiz-hint">"You will be sent to the network to approve access, then come back here."</p> })}
            <div class="postiz-actions">
                <button type="button" class="postiz-btn postiz-btn-primary" data-action="connect" on:click=submit>{if redirect { "Continue to the network" } else { "Connect" }}</button>
                <button type="button" class="postiz-btn" on:click=move |_| open.set(None)>"Cancel"</button>
            </div>
            {move || error.get().filter(|e| e.fields().is_empty()).map(|e| view! { <div class="postiz-error" role="alert">{e.to_string()}</div> })}
        </form>
    }
}

/// The second step: pick the page, organisation or channel to post as.
#[component]
fn TargetPicker(choice: RwSignal<Option<(String, Vec<TargetChoice>)>>, version: RwSignal<u32>) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    move || {
        let api = api.clone();
        choice.get().map(|(pending, targets)| {
            let pending = StoredValue::new(pending);
            view! {
                <div class="postiz-card postiz-picker" data-picker="targets">
                    <h3 class="postiz-subtitle">"Which one should we post as?"</h3>
                    {targets.into_iter().map(|t| {
                        let api = api.clone();
                        let tid = t.id.clone();
                        view! {
                            <button class="postiz-btn" on:click=move |_| {
                                let api = api.clone();
                                let tid = tid.clone();
                                leptos::task::spawn_local(async move {
                                    match api.post::<ConnectOutcome>(&format!("/connect/pending/{}/complete", pending.get_value()), &json!({ "target_id": tid })).await {
                                        Ok(_) => { choice.set(None); toasts.show("Account connected", false); version.update(|v| *v += 1); }
                                        Err(e) => toasts.error(&e),
                                    }
                                });
                            }>{format!("{} ({})", t.name, t.kind)}</button>
                        }
                    }).collect_view()}
                </div>
            }
        })
    }
}

/// Where the network sends the browser back: posts `code` and `state` to the API, then shows
/// the accounts (or the second-step picker).
#[component]
pub fn OAuthCallback() -> impl IntoView {
    let api = expect_context::<Api>();
    let nav = expect_context::<Nav>();
    let message = RwSignal::new("Finishing the connection…".to_owned());
    let pending = session_storage().and_then(|s| s.get_item(PENDING_KEY).ok().flatten()).unwrap_or_default();
    let (network, ws) = pending.split_once('|').map(|(a, b)| (a.to_owned(), b.to_owned())).unwrap_or_default();
    let q = nav.query();
    let body = json!({
        "state": param_of(&q, "state").unwrap_or_default(),
        "code": param_of(&q, "code"),
        "error": param_of(&q, "error"),
        "error_description": param_of(&q, "error_description"),
    });
    leptos::task::spawn_local(async move {
        if network.is_empty() {
            message.set("This connection was started in another tab or has expired; start it again from Accounts.".into());
            return;
        }
        match api.post::<ConnectOutcome>(&format!("/connect/{network}/callback"), &body).await {
            Ok(outcome) => {
                if let (ConnectOutcome::ChooseTarget { pending_id, targets }, Some(s)) = (&outcome, session_storage()) {
                    let v = json!({ "status": "choose_target", "pending_id": pending_id, "targets": targets.iter().map(|t| json!({"id": t.id, "name": t.name, "kind": t.kind})).collect::<Vec<_>>() });
                    let _ = s.set_item("postiz.choice", &v.to_string());
                }
                if let Some(s) = session_storage() {
                    let _ = s.remove_item(PENDING_KEY);
                }
                nav.replace(&format!("w/{ws}/accounts"));
            }
            Err(e) => message.set(e.to_string()),
        }
    });
    view! { <div class="postiz-card">{move || message.get()}</div> }
}

/// "Checked 10 min ago" (the exact time on hover), why the last check did not pass, and
/// "Reconnect before <date>" when the credential cannot be renewed; nothing for an account the
/// worker has not looked at and that never expires.
fn health_line(health: &AccountHealth, zone: &str) -> Option<impl IntoView + use<>> {
    let checked = health.checked_at.as_deref().and_then(time::parse).map(|ms| {
        let text = match health.outcome.as_deref() {
            Some("needs_reconnect") => format!("Checked {}: the network refused its sign-in", time::relative(ms)),
            _ => format!("Checked {}", time::relative(ms)),
        };
        view! { <span class="postiz-hint" data-checked-at=health.checked_at.clone() title=time::describe(zone, ms)>{text}</span> }
    });
    let retry = (health.outcome.as_deref() == Some("retry")).then(|| {
        let why = health.last_error.clone().unwrap_or_default();
        view! { <span class="postiz-hint" data-check-retry="1">{format!("The last check could not reach the network; trying again ({why})")}</span> }
    });
    let before = health.reconnect_before.as_deref().and_then(time::parse).map(|ms| {
        let soon = ms - time::now() < 7.0 * 86_400_000.0;
        view! {
            <span class=if soon { "postiz-badge postiz-status-failed" } else { "postiz-hint" } data-reconnect-before=health.reconnect_before.clone()>
                {format!("Reconnect before {}", time::describe(zone, ms))}
            </span>
        }
    });
    (checked.is_some() || retry.is_some() || before.is_some())
        .then(|| view! { <div class="postiz-row postiz-account-health">{checked}{retry}{before}</div> })
}
