//! The worker's jobs: each kind in its own file, with its wire name, queue and cadence as
//! constants, started by one registration chain ([`Jobs`]).
//!
//! | job | file | queue | cadence |
//! |---|---|---|---|
//! | `publish_post` | [`publish_posts`] | pgmq `publish` | continuous (reads as fast as it may publish) |
//! | `ingest_analytics` | [`ingest_analytics`] | — (leases in `analytics_watches`) | every 15 s |
//! | `refresh_oauth_token` | [`refresh_tokens`] | — (the credentials' expiry) | `[oauth] sweep_every_secs` |
//! | `sweep_uploads` | [`sweep_uploads`] | — | every 60 s |
//! | `send_notification_email` | [`send_notification_emails`] | pgmq `notify` | drained every second |
//! | `queue_digests` | [`queue_digests`] | — (sends to `notify`) | every 5 min |
//! | `deliver_webhook` | [`deliver_webhooks`] | pgmq `webhooks` | drained every second |
//! | `preflight_account` | [`preflight_accounts`] | — (leases in `account_checks`) | every 60 s |
//! | `warn_expiring_token` | [`warn_expiring_tokens`] | — (`account_checks.expiry_warned_for`) | every 15 min |
//!
//! Every job is idempotent and safe to run in many worker processes at once: what a job works
//! on is claimed in Postgres (a pgmq message and a job lease, a watch or check lease, a row lock), so a
//! crash delays work but never loses or repeats it.

pub mod deliver_webhooks;
pub mod ingest_analytics;
pub mod preflight_accounts;
pub mod publish_posts;
pub mod queue_digests;
pub mod refresh_tokens;
pub mod send_notification_emails;
pub mod sweep_uploads;
pub mod warn_expiring_tokens;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::task::JoinSet;

/// One kind of background job.
pub trait Job: Send + 'static {
    /// Unique wire name (logs, metrics).
    const NAME: &'static str;
    /// The pgmq queue it drains, when it is queue-driven.
    const QUEUE: Option<&'static str> = None;
    /// How often a periodic job runs (a queue-driven job reads continuously instead).
    const EVERY: Duration;

    /// The cadence this instance runs at: [`Self::EVERY`] unless its configuration says
    /// otherwise.
    fn every(&self) -> Duration {
        Self::EVERY
    }

    /// One round of a periodic job: returns how many items it handled (for the log).
    fn run_once(&self) -> impl Future<Output = anyhow::Result<u64>> + Send;

    /// Runs until `stop` is set. Periodic jobs run a round every [`Self::every`] (a failed
    /// round is logged and retried at the next); queue-driven jobs override this.
    fn run(self, stop: Arc<AtomicBool>) -> impl Future<Output = anyhow::Result<()>> + Send
    where
        Self: Sized + Sync,
    {
        async move {
            while !stop.load(Ordering::Relaxed) {
                match self.run_once().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(job = Self::NAME, items = n, "job round done"),
                    Err(e) => tracing::warn!(job = Self::NAME, error = %e, "job round failed"),
                }
                sleep_unless_stopped(self.every(), &stop).await;
            }
            Ok(())
        }
    }
}

/// Waits `total`, returning early once `stop` is set.
pub async fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let mut waited = Duration::ZERO;
    while waited < total && !stop.load(Ordering::Relaxed) {
        let step = Duration::from_millis(250).min(total - waited);
        tokio::time::sleep(step).await;
        waited += step;
    }
}

/// The registration chain: `Jobs::new(stop).register(a).register(b).wait()`.
#[derive(Debug)]
pub struct Jobs {
    stop: Arc<AtomicBool>,
    tasks: JoinSet<(&'static str, anyhow::Result<()>)>,
}

impl Jobs {
    /// No jobs yet; all stop when `stop` is set.
    pub fn new(stop: Arc<AtomicBool>) -> Self {
        Self { stop, tasks: JoinSet::new() }
    }

    /// Starts `job`.
    #[must_use]
    pub fn register<J: Job + Sync>(mut self, job: J) -> Self {
        tracing::info!(job = J::NAME, queue = J::QUEUE.unwrap_or("-"), every_secs = job.every().as_secs(), "job registered");
        let stop = Arc::clone(&self.stop);
        self.tasks.spawn(async move { (J::NAME, job.run(stop).await) });
        self
    }

    /// Waits for every job to end (after `stop`); the first failure is returned, and the others
    /// are told to stop.
    pub async fn wait(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(done) = self.tasks.join_next().await {
            let failure = match done {
                Ok((_, Ok(()))) => None,
                Ok((name, Err(e))) => Some(e.context(format!("job {name}"))),
                Err(join) => Some(anyhow::anyhow!("a job panicked: {join}")),
            };
            if let Some(e) = failure {
                self.stop.store(true, Ordering::Relaxed);
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}
