//! What the worker hands an adapter to publish, and what comes back.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use postiz_domain::{MediaKind, NetworkSettings};
use serde::{Deserialize, Serialize};
use url::Url;

/// The connected account a call acts for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRef {
    /// The network's id for the account (X user id, Bluesky DID, Mastodon account id,
    /// LinkedIn person or organization id without the `urn:li:` prefix, sandbox user id).
    pub id: String,
    /// The handle, when known (used to build post URLs).
    #[serde(default)]
    pub handle: Option<String>,
    /// The account's own server: Mastodon instance, Bluesky PDS. `None` uses the provider's
    /// base URL. User-supplied, so adapters check it with the host guard before use.
    #[serde(default)]
    pub server: Option<Url>,
}

impl AccountRef {
    /// An account on the provider's default server.
    pub fn new(id: impl Into<String>) -> Self {
        Self { id: id.into(), handle: None, server: None }
    }
}

/// One post to publish on one network: the main item, optional replies and a first comment.
#[derive(Clone, Debug)]
pub struct PublishRequest {
    /// Stable across retries of the same post on the same account. Sent as the
    /// `Idempotency-Key` where the network supports one (suffixed with the item index).
    pub idempotency_key: String,
    /// `items[0]` is the main post; each later item replies to the one before it.
    pub items: Vec<PublishItem>,
    /// Published after the last item, as a comment on the main post (a self-reply on
    /// networks without separate comments). Its index in results is `items.len()`.
    pub first_comment: Option<String>,
    /// Network-specific options.
    pub settings: NetworkSettings,
    /// Items already live from an earlier attempt (from `ProviderError::ThreadIncomplete`):
    /// publishing resumes after them, replying to the last one.
    pub already_published: Vec<PublishedItem>,
}

impl PublishRequest {
    /// A single text post.
    pub fn text(idempotency_key: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            idempotency_key: idempotency_key.into(),
            items: vec![PublishItem { text: text.into(), media: vec![] }],
            first_comment: None,
            settings: NetworkSettings::None,
            already_published: vec![],
        }
    }

    /// The idempotency key for item `index` (`{key}-{index}`).
    pub fn item_key(&self, index: usize) -> String {
        format!("{}-{index}", self.idempotency_key)
    }
}

/// One item of a post (the main post or a reply).
#[derive(Clone, Debug, Default)]
pub struct PublishItem {
    /// The text.
    pub text: String,
    /// Attached media, loaded by the worker.
    pub media: Vec<PublishMedia>,
}

/// A media file ready to upload.
#[derive(Clone)]
pub struct PublishMedia {
    /// Image, GIF or video.
    pub kind: MediaKind,
    /// MIME type, e.g. `image/png`.
    pub mime: String,
    /// File name to announce in uploads.
    pub filename: String,
    /// The bytes.
    pub data: Bytes,
    /// Alternative text.
    pub alt: Option<String>,
    /// Width in pixels, when known.
    pub width: Option<u32>,
    /// Height in pixels, when known.
    pub height: Option<u32>,
    /// Duration of a video, when known (TikTok checks it against the creator's limit).
    pub duration_ms: Option<u64>,
    /// A public URL of the same file, for networks that fetch media themselves.
    pub public_url: Option<Url>,
}

impl std::fmt::Debug for PublishMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublishMedia")
            .field("kind", &self.kind)
            .field("mime", &self.mime)
            .field("filename", &self.filename)
            .field("bytes", &self.data.len())
            .field("alt", &self.alt)
            .finish_non_exhaustive()
    }
}

/// One live item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedItem {
    /// Position in `PublishRequest::items` (`items.len()` for the first comment).
    pub index: usize,
    /// The network's id (tweet id, `at://` URI, status id, `urn:li:share:…`).
    pub id: String,
    /// Where people can see it.
    pub url: Option<Url>,
    /// A second reference some networks need to reply to this item (Bluesky: the record CID).
    #[serde(default)]
    pub cid: Option<String>,
}

/// The result of a publish: the main post's id and URL, and every item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemotePost {
    /// Id of the main post.
    pub id: String,
    /// URL of the main post.
    pub url: Option<Url>,
    /// Every live item in order, including earlier attempts' and the first comment.
    pub items: Vec<PublishedItem>,
}

impl RemotePost {
    pub(crate) fn from_items(items: Vec<PublishedItem>) -> Option<Self> {
        let first = items.first()?;
        Some(Self { id: first.id.clone(), url: first.url.clone(), items })
    }
}

/// What to look for when reconciling after `OutcomeUnknown`.
#[derive(Clone, Debug)]
pub struct FindQuery {
    /// The idempotency key the attempt was sent with.
    pub idempotency_key: String,
    /// Text of the main item as sent.
    pub text: String,
    /// When the uncertain attempt started; older posts are not considered.
    pub not_before: DateTime<Utc>,
    /// The post's settings for this network as sent (an article's title, say), for networks
    /// where they identify the post better than its text.
    pub settings: NetworkSettings,
}
