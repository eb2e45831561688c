//! One publish job, from claim to a recorded outcome. Idempotent: a job already done is never
//! done again, and a job found mid-request after a crash is reconciled, not re-sent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use postiz_domain::NetworkSettings;
use postiz_providers::{FindQuery, Provider, ProviderError, PublishItem, PublishRequest, PublishedItem, RemotePost};
use postiz_vault::{Binding, Field, Keyring};
use secrecy::SecretString;
use serde_json::Value;

use crate::backoff::RetryPolicy;
use crate::metrics as m;
use crate::pacing::Pacer;
use crate::store::{ClaimedJob, Final, Store, StoreError};

/// What a job needs besides its row.
#[derive(Debug, Clone)]
pub struct PublishContext {
    /// Database side.
    pub store: Store,
    /// Writes successes in batches (see [`crate::recorder`]).
    pub recorder: crate::recorder::Recorder,
    /// Decrypts access tokens.
    pub keyring: Arc<Keyring>,
    /// Pacing, told about `Retry-After`.
    pub pacer: Arc<Pacer>,
    /// Retry policy for transient failures and rate limits.
    pub retry: RetryPolicy,
    /// Lease (and visibility timeout) in seconds, renewed before every request.
    pub lease_secs: f64,
    /// Refreshes a refused token once (single flight per account) before the account is sent
    /// to reconnect; `None` sends it to reconnect at once.
    pub tokens: Option<Arc<crate::tokens::Tokens>>,
    /// Where media bytes live (the API's storage backend); `None` when media is not configured.
    pub media: Option<Arc<postiz_storage::MediaStorage>>,
    /// Makes the public URLs handed to adapters with each file (signed links to the API, or
    /// S3 presigned URLs); `None` leaves them out, and networks that fetch by URL refuse media.
    pub public_urls: Option<Arc<postiz_storage::public_url::PublicUrls>>,
}

/// How the job ended, for metrics and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Published (or found published).
    Published,
    /// Will be tried again later.
    Retrying,
    /// Permanently failed.
    Failed,
    /// Outcome unknown; the user decides.
    Unconfirmed,
    /// Nothing to do any more (schedule edited, post canceled).
    Canceled,
    /// The account must be reconnected; the job is paused.
    NeedsReconnect,
}

impl Outcome {
    /// Stable name for metrics and stats.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Published => "published",
            Outcome::Retrying => "retrying",
            Outcome::Failed => "failed",
            Outcome::Unconfirmed => "unconfirmed",
            Outcome::Canceled => "canceled",
            Outcome::NeedsReconnect => "needs_reconnect",
        }
    }
}

/// Runs a claimed job to an outcome and records it.
pub async fn run(ctx: &PublishContext, provider: &dyn Provider, job: ClaimedJob) -> Result<Outcome, StoreError> {
    let span = tracing::info_span!("publish", job.id = %job.id, post.id = %job.post_id, account.id = %job.account_id,
                                   network = %job.network, job.attempt = job.attempt);
    let _enter = span.enter();
    let started = Instant::now();
    let outcome = run_inner(ctx, provider, &job).await?;
    metrics::counter!(m::PUBLISH_OUTCOMES, "network" => job.network.to_string(), "outcome" => outcome.label()).increment(1);
    metrics::histogram!(m::PUBLISH_DURATION, "network" => job.network.to_string()).record(started.elapsed().as_secs_f64());
    if outcome == Outcome::Published {
        let late = (chrono::Utc::now() - job.scheduled_at).num_milliseconds().max(0) as f64 / 1000.0;
        metrics::histogram!(m::LATENESS, "network" => job.network.to_string()).record(late);
    }
    tracing::info!(outcome = outcome.label(), duration_ms = started.elapsed().as_millis() as u64, "publish job finished");
    Ok(outcome)
}

