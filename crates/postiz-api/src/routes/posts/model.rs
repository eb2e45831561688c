//! Request bodies for posts, and `Draft`: the whole desired state of a post, which create builds
//! from the body and update builds from the stored post plus the patch. Validation and writing
//! work on a `Draft` only, so both paths check exactly the same things.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use postiz_domain::{Network, NetworkSettings};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::ApiError;
use crate::checks::Fields;

/// Body of `POST /workspaces/{ws}/posts`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePost {
    /// Canonical text, used on every network without a text override.
    #[serde(default)]
    pub content: String,
    /// Free-form data for the UI (a JSON object).
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Per-network changes, keyed by network wire name (`x`, `mastodon`, …).
    #[serde(default)]
    pub variants: BTreeMap<String, VariantInput>,
    /// Account ids to publish to.
    #[serde(default)]
    pub targets: Vec<Uuid>,
    /// Tag ids.
    #[serde(default)]
    pub tags: Vec<Uuid>,
    /// Media of the main post, in order: ids, or `{"id", "alt"}`.
    #[serde(default)]
    pub media: Vec<MediaInput>,
    /// When to publish; none for an undated draft.
    #[serde(default)]
    pub schedule: Option<ScheduleInput>,
    /// `draft`, `pending_approval` or `scheduled`; default `scheduled` with a schedule, else `draft`.
    #[serde(default)]
    pub status: Option<EditableStatus>,
}

/// Body of `PATCH /workspaces/{ws}/posts/{id}`: each field given replaces the stored one;
/// `"schedule": null` unschedules the post.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdatePost {
    /// Canonical text.
    #[serde(default)]
    pub content: Option<String>,
    /// UI data.
    #[serde(default)]
    pub metadata: Option<Value>,
    /// Every variant (replaces all).
    #[serde(default)]
    pub variants: Option<BTreeMap<String, VariantInput>>,
    /// Every target (replaces the set; published targets stay).
    #[serde(default)]
    pub targets: Option<Vec<Uuid>>,
    /// Every tag.
    #[serde(default)]
    pub tags: Option<Vec<Uuid>>,
    /// Every media item.
    #[serde(default)]
    pub media: Option<Vec<MediaInput>>,
    /// The schedule; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    pub schedule: Option<Option<ScheduleInput>>,
}

/// Distinguishes `"schedule": null` (Some(None)) from an absent key (None).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// One network's changes to the canonical post.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantInput {
    /// Replaces the canonical text on this network.
    #[serde(default)]
    pub text: Option<String>,
    /// Replies published after the main post.
    #[serde(default)]
    pub thread: Vec<ThreadItemInput>,
    /// A comment published on the main post once it is live.
    #[serde(default)]
    pub first_comment: Option<String>,
    /// Network options (`{"network": "mastodon", "visibility": "unlisted"}`).
    #[serde(default)]
    pub settings: NetworkSettings,
}

/// One reply of a thread.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreadItemInput {
    /// Text.
    #[serde(default)]
    pub text: String,
    /// Media of the reply, in order: ids, or `{"id", "alt"}` (as the main post's `media`).
    #[serde(default)]
    pub media: Vec<MediaInput>,
}

impl ThreadItemInput {
    /// The reply's media with their alt text (`None`: the library's default).
    pub fn media_items(&self) -> impl Iterator<Item = MediaItem> + '_ {
        self.media.iter().cloned().map(MediaItem::from)
    }
}

/// A media item: a bare id or an id with alternative text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MediaInput {
    /// Just the id.
    Id(Uuid),
    /// Id and alt text.
    Item(MediaItem),
}

/// A media item with its alternative text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaItem {
    /// Media library id.
    pub id: Uuid,
    /// Alternative text for screen readers.
    #[serde(default)]
    pub alt: Option<String>,
}

impl From<MediaInput> for MediaItem {
    fn from(m: MediaInput) -> Self {
        match m {
            MediaInput::Id(id) => MediaItem { id, alt: None },
            MediaInput::Item(item) => item,
        }
    }
}

