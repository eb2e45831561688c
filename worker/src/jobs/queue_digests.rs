//! `queue_digests`: once a workspace's local day has reached `[email] digest_hour`, turns each
//! person's waiting digest notifications into one digest email (an outbox row and a `notify`
//! message; `postiz_private.service_queue_digests`). Idempotent: one digest per person,
//! workspace and local day is a unique key, so many workers (or a rerun) add nothing.

use std::time::Duration;

use super::Job;

/// The digest job.
#[derive(Debug)]
pub struct QueueDigests {
    /// The database (service role).
    pub pool: deadpool_postgres::Pool,
    /// Local hour from which a day's digest goes out.
    pub send_hour: i32,
}

impl Job for QueueDigests {
    const NAME: &'static str = "queue_digests";
    const EVERY: Duration = Duration::from_secs(300);

    async fn run_once(&self) -> anyhow::Result<u64> {
        let client = self.pool.get().await?;
        let n: i32 = client.query_one("select postiz_private.service_queue_digests($1)", &[&self.send_hour]).await?.get(0);
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
