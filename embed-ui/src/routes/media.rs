//! The media library (`GET/POST /workspaces/{ws}/media`): a grid, uploads with progress, imports
//! from a URL, and the picker the composer uses (the same grid, upload and import, plus the
//! attached strip; media added there is attached at once).

use std::collections::BTreeMap;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

use crate::api::{Api, MediaItem, MediaList, UiError, error_from, ws_path};
use crate::app::{Toasts, Ws};
use crate::components::{AuthImage, FieldMessage, Loading};
use crate::routes::media_detail::{MediaDetail, facts_line};

fn unavailable(e: &UiError) -> bool {
    matches!(e, UiError::NotFound) || matches!(e, UiError::Api { status: 405, .. })
}

/// Uploads `file` through XHR (fetch reports no upload progress), keeping `progress` at the
/// percentage sent (0-100) until the server answers, then `None`. `done` gets the library item
/// the server made, or the one it already had for the same bytes. A session that expired
/// meanwhile is renewed through the host once and the file sent again, as other requests do.
fn upload(
    api: &Api,
    ws: &str,
    file: web_sys::File,
    progress: RwSignal<Option<u32>>,
    done: impl FnOnce(Result<MediaItem, UiError>) + 'static,
) {
    send_file(api, ws, file, progress, Box::new(done), false);
}

type Done = Box<dyn FnOnce(Result<MediaItem, UiError>)>;

fn send_file(api: &Api, ws: &str, file: web_sys::File, progress: RwSignal<Option<u32>>, done: Done, renewed: bool) {
    let js_err = |e: wasm_bindgen::JsValue| UiError::Network(crate::api::js_message(&e));
    let xhr = match web_sys::XmlHttpRequest::new() {
        Ok(x) => x,
        Err(e) => return done(Err(js_err(e))),
    };
    let url = format!("{}{}", api.base(), ws_path(ws, "/media"));
    if let Err(e) = xhr.open("POST", &url) {
        return done(Err(js_err(e)));
    }
    let _ = xhr.set_request_header("accept", "application/json");
    if let Some(h) = api.authorization() {
        let _ = xhr.set_request_header("authorization", &h);
    }
    let form = match web_sys::FormData::new() {
        Ok(f) => f,
        Err(e) => return done(Err(js_err(e))),
    };
    if let Err(e) = form.append_with_blob_and_filename("file", &file, &file.name()) {
        return done(Err(js_err(e)));
    }
    let on_progress = Closure::<dyn Fn(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            progress.set(Some((e.loaded() / e.total() * 100.0).round().min(100.0) as u32));
        }
    });
    if let Ok(up) = xhr.upload() {
        up.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    let x2 = xhr.clone();
    let (api2, ws2, file2) = (api.clone(), ws.to_owned(), file.clone());
    // `loadend` comes once, after the last progress event (load, error, abort or timeout alike),
    // so the progress closure is released here rather than leaked.
    let on_end = Closure::once_into_js(move || {
        if let Ok(up) = x2.upload() {
            up.set_onprogress(None);
        }
        drop(on_progress);
        progress.set(None);
        let status = x2.status().unwrap_or(0);
        let text = x2.response_text().ok().flatten().unwrap_or_default();
        let result = match status {
            0 => Err(UiError::Network("the upload was interrupted".into())),
            200..=299 => serde_json::from_str::<MediaItem>(&text).map_err(|e| UiError::Decode(format!("POST media: {e}"))),
            _ => Err(error_from(status, &text)),
        };
        match result {
            Err(e) if !renewed && e.code() == Some("token_expired") => {
                progress.set(Some(0));
                leptos::task::spawn_local(async move {
                    match api2.renew().await {
                        Ok(true) => send_file(&api2, &ws2, file2, progress, done, true),
                        _ => {
                            progress.set(None);
                            done(Err(e));
                        }
                    }
                });
            }
            other => done(other),
        }
    });
    xhr.set_onloadend(Some(on_end.unchecked_ref()));
    progress.set(Some(0));
    // An asynchronous send only throws when the request is not open, which it is; network
    // failures arrive as `loadend` with status 0.
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
            <MediaGrid ws=ws_id can_edit selected=None alts=None/>
        </section>
    }
}

