//! A post as the user composed it: one variant per network.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{AspectFit, MediaId, Network, TikTokSettings, YouTubeSettings};

/// What the user composed for one submission: a variant per selected network.
///
/// Validation errors name fields by their path in this structure, e.g. `variants.x.text` or
/// `variants.bluesky.thread[0].media`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ComposedPost {
    /// The content for each selected network.
    pub variants: BTreeMap<Network, PostVariant>,
}

/// The content for one network.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PostVariant {
    /// Text of the main post.
    pub text: String,
    /// Media attached to the main post.
    pub media: Vec<MediaRef>,
    /// Replies published after the main post, each replying to the previous one.
    pub thread: Vec<ThreadItem>,
    /// A comment published on the main post once it is live (a self-reply where the network
    /// has no separate comments).
    pub first_comment: Option<String>,
    /// Network-specific options.
    pub settings: NetworkSettings,
}

/// One reply in a thread.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThreadItem {
    /// Text of the reply.
    pub text: String,
    /// Media attached to the reply.
    pub media: Vec<MediaRef>,
}

/// The kind of a media file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    /// A still image (JPEG, PNG, WebP, non-animated GIF).
    Image,
    /// An animated GIF (several networks treat it like a video).
    Gif,
    /// A video.
    Video,
}

/// A media file from the workspace's library, with what validation needs to know about it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MediaRef {
    /// The library entry.
    pub id: MediaId,
    /// Image, GIF or video.
    pub kind: MediaKind,
    /// MIME type, e.g. `image/jpeg`.
    pub mime: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Width in pixels, when known.
    #[serde(default)]
    pub width: Option<u32>,
    /// Height in pixels, when known.
    #[serde(default)]
    pub height: Option<u32>,
    /// Duration in milliseconds (videos and GIFs), when known.
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// Alternative text for screen readers.
    #[serde(default)]
    pub alt: Option<String>,
    /// The name the user knows the file by (the uploaded file's name), for messages.
    #[serde(default)]
    pub name: Option<String>,
    /// Videos: what the container says beyond size and duration.
    #[serde(default)]
    pub video: VideoTraits,
    /// What the worker does with an image outside a network's aspect range (the asset's
    /// choice in the library).
    #[serde(default)]
    pub aspect_fit: AspectFit,
}

/// What a video's container says about its streams, as read at upload. Unknown fields are
/// `None`: a rule that needs one is then not checked.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VideoTraits {
    /// The picture's sample entry type (`avc1`, `hvc1`, `av01`, …).
    pub video_codec: Option<String>,
    /// The sound's sample entry type (`mp4a`, `Opus`, …); `None` without sound.
    pub audio_codec: Option<String>,
    /// Frames per second.
    pub frame_rate: Option<f64>,
}

/// Per-network options. The variant should match the network it is used with; `None` means
/// the network's defaults.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "network", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NetworkSettings {
    /// The network's defaults.
    #[default]
    None,
    /// Options for X.
    X(XSettings),
    /// Options for Mastodon.
    Mastodon(MastodonSettings),
    /// Options for LinkedIn (member or page).
    #[serde(rename = "linkedin")]
    LinkedIn(LinkedInSettings),
    /// Options for Instagram.
    Instagram(InstagramSettings),
    /// Options for TikTok.
    #[serde(rename = "tiktok")]
    TikTok(TikTokSettings),
    /// Options for YouTube.
    #[serde(rename = "youtube")]
    YouTube(YouTubeSettings),
    /// Options for dev.to.
    #[serde(rename = "devto")]
    DevTo(crate::DevToSettings),
}

/// Options for X.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct XSettings {
    /// Who may reply; `None` means everyone.
    pub reply_settings: Option<XReplySettings>,
}

/// Who may reply to a post on X (`reply_settings` in `POST /2/tweets`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum XReplySettings {
    /// Only accounts the author follows.
    Following,
    /// Only accounts mentioned in the post.
    MentionedUsers,
    /// Only subscribers.
    Subscribers,
    /// Only verified accounts.
    Verified,
}