async fn run_inner(ctx: &PublishContext, provider: &dyn Provider, job: &ClaimedJob) -> Result<Outcome, StoreError> {
    let store = &ctx.store;
    if job.stale {
        store.finish(job, Final::Canceled, "schedule_changed", "The post or its schedule changed before this occurrence ran.").await?;
        return Ok(Outcome::Canceled);
    }
    if job.account_status != "active" {
        store.needs_reconnect(job, &format!("account is {}", job.account_status)).await?;
        return Ok(Outcome::NeedsReconnect);
    }
    let Some(sealed) = &job.token else {
        store.needs_reconnect(job, "no stored credentials").await?;
        return Ok(Outcome::NeedsReconnect);
    };
    let binding = Binding { workspace_id: job.workspace_id, social_account_id: job.account_id, field: Field::AccessToken };
    let mut token = match ctx.keyring.decrypt(sealed, &binding) {
        Ok(t) => t,
        Err(e) => {
            // A key problem is ours to fix, not the user's: fail loudly, keep the token.
            store.finish(job, Final::Failed, "credential_decrypt_failed", &e.to_string()).await?;
            return Ok(Outcome::Failed);
        }
    };

    let mut request = build_request(job);
    match load_media(ctx, job, &mut request).await {
        Ok(()) => {}
        Err(MediaProblem::NotConfigured) => {
            store
                .finish(job, Final::Failed, "media_unavailable", "This post has media but the worker has no media storage configured.")
                .await?;
            return Ok(Outcome::Failed);
        }
        Err(MediaProblem::Missing(what)) => {
            store
                .finish(
                    job,
                    Final::Failed,
                    "media_missing",
                    &format!("A media file of this post is gone from storage ({what}); attach it again."),
                )
                .await?;
            return Ok(Outcome::Failed);
        }
        Err(MediaProblem::Invalid(what)) => {
            tracing::error!(problem = %what, "a media file of the claimed job is unusable");
            store
                .finish(
                    job,
                    Final::Failed,
                    "media_invalid",
                    "A media file of this post could not be prepared for sending; attach it again.",
                )
                .await?;
            return Ok(Outcome::Failed);
        }
        Err(MediaProblem::Refused(refusal)) => {
            // The file itself does not fit the network: another attempt would be refused the same way.
            let message = format!("{} cannot take a file of the post “{}”: {refusal}", job.network, snippet(&job.content));
            store.finish(job, Final::Failed, refusal.code(), &message).await?;
            return Ok(Outcome::Failed);
        }
        Err(MediaProblem::Storage(e)) => {
            // Storage hiccup: nothing was sent; try again later.
            let delay = ctx.retry.delay(job.attempt, None).as_secs().max(1);
            store.retry_later(job, "media_storage", &e, i32::try_from(delay).unwrap_or(60), None).await?;
            return Ok(Outcome::Retrying);
        }
    }
    let total = request.items.len() + usize::from(request.first_comment.is_some());
    let mut live = job.published_items.clone();

    // A crash (or lease expiry) while a request was out: find out what happened first.
    if let Some(item) = job.sending_item {
        let item = usize::try_from(item).unwrap_or(0);
        match reconcile(provider, &token, job, &request, item).await {
            Reconciled::Found(found) => {
                store.record_item(job, &found).await?;
                live.push(found);
            }
            Reconciled::NotFound => store.clear_sending(job).await?,
            Reconciled::Unknown(reason) => {
                store.finish(job, Final::Unconfirmed, "outcome_unknown", &unconfirmed_message(&reason)).await?;
                return Ok(Outcome::Unconfirmed);
            }
        }
    }

    // One refresh per run: a token refused again right after a refresh is really dead.
    let mut may_refresh = true;
    // The claim recorded the first request as in flight already, unless it had to wait.
    let mut marked = job.sending_marked && job.sending_item.is_none();
    while live.len() < total {
        let index = live.len();
        let step = request_for(&request, index, &live);
        if !std::mem::take(&mut marked) {
            store.mark_sending(job, index, ctx.lease_secs).await?;
        }
        match provider.publish(&token, &job.account, &step).await {
            Ok(post) => {
                let Some(item) = post.items.iter().find(|i| i.index == index).cloned().or_else(|| post.items.last().cloned()) else {
                    store.finish(job, Final::Unconfirmed, "empty_response", "The network answered without a post id.").await?;
                    return Ok(Outcome::Unconfirmed);
                };
                // The last item is stored by `succeed` itself, in the same statement.
                if live.len() + 1 < total {
                    store.record_item(job, &item).await?;
                }
                live.push(item);
            }
            Err(ProviderError::ThreadIncomplete { published, cause, .. }) => {
                let have = live.len();
                for item in published.into_iter().filter(|i| i.index >= have) {
                    store.record_item(job, &item).await?;
                    live.push(item);
                }
                match handle_error(ctx, provider, &token, job, &request, index, *cause, &mut may_refresh).await? {
                    Step::Resume(item) => live.push(item),
                    Step::Retry(fresh) => token = fresh,
                    Step::Done(outcome) => return Ok(outcome),
                }
            }
            Err(e) => match handle_error(ctx, provider, &token, job, &request, index, e, &mut may_refresh).await? {
                Step::Resume(item) => live.push(item),
                Step::Retry(fresh) => token = fresh,
                Step::Done(outcome) => return Ok(outcome),
            },
        }
    }

    let post = RemotePost { id: live[0].id.clone(), url: live[0].url.clone(), items: live };
    if !ctx.recorder.succeed(job, &post).await? {
        // Our lease ran out and another worker holds the job now; its recovery reconciles
        // with the network and records the post.
        tracing::warn!("published, but the job had been taken over; leaving it to its new holder");
    }
    Ok(Outcome::Published)
}

