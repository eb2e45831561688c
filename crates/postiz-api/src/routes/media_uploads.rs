//! Resumable uploads for large files (videos), in the spirit of tus but plain HTTP:
//!
//! 1. `POST /workspaces/{ws}/media/uploads` `{"total_bytes": N}` → 201 `{id, offset: 0, …}`.
//! 2. `PUT /workspaces/{ws}/media/uploads/{id}` with `Content-Range: bytes START-END/N` and the
//!    chunk as the body, in order. `START` must be the session's current `offset`: a chunk that
//!    skips ahead (a missing chunk) or repeats one is refused with 409 `offset_mismatch`, and
//!    the session is unchanged. The first chunk's bytes decide the type (415 otherwise, and the
//!    session is dropped). Each chunk is stored as its own object before the offset moves.
//! 3. After a lost connection: `GET …/uploads/{id}` tells the `offset` to resume from.
//! 4. `POST …/uploads/{id}/complete` → checks that the stored chunks cover `0..N` exactly
//!    (409 `upload_incomplete` naming the first missing byte otherwise), streams them into the
//!    final object while hashing and walking the MP4 boxes, then writes the asset row like a
//!    multipart upload (201 new, 200 when the workspace already had these bytes) and removes
//!    the session and its chunks. Any refusal after assembly removes the assembled object.
//!
//! `DELETE …/uploads/{id}` aborts. Sessions expire after `upload_ttl`; the worker removes
//! expired sessions and their chunks (`postiz_worker::uploads`).
//!
//! Concurrency: a chunk `PUT` and `complete` lock the session row (`for update`) while they
//! store bytes, so two writers of one session take turns; other sessions are unaffected.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use bytes::BytesMut;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio_postgres::Transaction;
use uuid::Uuid;

use super::media::{
    Checked, Media, MediaLinks, MediaState, MediaView, check_size, display_name, find_existing, insert_asset, inspect_image_bytes,
    object_paths, sniff_or_refuse, written,
};
use super::media_probe::{SNIFF_LEN, Sniffed};
use super::video_poster::{PosterMaker, Spool};
use super::video_probe::Mp4Scanner;
use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::input::{Ids, JsonBody};
use crate::{ApiError, AppState, FieldError};

/// Body of `POST /workspaces/{ws}/media/uploads`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartUpload {
    /// The file's exact size in bytes.
    pub total_bytes: i64,
    /// The file's name, kept as the asset's name.
    #[serde(default)]
    pub name: Option<String>,
}

/// A resumable upload's state.
#[derive(Debug, Serialize)]
pub struct UploadView {
    /// Session id.
    pub id: Uuid,
    /// The next byte the server expects (`START` of the next `Content-Range`).
    pub offset: i64,
    /// The declared size.
    pub total_bytes: i64,
    /// Sniffed from the first chunk; null before it.
    pub mime_type: Option<String>,
    /// Largest chunk accepted.
    pub max_chunk_bytes: u64,
    /// Unfinished sessions are removed after this.
    pub expires_at: DateTime<Utc>,
}

fn chunk_prefix(ws: Uuid, id: Uuid) -> String {
    postiz_storage::upload_chunks_prefix(ws, id)
}

fn chunk_path(ws: Uuid, id: Uuid, start: i64) -> String {
    format!("{}/{start:020}", chunk_prefix(ws, id))
}

struct Session {
    received: i64,
    total: i64,
    mime: Option<String>,
    expires_at: DateTime<Utc>,
    name: Option<String>,
}

