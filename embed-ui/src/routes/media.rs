//! The media library (`GET/POST /workspaces/{ws}/media`): a grid, uploads with progress, and the
//! picker the composer uses.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::api::{Api, MediaList, UiError, ws_path};
use crate::app::{Toasts, Ws};
use crate::components::Loading;

fn unavailable(e: &UiError) -> bool {
    matches!(e, UiError::NotFound) || matches!(e, UiError::Api { status: 405, .. })
}

/// Uploads `file` with progress (0-100) through XHR, which reports upload progress.
fn upload(api: &Api, ws: &str, file: web_sys::File, progress: RwSignal<Option<u32>>, done: impl Fn(Result<(), String>) + 'static) {
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else { return };
    let url = format!("{}{}", api.base(), ws_path(ws, "/media"));
    if xhr.open("POST", &url).is_err() {
        return;
    }
    if let Some(h) = api.authorization() {
        let _ = xhr.set_request_header("authorization", &h);
    }
    let on_progress = Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            progress.set(Some((e.loaded() / e.total() * 100.0) as u32));
        }
    });
    if let Ok(up) = xhr.upload() {
        up.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    on_progress.forget();
    let x2 = xhr.clone();
    let on_load = Closure::<dyn Fn()>::new(move || {
        progress.set(None);
        let status = x2.status().unwrap_or(0);
        if (200..300).contains(&status) {
            done(Ok(()));
        } else {
            done(Err(format!("upload refused ({status})")));
        }
    });
    xhr.set_onloadend(Some(on_load.as_ref().unchecked_ref()));
    on_load.forget();
    let Ok(form) = web_sys::FormData::new() else { return };
    let _ = form.append_with_blob_and_filename("file", &file, &file.name());
    progress.set(Some(0));
    let _ = xhr.send_with_opt_form_data(Some(&form));
}

/// The media library screen.
#[component]
pub fn MediaPage(ws: Ws) -> impl IntoView {
    let ws_id = ws.id();
    let can_edit = ws.can_edit();
    view! {
        <section class="postiz-media">
            <h2 class="postiz-title">"Media library"</h2>
            <MediaGrid ws=ws_id can_edit selected=None/>
        </section>
    }
}

/// Picks library media for a post.
#[component]
pub fn MediaPicker(ws: String, selected: RwSignal<Vec<String>>) -> impl IntoView {
    view! { <MediaGrid ws can_edit=true selected=Some(selected)/> }
}

#[component]
fn MediaGrid(ws: String, can_edit: bool, selected: Option<RwSignal<Vec<String>>>) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let version = RwSignal::new(0u32);
    let progress = RwSignal::new(None::<u32>);
    let path = StoredValue::new(ws_path(&ws, "/media"));
    let a = api.clone();
    let list = LocalResource::new(move || {
        version.track();
        let a = a.clone();
        async move { a.get::<MediaList>(&path.get_value()).await.map(MediaList::items) }
    });
    let ws2 = ws.clone();
    let on_file = move |ev: web_sys::Event| {
        let input: Option<web_sys::HtmlInputElement> = ev.target().and_then(|t| t.dyn_into().ok());
        let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) else { return };
        upload(&api, &ws2, file, progress, move |r| match r {
            Ok(()) => {
                toasts.show("Uploaded", false);
                version.update(|v| *v += 1);
            }
            Err(e) => toasts.show(e, true),
        });
    };
    view! {
        {move || match list.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(e)) if unavailable(&e) => view! { <p class="postiz-hint" data-media="unavailable">"The media library is not available on this server yet."</p> }.into_any(),
            Some(Err(e)) => view! { <p class="postiz-error">{e.to_string()}</p> }.into_any(),
            Some(Ok(items)) => view! {
                <div class="postiz-media-grid">
                    {if items.is_empty() { Some(view! { <p class="postiz-hint">"No media yet."</p> }) } else { None }}
                    {items.into_iter().map(|m| {
                        let id = m.id.clone();
                        let id2 = id.clone();
                        let on = move || selected.is_some_and(|s| s.with(|l| l.contains(&id)));
                        view! {
                            <button type="button" class=move || { if on() { "postiz-media-item postiz-pick-on" } else { "postiz-media-item" } }
                                on:click=move |_| if let Some(s) = selected { s.update(|l| if let Some(i) = l.iter().position(|x| *x == id2) { l.remove(i); } else { l.push(id2.clone()); }) }>
                                {m.url.clone().filter(|_| m.kind != "video").map(|u| view! { <img src=u alt=""/> })}
                                <span>{m.name.clone().or(m.mime_type.clone()).unwrap_or_else(|| m.kind.clone())}</span>
                            </button>
                        }
                    }).collect_view()}
                </div>
                {can_edit.then(|| view! {
                    <label class="postiz-label">"Upload"
                        <input type="file" class="postiz-input" accept="image/*,video/*" on:change=on_file.clone()/>
                    </label>
                })}
                {move || progress.get().map(|p| view! { <progress class="postiz-progress" max="100" value=p></progress> })}
            }.into_any(),
        }}
    }
}
