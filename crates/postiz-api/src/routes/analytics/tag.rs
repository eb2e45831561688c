//! `GET /workspaces/{ws}/analytics/tags/{id}?from&to`: what a tag's posts (a campaign) gained,
//! by day and in total. Summed at read time from `analytics_daily`, because a post's tags
//! change after its numbers arrive.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use super::overview::{Day, RangeQuery};
use super::{Range, Values, open_range};
use crate::access::user_tx;
use crate::auth::AuthUser;
use crate::input::{Ids, Params};
use crate::{ApiError, AppState};

/// A tag's analytics.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TagAnalytics {
    /// Tag id.
    pub tag_id: Uuid,
    /// Tag name.
    pub name: String,
    /// The range.
    pub range: Range,
    /// Posts carrying the tag now.
    pub posts: i64,
    /// Gains in the range by metric.
    #[schema(value_type = Object)]
    pub totals: Values,
    /// Every day of the range.
    pub series: Vec<Day>,
}

/// `GET /workspaces/{ws}/analytics/tags/{id}` (any member).
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, tag)): Ids<(Uuid, Uuid)>,
    Params(q): Params<RangeQuery>,
) -> Result<Json<TagAnalytics>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let range = open_range(&tx, ws, q.from, q.to).await?;
    let head = tx
        .query_opt(
            "select t.name, (select count(*) from postiz.post_tags pt where pt.workspace_id = t.workspace_id and pt.tag_id = t.id)
             from postiz.tags t where t.workspace_id = $1 and t.id = $2",
            &[&ws, &tag],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    let rows = tx
        .query(
            "select d.day, d.metric::text, sum(d.gain)::bigint
             from postiz.post_tags pt
             join postiz.post_targets t on t.workspace_id = pt.workspace_id and t.post_id = pt.post_id
             join postiz.analytics_daily d on d.subject_id = t.id
             where pt.workspace_id = $1 and pt.tag_id = $2 and d.day between $3 and $4
             group by d.day, d.metric",
            &[&ws, &tag, &range.from, &range.to],
        )
        .await?;
    tx.commit().await?;
    let mut by_day: BTreeMap<NaiveDate, Values> = BTreeMap::new();
    let mut totals = Values::new();
    for r in &rows {
        let (day, metric, gain): (NaiveDate, String, i64) = (r.get(0), r.get(1), r.get(2));
        *totals.entry(metric.clone()).or_default() += gain;
        by_day.entry(day).or_default().insert(metric, gain);
    }
    Ok(Json(TagAnalytics {
        tag_id: tag,
        name: head.get(0),
        posts: head.get(1),
        totals,
        series: range.each_day().map(|day| Day { day, values: by_day.remove(&day).unwrap_or_default() }).collect(),
        range,
    }))
}
