//! Expired resumable uploads are removed by the worker, rows and chunk objects, across
//! workspaces; a session a request still holds, and an unexpired one, are left alone. Objects of
//! deleted library files the API left recorded are removed after the grace period.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use postiz_storage::upload_chunks_prefix;
use postiz_worker::jobs::Jobs;
use postiz_worker::jobs::sweep_uploads::SweepUploads;
use postiz_worker::uploads::{sweep_deletions, sweep_expired};
use support::Fixture;
use uuid::Uuid;

/// A session of `total` bytes expiring `expires_in` from now (negative: expired), with two
/// chunk objects.
async fn session(f: &Fixture, expires_in: &str) -> Uuid {
    let id: Uuid = f
        .admin
        .query_one(
            "insert into postiz.media_uploads (workspace_id, total_bytes, received_bytes, expires_at)
             values ($1, 20, 20, now() + $2::text::interval) returning id",
            &[&f.workspace, &expires_in],
        )
        .await
        .unwrap()
        .get(0);
    let prefix = upload_chunks_prefix(f.workspace, id);
    for start in [0, 10] {
        f.media.put(&format!("{prefix}/{start:020}"), Bytes::from_static(b"0123456789")).await.unwrap();
    }
    id
}

async fn chunks(f: &Fixture, id: Uuid) -> usize {
    f.media.list(&upload_chunks_prefix(f.workspace, id)).await.unwrap().len()
}

async fn exists(f: &Fixture, id: Uuid) -> bool {
    f.count(&format!("select count(*) from postiz.media_uploads where id = '{id}'")).await == 1
}

#[tokio::test]
async fn expired_sessions_lose_rows_and_chunks_but_held_and_live_ones_stay() {
    let f = Fixture::new().await;
    let expired = session(&f, "-1 minute").await;
    let held = session(&f, "-2 minutes").await;
    let live = session(&f, "1 hour").await;
    let store = f.store();

    // A chunk PUT or complete in the API holds its session row like this.
    let mut holder = f.db.superuser().await;
    let tx = holder.transaction().await.unwrap();
    tx.execute("select 1 from postiz.media_uploads where id = $1 for update", &[&held]).await.unwrap();

    assert_eq!(sweep_expired(&store, &f.media).await.unwrap(), 1);
    assert!(!exists(&f, expired).await);
    assert_eq!(chunks(&f, expired).await, 0, "its chunks are gone with it");
    assert!(exists(&f, held).await, "a session in use is not removed under the request");
    assert_eq!(chunks(&f, held).await, 2);
    assert!(exists(&f, live).await);
    assert_eq!(chunks(&f, live).await, 2);

    tx.commit().await.unwrap();
    assert_eq!(sweep_expired(&store, &f.media).await.unwrap(), 1, "released, it goes at the next sweep");
    assert!(!exists(&f, held).await);
    assert_eq!(chunks(&f, held).await, 0);
    assert_eq!(sweep_expired(&store, &f.media).await.unwrap(), 0);
    assert!(exists(&f, live).await);
    assert_eq!(chunks(&f, live).await, 2);
}

#[tokio::test]
async fn the_workers_job_chain_sweeps_expired_uploads() {
    let f = Fixture::new().await;
    let expired = session(&f, "-1 second").await;
    let stop = Arc::new(AtomicBool::new(false));
    let jobs = Jobs::new(Arc::clone(&stop)).register(SweepUploads { store: f.store(), storage: Arc::clone(&f.media) });
    let running = tokio::spawn(jobs.wait());
    let started = tokio::time::Instant::now();
    while exists(&f, expired).await && started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    running.await.unwrap().unwrap();
    assert!(!exists(&f, expired).await, "the job's first round removed it");
    assert_eq!(chunks(&f, expired).await, 0);
}

#[tokio::test]
async fn objects_left_recorded_by_a_media_delete_are_removed_after_the_grace_period() {
    let f = Fixture::new().await;
    let (old_dir, fresh_dir) = (format!("{}/{}", f.workspace, Uuid::new_v4()), format!("{}/{}", f.workspace, Uuid::new_v4()));
    let (old, fresh) = (format!("{old_dir}/original.png"), format!("{fresh_dir}/original.png"));
    let gone = format!("{}/{}/thumbnail.png", f.workspace, Uuid::new_v4());
    for path in [&old, &fresh] {
        f.media.put(path, Bytes::from_static(b"bytes")).await.unwrap();
    }
    // What the API leaves when storage failed after the row's deletion committed; `gone` is an
    // object already removed (the API removed it but could not clear its record).
    f.admin
        .execute(
            "insert into postiz.storage_deletions (workspace_id, path, created_at) values
               ($1, $2, now() - interval '5 minutes'), ($1, $3, now()), ($1, $4, now() - interval '2 minutes')",
            &[&f.workspace, &old, &fresh, &gone],
        )
        .await
        .unwrap();
    let store = f.store();
    assert_eq!(sweep_deletions(&store, &f.media).await.unwrap(), 2, "the old record and the already-gone one");
    assert!(f.media.list(&old_dir).await.unwrap().is_empty(), "the orphan is removed");
    assert_eq!(f.media.list(&fresh_dir).await.unwrap().len(), 1, "within the grace period the API may still be removing it");
    assert_eq!(f.count("select count(*) from postiz.storage_deletions").await, 1);
    assert_eq!(sweep_deletions(&store, &f.media).await.unwrap(), 0);
}