/// Options for Mastodon.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MastodonSettings {
    /// Visibility; `None` uses the account's default.
    pub visibility: Option<MastodonVisibility>,
    /// Content warning shown before the text.
    pub spoiler_text: Option<String>,
    /// Mark media as sensitive.
    pub sensitive: bool,
    /// ISO 639 language code.
    pub language: Option<String>,
}

/// Mastodon status visibility.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MastodonVisibility {
    /// Everyone, on public timelines.
    Public,
    /// Everyone, but not on public timelines.
    Unlisted,
    /// Followers only.
    Private,
    /// Mentioned accounts only.
    Direct,
}

/// Options for LinkedIn.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LinkedInSettings {
    /// Who can see the post; `None` is public.
    pub visibility: Option<LinkedInVisibility>,
}

/// LinkedIn post visibility.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LinkedInVisibility {
    /// Anyone.
    Public,
    /// Connections only (member posts).
    Connections,
    /// Logged-in LinkedIn members.
    LoggedIn,
}

/// Options for Instagram.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct InstagramSettings {
    /// Where the post appears; `None` is the feed.
    pub post_type: Option<InstagramPostType>,
}

impl InstagramSettings {
    /// The post type, the feed when unset.
    pub fn post_type(&self) -> InstagramPostType {
        self.post_type.unwrap_or_default()
    }
}

/// Where an Instagram post appears (the container's `media_type` in the Graph API).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstagramPostType {
    /// The profile grid: one image, a carousel of up to 10, or one video (published as a reel,
    /// which Instagram shows in the feed).
    #[default]
    Feed,
    /// A reel: exactly one video (`media_type=REELS`).
    Reel,
    /// A story, visible for 24 hours: exactly one image or video (`media_type=STORIES`); the
    /// text is not shown (stories have no caption) and there is no first comment.
    Story,
}

impl InstagramPostType {
    /// The label the composer shows.
    pub fn label(self) -> &'static str {
        match self {
            InstagramPostType::Feed => "Feed post",
            InstagramPostType::Reel => "Reel",
            InstagramPostType::Story => "Story",
        }
    }
}

impl NetworkSettings {
    /// The Instagram post type these settings ask for (the feed for any other settings).
    pub fn instagram_post_type(&self) -> InstagramPostType {
        match self {
            NetworkSettings::Instagram(s) => s.post_type(),
            _ => InstagramPostType::Feed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_post_round_trips_through_json() {
        let mut post = ComposedPost::default();
        post.variants.insert(
            Network::Mastodon,
            PostVariant {
                text: "hello".into(),
                thread: vec![ThreadItem { text: "second".into(), media: vec![] }],
                settings: NetworkSettings::Mastodon(MastodonSettings {
                    visibility: Some(MastodonVisibility::Unlisted),
                    ..Default::default()
                }),
                ..Default::default()
            },
        );
        let json = serde_json::to_value(&post).expect("serialize");
        assert_eq!(json["variants"]["mastodon"]["settings"]["network"], "mastodon");
        assert_eq!(json["variants"]["mastodon"]["settings"]["visibility"], "unlisted");
        let back: ComposedPost = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, post);
    }

    #[test]
    fn instagram_settings_carry_the_post_type_on_the_wire() {
        let s = NetworkSettings::Instagram(InstagramSettings { post_type: Some(InstagramPostType::Story) });
        let json = serde_json::to_value(&s).expect("serialize");
        assert_eq!(json, serde_json::json!({"network": "instagram", "post_type": "story"}));
        let back: NetworkSettings = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back.instagram_post_type(), InstagramPostType::Story);
        let none: NetworkSettings = serde_json::from_str(r#"{"network":"instagram"}"#).expect("deserialize");
        assert_eq!(none.instagram_post_type(), InstagramPostType::Feed);
        assert!(serde_json::from_str::<NetworkSettings>(r#"{"network":"instagram","post_type":"igtv"}"#).is_err());
    }

    #[test]
    fn missing_fields_take_defaults() {
        let v: PostVariant = serde_json::from_str(r#"{"text":"hi"}"#).expect("deserialize");
        assert_eq!(v.text, "hi");
        assert_eq!(v.settings, NetworkSettings::None);
    }
}
