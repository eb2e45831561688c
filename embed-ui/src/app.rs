//! The shell: session, workspace switcher, navigation, toasts, and the screen for the route.

use leptos::prelude::*;

use crate::api::{Api, Role, Session, SessionInfo, UiError, Workspace};
use crate::components::{ErrorBox, Loading};
use crate::nav::{Link, Nav, Route};
use crate::routes;
use crate::{Options, STYLE};

/// A message shown for a few seconds.
#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub id: u32,
    pub text: String,
    pub error: bool,
}

/// Toasts, shared through context.
#[derive(Clone, Copy, Debug)]
pub struct Toasts(RwSignal<Vec<Toast>>);

impl Toasts {
    /// Shows `text` for 5 s.
    pub fn show(&self, text: impl Into<String>, error: bool) {
        let list = self.0;
        let id = list.with_untracked(|l| l.iter().map(|t| t.id).max().unwrap_or(0) + 1);
        list.update(|l| l.push(Toast { id, text: text.into(), error }));
        set_timeout(move || list.try_update(|l| l.retain(|t| t.id != id)).unwrap_or(()), std::time::Duration::from_secs(5));
    }

    /// Shows an error.
    pub fn error(&self, e: &UiError) {
        self.show(e.to_string(), true);
    }
}

/// The zone the calendar and pickers use: the user's override (kept in localStorage) or the
/// workspace's.
#[derive(Clone, Copy, Debug)]
pub struct Zone(pub RwSignal<Option<String>>);

const TZ_KEY: &str = "postiz.tz_override";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

impl Zone {
    /// The effective zone for `ws`.
    pub fn effective(&self, ws: &Workspace) -> String {
        self.0.get().unwrap_or_else(|| ws.time_zone.clone())
    }

    /// Sets (or clears) the per-user override.
    pub fn set(&self, zone: Option<String>) {
        if let Some(s) = storage() {
            let _ = match &zone {
                Some(z) => s.set_item(TZ_KEY, z),
                None => s.remove_item(TZ_KEY),
            };
        }
        self.0.set(zone);
    }
}

/// The workspace a screen works in, with the caller's role.
#[derive(Clone, Debug, PartialEq)]
pub struct Ws {
    pub ws: Workspace,
}

impl Ws {
    /// Writes posts, tags, comments, media.
    pub fn can_edit(&self) -> bool {
        self.ws.role >= Role::Editor
    }

    /// Manages members, invitations, accounts and settings.
    pub fn can_admin(&self) -> bool {
        self.ws.role >= Role::Admin
    }

    /// The workspace id.
    pub fn id(&self) -> String {
        self.ws.id.clone()
    }
}

/// The root component.
#[component]
pub fn App(opts: Options, session: Session, prefetched: crate::prefetch::Prefetched) -> impl IntoView {
    let api = Api::new(&opts.api_base, session);
    provide_context(api.clone());
    let nav = Nav::new(&opts.base_route);
    provide_context(nav);
    let toasts = Toasts(RwSignal::new(Vec::new()));
    provide_context(toasts);
    let zone = Zone(RwSignal::new(storage().and_then(|s| s.get_item(TZ_KEY).ok().flatten())));
    provide_context(zone);

    // The entry file may have asked for these two while the module downloaded.
    let prefetched = std::rc::Rc::new(prefetched);
    let (a, p) = (api.clone(), prefetched.clone());
    let me = LocalResource::new(move || {
        let (a, p) = (a.clone(), p.clone());
        async move { p.get::<SessionInfo>(&a, "/session").await }
    });
    let (a, p) = (api.clone(), prefetched);
    let workspaces = LocalResource::new(move || {
        let (a, p) = (a.clone(), p.clone());
        async move { p.get::<Vec<Workspace>>(&a, "/workspaces").await }
    });
    let theme = opts.theme.clone();

    view! {
        <div class="postiz-root" data-theme=theme data-postiz-version=env!("CARGO_PKG_VERSION")>
            <style>{STYLE}</style>
            <Transition fallback=|| view! { <Loading/> }>
                <ErrorBoundary fallback=|errors| view! { <ErrorBox errors=errors/> }>
                    {move || Suspend::new(async move {
                        let me = me.await?;
                        let list = workspaces.await?;
                        Ok::<_, UiError>(view! { <Shell me=me list=list/> })
                    })}
                </ErrorBoundary>
            </Transition>
            <div class="postiz-toasts" role="status">
                <For each=move || toasts.0.get() key=|t| t.id let:t>
                    <div class=if t.error { "postiz-toast postiz-toast-error" } else { "postiz-toast" }>{t.text}</div>
                </For>
            </div>
        </div>
    }
}

