use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How an evergreen pool chooses its next post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvergreenOrder {
    /// Round-robin in pool order: the least recently shared post, ties by position.
    InOrder,
    /// Weight × time since last share: heavier posts come back sooner, none starves.
    Weighted,
}

/// One post of an evergreen pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvergreenCandidate {
    /// Position in the pool (0-based).
    pub position: u32,
    /// Relative weight (≥ 1).
    pub weight: u32,
    /// When it last went out from this pool.
    pub last_shared_at: Option<DateTime<Utc>>,
}

/// Index of the candidate to share at `now`, or `None` when nothing may go out: every post
/// was shared less than `min_gap_per_post` ago, or the account posted from this pool less than
/// `min_gap_per_account` ago (`last_account_share`).
pub fn pick_evergreen(
    candidates: &[EvergreenCandidate],
    order: EvergreenOrder,
    now: DateTime<Utc>,
    min_gap_per_post: Duration,
    last_account_share: Option<DateTime<Utc>>,
    min_gap_per_account: Duration,
) -> Option<usize> {
    if last_account_share.is_some_and(|t| now - t < min_gap_per_account) {
        return None;
    }
    let eligible = candidates.iter().enumerate().filter(|(_, c)| c.last_shared_at.is_none_or(|t| now - t >= min_gap_per_post));
    match order {
        EvergreenOrder::InOrder => eligible.min_by_key(|(_, c)| (c.last_shared_at, c.position)).map(|(i, _)| i),
        EvergreenOrder::Weighted => eligible
            .max_by_key(|(_, c)| {
                // Never shared beats everything; then weight × age, ties to the earlier position.
                let age = c.last_shared_at.map_or(i64::MAX / 1024, |t| (now - t).num_seconds().max(0));
                (c.last_shared_at.is_none(), i128::from(age) * i128::from(c.weight.max(1)), std::cmp::Reverse(c.position))
            })
            .map(|(i, _)| i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap()
    }

    fn c(position: u32, weight: u32, last: Option<i64>) -> EvergreenCandidate {
        EvergreenCandidate { position, weight, last_shared_at: last.map(at) }
    }

    #[test]
    fn in_order_rotates_through_the_pool() {
        let pool = [c(0, 1, Some(5)), c(1, 1, None), c(2, 1, Some(3))];
        assert_eq!(pick_evergreen(&pool, EvergreenOrder::InOrder, at(10), Duration::hours(1), None, Duration::zero()), Some(1));
        let pool = [c(0, 1, Some(5)), c(1, 1, Some(6)), c(2, 1, Some(3))];
        assert_eq!(pick_evergreen(&pool, EvergreenOrder::InOrder, at(10), Duration::hours(1), None, Duration::zero()), Some(2));
    }

    #[test]
    fn gaps_per_post_and_per_account_hold_back() {
        let pool = [c(0, 1, Some(9)), c(1, 1, Some(8))];
        assert_eq!(pick_evergreen(&pool, EvergreenOrder::InOrder, at(10), Duration::hours(3), None, Duration::zero()), None);
        assert_eq!(pick_evergreen(&pool, EvergreenOrder::InOrder, at(10), Duration::hours(2), None, Duration::zero()), Some(1));
        assert_eq!(
            pick_evergreen(&pool, EvergreenOrder::InOrder, at(10), Duration::hours(1), Some(at(9)), Duration::hours(4)),
            None,
            "the account shared an hour ago"
        );
    }

    #[test]
    fn weighted_prefers_heavier_posts_without_starving_light_ones() {
        let pool = [c(0, 1, Some(0)), c(1, 5, Some(8))];
        // age 10h × 1 = 10 vs age 2h × 5 = 10: tie → earlier position.
        assert_eq!(pick_evergreen(&pool, EvergreenOrder::Weighted, at(10), Duration::zero(), None, Duration::zero()), Some(0));
        let pool = [c(0, 1, Some(2)), c(1, 5, Some(8))];
        assert_eq!(pick_evergreen(&pool, EvergreenOrder::Weighted, at(10), Duration::zero(), None, Duration::zero()), Some(1));
        let pool = [c(0, 1, Some(2)), c(1, 5, Some(8)), c(2, 1, None)];
        assert_eq!(pick_evergreen(&pool, EvergreenOrder::Weighted, at(10), Duration::zero(), None, Duration::zero()), Some(2));
    }
}
