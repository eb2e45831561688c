//! Client review links: admins share one post, or the posts of a date range, with someone who
//! has no account; the reviewer approves, requests changes, rejects or comments under a name.
//!
//! The database holds the rules (migration `20261210000000_create_review_links.sql`): only the
//! SHA-256 of a token is stored; reviewers reach posts only through the `service_review_link_*`
//! functions, which take the raw token and answer for the link's scope alone; a reviewer's
//! decision goes into the approval log (it counts for no approval step; a "no" blocks the post
//! and takes it off the schedule) and their comments into the post's thread.
//!
//! The token never travels in a URL the server sees: the reviewer page is `{base}/review` and
//! the token its fragment (`…/review#<token>`), which browsers do not send; the page reads it
//! and sends it in the `X-Review-Token` header, and the request log records the path only.
//! Reviewer requests are bounded per token and in total ([`admit`]) before any database work.

use std::num::NonZeroU32;
use std::sync::OnceLock;

use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use postiz_db::{DbRole, begin_as};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_postgres::Row;
use uuid::Uuid;

use super::media_public::PublicMedia;
use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::checks::Fields;
use crate::extract::ConfirmedUser;
use crate::input::{Ids, JsonBody};
use crate::{ApiError, AppState};

/// The header the reviewer page sends the token in.
pub const TOKEN_HEADER: &str = "x-review-token";
/// What a dead link (unknown, expired, revoked, malformed) is answered, whichever it is.
pub const DEAD_LINK: &str = "This review link has expired or was withdrawn. Ask for a new one.";
/// Days a link lives unless the admin chooses, and at most.
const DEFAULT_DAYS: i64 = 7;
const MAX_DAYS: i64 = 30;
/// The longest date range a link may cover (as the table's check).
const MAX_RANGE_DAYS: i64 = 92;
const MAX_LABEL: usize = 100;
const MAX_NAME: usize = 100;
const MAX_NOTE: usize = 5000;
const MAX_COMMENT: usize = 10_000;
const MAX_ACCOUNTS: usize = 50;
/// How long the media links on the reviewer page stay valid.
const MEDIA_LINK_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

// Admin side ---------------------------------------------------------------------------------------

/// A review link as the team sees it (never the token nor its hash).
#[derive(Debug, Serialize)]
pub struct LinkView {
    /// Id.
    pub id: Uuid,
    /// What the team calls it; the reviewer sees it too.
    pub label: String,
    /// Scope: one post …
    pub post_id: Option<Uuid>,
    /// … or the posts scheduled on these days (workspace time zone, inclusive) …
    pub range_start: Option<NaiveDate>,
    /// … to this one.
    pub range_end: Option<NaiveDate>,
    /// … only on these accounts (empty: every account).
    pub social_account_ids: Vec<Uuid>,
    /// Who made it.
    pub created_by: Option<Uuid>,
    /// Their name (null when no longer a member).
    pub created_by_name: Option<String>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// When it was withdrawn, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last opened by a reviewer.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Made.
    pub created_at: DateTime<Utc>,
    /// `active`, `expired` or `revoked`.
    pub state: &'static str,
}

const LINK_COLUMNS: &str = "l.id, l.label, l.post_id, l.range_start, l.range_end, l.social_account_ids, l.created_by,
     (select n.name from postiz_private.workspace_member_names(l.workspace_id) n where n.user_id = l.created_by),
     l.expires_at, l.revoked_at, l.last_used_at, l.created_at, l.expires_at <= now()";

fn link_view(r: &Row) -> LinkView {
    let revoked_at: Option<DateTime<Utc>> = r.get(9);
    let expired: bool = r.get(12);
    LinkView {
        id: r.get(0),
        label: r.get(1),
        post_id: r.get(2),
        range_start: r.get(3),
        range_end: r.get(4),
        social_account_ids: r.get(5),
        created_by: r.get(6),
        created_by_name: r.get(7),
        expires_at: r.get(8),
        revoked_at,
        last_used_at: r.get(10),
        created_at: r.get(11),
        state: if revoked_at.is_some() {
            "revoked"
        } else if expired {
            "expired"
        } else {
            "active"
        },
    }
}

/// Body of `POST /workspaces/{ws}/review-links`: a post, or a date range.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateLink {
    /// Shown to the team and the reviewer (1-100 characters).
    pub label: String,
    /// Share this post …
    #[serde(default)]
    pub post_id: Option<Uuid>,
    /// … or the posts scheduled from this day …
    #[serde(default)]
    pub range_start: Option<NaiveDate>,
    /// … to this one (inclusive, workspace time zone, at most 93 days).
    #[serde(default)]
    pub range_end: Option<NaiveDate>,
    /// With a range: only posts on these accounts (default every account).
    #[serde(default)]
    pub social_account_ids: Vec<Uuid>,
    /// Days until it expires: 1-30, default 7.
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

