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

    /// Every level, in the order the composer lists them.
    pub const ALL: [TikTokPrivacy; 4] = [Self::PublicToEveryone, Self::MutualFollowFriends, Self::FollowerOfCreator, Self::SelfOnly];

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
            out.push(SettingsProblem { field: "privacy_level", code: "required", message: "choose one".into() });
        }
        if self.brand_content_toggle && self.privacy_level == Some(TikTokPrivacy::SelfOnly) {
            out.push(SettingsProblem {
                field: "privacy_level",
                code: "branded_content_private",
                message: "branded content cannot be visible to you only; choose who else can see it, or turn branded content off".into(),
            });
        }
        if let Some(title) = &self.title
            && title.chars().count() > TIKTOK_TITLE_MAX
        {
            out.push(SettingsProblem {
                field: "title",
                code: "too_long",
                message: format!("at most {TIKTOK_TITLE_MAX} characters; this one has {}", title.chars().count()),
            });
        }
        out
    }
}

/// The label the composer shows for a settings field; errors name the field by it.
pub fn tiktok_field_label(field: &str) -> &'static str {
    match field {
        "privacy_level" => "Who can see this post",
        "disable_comment" => "Allow comments",
        "disable_duet" => "Allow Duet",
        "disable_stitch" => "Allow Stitch",
        "mode" => "How to post",
        "brand_organic_toggle" => "Your brand",
        "brand_content_toggle" => "Branded content",
        "title" => "Photo title",
        "auto_add_music" => "Add music",
        "video" => "Video",
        _ => "Settings",
    }
}

/// What `creator_info/query` says this creator may do now: the composer offers only these
/// choices (TikTok's UX guidelines), and saving and publishing refuse settings outside them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TikTokCreatorOptions {
    /// The creator's TikTok username, when TikTok gave it.
    pub username: Option<String>,
    /// The privacy levels this creator may choose (`privacy_level_options`).
    pub privacy_levels: Vec<TikTokPrivacy>,
    /// The account has comments turned off: a post cannot allow them.
    pub comment_disabled: bool,
    /// The account has duets turned off.
    pub duet_disabled: bool,
    /// The account has stitches turned off.
    pub stitch_disabled: bool,
    /// The longest video this creator may post, in seconds.
    pub max_video_secs: Option<u64>,
}

impl TikTokCreatorOptions {
    /// What in `settings` this creator cannot use. `video_ms` is the post's video duration
    /// (`None` for photos or an unknown duration); duets and stitches only apply to videos.
    pub fn problems(&self, settings: &TikTokSettings, is_video: bool, video_ms: Option<u64>) -> Vec<SettingsProblem> {
        let mut out = Vec::new();
        let who = self.username.as_deref().map_or_else(|| "this TikTok account".to_owned(), |u| format!("@{u}"));
        if settings.mode == TikTokPostMode::Direct {
            if let Some(chosen) = settings.privacy_level
                && !self.privacy_levels.contains(&chosen)
            {
                let allowed: Vec<&str> = self.privacy_levels.iter().map(|p| p.label()).collect();
                out.push(SettingsProblem {
                    field: "privacy_level",
                    code: "not_allowed",
                    message: format!("{who} can post to {}; “{}” is not one of them, choose another", allowed.join(", "), chosen.label()),
                });
            }
            if self.comment_disabled && !settings.disable_comment {
                out.push(SettingsProblem {
                    field: "disable_comment",
                    code: "disabled_by_creator",
                    message: format!("{who} has comments turned off; turn them off for this post"),
                });
            }
            if is_video && self.duet_disabled && !settings.disable_duet {
                out.push(SettingsProblem {
                    field: "disable_duet",
                    code: "disabled_by_creator",
                    message: format!("{who} has duets turned off; turn them off for this post"),
                });
            }
            if is_video && self.stitch_disabled && !settings.disable_stitch {
                out.push(SettingsProblem {
                    field: "disable_stitch",
                    code: "disabled_by_creator",
                    message: format!("{who} has stitches turned off; turn them off for this post"),
                });
            }
        }
        if let (Some(max), Some(ms)) = (self.max_video_secs, video_ms)
            && ms > max * 1000
        {
            out.push(SettingsProblem {
                field: "video",
                code: "too_long",
                message: format!("{who} may post videos up to {max} s; this one is {} s (trim it)", ms.div_ceil(1000)),
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

    #[test]
    fn creator_options_refuse_what_the_account_cannot_use() {
        let creator = TikTokCreatorOptions {
            username: Some("bakery.tok".into()),
            privacy_levels: vec![TikTokPrivacy::PublicToEveryone, TikTokPrivacy::SelfOnly],
            stitch_disabled: true,
            max_video_secs: Some(60),
            ..Default::default()
        };
        let fields = |s: &TikTokSettings, video: bool, ms: Option<u64>| {
            creator.problems(s, video, ms).into_iter().map(|p| (p.field, p.code)).collect::<Vec<_>>()
        };
        let ok = TikTokSettings { privacy_level: Some(TikTokPrivacy::PublicToEveryone), disable_stitch: true, ..Default::default() };
        assert!(fields(&ok, true, Some(30_000)).is_empty());
        let friends = TikTokSettings { privacy_level: Some(TikTokPrivacy::MutualFollowFriends), ..ok.clone() };
        assert_eq!(fields(&friends, true, None), [("privacy_level", "not_allowed")]);
        assert!(creator.problems(&friends, true, None)[0].message.starts_with("@bakery.tok can post to Everyone, Only me;"));
        let stitch_on = TikTokSettings { disable_stitch: false, ..ok.clone() };
        assert_eq!(fields(&stitch_on, true, None), [("disable_stitch", "disabled_by_creator")]);
        assert!(fields(&stitch_on, false, None).is_empty(), "stitches are for videos only");
        assert_eq!(fields(&ok, true, Some(61_000)), [("video", "too_long")]);
        let draft = TikTokSettings { mode: TikTokPostMode::Draft, ..Default::default() };
        assert!(fields(&draft, true, None).is_empty(), "a draft's privacy is chosen in the app");
    }
}
