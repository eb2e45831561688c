//! `GET /workspaces/{ws}/analytics/best-time?from&to`: when the workspace's own posts did best,
//! by weekday and hour of publishing in the workspace's zone. Engagement is likes, comments,
//! shares, quotes and saves (latest values); the rate is engagement per impression where the
//! networks report impressions, else engagement per post. With fewer than
//! [`MIN_POSTS`] posts with numbers the answer says so and gives a plain starting point.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use uuid::Uuid;

use super::overview::RangeQuery;
use super::{ENGAGEMENT, Range, open_range};
use crate::access::user_tx;
use crate::auth::AuthUser;
use crate::input::{Ids, Params};
use crate::{ApiError, AppState};

/// Posts with numbers needed before the heatmap is worth reading.
pub const MIN_POSTS: i64 = 20;

/// One weekday × hour cell.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Cell {
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub weekday: i32,
    /// Hour of the day, 0-23.
    pub hour: i32,
    /// Posts published then that have numbers (the sample size).
    pub posts: i64,
    /// Their engagement, added up.
    pub engagement: i64,
    /// Their impressions, added up (0 when the networks report none).
    pub impressions: i64,
    /// Engagement per post.
    pub engagement_per_post: f64,
    /// Engagement per impression, in percent; null without impressions.
    pub engagement_rate_pct: Option<f64>,
}

/// The heatmap.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BestTime {
    /// The range of publishing days.
    pub range: Range,
    /// Posts with numbers in the range.
    pub sample_size: i64,
    /// Whether there is enough history to trust the cells.
    pub enough_data: bool,
    /// What to do meanwhile, when there is not.
    pub fallback: Option<String>,
    /// Cells with at least one post, best first (by rate, else per post).
    pub cells: Vec<Cell>,
}

/// `GET /workspaces/{ws}/analytics/best-time` (any member).
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    Params(q): Params<RangeQuery>,
) -> Result<Json<BestTime>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let range = open_range(&tx, ws, q.from, q.to).await?;
    let engagement: Vec<String> = ENGAGEMENT.iter().map(|m| (*m).to_owned()).collect();
    let rows = tx.query(postiz_db::analytics::BEST_TIME, &[&ws, &range.from, &range.to, &range.time_zone, &engagement]).await?;
    tx.commit().await?;
    #[expect(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    let mut cells: Vec<Cell> = rows
        .iter()
        .map(|r| {
            let (posts, engagement, impressions): (i64, i64, i64) = (r.get(2), r.get(3), r.get(4));
            Cell {
                weekday: r.get(0),
                hour: r.get(1),
                posts,
                engagement,
                impressions,
                engagement_per_post: (engagement as f64 / posts as f64 * 10.0).round() / 10.0,
                engagement_rate_pct: (impressions > 0).then(|| (engagement as f64 / impressions as f64 * 10_000.0).round() / 100.0),
            }
        })
        .collect();
    cells.sort_by(|a, b| {
        let key = |c: &Cell| (c.engagement_rate_pct.unwrap_or(-1.0), c.engagement_per_post);
        key(b).partial_cmp(&key(a)).unwrap_or(std::cmp::Ordering::Equal).then((a.weekday, a.hour).cmp(&(b.weekday, b.hour)))
    });
    let sample_size = cells.iter().map(|c| c.posts).sum();
    let enough_data = sample_size >= MIN_POSTS;
    let fallback = (!enough_data).then(|| {
        format!(
            "Only {sample_size} published post(s) with numbers in this period; after {MIN_POSTS} this shows when yours do best. \
             Until then, weekday mornings (9–11) and early evenings (18–20) in your audience's zone are a common place to start."
        )
    });
    Ok(Json(BestTime { range, sample_size, enough_data, fallback, cells }))
}
