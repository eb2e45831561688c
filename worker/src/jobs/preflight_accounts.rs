//! `preflight_account`: verifies an account's token a while before its scheduled posts are due
//! (`[worker] preflight_before_secs`, default 2 h), with the cheapest authenticated call its
//! network offers ([`postiz_providers::Provider::verify`]), so a revoked token is found while
//! there is time to reconnect, not when the post fails.
//!
//! **One check per account per window.** An account is due when it has a post scheduled within
//! the window and was not checked since that post's window opened; for a recurring post, each
//! occurrence counts (its schedule's `next_run_at`), not only the first. The claim is a conditional
//! upsert of its `postiz.account_checks` row (a lease, re-checked against the row's latest
//! version), so of several workers on several machines exactly one verifies it; a crashed
//! worker's lease runs out and another takes it. Each claim gets a new lease id that its record
//! must match: a worker whose lease ran out mid-batch (and was taken over, or reset by a
//! reconnection) writes nothing. Each verify call is bounded by
//! [`PreflightConfig::check_timeout`], well under the lease, and a claim whose lease ran out
//! before its turn in the batch is left for the next round.
//!
//! **A check never undoes a reconnection.** The access token's nonce is read with the claim; a
//! refused token pauses the account only if the stored token is still that one (the account's
//! row locked first, as `save_connection` locks it), else the account is checked again.
//!
//! **Outcomes**, classified as for publishing:
//! - the token works: recorded (`checked_at`), nothing else;
//! - `Unauthorized`: one refresh is tried where the account has a refresh token (as a publish
//!   would); if that does not give a working token the account becomes `needs_reconnect` (or
//!   `revoked`, when the refresh was answered `invalid_grant`) through
//!   `postiz_private.service_pause_account`, whose status trigger tells its admins and owners
//!   and the authors of its scheduled posts who are editors or above, naming the first post at risk (one
//!   notification per change of status, so a second run tells nobody again), and emits the
//!   `account.status_changed` webhook event;
//! - transient, rate-limited or anything else: no status change, no notification; checked
//!   again after [`PreflightConfig::retry_after`] (or the network's `Retry-After`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use postiz_providers::{AccountRef, ProviderError, Registry};
use postiz_vault::{Binding, Field, Keyring, Sealed};
use uuid::Uuid;

use super::Job;
use crate::store::{Store, StoreError};
use crate::tokens::{Refreshed, Tokens, reconnect_message};

/// The pre-flight check.
#[derive(Debug)]
pub struct PreflightAccounts {
    /// Database (service role).
    pub store: Store,
    /// The networks.
    pub registry: Arc<Registry>,
    /// Decrypts the stored tokens.
    pub keyring: Arc<Keyring>,
    /// Refreshes a refused token once, where the network issued a refresh token.
    pub tokens: Option<Arc<Tokens>>,
    /// Window, batch, lease, retry.
    pub config: PreflightConfig,
}

/// Knobs of the pre-flight check.
#[derive(Debug, Clone)]
pub struct PreflightConfig {
    /// Verify accounts whose posts are due within this window (`[worker] preflight_before_secs`).
    pub before: Duration,
    /// Accounts claimed per round.
    pub batch: i64,
    /// How long a claim is held (longer than one provider call and a refresh).
    pub lease: Duration,
    /// The longest one verify call may take (well under `lease`).
    pub check_timeout: Duration,
    /// Wait after a transient failure when the network named none.
    pub retry_after: Duration,
    /// Time between rounds.
    pub every: Duration,
}

