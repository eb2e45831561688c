//! Keeping a screen current without a reload: the calendar and the post detail ask the API's
//! cheap `GET …/changes` (a version of the posts they show) once a second **while something in
//! view is due or publishing**, and once whenever the tab comes back into focus; when the
//! version moves they fetch their data again. Nothing is asked while the tab is hidden or nothing
//! in view can change by itself. Why polling rather than a server-sent event stream:
//! `crates/postiz-api/src/routes/changes.rs`.

use std::rc::Rc;
use std::time::Duration;

use leptos::prelude::*;
use serde::Deserialize;

use crate::api::{Api, ws_path};
use crate::time;

/// How often a screen with something due or in flight asks.
pub const EVERY: Duration = Duration::from_secs(1);

/// A post counts as "due" from a minute before its time until an hour after it (later, a post
/// still scheduled waits for a worker that is not running; a focus still refreshes it).
const DUE_BEFORE_MS: f64 = 60_000.0;
const DUE_AFTER_MS: f64 = 3_600_000.0;

/// `GET /workspaces/{ws}/changes`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Changes {
    version: String,
}

/// Whether a post can change by itself soon: it is publishing, one of its targets is queued or
/// publishing, or it is scheduled for about now. The one rule for every screen.
pub fn due_or_in_flight<'a>(status: &str, at: Option<f64>, mut target_statuses: impl Iterator<Item = &'a str>) -> bool {
    let now = time::now();
    status == "publishing"
        || (status == "scheduled" && at.is_some_and(|t| t <= now + DUE_BEFORE_MS && t >= now - DUE_AFTER_MS))
        || target_statuses.any(|s| matches!(s, "queued" | "publishing"))
}

/// Watches the posts of workspace `ws` that `scope()` names (the query of `…/changes`:
/// `from=…&to=…` and/or `post=…`); calls `changed` when their version moves. `active()` says
/// whether something in view is due or in flight. Stops when the calling component is disposed.
pub fn watch(ws: String, scope: impl Fn() -> String + 'static, active: impl Fn() -> bool + 'static, changed: impl Fn() + 'static) {
    let api = expect_context::<Api>();
    let version = StoredValue::new(None::<(String, String)>);
    let asking = StoredValue::new(false);
    let (scope, active, changed) = (Rc::new(scope), Rc::new(active), Rc::new(changed));
    let ask = {
        let active = Rc::clone(&active);
        move || {
            if asking.try_get_value().unwrap_or(true) {
                return;
            }
            let query = scope();
            asking.set_value(true);
            let (api, active, changed) = (api.clone(), Rc::clone(&active), Rc::clone(&changed));
            let path = ws_path(&ws, &format!("/changes?{query}"));
            leptos::task::spawn_local(async move {
                let answer = api.get::<Changes>(&path).await;
                if asking.try_set_value(false).is_some() {
                    return; // disposed meanwhile
                }
                // A failed probe says nothing; the next tick asks again.
                let Ok(now) = answer else { return };
                let before = version.try_get_value().flatten();
                version.set_value(Some((query.clone(), now.version.clone())));
                // The first answer for a scope is the baseline; but when something in view is
                // moving, the screen's data may predate it, so fetch once more.
                let moved = match before {
                    Some((q, v)) if q == query => v != now.version,
                    _ => active(),
                };
                if moved {
                    changed();
                }
            });
        }
    };
    let hidden = || web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden());
    let tick = ask.clone();
    let interval = set_interval_with_handle(
        move || {
            if !hidden() && active() {
                tick();
            }
        },
        EVERY,
    )
    .ok();
    // Back in focus: whatever happened meanwhile (another member's edit included) shows now.
    let on_focus = ask.clone();
    let focus = window_event_listener(leptos::ev::focus, move |_| on_focus());
    let visible = window_event_listener(leptos::ev::visibilitychange, move |_| {
        if !hidden() {
            ask();
        }
    });
    on_cleanup(move || {
        if let Some(h) = interval {
            h.clear();
        }
        focus.remove();
        visible.remove();
    });
}
