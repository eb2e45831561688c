//! How long a job waits before its next attempt.

use std::time::Duration;

use rand::Rng;

/// Retry policy for transient failures and rate limits. Written down here and tested:
/// at most `max_attempts` attempts in total, then the job fails with its last error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included.
    pub max_attempts: i32,
    /// Wait after the first failure; doubles with every further one.
    pub base: Duration,
    /// Longest wait between two attempts.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    /// 6 attempts: waits of about 5 s, 10 s, 20 s, 40 s, 80 s (each ±25 %), ~2.5 min in all —
    /// long enough to ride out a network's short outage, short enough that a post scheduled
    /// for a moment is not published an hour late.
    fn default() -> Self {
        Self { max_attempts: 6, base: Duration::from_secs(5), cap: Duration::from_secs(300) }
    }
}

impl RetryPolicy {
    /// True when attempt number `attempt` (1-based) was the last one allowed.
    pub fn exhausted(&self, attempt: i32) -> bool {
        attempt >= self.max_attempts
    }

    /// Wait before the attempt after `attempt`, with ±25 % jitter so that jobs failing together
    /// do not come back together. A network's own `Retry-After` replaces the backoff (at least one second).
    pub fn delay(&self, attempt: i32, retry_after: Option<Duration>) -> Duration {
        let exp = u32::try_from(attempt.saturating_sub(1).clamp(0, 20)).unwrap_or(0);
        let raw = self.base.saturating_mul(2u32.saturating_pow(exp)).min(self.cap);
        let jitter = rand::rng().random_range(0.75..=1.25);
        let backoff = raw.mul_f64(jitter).min(self.cap);
        retry_after.map_or(backoff, |ra| ra.max(Duration::from_secs(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_jitter_and_stop_at_the_cap() {
        let p = RetryPolicy::default();
        for (attempt, nominal) in [(1, 5.0), (2, 10.0), (3, 20.0), (4, 40.0), (5, 80.0)] {
            let d = p.delay(attempt, None).as_secs_f64();
            assert!((nominal * 0.75..=nominal * 1.25).contains(&d), "attempt {attempt}: {d}");
        }
        assert!(p.delay(30, None) <= p.cap);
    }

    #[test]
    fn retry_after_from_the_network_is_honoured() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, Some(Duration::from_secs(900))), Duration::from_secs(900));
        // A shorter Retry-After than our backoff: the network's word is enough.
        assert_eq!(p.delay(5, Some(Duration::from_secs(2))), Duration::from_secs(2));
    }

    #[test]
    fn the_cap_on_attempts_is_six() {
        let p = RetryPolicy::default();
        assert!(!p.exhausted(5));
        assert!(p.exhausted(6));
    }
}