#[expect(clippy::too_many_arguments, reason = "the job's whole context; a struct would only rename it")]
async fn handle_error(
    ctx: &PublishContext,
    provider: &dyn Provider,
    token: &SecretString,
    job: &ClaimedJob,
    request: &PublishRequest,
    index: usize,
    error: ProviderError,
    may_refresh: &mut bool,
) -> Result<Step, StoreError> {
    let store = &ctx.store;
    tracing::warn!(error = %error, item = index, "publish attempt failed");
    match error {
        ProviderError::Transient { .. } | ProviderError::RateLimited { .. } => {
            let retry_after = error.retry_after();
            if let Some(ra) = retry_after {
                ctx.pacer.block(job.account_id, ra);
            }
            if ctx.retry.exhausted(job.attempt) {
                let msg = format!("Gave up after {} attempts; last error: {error}", job.attempt);
                store.finish(job, Final::Failed, code_of(&error), &msg).await?;
                return Ok(Step::Done(Outcome::Failed));
            }
            metrics::counter!(m::RETRIES, "network" => job.network.to_string()).increment(1);
            let delay = ctx.retry.delay(job.attempt, retry_after);
            let secs = i32::try_from(delay.as_secs().max(1)).unwrap_or(i32::MAX);
            let throttling = retry_after.map(|ra| serde_json::json!({"retry_after_secs": ra.as_secs()}));
            store.retry_later(job, code_of(&error), &error.to_string(), secs, throttling).await?;
            Ok(Step::Done(Outcome::Retrying))
        }
        ProviderError::Unauthorized { reason, .. } => {
            if let (Some(tokens), Some(sealed), true) = (&ctx.tokens, &job.token, *may_refresh) {
                *may_refresh = false;
                match tokens.after_unauthorized(job.account_id, &sealed.nonce).await {
                    Ok(crate::tokens::Refreshed::Refreshed(fresh) | crate::tokens::Refreshed::Reused(fresh)) => {
                        // The refused request created nothing: send it again with the new token.
                        store.clear_sending(job).await?;
                        return Ok(Step::Retry(fresh));
                    }
                    Ok(crate::tokens::Refreshed::NotDue) => {}
                    Err(e) => match e.account_status() {
                        Some(status) => {
                            metrics::counter!(m::TOKEN_REFRESH_FAILURES, "network" => job.network.to_string()).increment(1);
                            let message = crate::tokens::reconnect_message(status, &e.to_string());
                            store.pause_account(job, status, &message, &format!("{reason}; refresh: {e}")).await?;
                            return Ok(Step::Done(Outcome::NeedsReconnect));
                        }
                        None if !ctx.retry.exhausted(job.attempt) => {
                            // The token endpoint is down: the account may be fine, try later.
                            let delay = ctx.retry.delay(job.attempt, None).as_secs().max(1);
                            let msg = format!("The network refused the token and renewing it failed for now ({e}); retrying.");
                            store.retry_later(job, "token_refresh_pending", &msg, i32::try_from(delay).unwrap_or(60), None).await?;
                            return Ok(Step::Done(Outcome::Retrying));
                        }
                        None => {}
                    },
                }
            }
            metrics::counter!(m::TOKEN_REFRESH_FAILURES, "network" => job.network.to_string()).increment(1);
            store.needs_reconnect(job, &reason).await?;
            Ok(Step::Done(Outcome::NeedsReconnect))
        }
        ProviderError::Rejected { reason, .. } => {
            store.finish(job, Final::Failed, "rejected", &reason).await?;
            Ok(Step::Done(Outcome::Failed))
        }
        error @ (ProviderError::Duplicate { .. } | ProviderError::OutcomeUnknown { .. }) => {
            match reconcile(provider, token, job, request, index).await {
                Reconciled::Found(found) => {
                    store.record_item(job, &found).await?;
                    Ok(Step::Resume(found))
                }
                // The network looked and the item is not there: sending again is safe.
                Reconciled::NotFound if !ctx.retry.exhausted(job.attempt) => {
                    let delay = ctx.retry.delay(job.attempt, None).as_secs().max(1);
                    store.retry_later(job, "outcome_unknown", &error.to_string(), i32::try_from(delay).unwrap_or(60), None).await?;
                    Ok(Step::Done(Outcome::Retrying))
                }
                Reconciled::NotFound | Reconciled::Unknown(_) => {
                    let message = unconfirmed_message(&error.to_string());
                    store.finish_awaiting(job, Final::Unconfirmed, "outcome_unknown", &message, error.awaited_reference()).await?;
                    Ok(Step::Done(Outcome::Unconfirmed))
                }
            }
        }
        other => {
            store.finish(job, Final::Failed, code_of(&other), &other.to_string()).await?;
            Ok(Step::Done(Outcome::Failed))
        }
    }
}

