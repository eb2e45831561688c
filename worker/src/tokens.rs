//! The token lifecycle: a reactive refresh when a network refuses a token during a publish,
//! and a proactive sweep that refreshes tokens before they expire.
//!
//! **Single flight.** Networks that rotate refresh tokens accept each one once; spending it
//! twice loses the account. So every refresh of an account holds, in this process, the
//! account's async mutex and, across processes, the account's `credentials` row
//! (`select … for update`) for the duration of the refresh request. A job that was waiting on
//! either finds the access token changed (compare by nonce) and reuses it instead of
//! refreshing again. The row lock is held across one HTTP request on purpose: it is bounded by
//! the token client's timeout, and it is the only way to keep a second worker from spending the
//! same refresh token.
//!
//! **Atomic rotation.** New access and refresh tokens (or the kept refresh token, when the
//! network sends none) are written by one `UPDATE` in the transaction holding the lock.
//!
//! **Failure.** `invalid_grant` or a 401 on refresh marks the account `revoked`; any other
//! permanent failure `needs_reconnect`; either pauses the account's waiting jobs with an
//! actionable message, writes an activity-log row and counts
//! `postiz_token_refresh_failures_total`. A transient failure leaves everything as it is.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use deadpool_postgres::Pool;
use postiz_oauth::store::{instance_app_by_id, load_credentials, save_refreshed};
use postiz_oauth::{OAuthClients, RefreshError, refresh_tokens};
use postiz_providers::Registry;
use postiz_vault::{Field, Keyring};
use secrecy::SecretString;
use uuid::Uuid;

use crate::metrics as m;

/// Why no usable token came out of a refresh.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The network (or our configuration) refused: see [`RefreshError`].
    #[error(transparent)]
    Refresh(#[from] RefreshError),
    /// The account has no stored credentials any more.
    #[error("the account has no stored credentials")]
    Missing,
    /// A stored credential does not decrypt (a key problem: ours to fix).
    #[error("stored credential: {0}")]
    Vault(#[from] postiz_vault::VaultError),
    /// The database failed.
    #[error("database: {0}")]
    Store(String),
}

impl From<tokio_postgres::Error> for TokenError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Store(e.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for TokenError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::Store(e.to_string())
    }
}

impl From<postiz_oauth::StoreError> for TokenError {
    fn from(e: postiz_oauth::StoreError) -> Self {
        match e {
            postiz_oauth::StoreError::Vault(v) => Self::Vault(v),
            other => Self::Store(other.to_string()),
        }
    }
}

impl TokenError {
    /// What the account becomes: `revoked`, `needs_reconnect`, or unchanged (`None`: try later).
    pub fn account_status(&self) -> Option<&'static str> {
        match self {
            TokenError::Refresh(RefreshError::Revoked(_)) => Some("revoked"),
            TokenError::Refresh(RefreshError::Transient(_)) | TokenError::Store(_) | TokenError::Vault(_) => None,
            _ => Some("needs_reconnect"),
        }
    }
}

/// How a refresh ended when it did not fail.
#[derive(Debug)]
pub enum Refreshed {
    /// This call refreshed; here is the new access token.
    Refreshed(SecretString),
    /// Another job or worker refreshed meanwhile; here is its token (no refresh token spent).
    Reused(SecretString),
    /// The token no longer expires within the window (the sweep found nothing to do).
    NotDue,
}

/// Refreshes tokens for the worker. Cheap to share (`Arc`).
pub struct Tokens {
    pool: Pool,
    keyring: Arc<Keyring>,
    registry: Arc<Registry>,
    clients: OAuthClients,
    http: reqwest::Client,
    locks: Mutex<HashMap<Uuid, Weak<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").field("keyring", &self.keyring).field("clients", &self.clients).finish_non_exhaustive()
    }
}

enum Condition<'a> {
    /// Refresh unless the stored access token is no longer the one with this nonce.
    Replaces(&'a [u8]),
    /// Refresh if the stored token expires within this window.
    ExpiresWithin(Duration),
}

