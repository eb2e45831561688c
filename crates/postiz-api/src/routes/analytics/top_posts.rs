//! `GET /workspaces/{ws}/analytics/top-posts?from&to&metric&limit`: the posts published in the
//! range with the highest latest value of a metric, added up over their targets.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Range, Values, check_metric, open_range};
use crate::access::user_tx;
use crate::auth::AuthUser;
use crate::input::{Ids, Params};
use crate::{ApiError, AppState};

/// Query of top posts.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TopPostsQuery {
    /// First day of publishing (default: 29 days before `to`).
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last day of publishing, included (default: today).
    #[serde(default)]
    pub to: Option<NaiveDate>,
    /// The metric to rank by (default `likes`).
    #[serde(default)]
    pub metric: Option<String>,
    /// 1-100 (default 10).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// One post of the ranking.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopPost {
    /// Post id.
    pub post_id: Uuid,
    /// The first 280 characters.
    pub content_preview: String,
    /// When it was first published.
    pub published_at: Option<DateTime<Utc>>,
    /// Networks it went to.
    pub networks: Vec<String>,
    /// The ranking metric's value.
    pub value: i64,
    /// Every metric's latest value, added up over its targets.
    #[schema(value_type = Object)]
    pub values: Values,
}

/// The ranking.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopPosts {
    /// The range of publishing days.
    pub range: Range,
    /// The metric ranked by.
    pub metric: String,
    /// Highest first.
    pub posts: Vec<TopPost>,
}

/// `GET /workspaces/{ws}/analytics/top-posts` (any member).
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    Params(q): Params<TopPostsQuery>,
) -> Result<Json<TopPosts>, ApiError> {
    let metric = q.metric.unwrap_or_else(|| "likes".into());
    check_metric("metric", &metric)?;
    let limit = q.limit.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request("bad_query", "limit: choose between 1 and 100"));
    }
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let range = open_range(&tx, ws, q.from, q.to).await?;
    let rows = tx.query(postiz_db::analytics::TOP_POSTS, &[&ws, &range.from, &range.to, &range.time_zone, &metric, &limit]).await?;
    tx.commit().await?;
    let posts = rows
        .iter()
        .map(|r| TopPost {
            post_id: r.get(0),
            content_preview: r.get(1),
            value: r.get(2),
            published_at: r.get(3),
            networks: r.get::<_, Option<Vec<String>>>(4).unwrap_or_default(),
            values: serde_json::from_value(r.get(5)).unwrap_or_default(),
        })
        .collect();
    Ok(Json(TopPosts { range, metric, posts }))
}