/// `POST /workspaces/{ws}/review-links` answer: the link, and the only time its token is shown.
#[derive(Debug, Serialize)]
pub struct CreatedLink {
    /// The link.
    #[serde(flatten)]
    pub link: LinkView,
    /// The token (shown once; only its hash is kept).
    pub token: String,
    /// The reviewer's address on this server, relative to its origin: `{base}/review#<token>`.
    pub url: String,
}

/// The API base the request came in under (`/dashboard/postiz/api`), from the original URI and
/// the route's own tail.
fn base_of(uri: &OriginalUri, tail_segments: usize) -> String {
    let path = uri.0.path().trim_end_matches('/');
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.truncate(parts.len().saturating_sub(tail_segments));
    parts.join("/")
}

/// `POST /workspaces/{ws}/review-links` (admin+; 201).
pub async fn create(
    State(state): State<AppState>,
    ConfirmedUser(user): ConfirmedUser,
    uri: OriginalUri,
    Ids(ws): Ids<Uuid>,
    JsonBody(body): JsonBody<CreateLink>,
) -> Result<(StatusCode, Json<CreatedLink>), ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let mut fields = Fields::default();
    crate::checks::check_name(&mut fields, "label", &body.label, MAX_LABEL);
    if let Some(f) = fields.0.last_mut().filter(|f| f.field == "label") {
        f.message = format!("Label {}", f.message);
    }
    let days = body.expires_in_days.unwrap_or(DEFAULT_DAYS);
    if !(1..=MAX_DAYS).contains(&days) {
        fields.push("expires_in_days", format!("Expires in must be between 1 and {MAX_DAYS} days"));
    }
    match (body.post_id, body.range_start, body.range_end) {
        (Some(post), None, None) => {
            if !body.social_account_ids.is_empty() {
                fields.push("social_account_ids", "Accounts can only narrow a date range, not a single post");
            }
            if tx.query_opt("select 1 from postiz.posts where workspace_id = $1 and id = $2", &[&ws, &post]).await?.is_none() {
                fields.push("post_id", "Post is not a post of this workspace");
            }
        }
        (None, Some(start), Some(end)) => {
            if end < start {
                fields.push("range_end", "To must be on or after From");
            } else if (end - start).num_days() > MAX_RANGE_DAYS {
                fields.push("range_end", format!("The range can cover at most {} days", MAX_RANGE_DAYS + 1));
            }
            if body.social_account_ids.len() > MAX_ACCOUNTS {
                fields.push("social_account_ids", format!("Choose at most {MAX_ACCOUNTS} accounts"));
            }
            let known: i64 = tx
                .query_one(
                    "select count(*) from postiz.social_accounts where workspace_id = $1 and id = any ($2)",
                    &[&ws, &body.social_account_ids],
                )
                .await?
                .get(0);
            let mut wanted = body.social_account_ids.clone();
            wanted.sort();
            wanted.dedup();
            if usize::try_from(known).unwrap_or(0) != wanted.len() {
                fields.push("social_account_ids", "Accounts names an account that is not in this workspace");
            }
        }
        (Some(_), _, _) => fields.push("post_id", "Share either one post or a date range, not both"),
        (None, None, _) => fields.push("range_start", "Choose a post, or a From day for a date range"),
        (None, Some(_), None) => fields.push("range_end", "To is required with From"),
    }
    fields.finish()?;

    let bytes: [u8; 32] = rand::random();
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = Sha256::digest(token.as_bytes()).to_vec();
    let row = tx
        .query_one(
            &format!(
                "with l as (
                   insert into postiz.review_links (workspace_id, label, post_id, range_start, range_end, social_account_ids, token_hash, expires_at)
                   values ($1, btrim($2), $3, $4, $5, $6, $7, now() + make_interval(days => $8::integer))
                   returning *)
                 select {LINK_COLUMNS} from l"
            ),
            &[&ws, &body.label, &body.post_id, &body.range_start, &body.range_end, &body.social_account_ids, &hash, &(days as i32)],
        )
        .await?;
    tx.commit().await?;
    let base = base_of(&uri, 3);
    let url = format!("{base}/review#{token}");
    Ok((StatusCode::CREATED, Json(CreatedLink { link: link_view(&row), token, url })))
}

