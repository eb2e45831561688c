//! The media library: upload (multipart, or from a URL), list, get, download, delete. Resumable uploads for
//! large videos are in [`super::media_uploads`]; attaching media to a post is the posts
//! endpoints' `media` field (rows in `postiz.post_media`).
//!
//! Upload rules, for every path in:
//! - the type is sniffed from the bytes ([`super::media_probe`]); the client's `Content-Type`
//!   and file name are ignored. Unknown types: 415 naming `file`.
//! - size limits per kind ([`MediaLimits`]): 413 naming `file`; images are measured and
//!   thumbnailed, videos' `mvhd` gives the duration: a malformed file is a 422 naming `file`.
//! - an image with more pixels than [`MediaLimits::max_image_pixels`] (a few KB can declare
//!   8192x8192) is a 422 naming `file`, found in its header before any decode; decodes run a
//!   few at a time ([`inspect_image_bytes`]).
//! - the same bytes twice in a workspace (SHA-256) give back the first asset (200, nothing new
//!   stored); a new asset is a 201.
//! - an import from a URL ([`super::media_fetch`]) reaches public addresses only, and the same
//!   checks then apply, naming `url` instead of `file`.
//! - bytes are stored first, then the row is written in the uploader's RLS transaction
//!   (editor+); if the row cannot be written the bytes are removed again, so a refused or failed
//!   upload leaves neither a row nor an object.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use chrono::{DateTime, Utc};
use postiz_domain::AspectFit;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio_postgres::{Row, Transaction};
use uuid::Uuid;

use super::media_fetch::{FetchError, RemoteFetcher};
use super::media_probe::{ImageLimits, MAX_IMAGE_PIXELS, Refused, Sniffed, inspect_image, sniff};
use super::video_poster::PosterMaker;
use super::video_probe::{Mp4Scanner, VideoFacts};
use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::input::{Ids, JsonBody, Params};
use crate::{ApiError, AppState, FieldError};
use postiz_storage::{MediaStorage, StorageError};

/// The media and API-key endpoints (relative to the API base). Upload routes enforce their own
/// limits while streaming, so axum's default body limit is lifted there.
pub fn routes() -> axum::Router<AppState> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{delete as del, get as read, post};

    use super::{api_keys, media_uploads as up};
    axum::Router::new()
        .route("/workspaces/{ws}/media", read(list).post(upload).layer(DefaultBodyLimit::disable()))
        .route("/workspaces/{ws}/media/from-url", post(upload_from_url))
        .route("/workspaces/{ws}/media/{id}", read(get).patch(super::media_alt::update).delete(delete))
        .route("/workspaces/{ws}/media/{id}/content", read(content))
        .route("/workspaces/{ws}/media/{id}/thumbnail", read(thumbnail))
        .route("/workspaces/{ws}/media/uploads", post(up::start))
        .route(
            "/workspaces/{ws}/media/uploads/{id}",
            read(up::status).put(up::put_chunk).delete(up::abort).layer(DefaultBodyLimit::disable()),
        )
        .route("/workspaces/{ws}/media/uploads/{id}/complete", post(up::complete))
        .route("/workspaces/{ws}/api-keys", read(api_keys::list).post(api_keys::create))
        .route("/workspaces/{ws}/api-keys/{id}", del(api_keys::revoke))
}

/// Size and shape limits for uploads. `Default` is what `config.toml` documents.
#[derive(Debug, Clone, Copy)]
pub struct MediaLimits {
    /// Largest multipart upload (the whole file is held in memory while it is checked).
    pub max_upload_bytes: u64,
    /// Largest image.
    pub max_image_bytes: u64,
    /// Largest video (multipart or resumable).
    pub max_video_bytes: u64,
    /// Largest chunk of a resumable upload.
    pub max_chunk_bytes: u64,
    /// Longest image side in pixels.
    pub max_image_side: u32,
    /// Most pixels an image may have (width x height), checked from the header before it is
    /// decoded; default [`MAX_IMAGE_PIXELS`] (why that number is in its doc).
    pub max_image_pixels: u64,
    /// Thumbnails fit in a square of this side.
    pub thumbnail_side: u32,
    /// How long a resumable upload may stay unfinished.
    pub upload_ttl: Duration,
    /// How long an import from a URL may take in all.
    pub fetch_timeout: Duration,
}

impl Default for MediaLimits {
    fn default() -> Self {
        Self {
            max_upload_bytes: 64 * 1024 * 1024,
            max_image_bytes: 20 * 1024 * 1024,
            max_video_bytes: 1024 * 1024 * 1024,
            max_chunk_bytes: 16 * 1024 * 1024,
            max_image_side: 8192,
            max_image_pixels: MAX_IMAGE_PIXELS,
            thumbnail_side: 320,
            upload_ttl: Duration::from_secs(24 * 3600),
            fetch_timeout: Duration::from_secs(30),
        }
    }
}