/// What follows a failed request.
enum Step {
    /// The item turned out to be live: record it and go on with the next one.
    Resume(PublishedItem),
    /// The token was refreshed: send the same item again with it.
    Retry(SecretString),
    /// The job ended (for now) with this outcome.
    Done(Outcome),
}

enum Reconciled {
    Found(PublishedItem),
    NotFound,
    Unknown(String),
}

/// Asks the network whether item `index` went out. Networks that can't tell yield `Unknown`.
async fn reconcile(provider: &dyn Provider, token: &SecretString, job: &ClaimedJob, request: &PublishRequest, index: usize) -> Reconciled {
    let text = request.items.get(index).map(|i| i.text.clone()).or_else(|| request.first_comment.clone()).unwrap_or_default();
    let query = FindQuery {
        idempotency_key: request.idempotency_key.clone(),
        text,
        not_before: job.sending_since.unwrap_or(job.scheduled_at) - chrono::Duration::minutes(5),
        settings: request.settings.clone(),
    };
    match tokio::time::timeout(Duration::from_secs(30), provider.find_published(token, &job.account, &query)).await {
        Ok(Ok(Some(post))) => match post.items.iter().find(|i| i.index == index) {
            Some(item) => Reconciled::Found(item.clone()),
            None if index == 0 => Reconciled::Found(PublishedItem { index: 0, id: post.id, url: post.url, cid: None }),
            // The lookup found the thread's start but cannot tell about this reply.
            None => Reconciled::Unknown(format!("the network can look up the main post but not reply {index}")),
        },
        Ok(Ok(None)) => Reconciled::NotFound,
        Ok(Err(e)) => Reconciled::Unknown(e.to_string()),
        Err(_) => Reconciled::Unknown("the lookup timed out".into()),
    }
}

