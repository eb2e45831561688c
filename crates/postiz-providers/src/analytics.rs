//! Post and account metrics.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// What to fetch metrics for.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnalyticsQuery {
    /// One published post, by its id.
    Post {
        /// The post's id as returned in `RemotePost::id`.
        id: String,
    },
    /// The account as a whole.
    Account,
}

/// Metrics as reported by the network, with stable names (`likes`, `reposts`, `replies`,
/// `quotes`, `impressions`, `comments`, `followers`, `following`, `posts`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Analytics {
    /// When the numbers were read.
    pub fetched_at: DateTime<Utc>,
    /// The numbers.
    pub metrics: Vec<Metric>,
}

/// One number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Metric {
    /// Stable name.
    pub name: &'static str,
    /// Value.
    pub value: u64,
}

impl Analytics {
    pub(crate) fn now(metrics: impl IntoIterator<Item = (&'static str, Option<u64>)>) -> Self {
        Self {
            fetched_at: Utc::now(),
            metrics: metrics
                .into_iter()
                .filter_map(|(name, v)| v.map(|value| Metric { name, value }))
                .collect(),
        }
    }

    /// The value of a metric by name.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.metrics.iter().find(|m| m.name == name).map(|m| m.value)
    }
}