impl Default for PreflightConfig {
    fn default() -> Self {
        Self {
            before: Duration::from_secs(2 * 3600),
            batch: 50,
            lease: Duration::from_secs(300),
            check_timeout: Duration::from_secs(30),
            retry_after: Duration::from_secs(600),
            every: Duration::from_secs(60),
        }
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PreflightStats {
    /// The token works.
    pub ok: u32,
    /// The network refused it: the account now needs reconnecting.
    pub needs_reconnect: u32,
    /// It could not be asked now: checked again later.
    pub retry: u32,
}

/// An account this worker claimed.
struct Claimed {
    /// This claim's lease id (`account_checks.lease_id`).
    lease: Uuid,
    /// When the lease runs out, by this worker's clock.
    until: Instant,
    account: Uuid,
    workspace: Uuid,
    network: Option<postiz_domain::Network>,
    reference: AccountRef,
    token: Option<Sealed>,
}

/// How one check ended.
enum Verdict {
    Ok,
    /// The account becomes this status (`needs_reconnect`, or `revoked` when a refresh was
    /// answered `invalid_grant`), for this reason.
    NeedsReconnect(&'static str, String),
    Retry(String, Duration),
}

impl PreflightAccounts {
    /// One round: claims up to `batch` due accounts and verifies each. Returns what it found.
    pub async fn round(&self) -> Result<PreflightStats, StoreError> {
        let mut stats = PreflightStats::default();
        if self.config.before.is_zero() {
            return Ok(stats);
        }
        for claimed in self.claim().await? {
            if Instant::now() >= claimed.until {
                // The batch took longer than the lease: another worker may hold it now.
                tracing::info!(account.id = %claimed.account, "pre-flight: lease ran out before this account's turn; left for the next round");
                continue;
            }
            let verdict = self.check(&claimed).await;
            match &verdict {
                Verdict::Ok => stats.ok += 1,
                Verdict::NeedsReconnect(..) => stats.needs_reconnect += 1,
                Verdict::Retry(..) => stats.retry += 1,
            }
            // One failed write must not stop the others: its lease runs out and it is checked again.
            if let Err(e) = self.record(&claimed, verdict).await {
                tracing::warn!(job = "preflight_account", account.id = %claimed.account, error = %e, "recording a check failed");
            }
        }
        Ok(stats)
    }

    /// Claims due accounts: those with a post scheduled within the window that were not checked
    /// since that post's window opened, nobody holds, and are not waiting out a transient
    /// failure. The upsert's `where` is evaluated against the row's latest version (after any
    /// concurrent claim commits), so two workers never both claim one account for one window.
    /// Rows are taken in account order, as `service_warn_expiring_tokens` takes them: locking
    /// them in another order (the posts' times) deadlocked against it.
    async fn claim(&self) -> Result<Vec<Claimed>, StoreError> {
        let client = self.store.pool().get().await?;
        let before = self.config.before.as_secs_f64();
        let lease = self.config.lease.as_secs_f64();
        let claimed_at = Instant::now();
        let rows = client
            .query(
                "with occurrences as (
                   -- A post's (first) occurrence.
                   select t.workspace_id, t.social_account_id, p.scheduled_at as due_at
                   from postiz.post_targets t
                   join postiz.posts p on p.workspace_id = t.workspace_id and p.id = t.post_id
                   where t.status in ('pending', 'queued') and p.status = 'scheduled'
                     and p.scheduled_at > now() and p.scheduled_at <= now() + make_interval(secs => $1::double precision)
                   union all
                   -- Each later occurrence of a recurring post: its schedule's next_run_at (the
                   -- ticker computes it when the one before fires), whatever the last one left
                   -- its targets as. Read from schedules_due_idx.
                   select t.workspace_id, t.social_account_id, s.next_run_at
                   from postiz.schedules s
                   join postiz.posts p on p.workspace_id = s.workspace_id and p.id = s.post_id
                   join postiz.post_targets t on t.workspace_id = p.workspace_id and t.post_id = p.id
                   where s.status = 'pending' and s.kind = 'recurring'
                     and s.next_run_at > now() and s.next_run_at <= now() + make_interval(secs => $1::double precision)
                     and p.status not in ('draft', 'pending_approval', 'canceled')
                 ),
                 due as (
                   select a.id, a.workspace_id,
                          max(o.due_at) - make_interval(secs => $1::double precision) as window_start
                   from occurrences o
                   join postiz.social_accounts a on a.workspace_id = o.workspace_id and a.id = o.social_account_id
                   left join postiz.account_checks k on k.social_account_id = a.id
                   where a.status = 'active'
                     and (k.checked_at is null or k.checked_at < o.due_at - make_interval(secs => $1::double precision))
                     and (k.lease_until is null or k.lease_until <= now())
                     and (k.retry_at is null or k.retry_at <= now())
                   group by a.id, a.workspace_id
                   order by min(o.due_at)
                   limit $2
                 ),
                 claimed as (
                   insert into postiz.account_checks as k (social_account_id, workspace_id, lease_until, lease_id, claimed_for)
                   select id, workspace_id, now() + make_interval(secs => $3::double precision), gen_random_uuid(), window_start
                   from due
                   order by id
                   on conflict (social_account_id) do update
                     set lease_until = excluded.lease_until, lease_id = excluded.lease_id, claimed_for = excluded.claimed_for
                     where (k.lease_until is null or k.lease_until <= now())
                       and (k.retry_at is null or k.retry_at <= now())
                       and (k.checked_at is null or k.checked_at < excluded.claimed_for)
                   returning k.social_account_id, k.lease_id
                 )
                 select x.lease_id, a.id, a.workspace_id, a.network, a.external_account_id, a.handle,
                        c.access_token_key_id, c.access_token_nonce, c.access_token_ciphertext, c.server_url
                 from claimed x
                 join postiz.social_accounts a on a.id = x.social_account_id
                 left join postiz.credentials c on c.social_account_id = a.id",
                &[&before, &self.config.batch, &lease],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| Claimed {
                lease: r.get("lease_id"),
                until: claimed_at + self.config.lease,
                account: r.get("id"),
                workspace: r.get("workspace_id"),
                network: r.get::<_, String>("network").parse().ok(),
                reference: AccountRef {
                    id: r.get("external_account_id"),
                    handle: r.get("handle"),
                    server: r.get::<_, Option<String>>("server_url").and_then(|s| s.parse().ok()),
                },
                token: Sealed::from_columns(r.get("access_token_key_id"), r.get("access_token_nonce"), r.get("access_token_ciphertext")),
            })
            .collect())
    }

