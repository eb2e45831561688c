//! `ingest_analytics`: fetches the numbers of published posts (on their decaying cadence) and
//! of connected accounts (daily) and records them as snapshots.
//!
//! Idempotent: watches are leased in one statement (`service_claim_analytics`), and outcomes
//! are recorded under that lease (a worker whose lease ran out moves nothing); a snapshot
//! recorded twice in the same hour replaces itself (the unique key of `analytics_events`).
//! It goes through the publisher's pacer with a read budget of its own per account
//! (`pacing::read_limits_for`), so reads never spend what a publish needs; `Retry-After` blocks
//! and "one request per account at a time" are shared, and the claim skips accounts with a
//! publish due within a minute. Errors are the adapters' taxonomy:
//!
//! | answer | watch becomes |
//! |---|---|
//! | numbers | snapshot recorded, next step of the cadence |
//! | rate limited | postponed by `Retry-After` (the account blocked in the pacer too) |
//! | unauthorized | refresh as publishing does; if that fails the account is marked and the watch paused |
//! | rejected (the post was deleted, or may not be read) | `gone`, with the network's reason |
//! | not supported | `unsupported` |
//! | transient, outcome unknown | retried with backoff (1 min × 2^failures, at most 6 h) |

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use postiz_domain::Network;
use postiz_providers::{Analytics, AnalyticsQuery, ProviderError, Registry};
use postiz_vault::{Binding, Field, Keyring, Sealed};
use serde_json::{Map, Value};
use tokio_postgres::Row;
use uuid::Uuid;

use super::{Job, sleep_unless_stopped};
use crate::pacing::{Pacer, Wait};
use crate::store::{Store, StoreError};
use crate::tokens::{Refreshed, Tokens, reconnect_message};

/// Watches claimed per round.
pub const BATCH: i32 = 100;
/// How long a claimed watch is held (longer than a provider request may take).
pub const LEASE_SECS: f64 = 120.0;
/// How often snapshots and rollups older than each plan keeps are removed.
pub const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// What ingestion needs.
#[derive(Debug, Clone)]
pub struct IngestAnalytics {
    /// The database.
    pub store: Store,
    /// The networks.
    pub registry: Arc<Registry>,
    /// Opens tokens.
    pub keyring: Arc<Keyring>,
    /// The publisher's pacer (shared, so both honour one budget per account).
    pub pacer: Arc<Pacer>,
    /// Token refresh; without it an unauthorized answer pauses the watch.
    pub tokens: Option<Arc<Tokens>>,
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RoundStats {
    /// Watches claimed.
    pub claimed: usize,
    /// Fetches recorded.
    pub recorded: usize,
    /// Postponed (rate limits, busy accounts).
    pub postponed: usize,
    /// Failed and to be retried.
    pub retried: usize,
    /// Stopped for good or until reconnect (gone, unsupported, paused).
    pub stopped: usize,
}

/// How a fetch ended, as the watch records it.
#[derive(Debug, Clone)]
enum Outcome {
    Recorded(Analytics),
    Postpone(Duration),
    Retry(String),
    Stop(&'static str, String),
}

/// A claimed watch.
#[derive(Debug, Clone)]
struct Watch {
    id: Uuid,
    /// The lease this worker holds on the watch: outcomes are recorded under it, so a worker
    /// whose lease ran out (another one claimed the watch) cannot move the watch again.
    lease: DateTime<Utc>,
    workspace_id: Uuid,
    account_id: Uuid,
    target_id: Option<Uuid>,
    network: Option<Network>,
    failures: i32,
    external_account_id: String,
    handle: Option<String>,
    remote_post_id: Option<String>,
    account_status: String,
    token: Option<Sealed>,
    server: Option<url::Url>,
}

impl Watch {
    fn from_row(r: &Row) -> Self {
        let token = Sealed::from_columns(r.get("access_token_key_id"), r.get("access_token_nonce"), r.get("access_token_ciphertext"));
        Self {
            id: r.get("watch_id"),
            lease: r.get("lease_until"),
            workspace_id: r.get("workspace_id"),
            account_id: r.get("social_account_id"),
            target_id: r.get("target_id"),
            network: r.get::<_, String>("network").parse().ok(),
            failures: r.get("failures"),
            external_account_id: r.get("external_account_id"),
            handle: r.get("handle"),
            remote_post_id: r.get("remote_post_id"),
            account_status: r.get("account_status"),
            token,
            server: r.get::<_, Option<String>>("server_url").and_then(|s| s.parse().ok()),
        }
    }
}

/// Backoff after `failures` transient failures: 1 min × 2^failures, at most 6 h.
pub fn backoff(failures: i32) -> Duration {
    let exp = u32::try_from(failures.clamp(0, 9)).unwrap_or(0);
    Duration::from_secs(60 * 2u64.pow(exp)).min(Duration::from_secs(6 * 3600))
}

impl IngestAnalytics {
    /// One round: claim due watches, fetch each (concurrently, paced), record every outcome.
    pub async fn round(&self) -> Result<RoundStats, StoreError> {
        let client = self.store.pool().get().await?;
        let rows = client.query("select * from postiz_private.service_claim_analytics($1, $2)", &[&BATCH, &LEASE_SECS]).await?;
        drop(client);
        let mut stats = RoundStats { claimed: rows.len(), ..RoundStats::default() };
        // Accounts in parallel, one account's watches one after the other (the pacer lets
        // one request per account run at a time).
        let mut by_account: HashMap<Uuid, Vec<Watch>> = HashMap::new();
        for w in rows.iter().map(Watch::from_row) {
            by_account.entry(w.account_id).or_default().push(w);
        }
        let rounds = by_account.into_values().map(|watches| self.fetch_account(watches));
        let mut readings = Vec::new();
        for (watch, outcome) in futures_util::future::join_all(rounds).await.into_iter().flatten() {
            match outcome {
                Outcome::Recorded(numbers) => {
                    stats.recorded += 1;
                    readings.push((watch, numbers));
                    continue;
                }
                Outcome::Postpone(_) => stats.postponed += 1,
                Outcome::Retry(_) => stats.retried += 1,
                Outcome::Stop(..) => stats.stopped += 1,
            }
            // One failed write must not drop the others' outcomes: it is logged, and that watch
            // is read again when its lease runs out.
            if let Err(e) = self.record(&watch, outcome).await {
                tracing::warn!(job = "ingest_analytics", watch.id = %watch.id, error = ?e, "recording an outcome failed");
            }
        }
        // The round's readings in one statement: the rollup triggers' cost is mostly per
        // statement (see the migration record_analytics_in_batches). If that fails, each is
        // recorded on its own, so that one bad reading (or a lost race) costs only itself; a
        // reading that fails alone is read again when its lease runs out.
        if let Err(e) = self.record_readings(&readings).await {
            tracing::warn!(job = "ingest_analytics", readings = readings.len(), error = ?e, "recording the round's readings at once failed; one by one");
            for reading in readings.chunks(1) {
                if let Err(e) = self.record_readings(reading).await {
                    stats.recorded -= 1;
                    tracing::warn!(job = "ingest_analytics", watch.id = %reading[0].0.id, error = ?e, "recording a reading failed");
                }
            }
        }
        Ok(stats)
    }