/// `GET /workspaces/{ws}/review-links` (any member): newest first; `?post_id=` for one post's.
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Ids(ws): Ids<Uuid>,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> Result<Json<Vec<LinkView>>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let rows = tx
        .query(
            &format!(
                "select {LINK_COLUMNS} from postiz.review_links l
                 where l.workspace_id = $1 and ($2::uuid is null or l.post_id = $2)
                 order by l.created_at desc limit 200"
            ),
            &[&ws, &q.post_id],
        )
        .await?;
    tx.commit().await?;
    Ok(Json(rows.iter().map(link_view).collect()))
}

/// `GET …/review-links` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only the links to this post.
    #[serde(default)]
    pub post_id: Option<Uuid>,
}

/// `POST /workspaces/{ws}/review-links/{id}/revoke` (admin+): the link stops working at once.
pub async fn revoke(
    State(state): State<AppState>,
    ConfirmedUser(user): ConfirmedUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<Json<LinkView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let row = tx
        .query_opt(
            &format!(
                "with l as (
                   update postiz.review_links set revoked_at = now()
                   where workspace_id = $1 and id = $2 and revoked_at is null returning *)
                 select {LINK_COLUMNS} from l"
            ),
            &[&ws, &id],
        )
        .await?;
    let row = match row {
        Some(r) => r,
        None => tx
            .query_opt(&format!("select {LINK_COLUMNS} from postiz.review_links l where l.workspace_id = $1 and l.id = $2"), &[&ws, &id])
            .await?
            .ok_or_else(ApiError::not_found)?,
    };
    tx.commit().await?;
    Ok(Json(link_view(&row)))
}

// Reviewer side ------------------------------------------------------------------------------------

/// Per token: 60 requests a minute in bursts of 30; in total: 1,200 a minute in bursts of 200.
/// Per process, like the public API's limit. The total bounds guessing (tokens are 256 random
/// bits, so guessing is hopeless anyway) and keeps a flood away from the database.
fn admit(hash: &[u8; 32]) -> Result<(), ApiError> {
    static PER_TOKEN: OnceLock<DefaultKeyedRateLimiter<[u8; 32]>> = OnceLock::new();
    static TOTAL: OnceLock<DefaultDirectRateLimiter> = OnceLock::new();
    let per_token = PER_TOKEN.get_or_init(|| {
        RateLimiter::keyed(
            Quota::per_minute(NonZeroU32::new(60).unwrap_or(NonZeroU32::MIN)).allow_burst(NonZeroU32::new(30).unwrap_or(NonZeroU32::MIN)),
        )
    });
    let total = TOTAL.get_or_init(|| {
        RateLimiter::direct(
            Quota::per_minute(NonZeroU32::new(1200).unwrap_or(NonZeroU32::MIN))
                .allow_burst(NonZeroU32::new(200).unwrap_or(NonZeroU32::MIN)),
        )
    });
    if per_token.len() > 10_000 {
        per_token.retain_recent();
    }
    let refuse = |wait| ApiError::too_many_requests(wait, "Too many requests from this review page; wait a moment and try again");
    total.check().map_err(|n| refuse(n.wait_time_from(DefaultClock::default().now())))?;
    per_token.check_key(hash).map_err(|n| refuse(n.wait_time_from(DefaultClock::default().now())))?;
    Ok(())
}

/// The token from the header, after the rate limit. A missing or malformed one is a dead link,
/// answered before the limit counts it (it costs no database work): junk tokens cannot drain
/// the total bucket that well-formed requests share.
fn token_of(headers: &HeaderMap) -> Result<String, ApiError> {
    let token = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()).map(str::trim).unwrap_or("");
    let well_formed = token.len() == 43 && URL_SAFE_NO_PAD.decode(token).is_ok_and(|b| b.len() == 32);
    if !well_formed {
        return Err(logged(ApiError::gone("review_link_dead", DEAD_LINK)));
    }
    let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    admit(&hash)?;
    Ok(token.to_owned())
}

/// Logs a dead-link answer once, where it is handled (the request span carries the path, never
/// the token, which is in a header).
fn logged(e: ApiError) -> ApiError {
    if e.status() == StatusCode::GONE {
        tracing::info!("review link refused: unknown, expired or withdrawn");
    }
    e
}

/// What the reviewer sees: the link and its posts.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReviewPage {
    #[serde(skip_serializing)]
    workspace_id: Uuid,
    /// The link's label.
    pub label: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// The range shared, if it is one.
    pub range_start: Option<NaiveDate>,
    /// Its last day.
    pub range_end: Option<NaiveDate>,
    /// Whose posts these are.
    pub workspace_name: String,
    /// The zone times are shown in.
    pub time_zone: String,
    /// The posts in scope, in time order.
    pub posts: Vec<ReviewPost>,
}

