//! `GET /workspaces/{ws}/posts/{id}/analytics`: every target of a post with its latest numbers,
//! its snapshots since publishing (a time series per metric), and how fresh they are.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{Freshness, Values, open_range, reported};
use crate::access::user_tx;
use crate::auth::AuthUser;
use crate::input::Ids;
use crate::{ApiError, AppState};

/// One reading of a target's numbers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Reading {
    /// When the numbers were read.
    pub observed_at: DateTime<Utc>,
    /// The numbers read (metrics the network does not report are absent).
    #[schema(value_type = Object)]
    pub values: Values,
}

/// One target's numbers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TargetAnalytics {
    /// Target id.
    pub target_id: Uuid,
    /// Account id.
    pub account_id: Uuid,
    /// Network.
    pub network: String,
    /// Account handle.
    pub handle: Option<String>,
    /// The account's name as the network shows it.
    pub display_name: Option<String>,
    /// The post on the network.
    pub external_url: Option<String>,
    /// When it was published.
    pub published_at: Option<DateTime<Utc>>,
    /// The latest value of each metric.
    #[schema(value_type = Object)]
    pub latest: Values,
    /// Every reading, oldest first.
    pub series: Vec<Reading>,
    /// How fresh the numbers are (null for a target not published).
    pub freshness: Option<Freshness>,
    /// The metrics this network reports for posts (others are "not reported", not zero).
    pub reported: Vec<String>,
}

/// A post's numbers.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PostAnalytics {
    /// The post.
    pub post_id: Uuid,
    /// The latest values added up over the targets.
    #[schema(value_type = Object)]
    pub totals: Values,
    /// Per target.
    pub targets: Vec<TargetAnalytics>,
}

/// `GET /workspaces/{ws}/posts/{id}/analytics` (any member).
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, post)): Ids<(Uuid, Uuid)>,
) -> Result<Json<PostAnalytics>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    open_range(&tx, ws, None, None).await?;
    let targets = tx
        .query(
            "select t.id, a.id, a.network, a.handle, t.external_url, t.published_at,
                    w.state::text, w.last_fetched_at, w.next_fetch_at, w.last_error, a.display_name
             from postiz.post_targets t
             join postiz.social_accounts a on a.workspace_id = t.workspace_id and a.id = t.social_account_id
             left join postiz.analytics_watches w on w.social_account_id = t.social_account_id and w.target_id = t.id
             where t.workspace_id = $1 and t.post_id = $2
             order by a.network, a.handle",
            &[&ws, &post],
        )
        .await?;
    if targets.is_empty() && tx.query_opt("select 1 from postiz.posts where workspace_id = $1 and id = $2", &[&ws, &post]).await?.is_none()
    {
        return Err(ApiError::not_found());
    }
    let ids: Vec<Uuid> = targets.iter().map(|r| r.get(0)).collect();
    let events = tx.query(postiz_db::analytics::TARGET_READINGS, &[&ws, &ids]).await?;
    tx.commit().await?;

    let mut readings: BTreeMap<Uuid, BTreeMap<DateTime<Utc>, Values>> = BTreeMap::new();
    for e in &events {
        let (target, at, metric, value): (Uuid, DateTime<Utc>, String, i64) = (e.get(0), e.get(1), e.get(2), e.get(3));
        readings.entry(target).or_default().entry(at).or_default().insert(metric, value);
    }
    let mut totals = Values::new();
    let targets = targets
        .iter()
        .map(|r| {
            let id: Uuid = r.get(0);
            let series: Vec<Reading> =
                readings.remove(&id).unwrap_or_default().into_iter().map(|(observed_at, values)| Reading { observed_at, values }).collect();
            let mut latest = Values::new();
            for reading in &series {
                latest.extend(reading.values.iter().map(|(k, v)| (k.clone(), *v)));
            }
            for (k, v) in &latest {
                *totals.entry(k.clone()).or_default() += v;
            }
            TargetAnalytics {
                target_id: id,
                account_id: r.get(1),
                network: r.get(2),
                handle: r.get(3),
                display_name: r.get(10),
                external_url: r.get(4),
                published_at: r.get(5),
                latest,
                series,
                freshness: Freshness::from_row(r, 6),
                reported: reported(&state.registry, &r.get::<_, String>(2)).post_metrics,
            }
        })
        .collect();
    Ok(Json(PostAnalytics { post_id: post, totals, targets }))
}