    /// Records the readings of a round at once, each under its watch's lease.
    async fn record_readings(&self, readings: &[(Watch, Analytics)]) -> Result<(), StoreError> {
        if readings.is_empty() {
            return Ok(());
        }
        let watches: Vec<Uuid> = readings.iter().map(|(w, _)| w.id).collect();
        let leases: Vec<DateTime<Utc>> = readings.iter().map(|(w, _)| w.lease).collect();
        let observed: Vec<DateTime<Utc>> = readings.iter().map(|(_, n)| n.fetched_at).collect();
        let metrics: Vec<Value> = readings
            .iter()
            .map(|(_, n)| Value::Object(n.metrics.iter().map(|m| (m.name.as_str().to_owned(), Value::from(m.value))).collect()))
            .collect();
        let raw: Vec<Value> =
            readings.iter().map(|(_, n)| if n.raw.is_object() { n.raw.clone() } else { Value::Object(Map::new()) }).collect();
        let client = self.store.pool().get().await?;
        client
            .execute(
                "select postiz_private.service_record_analytics_batch($1, $2, $3, $4, $5)",
                &[&watches, &leases, &observed, &metrics, &raw],
            )
            .await?;
        Ok(())
    }

    /// Writes the post cadence (`[analytics] post_cadence_hours`) to the database, where the
    /// triggers and every worker read it.
    pub async fn set_cadence(&self, hours: &[u32]) -> Result<(), StoreError> {
        let client = self.store.pool().get().await?;
        let offsets: Vec<String> = hours.iter().map(|h| format!("{h} hours")).collect();
        client.execute("select postiz_private.service_set_analytics_cadence($1::text[]::interval[])", &[&offsets]).await?;
        Ok(())
    }

