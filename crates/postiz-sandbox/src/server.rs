//! The HTTP API: a tiny social network plus `/_control` endpoints for tests.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::watch;

use crate::faults::{Fault, FaultMix, Rng};

/// A post as the sandbox recorded it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordedPost {
    /// Sandbox id.
    pub id: String,
    /// Public URL.
    pub url: String,
    /// Text as received.
    pub text: String,
    /// `Idempotency-Key` header, if sent.
    pub idempotency_key: Option<String>,
    /// Id of the post this replies to.
    pub reply_to: Option<String>,
    /// Attached media ids.
    pub media_ids: Vec<String>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// Deleted through the API.
    pub deleted: bool,
}

/// What `GET /_control/posts` returns.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PostsReport {
    /// Every post, in creation order.
    pub posts: Vec<RecordedPost>,
    /// Publish calls received (including refused and faulted ones).
    pub publish_attempts: u64,
    /// Posts created per idempotency key: any value above 1 is a duplicate.
    pub by_idempotency_key: BTreeMap<String, usize>,
    /// Posts created per text.
    pub by_text: BTreeMap<String, usize>,
}

impl PostsReport {
    /// Keys or texts that were posted more than once.
    pub fn duplicates(&self) -> Vec<String> {
        self.by_idempotency_key.iter().filter(|(_, n)| **n > 1).map(|(k, _)| k.clone()).collect()
    }
}

#[derive(Debug)]
pub(crate) struct State {
    base_url: String,
    honor_idempotency_key: bool,
    posts: Vec<RecordedPost>,
    /// Position in `posts` by post id, and of the first post by idempotency key: lookups stay
    /// constant-time when a benchmark has sent a hundred thousand posts.
    by_id: HashMap<String, usize>,
    first_by_key: HashMap<String, usize>,
    media: HashMap<String, (String, usize)>,
    pub(crate) faults: VecDeque<Fault>,
    mix: Option<(FaultMix, Rng)>,
    attempts: u64,
    next_id: u64,
}

impl State {
    pub(crate) fn new(base_url: String, honor_idempotency_key: bool) -> Self {
        Self {
            base_url,
            honor_idempotency_key,
            posts: Vec::new(),
            by_id: HashMap::new(),
            first_by_key: HashMap::new(),
            media: HashMap::new(),
            faults: VecDeque::new(),
            mix: None,
            attempts: 0,
            next_id: 1,
        }
    }

    pub(crate) fn set_mix(&mut self, mix: Option<FaultMix>) {
        self.mix = mix.map(|m| {
            let rng = Rng::new(m.seed);
            (m, rng)
        });
    }

    pub(crate) fn report(&self) -> PostsReport {
        let mut r = PostsReport { posts: self.posts.clone(), publish_attempts: self.attempts, ..PostsReport::default() };
        for p in &self.posts {
            if let Some(k) = &p.idempotency_key {
                *r.by_idempotency_key.entry(k.clone()).or_default() += 1;
            }
            *r.by_text.entry(p.text.clone()).or_default() += 1;
        }
        r
    }

    fn record(&mut self, post: RecordedPost) {
        let at = self.posts.len();
        self.by_id.insert(post.id.clone(), at);
        if let Some(k) = &post.idempotency_key {
            self.first_by_key.entry(k.clone()).or_insert(at);
        }
        self.posts.push(post);
    }

    fn live_post_mut(&mut self, id: &str) -> Option<&mut RecordedPost> {
        let at = *self.by_id.get(id)?;
        self.posts.get_mut(at).filter(|p| !p.deleted)
    }

    fn by_key(&self, key: &str) -> Option<&RecordedPost> {
        self.first_by_key.get(key).and_then(|at| self.posts.get(*at))
    }

    fn clear(&mut self) {
        self.posts.clear();
        self.by_id.clear();
        self.first_by_key.clear();
        self.attempts = 0;
    }

    fn next_fault(&mut self) -> Option<Fault> {
        if let Some(f) = self.faults.pop_front() {
            return Some(f);
        }
        let (mix, rng) = self.mix.as_mut()?;
        mix.pick(rng)
    }
}

/// Locks the state; a poisoned lock (a panicking handler) still yields the data.
pub(crate) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[derive(Clone)]
struct App {
    state: Arc<Mutex<State>>,
    shutdown: watch::Receiver<bool>,
}

