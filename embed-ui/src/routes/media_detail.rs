//! One library file, opened from the library grid: its picture (a video's poster frame), what
//! it is (size, duration, codecs, frame rate, bytes), which of the workspace's networks take it
//! as it is and why the others would not (the server's answer, from the same rules that check a
//! post when it is scheduled), the copies made per network, and its alt text, edited here and
//! used by every post that attaches the file without alt text of its own.

use leptos::prelude::*;

use crate::api::{Api, MediaItem, UiError, ws_path};
use crate::app::Toasts;
use crate::components::{AuthImage, FieldMessage};

/// Bytes as people read them.
pub fn size_label(bytes: i64) -> String {
    const MB: f64 = 1024.0 * 1024.0;
    let b = bytes as f64;
    if b >= MB {
        format!("{:.1} MB", b / MB)
    } else if b >= 1024.0 {
        format!("{:.0} KB", b / 1024.0)
    } else {
        format!("{bytes} bytes")
    }
}

/// A duration as a clock: `0:04`, `20:00`, `1:02:03`.
pub fn clock(ms: i64) -> String {
    let s = (ms + 500) / 1000;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 { format!("{h}:{m:02}:{s:02}") } else { format!("{m}:{s:02}") }
}

/// A codec's sample entry type as people call it.
fn codec_label(entry: &str) -> String {
    let name = match entry {
        "avc1" | "avc3" => "H.264",
        "hvc1" | "hev1" => "HEVC",
        "av01" => "AV1",
        "vp09" => "VP9",
        "vp08" => "VP8",
        "mp4a" => "AAC",
        "Opus" => "Opus",
        ".mp3" => "MP3",
        _ => return entry.to_owned(),
    };
    name.to_owned()
}

/// The short line under a tile: `0:04 · 320×240` or `1200×800`.
pub fn facts_line(m: &MediaItem) -> String {
    let mut parts = Vec::new();
    if let Some(d) = m.duration_ms {
        parts.push(clock(d));
    }
    if let (Some(w), Some(h)) = (m.width, m.height) {
        parts.push(format!("{w}×{h}"));
    }
    parts.join(" · ")
}