/// One post as the reviewer sees it.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReviewPost {
    /// Id (what decisions name).
    pub id: Uuid,
    /// `draft`, `pending_approval`, `scheduled`, `published`, ….
    pub status: String,
    /// When it goes out.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// The version shown (the post's approval round); a decision names it, and is refused once
    /// the post has changed.
    pub round: i32,
    /// The approval summary: `required`, `approved`, `blocked` (flags only, never a note).
    pub approval: Option<Value>,
    /// Whether a decision is accepted now (by status; a name that decided already is refused).
    pub may_decide: bool,
    /// Each network and account it goes to, with that network's text.
    pub targets: Vec<ReviewTarget>,
    /// Its media, in order.
    pub media: Vec<ReviewMedia>,
    /// Decisions made through review links.
    pub decisions: Vec<ReviewDecision>,
    /// Comments made through review links.
    pub comments: Vec<ReviewComment>,
}

/// One network and account.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReviewTarget {
    /// Wire name (`mastodon`, …).
    pub network: String,
    /// The account's handle.
    pub handle: Option<String>,
    /// Its display name.
    pub display_name: Option<String>,
    /// Its avatar.
    pub avatar_url: Option<String>,
    /// The text this network gets.
    pub text: String,
    /// Thread items after the first (`[{"text": …}]`).
    pub thread_items: Vec<Value>,
    /// A first comment, where the network has one.
    pub first_comment: Option<String>,
}

/// One media item.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReviewMedia {
    /// Id.
    pub id: Uuid,
    /// Its type.
    pub mime_type: String,
    /// Alternative text.
    pub alt_text: Option<String>,
    #[serde(skip_serializing, default)]
    path: String,
    /// A signed link to the bytes, valid an hour (null when this server signs no links).
    #[serde(default)]
    pub url: Option<String>,
}

/// A decision made through a link.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReviewDecision {
    /// `approved`, `rejected`, `changes_requested`.
    pub decision: String,
    /// Note.
    pub note: Option<String>,
    /// The name the reviewer typed.
    pub reviewer_name: Option<String>,
    /// Whether it is about the current version.
    pub current: bool,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A comment made through a link.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReviewComment {
    /// Text.
    pub body: String,
    /// The name the reviewer typed.
    pub reviewer_name: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

async fn load_page(state: &AppState, public: Option<&PublicMedia>, base: &str, token: &str) -> Result<ReviewPage, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = begin_as(&mut client, DbRole::ServiceRole, &json!({"role": "service_role"})).await?;
    let raw: Value = tx.query_one("select postiz_private.service_review_link_posts($1)", &[&token]).await?.get(0);
    tx.commit().await?;
    let mut page: ReviewPage =
        serde_json::from_value(raw).map_err(|e| ApiError::internal(&format!("a review page we cannot read: {e}")))?;
    if let Some(public) = public {
        for m in page.posts.iter_mut().flat_map(|p| p.media.iter_mut()) {
            if let Ok(t) = public.key.sign_for(page.workspace_id, &m.path, &m.mime_type, MEDIA_LINK_TTL) {
                m.url = Some(format!("{base}/{}/{t}/{}", postiz_storage::public_url::PUBLIC_MEDIA_PATH, m.id));
            }
        }
    }
    Ok(page)
}

/// `GET {base}/review-link` with `X-Review-Token`: the link's posts. 410 for a dead link.
pub async fn show(
    State(state): State<AppState>,
    public: Option<axum::Extension<std::sync::Arc<PublicMedia>>>,
    uri: OriginalUri,
    headers: HeaderMap,
) -> Result<Json<ReviewPage>, ApiError> {
    let token = token_of(&headers)?;
    let base = base_of(&uri, 1);
    Ok(Json(load_page(&state, public.as_deref().map(|p| &**p), &base, &token).await.map_err(logged)?))
}

/// Body of `POST {base}/review-link/posts/{id}/decisions`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewerDecide {
    /// `approved`, `rejected` or `changes_requested`.
    pub decision: String,
    /// Required unless approving.
    #[serde(default)]
    pub note: Option<String>,
    /// The reviewer's name (1-100 characters).
    pub name: String,
    /// The version of the post the page showed (`round` of the post).
    pub round: i32,
}

