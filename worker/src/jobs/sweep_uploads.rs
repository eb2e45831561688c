//! `sweep_uploads`: removes resumable uploads that expired unfinished, chunks first, then the
//! row ([`crate::uploads::sweep_expired`]), and the objects of deleted library files left
//! recorded ([`crate::uploads::sweep_deletions`]). Idempotent: rows a request holds are skipped
//! (`for update skip locked`), and an object already gone is not an error.

use std::sync::Arc;
use std::time::Duration;

use postiz_storage::MediaStorage;

use super::Job;
use crate::store::Store;

/// The upload sweep.
#[derive(Debug)]
pub struct SweepUploads {
    /// The database.
    pub store: Store,
    /// Where the chunks are.
    pub storage: Arc<MediaStorage>,
}

impl Job for SweepUploads {
    const NAME: &'static str = "sweep_uploads";
    const EVERY: Duration = Duration::from_secs(60);

    async fn run_once(&self) -> anyhow::Result<u64> {
        let uploads = crate::uploads::sweep_expired(&self.store, &self.storage).await?;
        Ok(uploads + crate::uploads::sweep_deletions(&self.store, &self.storage).await?)
    }
}
