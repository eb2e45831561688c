//! `validate(variant, rules)`: field-level errors that name the network and the limit.

use postiz_domain::{
    DevToSettings, InstagramPostType, MediaKind, MediaRef, Network, NetworkSettings, PostVariant, TikTokSettings, YouTubeSettings,
};
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use super::video::{self, duration_label};
use super::{ContentRules, MediaRules, count};

/// One problem with one field, worded for the person composing the post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Path of the field, e.g. `variants.x.text` or `variants.bluesky.thread[1].media[0]`.
    pub field: String,
    /// The network whose rule was broken.
    pub network: Network,
    /// Stable machine code: `too_long`, `too_many_bytes`, `required`, `too_many_media`,
    /// `media_required`, `media_type`, `media_too_large`, `media_duration`, `media_aspect`,
    /// `video_alone`, `alt_too_long`, `threads_unsupported`, `thread_too_long`,
    /// `first_comment_unsupported`.
    pub code: &'static str,
    /// What is wrong and what the limit is, e.g.
    /// "X allows 280 characters (weighted: …); this text has 301".
    pub message: String,
    /// The limit, when numeric.
    pub limit: Option<u64>,
    /// The measured value, when numeric.
    pub actual: Option<u64>,
}

/// Checks one library file on its own against a network's media rules (what the library shows
/// as whether the file fits that network): the same per-file checks as [`validate`], with
/// fields named `media`.
pub fn validate_medium(m: &MediaRef, rules: &ContentRules) -> Vec<FieldError> {
    let mut v = Validator::new(rules, &rules.media, rules.network.display_name());
    v.one_medium("media", m);
    v.errors
}

/// Checks one network's variant against that network's rules. An empty result means the
/// network should accept the content (as far as the rules can tell without uploading).
pub fn validate(variant: &PostVariant, rules: &ContentRules) -> Vec<FieldError> {
    let post_type = variant.settings.instagram_post_type();
    let story = rules.network == Network::Instagram && post_type == InstagramPostType::Story;
    let label = if story { "An Instagram story" } else { rules.network.display_name() };
    let mut v = Validator::new(rules, rules.media_for(&variant.settings), label);
    v.item("", &variant.text, &variant.media);
    if rules.network == Network::Instagram {
        v.instagram_post_type(post_type, variant);
    }
    match rules.network {
        Network::TikTok => v.tiktok(variant),
        Network::YouTube => v.youtube(variant),
        Network::DevTo => v.devto(variant),
        _ => {}
    }
    if !variant.thread.is_empty() {
        if !rules.thread.supported {
            v.push(
                "thread",
                "threads_unsupported",
                format!("{} does not support threads; remove the replies or publish them as separate posts", v.name()),
                None,
                Some(variant.thread.len() as u64),
            );
        } else {
            if let Some(max) = rules.thread.max_items
                && variant.thread.len() > max as usize
            {
                v.push(
                    "thread",
                    "thread_too_long",
                    format!("{} allows {max} replies in a thread; this thread has {}", v.name(), variant.thread.len()),
                    Some(u64::from(max)),
                    Some(variant.thread.len() as u64),
                );
            }
            for (i, item) in variant.thread.iter().enumerate() {
                v.item(&format!("thread[{i}]."), &item.text, &item.media);
            }
        }
    }
    if let Some(comment) = &variant.first_comment {
        if !rules.first_comment.supported {
            v.push(
                "first_comment",
                "first_comment_unsupported",
                format!("{} does not support a first comment; remove it", v.name()),
                None,
                None,
            );
        } else {
            let max = rules.first_comment.max_length.unwrap_or(rules.text.max_length);
            v.length("first_comment", comment, max);
        }
    }
    v.errors
}

struct Validator<'a> {
    rules: &'a ContentRules,
    /// The media limits that apply (`rules.media`, or a story's).
    media: &'a MediaRules,
    /// How messages name the network ("Instagram", "An Instagram story").
    label: &'static str,
    errors: Vec<FieldError>,
    prefix: String,
}

