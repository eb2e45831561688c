//! Scripted and random faults for publish calls.

use serde::{Deserialize, Serialize};

/// One fault, applied to one publish call.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Fault {
    /// Answer with this status instead of creating the post (e.g. 429, 500, 503).
    pub status: Option<u16>,
    /// `Retry-After` seconds to send with the status.
    pub retry_after: Option<u64>,
    /// Wait this long before answering.
    pub delay_ms: Option<u64>,
    /// Never answer (until the server stops).
    pub hang: bool,
    /// Record the post first, then apply the fault: the post exists but the client may not
    /// hear about it (the `OutcomeUnknown` case).
    pub after_commit: bool,
}

impl Fault {
    /// An HTTP status.
    pub fn status(status: u16) -> Self {
        Self { status: Some(status), ..Self::default() }
    }

    /// 429 with `Retry-After`.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self { status: Some(429), retry_after: Some(retry_after_secs), ..Self::default() }
    }

    /// A delay before answering normally.
    pub fn slow(delay_ms: u64) -> Self {
        Self { delay_ms: Some(delay_ms), ..Self::default() }
    }

    /// No answer at all.
    pub fn hang() -> Self {
        Self { hang: true, ..Self::default() }
    }

    /// Applies the fault after the post is recorded.
    pub fn after_commit(mut self) -> Self {
        self.after_commit = true;
        self
    }
}

/// Random faults with fixed probabilities, reproducible from `seed`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultMix {
    /// Seed of the generator.
    pub seed: u64,
    /// Probability of a 429 (with `Retry-After: 1`).
    pub rate_limited: f64,
    /// Probability of a 503.
    pub server_error: f64,
    /// Probability of a delay of `delay_ms`.
    pub slow: f64,
    /// Probability of a hang after the post is recorded.
    pub hang: f64,
    /// Delay for slow answers.
    pub delay_ms: u64,
}

/// splitmix64: tiny, seedable, good enough to pick faults.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

impl FaultMix {
    pub(crate) fn pick(&self, rng: &mut Rng) -> Option<Fault> {
        let r = rng.next_f64();
        let mut edge = self.rate_limited;
        if r < edge {
            return Some(Fault::rate_limited(1));
        }
        edge += self.server_error;
        if r < edge {
            return Some(Fault::status(503));
        }
        edge += self.slow;
        if r < edge {
            return Some(Fault::slow(self.delay_ms));
        }
        edge += self.hang;
        if r < edge {
            return Some(Fault::hang().after_commit());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_picks_the_same_faults() {
        let mix = FaultMix { seed: 7, rate_limited: 0.3, server_error: 0.3, ..FaultMix::default() };
        let picks = |seed| {
            let mut rng = Rng::new(seed);
            (0..50).map(|_| mix.pick(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(picks(7), picks(7));
        let faults = picks(7).into_iter().flatten().count();
        assert!((15..=45).contains(&faults), "about 60% faults, got {faults}/50");
    }
}