/// What media endpoints need besides the database: the object store, the limits and the client
/// for imports from a URL. Given to the router as an extension
/// (`router(..).layer(axum::Extension(Arc::new(media)))`); without it the media endpoints answer 503.
#[derive(Debug)]
pub struct MediaState {
    /// Where bytes live.
    pub storage: MediaStorage,
    /// Upload limits.
    pub limits: MediaLimits,
    /// Fetches imports from a URL.
    pub fetcher: RemoteFetcher,
}

/// Why [`MediaState`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum MediaSetupError {
    /// The object store.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The HTTP client for imports from a URL.
    #[error("the HTTP client for media imports: {0}")]
    Fetcher(#[from] reqwest::Error),
}

impl MediaState {
    /// The store with these limits; imports from a URL reach public addresses only.
    pub fn new(storage: MediaStorage, limits: MediaLimits) -> Result<Self, MediaSetupError> {
        let fetcher = RemoteFetcher::new(limits.fetch_timeout, Vec::new())?;
        Ok(Self { storage, limits, fetcher })
    }

    /// From `[media]`: the local directory, or the S3 endpoint with keys from
    /// `POSTIZ_MEDIA_S3_ACCESS_KEY_ID` / `POSTIZ_MEDIA_S3_SECRET_ACCESS_KEY`; imports from a
    /// URL reach public addresses and the networks of `[private_servers] allow`.
    pub fn from_settings(settings: &postiz_config::Settings) -> Result<Self, MediaSetupError> {
        let m = &settings.media;
        let storage = MediaStorage::from_settings(m)?;
        let limits = MediaLimits {
            max_upload_bytes: m.max_upload_bytes,
            max_image_bytes: m.max_image_bytes,
            max_video_bytes: m.max_video_bytes,
            max_chunk_bytes: m.max_chunk_bytes,
            max_image_side: m.max_image_side,
            max_image_pixels: MAX_IMAGE_PIXELS,
            thumbnail_side: m.thumbnail_side,
            upload_ttl: Duration::from_secs(m.upload_ttl_secs),
            fetch_timeout: Duration::from_secs(m.fetch_timeout_secs),
        };
        let fetcher = RemoteFetcher::new(limits.fetch_timeout, settings.private_servers.allow.networks().to_vec())?;
        Ok(Self { storage, limits, fetcher })
    }
}

/// Extractor for the [`MediaState`] extension.
#[derive(Debug, Clone)]
pub struct Media(pub Arc<MediaState>);

impl<S: Send + Sync> FromRequestParts<S> for Media {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<MediaState>>()
            .cloned()
            .map(Media)
            .ok_or_else(|| ApiError::unavailable("media storage is not configured on this server"))
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        tracing::error!(error = %e, "media storage failed");
        ApiError::unavailable("media storage is unavailable; retry shortly")
    }
}

/// A media library entry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MediaView {
    /// Id (use it in a post's `media`).
    pub id: Uuid,
    /// Sniffed type: `image/png`, `image/jpeg`, `image/gif`, `image/webp`, `video/mp4`, `video/quicktime`.
    pub mime_type: String,
    /// `image`, `gif` or `video`.
    pub kind: String,
    /// Size in bytes.
    pub bytes: i64,
    /// Pixels (images; videos when their track header says).
    pub width: Option<i32>,
    /// Pixels.
    pub height: Option<i32>,
    /// Videos: from the movie header.
    pub duration_ms: Option<i32>,
    /// Videos: the picture's codec as its sample entry type (`avc1` H.264, `hvc1`/`hev1` HEVC,
    /// `av01` AV1, `vp09` VP9).
    pub video_codec: Option<String>,
    /// Videos: the sound's codec (`mp4a` AAC, `Opus`, `ac-3`); null without sound.
    pub audio_codec: Option<String>,
    /// Videos: frames per second.
    pub frame_rate: Option<f64>,
    /// Videos: whether there is a sound track.
    pub has_audio: Option<bool>,
    /// The default alternative text, used by posts that attach this asset without their own.
    pub alt_text: Option<String>,
    /// Images outside a network's width/height range: `refuse` (the default), `pad` with white
    /// bars, or `crop` the middle, in the copy made for that network.
    #[schema(value_type = String, example = "refuse")]
    pub aspect_fit: AspectFit,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Whether `GET …/media/{id}/thumbnail` has a picture (images; videos' poster frame, when
    /// ffmpeg is installed on the server).
    pub has_thumbnail: bool,
    /// Who uploaded it.
    pub uploaded_by: Option<Uuid>,
    /// Uploaded.
    pub created_at: DateTime<Utc>,
    /// Where to download the bytes (an absolute path on this server, same authentication).
    pub url: String,
    /// Where to download the thumbnail, when there is one.
    pub thumbnail_url: Option<String>,
    /// The uploaded file's name, or the last segment of the URL it was imported from.
    pub name: Option<String>,
    /// For each network the workspace has an account on, whether this file can be posted there
    /// and why not (listing and getting only; empty in upload answers).
    pub fits: Vec<super::media_fits::NetworkFit>,
    /// The per-network copies the worker stored (listing and getting only).
    pub variants: Vec<super::media_fits::VariantView>,
}

