#![doc = include_str!("../README.md")]

mod aspect_fit;
mod ids;
mod network;
mod notification;
mod post;
mod settings_problem;
mod tiktok;
mod youtube;

pub use aspect_fit::{AspectFit, UnknownAspectFit};
pub use ids::{AccountId, MediaId, PostId, WorkspaceId};
pub use network::{Network, UnknownNetwork};
pub use notification::{NotificationDelivery, NotificationEvent, NotificationKind, ReviewDecision, UnknownNotificationLabel};
pub use post::{
    ComposedPost, InstagramPostType, InstagramSettings, LinkedInSettings, LinkedInVisibility, MastodonSettings, MastodonVisibility,
    MediaKind, MediaRef, NetworkSettings, PostVariant, ThreadItem, VideoTraits, XReplySettings, XSettings,
};
pub use settings_problem::SettingsProblem;
pub use tiktok::{TIKTOK_TITLE_MAX, TikTokPostMode, TikTokPrivacy, TikTokSettings};
pub use youtube::{YOUTUBE_TAGS_MAX, YOUTUBE_TITLE_MAX, YouTubePrivacy, YouTubeSettings};
