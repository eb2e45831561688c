//! The one HTTP boundary: a shared reqwest client, and the classification of every answer
//! into [`ProviderError`].

mod classify;
mod guard;

use std::sync::Arc;
use std::time::Duration;

use postiz_domain::Network;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

pub use postiz_config::PrivateAllowList;

use crate::ProviderError;

use classify::classify_keeping;
pub(crate) use classify::{BodyParser, classify, error_in_body, generic_message};
pub use classify::{ErrorClass, ErrorDetails, retry_after_from_headers};
pub(crate) use guard::permitted_addrs;
pub use guard::{NOT_PUBLIC, check_user_url, guarded_client_builder, is_public_ip, permitted};

/// Settings of the shared client.
#[derive(Clone, Debug)]
pub struct HttpSettings {
    /// `User-Agent` sent on every request.
    pub user_agent: String,
    /// Time allowed to establish a connection (no request has been sent before it ends).
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, answer included.
    pub request_timeout: Duration,
    /// The private networks and host names user-supplied servers (instance URLs, PDS, webhook
    /// URLs) may reach: the operator's `[private_servers] allow`. Empty: public addresses only.
    pub private_allow: PrivateAllowList,
    /// Pause between polls of media processing status when the network gives no hint.
    pub poll_interval: Duration,
    /// Give up waiting for media processing after this long (a `Transient` error: no post
    /// was created yet).
    pub poll_timeout: Duration,
}

impl Default for HttpSettings {
    /// 10 s to connect, 60 s per request (uploads of large chunks included), private hosts
    /// refused (nothing listed), media polled every 2 s for up to 5 minutes.
    fn default() -> Self {
        Self {
            user_agent: concat!("postiz-module/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            private_allow: PrivateAllowList::default(),
            poll_interval: Duration::from_secs(2),
            poll_timeout: Duration::from_secs(300),
        }
    }
}

impl HttpSettings {
    /// Settings for tests against local mock servers: loopback listed
    /// ([`PrivateAllowList::loopback`]), short timeouts, fast polling.
    pub fn for_tests() -> Self {
        Self {
            private_allow: PrivateAllowList::loopback(),
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(2),
            poll_interval: Duration::from_millis(10),
            poll_timeout: Duration::from_secs(2),
            ..Self::default()
        }
    }
}

/// Whether a request may create the visible post. Decides how a lost answer is classified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SendKind {
    /// Reads, media uploads, logins: repeating them creates nothing the user sees, so a lost
    /// answer is `Transient`.
    Safe,
    /// Creates the post (or a reply/comment): a lost answer is `OutcomeUnknown`.
    Publish,
}

/// The shared client. Cheap to clone; every adapter gets one.
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: reqwest::Client,
    settings: Arc<HttpSettings>,
}

/// The client could not be built (TLS backend initialisation).
#[derive(Debug, thiserror::Error)]
#[error("could not build the HTTP client: {0}")]
pub struct BuildError(#[from] reqwest::Error);

impl HttpClient {
    /// Builds the client. DNS answers that point at private addresses outside
    /// `private_allow` are dropped for every request, so a public name can't be re-pointed at
    /// an internal service between our check and the connection.
    pub fn new(settings: HttpSettings) -> Result<Self, BuildError> {
        let builder = reqwest::Client::builder()
            .user_agent(settings.user_agent.clone())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(guard::GuardedResolver { allow: settings.private_allow.clone() }));
        Ok(Self { inner: builder.build()?, settings: Arc::new(settings) })
    }

    /// A client for tests ([`HttpSettings::for_tests`]).
    pub fn for_tests() -> Self {
        #[expect(clippy::expect_used, reason = "building a rustls client only fails on a broken TLS setup")]
        Self::new(HttpSettings::for_tests()).expect("HTTP client for tests")
    }

    /// The settings in force.
    pub fn settings(&self) -> &HttpSettings {
        &self.settings
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.inner
    }

    /// Refuses a user-supplied URL (instance, PDS, webhook) whose host is or resolves to a
    /// loopback, private, link-local or unique-local address outside `private_allow`.
    pub async fn check_user_url(&self, network: Network, url: &Url) -> Result<(), ProviderError> {
        guard::check_reachable(network, url, &self.settings.private_allow).await
    }

    /// Sends once and classifies the answer: `Ok` only for 2xx.
    pub(crate) async fn send(
        &self,
        network: Network,
        request: RequestBuilder,
        kind: SendKind,
        parser: BodyParser,
    ) -> Result<Response, ProviderError> {
        match request.send().await {
            Ok(response) => classify(network, response, kind, parser).await,
            Err(err) => Err(transport_error(network, err, kind)),
        }
    }

    /// Sends once, classifies, and decodes a JSON body. A 2xx whose body can't be read is
    /// `OutcomeUnknown` for publishing requests (the post was probably created).
    pub(crate) async fn send_json<T: DeserializeOwned>(
        &self,
        network: Network,
        request: RequestBuilder,
        kind: SendKind,
        parser: BodyParser,
    ) -> Result<T, ProviderError> {
        let response = self.send(network, request, kind, parser).await?;
        read_json(network, response, kind).await
    }

    /// Sends an idempotent read, retrying up to twice on `Transient` errors.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        network: Network,
        make: impl Fn() -> RequestBuilder + Send + Sync,
        parser: BodyParser,
    ) -> Result<T, ProviderError> {
        let mut attempt = 0;
        loop {
            match self.send_json(network, make(), SendKind::Safe, parser).await {
                Err(ProviderError::Transient { .. }) if attempt < 2 => {
                    attempt += 1;
                    tokio::time::sleep(self.settings.poll_interval * attempt).await;
                }
                other => return other,
            }
        }
    }
}