impl MediaView {
    /// Fills the download links under `links`.
    pub(crate) fn linked(mut self, links: &MediaLinks) -> Self {
        self.url = format!("{}/{}/content", links.0, self.id);
        self.thumbnail_url = self.has_thumbnail.then(|| format!("{}/{}/thumbnail", links.0, self.id));
        self
    }
}

/// The path prefix of the media collection the request came through
/// (`/dashboard/postiz/api/workspaces/{ws}/media` or `/dashboard/postiz/api/public/v1/media`), from
/// which download links are built.
#[derive(Debug, Clone)]
pub struct MediaLinks(pub String);

impl<S: Send + Sync> FromRequestParts<S> for MediaLinks {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let path =
            parts.extensions.get::<axum::extract::OriginalUri>().map_or_else(|| parts.uri.path().to_owned(), |u| u.0.path().to_owned());
        let prefix = path.find("/media").map_or(path.as_str(), |i| &path[..i + "/media".len()]);
        Ok(MediaLinks(prefix.to_owned()))
    }
}

pub(crate) const MEDIA_COLUMNS: &str = "id, mime_type, bytes, width, height, duration_ms, encode(sha256, 'hex'), \
     coalesce(thumbnail_path, poster_path) is not null, uploaded_by, created_at, name, \
     video_codec, audio_codec, frame_rate::float8, has_audio, alt_text, aspect_fit";

pub(crate) fn media_view(r: &Row) -> MediaView {
    let mime: String = r.get(1);
    let kind = if mime == "image/gif" {
        "gif"
    } else if mime.starts_with("video/") {
        "video"
    } else {
        "image"
    };
    MediaView {
        id: r.get(0),
        kind: kind.into(),
        mime_type: mime,
        bytes: r.get(2),
        width: r.get(3),
        height: r.get(4),
        duration_ms: r.get(5),
        video_codec: r.get(11),
        audio_codec: r.get(12),
        frame_rate: r.get(13),
        has_audio: r.get(14),
        alt_text: r.get(15),
        aspect_fit: r.get::<_, String>(16).parse().unwrap_or_default(),
        sha256: r.get(6),
        has_thumbnail: r.get(7),
        uploaded_by: r.get(8),
        created_at: r.get(9),
        url: String::new(),
        thumbnail_url: None,
        name: r.get(10),
        fits: Vec::new(),
        variants: Vec::new(),
    }
}

/// The name to keep for a file the client called `raw` (a file name, perhaps with a path, or a
/// URL's last segment): its last path segment, without control characters, at most 255
/// characters; none when nothing is left.
pub(crate) fn display_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(255).collect();
    let clean = clean.trim();
    (!clean.is_empty() && clean != "." && clean != "..").then(|| clean.to_owned())
}

/// An upload that passed every check, its bytes not stored yet (or, for a resumable upload,
/// already assembled at `stored_at`).
#[derive(Debug)]
pub(crate) struct Checked {
    pub kind: Sniffed,
    pub bytes: u64,
    pub sha256: [u8; 32],
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i32>,
    pub thumbnail: Option<(Vec<u8>, Sniffed)>,
    /// What the user called it ([`display_name`]).
    pub name: Option<String>,
    /// Videos: what the container says.
    pub video: Option<VideoFacts>,
    /// Videos: a poster frame (JPEG), when ffmpeg could make one.
    pub poster: Option<Vec<u8>>,
}

impl Checked {
    /// Before any content check: the type, size and hash.
    pub(crate) fn new(kind: Sniffed, bytes: u64, sha256: [u8; 32], name: Option<String>) -> Self {
        Self { kind, bytes, sha256, width: None, height: None, duration_ms: None, thumbnail: None, name, video: None, poster: None }
    }

    /// Takes the container's facts (size and duration too).
    pub(crate) fn with_video(mut self, facts: VideoFacts) -> Self {
        let px = |v: Option<u32>| v.and_then(|v| i32::try_from(v).ok());
        (self.width, self.height, self.duration_ms) = (px(facts.width), px(facts.height), px(facts.duration_ms));
        self.video = Some(facts);
        self
    }
}

fn refused(r: Refused) -> ApiError {
    ApiError::validation(vec![FieldError { field: "file".into(), message: r.0 }])
}