/// Attaches media to a post: what is attached, the library to pick from, and an upload whose
/// result is attached as soon as the server has it.
#[component]
pub fn MediaPicker(
    /// The workspace id.
    ws: String,
    /// The attached media ids, in order.
    selected: RwSignal<Vec<String>>,
    /// The post's own alt text per attached id (absent: the library's default goes out).
    alts: RwSignal<BTreeMap<String, String>>,
) -> impl IntoView {
    view! { <MediaGrid ws can_edit=true selected=Some(selected) alts=Some(alts)/> }
}

/// The library grid with its upload; with `selected`, items toggle in and out of it and the
/// attached ones are listed above the grid.
#[component]
fn MediaGrid(
    ws: String,
    can_edit: bool,
    selected: Option<RwSignal<Vec<String>>>,
    alts: Option<RwSignal<BTreeMap<String, String>>>,
) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let version = RwSignal::new(0u32);
    let progress = RwSignal::new(None::<u32>);
    let path = StoredValue::new(ws_path(&ws, "/media"));
    let a = api.clone();
    let list = LocalResource::new(move || {
        version.track();
        let a = a.clone();
        let path = path.get_value();
        async move { a.get::<MediaList>(&path).await.map(MediaList::items) }
    });
    let ws2 = ws.clone();
    let on_file = move |ev: web_sys::Event| {
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        // Cleared so that choosing the same file again is a change again.
        input.set_value("");
        upload(&api, &ws2, file, progress, move |r| match r {
            Ok(item) => {
                toasts.show("Uploaded", false);
                if let Some(s) = selected {
                    s.update(|l| {
                        if !l.contains(&item.id) {
                            l.push(item.id);
                        }
                    });
                }
                version.update(|v| *v += 1);
            }
            Err(e) => toasts.error(&e),
        });
    };
    // The library screen opens a file on click (the picker toggles it instead).
    let opened = RwSignal::new(None::<String>);
    let ws_detail = StoredValue::new(ws.clone());
    let importing = RwSignal::new(false);
    let import_url = RwSignal::new(String::new());
    let import_error = RwSignal::new(None::<UiError>);
    let ws3 = ws.clone();
    let api3 = expect_context::<Api>();
    let on_import = move |_| {
        let url = import_url.get_untracked().trim().to_owned();
        if url.is_empty() {
            let fields = vec![crate::api::FieldError { field: "url".into(), message: "enter the address of an image or a video".into() }];
            import_error.set(Some(UiError::Validation { message: "url: is empty".into(), fields }));
            return;
        }
        import_error.set(None);
        importing.set(true);
        let (api, path) = (api3.clone(), ws_path(&ws3, "/media/from-url"));
        leptos::task::spawn_local(async move {
            let result = api.post::<MediaItem>(&path, &serde_json::json!({ "url": url })).await;
            importing.set(false);
            match result {
                Ok(item) => {
                    toasts.show("Imported", false);
                    import_url.set(String::new());
                    if let Some(s) = selected {
                        s.update(|l| {
                            if !l.contains(&item.id) {
                                l.push(item.id);
                            }
                        });
                    }
                    version.update(|v| *v += 1);
                }
                Err(e) => import_error.set(Some(e)),
            }
        });
    };
    view! {
        {move || match list.get() {
            None => view! { <Loading/> }.into_any(),
            Some(Err(e)) if unavailable(&e) => view! { <p class="postiz-hint" data-media="unavailable">"The media library is not available on this server yet."</p> }.into_any(),
            Some(Err(e)) => view! { <p class="postiz-error">{e.to_string()}</p> }.into_any(),
            Some(Ok(items)) => {
                let thumbs = StoredValue::new(items.iter().map(|m| (m.id.clone(), preview(m))).collect::<Vec<_>>());
                let all = StoredValue::new(items.clone());
                view! {
                    {selected.map(|s| view! { <Attached selected=s thumbs/> })}
                    {selected.zip(alts).map(|(s, alts)| view! { <AttachedAlts selected=s alts library=all/> })}
                    {move || opened.get().and_then(|id| all.with_value(|l| l.iter().find(|m| m.id == id).cloned())).map(|item| view! {
                        <MediaDetail ws=ws_detail.get_value() item can_edit
                            saved=Callback::new(move |_| version.update(|v| *v += 1))
                            close=Callback::new(move |()| opened.set(None))
                            deleted=Callback::new(move |()| { opened.set(None); version.update(|v| *v += 1); })/>
                    })}
                    <div class="postiz-media-grid">
                        {if items.is_empty() { Some(view! { <p class="postiz-hint">"No media yet."</p> }) } else { None }}
                        {items.into_iter().map(|m| {
                            let id = m.id.clone();
                            let id2 = id.clone();
                            let on = move || selected.is_some_and(|s| s.with(|l| l.contains(&id)));
                            let on2 = on.clone();
                            let id3 = id2.clone();
                            let is_open = move || opened.with(|o| o.as_deref() == Some(id3.as_str()));
                            let facts = facts_line(&m);
                            let misfits = m.fits.iter().filter(|f| !f.ok).count();
                            view! {
                                <button type="button"
                                    class=move || match (on(), is_open()) { (true, _) => "postiz-media-item postiz-pick-on", (_, true) => "postiz-media-item postiz-media-open", _ => "postiz-media-item" }
                                    data-media=m.id.clone()
                                    aria-pressed=move || selected.map(|_| on2().to_string())
                                    on:click=move |_| match selected {
                                        Some(s) => s.update(|l| if let Some(i) = l.iter().position(|x| *x == id2) { l.remove(i); } else { l.push(id2.clone()); }),
                                        None => opened.update(|o| *o = if o.as_deref() == Some(id2.as_str()) { None } else { Some(id2.clone()) }),
                                    }>
                                    <div class="postiz-media-thumb">
                                        {match preview(&m) {
                                            Some(u) => view! { <AuthImage src=u alt=m.alt_text.clone().unwrap_or_default()/> }.into_any(),
                                            None => view! { <div class="postiz-media-noposter">{if m.kind == "video" { "Video" } else { "No preview" }}</div> }.into_any(),
                                        }}
                                        {(m.kind == "video").then(|| view! { <i class="postiz-media-play" aria-hidden="true">"▶"</i> })}
                                    </div>
                                    <span>{m.name.clone().or(m.mime_type.clone()).unwrap_or_else(|| m.kind.clone())}</span>
                                    {(!facts.is_empty()).then(|| view! { <small class="postiz-media-facts">{facts}</small> })}
                                    {(misfits > 0).then(|| view! { <small class="postiz-media-misfit">{format!("Not for {misfits} network{}", if misfits == 1 { "" } else { "s" })}</small> })}
                                    {m.alt_text.is_none().then(|| view! { <small class="postiz-media-noalt">"No alt text"</small> })}
                                </button>
                            }
                        }).collect_view()}
                    </div>
                    {can_edit.then(|| view! {
                        <label class="postiz-label">{if selected.is_some() { "Upload and attach" } else { "Upload" }}
                            <input type="file" class="postiz-input" data-field="media-upload" accept="image/*,video/*"
                                disabled=move || progress.get().is_some() on:change=on_file.clone()/>
                        </label>
                    })}
                    {move || progress.get().map(|p| view! {
                        <progress class="postiz-progress" max="100" value=p data-progress=p aria-label="Upload progress"></progress>
                    })}
                    {can_edit.then(|| view! {
                        <div class="postiz-import">
                            <label class="postiz-label">{if selected.is_some() { "Import from a URL and attach" } else { "Import from a URL" }}
                                <span class="postiz-row">
                                    <input type="url" class="postiz-input" data-field="media-url" placeholder="https://…"
                                        prop:value=move || import_url.get() on:input=move |ev| import_url.set(event_target_value(&ev))
                                        disabled=move || importing.get()/>
                                    <button type="button" class="postiz-btn" data-action="import-url" disabled=move || importing.get() on:click=on_import.clone()>
                                        {move || if importing.get() { "Importing…" } else { "Import" }}
                                    </button>
                                </span>
                            </label>
                            <FieldMessage error=import_error prefixes=vec!["url"]/>
                            {move || import_error.get().filter(|e| e.fields().is_empty()).map(|e| view! { <div class="postiz-error" data-field="media-url-error">{e.to_string()}</div> })}
                        </div>
                    })}
                }.into_any()
            }
        }}
    }
}

