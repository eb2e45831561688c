#![doc = include_str!("../README.md")]

mod aspect_fit;
mod ids;
mod network;
mod post;

pub use aspect_fit::{AspectFit, UnknownAspectFit};
pub use ids::{AccountId, MediaId, PostId, WorkspaceId};
pub use network::{Network, UnknownNetwork};
pub use post::{
    ComposedPost, InstagramPostType, InstagramSettings, LinkedInSettings, LinkedInVisibility, MastodonSettings, MastodonVisibility,
    MediaKind, MediaRef, NetworkSettings, PostVariant, ThreadItem, VideoTraits, XReplySettings, XSettings,
};
