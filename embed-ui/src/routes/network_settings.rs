//! The composer's per-network settings sections for TikTok, YouTube and dev.to, on the types the
//! API validates (`postiz_domain::TikTokSettings`, `YouTubeSettings`, `DevToSettings`), so what is shown, sent and
//! checked is one shape. TikTok's section follows TikTok's Content Posting UX rules: who can see
//! the post is chosen by the person (nothing preselected) among the levels `creator_info` allows,
//! interactions the creator turned off cannot be allowed, and branded content is disclosed in
//! TikTok's words.

use leptos::prelude::*;
use postiz_domain::{
    ComposerOptions, DevToSettings, TikTokCreatorOptions, TikTokPostMode, TikTokPrivacy, TikTokSettings, YOUTUBE_CATEGORIES,
    YouTubePrivacy, YouTubeSettings,
};

use crate::api::{Api, UiError, ws_path};
use crate::components::FieldMessage;

/// TikTok's settings for the post. `account` is the TikTok account the post goes to, whose
/// creator options decide what can be chosen.
#[component]
pub fn TikTokSection(
    /// The workspace.
    ws: String,
    /// The selected TikTok account's id.
    account: Option<String>,
    /// The settings being edited.
    settings: RwSignal<TikTokSettings>,
    /// The form's last error.
    error: RwSignal<Option<UiError>>,
) -> impl IntoView {
    let api = expect_context::<Api>();
    let options: RwSignal<Option<Result<TikTokCreatorOptions, String>>> = RwSignal::new(None);
    if let Some(account) = account {
        leptos::task::spawn_local(async move {
            let got = api.get::<ComposerOptions>(&ws_path(&ws, &format!("/accounts/{account}/composer-options"))).await;
            // The section may be gone (the account unselected) before TikTok answers.
            options.try_set(Some(match got {
                Ok(ComposerOptions { tiktok: Some(o) }) => Ok(o),
                Ok(_) => Err("TikTok said nothing about what this account allows.".to_owned()),
                // The API's own sentence ("…; reconnect it on the Accounts page."), without the request id.
                Err(UiError::Api { message, .. }) => Err(message),
                Err(e) => Err(format!("Could not ask TikTok what this account allows: {e}")),
            }));
        });
    }
    let creator = move || options.with(|o| o.as_ref().and_then(|r| r.as_ref().ok().cloned()));
    // What the creator turned off cannot be allowed: the post turns it off too, so the locked
    // checkbox and what is saved agree.
    Effect::new(move |_| {
        if let Some(c) = creator() {
            settings.update(|s| {
                s.disable_comment |= c.comment_disabled;
                s.disable_duet |= c.duet_disabled;
                s.disable_stitch |= c.stitch_disabled;
            });
        }
    });
    let levels = move || creator().map(|c| c.privacy_levels).unwrap_or_else(|| TikTokPrivacy::ALL.to_vec());
    let direct = move || settings.with(|s| s.mode == TikTokPostMode::Direct);
    let set = move |f: fn(&mut TikTokSettings, bool)| move |ev| settings.update(|s| f(s, event_target_checked(&ev)));

    let allow = move |label: &'static str,
                      field: &'static str,
                      off: fn(&TikTokSettings) -> bool,
                      set_off: fn(&mut TikTokSettings, bool),
                      locked: fn(&TikTokCreatorOptions) -> bool| {
        let is_locked = move || creator().is_some_and(|c| locked(&c));
        view! {
            <label class="postiz-radio">
                <input type="checkbox" data-field=field
                    prop:checked=move || !settings.with(off) && !is_locked()
                    disabled=is_locked
                    on:change=move |ev| settings.update(|s| set_off(s, !event_target_checked(&ev)))/>
                {label}
                {move || is_locked().then_some(" (turned off for this account)")}
            </label>
        }
    };

    view! {
        <div class="postiz-network-settings" data-settings="tiktok">
            {move || match options.get() {
                None => view! { <p class="postiz-hint">"Asking TikTok what this account allows…"</p> }.into_any(),
                Some(Err(e)) => view! {
                    <p class="postiz-hint" data-creator-info="unavailable">
                        {format!("{e} Every choice is shown; TikTok checks them before publishing.")}
                    </p>
                }.into_any(),
                Some(Ok(c)) => view! {
                    <p class="postiz-hint" data-creator-info="ok">
                        {format!("Posting as {}", c.username.map(|u| format!("@{u}")).unwrap_or_else(|| "this TikTok account".into()))}
                        {c.max_video_secs.map(|s| format!(" · videos up to {s} s"))}
                    </p>
                }.into_any(),
            }}
            <fieldset class="postiz-fieldset">
                <legend>"How to post"</legend>
                <label class="postiz-radio">
                    <input type="radio" name="postiz-tiktok-mode" data-field="tiktok-mode-direct"
                        prop:checked=direct
                        on:change=move |_| settings.update(|s| s.mode = TikTokPostMode::Direct)/>
                    "Post directly to the profile"
                </label>
                <label class="postiz-radio">
                    <input type="radio" name="postiz-tiktok-mode" data-field="tiktok-mode-draft"
                        prop:checked=move || !direct()
                        on:change=move |_| settings.update(|s| s.mode = TikTokPostMode::Draft)/>
                    "Send to the TikTok inbox as a draft (finish it in the TikTok app)"
                </label>
            </fieldset>
            {move || direct().then(|| view! {
                <label class="postiz-label">"Who can see this post"
                    <select class="postiz-select" data-field="variants.tiktok.settings.privacy_level"
                        on:change=move |ev| {
                            let v = event_target_value(&ev);
                            settings.update(|s| s.privacy_level = TikTokPrivacy::from_api(&v));
                        }>
                        <option value="" selected=move || settings.with(|s| s.privacy_level.is_none())>"Choose who can see this post"</option>
                        {move || levels().into_iter().map(|p| {
                            let private_ad = move || p == TikTokPrivacy::SelfOnly && settings.with(|s| s.brand_content_toggle);
                            view! {
                                <option value=p.as_str() selected=move || settings.with(|s| s.privacy_level == Some(p)) disabled=private_ad>
                                    {p.label()}{move || private_ad().then_some(" (not allowed for branded content)")}
                                </option>
                            }
                        }).collect_view()}
                    </select>
                </label>
                <FieldMessage error prefixes=vec!["variants.tiktok.settings.privacy_level"]/>
                <div class="postiz-picks">
                    {allow("Allow comments", "disable_comment", |s| s.disable_comment, |s, v| s.disable_comment = v, |c| c.comment_disabled)}
                    {allow("Allow Duet", "disable_duet", |s| s.disable_duet, |s, v| s.disable_duet = v, |c| c.duet_disabled)}
                    {allow("Allow Stitch", "disable_stitch", |s| s.disable_stitch, |s, v| s.disable_stitch = v, |c| c.stitch_disabled)}
                </div>
                <p class="postiz-hint">"Duet and Stitch apply to videos only."</p>
                <FieldMessage error prefixes=vec!["variants.tiktok.settings.disable_comment", "variants.tiktok.settings.disable_duet", "variants.tiktok.settings.disable_stitch"]/>
            })}
            <fieldset class="postiz-fieldset">
                <legend>"Content disclosure"</legend>
                <p class="postiz-hint">"Turn on if this post promotes yourself, a brand, product or service."</p>
                <label class="postiz-radio">
                    <input type="checkbox" data-field="brand_organic_toggle"
                        prop:checked=move || settings.with(|s| s.brand_organic_toggle)
                        on:change=set(|s, v| s.brand_organic_toggle = v)/>
                    "Your brand: you are promoting yourself or your own business"
                </label>
                <label class="postiz-radio">
                    <input type="checkbox" data-field="brand_content_toggle"
                        prop:checked=move || settings.with(|s| s.brand_content_toggle)
                        on:change=set(|s, v| s.brand_content_toggle = v)/>
                    "Branded content: you are promoting another brand or a third party"
                </label>
                {move || {
                    let (own, paid) = settings.with(|s| (s.brand_organic_toggle, s.brand_content_toggle));
                    let label = if paid { Some("Your photo/video will be labeled as “Paid partnership”.") } else if own { Some("Your photo/video will be labeled as “Promotional content”.") } else { None };
                    label.map(|l| view! { <p class="postiz-hint" data-disclosure="label">{l}</p> })
                }}
                <p class="postiz-hint" data-disclosure="consent">
                    {move || if settings.with(|s| s.brand_content_toggle) {
                        "By posting, you agree to TikTok's Branded Content Policy and Music Usage Confirmation."
                    } else {
                        "By posting, you agree to TikTok's Music Usage Confirmation."
                    }}
                </p>
            </fieldset>
            <label class="postiz-label">"Photo title (photo posts, up to 90 characters)"
                <input class="postiz-input" data-field="variants.tiktok.settings.title" maxlength="90"
                    prop:value=move || settings.with(|s| s.title.clone().unwrap_or_default())
                    on:input=move |ev| { let v = event_target_value(&ev); settings.update(|s| s.title = (!v.is_empty()).then_some(v)); }/>
            </label>
            <label class="postiz-radio">
                <input type="checkbox" data-field="auto_add_music"
                    prop:checked=move || settings.with(|s| s.auto_add_music)
                    on:change=set(|s, v| s.auto_add_music = v)/>
                "Add music (photo posts)"
            </label>
            <FieldMessage error prefixes=vec!["variants.tiktok.settings.title", "variants.tiktok.settings.brand_content_toggle"]/>
        </div>
    }
}

