//! Joining a workspace: the screen Supabase Auth's invite email lands on (`invite?invite=<token>`),
//! the invitations addressed to the signed-in user, and a field for a code an admin passed on.

use leptos::prelude::*;
use serde_json::{Value, json};

use crate::api::{Accepted, Api, MyInvitation, UiError};
use crate::nav::Nav;
use crate::time::day_label;

/// Opens the joined workspace with a fresh load, so that the workspace list includes it.
fn open_workspace(nav: Nav, ws: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(&nav.href(&format!("w/{ws}/calendar")));
    }
}

/// Joins through `path` with `body`; on success opens the workspace, else shows why.
fn join(api: Api, nav: Nav, path: String, body: Value, busy: RwSignal<bool>, error: RwSignal<Option<UiError>>) {
    busy.set(true);
    leptos::task::spawn_local(async move {
        match api.post::<Accepted>(&path, &body).await {
            Ok(joined) => open_workspace(nav, &joined.workspace_id),
            Err(e) => {
                busy.set(false);
                error.set(Some(e));
            }
        }
    });
}

/// The acceptance screen.
#[component]
pub fn InvitePage() -> impl IntoView {
    let api = expect_context::<Api>();
    let nav = expect_context::<Nav>();
    let token = nav.param("invite").filter(|t| !t.trim().is_empty());
    let code = RwSignal::new(String::new());
    let error = RwSignal::new(None::<UiError>);
    let busy = RwSignal::new(false);
    let from_link = token.clone().map(|t| {
        let api = api.clone();
        view! {
            <div class="postiz-invite-link">
                <p>"You were invited to a workspace. Join it to plan and publish with your team."</p>
                <button
                    class="postiz-btn postiz-btn-primary"
                    prop:disabled=move || busy.get()
                    on:click=move |_| join(api.clone(), nav, "/invites/accept".into(), json!({ "token": t.clone() }), busy, error)
                >
                    "Join workspace"
                </button>
            </div>
        }
    });
    let a = api.clone();
    let with_code = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let c = code.get_untracked().trim().to_owned();
        if c.is_empty() {
            let message = "Invite code is empty: paste the code you were given.".to_owned();
            error.set(Some(UiError::Api { status: 422, code: "invite_code_empty".into(), message, request_id: None }));
            return;
        }
        join(a.clone(), nav, "/invites/accept".into(), json!({ "token": c }), busy, error);
    };
    view! {
        <section class="postiz-card postiz-invite" aria-labelledby="postiz-invite-title">
            <h2 class="postiz-title" id="postiz-invite-title">"Join a workspace"</h2>
            {from_link}
            <PendingInvitations/>
            {token.is_none().then(|| view! {
                <form class="postiz-row" on:submit=with_code>
                    <label class="postiz-label">"Invite code"
                        <input class="postiz-input" autocomplete="off" spellcheck="false" prop:value=move || code.get() on:input=move |ev| code.set(event_target_value(&ev))/>
                    </label>
                    <button class="postiz-btn" type="submit" prop:disabled=move || busy.get()>"Join with code"</button>
                </form>
                <p class="postiz-hint">"An admin of the workspace can give you a code from Settings, Invitations."</p>
            })}
            {move || error.get().map(|e| view! { <div class="postiz-error" role="alert">{e.to_string()}</div> })}
        </section>
    }
}

/// The invitations addressed to the signed-in user, each with a Join button; nothing when
/// there are none.
#[component]
pub fn PendingInvitations() -> impl IntoView {
    let api = expect_context::<Api>();
    let nav = expect_context::<Nav>();
    let error = RwSignal::new(None::<UiError>);
    let busy = RwSignal::new(false);
    let a = api.clone();
    let list = LocalResource::new(move || {
        let a = a.clone();
        async move { a.get::<Vec<MyInvitation>>("/invites/mine").await.unwrap_or_default() }
    });
    move || {
        let items = list.get().unwrap_or_default();
        if items.is_empty() {
            return ().into_any();
        }
        let api = api.clone();
        view! {
            <div class="postiz-invitations" role="region" aria-label="Your invitations">
                {items.into_iter().map(|i| {
                    let api = api.clone();
                    let path = format!("/invites/{}/accept", i.id);
                    let name = i.workspace_name.clone();
                    view! {
                        <div class="postiz-row postiz-invitation">
                            <span>"You are invited to "<strong>{i.workspace_name.clone()}</strong>" as "{i.role.as_str()}"."</span>
                            <span class="postiz-hint">{format!("Until {}", day_label(&i.expires_at.chars().take(10).collect::<String>()))}</span>
                            <button
                                class="postiz-btn postiz-btn-primary postiz-btn-small"
                                aria-label=format!("Join {name}")
                                prop:disabled=move || busy.get()
                                on:click=move |_| join(api.clone(), nav, path.clone(), json!({}), busy, error)
                            >
                                "Join"
                            </button>
                        </div>
                    }
                }).collect_view()}
                {move || error.get().map(|e| view! { <div class="postiz-error" role="alert">{e.to_string()}</div> })}
            </div>
        }
        .into_any()
    }
}
