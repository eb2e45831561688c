//! `GET /workspaces/{ws}/analytics/overview?from&to`: totals for the range with the change
//! against the range before it, a series by day, a breakdown by network, and how fresh the
//! numbers are. Read from `analytics_rollups` (a few rows per day), so it costs the same for a
//! workspace with ten posts or two hundred thousand.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Freshness, METRICS, Range, Reported, Values, open_range, reported};
use crate::access::user_tx;
use crate::auth::AuthUser;
use crate::input::{Ids, Params};
use crate::{ApiError, AppState};

/// Query of the overview.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RangeQuery {
    /// First day (YYYY-MM-DD, the workspace's zone; default: 29 days before `to`).
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last day, included (default: today).
    #[serde(default)]
    pub to: Option<NaiveDate>,
}

/// Query of the overview: a range, and how its series is grouped.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// First day (YYYY-MM-DD, the workspace's zone; default: 29 days before `to`).
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last day, included (default: today).
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// `day` (default), `week` (ISO weeks, from Monday) or `month`.
    #[serde(default)]
    pub granularity: Option<Granularity>,
}

/// How a series is grouped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Granularity {
    /// One point a day.
    #[default]
    Day,
    /// One point per ISO week (the week's Monday).
    Week,
    /// One point per calendar month (its first day).
    Month,
}

impl Granularity {
    /// The first day of the period `day` falls in.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        use chrono::Datelike;
        match self {
            Granularity::Day => day,
            Granularity::Week => day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday())),
            Granularity::Month => day.with_day(1).unwrap_or(day),
        }
    }
}

/// One metric's total.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Total {
    /// Metric name.
    pub metric: String,
    /// Gained in the range (for followers: net growth).
    pub value: i64,
    /// Gained in the range before.
    pub previous: i64,
    /// Change in percent; null when the previous range had nothing.
    pub change_pct: Option<f64>,
}

/// One day's gains.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Day {
    /// The day.
    pub day: NaiveDate,
    /// Gains by metric (metrics with no gain that day are absent).
    #[schema(value_type = Object)]
    pub values: Values,
}

/// One network's totals.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NetworkTotals {
    /// Network wire name.
    pub network: String,
    /// Gains in the range by metric.
    #[schema(value_type = Object)]
    pub values: Values,
}

/// One account's freshness.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountFreshness {
    /// Account id.
    pub account_id: Uuid,
    /// Network.
    pub network: String,
    /// Handle.
    pub handle: Option<String>,
    /// The account's name as the network shows it.
    pub display_name: Option<String>,
    /// Its own numbers' reads (followers, …).
    pub freshness: Option<Freshness>,
    /// Posts of this account whose reads stopped on an error (gone, paused).
    pub posts_stopped: i64,
}

/// The overview.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Overview {
    /// The range.
    pub range: Range,
    /// The range compared against.
    pub previous: Range,
    /// Totals of every metric with data in either range, in vocabulary order.
    pub totals: Vec<Total>,
    /// How `series` is grouped.
    pub granularity: Granularity,
    /// Every day (week, month) of the range; a point's `day` is the period's first day (the
    /// first and last periods may be partly outside the range: only days inside count).
    pub series: Vec<Day>,
    /// Per network.
    pub networks: Vec<NetworkTotals>,
    /// When any number of the workspace was last read.
    pub updated_at: Option<DateTime<Utc>>,
    /// Per connected account.
    pub accounts: Vec<AccountFreshness>,
    /// What each connected network reports (a metric not listed is "not reported" there).
    pub reported: Vec<Reported>,
}

/// `GET /workspaces/{ws}/analytics/overview` (any member).
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    Params(q): Params<OverviewQuery>,
) -> Result<Json<Overview>, ApiError> {
    let granularity = q.granularity.unwrap_or_default();
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let range = open_range(&tx, ws, q.from, q.to).await?;
    let previous = range.previous();
    let rows = tx.query(postiz_db::analytics::OVERVIEW_ROLLUPS, &[&ws, &previous.from, &range.to]).await?;
    let fresh = tx
        .query(
            "select a.id, a.network, a.handle, w.state::text, w.last_fetched_at, w.next_fetch_at, w.last_error,
                    (select count(*) from postiz.analytics_watches p
                     where p.workspace_id = a.workspace_id and p.social_account_id = a.id and p.target_id is not null
                       and p.state in ('gone', 'paused')),
                    a.display_name
             from postiz.social_accounts a
             left join postiz.analytics_watches w on w.social_account_id = a.id and w.target_id is null
             where a.workspace_id = $1
             order by a.network, a.handle",
            &[&ws],
        )
        .await?;
    let updated_at: Option<DateTime<Utc>> =
        tx.query_one("select max(last_fetched_at) from postiz.analytics_watches where workspace_id = $1", &[&ws]).await?.get(0);
    tx.commit().await?;

    let mut now: BTreeMap<String, i64> = BTreeMap::new();
    let mut before: BTreeMap<String, i64> = BTreeMap::new();
    let mut by_day: BTreeMap<NaiveDate, Values> = BTreeMap::new();
    let mut by_network: BTreeMap<String, Values> = BTreeMap::new();
    for r in &rows {
        let (scope, key, metric, day, gain): (String, String, String, NaiveDate, i64) = (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4));
        let current = day >= range.from;
        match scope.as_str() {
            "workspace" if current => {
                *now.entry(metric.clone()).or_default() += gain;
                *by_day.entry(day).or_default().entry(metric).or_default() += gain;
            }
            "workspace" => *before.entry(metric).or_default() += gain,
            _ if current => *by_network.entry(key).or_default().entry(metric).or_default() += gain,
            _ => {}
        }
    }
    let totals = METRICS
        .iter()
        .filter(|m| now.contains_key(**m) || before.contains_key(**m))
        .map(|m| {
            let (value, previous) = (now.get(*m).copied().unwrap_or(0), before.get(*m).copied().unwrap_or(0));
            #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
            let change_pct = (previous != 0).then(|| ((value - previous) as f64 / previous.abs() as f64 * 1000.0).round() / 10.0);
            Total { metric: (*m).to_owned(), value, previous, change_pct }
        })
        .collect();
    let mut periods: BTreeMap<NaiveDate, Values> = range.each_day().map(|d| (granularity.start_of(d), Values::new())).collect();
    for (day, values) in by_day {
        let period = periods.entry(granularity.start_of(day)).or_default();
        for (metric, gain) in values {
            *period.entry(metric).or_default() += gain;
        }
    }
    let series = periods.into_iter().map(|(day, values)| Day { day, values }).collect();
    let networks = by_network.into_iter().map(|(network, values)| NetworkTotals { network, values }).collect();
    let accounts = fresh
        .iter()
        .map(|r| AccountFreshness {
            account_id: r.get(0),
            network: r.get(1),
            handle: r.get(2),
            display_name: r.get(8),
            freshness: Freshness::from_row(r, 3),
            posts_stopped: r.get(7),
        })
        .collect();
    let mut connected: Vec<String> = fresh.iter().map(|r| r.get::<_, String>(1)).collect();
    connected.dedup();
    let reported = connected.iter().map(|n| reported(&state.registry, n)).collect();
    Ok(Json(Overview { range, previous, totals, granularity, series, networks, updated_at, accounts, reported }))
}
