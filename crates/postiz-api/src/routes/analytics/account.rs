//! `GET /workspaces/{ws}/analytics/accounts/{id}?from&to`: an account's growth curve (followers,
//! following, posts: the last value of each day with data) and the gains of its posts by day.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::overview::{Day, RangeQuery};
use super::{Freshness, Range, Values, open_range};
use crate::access::user_tx;
use crate::auth::AuthUser;
use crate::input::{Ids, Params};
use crate::{ApiError, AppState};

/// One day of the account's own numbers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Level {
    /// The day.
    pub day: NaiveDate,
    /// The last value read that day, by metric.
    #[schema(value_type = Object)]
    pub values: Values,
}

/// An account's analytics.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountAnalytics {
    /// Account id.
    pub account_id: Uuid,
    /// Network.
    pub network: String,
    /// Handle.
    pub handle: Option<String>,
    /// The account's name as the network shows it.
    pub display_name: Option<String>,
    /// The range.
    pub range: Range,
    /// Days with a reading of the account's own numbers (the growth curve).
    pub levels: Vec<Level>,
    /// Every day of the range: what the account's posts (and follower counts) gained.
    pub gains: Vec<Day>,
    /// How fresh the account's own numbers are.
    pub freshness: Option<Freshness>,
}

/// `GET /workspaces/{ws}/analytics/accounts/{id}` (any member).
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, account)): Ids<(Uuid, Uuid)>,
    Params(q): Params<RangeQuery>,
) -> Result<Json<AccountAnalytics>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let range = open_range(&tx, ws, q.from, q.to).await?;
    let head = tx
        .query_opt(
            "select a.network, a.handle, w.state::text, w.last_fetched_at, w.next_fetch_at, w.last_error, a.display_name
             from postiz.social_accounts a
             left join postiz.analytics_watches w on w.social_account_id = a.id and w.target_id is null
             where a.workspace_id = $1 and a.id = $2",
            &[&ws, &account],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    let levels = tx.query(postiz_db::analytics::ACCOUNT_LEVELS, &[&ws, &account, &range.from, &range.to]).await?;
    let gains = tx.query(postiz_db::analytics::ACCOUNT_GAINS, &[&ws, &account, &range.from, &range.to]).await?;
    tx.commit().await?;
    let mut by_day: BTreeMap<NaiveDate, Values> = BTreeMap::new();
    for r in &levels {
        by_day.entry(r.get(0)).or_default().insert(r.get(1), r.get(2));
    }
    let mut gained: BTreeMap<NaiveDate, Values> = BTreeMap::new();
    for r in &gains {
        gained.entry(r.get(0)).or_default().insert(r.get(1), r.get(2));
    }
    Ok(Json(AccountAnalytics {
        account_id: account,
        network: head.get(0),
        handle: head.get(1),
        display_name: head.get(6),
        levels: by_day.into_iter().map(|(day, values)| Level { day, values }).collect(),
        gains: range.each_day().map(|day| Day { day, values: gained.remove(&day).unwrap_or_default() }).collect(),
        freshness: Freshness::from_row(&head, 2),
        range,
    }))
}
