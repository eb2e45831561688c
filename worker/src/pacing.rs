//! Per-account and per-network pacing, decided before a job is claimed.
//!
//! A job whose account must wait is not claimed: its message is hidden again until the account
//! may post (`set_vt`), so a hot account with a backlog never holds a worker slot that a cold
//! account could use.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use postiz_domain::Network;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use uuid::Uuid;

/// A network's published posting limit per account, as a token bucket, and how many requests
/// to it may be in flight at once across all accounts.
#[derive(Debug, Clone, Copy)]
pub struct NetworkLimits {
    /// Posts allowed per `per`.
    pub posts: u32,
    /// The window of `posts`.
    pub per: Duration,
    /// Posts that may go out back to back.
    pub burst: u32,
    /// Concurrent publish calls to this network from one worker.
    pub concurrency: usize,
}

/// Limits per network, from each network's documentation (conservative where tiers differ).
pub fn limits_for(network: Network) -> NetworkLimits {
    let (posts, per_secs, burst, concurrency) = match network {
        // X API v2: POST /2/tweets 100 per 15 min per user (Basic); we keep half.
        Network::X => (50, 900, 5, 10),
        // LinkedIn: about 150 member posts per day.
        Network::LinkedIn | Network::LinkedInPage => (150, 86_400, 5, 2),
        // Bluesky: 5,000 points/hour per account, a record costs 3.
        Network::Bluesky => (1_000, 3_600, 30, 4),
        // Mastodon: 300 statuses per 3 hours per account.
        Network::Mastodon => (300, 10_800, 30, 5),
        // Instagram: 50 API-published posts per 24 hours per account.
        Network::Instagram => (50, 86_400, 5, 4),
        // Threads: 250 posts per 24 hours per profile.
        Network::Threads => (250, 86_400, 10, 2),
        // Discord webhooks: 30 messages per minute per channel.
        Network::Discord => (30, 60, 5, 5),
        // Slack chat.postMessage: about one message per second per channel.
        Network::Slack => (60, 60, 3, 3),
        // Telegram: 20 messages per minute to one group.
        Network::Telegram => (20, 60, 5, 3),
        // TikTok: video/init 6 requests per minute per token, and a daily cap per creator that
        // TikTok does not publish (about 15 posts a day is what creators report); we keep 15.
        Network::TikTok => (15, 86_400, 3, 4),
        // YouTube: a project gets 10,000 quota units a day and an upload costs 1,600, so six
        // uploads a day for the whole project; per channel we allow six, and a spent quota
        // answers quotaExceeded, which waits until it resets.
        Network::YouTube => (6, 86_400, 2, 2),
        // Nostr relays limit per connection and key, undocumented and per relay (strfry and
        // nostr-rs-relay default to a few events per second); a note a minute is far inside.
        Network::Nostr => (60, 3_600, 10, 2),
        // Forem limits published articles per user in a short window (a community setting,
        // answered with 429 and Retry-After); long-form articles are rare, ten an hour is plenty.
        Network::DevTo => (10, 3_600, 2, 1),
        // The local sandbox is ours: effectively unlimited, for demos and benchmarks.
        Network::Sandbox => (1_000_000, 1, 1_000_000, 1_000),
        // Others (Facebook pages and the second wave): a modest default.
        _ => (100, 3_600, 10, 4),
    };
    NetworkLimits { posts, per: Duration::from_secs(per_secs), burst, concurrency }
}

/// Limits for reading numbers (analytics), per account, kept apart from the posting budget so
/// that reads never spend what a publish needs; `posts` counts requests here. From each
/// network's documented read limits, conservative where tiers differ.
pub fn read_limits_for(network: Network) -> NetworkLimits {
    let (requests, per_secs, burst, concurrency) = match network {
        // X API v2 post lookup (GET /2/tweets): 15 requests per 15 minutes per user on the
        // lowest paid tier; up to 100 ids per request.
        Network::X => (15, 900, 3, 4),
        // LinkedIn: analytics calls share the member's daily application limit; keep it low.
        Network::LinkedIn | Network::LinkedInPage => (100, 86_400, 5, 2),
        // Bluesky AppView: 3,000 requests per 5 minutes per client; we take a fraction.
        Network::Bluesky => (600, 300, 20, 4),
        // Mastodon: 300 requests per 5 minutes per account (all endpoints).
        Network::Mastodon => (100, 300, 10, 4),
        // Graph API (Facebook, Instagram, Threads): about 200 calls per user per hour.
        Network::Facebook | Network::Instagram | Network::Threads => (100, 3_600, 10, 4),
        Network::Sandbox => (1_000_000, 1, 1_000_000, 1_000),
        _ => (60, 3_600, 5, 2),
    };
    NetworkLimits { posts: requests, per: Duration::from_secs(per_secs), burst, concurrency }
}

/// Which budget a request spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Budget {
    Publish,
    Read,
}

impl Budget {
    fn limits(self, network: Network) -> NetworkLimits {
        match self {
            Budget::Publish => limits_for(network),
            Budget::Read => read_limits_for(network),
        }
    }
}

/// Why a job may not start now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The account's bucket is empty or the network told us to wait.
    Account(Duration),
    /// The account already has a job in flight (posts of one account go out one at a time).
    Busy,
}

/// One token bucket per account, for one network and budget.
type AccountBuckets = DefaultKeyedRateLimiter<Uuid>;

/// Decides whether a job may start and holds what it occupies while it runs.
#[derive(Debug, Default)]
pub struct Pacer {
    buckets: Mutex<HashMap<(Network, Budget), Arc<AccountBuckets>>>,
    blocked_until: Mutex<HashMap<Uuid, Instant>>,
    in_flight: Mutex<HashMap<Uuid, ()>>,
    network_slots: Mutex<HashMap<(Network, Budget), Arc<Semaphore>>>,
}

