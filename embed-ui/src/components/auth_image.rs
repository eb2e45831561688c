//! A picture served by the API. In cookie mode the browser sends the session with a plain
//! `<img src>`; in token mode it cannot (an image request carries no `Authorization` header),
//! so the bytes are fetched with the token and shown through an object URL, released when the
//! picture leaves the page.

use leptos::prelude::*;

use crate::api::Api;

/// `<img>` for API link `src` (a thumbnail or content URL the API returned).
#[component]
pub fn AuthImage(src: String, #[prop(optional, into)] alt: String) -> impl IntoView {
    let api = expect_context::<Api>();
    if api.authorization().is_none() {
        return view! { <img src=api.resolve(&src) alt=alt/> }.into_any();
    }
    let object_url = RwSignal::new(None::<String>);
    leptos::task::spawn_local(async move {
        match api.object_url(&src).await {
            // Gone from the page meanwhile: release it at once.
            Ok(url) => {
                if object_url.try_set(Some(url.clone())).is_some() {
                    let _ = web_sys::Url::revoke_object_url(&url);
                }
            }
            Err(e) => web_sys::console::warn_1(&format!("picture {src}: {e}").into()),
        }
    });
    on_cleanup(move || {
        if let Some(Some(url)) = object_url.try_get_untracked() {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    });
    view! { <img src=move || object_url.get() alt=alt data-auth-image="token"/> }.into_any()
}