/// The Review tab with the number of posts waiting for the user's decision (read again when
/// the route changes, so a decision made elsewhere is reflected on the next screen).
#[component]
fn ReviewTab(ws_id: String, active: bool) -> impl IntoView {
    let nav = expect_context::<Nav>();
    let tick = RwSignal::new(0u32);
    Effect::new(move |_| {
        nav.route();
        tick.update(|t| *t += 1);
    });
    let count = routes::review::queue_count(ws_id.clone(), tick);
    let class = if active { "postiz-tab postiz-tab-active" } else { "postiz-tab" };
    view! {
        <Link to=format!("w/{ws_id}/review") class=class>
            "Review"
            {move || count.get().filter(|n| *n > 0).map(|n| view! { " " <span class="postiz-count" data-review-count=n>{n}</span> })}
        </Link>
    }
}

/// The Inbox tab with the user's unread notifications (read again when the route changes and
/// when the inbox marks something read).
#[component]
fn InboxTab(ws_id: String, active: bool) -> impl IntoView {
    let nav = expect_context::<Nav>();
    let tick = expect_context::<routes::inbox::InboxTick>().0;
    Effect::new(move |_| {
        nav.route();
        tick.update(|t| *t += 1);
    });
    let count = routes::inbox::unread_count(ws_id.clone(), tick);
    let class = if active { "postiz-tab postiz-tab-active" } else { "postiz-tab" };
    view! {
        <Link to=format!("w/{ws_id}/inbox") class=class>
            "Inbox"
            {move || count.get().filter(|n| *n > 0).map(|n| view! { " " <span class="postiz-count" data-inbox-count=n>{n}</span> })}
        </Link>
    }
}