    /// Removes what each workspace's plan no longer keeps (`plans.analytics_retention_days`):
    /// snapshots, raw numbers, daily rows and rollups. Returns the rows removed.
    pub async fn prune(&self) -> Result<i64, StoreError> {
        let client = self.store.pool().get().await?;
        let derived: i64 = client.query_one("select postiz_private.service_prune_analytics_rollups()", &[]).await?.get(0);
        let snapshots: i64 = client.query_one("select postiz_private.service_prune_analytics()", &[]).await?.get(0);
        Ok(derived + snapshots)
    }

    /// Reads one account's due watches: its own numbers in one call, its posts in calls of
    /// up to `analytics_batch` ids, one call at a time (paced like publishing).
    async fn fetch_account(&self, watches: Vec<Watch>) -> Vec<(Watch, Outcome)> {
        let Some(first) = watches.first() else { return vec![] };
        let all = |outcome: Outcome| watches.iter().map(|w| (w.clone(), outcome.clone())).collect::<Vec<_>>();
        let Some(network) = first.network else {
            return all(Outcome::Stop("unsupported", "This network is not known to this version of the scheduler.".into()));
        };
        let Some(provider) = self.registry.get(network) else {
            return all(Outcome::Stop("unsupported", format!("{} is not configured here.", network.display_name())));
        };
        if first.account_status != "active" {
            return all(Outcome::Stop("paused", reconnect_message(&first.account_status, "the account is not connected")));
        }
        let Some(sealed) = first.token.clone() else {
            return all(Outcome::Stop("paused", "The account has no stored sign-in; reconnect it.".into()));
        };
        let binding = Binding { workspace_id: first.workspace_id, social_account_id: first.account_id, field: Field::AccessToken };
        let Ok(token) = self.keyring.decrypt(&sealed, &binding) else {
            return all(Outcome::Stop("paused", "The account's stored sign-in cannot be read; reconnect it.".into()));
        };
        let account = postiz_providers::AccountRef {
            id: first.external_account_id.clone(),
            handle: first.handle.clone(),
            server: first.server.clone(),
        };
        let caps = provider.capabilities();

        let mut done = Vec::with_capacity(watches.len());
        let mut posts: Vec<(Watch, String)> = Vec::new();
        for w in watches.iter().cloned() {
            match (&w.target_id, w.remote_post_id.clone()) {
                (None, _) if caps.account_analytics() => {
                    let outcome = match self.paced(network, w.account_id) {
                        Some(wait) => wait,
                        None => self.answer(&w, &sealed, provider.analytics(&token, &account, &AnalyticsQuery::Account).await).await,
                    };
                    done.push((w, outcome));
                }
                (Some(_), Some(id)) if caps.post_analytics() => posts.push((w, id)),
                (Some(_), None) => {
                    done.push((w, Outcome::Stop("gone", "The network gave this post no id, so its numbers cannot be read.".into())))
                }
                _ => done.push((w, unsupported(network))),
            }
        }
        for chunk in posts.chunks(caps.analytics_batch.max(1)) {
            if let Some(wait) = self.paced(network, first.account_id) {
                done.extend(chunk.iter().map(|(w, _)| (w.clone(), wait.clone())));
                continue;
            }
            let ids: Vec<String> = chunk.iter().map(|(_, id)| id.clone()).collect();
            match provider.post_analytics_many(&token, &account, &ids).await {
                Ok(answers) => {
                    for ((w, _), (_, answer)) in chunk.iter().zip(answers) {
                        let outcome = self.answer(w, &sealed, answer).await;
                        done.push((w.clone(), outcome));
                    }
                }
                Err(e) => {
                    let outcome = self.answer(&chunk[0].0, &sealed, Err(e)).await;
                    done.extend(chunk.iter().map(|(w, _)| (w.clone(), outcome.clone())));
                }
            }
        }
        done
    }

    /// None when a request of `account` may go now; else how long to wait.
    fn paced(&self, network: Network, account: Uuid) -> Option<Outcome> {
        // The admission only gates the start: reads are short, the budget is what counts.
        match self.pacer.admit_read(network, account) {
            Ok(_admission) => None,
            Err(Wait::Account(d)) => Some(Outcome::Postpone(d.max(Duration::from_secs(1)))),
            Err(Wait::Busy) => Some(Outcome::Postpone(Duration::from_secs(30))),
        }
    }