/// A required title with its length beside it and its error under it (YouTube's and dev.to's).
#[component]
fn TitleField(
    /// The field's path in the API's errors, also the input's `data-field`.
    field: &'static str,
    /// The longest title the network takes, in characters.
    max: usize,
    /// The title being edited.
    title: Signal<String>,
    /// Stores a new title.
    set: impl Fn(String) + 'static,
    /// The form's last error.
    error: RwSignal<Option<UiError>>,
) -> impl IntoView {
    view! {
        <label class="postiz-label">"Title"
            <input class="postiz-input" data-field=field required=true
                prop:value=move || title.get()
                on:input=move |ev| set(event_target_value(&ev))/>
        </label>
        <span class="postiz-hint">{move || format!("{} / {}", title.with(|t| t.chars().count()), max)}</span>
        <FieldMessage error prefixes=vec![field]/>
    }
}

/// YouTube's settings for the video.
#[component]
pub fn YouTubeSection(
    /// The settings being edited.
    settings: RwSignal<YouTubeSettings>,
    /// The form's last error.
    error: RwSignal<Option<UiError>>,
) -> impl IntoView {
    let privacy = move || settings.with(|s| s.privacy.unwrap_or_default());
    view! {
        <div class="postiz-network-settings" data-settings="youtube">
            <TitleField field="variants.youtube.settings.title" max=postiz_domain::YOUTUBE_TITLE_MAX error
                title=Signal::derive(move || settings.with(|s| s.title.clone()))
                set=move |v| settings.update(|s| s.title = v)/>
            <label class="postiz-label">"Visibility"
                <select class="postiz-select" data-field="variants.youtube.settings.privacy"
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        settings.update(|s| s.privacy = [YouTubePrivacy::Public, YouTubePrivacy::Unlisted, YouTubePrivacy::Private].into_iter().find(|p| p.as_str() == v));
                    }>
                    <option value="public" selected=move || privacy() == YouTubePrivacy::Public>"Public"</option>
                    <option value="unlisted" selected=move || privacy() == YouTubePrivacy::Unlisted>"Unlisted (anyone with the link)"</option>
                    <option value="private" selected=move || privacy() == YouTubePrivacy::Private>"Private (only the channel)"</option>
                </select>
            </label>
            <label class="postiz-label">"Tags (separated by commas)"
                <input class="postiz-input" data-field="variants.youtube.settings.tags"
                    prop:value=move || settings.with(|s| s.tags.join(", "))
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        settings.update(|s| s.tags = v.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect());
                    }/>
            </label>
            <FieldMessage error prefixes=vec!["variants.youtube.settings.tags"]/>
            <label class="postiz-label">"Category"
                <select class="postiz-select" data-field="variants.youtube.settings.category_id"
                    on:change=move |ev| { let v = event_target_value(&ev); settings.update(|s| s.category_id = (!v.is_empty()).then_some(v)); }>
                    <option value="" selected=move || settings.with(|s| s.category_id.is_none())>"YouTube's default"</option>
                    {YOUTUBE_CATEGORIES.iter().map(|(id, name)| view! {
                        <option value=*id selected=move || settings.with(|s| s.category_id.as_deref() == Some(*id))>{*name}</option>
                    }).collect_view()}
                </select>
            </label>
            <FieldMessage error prefixes=vec!["variants.youtube.settings.category_id"]/>
            <label class="postiz-radio">
                <input type="checkbox" data-field="made_for_kids"
                    prop:checked=move || settings.with(|s| s.made_for_kids)
                    on:change=move |ev| settings.update(|s| s.made_for_kids = event_target_checked(&ev))/>
                "Made for kids (required by YouTube's children's privacy rules)"
            </label>
            <label class="postiz-radio">
                <input type="checkbox" data-field="short"
                    prop:checked=move || settings.with(|s| s.short)
                    on:change=move |ev| settings.update(|s| s.short = event_target_checked(&ev))/>
                "Publish as a Short (vertical or square video, up to 3 minutes)"
            </label>
        </div>
    }
}

