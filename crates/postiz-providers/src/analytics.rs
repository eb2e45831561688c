//! Post and account metrics, in one vocabulary for every network.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use postiz_domain::Network;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::Refusal;
use crate::publish::AccountRef;
use crate::{Provider, ProviderError};

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

/// The stable name of a number, whatever the network calls it.
///
/// | name | what it counts | networks' own names folded into it |
/// |---|---|---|
/// | `impressions` | times the post was shown (not unique) | X `impression_count`, LinkedIn `impressionCount`/`IMPRESSION` |
/// | `reach` | unique accounts that saw it | LinkedIn `uniqueImpressionsCount`/`MEMBERS_REACHED`, Meta `reach`, Facebook `post_total_media_view_unique` |
/// | `views` | plays or displays, as the network counts "views" | Meta `views`, Facebook `post_media_view` |
/// | `likes` | favourites, reactions | X `like_count`, Mastodon `favourites_count`, Facebook reactions |
/// | `comments` | replies | X `reply_count`, Bluesky `replyCount`, Threads `replies` |
/// | `shares` | reposts, retweets, reblogs, reshares | X `retweet_count`, Bluesky `repostCount`, Mastodon `reblogs_count`, Threads `reposts` + `shares` |
/// | `quotes` | quote posts | X `quote_count`, Bluesky `quoteCount`, Threads `quotes` |
/// | `saves` | bookmarks, saves | X `bookmark_count`, Bluesky `bookmarkCount`, Instagram `saved` |
/// | `clicks` | clicks on the post or its links | X `url_link_clicks`, LinkedIn `clickCount`, Facebook `post_clicks` |
/// | `profile_views` | visits to the author's profile from the post | X `user_profile_clicks` |
/// | `followers`, `following`, `posts` | account counters | |
///
/// Not `#[non_exhaustive]` on purpose: whoever stores or shows metrics should have to decide
/// what to do with a new one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricName {
    /// Times shown.
    Impressions,
    /// Unique accounts reached.
    Reach,
    /// Plays or displays.
    Views,
    /// Likes, favourites, reactions.
    Likes,
    /// Comments, replies.
    Comments,
    /// Reposts, retweets, reblogs, reshares.
    Shares,
    /// Quote posts.
    Quotes,
    /// Saves, bookmarks.
    Saves,
    /// Clicks.
    Clicks,
    /// Profile visits from the post.
    ProfileViews,
    /// Accounts following this one.
    Followers,
    /// Accounts this one follows.
    Following,
    /// Posts the account has published.
    Posts,
}

impl MetricName {
    /// Every name, in a stable order.
    pub const ALL: [MetricName; 13] = [
        Self::Impressions,
        Self::Reach,
        Self::Views,
        Self::Likes,
        Self::Comments,
        Self::Shares,
        Self::Quotes,
        Self::Saves,
        Self::Clicks,
        Self::ProfileViews,
        Self::Followers,
        Self::Following,
        Self::Posts,
    ];

    /// The name as stored and serialized (`profile_views`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Impressions => "impressions",
            Self::Reach => "reach",
            Self::Views => "views",
            Self::Likes => "likes",
            Self::Comments => "comments",
            Self::Shares => "shares",
            Self::Quotes => "quotes",
            Self::Saves => "saves",
            Self::Clicks => "clicks",
            Self::ProfileViews => "profile_views",
            Self::Followers => "followers",
            Self::Following => "following",
            Self::Posts => "posts",
        }
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name outside the vocabulary.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a metric name")]
pub struct UnknownMetric(pub String);

impl FromStr for MetricName {
    type Err = UnknownMetric;

    /// Reads exactly the names [`MetricName::as_str`] writes; network names are mapped by
    /// the adapters, not here.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| UnknownMetric(s.to_owned()))
    }
}

/// Metrics as reported by the network: the normalized numbers, and the network's own.
///
/// A metric the network did not report (not offered for this post, or not readable with this
/// token) is absent from `metrics`, never zero.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analytics {
    /// When the numbers were read.
    pub fetched_at: DateTime<Utc>,
    /// The numbers, at most one per name.
    pub metrics: Vec<Metric>,
    /// The network's own numbers as received (the metric fields of its answer, under its
    /// own names; never tokens or paging links), to keep beside the normalized ones.
    pub raw: Value,
}

/// One number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metric {
    /// Stable name.
    pub name: MetricName,
    /// Value.
    pub value: u64,
}

impl Analytics {
    /// Numbers read now. `None`s are dropped; a name given twice keeps its first value.
    pub(crate) fn now(raw: Value, metrics: impl IntoIterator<Item = (MetricName, Option<u64>)>) -> Self {
        let mut out: Vec<Metric> = Vec::new();
        for (name, value) in metrics {
            if let Some(value) = value
                && !out.iter().any(|m| m.name == name)
            {
                out.push(Metric { name, value });
            }
        }
        Self { fetched_at: Utc::now(), metrics: out, raw }
    }

    /// The value of a metric, if the network reported it.
    pub fn get(&self, name: MetricName) -> Option<u64> {
        self.metrics.iter().find(|m| m.name == name).map(|m| m.value)
    }
}