/// 415 unless the first bytes are a type we accept.
pub(crate) fn sniff_or_refuse(head: &[u8]) -> Result<Sniffed, ApiError> {
    sniff(head).ok_or_else(|| {
        ApiError::unsupported_type(
            "file",
            "is not a PNG, JPEG, GIF, WebP, MP4 or QuickTime file (judged from its content, not its name or Content-Type)",
        )
    })
}

/// 413 when `bytes` exceeds the limit for `kind`.
pub(crate) fn check_size(limits: &MediaLimits, kind: Sniffed, bytes: u64) -> Result<(), ApiError> {
    let (max, what) = if kind.is_video() { (limits.max_video_bytes, "videos") } else { (limits.max_image_bytes, "images") };
    if bytes > max {
        return Err(ApiError::too_large("file", format!("is {bytes} bytes; {what} may be at most {max} bytes")));
    }
    Ok(())
}

/// Image decodes running at once, process-wide: one per CPU (a decode is CPU-bound), so a burst
/// of uploads queues here instead of filling the blocking pool. With [`MAX_IMAGE_PIXELS`] each
/// holds at most about 290 MB of pixels, which bounds the memory they take together too.
static DECODES: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)));

/// Measures an image and makes its thumbnail (on the blocking pool, under [`DECODES`]). Refusals
/// name `file`: too many pixels is found in the header, before anything is decoded.
pub(crate) async fn inspect_image_bytes(
    limits: &MediaLimits,
    kind: Sniffed,
    bytes: Bytes,
) -> Result<(i32, i32, (Vec<u8>, Sniffed)), ApiError> {
    let l = ImageLimits { max_side: limits.max_image_side, max_pixels: limits.max_image_pixels, thumbnail_side: limits.thumbnail_side };
    let permit = DECODES.acquire().await.map_err(|e| ApiError::internal(&e))?;
    // The permit moves into the task: a request that goes away meanwhile does not stop the
    // decode, and the CPU stays counted until it ends.
    let facts = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        inspect_image(&bytes, kind, l)
    })
    .await
    .map_err(|e| ApiError::internal(&e))?
    .map_err(refused)?;
    let px = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    Ok((px(facts.width), px(facts.height), facts.thumbnail))
}

/// Every check on a whole file held in memory.
pub(crate) async fn check_file(limits: &MediaLimits, bytes: Bytes) -> Result<Checked, ApiError> {
    let kind = sniff_or_refuse(&bytes[..bytes.len().min(super::media_probe::SNIFF_LEN)])?;
    check_size(limits, kind, bytes.len() as u64)?;
    let sha256: [u8; 32] = Sha256::digest(&bytes).into();
    let size = bytes.len() as u64;
    let mut checked = Checked::new(kind, size, sha256, None);
    if kind.is_video() {
        let mut scanner = Mp4Scanner::default();
        scanner.feed(&bytes);
        let facts = scanner.finish().map_err(refused)?;
        checked = checked.with_video(facts);
        checked.poster = PosterMaker::default().poster_of_bytes(&bytes, checked.video.as_ref(), limits.thumbnail_side).await;
        return Ok(checked);
    }
    let (w, h, thumb) = inspect_image_bytes(limits, kind, bytes).await?;
    (checked.width, checked.height, checked.thumbnail) = (Some(w), Some(h), Some(thumb));
    Ok(checked)
}

/// The workspace's asset with these bytes, if any (in the caller's transaction).
pub(crate) async fn find_existing(tx: &Transaction<'_>, ws: Uuid, sha256: &[u8; 32]) -> Result<Option<MediaView>, ApiError> {
    let row = tx
        .query_opt(
            &format!("select {MEDIA_COLUMNS} from postiz.media_assets where workspace_id = $1 and sha256 = $2"),
            &[&ws, &sha256.as_slice()],
        )
        .await?;
    Ok(row.as_ref().map(media_view))
}

/// [`find_existing`] in a transaction of its own (editor+).
pub(crate) async fn existing(state: &AppState, user: &AuthUser, ws: Uuid, sha256: &[u8; 32]) -> Result<Option<MediaView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    let found = find_existing(&tx, ws, sha256).await?;
    tx.commit().await?;
    Ok(found)
}

/// Where an asset's objects go.
pub(crate) fn object_paths(ws: Uuid, id: Uuid, checked: &Checked) -> (String, Option<String>) {
    let original = format!("{ws}/{id}/original.{}", checked.kind.extension());
    let thumb = checked.thumbnail.as_ref().map(|(_, k)| format!("{ws}/{id}/thumbnail.{}", k.extension()));
    (original, thumb)
}

/// Where a video's poster frame goes, when it has one.
fn poster_path(ws: Uuid, id: Uuid, checked: &Checked) -> Option<String> {
    checked.poster.as_ref().map(|_| format!("{ws}/{id}/poster.jpg"))
}

