//! `GET /workspaces/{ws}/analytics/export?kind&format&from&to`: the workspace's numbers as CSV
//! or JSON, streamed. Rows are read in pages of [`PAGE`] by keyset (each page its own short
//! transaction as the caller, under RLS), written out and dropped, so a million rows never sit
//! in memory and no transaction stays open while a slow client downloads. Pages are read one
//! after the other, so a row that changes during a long download may be seen in its newer
//! state; rows are never repeated or skipped (the keys are unique and ordered).
//!
//! Kinds:
//! - `daily`: per post target (or account) and day: level (last value) and gain;
//! - `snapshots`: every reading as recorded (hourly at most);
//! - `posts`: one row per post published in the range, with each metric's latest value.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use futures_util::stream;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{METRICS, Range, open_range};
use crate::access::user_tx;
use crate::auth::AuthUser;
use crate::input::{Ids, Params};
use crate::{ApiError, AppState};

/// Rows per page.
pub const PAGE: i64 = 2000;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Per subject and day.
    Daily,
    /// Every reading.
    Snapshots,
    /// Per post.
    Posts,
}

/// In which format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Comma-separated, a header line first.
    Csv,
    /// One JSON array of objects.
    Json,
}

/// Query of the export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `daily`, `snapshots` or `posts`.
    pub kind: Kind,
    /// `csv` (default) or `json`.
    #[serde(default)]
    pub format: Option<Format>,
    /// First day (default: 29 days before `to`).
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Last day, included (default: today).
    #[serde(default)]
    pub to: Option<NaiveDate>,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Daily => "daily",
            Kind::Snapshots => "snapshots",
            Kind::Posts => "posts",
        }
    }

    fn columns(self) -> Vec<&'static str> {
        match self {
            Kind::Daily => vec!["day", "network", "account_id", "handle", "post_id", "target_id", "metric", "level", "gain"],
            Kind::Snapshots => vec!["observed_at", "network", "account_id", "handle", "post_id", "target_id", "metric", "value"],
            Kind::Posts => {
                let mut c = vec!["post_id", "published_at", "networks", "content_preview"];
                c.extend(METRICS);
                c
            }
        }
    }
}

/// Where the next page starts (the last row's key).
#[derive(Debug, Clone)]
enum Cursor {
    Start,
    Daily(NaiveDate, Uuid, String),
    Id(i64),
    Post(Uuid),
    Done,
}

struct Export {
    state: AppState,
    user: AuthUser,
    ws: Uuid,
    range: Range,
    kind: Kind,
    format: Format,
    cursor: Cursor,
    rows_written: u64,
}

