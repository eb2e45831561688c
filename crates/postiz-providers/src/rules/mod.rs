//! Content rules as data (served to the API and UI) and `validate`.

mod count;
mod networks;
mod validate;

use postiz_domain::{MediaKind, Network};
use serde::{Deserialize, Serialize};

pub use count::{Counting, URL_WEIGHT, count, mastodon_length, threads_length, x_weighted_length};
pub(crate) use count::{Segment, UrlStyle, split_urls};
pub use validate::{FieldError, validate};

/// Everything a network accepts, as data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContentRules {
    /// The network these rules describe.
    pub network: Network,
    /// Text limits.
    pub text: TextRules,
    /// Media limits (per item: the main post and each reply).
    pub media: MediaRules,
    /// Thread support.
    pub thread: ThreadRules,
    /// First-comment support.
    pub first_comment: FirstCommentRules,
}

/// Text limits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextRules {
    /// Maximum length, counted with `counting`.
    pub max_length: u32,
    /// How length is counted.
    pub counting: Counting,
    /// A second limit in UTF-8 bytes (Bluesky: 3000).
    pub max_bytes: Option<u32>,
    /// Text may be empty when media is attached.
    pub optional_with_media: bool,
    /// A lower limit that applies when media is attached (Telegram captions: 1,024).
    #[serde(default)]
    pub caption_max_length: Option<u32>,
}

/// Media limits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MediaRules {
    /// Maximum attachments per item.
    pub max_items: u32,
    /// At least one attachment is required (Instagram).
    pub required: bool,
    /// A video or GIF must be the only attachment.
    pub video_alone: bool,
    /// Limits for still images; `None` when images are not accepted.
    pub image: Option<MediaLimits>,
    /// Limits for animated GIFs; `None` when not accepted.
    pub gif: Option<MediaLimits>,
    /// Limits for videos; `None` when not accepted.
    pub video: Option<MediaLimits>,
    /// Maximum alternative-text length (graphemes).
    pub alt_max_length: Option<u32>,
}

impl MediaRules {
    /// No media at all.
    pub fn none() -> Self {
        Self {
            max_items: 0,
            required: false,
            video_alone: false,
            image: None,
            gif: None,
            video: None,
            alt_max_length: None,
        }
    }

    /// The limits for one kind of media.
    pub fn limits(&self, kind: MediaKind) -> Option<&MediaLimits> {
        match kind {
            MediaKind::Image => self.image.as_ref(),
            MediaKind::Gif => self.gif.as_ref(),
            MediaKind::Video => self.video.as_ref(),
        }
    }
}

/// Limits for one kind of media.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MediaLimits {
    /// Accepted MIME types.
    pub mime_types: Vec<String>,
    /// Maximum file size in bytes.
    pub max_bytes: u64,
    /// Minimum duration (videos).
    pub min_duration_ms: Option<u64>,
    /// Maximum duration (videos).
    pub max_duration_ms: Option<u64>,
    /// Narrowest accepted width/height ratio.
    pub min_aspect_ratio: Option<f64>,
    /// Widest accepted width/height ratio.
    pub max_aspect_ratio: Option<f64>,
}

impl MediaLimits {
    pub(crate) fn new(mime_types: &[&str], max_bytes: u64) -> Self {
        Self {
            mime_types: mime_types.iter().map(|s| (*s).to_owned()).collect(),
            max_bytes,
            min_duration_ms: None,
            max_duration_ms: None,
            min_aspect_ratio: None,
            max_aspect_ratio: None,
        }
    }

    pub(crate) fn duration_ms(mut self, min: u64, max: u64) -> Self {
        self.min_duration_ms = Some(min);
        self.max_duration_ms = Some(max);
        self
    }

    pub(crate) fn aspect(mut self, min: f64, max: f64) -> Self {
        self.min_aspect_ratio = Some(min);
        self.max_aspect_ratio = Some(max);
        self
    }
}

/// Thread support.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadRules {
    /// Replies chained to the main post are published.
    pub supported: bool,
    /// Maximum replies, when limited.
    pub max_items: Option<u32>,
}

/// First-comment support.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FirstCommentRules {
    /// A first comment is published after the post.
    pub supported: bool,
    /// Maximum length of the comment (same counting as the text).
    pub max_length: Option<u32>,
}

impl ContentRules {
    /// The rules for a network (also what each adapter's `rules()` returns).
    pub fn for_network(network: Network) -> &'static ContentRules {
        networks::rules(network)
    }
}