/// Stores the thumbnail (the original is already stored) and inserts the row in `tx`, which the
/// caller commits. `None` when the workspace got the same bytes meanwhile (a concurrent upload).
/// The caller removes the objects ([`written`]) when this or its commit fails.
pub(crate) async fn insert_asset(
    tx: &Transaction<'_>,
    media: &MediaState,
    ws: Uuid,
    id: Uuid,
    c: &Checked,
) -> Result<Option<MediaView>, ApiError> {
    let (original, thumb) = object_paths(ws, id, c);
    if let (Some(path), Some((bytes, _))) = (&thumb, &c.thumbnail) {
        media.storage.put(path, Bytes::copy_from_slice(bytes)).await?;
    }
    let poster = poster_path(ws, id, c);
    if let (Some(path), Some(bytes)) = (&poster, &c.poster) {
        media.storage.put(path, Bytes::copy_from_slice(bytes)).await?;
    }
    let video = c.video.as_ref();
    let bytes = i64::try_from(c.bytes).unwrap_or(i64::MAX);
    let row = tx
        .query_opt(
            &format!(
                "insert into postiz.media_assets (id, workspace_id, bucket, path, mime_type, bytes, width, height, duration_ms, sha256, thumbnail_path, name,
                                                  video_codec, audio_codec, frame_rate, has_audio, poster_path)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::float8::numeric(8, 3), $16, $17)
                 on conflict (workspace_id, sha256) do nothing
                 returning {MEDIA_COLUMNS}"
            ),
            &[
                &id,
                &ws,
                &media.storage.bucket(),
                &original,
                &c.kind.mime(),
                &bytes,
                &c.width,
                &c.height,
                &c.duration_ms,
                &c.sha256.as_slice(),
                &thumb,
                &c.name,
                &video.and_then(|v| v.video_codec.clone()),
                &video.and_then(|v| v.audio_codec.clone()),
                &video.and_then(|v| v.frame_rate),
                &video.map(|v| v.has_audio),
                &poster,
            ],
        )
        .await?;
    Ok(row.as_ref().map(media_view))
}

/// Every object an asset may have written.
pub(crate) fn written(ws: Uuid, id: Uuid, c: &Checked) -> Vec<String> {
    let (original, thumb) = object_paths(ws, id, c);
    std::iter::once(original).chain(thumb).chain(poster_path(ws, id, c)).collect()
}

/// Writes the asset row (and thumbnail) in a transaction of its own, the original being stored
/// already. On any failure every object of this asset is removed. `201` with the new asset, or
/// `200` with the one a concurrent upload of the same bytes added first.
pub(crate) async fn commit_asset(
    state: &AppState,
    media: &MediaState,
    user: &AuthUser,
    ws: Uuid,
    id: Uuid,
    checked: &Checked,
) -> Result<(StatusCode, MediaView), ApiError> {
    let result = async {
        let mut client = state.pool.get().await?;
        let tx = user_tx(&mut client, user).await?;
        require_role(&tx, ws, Role::Editor).await?;
        let view = insert_asset(&tx, media, ws, id, checked).await?;
        tx.commit().await?;
        Ok::<_, ApiError>(view)
    }
    .await;
    match result {
        Ok(Some(view)) => Ok((StatusCode::CREATED, view)),
        Ok(None) => {
            media.storage.discard(&written(ws, id, checked)).await;
            let theirs = existing(state, user, ws, &checked.sha256).await?.ok_or_else(ApiError::not_found)?;
            Ok((StatusCode::OK, theirs))
        }
        Err(e) => {
            media.storage.discard(&written(ws, id, checked)).await;
            Err(e)
        }
    }
}

/// Stores a checked in-memory file as a new asset, or returns the workspace's copy.
pub(crate) async fn store_new(
    state: &AppState,
    media: &MediaState,
    user: &AuthUser,
    ws: Uuid,
    bytes: Bytes,
    checked: Checked,
) -> Result<(StatusCode, MediaView), ApiError> {
    if let Some(view) = existing(state, user, ws, &checked.sha256).await? {
        return Ok((StatusCode::OK, view));
    }
    let id = Uuid::new_v4();
    let (original, _) = object_paths(ws, id, &checked);
    media.storage.put(&original, bytes).await?;
    commit_asset(state, media, user, ws, id, &checked).await
}

/// Checks the caller may upload here before any byte is read (viewers get 403 at once).
pub(crate) async fn require_editor(state: &AppState, user: &AuthUser, ws: Uuid) -> Result<(), ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    tx.commit().await?;
    Ok(())
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large("file", "the request body is too large")
    } else {
        ApiError::bad_request("bad_multipart", e.body_text())
    }
}