/// Navigation and the current screen.
#[component]
fn Shell(me: SessionInfo, list: Vec<Workspace>) -> impl IntoView {
    let nav = expect_context::<Nav>();
    let route = Memo::new(move |_| nav.route());
    let list = StoredValue::new(list);
    provide_context(routes::inbox::InboxTick(RwSignal::new(0)));
    // The landing route goes to the first workspace's calendar (a replace: Back leaves the module).
    Effect::new(move |_| {
        if route.get() == Route::Home
            && let Some(first) = list.with_value(|l| l.first().cloned())
        {
            nav.replace(&format!("w/{}/calendar", first.id));
        }
    });
    let current = Memo::new(move |_| {
        let r = route.get();
        let id = r.workspace()?.to_owned();
        list.with_value(|l| l.iter().find(|w| w.id == id).cloned())
    });
    let email = me.email.clone().unwrap_or_else(|| me.user_id.clone());
    // Invitations to other workspaces are offered above every workspace screen (read once per
    // entry, not on every navigation).
    let show_invitations = Memo::new(move |_| current.get().is_some() && route.get() != Route::Invite);

    let tabs = move || {
        let Some(ws) = current.get() else { return ().into_any() };
        let r = route.get();
        let tab = |rel: &'static str, label: &'static str, active: bool| {
            let class = if active { "postiz-tab postiz-tab-active" } else { "postiz-tab" };
            view! { <Link to=format!("w/{}/{rel}", ws.id) class=class>{label}</Link> }
        };
        view! {
            <nav class="postiz-tabs" aria-label="Postiz">
                {tab("calendar", "Calendar", matches!(r, Route::Calendar(_) | Route::Post(..)))}
                {tab("posts", "Posts", matches!(r, Route::Posts(_)))}
                {(ws.role >= Role::Editor).then(|| tab("compose", "New post", matches!(r, Route::Compose(..))))}
                {tab("analytics", "Analytics", matches!(r, Route::Analytics(_)))}
                {tab("accounts", "Accounts", matches!(r, Route::Accounts(_)))}
                {tab("media", "Media", matches!(r, Route::Media(_)))}
                {tab("settings", "Settings", matches!(r, Route::Settings(_)))}
                {tab("activity", "Activity", matches!(r, Route::Activity(_)))}
                <ReviewTab ws_id=ws.id.clone() active=matches!(r, Route::Review(_))/>
                <InboxTab ws_id=ws.id.clone() active=matches!(r, Route::Inbox(_))/>
            </nav>
        }
        .into_any()
    };

    let switcher = move || {
        let cur = current.get().map(|w| w.id).unwrap_or_default();
        view! {
            <select
                class="postiz-select postiz-ws-switch"
                aria-label="Workspace"
                on:change=move |ev| {
                    let id = event_target_value(&ev);
                    nav.go(&format!("w/{id}/calendar"));
                }
            >
                {list.with_value(|l| {
                    l.iter()
                        .map(|w| {
                            let selected = w.id == cur;
                            view! { <option value=w.id.clone() selected=selected>{w.name.clone()}</option> }
                        })
                        .collect_view()
                })}
            </select>
        }
    };

    let page = move || {
        let r = route.get();
        if matches!(r, Route::OAuthCallback) {
            return view! { <routes::accounts::OAuthCallback/> }.into_any();
        }
        if r == Route::Invite {
            return view! { <routes::invite::InvitePage/> }.into_any();
        }
        if r == Route::Home {
            return if list.with_value(|l| l.is_empty()) {
                view! {
                    <div class="postiz-empty">"You are not a member of any workspace yet. Ask an admin for an invitation."</div>
                    <routes::invite::InvitePage/>
                }
                .into_any()
            } else {
                view! { <Loading/> }.into_any()
            };
        }
        let Some(ws) = current.get() else {
            return view! { <div class="postiz-empty">"This page does not exist, or the workspace is not yours."</div> }.into_any();
        };
        let ws = Ws { ws };
        match r {
            Route::Calendar(_) => view! { <routes::calendar::CalendarPage ws=ws/> }.into_any(),
            Route::Compose(_, edit) => view! { <routes::composer::ComposerPage ws=ws edit=edit/> }.into_any(),
            Route::Posts(_) => view! { <routes::posts::PostsPage ws=ws/> }.into_any(),
            Route::Post(_, id) => view! { <routes::post_detail::PostDetail ws=ws id=id/> }.into_any(),
            Route::Analytics(_) => view! { <routes::analytics::AnalyticsPage ws=ws/> }.into_any(),
            Route::Accounts(_) => view! { <routes::accounts::AccountsPage ws=ws/> }.into_any(),
            Route::Media(_) => view! { <routes::media::MediaPage ws=ws/> }.into_any(),
            Route::Settings(_) => view! { <routes::settings::SettingsPage ws=ws/> }.into_any(),
            Route::Activity(_) => view! { <routes::activity::ActivityPage ws=ws/> }.into_any(),
            Route::Review(_) => view! { <routes::review::ReviewPage ws=ws/> }.into_any(),
            Route::Inbox(_) => view! { <routes::inbox::InboxPage ws=ws/> }.into_any(),
            _ => view! { <div class="postiz-empty">"Not found."</div> }.into_any(),
        }
    };

    view! {
        <header class="postiz-header">
            <span class="postiz-brand">"Planner"</span>
            {switcher}
            {tabs}
            <span class="postiz-me" title="Signed in through the host app">{email}</span>
            <span class="postiz-role">{move || current.get().map(|w| w.role.as_str()).unwrap_or("")}</span>
        </header>
        <main class="postiz-main">
            {move || show_invitations.get().then(|| view! { <routes::invite::PendingInvitations/> })}
            {page}
        </main>
    }
}
