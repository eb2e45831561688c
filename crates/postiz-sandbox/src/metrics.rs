//! Numbers that sandbox posts and the sandbox account gain over time: deterministic (seeded by
//! the post id and its age), growing quickly at first and then levelling off, so ingestion,
//! rollups and charts can be tested offline and show something plausible in `cargo xtask run`.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A post's counters at one moment, named as the sandbox's API names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PostMetrics {
    /// Times shown.
    pub impressions: u64,
    /// Likes.
    pub likes: u64,
    /// Reposts.
    pub reposts: u64,
    /// Replies.
    pub replies: u64,
    /// Quote posts.
    pub quotes: u64,
}

/// The account's counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AccountMetrics {
    /// Followers.
    pub followers: u64,
    /// Accounts followed.
    pub following: u64,
    /// Posts made.
    pub posts: u64,
}

/// FNV-1a: a stable seed from a post id (no dependency on the std hasher's randomness).
fn seed(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// How far along its curve a post is after `age_secs`: 0 at publishing, half after 6 hours,
/// close to 1 after two days.
fn progress(age_secs: i64) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "ages are far below 2^52 seconds")]
    let hours = age_secs.max(0) as f64 / 3600.0;
    hours / (hours + 6.0)
}

#[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "non-negative and far below u64::MAX")]
fn scaled(cap: u64, p: f64) -> u64 {
    #[expect(clippy::cast_precision_loss, reason = "caps are small")]
    let v = (cap as f64 * p).floor();
    v as u64
}

/// The counters of post `id` published at `created`, as seen at `now`.
pub fn post_metrics(id: &str, created: DateTime<Utc>, now: DateTime<Utc>) -> PostMetrics {
    let s = seed(id);
    let p = progress((now - created).num_seconds());
    let impressions_cap = 500 + s % 9_500;
    let likes_cap = impressions_cap / (8 + (s >> 16) % 12);
    PostMetrics {
        impressions: scaled(impressions_cap, p),
        likes: scaled(likes_cap, p),
        reposts: scaled(likes_cap / (3 + (s >> 24) % 5), p),
        replies: scaled(likes_cap / (4 + (s >> 32) % 6), p),
        quotes: scaled(likes_cap / (10 + (s >> 40) % 10), p),
    }
}

/// The sandbox account's counters at `now`: a slow, steady growth from 1,000 followers.
pub fn account_metrics(posts: u64, now: DateTime<Utc>) -> AccountMetrics {
    let days = u64::try_from(now.timestamp().max(0) / 86_400).unwrap_or(0);
    AccountMetrics { followers: 1_000 + days % 10_000 * 3, following: 180 + days % 97, posts }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_deterministic_and_only_grow() {
        let created = DateTime::parse_from_rfc3339("2026-05-01T12:00:00Z").unwrap().with_timezone(&Utc);
        let at = |h: i64| post_metrics("p-42", created, created + chrono::Duration::hours(h));
        assert_eq!(at(0), PostMetrics { impressions: 0, likes: 0, reposts: 0, replies: 0, quotes: 0 });
        assert_eq!(at(6), at(6), "the same post at the same age has the same numbers");
        let mut last = at(0);
        for h in [1, 6, 24, 72, 720] {
            let now = at(h);
            assert!(now.impressions >= last.impressions && now.likes >= last.likes && now.reposts >= last.reposts);
            last = now;
        }
        assert!(last.impressions > 0 && last.likes > 0);
        assert_ne!(post_metrics("p-43", created, created + chrono::Duration::hours(24)), at(24), "another post, other numbers");
    }
}