/// `GET /workspaces/{ws}/analytics/export` (any member).
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    Params(q): Params<ExportQuery>,
) -> Result<Response, ApiError> {
    // Access, plan and range are checked before the first byte, so refusals keep their status.
    let range = {
        let mut client = state.pool.get().await?;
        let tx = user_tx(&mut client, &user).await?;
        let range = open_range(&tx, ws, q.from, q.to).await?;
        tx.commit().await?;
        range
    };
    let format = q.format.unwrap_or(Format::Csv);
    let filename =
        format!("analytics-{}-{}-{}.{}", q.kind.name(), range.from, range.to, if format == Format::Csv { "csv" } else { "json" });
    let export = Export { state, user, ws, range, kind: q.kind, format, cursor: Cursor::Start, rows_written: 0 };
    let body = stream::unfold(export, |mut e| async move {
        if matches!(e.cursor, Cursor::Done) {
            return None;
        }
        match e.next_page().await {
            Ok(bytes) => Some((Ok::<Bytes, std::io::Error>(bytes), e)),
            Err(err) => {
                tracing::error!(error.code = err.code(), workspace.id = %e.ws, "analytics export stopped");
                e.cursor = Cursor::Done;
                Some((Err(std::io::Error::other("the export stopped; try again")), e))
            }
        }
    });
    let mut response = Body::from_stream(body).into_response();
    let headers = response.headers_mut();
    let content_type = if format == Format::Csv { "text/csv; charset=utf-8" } else { "application/json" };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

impl Export {
    /// Reads one page and renders it (with the header or opening bracket first, the closing
    /// bracket last).
    async fn next_page(&mut self) -> Result<Bytes, ApiError> {
        let first = matches!(self.cursor, Cursor::Start);
        let rows = self.read().await?;
        let last_page = i64::try_from(rows.len()).unwrap_or(i64::MAX) < PAGE;
        let mut out = Vec::with_capacity(rows.len() * 96);
        match self.format {
            Format::Csv => {
                let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(&mut out);
                if first {
                    w.write_record(self.kind.columns()).map_err(|e| ApiError::internal(&e))?;
                }
                for row in &rows {
                    w.write_record(row.iter().map(cell)).map_err(|e| ApiError::internal(&e))?;
                }
                w.flush().map_err(|e| ApiError::internal(&e))?;
            }
            Format::Json => {
                if first {
                    out.push(b'[');
                }
                let columns = self.kind.columns();
                for row in &rows {
                    if self.rows_written > 0 {
                        out.push(b',');
                    }
                    let object: Map<String, Value> = columns.iter().map(|c| (*c).to_owned()).zip(row.iter().cloned()).collect();
                    serde_json::to_writer(&mut out, &object).map_err(|e| ApiError::internal(&e))?;
                    self.rows_written += 1;
                }
                if last_page {
                    out.push(b']');
                }
            }
        }
        if last_page {
            self.cursor = Cursor::Done;
        }
        Ok(Bytes::from(out))
    }

    /// One page of rows as JSON values in column order; moves the cursor.
    async fn read(&mut self) -> Result<Vec<Vec<Value>>, ApiError> {
        let mut client = self.state.pool.get().await?;
        let tx = user_tx(&mut client, &self.user).await?;
        let (ws, from, to, tz) = (&self.ws, &self.range.from, &self.range.to, &self.range.time_zone);
        let out = match (self.kind, &self.cursor) {
            (Kind::Daily, cursor) => {
                let (day, subject, metric) = match cursor {
                    Cursor::Daily(d, s, m) => (Some(*d), Some(*s), Some(m.clone())),
                    _ => (None, None, None),
                };
                let rows = tx
                    .query(
                        "select d.day, a.network, d.social_account_id, a.handle, t.post_id, d.target_id, d.metric::text,
                                d.level::bigint, d.gain::bigint, d.subject_id
                         from postiz.analytics_daily d
                         join postiz.social_accounts a on a.id = d.social_account_id
                         left join postiz.post_targets t on t.id = d.target_id
                         where d.workspace_id = $1 and d.day between $2 and $3
                           and ($4::date is null or (d.day, d.subject_id, d.metric) > ($4, $5, $6::text::postiz.analytics_metric))
                         order by d.day, d.subject_id, d.metric
                         limit $7",
                        &[ws, from, to, &day, &subject, &metric, &PAGE],
                    )
                    .await?;
                if let Some(last) = rows.last() {
                    self.cursor = Cursor::Daily(last.get(0), last.get(9), last.get(6));
                }
                rows.iter()
                    .map(|r| {
                        vec![
                            json!(r.get::<_, NaiveDate>(0)),
                            json!(r.get::<_, String>(1)),
                            json!(r.get::<_, Uuid>(2)),
                            json!(r.get::<_, Option<String>>(3)),
                            json!(r.get::<_, Option<Uuid>>(4)),
                            json!(r.get::<_, Option<Uuid>>(5)),
                            json!(r.get::<_, String>(6)),
                            json!(r.get::<_, i64>(7)),
                            json!(r.get::<_, i64>(8)),
                        ]
                    })
                    .collect()
            }
            (Kind::Snapshots, cursor) => {
                let after = match cursor {
                    Cursor::Id(id) => *id,
                    _ => 0,
                };
                let rows = tx
                    .query(
                        "select e.id, e.observed_at, a.network, e.social_account_id, a.handle, t.post_id, e.target_id, e.metric::text, e.value::bigint
                         from postiz.analytics_events e
                         join postiz.social_accounts a on a.id = e.social_account_id
                         left join postiz.post_targets t on t.id = e.target_id
                         where e.workspace_id = $1 and e.id > $2
                           and e.bucket_start >= ($3::date::timestamp at time zone $5)
                           and e.bucket_start < (($4::date + 1)::timestamp at time zone $5)
                         order by e.id
                         limit $6",
                        &[ws, &after, from, to, tz, &PAGE],
                    )
                    .await?;
                if let Some(last) = rows.last() {
                    self.cursor = Cursor::Id(last.get(0));
                }
                rows.iter()
                    .map(|r| {
                        vec![
                            json!(r.get::<_, chrono::DateTime<chrono::Utc>>(1)),
                            json!(r.get::<_, String>(2)),
                            json!(r.get::<_, Uuid>(3)),
                            json!(r.get::<_, Option<String>>(4)),
                            json!(r.get::<_, Option<Uuid>>(5)),
                            json!(r.get::<_, Option<Uuid>>(6)),
                            json!(r.get::<_, String>(7)),
                            json!(r.get::<_, i64>(8)),
                        ]
                    })
                    .collect()
            }
            (Kind::Posts, cursor) => {
                let after = match cursor {
                    Cursor::Post(id) => Some(*id),
                    _ => None,
                };
                let rows = tx
                    .query(
                        "with posts as (
                           select distinct t.post_id from postiz.post_targets t
                           where t.workspace_id = $1 and t.status = 'published'
                             and t.published_at >= ($2::date::timestamp at time zone $4)
                             and t.published_at < (($3::date + 1)::timestamp at time zone $4)
                             and ($5::uuid is null or t.post_id > $5)
                           order by t.post_id limit $6
                         ),
                         latest as (
                           select distinct on (d.subject_id, d.metric) t.post_id, d.metric::text as metric, d.level
                           from posts p join postiz.post_targets t on t.workspace_id = $1 and t.post_id = p.post_id
                           join postiz.analytics_daily d on d.subject_id = t.id
                           order by d.subject_id, d.metric, d.day desc
                         )
                         select p.post_id, (select min(t.published_at) from postiz.post_targets t where t.workspace_id = $1 and t.post_id = p.post_id),
                                (select string_agg(distinct a.network, ' ') from postiz.post_targets t join postiz.social_accounts a on a.id = t.social_account_id
                                 where t.workspace_id = $1 and t.post_id = p.post_id),
                                left(po.content, 280),
                                coalesce((select jsonb_object_agg(metric, total) from
                                           (select metric, sum(level)::bigint as total from latest l where l.post_id = p.post_id group by metric) m), '{}')
                         from posts p join postiz.posts po on po.workspace_id = $1 and po.id = p.post_id
                         order by p.post_id",
                        &[ws, from, to, tz, &after, &PAGE],
                    )
                    .await?;
                if let Some(last) = rows.last() {
                    self.cursor = Cursor::Post(last.get(0));
                }
                rows.iter()
                    .map(|r| {
                        let values: Value = r.get(4);
                        let mut row = vec![
                            json!(r.get::<_, Uuid>(0)),
                            json!(r.get::<_, Option<chrono::DateTime<chrono::Utc>>>(1)),
                            json!(r.get::<_, Option<String>>(2)),
                            json!(r.get::<_, Option<String>>(3)),
                        ];
                        // Absent (unsupported or never read) stays empty, not 0.
                        row.extend(METRICS.iter().map(|m| values.get(*m).cloned().unwrap_or(Value::Null)));
                        row
                    })
                    .collect()
            }
        };
        tx.commit().await?;
        Ok(out)
    }
}

/// A JSON value as a CSV cell: strings bare, null empty.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
