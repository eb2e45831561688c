//! Client-side routes under the base route (`/dashboard/postiz/*`), kept in the host's history:
//! deep links load the right screen, the back button goes back, and paths outside the base are
//! left to the host.

use leptos::prelude::*;
use send_wrapper::SendWrapper;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

/// A screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// Pick the first workspace.
    Home,
    /// `w/{ws}/calendar`.
    Calendar(String),
    /// `w/{ws}/compose` (new) or `w/{ws}/posts/{id}/edit`.
    Compose(String, Option<String>),
    /// `w/{ws}/posts`: every post, searched and sorted, with bulk actions.
    Posts(String),
    /// `w/{ws}/posts/{id}`.
    Post(String, String),
    /// `w/{ws}/analytics`.
    Analytics(String),
    /// `w/{ws}/accounts`.
    Accounts(String),
    /// `w/{ws}/media`.
    Media(String),
    /// `w/{ws}/settings`.
    Settings(String),
    /// `w/{ws}/activity`.
    Activity(String),
    /// `w/{ws}/review`: posts waiting for the user's decision.
    Review(String),
    /// `w/{ws}/inbox`: the user's notifications.
    Inbox(String),
    /// `oauth/callback?code&state`: the network sent the browser back.
    OAuthCallback,
    /// `invite?invite=<token>`: joining a workspace (where Supabase Auth's invite email lands).
    Invite,
    /// Anything else.
    NotFound,
}

impl Route {
    /// Parses a path relative to the base (no leading slash).
    pub fn parse(rel: &str) -> Route {
        let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            [] => Route::Home,
            ["oauth", "callback"] => Route::OAuthCallback,
            ["invite"] => Route::Invite,
            ["w", ws] | ["w", ws, "calendar"] => Route::Calendar((*ws).into()),
            ["w", ws, "compose"] => Route::Compose((*ws).into(), None),
            ["w", ws, "posts"] => Route::Posts((*ws).into()),
            ["w", ws, "posts", id] => Route::Post((*ws).into(), (*id).into()),
            ["w", ws, "posts", id, "edit"] => Route::Compose((*ws).into(), Some((*id).into())),
            ["w", ws, "analytics"] => Route::Analytics((*ws).into()),
            ["w", ws, "accounts"] => Route::Accounts((*ws).into()),
            ["w", ws, "media"] => Route::Media((*ws).into()),
            ["w", ws, "settings"] => Route::Settings((*ws).into()),
            ["w", ws, "activity"] => Route::Activity((*ws).into()),
            ["w", ws, "review"] => Route::Review((*ws).into()),
            ["w", ws, "inbox"] => Route::Inbox((*ws).into()),
            _ => Route::NotFound,
        }
    }

    /// The workspace the screen belongs to.
    pub fn workspace(&self) -> Option<&str> {
        match self {
            Route::Calendar(ws)
            | Route::Compose(ws, _)
            | Route::Posts(ws)
            | Route::Post(ws, _)
            | Route::Analytics(ws)
            | Route::Accounts(ws)
            | Route::Media(ws)
            | Route::Settings(ws)
            | Route::Activity(ws)
            | Route::Review(ws)
            | Route::Inbox(ws) => Some(ws),
            _ => None,
        }
    }
}

/// The router: the current location (relative to the base) as signals.
#[derive(Clone, Copy, Debug)]
pub struct Nav {
    base: StoredValue<String>,
    rel: RwSignal<String>,
    query: RwSignal<String>,
}

impl Nav {
    /// Reads the location and follows `popstate` until the owner is disposed.
    pub fn new(base: &str) -> Nav {
        let base = format!("/{}", base.trim_matches('/'));
        let nav = Nav { base: StoredValue::new(base), rel: RwSignal::new(String::new()), query: RwSignal::new(String::new()) };
        nav.read_location();
        let listener = Closure::<dyn Fn(web_sys::Event)>::new(move |_: web_sys::Event| nav.read_location());
        if let Some(w) = web_sys::window() {
            let _ = w.add_event_listener_with_callback("popstate", listener.as_ref().unchecked_ref());
        }
        let listener = SendWrapper::new(listener);
        on_cleanup(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.remove_event_listener_with_callback("popstate", listener.as_ref().unchecked_ref());
            }
            drop(listener);
        });
        nav
    }

    fn read_location(&self) {
        let Some(loc) = web_sys::window().map(|w| w.location()) else { return };
        let path = loc.pathname().unwrap_or_default();
        let base = self.base.get_value();
        let rel = match path.strip_prefix(&base) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => rest.trim_start_matches('/').to_owned(),
            // Outside our base: the host shows something else; we show nothing in particular.
            _ => "\u{0}outside".to_owned(),
        };
        let search = loc.search().unwrap_or_default();
        self.rel.set(rel);
        self.query.set(search.trim_start_matches('?').to_owned());
    }

    /// The current screen.
    pub fn route(&self) -> Route {
        Route::parse(&self.rel.get())
    }

    /// The current query string (without `?`), tracked.
    pub fn query(&self) -> String {
        self.query.get()
    }

    /// One query parameter, tracked.
    pub fn param(&self, key: &str) -> Option<String> {
        self.query.with(|q| param_of(q, key))
    }

    /// The absolute URL of a relative path (`w/{ws}/calendar?view=week`).
    pub fn href(&self, rel: &str) -> String {
        let base = self.base.get_value();
        if rel.is_empty() { base } else { format!("{base}/{}", rel.trim_start_matches('/')) }
    }

    /// Goes to `rel` with a new history entry.
    pub fn go(&self, rel: &str) {
        self.push(rel, false);
    }

    /// Goes to `rel`, replacing the current history entry (filters, view switches).
    pub fn replace(&self, rel: &str) {
        self.push(rel, true);
    }

    fn push(&self, rel: &str, replace: bool) {
        let url = self.href(rel);
        if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
            let r = if replace {
                h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
            } else {
                h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
            };
            if r.is_err() {
                return;
            }
        }
        let (path, query) = rel.split_once('?').unwrap_or((rel, ""));
        self.rel.set(path.trim_start_matches('/').to_owned());
        self.query.set(query.to_owned());
    }
}

/// One parameter of a query string.
pub fn param_of(query: &str, key: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| js_sys::decode_uri_component(v).map(String::from).unwrap_or_else(|_| v.to_owned()))
}

/// A link that navigates inside the module (plain clicks) and still works as a real link
/// (middle click, copy link address).
#[component]
pub fn Link(
    /// Path relative to the base route.
    #[prop(into)]
    to: String,
    /// CSS classes.
    #[prop(into, optional)]
    class: String,
    /// Content.
    children: Children,
) -> impl IntoView {
    let nav = expect_context::<Nav>();
    let href = nav.href(&to);
    view! {
        <a
            href=href
            class=class
            on:click=move |ev: web_sys::MouseEvent| {
                if ev.button() == 0 && !ev.ctrl_key() && !ev.meta_key() && !ev.shift_key() && !ev.alt_key() {
                    ev.prevent_default();
                    nav.go(&to);
                }
            }
        >
            {children()}
        </a>
    }
}