impl<'a> Validator<'a> {
    fn new(rules: &'a ContentRules, media: &'a MediaRules, label: &'static str) -> Self {
        Self { rules, media, label, errors: Vec::new(), prefix: format!("variants.{}", rules.network.as_str()) }
    }

    fn name(&self) -> &'static str {
        self.label
    }

    /// What a reel or a story needs beyond its media limits.
    fn instagram_post_type(&mut self, post_type: InstagramPostType, variant: &PostVariant) {
        match post_type {
            InstagramPostType::Feed => {}
            InstagramPostType::Reel => {
                let one_video = matches!(variant.media.as_slice(), [m] if m.kind == MediaKind::Video);
                if !variant.media.is_empty() && !one_video {
                    self.push(
                        "settings.post_type",
                        "post_type_media",
                        format!(
                            "An Instagram reel is one video; this post has {} (attach one video, or choose Feed post)",
                            describe(&variant.media)
                        ),
                        Some(1),
                        Some(variant.media.len() as u64),
                    );
                }
            }
            InstagramPostType::Story => {
                if variant.first_comment.as_deref().is_some_and(|c| !c.trim().is_empty()) {
                    self.push(
                        "first_comment",
                        "first_comment_unsupported",
                        "Instagram stories take no comments; remove the first comment, or choose Feed post".to_owned(),
                        None,
                        None,
                    );
                }
            }
        }
    }

    /// TikTok's settings on their own (what the account allows is checked at publish time,
    /// against `creator_info/query`). No TikTok settings at all is a direct post without a
    /// privacy level: TikTok wants that chosen, never defaulted.
    fn tiktok(&mut self, variant: &PostVariant) {
        let settings = match &variant.settings {
            NetworkSettings::TikTok(s) => s.clone(),
            _ => TikTokSettings::default(),
        };
        for p in settings.problems() {
            self.push(&format!("settings.{}", p.field), p.code, p.labelled(Network::TikTok), None, None);
        }
    }

    /// A YouTube post is one video, optionally followed by one image (its custom thumbnail),
    /// with a title in its settings.
    fn youtube(&mut self, variant: &PostVariant) {
        let shape_ok = match variant.media.as_slice() {
            [] => true, // reported as media_required
            [v] => v.kind == MediaKind::Video,
            [v, t] => v.kind == MediaKind::Video && t.kind == MediaKind::Image,
            _ => true, // reported as too_many_media
        };
        if !shape_ok {
            self.push(
                "media",
                "post_type_media",
                format!(
                    "A YouTube post is one video, optionally followed by one image for its thumbnail; this post has {}",
                    describe(&variant.media)
                ),
                None,
                None,
            );
        }
        let settings = match &variant.settings {
            NetworkSettings::YouTube(s) => s.clone(),
            _ => YouTubeSettings::default(),
        };
        for p in settings.problems() {
            self.push(&format!("settings.{}", p.field), p.code, p.labelled(Network::YouTube), None, None);
        }
    }

    /// A dev.to article's settings on their own: a title, at most 4 tags (Forem's rules).
    /// No settings at all is an article without a title, which Forem refuses.
    fn devto(&mut self, variant: &PostVariant) {
        let settings = match &variant.settings {
            NetworkSettings::DevTo(s) => s.clone(),
            _ => DevToSettings::default(),
        };
        for p in settings.problems() {
            self.push(&format!("settings.{}", p.field), p.code, p.labelled(Network::DevTo), None, None);
        }
    }

    fn push(&mut self, field: &str, code: &'static str, message: String, limit: Option<u64>, actual: Option<u64>) {
        self.errors.push(FieldError {
            field: format!("{}.{field}", self.prefix),
            network: self.rules.network,
            code,
            message,
            limit,
            actual,
        });
    }

    fn item(&mut self, path: &str, text: &str, media: &[MediaRef]) {
        let text_field = format!("{path}text");
        if text.trim().is_empty() && (media.is_empty() || !self.rules.text.optional_with_media) {
            let msg = if self.rules.text.optional_with_media {
                format!("{} needs text or media; add some", self.name())
            } else {
                format!("{} needs text; add some", self.name())
            };
            self.push(&text_field, "required", msg, None, None);
        }
        match self.rules.text.caption_max_length {
            Some(caption) if !media.is_empty() && caption < self.rules.text.max_length => {
                self.caption_length(&text_field, text, caption);
            }
            _ => self.length(&text_field, text, self.rules.text.max_length),
        }
        if let Some(max_bytes) = self.rules.text.max_bytes
            && text.len() > max_bytes as usize
        {
            self.push(
                &text_field,
                "too_many_bytes",
                format!("{} allows {max_bytes} bytes of text; this text has {} (shorten it)", self.name(), text.len()),
                Some(u64::from(max_bytes)),
                Some(text.len() as u64),
            );
        }
        self.media(&format!("{path}media"), media);
    }

    fn length(&mut self, field: &str, text: &str, max: u32) {
        let n = count(text, self.rules.text.counting);
        if n > max as usize {
            self.push(
                field,
                "too_long",
                format!("{} allows {max} characters{}; this text has {n}", self.name(), self.rules.text.counting.describe()),
                Some(u64::from(max)),
                Some(n as u64),
            );
        }
    }

    fn caption_length(&mut self, field: &str, text: &str, max: u32) {
        let n = count(text, self.rules.text.counting);
        if n > max as usize {
            self.push(
                field,
                "too_long",
                format!(
                    "{} allows {max} characters{} in a caption (text sent with media); this text has {n} (shorten it or send the text without media)",
                    self.name(),
                    self.rules.text.counting.describe()
                ),
                Some(u64::from(max)),
                Some(n as u64),
            );
        }
    }

    fn media(&mut self, field: &str, media: &[MediaRef]) {
        let rules = self.media;
        let name = self.name();
        if media.is_empty() {
            if rules.required {
                self.push(field, "media_required", format!("{name} needs at least one image or video; attach one"), Some(1), Some(0));
            }
            return;
        }
        if media.len() > rules.max_items as usize {
            let msg = if rules.max_items == 0 {
                format!("{name} does not accept media here; remove the attachments")
            } else {
                format!("{name} allows {} attachments; this has {} (remove some)", rules.max_items, media.len())
            };
            self.push(field, "too_many_media", msg, Some(u64::from(rules.max_items)), Some(media.len() as u64));
        }
        if rules.video_alone && media.len() > 1 && media.iter().any(|m| matches!(m.kind, MediaKind::Video | MediaKind::Gif)) {
            self.push(
                field,
                "video_alone",
                format!("{name} allows a video or GIF only on its own; remove the other attachments or post them separately"),
                Some(1),
                Some(media.len() as u64),
            );
        }
        for (i, m) in media.iter().enumerate() {
            self.one_medium(&format!("{field}[{i}]"), m);
        }
    }

    fn one_medium(&mut self, field: &str, m: &MediaRef) {
        let name = self.name();
        let kind = match m.kind {
            MediaKind::Image => "images",
            MediaKind::Gif => "GIFs",
            MediaKind::Video => "videos",
        };
        let Some(limits) = self.media.limits(m.kind) else {
            self.push(field, "media_type", format!("{name} does not accept {kind} in this integration; remove it"), None, None);
            return;
        };
        // Still images in a format we decode are converted and recompressed for each network
        // before upload (the worker's variants, `postiz-media`), so their type and byte size
        // are not the composer's problem; their aspect ratio is, unless the asset opts into
        // padding or cropping (checked when the variant is made).
        let converted = m.kind == MediaKind::Image && CONVERTIBLE_IMAGES.iter().any(|t| t.eq_ignore_ascii_case(&m.mime));
        let file = m.name.as_deref().map_or_else(|| "this file".to_owned(), |n| format!("“{n}”"));
        if !converted && !limits.accepts(&m.mime) {
            self.push(
                field,
                "media_type",
                format!("{name} accepts {kind} as {}; {file} is {} (convert it)", limits.mime_types.join(", "), m.mime),
                None,
                None,
            );
        }
        if !converted && m.size_bytes > limits.max_bytes {
            self.push(
                field,
                "media_too_large",
                format!(
                    "{name} allows {kind} up to {}; {file} is {} (compress it)",
                    human_bytes(limits.max_bytes),
                    human_bytes(m.size_bytes)
                ),
                Some(limits.max_bytes),
                Some(m.size_bytes),
            );
        }
        if let Some(d) = m.duration_ms {
            if let Some(max) = limits.max_duration_ms
                && d > max
            {
                let message = format!(
                    "{name} allows {kind} up to {} (maximum duration); {file} is {}: trim it",
                    duration_label(max),
                    duration_label(d)
                );
                self.push(field, "media_duration", message, Some(max), Some(d));
            }
            if let Some(min) = limits.min_duration_ms
                && d < min
            {
                let message =
                    format!("{name} needs {kind} of at least {} (minimum duration); {file} is {}", duration_label(min), duration_label(d));
                self.push(field, "media_duration", message, Some(min), Some(d));
            }
        }
        // An image set to pad or crop is sent as a copy inside the range (the worker's variant),
        // so its own proportions are no reason to refuse it; a video is sent as it is.
        let made_to_fit = converted && m.aspect_fit.fits_any_aspect();
        if let (Some(w), Some(h)) = (m.width, m.height)
            && h > 0
            && !made_to_fit
        {
            let ratio = f64::from(w) / f64::from(h);
            let too_narrow = limits.min_aspect_ratio.is_some_and(|min| ratio < min - 1e-6);
            let too_wide = limits.max_aspect_ratio.is_some_and(|max| ratio > max + 1e-6);
            if too_narrow || too_wide {
                self.push(
                    field,
                    "media_aspect",
                    format!(
                        "{name} accepts {kind} with a width/height ratio between {:.2} and {:.2}; this one is {w}×{h} ({ratio:.2}); crop it",
                        limits.min_aspect_ratio.unwrap_or(0.0),
                        limits.max_aspect_ratio.unwrap_or(f64::INFINITY)
                    ),
                    None,
                    None,
                );
            }
        }
        if m.kind == MediaKind::Video {
            for p in video::problems(name, m, limits) {
                self.push(field, p.code, p.message, p.limit, p.actual);
            }
        }
        if let (Some(alt), Some(max)) = (&m.alt, self.media.alt_max_length) {
            let n = alt.graphemes(true).count();
            if n > max as usize {
                self.push(
                    field,
                    "alt_too_long",
                    format!("{name} allows alt text up to {max} characters; this has {n}"),
                    Some(u64::from(max)),
                    Some(n as u64),
                );
            }
        }
    }
}

/// "2 images", "1 image and 1 video": what a list of media holds, for messages.
fn describe(media: &[MediaRef]) -> String {
    let count = |k: MediaKind| media.iter().filter(|m| m.kind == k).count();
    let part = |n: usize, one: &str, many: &str| match n {
        0 => None,
        1 => Some(format!("1 {one}")),
        n => Some(format!("{n} {many}")),
    };
    let parts: Vec<String> = [
        part(count(MediaKind::Image), "image", "images"),
        part(count(MediaKind::Gif), "GIF", "GIFs"),
        part(count(MediaKind::Video), "video", "videos"),
    ]
    .into_iter()
    .flatten()
    .collect();
    parts.join(" and ")
}

/// Image types the worker decodes and converts to what each network accepts.
pub const CONVERTIBLE_IMAGES: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/gif"];

fn human_bytes(n: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if n >= MB {
        format!("{:.1} MB", n as f64 / MB as f64)
    } else if n >= 1024 {
        format!("{:.0} KB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}
