//! The `Provider` trait every network adapter implements.

use std::fmt::Debug;

use async_trait::async_trait;
use postiz_domain::{Network, PostVariant};
use secrecy::SecretString;
use serde::Serialize;
use url::Url;

use crate::ProviderError;
use crate::analytics::{Analytics, AnalyticsQuery, MetricName, PerPost, one_at_a_time};
use crate::connection::{AccountInfo, ClientRegistration, Connected, Connection, Credentials, OAuthClient, Target, TokenSet};
use crate::publish::{AccountRef, FindQuery, PublishRequest, RemotePost};
use crate::rules::{ContentRules, FieldError, validate};

/// What an adapter can do beyond publishing, served to the API and UI with the rules.
///
/// The metric lists are the one source of truth for analytics: a metric outside them is
/// "not offered by this network" (shown differently from zero), and a list that is empty
/// means `analytics` answers `NotSupported` for that query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// `delete` works.
    pub delete: bool,
    /// What `analytics` can return for `AnalyticsQuery::Post` (a given post may lack some).
    pub post_metrics: &'static [MetricName],
    /// What `analytics` can return for `AnalyticsQuery::Account`.
    pub account_metrics: &'static [MetricName],
    /// How many post ids one `post_analytics_many` request may carry (1 = one at a time).
    /// Callers may pass more; adapters split them into requests of this size.
    pub analytics_batch: usize,
    /// `find_published` can look a post up after `OutcomeUnknown`.
    pub find_published: bool,
    /// Re-sending the same `PublishRequest` cannot create a duplicate (the network honours
    /// an idempotency key), so the worker may retry after `OutcomeUnknown`.
    pub idempotent_publish: bool,
    /// `list_targets` offers a second connection step (pages, channels…).
    pub targets: bool,
}

impl Default for Capabilities {
    /// Nothing beyond publishing; analytics one post at a time.
    fn default() -> Self {
        Self {
            delete: false,
            post_metrics: &[],
            account_metrics: &[],
            analytics_batch: 1,
            find_published: false,
            idempotent_publish: false,
            targets: false,
        }
    }
}

impl Capabilities {
    /// `analytics` answers `AnalyticsQuery::Post`.
    pub fn post_analytics(&self) -> bool {
        !self.post_metrics.is_empty()
    }

    /// `analytics` answers `AnalyticsQuery::Account`.
    pub fn account_analytics(&self) -> bool {
        !self.account_metrics.is_empty()
    }

    /// The network can report `name` for the query's kind; `false` means "unsupported on this
    /// network" rather than zero.
    pub fn offers(&self, query: &AnalyticsQuery, name: MetricName) -> bool {
        match query {
            AnalyticsQuery::Post { .. } => self.post_metrics.contains(&name),
            AnalyticsQuery::Account => self.account_metrics.contains(&name),
        }
    }
}