/// dev.to's settings for the article: a title (required), up to 4 tags, the original address
/// of a copy, and whether the first image is the cover. The post's text is the Markdown body.
#[component]
pub fn DevToSection(
    /// The settings being edited.
    settings: RwSignal<DevToSettings>,
    /// The form's last error.
    error: RwSignal<Option<UiError>>,
) -> impl IntoView {
    view! {
        <div class="postiz-network-settings" data-settings="devto">
            <TitleField field="variants.devto.settings.title" max=postiz_domain::DEVTO_TITLE_MAX error
                title=Signal::derive(move || settings.with(|s| s.title.clone()))
                set=move |v| settings.update(|s| s.title = v)/>
            <label class="postiz-label">{format!("Tags (up to {}, separated by commas; letters a–z and digits only)", postiz_domain::DEVTO_TAGS_MAX)}
                <input class="postiz-input" data-field="variants.devto.settings.tags"
                    prop:value=move || settings.with(|s| s.tags.join(", "))
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        settings.update(|s| s.tags = v.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect());
                    }/>
            </label>
            <FieldMessage error prefixes=vec!["variants.devto.settings.tags"]/>
            <label class="postiz-label">"Original address (optional, when the article first appeared elsewhere)"
                <input class="postiz-input" data-field="variants.devto.settings.canonical_url" placeholder="https://…"
                    prop:value=move || settings.with(|s| s.canonical_url.clone().unwrap_or_default())
                    on:change=move |ev| {
                        let v = event_target_value(&ev);
                        settings.update(|s| s.canonical_url = (!v.trim().is_empty()).then(|| v.trim().to_owned()));
                    }/>
            </label>
            <FieldMessage error prefixes=vec!["variants.devto.settings.canonical_url"]/>
            <label class="postiz-radio">
                <input type="checkbox" data-field="first_image_as_cover"
                    prop:checked=move || settings.with(|s| s.first_image_as_cover)
                    on:change=move |ev| settings.update(|s| s.first_image_as_cover = event_target_checked(&ev))/>
                "Use the first image as the cover"
            </label>
            <p class="postiz-hint">"The text is the article, in Markdown; images are added after it by their public address."</p>
        </div>
    }
}