/// The opened file, with its alt text editor. `saved` gets the server's answer after a save.
#[component]
pub fn MediaDetail(
    /// The workspace id.
    ws: String,
    /// The file, as the library listed it.
    item: MediaItem,
    /// Whether the viewer may edit.
    can_edit: bool,
    /// Called with the updated file after the alt text is saved.
    saved: Callback<MediaItem>,
    /// Called to close the panel.
    close: Callback<()>,
    /// Called after the file was deleted.
    deleted: Callback<()>,
) -> impl IntoView {
    let api = expect_context::<Api>();
    let toasts = expect_context::<Toasts>();
    let alt = RwSignal::new(item.alt_text.clone().unwrap_or_default());
    let error = RwSignal::new(None::<UiError>);
    let saving = RwSignal::new(false);
    let path = ws_path(&ws, &format!("/media/{}", item.id));
    let on_save = move |_| {
        let (api, path) = (api.clone(), path.clone());
        let text = alt.get_untracked();
        error.set(None);
        saving.set(true);
        leptos::task::spawn_local(async move {
            let result = api.patch::<MediaItem>(&path, &serde_json::json!({ "alt_text": text })).await;
            saving.set(false);
            match result {
                Ok(updated) => {
                    alt.set(updated.alt_text.clone().unwrap_or_default());
                    toasts.show("Alt text saved", false);
                    saved.run(updated);
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let fit = RwSignal::new(item.aspect_fit.clone().unwrap_or_else(|| "refuse".into()));
    let (api2, path2) = (expect_context::<Api>(), ws_path(&ws, &format!("/media/{}", item.id)));
    let on_fit = move |ev: leptos::ev::Event| {
        let (api, path) = (api2.clone(), path2.clone());
        let choice = event_target_value(&ev);
        let before = fit.get_untracked();
        fit.set(choice.clone());
        error.set(None);
        saving.set(true);
        leptos::task::spawn_local(async move {
            let result = api.patch::<MediaItem>(&path, &serde_json::json!({ "aspect_fit": choice })).await;
            saving.set(false);
            match result {
                Ok(updated) => {
                    toasts.show("Aspect choice saved", false);
                    saved.run(updated);
                }
                Err(e) => {
                    fit.set(before);
                    error.set(Some(e));
                }
            }
        });
    };
    // Delete asks first; a file a post still uses is refused by the server (409), in words.
    let confirming = RwSignal::new(false);
    let (api3, path3) = (expect_context::<Api>(), ws_path(&ws, &format!("/media/{}", item.id)));
    let on_delete = move |_| {
        let (api, path) = (api3.clone(), path3.clone());
        confirming.set(false);
        error.set(None);
        saving.set(true);
        leptos::task::spawn_local(async move {
            let result = api.delete(&path).await;
            saving.set(false);
            match result {
                Ok(()) => {
                    toasts.show("File deleted", false);
                    deleted.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    let is_image = item.kind == "image";
    let name = item.name.clone().unwrap_or_else(|| item.kind.clone());
    let picture = item.thumbnail_url.clone().or_else(|| (item.kind != "video").then(|| item.url.clone()).flatten());
    let is_video = item.kind == "video";
    let mut facts: Vec<(&'static str, String)> = Vec::new();
    if let (Some(w), Some(h)) = (item.width, item.height) {
        facts.push(("Size", format!("{w} × {h} px")));
    }
    if let Some(d) = item.duration_ms {
        facts.push(("Duration", clock(d)));
    }
    if let Some(c) = &item.video_codec {
        let sound = match (&item.audio_codec, item.has_audio) {
            (Some(a), _) => format!(", sound {}", codec_label(a)),
            (None, Some(false)) => ", no sound".to_owned(),
            _ => String::new(),
        };
        facts.push(("Codec", format!("{}{sound}", codec_label(c))));
    }
    if let Some(fps) = item.frame_rate {
        let fps = if (fps - fps.round()).abs() < 0.001 { format!("{fps:.0}") } else { format!("{fps:.2}") };
        facts.push(("Frame rate", format!("{fps} fps")));
    }
    if let Some(b) = item.bytes {
        facts.push(("File size", size_label(b)));
    }
    if let Some(mime) = &item.mime_type {
        facts.push(("Type", mime.clone()));
    }
    let fits = item.fits.clone();
    // With pad or crop an image fits any proportions because the copy sent is made to fit.
    let fits_note = match (is_image, item.aspect_fit.as_deref()) {
        (true, Some("pad")) => " fits (padded where its proportions are outside the network's)",
        (true, Some("crop")) => " fits (cropped where its proportions are outside the network's)",
        _ => " fits as it is",
    };
    let variants = item.variants.clone();
    let variant_count = variants.len();
    let about = format!("About {name}");
    view! {
        <section class="postiz-media-detail" data-media-detail=item.id.clone() aria-label=about>
            <div class="postiz-media-detail-head">
                <div class="postiz-media-detail-picture">
                    {match picture {
                        Some(u) => view! { <AuthImage src=u alt=item.alt_text.clone().unwrap_or_default()/> }.into_any(),
                        None => view! { <span class="postiz-media-noposter">{if is_video { "Video: no preview on this server" } else { "No preview" }}</span> }.into_any(),
                    }}
                </div>
                <div class="postiz-media-detail-about">
                    <div class="postiz-row postiz-media-detail-title">
                        <h3 class="postiz-subtitle">{name}</h3>
                        <button type="button" class="postiz-btn postiz-btn-quiet" data-action="close-media" on:click=move |_| close.run(())>"Close"</button>
                    </div>
                    <dl class="postiz-facts">
                        {facts.into_iter().map(|(k, v)| view! { <div><dt>{k}</dt><dd>{v}</dd></div> }).collect_view()}
                    </dl>
                </div>
            </div>
            <h4 class="postiz-subtitle">"Where it fits"</h4>
            {if fits.is_empty() {
                view! { <p class="postiz-hint">"Connect an account to see which networks take this file as it is."</p> }.into_any()
            } else {
                view! {
                    <ul class="postiz-fits">
                        {fits.into_iter().map(|f| {
                            let class = if f.ok { "postiz-fit postiz-fit-ok" } else { "postiz-fit postiz-fit-no" };
                            view! {
                                <li class=class data-network=f.network.clone() data-fits=f.ok.to_string()>
                                    <span class="postiz-fit-mark" aria-hidden="true">{if f.ok { "✓" } else { "✕" }}</span>
                                    <strong>{f.label.clone()}</strong>
                                    {if f.ok {
                                        view! { <span class="postiz-hint">{fits_note}</span> }.into_any()
                                    } else {
                                        view! { <ul class="postiz-fit-reasons">{f.reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul> }.into_any()
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {is_image.then(|| view! {
                <label class="postiz-label">"When a network does not take its proportions"
                    <select class="postiz-select" data-field="aspect-fit" disabled=move || !can_edit || saving.get() on:change=on_fit.clone()>
                        <option value="refuse" selected=move || fit.get() == "refuse">"Refuse it (say so when scheduling)"</option>
                        <option value="pad" selected=move || fit.get() == "pad">"Pad it with white bars"</option>
                        <option value="crop" selected=move || fit.get() == "crop">"Crop the middle"</option>
                    </select>
                </label>
                <FieldMessage error prefixes=vec!["aspect_fit"]/>
            })}
            <h4 class="postiz-subtitle">"Copies made per network"</h4>
            {if variants.is_empty() {
                view! { <p class="postiz-hint" data-variants="0">"None yet. When a post with this file goes out, each network gets a copy that meets its limits; it is kept here for the next post."</p> }.into_any()
            } else {
                view! {
                    <table class="postiz-table" data-variants=variant_count>
                        <thead><tr><th>"Network"</th><th>"Type"</th><th>"Size"</th><th>"File size"</th></tr></thead>
                        <tbody>
                            {variants.into_iter().map(|v| view! {
                                <tr data-profile=v.profile.clone()><td>{v.network.clone()}</td><td>{v.mime_type.clone()}</td><td>{format!("{} × {}", v.width, v.height)}</td><td>{size_label(v.bytes)}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <label class="postiz-label">"Alt text"
                <textarea class="postiz-input postiz-alt" data-field="alt-text" rows="3" maxlength="2000"
                    placeholder="Describe what the picture shows, for people who cannot see it"
                    disabled=move || !can_edit || saving.get()
                    prop:value=move || alt.get() on:input=move |ev| alt.set(event_target_value(&ev))></textarea>
            </label>
            <FieldMessage error prefixes=vec!["alt_text"]/>
            {move || error.get().filter(|e| e.fields().is_empty()).map(|e| view! { <div class="postiz-error">{e.to_string()}</div> })}
            <p class="postiz-hint">"Posts that attach this file use this text unless they set their own. "
                {move || format!("{} / 2000", alt.with(|a| a.chars().count()))}</p>
            {can_edit.then(|| view! {
                <button type="button" class="postiz-btn" data-action="save-alt" disabled=move || saving.get() on:click=on_save.clone()>
                    {move || if saving.get() { "Saving…" } else { "Save alt text" }}
                </button>
                <button type="button" class="postiz-btn postiz-btn-danger" data-action="delete-media" disabled=move || saving.get()
                    on:click=move |_| confirming.set(true)>"Delete file"</button>
            })}
            {move || confirming.get().then(|| view! {
                <div class="postiz-confirm" role="alertdialog" aria-modal="true" aria-labelledby="postiz-media-delete-q">
                    <p id="postiz-media-delete-q">"Delete this file from the library? This cannot be undone."</p>
                    <button type="button" class="postiz-btn postiz-btn-danger" on:click=on_delete.clone()>"Delete for good"</button>
                    <button type="button" class="postiz-btn" on:click=move |_| confirming.set(false)>"Keep it"</button>
                </div>
            })}
        </section>
    }
}
