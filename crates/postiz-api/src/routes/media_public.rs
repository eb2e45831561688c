//! `GET|HEAD {base}/media/public/{token}/{name}`: one stored object for whoever holds a signed,
//! expiring link — the networks that fetch a post's media by URL (Instagram, Threads, Slack,
//! Facebook, Telegram). No session: the token is the permission, and it names exactly one
//! object (see `postiz_storage::media_link`); `{name}` is cosmetic.
//!
//! - valid: the bytes with the type recorded on the media row (carried in the token),
//!   `Content-Length`, `Cache-Control: private, max-age=<seconds left>`, `Accept-Ranges`; one
//!   `Range: bytes=…` is answered with 206 (several ranges get the whole object), HEAD reads
//!   no bytes;
//! - expired, tampered with or signed with another key: 403 with a short body;
//! - a path outside a workspace (only a key holder could sign one), or an object that is gone: 404;
//! - no link key configured on this server: 404, as if no link could ever be valid here.
//!
//! No database work: the API serves links at file-read cost (see `cargo xtask bench media-urls`).

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use postiz_storage::media_link::{LinkRefused, MediaLinkKey, SignedObject, unix_now};
use postiz_storage::public_url::PUBLIC_MEDIA_PATH;
use postiz_storage::{MediaStorage, StorageError};

use crate::ApiError;

/// What the route needs: the store and the key links are signed with. Given to the router as
/// an extension (`.layer(axum::Extension(Arc::new(public_media)))`).
#[derive(Debug, Clone)]
pub struct PublicMedia {
    /// Where the bytes are.
    pub storage: MediaStorage,
    /// Checks tokens (`POSTIZ_MEDIA_URL_SECRET`).
    pub key: MediaLinkKey,
}

impl PublicMedia {
    /// With the key from `POSTIZ_MEDIA_URL_SECRET`; `None` when it is not set.
    pub fn from_env(storage: MediaStorage) -> Result<Option<Self>, postiz_config::ConfigError> {
        Ok(postiz_config::media_url_secret()?.map(|secret| Self { storage, key: MediaLinkKey::new(secret) }))
    }
}

/// The route, relative to the API base. Generic over the router's state: it uses none.
pub fn routes<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    axum::Router::new().route(&format!("/{PUBLIC_MEDIA_PATH}/{{token}}/{{name}}"), axum::routing::get(serve))
}

