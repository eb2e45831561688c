//! Account-dependent composer options.

use crate::TikTokCreatorOptions;

/// What the composer needs to know about one account beyond the network's rules (what the
/// network says this account may do now).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct ComposerOptions {
    /// TikTok's `creator_info/query` answer.
    pub tiktok: Option<TikTokCreatorOptions>,
}