impl Tokens {
    /// On a `service_role` pool; `http` talks to token endpoints.
    pub fn new(pool: Pool, keyring: Arc<Keyring>, registry: Arc<Registry>, clients: OAuthClients, http: reqwest::Client) -> Self {
        Self { pool, keyring, registry, clients, http, locks: Mutex::new(HashMap::new()) }
    }

    fn lock_for(&self, account: Uuid) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(lock) = locks.get(&account).and_then(Weak::upgrade) {
            return lock;
        }
        locks.retain(|_, weak| weak.strong_count() > 0);
        let lock = Arc::new(tokio::sync::Mutex::new(()));
        locks.insert(account, Arc::downgrade(&lock));
        lock
    }

    /// After the network refused the access token whose ciphertext nonce is `used_nonce`:
    /// refreshes once (single flight), or returns the token another job already refreshed.
    pub async fn after_unauthorized(&self, account: Uuid, used_nonce: &[u8]) -> Result<Refreshed, TokenError> {
        self.refresh(account, Condition::Replaces(used_nonce)).await
    }

    /// Refreshes when the stored token expires within `window` (the sweep).
    pub async fn if_expiring(&self, account: Uuid, window: Duration) -> Result<Refreshed, TokenError> {
        self.refresh(account, Condition::ExpiresWithin(window)).await
    }

    async fn refresh(&self, account: Uuid, condition: Condition<'_>) -> Result<Refreshed, TokenError> {
        let lock = self.lock_for(account);
        let _held = lock.lock().await;
        let mut client = self.pool.get().await?;
        let client: &mut tokio_postgres::Client = &mut client;
        let tx = client.transaction().await?;
        let creds = load_credentials(&tx, account, true).await?.ok_or(TokenError::Missing)?;
        match condition {
            Condition::Replaces(nonce) if creds.access.nonce != nonce => {
                let fresh = self.keyring.decrypt(&creds.access, &creds.binding(Field::AccessToken))?;
                tx.commit().await?;
                return Ok(Refreshed::Reused(fresh));
            }
            Condition::ExpiresWithin(window) => {
                let due =
                    creds.expires_at.is_some_and(|at| at <= chrono::Utc::now() + chrono::Duration::from_std(window).unwrap_or_default());
                if !due || creds.status != "active" {
                    tx.commit().await?;
                    return Ok(Refreshed::NotDue);
                }
            }
            Condition::Replaces(_) => {}
        }
        let network = creds.network().ok_or(TokenError::Missing)?;
        let label = network.to_string();
        let outcome = async {
            let sealed =
                creds.refresh.as_ref().ok_or_else(|| RefreshError::NotRefreshable("the network issued no refresh token".into()))?;
            let refresh_token = self.keyring.decrypt(sealed, &creds.binding(Field::RefreshToken))?;
            let provider = self
                .registry
                .get(network)
                .ok_or_else(|| RefreshError::NotRefreshable(format!("{network} is not enabled on this worker")))?;
            let registration = match creds.instance_app_id {
                Some(id) => instance_app_by_id(&tx, &self.keyring, id).await?,
                None => None,
            };
            let tokens = refresh_tokens(
                provider.as_ref(),
                &self.clients,
                &self.http,
                registration.as_ref(),
                &refresh_token,
                creds.server().as_ref(),
            )
            .await?;
            if !save_refreshed(&tx, &self.keyring, &creds, &tokens).await? {
                // Cannot happen while we hold the row lock; refuse rather than guess.
                return Err(TokenError::Store("the credentials changed under the row lock".into()));
            }
            Ok::<_, TokenError>(tokens.access_token)
        }
        .await;
        match outcome {
            Ok(access) => {
                tx.commit().await?;
                metrics::counter!(m::TOKEN_REFRESHES, "network" => label, "outcome" => "refreshed").increment(1);
                tracing::info!(account.id = %account, network = %network, "token refreshed");
                Ok(Refreshed::Refreshed(access))
            }
            Err(e) => {
                // Nothing was written; release the lock.
                tx.rollback().await.ok();
                let outcome = match &e {
                    TokenError::Refresh(r) => r.code(),
                    _ => "error",
                };
                metrics::counter!(m::TOKEN_REFRESHES, "network" => label, "outcome" => outcome).increment(1);
                tracing::warn!(account.id = %account, network = %network, error = %e, "token refresh failed");
                Err(e)
            }
        }
    }

    /// Marks the account `status` (`revoked` or `needs_reconnect`) after a failed refresh and
    /// pauses its waiting jobs with an actionable message (`postiz_private.service_pause_account`,
    /// which logs it).
    pub async fn mark_account(&self, account: Uuid, status: &str, reason: &str) -> Result<(), TokenError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let message = reconnect_message(status, reason);
        let row = tx
            .query_one(
                "select postiz_private.service_pause_account($1, $2::text::postiz.account_status, $3,
                                                             jsonb_build_object('reason', $4::text, 'source', 'token_refresh')),
                        (select network from postiz.social_accounts where id = $1)",
                &[&account, &status, &message, &reason],
            )
            .await?;
        let (changed, network): (bool, Option<String>) = (row.get(0), row.get(1));
        if changed {
            metrics::counter!(m::TOKEN_REFRESH_FAILURES, "network" => network.unwrap_or_default()).increment(1);
        }
        tx.commit().await?;
        Ok(())
    }

    /// One sweep: refreshes up to `batch` active accounts whose tokens expire within `window`,
    /// `concurrency` at a time, starting one every `pace`.
    pub async fn sweep_once(self: &Arc<Self>, config: &SweepConfig) -> Result<SweepStats, TokenError> {
        let client = self.pool.get().await?;
        let window = config.window.as_secs_f64();
        let rows = client
            .query(
                "select c.social_account_id from postiz.credentials c
                 join postiz.social_accounts a on a.id = c.social_account_id
                 where a.status = 'active' and c.refresh_token_ciphertext is not null
                   and c.expires_at < now() + make_interval(secs => $1::double precision)
                 order by c.expires_at
                 limit $2",
                &[&window, &config.batch],
            )
            .await?;
        drop(client);
        let permits = Arc::new(tokio::sync::Semaphore::new(config.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, row) in rows.iter().enumerate() {
            if i > 0 && !config.pace.is_zero() {
                tokio::time::sleep(config.pace).await;
            }
            let account: Uuid = row.get(0);
            let Ok(permit) = Arc::clone(&permits).acquire_owned().await else { break };
            let this = Arc::clone(self);
            let window = config.window;
            tasks.spawn(async move {
                let _permit = permit;
                let result = this.if_expiring(account, window).await;
                if let Err(e) = &result
                    && let Some(status) = e.account_status()
                    && let Err(mark) = this.mark_account(account, status, &e.to_string()).await
                {
                    tracing::warn!(account.id = %account, error = %mark, "recording a failed refresh failed");
                }
                result
            });
        }
        let mut stats = SweepStats::default();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(Refreshed::Refreshed(_))) => stats.refreshed += 1,
                Ok(Ok(_)) => stats.skipped += 1,
                Ok(Err(e)) if e.account_status().is_some() => stats.failed += 1,
                _ => stats.deferred += 1,
            }
        }
        Ok(stats)
    }
}

/// The message a paused job shows.
pub fn reconnect_message(status: &str, reason: &str) -> String {
    if status == "revoked" {
        format!("Reconnect this account: the network revoked its access ({reason}).")
    } else {
        format!("Reconnect this account: its access could not be renewed ({reason}).")
    }
}

/// Knobs of the proactive sweep (`[oauth]` in the configuration).
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// Refresh tokens expiring within this window.
    pub window: Duration,
    /// Time between sweeps.
    pub every: Duration,
    /// Accounts per sweep.
    pub batch: i64,
    /// Refreshes in flight at once.
    pub concurrency: usize,
    /// Pause between starting two refreshes.
    pub pace: Duration,
}

impl Default for SweepConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(3600),
            every: Duration::from_secs(60),
            batch: 100,
            concurrency: 4,
            pace: Duration::from_millis(200),
        }
    }
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepStats {
    /// Refreshed.
    pub refreshed: u32,
    /// Already refreshed by someone else, or no longer due.
    pub skipped: u32,
    /// Refused: the account was marked `revoked` or `needs_reconnect`.
    pub failed: u32,
    /// Transient failures, left for the next sweep.
    pub deferred: u32,
}
