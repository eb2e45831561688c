//! Analytics: what the workspace's posts and accounts gathered, read from the snapshots the
//! worker records (`ingest_analytics`) and the rollups triggers keep (`analytics_daily`,
//! `analytics_rollups`). Every read runs as the caller under RLS; a plan without analytics
//! answers 403 `analytics_not_in_plan` (and RLS shows no rows).
//!
//! Days are the workspace's time zone's; `from` and `to` are dates, both included.

pub mod account;
pub mod best_time;
pub mod export;
pub mod overview;
pub mod post;
pub mod tag;
pub mod top_posts;

use chrono::{Duration, NaiveDate, Utc};
use serde::Serialize;
use tokio_postgres::Transaction;
use uuid::Uuid;

use crate::ApiError;
use crate::access::{Role, require_role};

/// The normalized vocabulary, in display order. A metric a network does not report is
/// unsupported for it (absent), which is not the same as zero.
pub const METRICS: [&str; 13] = [
    "impressions",
    "reach",
    "views",
    "likes",
    "comments",
    "shares",
    "quotes",
    "saves",
    "clicks",
    "profile_views",
    "followers",
    "following",
    "posts",
];

/// Metrics that count as engagement (best time to post, engagement rate).
pub const ENGAGEMENT: [&str; 5] = ["likes", "comments", "shares", "quotes", "saves"];

/// The widest range one request may cover.
pub const MAX_RANGE_DAYS: i64 = 366;

/// A range of workspace days.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Range {
    /// First day (included).
    pub from: NaiveDate,
    /// Last day (included).
    pub to: NaiveDate,
    /// The workspace's IANA zone the days are in.
    pub time_zone: String,
}

impl Range {
    /// Days in the range.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The range of the same length just before this one.
    pub fn previous(&self) -> Range {
        let len = Duration::days(self.days());
        Range { from: self.from - len, to: self.to - len, time_zone: self.time_zone.clone() }
    }

    /// Every day of the range, in order.
    pub fn each_day(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|d| *d <= self.to)
    }
}

/// Checks the caller may read analytics of `ws` (any member, a plan with analytics) and
/// resolves `from`/`to` (default: the last 30 days up to today in the workspace's zone).
pub(crate) async fn open_range(tx: &Transaction<'_>, ws: Uuid, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Result<Range, ApiError> {
    require_role(tx, ws, Role::Viewer).await?;
    let row = tx
        .query_one(
            "select w.time_zone, p.analytics_enabled, (now() at time zone w.time_zone)::date
             from postiz.workspaces w join postiz.plans p on p.code = w.plan where w.id = $1",
            &[&ws],
        )
        .await?;
    if !row.get::<_, bool>(1) {
        return Err(ApiError::forbidden_because("analytics_not_in_plan", "Analytics are not part of this workspace's plan."));
    }
    let today: NaiveDate = row.get(2);
    let to = to.unwrap_or(today);
    let from = from.unwrap_or(to - Duration::days(29));
    if from > to {
        return Err(ApiError::bad_request("bad_range", "from: the first day must not be after the last day (to)"));
    }
    if (to - from).num_days() + 1 > MAX_RANGE_DAYS {
        return Err(ApiError::bad_request("range_too_large", format!("choose at most {MAX_RANGE_DAYS} days; ask for several ranges")));
    }
    crate::occurrences::check_horizon("from", from.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc())?;
    crate::occurrences::check_horizon("to", to.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc())?;
    Ok(Range { from, to, time_zone: row.get(0) })
}

/// Refuses a metric name outside the vocabulary, naming `field`.
pub(crate) fn check_metric(field: &str, metric: &str) -> Result<(), ApiError> {
    if METRICS.contains(&metric) {
        Ok(())
    } else {
        Err(ApiError::bad_request("bad_query", format!("{field}: {metric:?} is not one of {}", METRICS.join(", "))))
    }
}

/// How fresh one subject's numbers are, and why they stopped if they did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Freshness {
    /// `active`, `done` (the cadence is over), `gone` (removed on the network), `unsupported`,
    /// or `paused` (the account must be reconnected).
    pub state: String,
    /// When the numbers were last read.
    pub last_fetched_at: Option<chrono::DateTime<Utc>>,
    /// When they will be read next (null when no more reads are planned).
    pub next_fetch_at: Option<chrono::DateTime<Utc>>,
    /// Why the last read failed or reads stopped, worded for the reader.
    pub last_error: Option<String>,
}

impl Freshness {
    pub(crate) fn from_row(r: &tokio_postgres::Row, at: usize) -> Option<Self> {
        Some(Freshness {
            state: r.get::<_, Option<String>>(at)?,
            last_fetched_at: r.get(at + 1),
            next_fetch_at: r.get(at + 2),
            last_error: r.get(at + 3),
        })
    }
}

/// What a network reports: the metrics its adapter declares (anything else is "not
/// reported" there, shown differently from zero).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Reported {
    /// Network wire name.
    pub network: String,
    /// Metrics reported for posts.
    pub post_metrics: Vec<String>,
    /// Metrics reported for the account itself.
    pub account_metrics: Vec<String>,
}

/// What `network` reports, from its adapter's capabilities (nothing for a network this
/// deployment does not know).
pub(crate) fn reported(registry: &postiz_providers::Registry, network: &str) -> Reported {
    let caps = network.parse::<postiz_providers::Network>().ok().and_then(|n| registry.get(n)).map(|p| p.capabilities());
    let names = |list: Option<&[postiz_providers::MetricName]>| list.unwrap_or(&[]).iter().map(|m| m.as_str().to_owned()).collect();
    Reported {
        network: network.to_owned(),
        post_metrics: names(caps.as_ref().map(|c| c.post_metrics)),
        account_metrics: names(caps.as_ref().map(|c| c.account_metrics)),
    }
}

/// Values by metric name (only the metrics that have a value).
pub type Values = std::collections::BTreeMap<String, i64>;
