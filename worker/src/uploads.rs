//! Removes resumable uploads that expired unfinished: their chunk objects, then their rows; and
//! the objects of deleted library files that the API could not remove ([`sweep_deletions`]).
//!
//! Runs on the worker's sweep cadence over every workspace. Sessions a chunk `PUT` or a
//! `complete` holds (`for update` in the API) are skipped and taken by a later sweep, so a
//! session is never removed under a request still writing it. A session whose objects cannot
//! be removed keeps its row, so the next sweep tries again and no chunk is orphaned.

use postiz_storage::MediaStorage;
use uuid::Uuid;

use crate::store::{Store, StoreError};

/// Expired sessions removed per sweep (the rest wait for the next one).
pub const SWEEP_BATCH: i64 = 100;

/// Removes up to [`SWEEP_BATCH`] expired sessions and their chunks; returns how many.
pub async fn sweep_expired(store: &Store, storage: &MediaStorage) -> Result<u64, StoreError> {
    let mut client = store.pool().get().await?;
    let tx = client.transaction().await?;
    let expired: Vec<(Uuid, Uuid)> = tx
        .query(
            "select workspace_id, id from postiz.media_uploads where expires_at <= now()
             order by expires_at limit $1 for update skip locked",
            &[&SWEEP_BATCH],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut removed = Vec::with_capacity(expired.len());
    for (workspace, upload) in expired {
        match storage.delete_prefix(&postiz_storage::upload_chunks_prefix(workspace, upload)).await {
            Ok(()) => removed.push(upload),
            Err(e) => {
                tracing::warn!(upload.id = %upload, workspace.id = %workspace, error = %e, "could not remove an expired upload's chunks; retrying at the next sweep")
            }
        }
    }
    let n = tx.execute("delete from postiz.media_uploads where id = any($1)", &[&removed]).await?;
    tx.commit().await?;
    Ok(n)
}

/// How long the API has to remove a deleted file's objects itself before the sweep does.
pub const DELETION_GRACE_SECS: f64 = 60.0;

/// Removes up to [`SWEEP_BATCH`] objects recorded in `postiz.storage_deletions` at least
/// [`DELETION_GRACE_SECS`] ago (a deleted library file's bytes the API did not get to), then
/// their records; returns how many. Records a failure keeps stay for the next sweep; records
/// another sweep holds are skipped. Removing an object already gone is not an error.
pub async fn sweep_deletions(store: &Store, storage: &MediaStorage) -> Result<u64, StoreError> {
    let mut client = store.pool().get().await?;
    let tx = client.transaction().await?;
    let due: Vec<(i64, String)> = tx
        .query(
            "select id, path from postiz.storage_deletions where created_at <= now() - make_interval(secs => $1)
             order by created_at limit $2 for update skip locked",
            &[&DELETION_GRACE_SECS, &SWEEP_BATCH],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut removed = Vec::with_capacity(due.len());
    for (id, path) in due {
        match storage.delete(&path).await {
            Ok(()) => removed.push(id),
            Err(e) => {
                tracing::warn!(object.path = %path, error = %e, "could not remove a deleted file's object; retrying at the next sweep")
            }
        }
    }
    let n = tx.execute("delete from postiz.storage_deletions where id = any($1)", &[&removed]).await?;
    tx.commit().await?;
    Ok(n)
}
