//! The posts list: every post of the workspace, dated or not (the calendar shows dated ones; this
//! also lists undated drafts), searched, filtered and sorted, a page at a time.
//!
//! Paging is by keyset: the cursor carries the sort, the last row's sort key and its id, so a page
//! never repeats or skips a row because posts were added before it. The sort key is a number of
//! microseconds; an undated post sorts by scheduled time as if it were due at the end of time
//! (last when ascending, first when descending).

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::input::{Ids, Params};
use crate::{ApiError, AppState};

/// Query of `GET /workspaces/{ws}/posts`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only posts with this status, or one of these (comma-separated), e.g. `draft`.
    #[serde(default)]
    pub status: Option<String>,
    /// Text search: posts whose text contains this (any case).
    #[serde(default)]
    pub q: Option<String>,
    /// Only posts carrying this tag.
    #[serde(default)]
    pub tag: Option<Uuid>,
    /// Only posts going to this social account.
    #[serde(default)]
    pub account: Option<Uuid>,
    /// Only posts written by this member.
    #[serde(default)]
    pub author: Option<Uuid>,
    /// `created` (default), `updated` or `scheduled`.
    #[serde(default)]
    pub sort: Option<String>,
    /// `desc` (default) or `asc`.
    #[serde(default)]
    pub order: Option<String>,
    /// The previous page's `next_cursor`.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Only posts after this one in the order asked for (the previous page's `next_before`;
    /// `cursor` does the same and survives the post's deletion).
    #[serde(default)]
    pub before: Option<Uuid>,
    /// Page size, 1-100 (default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// One post in a list.
#[derive(Debug, Serialize)]
pub struct PostSummary {
    /// Id.
    pub id: Uuid,
    /// Status.
    pub status: String,
    /// The first 280 characters of its text.
    pub content_preview: String,
    /// When due.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Author.
    pub author_id: Option<Uuid>,
    /// The author's name (their profile name, else their email); null when they are no longer
    /// a member.
    pub author_name: Option<String>,
    /// Networks it goes to.
    pub networks: Vec<String>,
    /// Accounts it goes to.
    pub account_ids: Vec<Uuid>,
    /// Tags.
    pub tags: Vec<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// A page of posts.
#[derive(Debug, Serialize)]
pub struct PostPage {
    /// In the order asked for (newest first by default).
    pub items: Vec<PostSummary>,
    /// Pass as `cursor` for the next page (with the same filters and sort); null on the last page.
    pub next_cursor: Option<String>,
    /// The last post's id, for `before`; null on the last page.
    pub next_before: Option<Uuid>,
}

const STATUSES: [&str; 7] = ["draft", "pending_approval", "scheduled", "publishing", "published", "failed", "canceled"];

/// What a page is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sort {
    Created,
    Updated,
    Scheduled,
}

impl Sort {
    fn parse(s: Option<&str>) -> Result<Self, ApiError> {
        match s.unwrap_or("created") {
            "created" => Ok(Self::Created),
            "updated" => Ok(Self::Updated),
            "scheduled" => Ok(Self::Scheduled),
            other => Err(ApiError::bad_request("bad_query", format!("Sort by: {other:?} is not one of created, updated, scheduled"))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Scheduled => "scheduled",
        }
    }

    /// The sort key in microseconds (exact: `extract` is numeric). Undated is the largest key.
    fn key_sql(self) -> &'static str {
        match self {
            Self::Created => "(extract(epoch from p.created_at) * 1000000)::bigint",
            Self::Updated => "(extract(epoch from p.updated_at) * 1000000)::bigint",
            Self::Scheduled => "coalesce((extract(epoch from p.scheduled_at) * 1000000)::bigint, 9223372036854775807)",
        }
    }
}

/// `sort:order:key:id`, opaque to clients.
fn encode_cursor(sort: Sort, desc: bool, key: i64, id: Uuid) -> String {
    format!("{}:{}:{key}:{id}", sort.name(), if desc { "desc" } else { "asc" })
}