/// Reads the single `file` field of a multipart body, refusing it as soon as it exceeds `max`;
/// with the file's name when the client gave one.
async fn read_file_field(request: Request, max: u64) -> Result<(Bytes, Option<String>), ApiError> {
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| ApiError::bad_request("bad_multipart", format!("{}; send multipart/form-data with a `file` field", e.body_text())))?;
    let mut file: Option<BytesMut> = None;
    let mut file_name = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            return Err(ApiError::validation(vec![FieldError {
                field: if name.is_empty() { "body".into() } else { name },
                message: "unknown field: send the file in a field named `file`".into(),
            }]));
        }
        if file.is_some() {
            return Err(ApiError::validation(vec![FieldError { field: "file".into(), message: "send one file per request".into() }]));
        }
        file_name = field.file_name().and_then(display_name);
        let mut buf = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if (buf.len() + chunk.len()) as u64 > max {
                return Err(ApiError::too_large(
                    "file",
                    format!("is larger than {max} bytes; use a resumable upload (POST …/media/uploads) for large videos"),
                ));
            }
            buf.extend_from_slice(&chunk);
        }
        file = Some(buf);
    }
    let file = file.ok_or_else(|| {
        ApiError::validation(vec![FieldError {
            field: "file".into(),
            message: "is missing: send multipart/form-data with a `file` field".into(),
        }])
    })?;
    if file.is_empty() {
        return Err(ApiError::validation(vec![FieldError { field: "file".into(), message: "is empty".into() }]));
    }
    Ok((file.freeze(), file_name))
}

/// `POST /workspaces/{ws}/media` (editor+, `multipart/form-data` with one `file` field): 201
/// with the new asset, or 200 with the existing one when the workspace already has these bytes.
pub async fn upload(
    State(state): State<AppState>,
    user: AuthUser,
    Media(media): Media,
    links: MediaLinks,
    Ids(ws): Ids<Uuid>,
    request: Request,
) -> Result<(StatusCode, Json<MediaView>), ApiError> {
    require_editor(&state, &user, ws).await?;
    let (bytes, name) = read_file_field(request, media.limits.max_upload_bytes).await?;
    add_file(&state, &media, &user, ws, &links, (bytes, name), "file").await
}

/// Checks a whole file held in memory and adds it to the library: 201 with the new asset, or 200
/// with the workspace's copy of the same bytes. Refusals name `field`, where the file came in.
async fn add_file(
    state: &AppState,
    media: &MediaState,
    user: &AuthUser,
    ws: Uuid,
    links: &MediaLinks,
    (bytes, name): (Bytes, Option<String>),
    field: &str,
) -> Result<(StatusCode, Json<MediaView>), ApiError> {
    let mut checked = check_file(&media.limits, bytes.clone()).await.map_err(|e| e.renamed_field("file", field))?;
    checked.name = name;
    let (status, view) = store_new(state, media, user, ws, bytes, checked).await?;
    tracing::info!(media.id = %view.id, workspace.id = %ws, bytes = view.bytes, mime = %view.mime_type, new = status == StatusCode::CREATED, from = field, "media added");
    Ok((status, Json(view.linked(links))))
}

/// Body of `POST …/media/from-url`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromUrl {
    /// An `http` or `https` URL of a PNG, JPEG, GIF, WebP, MP4 or QuickTime file on a public
    /// address; redirects are followed (at most 5).
    pub url: String,
}

impl From<FetchError> for ApiError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::TooLarge(max) => ApiError::too_large(
                "url",
                format!("is larger than {max} bytes; upload large videos with a resumable upload (POST …/media/uploads)"),
            ),
            FetchError::Refused(why) | FetchError::Unreachable(why) => {
                ApiError::validation(vec![FieldError { field: "url".into(), message: why }])
            }
        }
    }
}

/// `POST /workspaces/{ws}/media/from-url` (editor+, `{"url": …}`): downloads the file and stores
/// it like an upload: 201 with the new asset, 200 with the workspace's copy of the same bytes.
/// Every refusal names `url`; nothing is stored.
pub async fn upload_from_url(
    State(state): State<AppState>,
    user: AuthUser,
    Media(media): Media,
    links: MediaLinks,
    Ids(ws): Ids<Uuid>,
    JsonBody(body): JsonBody<FromUrl>,
) -> Result<(StatusCode, Json<MediaView>), ApiError> {
    require_editor(&state, &user, ws).await?;
    let bytes = media.fetcher.fetch(&body.url, media.limits.max_upload_bytes).await?;
    let name = url::Url::parse(body.url.trim())
        .ok()
        .and_then(|u| u.path_segments()?.rfind(|s| !s.is_empty()).map(str::to_owned))
        .and_then(|segment| display_name(&percent_encoding::percent_decode_str(&segment).decode_utf8_lossy()));
    add_file(&state, &media, &user, ws, &links, (bytes, name), "url").await
}