/// The picture to show for an item: its thumbnail (a video's poster frame), else the image
/// itself; none for a video without a poster.
fn preview(m: &MediaItem) -> Option<String> {
    if m.kind == "video" {
        return m.thumbnail_url.clone();
    }
    m.thumbnail_url.clone().or_else(|| m.url.clone())
}

/// Alt text for this post, per attached file: empty means the library's default goes out
/// (shown as the placeholder); the server checks each network's limit and names the file.
#[component]
fn AttachedAlts(
    selected: RwSignal<Vec<String>>,
    alts: RwSignal<BTreeMap<String, String>>,
    library: StoredValue<Vec<MediaItem>>,
) -> impl IntoView {
    move || {
        let ids = selected.get();
        (!ids.is_empty()).then(|| {
            view! {
                <div class="postiz-attached-alts">
                    {ids.into_iter().enumerate().map(|(i, id)| {
                        let (name, default) = library.with_value(|l| {
                            l.iter().find(|m| m.id == id).map(|m| (m.name.clone().unwrap_or_else(|| m.kind.clone()), m.alt_text.clone())).unwrap_or_else(|| ("file".into(), None))
                        });
                        let placeholder = default.map_or_else(|| "No alt text in the library: describe it for people who cannot see it".to_owned(), |d| format!("Library's: {d}"));
                        let (id2, id3) = (id.clone(), id.clone());
                        view! {
                            <label class="postiz-label">{format!("Alt text for “{name}” in this post")}
                                <textarea class="postiz-textarea" rows="2" data-field=format!("media[{i}].alt") data-alt-for=id.clone()
                                    placeholder=placeholder
                                    prop:value=move || alts.with(|a| a.get(&id2).cloned().unwrap_or_default())
                                    on:input=move |ev| {
                                        let v = event_target_value(&ev);
                                        alts.update(|a| if v.is_empty() { a.remove(&id3); } else { a.insert(id3.clone(), v); });
                                    }></textarea>
                            </label>
                        }
                    }).collect_view()}
                </div>
            }
        })
    }
}