fn decode_cursor(cursor: &str, sort: Sort, desc: bool) -> Result<(i64, Uuid), ApiError> {
    let bad = || ApiError::bad_request("bad_cursor", "this page link is not valid any more; start again from the first page");
    let mut parts = cursor.splitn(4, ':');
    let (Some(s), Some(o), Some(key), Some(id)) = (parts.next(), parts.next(), parts.next(), parts.next()) else { return Err(bad()) };
    if s != sort.name() || o != if desc { "desc" } else { "asc" } {
        return Err(ApiError::bad_request("bad_cursor", "the sort changed since this page; start again from the first page"));
    }
    Ok((key.parse().map_err(|_| bad())?, id.parse().map_err(|_| bad())?))
}

/// `%`, `_` and `\` in the search are literal.
fn like_pattern(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// A tag, account or author filter naming nothing in the workspace is a 422 that names the
/// filter by its label (an empty page would read as "no such posts"). An author is anyone who is
/// a member or wrote a post here (a former member's posts stay findable).
async fn check_filters(tx: &tokio_postgres::Transaction<'_>, ws: Uuid, q: &ListQuery) -> Result<(), ApiError> {
    if q.tag.is_none() && q.account.is_none() && q.author.is_none() {
        return Ok(());
    }
    let row = tx
        .query_one(
            "select $2::uuid is null or exists (select 1 from postiz.tags where workspace_id = $1 and id = $2),
                    $3::uuid is null or exists (select 1 from postiz.social_accounts where workspace_id = $1 and id = $3),
                    $4::uuid is null or exists (select 1 from postiz.workspace_members where workspace_id = $1 and user_id = $4)
                                     or exists (select 1 from postiz.posts where workspace_id = $1 and author_id = $4)",
            &[&ws, &q.tag, &q.account, &q.author],
        )
        .await?;
    let unknown = |label: &str, what: &str| {
        ApiError::unprocessable("unknown_filter", format!("{label}: there is no such {what} in this workspace; pick one from the list"))
    };
    if !row.get::<_, bool>(0) {
        return Err(unknown("Tag", "tag"));
    }
    if !row.get::<_, bool>(1) {
        return Err(unknown("Account", "account"));
    }
    if !row.get::<_, bool>(2) {
        return Err(unknown("Author", "member"));
    }
    Ok(())
}

/// `GET /workspaces/{ws}/posts?q&status&tag&account&author&sort&order&cursor&limit` (any
/// member): posts dated or not, in one page of at most 100.
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    Params(q): Params<ListQuery>,
) -> Result<Json<PostPage>, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::bad_request("bad_query", "Page size: must be between 1 and 100"));
    }
    let statuses: Option<Vec<String>> = match q.status.as_deref().filter(|s| !s.trim().is_empty()) {
        None => None,
        Some(s) => Some(
            s.split(',')
                .map(|x| {
                    let x = x.trim();
                    STATUSES
                        .contains(&x)
                        .then(|| x.to_owned())
                        .ok_or_else(|| ApiError::bad_request("bad_query", format!("Status: {x:?} is not one of {}", STATUSES.join(", "))))
                })
                .collect::<Result<_, _>>()?,
        ),
    };
    let search = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if search.is_some_and(|s| s.chars().count() > 200) {
        return Err(ApiError::bad_request("bad_query", "Search: at most 200 characters"));
    }
    let pattern = search.map(like_pattern);
    let sort = Sort::parse(q.sort.as_deref())?;
    let desc = match q.order.as_deref().unwrap_or("desc") {
        "desc" => true,
        "asc" => false,
        other => return Err(ApiError::bad_request("bad_query", format!("Order: {other:?} is not asc or desc"))),
    };
    let after = q.cursor.as_deref().map(|c| decode_cursor(c, sort, desc)).transpose()?;

    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    check_filters(&tx, ws, &q).await?;
    let key_sql = sort.key_sql();
    let after = match (after, q.before) {
        (Some(a), _) => Some(a),
        (None, Some(before)) => {
            let row = tx
                .query_opt(&format!("select {key_sql} from postiz.posts p where p.workspace_id = $1 and p.id = $2"), &[&ws, &before])
                .await?
                .ok_or_else(|| ApiError::bad_request("bad_cursor", "before: that post is gone; start again from the first page"))?;
            Some((row.get::<_, i64>(0), before))
        }
        (None, None) => None,
    };
    let (after_key, after_id) = (after.map(|a| a.0), after.map(|a| a.1));
    let (cmp, dir) = if desc { ("<", "desc") } else { (">", "asc") };
    let sql = format!(
        "select p.id, p.status::text, left(p.content, 280), p.scheduled_at, p.author_id, n.name, p.created_at, p.updated_at,
                coalesce((select array_agg(distinct a.network order by a.network) from postiz.post_targets t
                          join postiz.social_accounts a on a.workspace_id = t.workspace_id and a.id = t.social_account_id
                          where t.workspace_id = p.workspace_id and t.post_id = p.id), '{{}}'),
                coalesce((select array_agg(t.social_account_id order by t.social_account_id) from postiz.post_targets t
                          where t.workspace_id = p.workspace_id and t.post_id = p.id), '{{}}'),
                coalesce((select array_agg(g.tag_id order by g.tag_id) from postiz.post_tags g
                          where g.workspace_id = p.workspace_id and g.post_id = p.id), '{{}}'),
                {key_sql}
         from postiz.posts p
         left join postiz_private.workspace_member_names($1) n on n.user_id = p.author_id
         where p.workspace_id = $1
           and ($2::text[] is null or p.status::text = any($2))
           and ($3::text is null or p.content ilike $3)
           and ($4::uuid is null or exists (select 1 from postiz.post_tags g
                                            where g.workspace_id = p.workspace_id and g.post_id = p.id and g.tag_id = $4))
           and ($5::uuid is null or exists (select 1 from postiz.post_targets t
                                            where t.workspace_id = p.workspace_id and t.post_id = p.id and t.social_account_id = $5))
           and ($6::uuid is null or p.author_id = $6)
           and ($7::bigint is null or ({key_sql}, p.id) {cmp} ($7, $8::uuid))
         order by {key_sql} {dir}, p.id {dir}
         limit $9"
    );
    let rows = tx.query(&sql, &[&ws, &statuses, &pattern, &q.tag, &q.account, &q.author, &after_key, &after_id, &(limit + 1)]).await?;
    tx.commit().await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(usize::try_from(limit).unwrap_or(50))];
    let next = if more { rows.last().map(|r| (r.get::<_, i64>(11), r.get::<_, Uuid>(0))) } else { None };
    let items = rows
        .iter()
        .map(|r| PostSummary {
            id: r.get(0),
            status: r.get(1),
            content_preview: r.get(2),
            scheduled_at: r.get(3),
            author_id: r.get(4),
            author_name: r.get(5),
            created_at: r.get(6),
            updated_at: r.get(7),
            networks: r.get(8),
            account_ids: r.get(9),
            tags: r.get(10),
        })
        .collect();
    Ok(Json(PostPage { items, next_cursor: next.map(|(key, id)| encode_cursor(sort, desc, key, id)), next_before: next.map(|(_, id)| id) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_is_refused_under_another_sort() {
        let id = Uuid::new_v4();
        let c = encode_cursor(Sort::Scheduled, false, i64::MAX, id);
        assert_eq!(decode_cursor(&c, Sort::Scheduled, false).unwrap(), (i64::MAX, id));
        assert!(decode_cursor(&c, Sort::Created, false).is_err());
        assert!(decode_cursor(&c, Sort::Scheduled, true).is_err());
        assert!(decode_cursor("nonsense", Sort::Created, true).is_err());
    }

    #[test]
    fn search_wildcards_are_literal() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