    async fn check(&self, c: &Claimed) -> Verdict {
        let Some(network) = c.network else {
            return Verdict::Retry("this network is not known to this version of the scheduler".into(), self.config.retry_after);
        };
        let Some(provider) = self.registry.get(network) else {
            return Verdict::Retry(format!("{} is not enabled on this worker", network.display_name()), self.config.retry_after);
        };
        let Some(sealed) = &c.token else {
            return Verdict::NeedsReconnect("needs_reconnect", "the account has no stored sign-in".into());
        };
        let binding = Binding { workspace_id: c.workspace, social_account_id: c.account, field: Field::AccessToken };
        let token = match self.keyring.decrypt(sealed, &binding) {
            Ok(t) => t,
            // A key problem is ours to fix, not the user's: no status change.
            Err(e) => return Verdict::Retry(format!("the stored sign-in cannot be read ({e})"), self.config.retry_after),
        };
        let Ok(answer) = tokio::time::timeout(self.config.check_timeout, provider.verify(&token, &c.reference)).await else {
            return Verdict::Retry(
                format!("{} did not answer within {:?}", network.display_name(), self.config.check_timeout),
                self.config.retry_after,
            );
        };
        match answer {
            Ok(()) => Verdict::Ok,
            Err(ProviderError::Unauthorized { reason, .. }) => self.after_unauthorized(c, sealed, &reason).await,
            Err(e @ (ProviderError::RateLimited { .. } | ProviderError::Transient { .. })) => {
                let wait = e.retry_after().unwrap_or(self.config.retry_after).max(Duration::from_secs(1));
                Verdict::Retry(e.to_string(), wait)
            }
            Err(e) => Verdict::Retry(e.to_string(), self.config.retry_after),
        }
    }

    /// The network refused the token: refresh once where the account can (the token may just
    /// have expired), else it needs reconnecting.
    async fn after_unauthorized(&self, c: &Claimed, sealed: &Sealed, reason: &str) -> Verdict {
        let Some(tokens) = &self.tokens else {
            return Verdict::NeedsReconnect("needs_reconnect", reason.to_owned());
        };
        match tokens.after_unauthorized(c.account, &sealed.nonce).await {
            Ok(Refreshed::Refreshed(_) | Refreshed::Reused(_)) => Verdict::Ok,
            Ok(Refreshed::NotDue) => Verdict::NeedsReconnect("needs_reconnect", reason.to_owned()),
            Err(e) => match e.account_status() {
                Some(status) => Verdict::NeedsReconnect(status, format!("{reason}; renewing it failed: {e}")),
                None => {
                    Verdict::Retry(format!("the network refused the token and renewing it failed for now ({e})"), self.config.retry_after)
                }
            },
        }
    }

