//! Content rules as data (served to the API and UI) and `validate`.

mod count;
mod media;
mod networks;
mod validate;
mod video;

use postiz_domain::{InstagramPostType, Network, NetworkSettings};
use serde::{Deserialize, Serialize};

pub use count::{Counting, URL_WEIGHT, count, mastodon_length, threads_length, x_weighted_length};
pub(crate) use count::{Segment, UrlStyle, split_urls};
pub use media::{MediaLimits, MediaRules};
pub use validate::{CONVERTIBLE_IMAGES, FieldError, validate, validate_medium};
pub use video::{audio_codec_family, duration_label, video_codec_family};

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
    /// Media limits for a story (Instagram `post_type: story`) instead of `media`; `None` where
    /// the network has no stories.
    #[serde(default)]
    pub story: Option<MediaRules>,
    /// Media limits for a YouTube Short (`settings.short`) instead of `media`: vertical or
    /// square, at most 3 minutes; `None` where the network has no Shorts.
    #[serde(default)]
    pub short: Option<MediaRules>,
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

    /// The media limits a post with these settings is held to: the story's for an Instagram
    /// story, else `media`. The worker makes variants for the same limits.
    pub fn media_for(&self, settings: &NetworkSettings) -> &MediaRules {
        if let (NetworkSettings::YouTube(s), Some(short)) = (settings, &self.short)
            && s.short
        {
            return short;
        }
        match (settings.instagram_post_type(), &self.story) {
            (InstagramPostType::Story, Some(story)) if self.network == Network::Instagram => story,
            _ => &self.media,
        }
    }
}
