//! `ingest_analytics`: fetches the numbers of published posts (on their decaying cadence) and
//! of connected accounts (daily) and records them as snapshots.
//!
//! Idempotent: watches are leased in one statement (`service_claim_analytics`); a snapshot
//! recorded twice in the same hour replaces itself (the unique key of `analytics_events`).
//! It goes through the publisher's pacing (per-account budgets, `Retry-After` blocks, network
//! slots) and never takes a budget a due publish needs: the claim skips accounts with a
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

use crate::pacing::{Pacer, Wait};
use crate::store::{Store, StoreError};
use crate::tokens::{Refreshed, Tokens, reconnect_message};

/// The job's wire name.
pub const JOB_NAME: &str = "ingest_analytics";
/// How often a worker looks for due watches.
pub const EVERY: Duration = Duration::from_secs(15);
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
enum Outcome {
    Recorded(Analytics),
    Postpone(Duration),
    Retry(String),
    Stop(&'static str, String),
}

/// A claimed watch.
struct Watch {
    id: Uuid,
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
        let token = match (r.get::<_, Option<String>>("access_token_key_id"), r.get::<_, Option<Vec<u8>>>("access_token_nonce"), r.get::<_, Option<Vec<u8>>>("access_token_ciphertext")) {
            (Some(key_id), Some(nonce), Some(ciphertext)) => Some(Sealed { key_id, nonce, ciphertext }),
            _ => None,
        };
        Self {
            id: r.get("watch_id"),
            workspace_id: r.get("workspace_id"),
            account_id: r.get("social_account_id"),
            target_id: r.get("target_id"),
            network: serde_json::from_value(Value::String(r.get("network"))).ok(),
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

/// The normalized metric a network's name stands for; None for names we do not keep.
pub fn normalized(name: &str) -> Option<&'static str> {
    Some(match name {
        "impressions" => "impressions",
        "reach" => "reach",
        "views" | "video_views" | "plays" => "views",
        "likes" | "favourites" | "reactions" => "likes",
        "comments" | "replies" => "comments",
        "shares" | "reposts" | "reblogs" | "retweets" => "shares",
        "quotes" => "quotes",
        "saves" | "saved" | "bookmarks" => "saves",
        "clicks" => "clicks",
        "profile_views" | "profile_visits" => "profile_views",
        "followers" => "followers",
        "following" => "following",
        "posts" => "posts",
        _ => return None,
    })
}

/// Backoff after `failures` transient failures: 1 min × 2^failures, at most 6 h.
pub fn backoff(failures: i32) -> Duration {
    let exp = u32::try_from(failures.clamp(0, 9)).unwrap_or(0);
    Duration::from_secs(60 * 2u64.pow(exp)).min(Duration::from_secs(6 * 3600))
}

impl IngestAnalytics {
    /// One round: claim due watches, fetch each (concurrently, paced), record every outcome.
    pub async fn run_once(&self) -> Result<RoundStats, StoreError> {
        let client = self.store.pool().get().await?;
        let rows = client
            .query("select * from postiz_private.service_claim_analytics($1, $2)", &[&BATCH, &LEASE_SECS])
            .await?;
        drop(client);
        let mut stats = RoundStats { claimed: rows.len(), ..RoundStats::default() };
        // Accounts in parallel, one account's watches one after the other (the pacer lets
        // one request per account run at a time).
        let mut by_account: HashMap<Uuid, Vec<Watch>> = HashMap::new();
        for w in rows.iter().map(Watch::from_row) {
            by_account.entry(w.account_id).or_default().push(w);
        }
        let rounds = by_account.into_values().map(|watches| async move {
            let mut done = Vec::with_capacity(watches.len());
            for w in watches {
                let outcome = self.fetch(&w).await;
                done.push((w, outcome));
            }
            done
        });
        for (watch, outcome) in futures_util::future::join_all(rounds).await.into_iter().flatten() {
            match &outcome {
                Outcome::Recorded(_) => stats.recorded += 1,
                Outcome::Postpone(_) => stats.postponed += 1,
                Outcome::Retry(_) => stats.retried += 1,
                Outcome::Stop(..) => stats.stopped += 1,
            }
            self.record(&watch, outcome).await?;
        }
        Ok(stats)
    }

    /// Removes what each workspace's plan no longer keeps (`plans.analytics_retention_days`):
    /// snapshots, raw numbers, daily rows and rollups. Returns the rows removed.
    pub async fn prune(&self) -> Result<i64, StoreError> {
        let client = self.store.pool().get().await?;
        let derived: i64 = client.query_one("select postiz_private.service_prune_analytics_rollups()", &[]).await?.get(0);
        let snapshots: i64 = client.query_one("select postiz_private.service_prune_analytics()", &[]).await?.get(0);
        Ok(derived + snapshots)
    }