async fn lock_session(tx: &Transaction<'_>, ws: Uuid, id: Uuid) -> Result<Session, ApiError> {
    let row = tx
        .query_opt(
            "select received_bytes, total_bytes, mime_type, expires_at, name from postiz.media_uploads
             where workspace_id = $1 and id = $2 for update",
            &[&ws, &id],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    let s = Session { received: row.get(0), total: row.get(1), mime: row.get(2), expires_at: row.get(3), name: row.get(4) };
    if s.expires_at <= Utc::now() {
        return Err(ApiError::conflict("upload_expired", "this upload expired; start a new one"));
    }
    Ok(s)
}

fn view(id: Uuid, s: &Session, media: &MediaState) -> UploadView {
    UploadView {
        id,
        offset: s.received,
        total_bytes: s.total,
        mime_type: s.mime.clone(),
        max_chunk_bytes: media.limits.max_chunk_bytes,
        expires_at: s.expires_at,
    }
}

/// `POST /workspaces/{ws}/media/uploads` (editor+): starts a session for a file of
/// `total_bytes` (at most the video limit: 413 naming `total_bytes`).
pub async fn start(
    State(state): State<AppState>,
    user: AuthUser,
    Media(media): Media,
    Ids(ws): Ids<Uuid>,
    JsonBody(body): JsonBody<StartUpload>,
) -> Result<(StatusCode, Json<UploadView>), ApiError> {
    let max = media.limits.max_video_bytes.max(media.limits.max_image_bytes);
    if body.total_bytes <= 0 {
        return Err(ApiError::validation(vec![FieldError { field: "total_bytes".into(), message: "must be at least 1".into() }]));
    }
    if body.total_bytes as u64 > max {
        return Err(ApiError::too_large("total_bytes", format!("is {} bytes; files may be at most {max} bytes", body.total_bytes)));
    }
    let ttl = chrono::Duration::from_std(media.limits.upload_ttl).unwrap_or(chrono::Duration::hours(24));
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    let row = tx
        .query_one(
            "insert into postiz.media_uploads (workspace_id, total_bytes, expires_at, name) values ($1, $2, now() + $3::float8 * interval '1 second', $4)
             returning id, received_bytes, total_bytes, mime_type, expires_at, name",
            &[&ws, &body.total_bytes, &ttl.as_seconds_f64(), &body.name.as_deref().and_then(display_name)],
        )
        .await?;
    tx.commit().await?;
    let id: Uuid = row.get(0);
    let s = Session { received: row.get(1), total: row.get(2), mime: row.get(3), expires_at: row.get(4), name: row.get(5) };
    Ok((StatusCode::CREATED, Json(view(id, &s, &media))))
}

/// `GET /workspaces/{ws}/media/uploads/{id}` (editor+): where to resume.
pub async fn status(
    State(state): State<AppState>,
    user: AuthUser,
    Media(media): Media,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<Json<UploadView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    let row = tx
        .query_opt(
            "select received_bytes, total_bytes, mime_type, expires_at, name from postiz.media_uploads where workspace_id = $1 and id = $2",
            &[&ws, &id],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    let s = Session { received: row.get(0), total: row.get(1), mime: row.get(2), expires_at: row.get(3), name: row.get(4) };
    Ok(Json(view(id, &s, &media)))
}

/// `Content-Range: bytes START-END/TOTAL` → (start, end exclusive, total).
fn content_range(headers: &HeaderMap) -> Result<(i64, i64, i64), ApiError> {
    let bad = |m: &str| ApiError::bad_request("bad_content_range", format!("Content-Range: {m}; send `bytes START-END/TOTAL`"));
    let value = headers.get(header::CONTENT_RANGE).ok_or_else(|| bad("is missing"))?.to_str().map_err(|_| bad("is not text"))?;
    let rest = value.trim().strip_prefix("bytes ").ok_or_else(|| bad("must start with `bytes `"))?;
    let (range, total) = rest.split_once('/').ok_or_else(|| bad("has no `/TOTAL`"))?;
    let (a, b) = range.split_once('-').ok_or_else(|| bad("has no `START-END`"))?;
    let num = |s: &str| s.trim().parse::<i64>().map_err(|_| bad("holds something that is not a byte offset"));
    let (a, b, total) = (num(a)?, num(b)?, num(total)?);
    if a < 0 || b < a || b >= total {
        return Err(bad("START must be at most END, and END below TOTAL"));
    }
    Ok((a, b + 1, total))
}

/// Reads the request body, refusing it past `max` bytes.
async fn read_body(request: Request, max: u64) -> Result<Bytes, ApiError> {
    let mut stream = request.into_body().into_data_stream();
    let mut buf = BytesMut::new();
    while let Some(piece) = stream.next().await {
        let piece = piece.map_err(|e| ApiError::bad_request("bad_body", e.to_string()))?;
        if (buf.len() + piece.len()) as u64 > max {
            return Err(ApiError::too_large("body", format!("a chunk may be at most {max} bytes")));
        }
        buf.extend_from_slice(&piece);
    }
    Ok(buf.freeze())
}

/// `PUT /workspaces/{ws}/media/uploads/{id}` (editor+): one chunk, in order.
pub async fn put_chunk(
    State(state): State<AppState>,
    user: AuthUser,
    Media(media): Media,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
    headers: HeaderMap,
    request: Request,
) -> Result<Json<UploadView>, ApiError> {
    let (start, end, total) = content_range(&headers)?;
    let body = read_body(request, media.limits.max_chunk_bytes).await?;
    if body.len() as i64 != end - start {
        return Err(ApiError::bad_request(
            "bad_content_range",
            format!("Content-Range names {} bytes but the body has {}", end - start, body.len()),
        ));
    }
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    let mut s = lock_session(&tx, ws, id).await?;
    if total != s.total {
        return Err(ApiError::bad_request(
            "bad_content_range",
            format!("TOTAL is {total} but this upload was started for {} bytes", s.total),
        ));
    }
    if start != s.received {
        return Err(ApiError::conflict(
            "offset_mismatch",
            format!(
                "this upload is at byte {}; send the chunk that starts there (Content-Range: bytes {}-…/{})",
                s.received, s.received, s.total
            ),
        ));
    }
    if start == 0 && (body.len() as i64) < (SNIFF_LEN as i64).min(s.total) {
        return Err(ApiError::bad_request(
            "first_chunk_too_small",
            format!("the first chunk must hold at least {SNIFF_LEN} bytes (or the whole file): its type is read from them"),
        ));
    }
    if start == 0 {
        match sniff_or_refuse(&body[..body.len().min(SNIFF_LEN)]) {
            Ok(kind) => {
                if let Err(e) = check_size(&media.limits, kind, s.total as u64) {
                    tx.execute("delete from postiz.media_uploads where workspace_id = $1 and id = $2", &[&ws, &id]).await?;
                    tx.commit().await?;
                    return Err(e);
                }
                s.mime = Some(kind.mime().to_owned());
            }
            Err(e) => {
                // It can never complete: drop the session so nothing is left behind.
                tx.execute("delete from postiz.media_uploads where workspace_id = $1 and id = $2", &[&ws, &id]).await?;
                tx.commit().await?;
                return Err(e);
            }
        }
    }
    let path = chunk_path(ws, id, start);
    media.storage.put(&path, body).await?;
    let advanced = async {
        tx.execute(
            "update postiz.media_uploads set received_bytes = $3, mime_type = $4 where workspace_id = $1 and id = $2",
            &[&ws, &id, &end, &s.mime],
        )
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = advanced {
        media.storage.discard(&[path]).await;
        return Err(e.into());
    }
    s.received = end;
    Ok(Json(view(id, &s, &media)))
}

/// `DELETE /workspaces/{ws}/media/uploads/{id}` (editor+; 204): aborts and removes the chunks.
pub async fn abort(
    State(state): State<AppState>,
    user: AuthUser,
    Media(media): Media,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    let n = tx.execute("delete from postiz.media_uploads where workspace_id = $1 and id = $2", &[&ws, &id]).await?;
    tx.commit().await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    media.storage.delete_prefix(&chunk_prefix(ws, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The chunk objects, checked to cover `0..total` exactly: `(path, start, len)` in order.
async fn chunks(media: &MediaState, ws: Uuid, id: Uuid, total: i64) -> Result<Vec<(String, u64)>, ApiError> {
    let listed = media.storage.list(&chunk_prefix(ws, id)).await?;
    let mut at: u64 = 0;
    let mut out = Vec::with_capacity(listed.len());
    for (path, size) in listed {
        let start: u64 = path.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or(u64::MAX);
        if start != at {
            break;
        }
        at += size;
        out.push((path, size));
    }
    if at != total as u64 {
        return Err(ApiError::conflict(
            "upload_incomplete",
            format!("bytes {at}-{} have not been received; send them (Content-Range: bytes {at}-…/{total}) and complete again", total - 1),
        ));
    }
    Ok(out)
}

/// `POST /workspaces/{ws}/media/uploads/{id}/complete` (editor+): assembles and checks the
/// file, then adds it to the library (201, or 200 with the existing asset for the same bytes).
pub async fn complete(
    State(state): State<AppState>,
    user: AuthUser,
    Media(media): Media,
    links: MediaLinks,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<(StatusCode, Json<MediaView>), ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    let s = lock_session(&tx, ws, id).await?;
    if s.received < s.total {
        return Err(ApiError::conflict(
            "upload_incomplete",
            format!("bytes {}-{} have not been received; send them and complete again", s.received, s.total - 1),
        ));
    }
    let parts = chunks(&media, ws, id, s.total).await?;
    let kind = s.mime.as_deref().and_then(Sniffed::from_mime).ok_or_else(|| ApiError::internal(&"upload without a sniffed type"))?;
    check_size(&media.limits, kind, s.total as u64)?;

    // Stream the chunks into the final object, hashing and walking the boxes on the way.
    let asset_id = Uuid::new_v4();
    let mut checked = Checked::new(kind, s.total as u64, [0; 32], s.name.clone());
    let (original, _) = object_paths(ws, asset_id, &checked);
    let mut hasher = Sha256::new();
    let mut scanner = Mp4Scanner::default();
    // Videos are also copied to a local file on the way, for the poster frame.
    let mut spool = if kind.is_video() { Spool::new().await } else { None };
    let mut image = BytesMut::new();
    let mut writer = media.storage.writer(&original).await?;
    let assembled: Result<(), ApiError> = async {
        for (path, _) in &parts {
            let bytes = media.storage.read(path).await?;
            if kind.is_video() {
                scanner.feed(&bytes);
                if let Some(spool) = spool.as_mut() {
                    spool.write(&bytes).await;
                }
            } else {
                image.extend_from_slice(&bytes);
            }
            hasher.update(&bytes);
            writer.write(&bytes).await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = assembled {
        writer.abort().await;
        return Err(e);
    }
    writer.finish().await?;
    checked.sha256 = hasher.finalize().into();

    let facts: Result<(), ApiError> = async {
        if kind.is_video() {
            let f = scanner.finish().map_err(|r| ApiError::validation(vec![FieldError { field: "file".into(), message: r.0 }]))?;
            let duration_ms = f.duration_ms;
            checked = std::mem::replace(&mut checked, Checked::new(kind, 0, [0; 32], None)).with_video(f);
            if let Some(spool) = spool.take()
                && let Some(file) = spool.finish().await
            {
                checked.poster = PosterMaker::default().poster_or_log(&file, duration_ms, media.limits.thumbnail_side).await;
            }
        } else {
            let (w, h, thumb) = inspect_image_bytes(&media.limits, kind, image.freeze()).await?;
            (checked.width, checked.height, checked.thumbnail) = (Some(w), Some(h), Some(thumb));
        }
        Ok(())
    }
    .await;
    if let Err(e) = facts {
        // Refused content: nothing of it may stay.
        media.storage.discard(&[original]).await;
        tx.execute("delete from postiz.media_uploads where workspace_id = $1 and id = $2", &[&ws, &id]).await?;
        tx.commit().await?;
        media.storage.delete_prefix(&chunk_prefix(ws, id)).await?;
        return Err(e);
    }

    // Same transaction as the lock: a second `complete` waits, then finds no session (404).
    let outcome = async {
        if let Some(view) = find_existing(&tx, ws, &checked.sha256).await? {
            media.storage.discard(std::slice::from_ref(&original)).await;
            return Ok((StatusCode::OK, view));
        }
        let view = insert_asset(&tx, &media, ws, asset_id, &checked).await?;
        // The unique (workspace, sha256) index makes a concurrent twin wait for this
        // transaction, so `None` cannot happen while we hold it; answer sanely anyway.
        let view = view.ok_or_else(|| ApiError::conflict("already_exists", "the same file was just added; list the media"))?;
        Ok::<_, ApiError>((StatusCode::CREATED, view))
    }
    .await;
    let finished = match outcome {
        Ok(done) => {
            async {
                tx.execute("delete from postiz.media_uploads where workspace_id = $1 and id = $2", &[&ws, &id]).await?;
                tx.commit().await?;
                Ok::<_, ApiError>(done)
            }
            .await
        }
        Err(e) => Err(e),
    };
    let (status, view) = match finished {
        Ok(done) => done,
        Err(e) => {
            // The session and its chunks stay, so the client can complete again.
            media.storage.discard(&written(ws, asset_id, &checked)).await;
            return Err(e);
        }
    };
    if let Err(e) = media.storage.delete_prefix(&chunk_prefix(ws, id)).await {
        // The asset is in; leftover chunks are only unused bytes under a finished session.
        tracing::warn!(upload.id = %id, error = %e, "could not remove a completed upload's chunks");
    }
    tracing::info!(media.id = %view.id, upload.id = %id, workspace.id = %ws, bytes = view.bytes, new = status == StatusCode::CREATED, "resumable upload completed");
    Ok((status, Json(view.linked(&links))))
}
