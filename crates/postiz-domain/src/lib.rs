#![doc = include_str!("../README.md")]

mod aspect_fit;
mod composer_options;
mod devto;
mod ids;
mod network;
mod notification;
mod post;
mod settings_problem;
mod tiktok;
mod youtube;

pub use aspect_fit::{AspectFit, UnknownAspectFit};
pub use composer_options::ComposerOptions;
pub use devto::{DEVTO_TAG_LENGTH_MAX, DEVTO_TAGS_MAX, DEVTO_TITLE_MAX, DevToSettings, devto_field_label};
pub use ids::{AccountId, MediaId, PostId, WorkspaceId};
pub use network::{Network, UnknownNetwork};
pub use notification::{NotificationDelivery, NotificationEvent, NotificationKind, ReviewDecision, UnknownNotificationLabel};
pub use post::{
    ComposedPost, InstagramPostType, InstagramSettings, LinkedInSettings, LinkedInVisibility, MastodonSettings, MastodonVisibility,
    MediaKind, MediaRef, NetworkSettings, PostVariant, ThreadItem, VideoTraits, XReplySettings, XSettings,
};
pub use settings_problem::{SettingsProblem, settings_field_label};
pub use tiktok::{TIKTOK_TITLE_MAX, TikTokCreatorOptions, TikTokPostMode, TikTokPrivacy, TikTokSettings, tiktok_field_label};
pub use youtube::{YOUTUBE_CATEGORIES, YOUTUBE_TAGS_MAX, YOUTUBE_TITLE_MAX, YouTubePrivacy, YouTubeSettings, youtube_field_label};