pub(crate) fn router(state: Arc<Mutex<State>>, shutdown: watch::Receiver<bool>) -> Router {
    Router::new()
        .route("/api/posts", post(create_post).get(find_posts))
        .route("/api/posts/{id}", get(get_post).delete(delete_post))
        .route("/api/posts/{id}/metrics", get(post_metrics))
        .route("/api/me/metrics", get(account_metrics))
        .route("/api/media", post(upload_media))
        .route("/api/me", get(me))
        .route("/_control/faults", post(set_faults).delete(clear_faults))
        .route("/_control/posts", get(list_posts).delete(clear_posts))
        .with_state(App { state, shutdown })
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

/// A 401 response when the bearer token is missing or `expired`, else `None`.
fn auth_failure(headers: &HeaderMap) -> Option<Response> {
    let token =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).filter(|t| !t.is_empty());
    match token {
        None => Some(error(StatusCode::UNAUTHORIZED, "unauthorized", "missing bearer token")),
        Some("expired") => Some(error(StatusCode::UNAUTHORIZED, "token_expired", "the access token has expired")),
        Some(_) => None,
    }
}

/// Waits for a fault's delay or hang. A hang ends only when the server stops.
async fn stall(fault: &Fault, shutdown: &mut watch::Receiver<bool>) {
    if let Some(ms) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if fault.hang {
        let _ = shutdown.wait_for(|s| *s).await;
    }
}

fn fault_response(fault: &Fault) -> Option<Response> {
    let status = StatusCode::from_u16(fault.status?).ok()?;
    let mut resp = error(status, "fault", "injected by the sandbox");
    if let Some(secs) = fault.retry_after
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Some(resp)
}

#[derive(Deserialize)]
struct NewPost {
    #[serde(default)]
    text: String,
    #[serde(default)]
    media_ids: Vec<String>,
    #[serde(default)]
    reply_to: Option<String>,
}

async fn create_post(AxState(app): AxState<App>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(resp) = auth_failure(&headers) {
        return resp;
    }
    let header_fault = headers.get("x-sandbox-fault").and_then(|v| v.to_str().ok()).and_then(|v| serde_json::from_str::<Fault>(v).ok());
    let fault = {
        let mut st = lock(&app.state);
        st.attempts += 1;
        header_fault.or_else(|| st.next_fault())
    };
    let mut shutdown = app.shutdown.clone();
    if let Some(f) = fault.as_ref().filter(|f| !f.after_commit) {
        stall(f, &mut shutdown).await;
        if f.hang {
            return error(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", "the sandbox is stopping");
        }
        if let Some(resp) = fault_response(f) {
            return resp;
        }
    }
    let Ok(new) = serde_json::from_slice::<NewPost>(&body) else {
        return error(StatusCode::BAD_REQUEST, "bad_json", "the body must be JSON: {\"text\": \"…\"}");
    };
    if new.text.trim().is_empty() && new.media_ids.is_empty() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "empty", "a post needs text or media");
    }
    if new.text.chars().count() > 1000 {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "too_long", "the sandbox allows 1000 characters");
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (status, post) = {
        let mut st = lock(&app.state);
        if let Some(r) = &new.reply_to
            && !st.by_id.contains_key(r)
        {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "reply_target_missing", "the post replied to does not exist");
        }
        if let Some(m) = new.media_ids.iter().find(|m| !st.media.contains_key(*m)) {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "media_missing", &format!("unknown media id {m}"));
        }
        let existing = key.as_ref().filter(|_| st.honor_idempotency_key).and_then(|k| st.by_key(k).cloned());
        match existing {
            Some(p) => (StatusCode::OK, p),
            None => {
                let id = st.next_id.to_string();
                st.next_id += 1;
                let post = RecordedPost {
                    url: format!("{}/posts/{id}", st.base_url),
                    id,
                    text: new.text,
                    idempotency_key: key,
                    reply_to: new.reply_to,
                    media_ids: new.media_ids,
                    created_at: Utc::now(),
                    deleted: false,
                };
                st.record(post.clone());
                (StatusCode::CREATED, post)
            }
        }
    };
    if let Some(f) = fault.as_ref().filter(|f| f.after_commit) {
        stall(f, &mut shutdown).await;
        if f.hang {
            return error(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", "the sandbox is stopping");
        }
        if let Some(resp) = fault_response(f) {
            return resp;
        }
    }
    (status, Json(json!({"id": post.id, "url": post.url}))).into_response()
}

