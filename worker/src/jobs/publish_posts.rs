//! `publish_post`: drains the pgmq `publish` queue (the engine is [`crate::runner`]): reads,
//! paces per account, claims with a lease, publishes, records. Idempotent by its state
//! machine: every step before and after a provider request is recorded, and a crash resumes
//! from the record (`docs/ARCHITECTURE.md`).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use postiz_providers::Registry;

use super::Job;
use crate::publish::PublishContext;
use crate::runner::{self, RunnerConfig};
use crate::store::PUBLISH_QUEUE;

/// The publish job.
#[derive(Debug)]
pub struct PublishPosts {
    /// Store, keyring, pacer, tokens, media.
    pub ctx: PublishContext,
    /// The networks.
    pub registry: Arc<Registry>,
    /// The loop's knobs.
    pub config: RunnerConfig,
}

impl Job for PublishPosts {
    const NAME: &'static str = "publish_post";
    const QUEUE: Option<&'static str> = Some(PUBLISH_QUEUE);
    const EVERY: Duration = Duration::ZERO;

    /// Queue-driven: [`Self::run`] reads continuously; a single round is not a thing here.
    async fn run_once(&self) -> anyhow::Result<u64> {
        Ok(0)
    }

    async fn run(self, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
        let stats = runner::run(self.ctx, self.registry, self.config, stop).await?;
        tracing::info!(job = Self::NAME, ?stats, "publishing stopped");
        Ok(())
    }
}