/// When a post goes out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScheduleInput {
    /// Once, at an instant.
    Once {
        /// The instant (RFC 3339).
        at: DateTime<Utc>,
        /// Zone the user picked the time in (default: the workspace's).
        #[serde(default)]
        time_zone: Option<String>,
    },
    /// Repeatedly, by an RFC 5545 rule on a zone's wall clock.
    Recurring {
        /// The first occurrence (moved to the rule's first occurrence at or after it).
        starts_at: DateTime<Utc>,
        /// `FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0` (DAILY, WEEKLY or MONTHLY).
        rrule: String,
        /// IANA zone of the wall clock (default: the workspace's).
        #[serde(default)]
        time_zone: Option<String>,
        /// No occurrence after this.
        #[serde(default)]
        ends_at: Option<DateTime<Utc>>,
    },
    /// In an evergreen pool: a tag whose schedule recycles its posts. Give `rrule` (and
    /// optionally `starts_at`, `time_zone`, `ends_at`, `options`) to make the tag a pool.
    Evergreen {
        /// The pool's tag; the post gets it.
        tag_id: Uuid,
        /// The pool's cadence, when the tag is not a pool yet.
        #[serde(default)]
        rrule: Option<String>,
        /// The pool's first run (default: now).
        #[serde(default)]
        starts_at: Option<DateTime<Utc>>,
        /// IANA zone of the cadence (default: the workspace's).
        #[serde(default)]
        time_zone: Option<String>,
        /// No run after this.
        #[serde(default)]
        ends_at: Option<DateTime<Utc>>,
        /// Pool options (`{"order": "weighted", "min_gap_hours": 168}`).
        #[serde(default)]
        options: Option<Value>,
    },
}

/// Statuses a client may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EditableStatus {
    /// Not going out.
    Draft,
    /// Waiting for someone to approve it.
    PendingApproval,
    /// Going out at its schedule.
    Scheduled,
    /// Stopped for good (still editable).
    Canceled,
}

impl EditableStatus {
    /// The `postiz.post_status` label.
    pub fn as_str(self) -> &'static str {
        match self {
            EditableStatus::Draft => "draft",
            EditableStatus::PendingApproval => "pending_approval",
            EditableStatus::Scheduled => "scheduled",
            EditableStatus::Canceled => "canceled",
        }
    }
}

/// Body of `POST /workspaces/{ws}/posts/{id}/status`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeStatus {
    /// The new status.
    pub status: EditableStatus,
}

/// The whole desired state of a post.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub content: String,
    pub metadata: Value,
    pub variants: BTreeMap<Network, VariantInput>,
    pub targets: Vec<Uuid>,
    pub tags: Vec<Uuid>,
    pub media: Vec<MediaItem>,
    pub schedule: Option<ScheduleInput>,
    pub status: String,
}

impl Draft {
    /// A draft from a create body (422 for a variant of an unknown network).
    pub(crate) fn from_create(body: CreatePost) -> Result<Self, ApiError> {
        let status = body.status.unwrap_or(if body.schedule.is_some() { EditableStatus::Scheduled } else { EditableStatus::Draft });
        Ok(Self {
            content: body.content,
            metadata: body.metadata.unwrap_or_else(|| Value::Object(Default::default())),
            variants: networks(body.variants)?,
            targets: body.targets,
            tags: body.tags,
            media: body.media.into_iter().map(MediaItem::from).collect(),
            schedule: body.schedule,
            status: status.as_str().to_owned(),
        })
    }

    /// Applies a patch; returns whether the schedule was part of it.
    pub(crate) fn apply(&mut self, patch: UpdatePost) -> Result<bool, ApiError> {
        if let Some(c) = patch.content {
            self.content = c;
        }
        if let Some(m) = patch.metadata {
            self.metadata = m;
        }
        if let Some(v) = patch.variants {
            self.variants = networks(v)?;
        }
        if let Some(t) = patch.targets {
            self.targets = t;
        }
        if let Some(t) = patch.tags {
            self.tags = t;
        }
        if let Some(m) = patch.media {
            self.media = m.into_iter().map(MediaItem::from).collect();
        }
        Ok(match patch.schedule {
            Some(s) => {
                self.schedule = s;
                true
            }
            None => false,
        })
    }
}

/// Variant keys as networks; an unknown name is a 422 on `variants.<name>`.
fn networks(variants: BTreeMap<String, VariantInput>) -> Result<BTreeMap<Network, VariantInput>, ApiError> {
    let mut fields = Fields::default();
    let mut out = BTreeMap::new();
    for (name, v) in variants {
        match name.parse::<Network>() {
            Ok(n) => {
                out.insert(n, v);
            }
            Err(_) => fields.push(format!("variants.{name}"), format!("{name:?} is not a network (see GET /networks)")),
        }
    }
    fields.finish()?;
    Ok(out)
}
