//! dev.to's per-article options (Forem API v1 `POST /api/articles`, the `article` object).

use serde::{Deserialize, Serialize};

use crate::SettingsProblem;

/// Options for a dev.to article. The post's text is the article's Markdown body; its images
/// go into the body by their public address, the first one optionally as the cover.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DevToSettings {
    /// The article's title (required; Forem takes at most 128 characters).
    pub title: String,
    /// Tags: at most 4, each letters and digits only, at most 30 characters (Forem's tag rules).
    pub tags: Vec<String>,
    /// Where the article first appeared, when it is a copy (`canonical_url`).
    pub canonical_url: Option<String>,
    /// The first image is the article's cover (`main_image`) instead of a picture in the body.
    pub first_image_as_cover: bool,
}

/// Longest title Forem takes.
pub const DEVTO_TITLE_MAX: usize = 128;
/// Most tags on one article.
pub const DEVTO_TAGS_MAX: usize = 4;
/// Longest tag Forem takes.
pub const DEVTO_TAG_LENGTH_MAX: usize = 30;

impl DevToSettings {
    /// The tags as Forem stores them: trimmed, without a leading `#`, lower case, empty ones
    /// left out.
    pub fn normalized_tags(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in self.tags.iter().map(|t| t.trim().trim_start_matches('#').to_lowercase()).filter(|t| !t.is_empty()) {
            // "Rust, rust" is one tag: counted once against the limit, sent once.
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    /// Checks title, tags and the canonical address.
    pub fn problems(&self) -> Vec<SettingsProblem> {
        let mut out = Vec::new();
        let n = self.title.trim().chars().count();
        if n == 0 {
            out.push(SettingsProblem { field: "title", code: "required", message: "add a title for the article".into() });
        } else if n > DEVTO_TITLE_MAX {
            out.push(SettingsProblem {
                field: "title",
                code: "too_long",
                message: format!("at most {DEVTO_TITLE_MAX} characters; this one has {n}"),
            });
        }
        let tags = self.normalized_tags();
        if tags.len() > DEVTO_TAGS_MAX {
            out.push(SettingsProblem {
                field: "tags",
                code: "too_many",
                message: format!("at most {DEVTO_TAGS_MAX} tags; this article has {} (remove some)", tags.len()),
            });
        }
        // Forem takes ASCII letters and digits only ("café" is refused at publish).
        if let Some(bad) = tags.iter().find(|t| !t.chars().all(|c| c.is_ascii_alphanumeric())) {
            out.push(SettingsProblem {
                field: "tags",
                code: "invalid_characters",
                message: format!("a tag is letters a–z and digits only, without spaces, dashes or accents; change \"{bad}\""),
            });
        }
        if let Some(long) = tags.iter().find(|t| t.chars().count() > DEVTO_TAG_LENGTH_MAX) {
            out.push(SettingsProblem {
                field: "tags",
                code: "too_long",
                message: format!("a tag has at most {DEVTO_TAG_LENGTH_MAX} characters; shorten \"{long}\""),
            });
        }
        if let Some(raw) = self.canonical_url.as_deref().map(str::trim).filter(|u| !u.is_empty())
            && !(raw.starts_with("https://") || raw.starts_with("http://"))
        {
            out.push(SettingsProblem {
                field: "canonical_url",
                code: "invalid",
                message: "the original address starts with https:// (or leave it empty)".into(),
            });
        }
        out
    }
}

/// The label the composer shows for a settings field; errors name the field by it.
pub fn devto_field_label(field: &str) -> &'static str {
    match field {
        "title" => "Title",
        "tags" => "Tags",
        "canonical_url" => "Original address",
        "first_image_as_cover" => "First image as cover",
        _ => "Settings",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(s: &DevToSettings) -> Vec<(&'static str, &'static str)> {
        s.problems().into_iter().map(|p| (p.field, p.code)).collect()
    }

    #[test]
    fn a_title_is_required_and_tags_follow_forems_rules() {
        assert_eq!(fields(&DevToSettings::default()), [("title", "required")]);
        let ok = DevToSettings {
            title: "Baking with Rust".into(),
            tags: vec!["#Rust".into(), "baking".into(), " ".into()],
            canonical_url: Some("https://bakery.example/rust".into()),
            ..Default::default()
        };
        assert!(ok.problems().is_empty(), "{:?}", ok.problems());
        assert_eq!(ok.normalized_tags(), ["rust", "baking"]);
        let five = DevToSettings { title: "t".into(), tags: ["a", "b", "c", "d", "e"].map(String::from).to_vec(), ..Default::default() };
        assert_eq!(fields(&five), [("tags", "too_many")]);
        let dashed = DevToSettings { title: "t".into(), tags: vec!["web-dev".into()], ..Default::default() };
        assert_eq!(fields(&dashed), [("tags", "invalid_characters")]);
        let accented = DevToSettings { title: "t".into(), tags: vec!["café".into()], ..Default::default() };
        assert_eq!(fields(&accented), [("tags", "invalid_characters")], "Forem takes ASCII only");
        let twice = DevToSettings {
            title: "t".into(),
            tags: ["Rust", "rust", "#rust", "a", "b", "c"].map(String::from).to_vec(),
            ..Default::default()
        };
        assert_eq!(twice.normalized_tags(), ["rust", "a", "b", "c"], "one tag however it is written");
        assert!(twice.problems().is_empty(), "four distinct tags are within the limit");
        let long = DevToSettings { title: "x".repeat(129), canonical_url: Some("bakery.example".into()), ..Default::default() };
        assert_eq!(fields(&long), [("title", "too_long"), ("canonical_url", "invalid")]);
    }
}
