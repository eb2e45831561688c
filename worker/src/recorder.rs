//! Records successes in batches. Publish tasks hand over their result and wait until it is
//! committed; one writer turns whatever has piled up meanwhile into a single statement. Under
//! light load a batch is one job (no added latency); under a backlog the batches grow, and the
//! database does a fraction of the per-statement work per job.
//!
//! Exactly-once does not change: until the batch commits, the job's row still says its item is
//! in flight, so a crash before the commit is recovered by reconciliation as before.

use postiz_providers::RemotePost;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::store::{ClaimedJob, Store, StoreError, Success};

/// Most successes written by one statement.
const MAX_BATCH: usize = 256;

/// Pending successes waiting for the writer, at most.
const CHANNEL_CAPACITY: usize = 4 * MAX_BATCH;

struct Pending {
    success: Success,
    recorded: oneshot::Sender<Result<bool, StoreError>>,
}

/// Handle to the batch writer; clones share it. The writer stops when the last handle is gone.
#[derive(Debug, Clone)]
pub struct Recorder {
    tx: mpsc::Sender<Pending>,
}

impl Recorder {
    /// Starts the writer on the current tokio runtime.
    pub fn spawn(store: Store) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        tokio::spawn(write_batches(store, rx));
        Self { tx }
    }

    /// Records that `job` went out as `post`, returning once it is committed. False when the
    /// job is no longer this worker's (another worker took it over after the lease ran out).
    pub async fn succeed(&self, job: &ClaimedJob, post: &RemotePost) -> Result<bool, StoreError> {
        let (recorded, done) = oneshot::channel();
        self.tx.send(Pending { success: Success::new(job, post), recorded }).await.map_err(|_| StoreError::RecorderGone)?;
        done.await.map_err(|_| StoreError::RecorderGone)?
    }
}

async fn write_batches(store: Store, mut rx: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (successes, replies): (Vec<Success>, Vec<_>) = batch.drain(..).map(|p| (p.success, p.recorded)).unzip();
        match store.succeed_many(&successes).await {
            Ok(recorded) => {
                for (success, reply) in successes.iter().zip(replies) {
                    reply.send(Ok(recorded.contains(&success.job_id()))).ok();
                }
            }
            Err(e) => {
                // One row's trouble (or a deadlock with another worker's batch) must not fail
                // the others: record each on its own and report each result to its task.
                tracing::warn!(error = %e, jobs = successes.len(), "batched success write failed; writing one by one");
                for (success, reply) in successes.iter().zip(replies) {
                    let one = store.succeed_many(std::slice::from_ref(success)).await;
                    reply.send(one.map(|r: Vec<Uuid>| r.contains(&success.job_id()))).ok();
                }
            }
        }
    }
}