/// A character a name may not hold: control characters, and bidi embeddings, overrides and
/// isolates (U+202A-202E, U+2066-2069), which make a name read as something else. The tables'
/// checks refuse the same.
fn unsafe_in_name(c: char) -> bool {
    c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c)
}

fn check_reviewer_name(fields: &mut Fields, name: &str) {
    if name.trim().is_empty() {
        fields.push("name", "Your name is required, so the team knows who answered");
    } else if name.chars().count() > MAX_NAME {
        fields.push("name", format!("Your name must be at most {MAX_NAME} characters"));
    } else if name.chars().any(unsafe_in_name) {
        fields.push("name", "Your name must not contain control characters or text-direction marks");
    }
}

/// `POST {base}/review-link/posts/{id}/decisions` with `X-Review-Token` (201): the page again.
pub async fn decide(
    State(state): State<AppState>,
    public: Option<axum::Extension<std::sync::Arc<PublicMedia>>>,
    uri: OriginalUri,
    headers: HeaderMap,
    Ids(post): Ids<Uuid>,
    JsonBody(body): JsonBody<ReviewerDecide>,
) -> Result<(StatusCode, Json<ReviewPage>), ApiError> {
    let token = token_of(&headers)?;
    let mut fields = Fields::default();
    check_reviewer_name(&mut fields, &body.name);
    let note = body.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    match body.decision.as_str() {
        "approved" => {}
        "rejected" | "changes_requested" if note.is_none() => {
            fields.push("note", "Note is required: say what should change");
        }
        "rejected" | "changes_requested" => {}
        _ => fields.push("decision", "Decision must be approve, request changes or reject"),
    }
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE) {
        fields.push("note", format!("Note must be at most {MAX_NOTE} characters"));
    }
    fields.finish()?;
    {
        let mut client = state.pool.get().await?;
        let tx = begin_as(&mut client, DbRole::ServiceRole, &json!({"role": "service_role"})).await?;
        tx.execute(
            "select postiz_private.service_review_link_decide($1, $2, $3, $4, $5, $6)",
            &[&token, &post, &body.decision, &note, &body.name.trim(), &body.round],
        )
        .await
        .map_err(|e| logged(e.into()))?;
        tx.commit().await?;
        tracing::info!(post.id = %post, decision = %body.decision, "review link decision recorded");
    }
    let base = base_of(&uri, 4);
    Ok((StatusCode::CREATED, Json(load_page(&state, public.as_deref().map(|p| &**p), &base, &token).await?)))
}

/// Body of `POST {base}/review-link/posts/{id}/comments`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewerComment {
    /// Text (1-10000 characters).
    pub body: String,
    /// The reviewer's name.
    pub name: String,
}

/// `POST {base}/review-link/posts/{id}/comments` with `X-Review-Token` (201): the page again.
pub async fn comment(
    State(state): State<AppState>,
    public: Option<axum::Extension<std::sync::Arc<PublicMedia>>>,
    uri: OriginalUri,
    headers: HeaderMap,
    Ids(post): Ids<Uuid>,
    JsonBody(body): JsonBody<ReviewerComment>,
) -> Result<(StatusCode, Json<ReviewPage>), ApiError> {
    let token = token_of(&headers)?;
    let mut fields = Fields::default();
    check_reviewer_name(&mut fields, &body.name);
    if body.body.trim().is_empty() {
        fields.push("body", "Comment must not be empty");
    } else if body.body.chars().count() > MAX_COMMENT {
        fields.push("body", format!("Comment must be at most {MAX_COMMENT} characters"));
    }
    fields.finish()?;
    {
        let mut client = state.pool.get().await?;
        let tx = begin_as(&mut client, DbRole::ServiceRole, &json!({"role": "service_role"})).await?;
        tx.execute("select postiz_private.service_review_link_comment($1, $2, $3, $4)", &[&token, &post, &body.body, &body.name.trim()])
            .await
            .map_err(|e| logged(e.into()))?;
        tx.commit().await?;
        tracing::info!(post.id = %post, "review link comment recorded");
    }
    let base = base_of(&uri, 4);
    Ok((StatusCode::CREATED, Json(load_page(&state, public.as_deref().map(|p| &**p), &base, &token).await?)))
}

/// `GET {base}/review`: the reviewer page (HTML; the token is in its fragment, never sent here).
pub async fn page() -> Response {
    let mut res = include_str!("review_page.html").into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // The page's own script only; no referrer, no framing.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
        ),
    );
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

/// `GET {base}/review.js`: the reviewer page's script.
pub async fn script() -> Response {
    let mut res = include_str!("review_page.js").into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8"));
    res
}