/// A permanent refusal of a read, kept as an answer: the adapter decides what it means (a
/// metric this token may not read, a post that no longer exists) from the status and the
/// network's error body, parsed as JSON, never from the message text.
#[derive(Debug)]
pub(crate) struct Refusal {
    /// The HTTP status.
    pub(crate) status: StatusCode,
    /// The error body as JSON (`Null` when it is not JSON).
    pub(crate) body: serde_json::Value,
    /// The network's own message, as its body parser reads it.
    pub(crate) message: Option<String>,
    /// The classified error (`Rejected`, worded for a person).
    pub(crate) error: ProviderError,
}

impl HttpClient {
    /// An idempotent read whose `Rejected` answer is returned as `Ok(Err(refusal))` instead
    /// of an error; every other failure (rate limit, credentials, outage) stays an `Err`.
    /// Retries `Transient` errors like [`HttpClient::get_json`].
    pub(crate) async fn get_json_or_refusal<T: DeserializeOwned>(
        &self,
        network: Network,
        make: impl Fn() -> RequestBuilder + Send + Sync,
        parser: BodyParser,
    ) -> Result<Result<T, Refusal>, ProviderError> {
        let mut attempt = 0;
        loop {
            let outcome = match make().send().await {
                Err(err) => Err(transport_error(network, err, SendKind::Safe)),
                Ok(response) => match classify_keeping(network, response, SendKind::Safe, parser).await {
                    Ok(response) => read_json(network, response, SendKind::Safe).await.map(Ok),
                    Err(f) if matches!(f.error, ProviderError::Rejected { .. }) => Ok(Err(Refusal {
                        status: f.status,
                        body: serde_json::from_slice(&f.body).unwrap_or(serde_json::Value::Null),
                        message: parser(f.status, &reqwest::header::HeaderMap::new(), &f.body).message.or_else(|| generic_message(&f.body)),
                        error: f.error,
                    })),
                    Err(f) => Err(f.error),
                },
            };
            match outcome {
                Err(ProviderError::Transient { .. }) if attempt < 2 => {
                    attempt += 1;
                    tokio::time::sleep(self.settings.poll_interval * attempt).await;
                }
                other => return other,
            }
        }
    }
}

/// Decodes a JSON body from a response already classified as success.
pub(crate) async fn read_json<T: DeserializeOwned>(network: Network, response: Response, kind: SendKind) -> Result<T, ProviderError> {
    let bytes = match response.bytes().await {
        Ok(b) => b,
        Err(err) => return Err(transport_error(network, err, kind)),
    };
    serde_json::from_slice(&bytes).map_err(|err| {
        let msg = format!("unexpected response body: {err}");
        match kind {
            SendKind::Publish => ProviderError::outcome_unknown(network, msg),
            SendKind::Safe => ProviderError::transient(network, msg),
        }
    })
}

/// Classifies a failure to get an answer at all. URLs are stripped: some networks carry
/// tokens in them.
pub(crate) fn transport_error(network: Network, err: reqwest::Error, kind: SendKind) -> ProviderError {
    let err = err.without_url();
    if err.is_builder() {
        return ProviderError::rejected(network, format!("the request could not be built ({err}); this is a bug or a bad server address"));
    }
    if err.is_connect() || kind == SendKind::Safe {
        // Nothing was sent (connect failed), or repeating it is harmless.
        return ProviderError::Transient { network, source: Box::new(err) };
    }
    ProviderError::OutcomeUnknown { network, source: Box::new(err), reference: None }
}