fn unconfirmed_message(reason: &str) -> String {
    format!(
        "The network did not confirm whether this post went out ({reason}). Check the account: \
         if the post is there, mark it published; if not, retry it."
    )
}

fn code_of(e: &ProviderError) -> &'static str {
    match e.root() {
        ProviderError::Transient { .. } => "transient",
        ProviderError::RateLimited { .. } => "rate_limited",
        ProviderError::Unauthorized { .. } => "unauthorized",
        ProviderError::Rejected { .. } => "rejected",
        ProviderError::Duplicate { .. } => "duplicate",
        ProviderError::OutcomeUnknown { .. } => "outcome_unknown",
        _ => "provider_error",
    }
}

enum MediaProblem {
    NotConfigured,
    Missing(String),
    /// The claim's description of a file does not decode, or it cannot be linked: ours to fix.
    Invalid(String),
    Storage(String),
    /// The file cannot be made acceptable for the network (format, size, aspect, animation…).
    Refused(postiz_media::Refusal),
}

/// The start of a post's text, to name the post in a message.
fn snippet(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default().trim();
    let mut out: String = line.chars().take(40).collect();
    if out.chars().count() < line.chars().count() {
        out.push('…');
    }
    out
}

/// One attached file, as the claim lists it (`media` and `thread_media` in [`ClaimedJob`]).
#[derive(Debug, Clone, serde::Deserialize)]
struct MediaFile {
    /// The library asset.
    id: uuid::Uuid,
    /// Alternative text: the post's own (a thread reply's from its `media_alt`), else the
    /// library's default.
    #[serde(default)]
    alt: Option<String>,
    #[serde(default)]
    width: Option<u32>,
    #[serde(default)]
    height: Option<u32>,
    /// Videos: the duration read at upload, when the claim carries it.
    #[serde(default)]
    duration_ms: Option<u64>,
}

/// A thread reply's references to its media, by asset id, and the alt texts the reply sets
/// itself (by asset id; the others keep the library's default).
#[derive(Debug, serde::Deserialize)]
struct ThreadItemMedia {
    #[serde(default)]
    media_ids: Vec<String>,
    #[serde(default)]
    media_alt: std::collections::HashMap<String, String>,
}

/// Reads the bytes of every attached media file (main item and thread replies) from storage,
/// each with a public URL when the worker makes them (networks that fetch by URL need one).
async fn load_media(ctx: &PublishContext, job: &ClaimedJob, request: &mut PublishRequest) -> Result<(), MediaProblem> {
    let invalid = |what: &str, e: serde_json::Error| MediaProblem::Invalid(format!("{what}: {e}"));
    let main: Vec<MediaFile> = serde_json::from_value(job.media.clone()).map_err(|e| invalid("media", e))?;
    let replies: Vec<ThreadItemMedia> = match &job.thread_items {
        Value::Null => vec![],
        items => serde_json::from_value(items.clone()).map_err(|e| invalid("thread_items", e))?,
    };
    let by_id: std::collections::HashMap<String, MediaFile> = match &job.thread_media {
        Value::Null => std::collections::HashMap::new(),
        files => serde_json::from_value(files.clone()).map_err(|e| invalid("thread_media", e))?,
    };
    let mut per_item = vec![main];
    for reply in replies {
        let files = reply
            .media_ids
            .iter()
            .map(|id| {
                let mut file = by_id.get(id).cloned().ok_or_else(|| MediaProblem::Missing(format!("asset {id}")))?;
                if let Some(alt) = reply.media_alt.get(id) {
                    file.alt = Some(alt.clone());
                }
                Ok(file)
            })
            .collect::<Result<_, _>>()?;
        per_item.push(files);
    }
    if per_item.iter().all(Vec::is_empty) {
        return Ok(());
    }
    let storage = ctx.media.as_deref().ok_or(MediaProblem::NotConfigured)?;
    let settings = request.settings.clone();
    for (item, files) in request.items.iter_mut().zip(per_item) {
        for file in files {
            let sent = variant_for(ctx, job, &settings, storage, &file).await?;
            item.media.push(read_media(ctx.public_urls.as_deref(), job.workspace_id, sent, &file).await?);
        }
    }
    Ok(())
}

