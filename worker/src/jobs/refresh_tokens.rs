//! `refresh_oauth_token`: renews tokens that expire within `[oauth] refresh_ahead_secs`
//! before a publish needs them. Idempotent: each refresh holds the credential row
//! (`for update`) and applies only if the token is still the one it read (compare-and-set), so
//! two workers never spend a refresh token twice.

use std::sync::Arc;
use std::time::Duration;

use super::Job;
use crate::tokens::{SweepConfig, SweepStats, Tokens};

/// The token sweep.
#[derive(Debug)]
pub struct RefreshTokens {
    /// Token refresh.
    pub tokens: Arc<Tokens>,
    /// Window, batch, concurrency, pace.
    pub config: SweepConfig,
}

impl Job for RefreshTokens {
    const NAME: &'static str = "refresh_oauth_token";
    /// The default cadence; [`SweepConfig::every`] (from the configuration) is what runs.
    const EVERY: Duration = Duration::from_secs(60);

    fn every(&self) -> Duration {
        self.config.every
    }

    async fn run_once(&self) -> anyhow::Result<u64> {
        let stats = self.tokens.sweep_once(&self.config).await?;
        if stats != SweepStats::default() {
            tracing::info!(?stats, "token sweep done");
        }
        let SweepStats { refreshed, skipped, failed, deferred } = stats;
        Ok(u64::from(refreshed + skipped + failed + deferred))
    }
}
