//! TikTok's per-post options (Content Posting API v2 `post_info`), as the composer sends them.
//!
//! TikTok's UX guidelines for the Content Posting API ask that the creator picks who can view
//! the post (no default is preselected), sees which interactions the account allows, and
//! declares branded content. Which options a creator may use is only known from
//! `creator_info/query` at publish time; the adapter checks these settings against it and
//! refuses a post whose settings the account cannot use, naming the field.

use serde::{Deserialize, Serialize};

use crate::SettingsProblem;

/// Options for TikTok.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TikTokSettings {
    /// Who can view the post. Required for a direct post (TikTok has no default); unused for
    /// a draft, where the creator chooses in the app.
    pub privacy_level: Option<TikTokPrivacy>,
    /// Turn comments off.
    pub disable_comment: bool,
    /// Turn duets off (videos only).
    pub disable_duet: bool,
    /// Turn stitches off (videos only).
    pub disable_stitch: bool,
    /// Publish at once, or send to the creator's TikTok inbox as a draft to finish in the app.
    pub mode: TikTokPostMode,
    /// "Your brand": the post promotes the creator's own business.
    pub brand_organic_toggle: bool,
    /// "Branded content": a paid partnership promoting a third party. TikTok does not allow
    /// branded content to be private (`SELF_ONLY`).
    pub brand_content_toggle: bool,
    /// Photo posts: a title shown above the description (at most 90 characters); the post's
    /// text is the description.
    pub title: Option<String>,
    /// Photo posts: let TikTok add music.
    pub auto_add_music: bool,
}

/// TikTok `privacy_level` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TikTokPrivacy {
    /// Everyone.
    PublicToEveryone,
    /// Friends (followers the creator follows back).
    MutualFollowFriends,
    /// Followers (private accounts).
    FollowerOfCreator,
    /// Only the creator.
    SelfOnly,
}

impl TikTokPrivacy {
    /// The value TikTok's API uses (`PUBLIC_TO_EVERYONE`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            TikTokPrivacy::PublicToEveryone => "PUBLIC_TO_EVERYONE",
            TikTokPrivacy::MutualFollowFriends => "MUTUAL_FOLLOW_FRIENDS",
            TikTokPrivacy::FollowerOfCreator => "FOLLOWER_OF_CREATOR",
            TikTokPrivacy::SelfOnly => "SELF_ONLY",
        }
    }

    /// The value for a TikTok API name; `None` for one this module does not know.
    pub fn from_api(s: &str) -> Option<Self> {
        [Self::PublicToEveryone, Self::MutualFollowFriends, Self::FollowerOfCreator, Self::SelfOnly].into_iter().find(|p| p.as_str() == s)
    }

    /// The label the composer shows (TikTok's own words).
    pub const fn label(self) -> &'static str {
        match self {
            TikTokPrivacy::PublicToEveryone => "Everyone",
            TikTokPrivacy::MutualFollowFriends => "Friends",
            TikTokPrivacy::FollowerOfCreator => "Followers",
            TikTokPrivacy::SelfOnly => "Only me",
        }
    }
}

/// How a TikTok post goes out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TikTokPostMode {
    /// Direct post: published on the profile with the chosen settings.
    #[default]
    Direct,
    /// Upload to the creator's inbox; the creator edits and posts it in the TikTok app. TikTok
    /// gives no post id until then.
    Draft,
}

/// Longest photo-post title TikTok takes.
pub const TIKTOK_TITLE_MAX: usize = 90;

impl TikTokSettings {
    /// Checks the settings alone: a direct post needs a privacy level, branded content can't
    /// be private, a photo title is at most 90 characters.
    pub fn problems(&self) -> Vec<SettingsProblem> {
        let mut out = Vec::new();
        if self.mode == TikTokPostMode::Direct && self.privacy_level.is_none() {
            out.push(SettingsProblem {
                field: "privacy_level",
                code: "required",
                message: "TikTok needs you to choose who can view this post".into(),
            });
        }
        if self.brand_content_toggle && self.privacy_level == Some(TikTokPrivacy::SelfOnly) {
            out.push(SettingsProblem {
                field: "privacy_level",
                code: "branded_content_private",
                message: "TikTok does not allow branded content to be visible to you only; choose who else can view it, or turn branded content off".into(),
            });
        }
        if let Some(title) = &self.title
            && title.chars().count() > TIKTOK_TITLE_MAX
        {
            out.push(SettingsProblem {
                field: "title",
                code: "too_long",
                message: format!(
                    "TikTok allows {TIKTOK_TITLE_MAX} characters in a photo post's title; this title has {}",
                    title.chars().count()
                ),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_with_tiktok_names() {
        let s = TikTokSettings { privacy_level: Some(TikTokPrivacy::MutualFollowFriends), disable_duet: true, ..Default::default() };
        let json = serde_json::to_value(&s).expect("serialize");
        assert_eq!(json["privacy_level"], "MUTUAL_FOLLOW_FRIENDS");
        assert_eq!(json["mode"], "direct");
        assert_eq!(serde_json::from_value::<TikTokSettings>(json).expect("deserialize"), s);
        assert_eq!(TikTokPrivacy::from_api("SELF_ONLY"), Some(TikTokPrivacy::SelfOnly));
        assert_eq!(TikTokPrivacy::from_api("NOPE"), None);
    }

    #[test]
    fn a_direct_post_needs_a_privacy_level_and_branded_content_cannot_be_private() {
        let fields = |s: &TikTokSettings| s.problems().into_iter().map(|p| (p.field, p.code)).collect::<Vec<_>>();
        assert_eq!(fields(&TikTokSettings::default()), [("privacy_level", "required")]);
        assert!(fields(&TikTokSettings { mode: TikTokPostMode::Draft, ..Default::default() }).is_empty());
        let private_ad = TikTokSettings { privacy_level: Some(TikTokPrivacy::SelfOnly), brand_content_toggle: true, ..Default::default() };
        assert_eq!(fields(&private_ad), [("privacy_level", "branded_content_private")]);
        let long =
            TikTokSettings { privacy_level: Some(TikTokPrivacy::PublicToEveryone), title: Some("t".repeat(91)), ..Default::default() };
        assert_eq!(fields(&long), [("title", "too_long")]);
    }
}