    /// Rounds until `stop` is set, pruning once an hour.
    pub async fn run_forever(self, stop: Arc<AtomicBool>) {
        let mut pruned_at: Option<tokio::time::Instant> = None;
        while !stop.load(Ordering::Relaxed) {
            if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
                match self.prune().await {
                    Ok(n) => tracing::info!(job = JOB_NAME, rows = n, "analytics retention applied"),
                    Err(e) => tracing::warn!(job = JOB_NAME, error = %e, "analytics retention failed"),
                }
                pruned_at = Some(tokio::time::Instant::now());
            }
            match self.run_once().await {
                Ok(stats) if stats.claimed > 0 => tracing::info!(job = JOB_NAME, ?stats, "analytics round"),
                Ok(_) => {}
                Err(e) => tracing::warn!(job = JOB_NAME, error = %e, "analytics round failed"),
            }
            tokio::time::sleep(EVERY).await;
        }
    }

    async fn fetch(&self, w: &Watch) -> Outcome {
        let Some(network) = w.network else {
            return Outcome::Stop("unsupported", "This network is not known to this version of the scheduler.".into());
        };
        let Some(provider) = self.registry.get(network) else {
            return Outcome::Stop("unsupported", format!("{} is not configured here.", network.display_name()));
        };
        let caps = provider.capabilities();
        let query = match (&w.target_id, &w.remote_post_id) {
            (None, _) if caps.account_analytics => AnalyticsQuery::Account,
            (Some(_), Some(id)) if caps.post_analytics => AnalyticsQuery::Post { id: id.clone() },
            (Some(_), None) => return Outcome::Stop("gone", "The network gave this post no id, so its numbers cannot be read.".into()),
            _ => return Outcome::Stop("unsupported", format!("{} offers no numbers for this.", network.display_name())),
        };
        if w.account_status != "active" {
            return Outcome::Stop("paused", reconnect_message(&w.account_status, "the account is not connected"));
        }
        let Some(sealed) = &w.token else {
            return Outcome::Stop("paused", "The account has no stored sign-in; reconnect it.".into());
        };
        let binding = Binding { workspace_id: w.workspace_id, social_account_id: w.account_id, field: Field::AccessToken };
        let Ok(token) = self.keyring.decrypt(sealed, &binding) else {
            return Outcome::Stop("paused", "The account's stored sign-in cannot be read; reconnect it.".into());
        };
        let _admission = match self.pacer.admit(network, w.account_id) {
            Ok(a) => a,
            Err(Wait::Account(d)) => return Outcome::Postpone(d.max(Duration::from_secs(1))),
            Err(Wait::Busy) => return Outcome::Postpone(Duration::from_secs(30)),
        };
        let account = postiz_providers::AccountRef { id: w.external_account_id.clone(), handle: w.handle.clone(), server: w.server.clone() };
        match provider.analytics(&token, &account, &query).await {
            Ok(numbers) => Outcome::Recorded(numbers),
            Err(ProviderError::RateLimited { retry_after, .. }) => {
                let wait = retry_after.unwrap_or(Duration::from_secs(60));
                self.pacer.block(w.account_id, wait);
                Outcome::Postpone(wait)
            }
            Err(ProviderError::Unauthorized { reason, .. }) => self.unauthorized(w, sealed, &reason).await,
            Err(ProviderError::Rejected { reason, .. }) => Outcome::Stop("gone", reason),
            Err(ProviderError::NotSupported { .. }) => Outcome::Stop("unsupported", format!("{} offers no numbers for this.", network.display_name())),
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
        let client = self.store.pool().get().await?;
        match outcome {
            Outcome::Recorded(numbers) => {
                let metrics: Map<String, Value> = numbers
                    .metrics
                    .iter()
                    .filter_map(|m| normalized(m.name).map(|n| (n.to_owned(), Value::from(m.value))))
                    .collect();
                client
                    .execute(
                        "select postiz_private.service_record_analytics($1, $2, $3, $4)",
                        &[&w.id, &numbers.fetched_at, &Value::Object(metrics), &raw_numbers(&numbers)],
                    )
                    .await?;
            }
            Outcome::Postpone(wait) => failed(&client, w.id, "postpone", "", Utc::now() + wait).await?,
            Outcome::Retry(reason) => {
                let at = Utc::now() + backoff(w.failures);
                failed(&client, w.id, "retry", &format!("Reading the numbers failed for now; trying again later ({reason})."), at).await?;
            }
            Outcome::Stop(state, reason) => failed(&client, w.id, state, &reason, Utc::now()).await?,
        }
        Ok(())
    }
}

/// The network's own numbers as received; until adapters hand them over, the numbers under
/// the names the adapter read them by.
fn raw_numbers(numbers: &Analytics) -> Value {
    Value::Object(numbers.metrics.iter().map(|m| (m.name.to_string(), Value::from(m.value))).collect())
}

async fn failed(client: &deadpool_postgres::Client, watch: Uuid, outcome: &str, reason: &str, at: DateTime<Utc>) -> Result<(), StoreError> {
    client
        .execute("select postiz_private.service_analytics_failed($1, $2, $3, $4)", &[&watch, &outcome, &reason, &at])
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_names_map_onto_one_vocabulary() {
        assert_eq!(normalized("reposts"), Some("shares"));
        assert_eq!(normalized("replies"), Some("comments"));
        assert_eq!(normalized("favourites"), Some("likes"));
        assert_eq!(normalized("video_views"), Some("views"));
        assert_eq!(normalized("something_else"), None);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), Duration::from_secs(60));
        assert_eq!(backoff(3), Duration::from_secs(480));
        assert_eq!(backoff(50), Duration::from_secs(6 * 3600));
    }
}
