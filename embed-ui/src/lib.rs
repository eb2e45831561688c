//! The Postiz planner as a micro-frontend: a host page calls `mount(element, options)` (or uses
//! the `<postiz-planner>` element from `postiz.js`) and gets the calendar, composer, analytics,
//! accounts, media, settings and activity screens under its base route, talking to the module API with
//! the host's Supabase session. Built for wasm32 only (`cargo xtask ui`); natively this crate is
//! empty so the native workspace never compiles Leptos.
#![cfg(target_arch = "wasm32")]

pub mod api;
mod app;
mod components;
mod count;
mod live;
mod metrics;
pub mod nav;
mod prefetch;
mod routes;
pub mod time;

use std::any::Any;

use js_sys::Reflect;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::{HtmlElement, ShadowRootInit, ShadowRootMode};

use crate::api::Session;

/// The module's stylesheet: every class is `postiz-` prefixed and every rule sits under
/// `.postiz-root`, and by default the UI lives in a shadow root, so nothing leaks either way.
pub const STYLE: &str = include_str!("style.css");

/// What the host passes to `mount`.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where the module API is (default `{base_route}/api`).
    pub api_base: String,
    /// The route the host mounts the module at (default `/dashboard/postiz`).
    pub base_route: String,
    /// `light`, `dark` or `auto` (follow the host's `prefers-color-scheme`).
    pub theme: String,
    /// Render into a shadow root (default true).
    pub shadow: bool,
}

/// Returned by `mount`; `unmount()` removes the UI and disposes every signal and listener.
#[wasm_bindgen]
pub struct MountHandle {
    inner: Option<Box<dyn Any>>,
    container: Option<HtmlElement>,
}

impl std::fmt::Debug for MountHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MountHandle").field("mounted", &self.inner.is_some()).finish()
    }
}

#[wasm_bindgen]
impl MountHandle {
    /// Removes the UI from the page. Safe to call twice.
    pub fn unmount(&mut self) {
        // Dropping Leptos' UnmountHandle unmounts the view and disposes its reactive owner.
        self.inner.take();
        if let Some(c) = self.container.take() {
            c.remove();
        }
    }
}

fn get_str(obj: &JsValue, key: &str) -> Option<String> {
    Reflect::get(obj, &key.into()).ok().and_then(|v| v.as_string()).filter(|s| !s.is_empty())
}

fn get_fn(obj: &JsValue, key: &str) -> Option<js_sys::Function> {
    Reflect::get(obj, &key.into()).ok().and_then(|v| v.dyn_into::<js_sys::Function>().ok())
}

/// Reads `{ apiBase, baseRoute, theme, shadow, session }` where `session` is `"cookie"`,
/// `{ mode: "cookie", refresh }` or `{ accessToken, refresh }`; `refresh()` returns (a promise
/// of) a fresh access token and is called once when the API answers 401 `token_expired`.
fn parse_options(options: &JsValue) -> Result<(Options, Session), JsValue> {
    let base_route = get_str(options, "baseRoute").unwrap_or_else(|| "/dashboard/postiz".into());
    let base_route = format!("/{}", base_route.trim_matches('/'));
    let api_base = get_str(options, "apiBase").unwrap_or_else(|| format!("{base_route}/api"));
    let theme = get_str(options, "theme").unwrap_or_else(|| "auto".into());
    let shadow = Reflect::get(options, &"shadow".into()).ok().and_then(|v| v.as_bool()).unwrap_or(true);
    let session_v = Reflect::get(options, &"session".into()).unwrap_or(JsValue::UNDEFINED);
    let session = if session_v.as_string().as_deref() == Some("cookie") || session_v.is_undefined() || session_v.is_null() {
        Session::Cookie { refresh: None }
    } else if get_str(&session_v, "mode").as_deref() == Some("cookie") {
        Session::Cookie { refresh: get_fn(&session_v, "refresh") }
    } else {
        let token = get_str(&session_v, "accessToken")
            .ok_or_else(|| JsValue::from_str("postiz: options.session needs accessToken (or use \"cookie\")"))?;
        Session::Token { token: std::cell::RefCell::new(token), refresh: get_fn(&session_v, "refresh") }
    };
    Ok((Options { api_base, base_route, theme, shadow }, session))
}

/// Mounts the planner into `element` and returns its handle.
#[wasm_bindgen]
pub fn mount(element: HtmlElement, options: JsValue) -> Result<MountHandle, JsValue> {
    // A panic ends in a bare wasm "unreachable"; say where it came from on the console first.
    std::panic::set_hook(Box::new(|info| web_sys::console::error_1(&format!("postiz module panicked: {info}").into())));
    let (opts, session) = parse_options(&options)?;
    let prefetched = prefetch::Prefetched::from_options(&options);
    let document = web_sys::window().and_then(|w| w.document()).ok_or_else(|| JsValue::from_str("no document"))?;
    let container: HtmlElement = document.create_element("div")?.dyn_into()?;
    container.set_class_name("postiz-mount");
    if opts.shadow {
        let root = match element.shadow_root() {
            Some(r) => r,
            None => {
                let init = ShadowRootInit::new(ShadowRootMode::Open);
                element.attach_shadow(&init)?
            }
        };
        root.append_child(&container)?;
    } else {
        element.append_child(&container)?;
    }
    let handle = leptos::mount::mount_to(container.clone(), move || view! { <app::App opts=opts session=session prefetched=prefetched/> });
    Ok(MountHandle { inner: Some(Box::new(handle)), container: Some(container) })
}

/// The version of this bundle.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