/// One answer per asked-for post id, in the order asked.
pub type PerPost = Vec<(String, Result<Analytics, ProviderError>)>;

/// Asks for each post alone: the default `Provider::post_analytics_many`, and the fallback of
/// batching adapters when a whole batch was refused (one bad id refuses them all on some
/// networks). A post's own refusal (`Rejected`: deleted, not readable) is its answer; any
/// other error (rate limit, credentials, outage) ends the call and is the outer error.
pub(crate) async fn one_at_a_time<P: Provider + ?Sized>(
    provider: &P,
    token: &SecretString,
    account: &AccountRef,
    ids: &[String],
) -> Result<PerPost, ProviderError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        match provider.analytics(token, account, &AnalyticsQuery::Post { id: id.clone() }).await {
            Ok(a) => out.push((id.clone(), Ok(a))),
            Err(e @ ProviderError::Rejected { .. }) => out.push((id.clone(), Err(e))),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The per-post answer for a post the network no longer returns (deleted, or hidden from this
/// account), worded for a person.
pub(crate) fn gone(network: Network, detail: Option<&str>) -> ProviderError {
    let name = network.display_name();
    let reason = match detail.map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => format!("This post no longer exists on {name}, so its numbers can no longer be read ({})", d.trim_end_matches('.')),
        None => format!("This post no longer exists on {name}, so its numbers can no longer be read"),
    };
    ProviderError::Rejected { network, reason }
}

/// The answers of a batching adapter, put back in the order (and multiplicity) asked; an id
/// with no answer is gone.
pub(crate) fn in_order(
    network: Network,
    ids: &[String],
    answers: &std::collections::HashMap<String, Result<Analytics, ProviderError>>,
) -> PerPost {
    ids.iter()
        .map(|id| {
            let answer = match answers.get(id) {
                Some(Ok(a)) => Ok(a.clone()),
                // Per-post answers are only ever `Rejected`; rebuilt because errors don't clone.
                Some(Err(e)) => Err(match e {
                    ProviderError::Rejected { network, reason } => ProviderError::Rejected { network: *network, reason: reason.clone() },
                    other => ProviderError::Rejected { network: other.network(), reason: other.to_string() },
                }),
                None => Err(gone(network, None)),
            };
            (id.clone(), answer)
        })
        .collect()
}

/// The one answer of a batch asked for a single post.
pub(crate) fn single(network: Network, answers: PerPost) -> Result<Analytics, ProviderError> {
    answers.into_iter().next().map_or_else(|| Err(gone(network, None)), |(_, a)| a)
}

/// The per-post answer when the network refused to read a post: 401/403 mean this
/// connection may not read it; anything else (400, 404, 410: an id the network no longer
/// knows) means it is gone. Meta answers both with code 100 / subcode 33 ("does not exist,
/// cannot be loaded due to missing permissions"), which reads as gone.
pub(crate) fn refused_post(network: Network, refusal: &Refusal) -> ProviderError {
    let detail = refusal.message.as_deref();
    match refusal.status.as_u16() {
        401 | 403 => ProviderError::Rejected {
            network,
            reason: format!(
                "{} does not let this connection read this post's numbers{}; reconnect the account and grant the permission to read insights",
                network.display_name(),
                detail.map(|d| format!(" ({})", d.trim_end_matches('.'))).unwrap_or_default()
            ),
        },
        _ => gone(network, detail),
    }
}

/// Unique ids in first-seen order (batch requests ask for each id once).
pub(crate) fn unique(ids: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(id.clone());
        }
    }
    out
}

/// Copies the listed top-level fields of `v` that are present: the metric part of an answer.
pub(crate) fn pick(v: &Value, keys: &[&str]) -> Value {
    let mut out = serde_json::Map::new();
    for k in keys {
        if let Some(x) = v.get(*k).filter(|x| !x.is_null()) {
            out.insert((*k).to_owned(), x.clone());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_serialize_as_their_str_and_parse_back() {
        for m in MetricName::ALL {
            assert_eq!(serde_json::to_value(m).expect("serialize"), Value::String(m.as_str().to_owned()));
            assert_eq!(m.as_str().parse::<MetricName>(), Ok(m));
            assert_eq!(m.to_string(), m.as_str());
        }
        assert_eq!("profile_views".parse::<MetricName>(), Ok(MetricName::ProfileViews));
        assert!("reposts".parse::<MetricName>().is_err(), "network names are not vocabulary");
    }

    #[test]
    fn missing_numbers_are_absent_not_zero_and_the_first_value_wins() {
        let a = Analytics::now(Value::Null, [(MetricName::Likes, Some(3)), (MetricName::Clicks, None), (MetricName::Likes, Some(9))]);
        assert_eq!(a.get(MetricName::Likes), Some(3));
        assert_eq!(a.get(MetricName::Clicks), None);
        assert_eq!(a.metrics.len(), 1);
    }

    #[test]
    fn gone_is_a_rejection_a_person_can_read() {
        let e = gone(Network::X, Some("Could not find tweet with ids: [1]."));
        let ProviderError::Rejected { reason, .. } = &e else { panic!("{e:?}") };
        assert!(reason.starts_with("This post no longer exists on X"), "{reason}");
        assert!(reason.ends_with("[1])"), "{reason}");
    }
}