/// Query of `GET /workspaces/{ws}/media`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `image`, `gif` or `video`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Only media uploaded before this one (the previous page's `next_before`).
    #[serde(default)]
    pub before: Option<Uuid>,
    /// Page size, 1-100 (default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A page of media.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MediaPage {
    /// Newest first.
    pub items: Vec<MediaView>,
    /// Pass as `before` for the next page; null on the last page.
    pub next_before: Option<Uuid>,
}

/// `GET /workspaces/{ws}/media?kind=&before=&limit=`: the library, newest first (any member).
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    links: MediaLinks,
    Ids(ws): Ids<Uuid>,
    Params(q): Params<ListQuery>,
) -> Result<Json<MediaPage>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request("bad_query", "limit must be between 1 and 100"));
    }
    let pattern = match q.kind.as_deref() {
        None => None,
        Some("image") => Some("image/(png|jpeg|webp)"),
        Some("gif") => Some("image/gif"),
        Some("video") => Some("video/.*"),
        Some(_) => return Err(ApiError::bad_request("bad_query", "kind must be image, gif or video")),
    };
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let rows = tx
        .query(
            &format!(
                "select {MEDIA_COLUMNS} from postiz.media_assets m
                 where m.workspace_id = $1 and ($2::text is null or m.mime_type ~ ('^' || $2 || '$'))
                   and ($3::uuid is null or (m.created_at, m.id) < (
                         select c.created_at, c.id from postiz.media_assets c where c.workspace_id = $1 and c.id = $3))
                 order by m.created_at desc, m.id desc
                 limit $4"
            ),
            &[&ws, &pattern, &q.before, &(limit + 1)],
        )
        .await?;
    let mut items: Vec<MediaView> = rows.iter().map(|r| media_view(r).linked(&links)).collect();
    let more = items.len() as i64 > limit;
    items.truncate(usize::try_from(limit).unwrap_or(50));
    super::media_fits::annotate(&tx, ws, &mut items).await?;
    tx.commit().await?;
    let next_before = if more { items.last().map(|m| m.id) } else { None };
    Ok(Json(MediaPage { items, next_before }))
}

/// `GET /workspaces/{ws}/media/{id}` (any member).
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    links: MediaLinks,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<Json<MediaView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let row = tx
        .query_opt(&format!("select {MEDIA_COLUMNS} from postiz.media_assets where workspace_id = $1 and id = $2"), &[&ws, &id])
        .await?
        .ok_or_else(ApiError::not_found)?;
    let mut one = [media_view(&row).linked(&links)];
    super::media_fits::annotate(&tx, ws, &mut one).await?;
    tx.commit().await?;
    let [view] = one;
    Ok(Json(view))
}