/// This network's variant of a library file (converted, resized and stripped of metadata for
/// the network's rules, made once and reused: [`crate::media_variants`]): its object path and bytes.
async fn variant_for(
    ctx: &PublishContext,
    job: &ClaimedJob,
    settings: &NetworkSettings,
    storage: &postiz_storage::MediaStorage,
    file: &MediaFile,
) -> Result<crate::media_variants::MediaToSend, MediaProblem> {
    use crate::media_variants::{VariantError, media_for_network};
    // An Instagram story gets a copy made for the story's limits (9:16, 1,080 wide), a
    // separate variant from the feed's because the profile key follows the rules.
    let rules = postiz_providers::ContentRules::for_network(job.network).media_for(settings);
    media_for_network(ctx.store.pool(), storage, job.workspace_id, file.id, job.network, rules).await.map_err(|e| match e {
        VariantError::Missing(what) => MediaProblem::Missing(what),
        VariantError::Refused(refusal) => MediaProblem::Refused(refusal),
        VariantError::Unavailable(why) => MediaProblem::Storage(why),
    })
}

/// The object `sent` (a per-network variant, or a video's original) as the adapter gets it:
/// its bytes, and a public URL of those same bytes when `urls` is set.
async fn read_media(
    urls: Option<&postiz_storage::public_url::PublicUrls>,
    workspace: uuid::Uuid,
    sent: crate::media_variants::MediaToSend,
    file: &MediaFile,
) -> Result<postiz_providers::PublishMedia, MediaProblem> {
    let path = sent.path.as_str();
    let public_url = match urls {
        Some(urls) => Some(urls.url_for(workspace, path, &sent.mime).await.map_err(|e| match e {
            postiz_storage::public_url::PublicUrlError::Presign(e) => MediaProblem::Storage(e.to_string()),
            other => MediaProblem::Invalid(other.to_string()),
        })?),
        None => None,
    };
    let kind = if sent.mime == "image/gif" {
        postiz_domain::MediaKind::Gif
    } else if sent.mime.starts_with("video/") {
        postiz_domain::MediaKind::Video
    } else {
        postiz_domain::MediaKind::Image
    };
    Ok(postiz_providers::PublishMedia {
        kind,
        filename: path.rsplit('/').next().unwrap_or("media").to_owned(),
        mime: sent.mime,
        data: sent.data,
        alt: file.alt.clone(),
        width: sent.width.or(file.width),
        height: sent.height.or(file.height),
        duration_ms: file.duration_ms,
        public_url,
    })
}

/// The whole post for this network: main item, thread replies, first comment, settings.
fn build_request(job: &ClaimedJob) -> PublishRequest {
    let main = job.text_override.clone().unwrap_or_else(|| job.content.clone());
    let mut items = vec![PublishItem { text: main, media: vec![] }];
    if let Some(thread) = job.thread_items.as_array() {
        items.extend(thread.iter().filter_map(|t| {
            let text = t.get("text")?.as_str()?.to_owned();
            Some(PublishItem { text, media: vec![] })
        }));
    }
    let settings = match &job.settings {
        Value::Object(o) if o.is_empty() => NetworkSettings::None,
        other => serde_json::from_value(other.clone()).unwrap_or_default(),
    };
    PublishRequest {
        // Stable for this occurrence on this account, across retries and workers.
        idempotency_key: job.id.to_string(),
        items,
        first_comment: job.first_comment.clone().filter(|c| !c.trim().is_empty()),
        settings,
        already_published: vec![],
    }
}

/// The request that publishes exactly item `index`, replying to what is already live.
fn request_for(full: &PublishRequest, index: usize, live: &[PublishedItem]) -> PublishRequest {
    let n = full.items.len();
    PublishRequest {
        idempotency_key: full.idempotency_key.clone(),
        items: full.items[..(index + 1).min(n)].to_vec(),
        first_comment: if index >= n { full.first_comment.clone() } else { None },
        settings: full.settings.clone(),
        already_published: live.to_vec(),
    }
}