/// A social network adapter. Held as `Arc<dyn Provider>` in a [`crate::Registry`].
///
/// Contract for every method that talks to the network:
/// - errors are classified into [`ProviderError`] at the HTTP boundary, stamped with
///   [`Provider::network`];
/// - publishing requests are sent **once**: the queue owns retries. Idempotent reads
///   may be retried inside the adapter;
/// - tokens never appear in logs, errors or `Debug` output.
///
/// Defaults answer `NotSupported`, so a new network implements only what it offers.
#[async_trait] // dyn is the point: the worker holds HashMap<Network, Arc<dyn Provider>>
pub trait Provider: Send + Sync + Debug + 'static {
    /// The network this adapter publishes to.
    fn network(&self) -> Network;

    /// How an account is connected.
    fn connection(&self) -> Connection;

    /// The network's content rules.
    fn rules(&self) -> &ContentRules;

    /// Optional features this adapter implements.
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    /// Exchanges an authorization code where the network departs from standard OAuth2.
    /// The standard exchange lives in the API (oauth2 crate) using [`Connection::OAuth2`].
    async fn exchange_code(
        &self,
        _client: &OAuthClient,
        _code: &SecretString,
        _redirect_uri: &Url,
        _pkce_verifier: Option<&SecretString>,
    ) -> Result<TokenSet, ProviderError> {
        Err(ProviderError::not_supported(self.network(), "custom code exchange"))
    }

    /// Hook after a standard code exchange, e.g. swapping a short-lived token for a
    /// long-lived one (Meta, which needs the client's secret for it). The default returns
    /// the tokens unchanged.
    async fn after_code_exchange(&self, _client: &OAuthClient, tokens: TokenSet) -> Result<TokenSet, ProviderError> {
        Ok(tokens)
    }

    /// Refreshes tokens where [`crate::OAuth2Spec::custom_refresh`] is set or the network
    /// is not OAuth2 (Bluesky `refreshSession`).
    async fn refresh(
        &self,
        _client: Option<&OAuthClient>,
        _refresh_token: &SecretString,
        _server: Option<&Url>,
    ) -> Result<TokenSet, ProviderError> {
        Err(ProviderError::not_supported(self.network(), "custom token refresh"))
    }

    /// Logs in with an identifier and app password ([`Connection::AppPassword`]).
    async fn login(&self, _credentials: &Credentials) -> Result<Connected, ProviderError> {
        Err(ProviderError::not_supported(self.network(), "app password login"))
    }

    /// Registers an OAuth client on the user's server ([`Connection::InstanceUrl`]).
    async fn register_client(&self, _server: &Url, _redirect_uri: &Url, _client_name: &str) -> Result<ClientRegistration, ProviderError> {
        Err(ProviderError::not_supported(self.network(), "client registration"))
    }

    /// The account behind a token. `server` is the user's own server where there is one.
    async fn account_info(&self, token: &SecretString, server: Option<&Url>) -> Result<AccountInfo, ProviderError>;

    /// Checks that `token` still works, with the cheapest authenticated read the network
    /// offers (the worker's pre-flight check before a scheduled post). Errors are classified
    /// as for every call: `Unauthorized` means the account must be reconnected. The default
    /// asks who the token belongs to ([`Provider::account_info`]: Bluesky `getSession`,
    /// Mastodon `verify_credentials`, LinkedIn `userinfo`, X `users/me`, …). A read: adapters
    /// may retry it.
    async fn verify(&self, token: &SecretString, account: &AccountRef) -> Result<(), ProviderError> {
        self.account_info(token, account.server.as_ref()).await.map(|_| ())
    }

    /// Choosable targets for a second connection step (pages, boards, channels).
    async fn list_targets(&self, _token: &SecretString, _account: &AccountRef) -> Result<Vec<Target>, ProviderError> {
        Err(ProviderError::not_supported(self.network(), "listing targets"))
    }

    /// What the network says this account may do now, for the composer and for checking a
    /// post when it is saved (TikTok: `creator_info/query`). The default has nothing to say
    /// and makes no request. A read: adapters may retry it.
    async fn composer_options(
        &self,
        _token: &SecretString,
        _account: &AccountRef,
    ) -> Result<postiz_domain::ComposerOptions, ProviderError> {
        Ok(postiz_domain::ComposerOptions::default())
    }

    /// Publishes once. Never retried inside the adapter: the queue owns retries.
    /// Items in `post.already_published` are skipped and replied to.
    async fn publish(&self, token: &SecretString, account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError>;

    /// Deletes a published post by id.
    async fn delete(&self, _token: &SecretString, _account: &AccountRef, _id: &str) -> Result<(), ProviderError> {
        Err(ProviderError::not_supported(self.network(), "delete"))
    }

    /// Post or account metrics, limited to [`Capabilities::post_metrics`] /
    /// [`Capabilities::account_metrics`]. A post that no longer exists is `Rejected` with a
    /// reason worded for a person.
    async fn analytics(&self, _token: &SecretString, _account: &AccountRef, _query: &AnalyticsQuery) -> Result<Analytics, ProviderError> {
        Err(ProviderError::not_supported(self.network(), "analytics"))
    }

    /// Metrics of several posts, one answer per id in the order given.
    ///
    /// Each id's own refusal (the post was deleted, or may not be read) is that id's `Err`;
    /// a failure of the whole call (rate limit, credentials, outage) is the outer `Err`, and
    /// no per-id answers are returned with it. The default asks for each id alone; adapters
    /// whose network reads several posts per request override it
    /// ([`Capabilities::analytics_batch`]), and treat ids missing from a batch answer as gone.
    async fn post_analytics_many(&self, token: &SecretString, account: &AccountRef, ids: &[String]) -> Result<PerPost, ProviderError> {
        one_at_a_time(self, token, account, ids).await
    }

    /// Looks for a post an uncertain attempt may have created. `Ok(None)` means "looked and
    /// found nothing" (safe to publish again); `NotSupported` means the network can't tell.
    async fn find_published(
        &self,
        _token: &SecretString,
        _account: &AccountRef,
        _query: &FindQuery,
    ) -> Result<Option<RemotePost>, ProviderError> {
        Err(ProviderError::not_supported(self.network(), "finding published posts"))
    }
}

/// Conveniences for every provider.
pub trait ProviderExt: Provider {
    /// Validates one network's variant against this provider's rules.
    fn validate(&self, variant: &PostVariant) -> Vec<FieldError> {
        validate(variant, self.rules())
    }

    /// True when the network publishes threads (replies chained to the main post).
    fn supports_threads(&self) -> bool {
        self.rules().thread.supported
    }
}

impl<T: Provider + ?Sized> ProviderExt for T {}