#[derive(Deserialize)]
struct FindParams {
    idempotency_key: Option<String>,
}

async fn find_posts(AxState(app): AxState<App>, headers: HeaderMap, Query(q): Query<FindParams>) -> Response {
    if let Some(resp) = auth_failure(&headers) {
        return resp;
    }
    let st = lock(&app.state);
    let posts: Vec<&RecordedPost> =
        st.posts.iter().filter(|p| !p.deleted).filter(|p| q.idempotency_key.is_none() || p.idempotency_key == q.idempotency_key).collect();
    Json(json!({ "posts": posts })).into_response()
}

async fn get_post(AxState(app): AxState<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(resp) = auth_failure(&headers) {
        return resp;
    }
    let mut st = lock(&app.state);
    match st.live_post_mut(&id) {
        Some(p) => Json(&*p).into_response(),
        None => error(StatusCode::NOT_FOUND, "not_found", "no such post"),
    }
}

/// `GET /api/posts/{id}/metrics`: the post's counters now (`crate::metrics`); 404 once deleted.
/// Queued faults apply, as for publishing, so rate limits and outages can be rehearsed.
async fn post_metrics(AxState(app): AxState<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(resp) = auth_failure(&headers) {
        return resp;
    }
    let mut st = lock(&app.state);
    if let Some(resp) = st.next_fault().as_ref().and_then(fault_response) {
        return resp;
    }
    match st.live_post_mut(&id) {
        Some(p) => {
            let now = Utc::now();
            Json(json!({"id": p.id, "observed_at": now, "metrics": crate::metrics::post_metrics(&p.id, p.created_at, now)})).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "not_found", "no such post"),
    }
}

/// `GET /api/me/metrics`: the account's counters now.
async fn account_metrics(AxState(app): AxState<App>, headers: HeaderMap) -> Response {
    if let Some(resp) = auth_failure(&headers) {
        return resp;
    }
    let mut st = lock(&app.state);
    if let Some(resp) = st.next_fault().as_ref().and_then(fault_response) {
        return resp;
    }
    let posts = st.posts.iter().filter(|p| !p.deleted).count() as u64;
    Json(json!({"observed_at": Utc::now(), "metrics": crate::metrics::account_metrics(posts, Utc::now())})).into_response()
}

async fn delete_post(AxState(app): AxState<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Some(resp) = auth_failure(&headers) {
        return resp;
    }
    let mut st = lock(&app.state);
    match st.live_post_mut(&id) {
        Some(p) => {
            p.deleted = true;
            StatusCode::NO_CONTENT.into_response()
        }
        None => error(StatusCode::NOT_FOUND, "not_found", "no such post"),
    }
}

async fn upload_media(AxState(app): AxState<App>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(resp) = auth_failure(&headers) {
        return resp;
    }
    let mime = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("application/octet-stream").to_owned();
    if body.is_empty() {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "empty_media", "the file is empty");
    }
    let mut st = lock(&app.state);
    let id = format!("m{}", st.next_id);
    st.next_id += 1;
    st.media.insert(id.clone(), (mime, body.len()));
    (StatusCode::CREATED, Json(json!({"id": id}))).into_response()
}

async fn me(headers: HeaderMap) -> Response {
    match auth_failure(&headers) {
        None => Json(json!({"id": "sandbox-user", "handle": "sandbox", "name": "Sandbox User"})).into_response(),
        Some(resp) => resp,
    }
}

#[derive(Deserialize)]
struct FaultScript {
    #[serde(default)]
    queue: Vec<Fault>,
    #[serde(default)]
    mix: Option<FaultMix>,
}

async fn set_faults(AxState(app): AxState<App>, Json(script): Json<FaultScript>) -> Response {
    let mut st = lock(&app.state);
    st.faults.extend(script.queue);
    if script.mix.is_some() {
        st.set_mix(script.mix);
    }
    Json(json!({"queued": st.faults.len()})).into_response()
}

async fn clear_faults(AxState(app): AxState<App>) -> Response {
    let mut st = lock(&app.state);
    st.faults.clear();
    st.set_mix(None);
    StatusCode::NO_CONTENT.into_response()
}

async fn list_posts(AxState(app): AxState<App>) -> Response {
    Json(lock(&app.state).report()).into_response()
}

async fn clear_posts(AxState(app): AxState<App>) -> Response {
    let mut st = lock(&app.state);
    st.clear();
    StatusCode::NO_CONTENT.into_response()
}