    /// What a network's answer means for a watch.
    async fn answer(&self, w: &Watch, sealed: &Sealed, answer: Result<Analytics, ProviderError>) -> Outcome {
        match answer {
            Ok(numbers) => Outcome::Recorded(numbers),
            Err(ProviderError::RateLimited { retry_after, .. }) => {
                let wait = retry_after.unwrap_or(Duration::from_secs(60));
                self.pacer.block(w.account_id, wait);
                Outcome::Postpone(wait)
            }
            Err(ProviderError::Unauthorized { reason, .. }) => self.unauthorized(w, sealed, &reason).await,
            Err(ProviderError::Rejected { reason, .. }) => Outcome::Stop("gone", reason),
            Err(ProviderError::NotSupported { network, .. }) => unsupported(network),
            Err(e) => Outcome::Retry(e.to_string()),
        }
    }

    async fn unauthorized(&self, w: &Watch, sealed: &Sealed, reason: &str) -> Outcome {
        let Some(tokens) = &self.tokens else {
            return Outcome::Stop("paused", reconnect_message("needs_reconnect", reason));
        };
        match tokens.after_unauthorized(w.account_id, &sealed.nonce).await {
            Ok(Refreshed::Refreshed(_) | Refreshed::Reused(_)) => Outcome::Postpone(Duration::ZERO),
            Ok(Refreshed::NotDue) => Outcome::Stop("paused", reconnect_message("needs_reconnect", reason)),
            Err(e) => match e.account_status() {
                Some(status) => {
                    let message = reconnect_message(status, &format!("{reason}; refresh: {e}"));
                    if let Err(mark) = tokens.mark_account(w.account_id, status, &message).await {
                        return Outcome::Retry(mark.to_string());
                    }
                    Outcome::Stop("paused", message)
                }
                None => Outcome::Retry(format!("the network refused the token and renewing it failed for now ({e})")),
            },
        }
    }

    async fn record(&self, w: &Watch, outcome: Outcome) -> Result<(), StoreError> {
        let (state, reason, at) = match outcome {
            Outcome::Recorded(numbers) => return self.record_readings(&[(w.clone(), numbers)]).await,
            Outcome::Postpone(wait) => ("postpone", String::new(), Utc::now() + wait),
            Outcome::Retry(reason) => {
                ("retry", format!("Reading the numbers failed for now; trying again later ({reason})."), Utc::now() + backoff(w.failures))
            }
            Outcome::Stop(state, reason) => (state, reason, Utc::now()),
        };
        let client = self.store.pool().get().await?;
        failed(&client, w, state, &reason, at).await?;
        Ok(())
    }
}

/// The network offers no numbers for what was asked.
fn unsupported(network: Network) -> Outcome {
    Outcome::Stop("unsupported", format!("{} offers no numbers for this.", network.display_name()))
}

impl Job for IngestAnalytics {
    const NAME: &'static str = "ingest_analytics";
    /// How often a worker looks for due watches.
    const EVERY: Duration = Duration::from_secs(15);

    async fn run_once(&self) -> anyhow::Result<u64> {
        let stats = self.round().await?;
        Ok(u64::try_from(stats.claimed).unwrap_or(u64::MAX))
    }

    /// Rounds every [`Self::EVERY`], and retention once an hour ([`PRUNE_EVERY`]).
    async fn run(self, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
        let mut pruned_at: Option<tokio::time::Instant> = None;
        while !stop.load(Ordering::Relaxed) {
            if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                match self.prune().await {
                    Ok(n) => tracing::info!(job = Self::NAME, rows = n, "analytics retention applied"),
                    Err(e) => tracing::warn!(job = Self::NAME, error = %e, "analytics retention failed"),
                }
                pruned_at = Some(tokio::time::Instant::now());
            }
            let full = match self.round().await {
                Ok(stats) if stats.claimed > 0 => {
                    tracing::info!(job = Self::NAME, ?stats, "analytics round");
                    // A full round means more are due: go on at once (every read is paced).
                    i32::try_from(stats.claimed).is_ok_and(|n| n >= BATCH) && stats.postponed < stats.claimed
                }
                Ok(_) => false,
                Err(e) => {
                    tracing::warn!(job = Self::NAME, error = %e, "analytics round failed");
                    false
                }
            };
            if !full {
                sleep_unless_stopped(self.every(), &stop).await;
            }
        }
        Ok(())
    }
}

async fn failed(
    client: &deadpool_postgres::Client,
    watch: &Watch,
    outcome: &str,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    client
        .execute("select postiz_private.service_analytics_failed($1, $2, $3, $4, $5)", &[&watch.id, &watch.lease, &outcome, &reason, &at])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(60));
        assert_eq!(backoff(3), Duration::from_secs(480));
        assert_eq!(backoff(50), Duration::from_secs(6 * 3600));
    }
}