/// Held while a job runs: frees the account and the network slot on drop.
#[derive(Debug)]
pub struct Admission {
    pacer: Arc<Pacer>,
    account: Uuid,
    _slot: OwnedSemaphorePermit,
}

impl Drop for Admission {
    fn drop(&mut self) {
        if let Ok(mut m) = self.pacer.in_flight.lock() {
            m.remove(&self.account);
        }
    }
}

impl Pacer {
    /// May a job of `account` on `network` start now? On success the account's bucket is
    /// charged and a network slot is held until the returned `Admission` drops. Never waits:
    /// the reader loop must not stall behind one busy account or network.
    pub fn admit(self: &Arc<Self>, network: Network, account: Uuid) -> Result<Admission, Wait> {
        self.admit_for(Budget::Publish, network, account)
    }

    /// [`Self::admit`] for reading numbers: the account's read budget ([`read_limits_for`]),
    /// never its posting budget; one request per account at a time and `Retry-After` blocks
    /// are shared with publishing.
    pub fn admit_read(self: &Arc<Self>, network: Network, account: Uuid) -> Result<Admission, Wait> {
        self.admit_for(Budget::Read, network, account)
    }

    fn admit_for(self: &Arc<Self>, budget: Budget, network: Network, account: Uuid) -> Result<Admission, Wait> {
        let now = Instant::now();
        if let Some(until) = self.blocked_until.lock().ok().and_then(|m| m.get(&account).copied())
            && until > now
        {
            return Err(Wait::Account(until - now));
        }
        let mut in_flight = self.in_flight.lock().map_err(|_| Wait::Busy)?;
        if in_flight.contains_key(&account) {
            return Err(Wait::Busy);
        }
        let slot = self.slots(budget, network).try_acquire_owned().map_err(|_| Wait::Busy)?;
        if let Err(not_until) = self.bucket(budget, network).check_key(&account) {
            return Err(Wait::Account(not_until.wait_time_from(DefaultClock::default().now())));
        }
        in_flight.insert(account, ());
        Ok(Admission { pacer: Arc::clone(self), account, _slot: slot })
    }

    /// The network said "wait": nothing for this account starts before `retry_after` passes.
    pub fn block(&self, account: Uuid, retry_after: Duration) {
        if let Ok(mut m) = self.blocked_until.lock() {
            let until = Instant::now() + retry_after;
            let entry = m.entry(account).or_insert(until);
            *entry = (*entry).max(until);
        }
    }

    fn bucket(&self, budget: Budget, network: Network) -> Arc<AccountBuckets> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(buckets.entry((network, budget)).or_insert_with(|| {
            let l = budget.limits(network);
            let period = l.per / l.posts.max(1);
            let burst = NonZeroU32::new(l.burst.max(1)).unwrap_or(NonZeroU32::MIN);
            let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                .allow_burst(burst);
            Arc::new(governor::RateLimiter::keyed(quota))
        }))
    }

    fn slots(&self, budget: Budget, network: Network) -> Arc<Semaphore> {
        let mut slots = self.network_slots.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(slots.entry((network, budget)).or_insert_with(|| Arc::new(Semaphore::new(budget.limits(network).concurrency))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_job_per_account_at_a_time() {
        let pacer = Arc::new(Pacer::default());
        let a = Uuid::from_u128(1);
        let held = pacer.admit(Network::Mastodon, a).unwrap();
        assert_eq!(pacer.admit(Network::Mastodon, a).unwrap_err(), Wait::Busy);
        assert!(pacer.admit(Network::Mastodon, Uuid::from_u128(2)).is_ok(), "other accounts go ahead");
        drop(held);
        assert!(pacer.admit(Network::Mastodon, a).is_ok());
    }

    #[test]
    fn empty_bucket_says_how_long_to_wait() {
        let pacer = Arc::new(Pacer::default());
        let a = Uuid::from_u128(7);
        // X allows a burst of 5, then one post per 18 s.
        for _ in 0..5 {
            drop(pacer.admit(Network::X, a).unwrap());
        }
        match pacer.admit(Network::X, a).unwrap_err() {
            Wait::Account(d) => assert!(d > Duration::from_secs(10) && d <= Duration::from_secs(18), "{d:?}"),
            other => panic!("{other:?}"),
        }
        assert!(pacer.admit(Network::X, Uuid::from_u128(8)).is_ok(), "a cold account is not held back");
    }

    #[test]
    fn reading_numbers_never_spends_the_posting_budget() {
        let pacer = Arc::new(Pacer::default());
        let a = Uuid::from_u128(11);
        // X's read budget: a burst of 3 lookups, then one per minute.
        for _ in 0..3 {
            drop(pacer.admit_read(Network::X, a).unwrap());
        }
        assert!(matches!(pacer.admit_read(Network::X, a).unwrap_err(), Wait::Account(d) if d > Duration::from_secs(30)));
        // The posting budget is untouched: a burst of 5 posts still goes.
        for _ in 0..5 {
            drop(pacer.admit(Network::X, a).unwrap());
        }
        // A Retry-After from either blocks both.
        pacer.block(a, Duration::from_secs(60));
        assert!(matches!(pacer.admit_read(Network::Mastodon, a).unwrap_err(), Wait::Account(_)));
    }

    #[test]
    fn retry_after_blocks_the_account() {
        let pacer = Arc::new(Pacer::default());
        let a = Uuid::from_u128(9);
        pacer.block(a, Duration::from_secs(60));
        assert!(matches!(pacer.admit(Network::Bluesky, a).unwrap_err(), Wait::Account(d) if d > Duration::from_secs(55)));
    }
}
