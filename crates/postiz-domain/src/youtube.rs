//! YouTube's per-video options (Data API v3 `videos.insert` `snippet` and `status`).

use serde::{Deserialize, Serialize};

use crate::SettingsProblem;

/// Options for YouTube. The post's text is the video's description; its media are one video,
/// optionally followed by one image used as the custom thumbnail (`thumbnails.set`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct YouTubeSettings {
    /// The video's title (required; at most 100 characters, no `<` or `>`).
    pub title: String,
    /// Who can watch it; `None` is public.
    pub privacy: Option<YouTubePrivacy>,
    /// Tags (together at most 500 characters, YouTube's count).
    pub tags: Vec<String>,
    /// The video category id (`22` People & Blogs, `27` Education, …); `None` leaves YouTube's
    /// default.
    pub category_id: Option<String>,
    /// The video is made for children (`selfDeclaredMadeForKids`, required by COPPA rules).
    pub made_for_kids: bool,
    /// Publish as a Short: the video must be vertical (or square) and at most 3 minutes.
    pub short: bool,
}

/// `status.privacyStatus`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum YouTubePrivacy {
    /// Anyone can find and watch it.
    #[default]
    Public,
    /// Anyone with the link.
    Unlisted,
    /// Only the channel.
    Private,
}

impl YouTubePrivacy {
    /// The API value.
    pub const fn as_str(self) -> &'static str {
        match self {
            YouTubePrivacy::Public => "public",
            YouTubePrivacy::Unlisted => "unlisted",
            YouTubePrivacy::Private => "private",
        }
    }
}

/// Longest title YouTube takes.
pub const YOUTUBE_TITLE_MAX: usize = 100;
/// Most characters of tags together. YouTube counts a tag with a space as if quoted (2 more)
/// and the commas between tags.
pub const YOUTUBE_TAGS_MAX: usize = 500;

impl YouTubeSettings {
    /// The tags' length as YouTube counts it.
    pub fn tags_length(&self) -> usize {
        let each: usize = self.tags.iter().map(|t| t.chars().count() + if t.contains(' ') { 2 } else { 0 }).sum();
        each + self.tags.len().saturating_sub(1)
    }

    /// Checks title, tags and category.
    pub fn problems(&self) -> Vec<SettingsProblem> {
        let mut out = Vec::new();
        let title = self.title.trim();
        let n = title.chars().count();
        if n == 0 {
            out.push(SettingsProblem { field: "title", code: "required", message: "add a title for the video".into() });
        } else if n > YOUTUBE_TITLE_MAX {
            out.push(SettingsProblem {
                field: "title",
                code: "too_long",
                message: format!("at most {YOUTUBE_TITLE_MAX} characters; this one has {n}"),
            });
        }
        if title.contains(['<', '>']) {
            out.push(SettingsProblem {
                field: "title",
                code: "invalid_characters",
                message: "YouTube does not accept < or >; remove them".into(),
            });
        }
        if self.tags_length() > YOUTUBE_TAGS_MAX {
            out.push(SettingsProblem {
                field: "tags",
                code: "too_long",
                message: format!("at most {YOUTUBE_TAGS_MAX} characters together; these have {} (remove some)", self.tags_length()),
            });
        }
        if let Some(c) = &self.category_id
            && (c.is_empty() || !c.chars().all(|ch| ch.is_ascii_digit()))
        {
            out.push(SettingsProblem {
                field: "category_id",
                code: "invalid",
                message: "choose a category from the list (YouTube names them by number, such as 22 for People & Blogs)".into(),
            });
        }
        out
    }
}

/// YouTube's video categories the composer offers (`videoCategories.list`, region US; ids are
/// the same in every region that has the category).
pub const YOUTUBE_CATEGORIES: [(&str, &str); 15] = [
    ("1", "Film & Animation"),
    ("2", "Autos & Vehicles"),
    ("10", "Music"),
    ("15", "Pets & Animals"),
    ("17", "Sports"),
    ("19", "Travel & Events"),
    ("20", "Gaming"),
    ("22", "People & Blogs"),
    ("23", "Comedy"),
    ("24", "Entertainment"),
    ("25", "News & Politics"),
    ("26", "Howto & Style"),
    ("27", "Education"),
    ("28", "Science & Technology"),
    ("29", "Nonprofits & Activism"),
];

/// The label the composer shows for a settings field; errors name the field by it.
pub fn youtube_field_label(field: &str) -> &'static str {
    match field {
        "title" => "Title",
        "privacy" => "Visibility",
        "tags" => "Tags",
        "category_id" => "Category",
        "made_for_kids" => "Made for kids",
        "short" => "Publish as a Short",
        _ => "Settings",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_tags_and_categories_are_checked_by_field() {
        let fields = |s: &YouTubeSettings| s.problems().into_iter().map(|p| (p.field, p.code)).collect::<Vec<_>>();
        assert_eq!(fields(&YouTubeSettings::default()), [("title", "required")]);
        let ok = YouTubeSettings {
            title: "Baking day".into(),
            tags: vec!["bread".into(), "sour dough".into()],
            category_id: Some("22".into()),
            ..Default::default()
        };
        assert!(fields(&ok).is_empty());
        assert_eq!(ok.tags_length(), 5 + 12 + 1);
        let bad =
            YouTubeSettings { title: "a<b>".into(), tags: vec!["x".repeat(501)], category_id: Some("music".into()), ..Default::default() };
        assert_eq!(fields(&bad), [("title", "invalid_characters"), ("tags", "too_long"), ("category_id", "invalid")]);
        assert_eq!(fields(&YouTubeSettings { title: "t".repeat(101), ..Default::default() }), [("title", "too_long")]);
    }

    #[test]
    fn privacy_is_snake_case_on_the_wire() {
        let s = YouTubeSettings { title: "t".into(), privacy: Some(YouTubePrivacy::Unlisted), ..Default::default() };
        let json = serde_json::to_value(&s).expect("serialize");
        assert_eq!(json["privacy"], "unlisted");
        assert_eq!(serde_json::from_value::<YouTubeSettings>(json).expect("deserialize"), s);
    }
}