/// The attached media, in order, each with a button that detaches it.
#[component]
fn Attached(selected: RwSignal<Vec<String>>, thumbs: StoredValue<Vec<(String, Option<String>)>>) -> impl IntoView {
    view! {
        <div class="postiz-attached" data-attached=move || selected.with(Vec::len)>
            {move || {
                let ids = selected.get();
                if ids.is_empty() {
                    return view! { <span class="postiz-hint">"Nothing attached: pick from the library below or upload a file."</span> }.into_any();
                }
                ids.into_iter().map(|id| {
                    // Attached media older than the library's first page has no thumbnail here.
                    let thumb = thumbs.with_value(|t| t.iter().find(|(i, _)| *i == id).and_then(|(_, u)| u.clone()));
                    let id2 = id.clone();
                    view! {
                        <span class="postiz-attached-item" data-media=id>
                            {match thumb {
                                Some(u) => view! { <AuthImage src=u/> }.into_any(),
                                None => view! { <span class="postiz-hint">"media"</span> }.into_any(),
                            }}
                            <button type="button" class="postiz-attached-remove" aria-label="Detach"
                                on:click=move |_| selected.update(|l| l.retain(|x| *x != id2))>"×"</button>
                        </span>
                    }
                }).collect_view().into_any()
            }}
        </div>
    }
}
