//! `warn_expiring_token`: a week before a credential that cannot be renewed expires (the refresh
//! token's expiry where the network said it, else the access token's when there is no refresh
//! token: LinkedIn's and Meta's 60-day tokens), tells the account's admins and owners and
//! whoever connected it (`token_expiring`, per their notification preferences), once per
//! credential expiry. All in `postiz_private.service_warn_expiring_tokens`, whose claim is a
//! conditional upsert of `postiz.account_checks.expiry_warned_for`, so many workers warn once.

use std::time::Duration;

use deadpool_postgres::Pool;

use super::Job;

/// The expiry warning.
#[derive(Debug)]
pub struct WarnExpiringTokens {
    /// Database (service role).
    pub pool: Pool,
    /// Warn this long before the expiry.
    pub ahead: Duration,
}

impl WarnExpiringTokens {
    /// A week ahead.
    pub const DEFAULT_AHEAD: Duration = Duration::from_secs(7 * 24 * 3600);

    /// One pass; returns how many accounts were warned of.
    pub async fn round(&self) -> anyhow::Result<u64> {
        let client = self.pool.get().await?;
        let warned: i32 = client
            .query_one(
                "select postiz_private.service_warn_expiring_tokens(make_interval(secs => $1::double precision))",
                &[&self.ahead.as_secs_f64()],
            )
            .await?
            .get(0);
        Ok(u64::try_from(warned).unwrap_or(0))
    }
}

impl Job for WarnExpiringTokens {
    const NAME: &'static str = "warn_expiring_token";
    /// Expiries are days away: every 15 minutes is soon enough.
    const EVERY: Duration = Duration::from_secs(15 * 60);

    async fn run_once(&self) -> anyhow::Result<u64> {
        self.round().await
    }
}