/// `GET|HEAD …/media/public/{token}/{name}` (axum answers HEAD through the GET route).
async fn serve(
    public: Option<Extension<Arc<PublicMedia>>>,
    method: Method,
    Path((token, _name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // No key here, or no token at all: nothing this route could serve.
    let (Some(Extension(public)), false) = (public, token.is_empty()) else {
        return Err(ApiError::not_found());
    };
    let now = unix_now();
    let granted = public.key.verify(&token, now).map_err(refusal)?;
    let storage = &public.storage;
    if method == Method::HEAD {
        let meta = storage.head(&granted.path).await.map_err(missing)?;
        return Ok(respond(StatusCode::OK, Body::empty(), &granted, now, meta.size, None));
    }
    let wanted = headers.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(ByteRange::parse);
    let Some(wanted) = wanted else {
        let got = storage.get_range(&granted.path, None).await.map_err(missing)?;
        let size = got.meta.size;
        return Ok(respond(StatusCode::OK, Body::from_stream(got.into_stream()), &granted, now, size, None));
    };
    let size = storage.head(&granted.path).await.map_err(missing)?.size;
    let Some(range) = wanted.within(size) else {
        let mut response = ApiError::bad_request("range_not_satisfiable", format!("The file has {size} bytes.")).into_response();
        *response.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
        if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
            response.headers_mut().insert(header::CONTENT_RANGE, v);
        }
        return Ok(response);
    };
    let got = storage.get_range(&granted.path, Some(range.clone())).await.map_err(missing)?;
    Ok(respond(StatusCode::PARTIAL_CONTENT, Body::from_stream(got.into_stream()), &granted, now, size, Some(range)))
}

fn refusal(e: LinkRefused) -> ApiError {
    match e {
        LinkRefused::Expired => ApiError::forbidden_because("media_link_expired", "This media link has expired."),
        LinkRefused::OutsideWorkspace => ApiError::not_found(),
        _ => ApiError::forbidden_because("media_link_invalid", "This media link is not valid."),
    }
}

fn missing(e: StorageError) -> ApiError {
    match e {
        StorageError::NotFound { .. } => ApiError::not_found(),
        other => other.into(),
    }
}

/// A success: the headers every answer carries, the body as given.
fn respond(status: StatusCode, body: Body, granted: &SignedObject, now: u64, size: u64, range: Option<std::ops::Range<u64>>) -> Response {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let h = response.headers_mut();
    // The token checked out, so the type is the one signed: a valid header value.
    if let Ok(v) = HeaderValue::from_str(&granted.mime) {
        h.insert(header::CONTENT_TYPE, v);
    }
    let length = range.as_ref().map_or(size, |r| r.end - r.start);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Some(r) = &range
        && let Ok(v) = HeaderValue::from_str(&format!("bytes {}-{}/{size}", r.start, r.end - 1))
    {
        h.insert(header::CONTENT_RANGE, v);
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Never cached beyond the link's own life, and only by the fetcher itself.
    if let Ok(v) = HeaderValue::from_str(&format!("private, max-age={}", granted.remaining(now))) {
        h.insert(header::CACHE_CONTROL, v);
    }
    response
}

/// One byte range of a `Range` header (RFC 9110 §14.1.2), before the object's size is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ByteRange {
    /// `bytes=a-b` (inclusive) or `bytes=a-`.
    From { start: u64, end: Option<u64> },
    /// `bytes=-n`: the last n bytes.
    Last(u64),
}

impl ByteRange {
    /// A single range; anything else (several ranges, other units, garbage) is `None`, which
    /// means "send the whole object", as the RFC allows a server to ignore `Range`.
    fn parse(value: &str) -> Option<Self> {
        let spec = value.trim().strip_prefix("bytes=")?.trim();
        if spec.contains(',') {
            return None;
        }
        let (start, end) = spec.split_once('-')?;
        let (start, end) = (start.trim(), end.trim());
        if start.is_empty() {
            return end.parse().ok().map(Self::Last);
        }
        let start = start.parse().ok()?;
        let end = if end.is_empty() { None } else { Some(end.parse().ok()?) };
        match end {
            Some(e) if e < start => None,
            _ => Some(Self::From { start, end }),
        }
    }

    /// The half-open byte range within an object of `size` bytes; `None` if unsatisfiable.
    fn within(self, size: u64) -> Option<std::ops::Range<u64>> {
        match self {
            Self::From { start, .. } if start >= size => None,
            Self::From { start, end } => Some(start..end.map_or(size, |e| e.saturating_add(1).min(size))),
            Self::Last(0) => None,
            Self::Last(_) if size == 0 => None,
            Self::Last(n) => Some(size.saturating_sub(n)..size),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ByteRange;

    #[test]
    fn single_byte_ranges_are_read_and_others_mean_the_whole_object() {
        assert_eq!(ByteRange::parse("bytes=0-99").and_then(|r| r.within(1000)), Some(0..100));
        assert_eq!(ByteRange::parse("bytes=900-").and_then(|r| r.within(1000)), Some(900..1000));
        assert_eq!(ByteRange::parse("bytes=900-5000").and_then(|r| r.within(1000)), Some(900..1000));
        assert_eq!(ByteRange::parse("bytes=-100").and_then(|r| r.within(1000)), Some(900..1000));
        assert_eq!(ByteRange::parse("bytes=-5000").and_then(|r| r.within(1000)), Some(0..1000));
        assert_eq!(ByteRange::parse("bytes=1000-").map(|r| r.within(1000)), Some(None), "past the end: 416");
        assert_eq!(ByteRange::parse("bytes=-0").map(|r| r.within(1000)), Some(None));
        for ignored in ["bytes=0-1,5-6", "items=0-1", "bytes=5-1", "bytes=x-", "0-1", "bytes=-"] {
            assert_eq!(ByteRange::parse(ignored), None, "{ignored}");
        }
    }
}