/// `DELETE /workspaces/{ws}/media/{id}` (editor+; 204). 409 `media_in_use` while a post (or a
/// thread reply) uses it, saying whether those posts are still to go out.
///
/// No orphan either way: the row's deletion and the record of its objects to remove
/// (`postiz.storage_deletions`) commit together; the objects are removed right after and their
/// records cleared. What a storage failure or a crash leaves recorded, the worker's sweep removes
/// (`postiz_worker::uploads::sweep_deletions`). A row never outlives its bytes, nor bytes their row.
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    Media(media): Media,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    let row = tx
        .query_opt(
            "select path, thumbnail_path, poster_path from postiz.media_assets where workspace_id = $1 and id = $2 for update",
            &[&ws, &id],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    let users = tx
        .query_one(
            "select count(*) filter (where p.status in ('pending_approval', 'scheduled', 'publishing')), count(*)
             from postiz.posts p
             where p.workspace_id = $1
               and (exists (select 1 from postiz.post_media m where m.workspace_id = p.workspace_id and m.post_id = p.id and m.media_id = $2)
                    or exists (select 1 from postiz.post_variants v where v.workspace_id = p.workspace_id and v.post_id = p.id
                               and v.thread_items @> jsonb_build_array(jsonb_build_object('media_ids', jsonb_build_array($3::text)))))",
            &[&ws, &id, &id.to_string()],
        )
        .await?;
    let (going_out, all): (i64, i64) = (users.get(0), users.get(1));
    if all > 0 {
        return Err(ApiError::conflict("media_in_use", in_use_message(going_out, all)));
    }
    // The per-network variants the worker stored go with the asset (rows by cascade, objects below).
    let mut paths: Vec<String> = [row.get::<_, Option<String>>(0), row.get(1), row.get(2)].into_iter().flatten().collect();
    paths.extend(
        tx.query("select path from postiz.media_variants where workspace_id = $1 and media_id = $2", &[&ws, &id])
            .await?
            .iter()
            .map(|r| r.get::<_, String>(0)),
    );
    let recorded: Vec<i64> = tx
        .query(
            "insert into postiz.storage_deletions (workspace_id, path) select $1, p from unnest($2::text[]) p returning id",
            &[&ws, &paths],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    tx.execute("delete from postiz.media_assets where workspace_id = $1 and id = $2", &[&ws, &id]).await?;
    tx.commit().await?;

    // The answer is 204 from here on: the file is gone for everyone. A failure below only leaves
    // records for the sweep.
    let mut removed = Vec::with_capacity(recorded.len());
    for (record, path) in recorded.iter().zip(&paths) {
        match media.storage.delete(path).await {
            Ok(()) => removed.push(*record),
            Err(e) => {
                tracing::warn!(media.id = %id, object.path = %path, error = %e, "could not remove a deleted file's object; the sweep will")
            }
        }
    }
    let cleared = async {
        let tx = user_tx(&mut client, &user).await?;
        tx.execute("delete from postiz.storage_deletions where workspace_id = $1 and id = any($2)", &[&ws, &removed]).await?;
        tx.commit().await?;
        Ok::<_, ApiError>(())
    };
    if let Err(e) = cleared.await {
        tracing::warn!(media.id = %id, error = %e.message(), "could not clear the removed objects' records; the sweep will");
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Why a file cannot be deleted, in words: how many posts use it and whether they are still to go out.
fn in_use_message(going_out: i64, all: i64) -> String {
    let posts = |n: i64| if n == 1 { "1 post".to_owned() } else { format!("{n} posts") };
    if going_out > 0 {
        let others = all - going_out;
        let rest = if others > 0 { format!(" (and {} more)", posts(others)) } else { String::new() };
        format!(
            "This file is in {} still to go out{rest}; take it off {} or cancel {} first",
            posts(going_out),
            if all == 1 { "that post" } else { "those posts" },
            if going_out == 1 { "it" } else { "them" }
        )
    } else {
        format!("This file is in {} (drafts, or published posts that keep it as their record); take it off the drafts first", posts(all))
    }
}

/// `GET /workspaces/{ws}/media/{id}/content`: the bytes (any member), with the sniffed type.
pub async fn content(
    State(state): State<AppState>,
    user: AuthUser,
    Media(media): Media,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    stream_object(&state, &user, &media, ws, id, false).await
}

/// `GET /workspaces/{ws}/media/{id}/thumbnail`: the image thumbnail, or a video's poster frame
/// (404 when there is none).
pub async fn thumbnail(
    State(state): State<AppState>,
    user: AuthUser,
    Media(media): Media,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    stream_object(&state, &user, &media, ws, id, true).await
}

async fn stream_object(
    state: &AppState,
    user: &AuthUser,
    media: &MediaState,
    ws: Uuid,
    id: Uuid,
    thumb: bool,
) -> Result<Response, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let row = tx
        .query_opt(
            "select path, coalesce(thumbnail_path, poster_path), mime_type from postiz.media_assets where workspace_id = $1 and id = $2",
            &[&ws, &id],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    drop(client);
    let (path, mime): (Option<String>, String) = if thumb {
        let p: Option<String> = row.get(1);
        let mime = p.as_deref().map_or("image/jpeg", |p| if p.ends_with(".png") { "image/png" } else { "image/jpeg" }).to_owned();
        (p, mime)
    } else {
        (row.get(0), row.get(2))
    };
    let path = path.ok_or_else(ApiError::not_found)?;
    let got = match media.storage.get(&path).await {
        Ok(g) => g,
        Err(StorageError::NotFound { .. }) => return Err(ApiError::not_found()),
        Err(e) => return Err(e.into()),
    };
    let size = got.meta.size;
    let mut response = Body::from_stream(got.into_stream()).into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&mime) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // An asset's bytes never change under its id.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400, immutable"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::display_name;

    #[test]
    fn a_name_is_the_last_path_segment_without_control_characters() {
        assert_eq!(display_name("holiday.jpg").as_deref(), Some("holiday.jpg"));
        assert_eq!(display_name("C:\\Users\\me\\cat.png").as_deref(), Some("cat.png"));
        assert_eq!(display_name("../../etc/passwd").as_deref(), Some("passwd"));
        assert_eq!(display_name("a\u{0}b\n.png").as_deref(), Some("ab.png"));
        assert_eq!(display_name("  spaced out.gif  ").as_deref(), Some("spaced out.gif"));
        assert_eq!(display_name("Été à Paris.jpg").as_deref(), Some("Été à Paris.jpg"));
        for nothing in ["", "   ", "dir/", "..", "."] {
            assert_eq!(display_name(nothing), None, "{nothing:?}");
        }
        assert_eq!(display_name(&"é".repeat(300)).map(|n| n.chars().count()), Some(255));
    }
}