    /// Writes the verdict, if this worker still holds the lease (`lease_id` matches): a stale
    /// holder's write is dropped, and so is a pause decided on a token that is no longer the
    /// stored one (reconnected or renewed meanwhile: the account is checked again instead).
    async fn record(&self, c: &Claimed, verdict: Verdict) -> Result<(), StoreError> {
        let mut client = self.store.pool().get().await?;
        let tx = client.transaction().await?;
        let held = match verdict {
            Verdict::Ok => {
                tx.execute(
                    "update postiz.account_checks set checked_at = now(), outcome = 'ok', last_error = null,
                            lease_until = null, lease_id = null, retry_at = null
                     where social_account_id = $1 and lease_id = $2",
                    &[&c.account, &c.lease],
                )
                .await?
            }
            Verdict::NeedsReconnect(status, reason) => {
                // The account's row first, as save_connection locks it before the account_checks row; "no key"
                // (nothing here changes a key), so it does not conflict with the key-share lock a
                // notification about the account takes while the expiry warning holds account_checks.
                let stored: Option<Option<Vec<u8>>> = tx
                    .query_opt(
                        "select (select c.access_token_nonce from postiz.credentials c where c.social_account_id = a.id)
                         from postiz.social_accounts a where a.id = $1 for no key update",
                        &[&c.account],
                    )
                    .await?
                    .map(|r| r.get(0));
                let checked = c.token.as_ref().map(|t| t.nonce.clone());
                if stored.as_ref() != Some(&checked) {
                    let held = tx
                        .execute(
                            "update postiz.account_checks set outcome = 'retry', lease_until = null, lease_id = null, retry_at = now(),
                                    last_error = 'The sign-in changed while it was checked; checking it again.'
                             where social_account_id = $1 and lease_id = $2",
                            &[&c.account, &c.lease],
                        )
                        .await?;
                    tracing::info!(account.id = %c.account, "pre-flight: the token changed while it was checked; checking it again");
                    held
                } else {
                    let held = tx
                        .execute(
                            "update postiz.account_checks set checked_at = now(), outcome = 'needs_reconnect', last_error = left($3, 1000),
                                    lease_until = null, lease_id = null, retry_at = null
                             where social_account_id = $1 and lease_id = $2",
                            &[&c.account, &c.lease, &reason],
                        )
                        .await?;
                    if held == 1 {
                        let message = reconnect_message(status, &reason);
                        tx.execute(
                            "select postiz_private.service_pause_account($1, $4::text::postiz.account_status, $2,
                                                                         jsonb_build_object('reason', $3::text, 'source', 'preflight'))",
                            &[&c.account, &message, &reason, &status],
                        )
                        .await?;
                        tracing::info!(account.id = %c.account, reason = %reason, "pre-flight: the network refused the token");
                    }
                    held
                }
            }
            Verdict::Retry(reason, wait) => {
                let held = tx
                    .execute(
                        "update postiz.account_checks set outcome = 'retry', last_error = left($3, 1000), lease_until = null, lease_id = null,
                                retry_at = now() + make_interval(secs => $4::double precision)
                         where social_account_id = $1 and lease_id = $2",
                        &[&c.account, &c.lease, &reason, &wait.as_secs_f64()],
                    )
                    .await?;
                if held == 1 {
                    tracing::info!(account.id = %c.account, reason = %reason, "pre-flight: could not verify now; trying again later");
                }
                held
            }
        };
        if held == 0 {
            // Our lease ran out and another worker took the account (or a reconnection reset
            // it): its check is the one that counts.
            tracing::info!(account.id = %c.account, "pre-flight: lease lost before recording; this check is dropped");
            tx.rollback().await?;
            return Ok(());
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Job for PreflightAccounts {
    const NAME: &'static str = "preflight_account";
    /// The default cadence; [`PreflightConfig::every`] is what runs.
    const EVERY: Duration = Duration::from_secs(60);

    fn every(&self) -> Duration {
        self.config.every
    }

    async fn run_once(&self) -> anyhow::Result<u64> {
        let stats = self.round().await?;
        if stats != PreflightStats::default() {
            tracing::info!(?stats, "pre-flight round done");
        }
        let PreflightStats { ok, needs_reconnect, retry } = stats;
        Ok(u64::from(ok + needs_reconnect + retry))
    }
}
