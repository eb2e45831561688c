//! Pieces shared by adapters: endpoint joining, bearer auth, thread progress.

use postiz_domain::Network;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::ProviderError;
use crate::publish::{PublishItem, PublishRequest, PublishedItem, RemotePost};

/// `base` + `path`, keeping any path prefix of `base` (`https://host/prefix` + `/api/x`).
pub(crate) fn endpoint(network: Network, base: &Url, path: &str) -> Result<Url, ProviderError> {
    let joined = format!("{}{}", base.as_str().trim_end_matches('/'), path);
    Url::parse(&joined).map_err(|e| ProviderError::rejected(network, format!("bad server address {base}: {e}")))
}

/// Parses a base URL given in code; panics only on a literal that is not a URL.
pub(crate) fn static_url(s: &'static str) -> Url {
    #[expect(clippy::expect_used, reason = "only called with URL literals")]
    Url::parse(s).expect("URL literal")
}

/// `Authorization: Bearer …` without the token ever touching a `String` we keep.
pub(crate) fn bearer(rb: reqwest::RequestBuilder, token: &SecretString) -> reqwest::RequestBuilder {
    rb.bearer_auth(token.expose_secret())
}

/// What to publish next in a thread.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part<'a> {
    /// A thread item (`index` 0 is the main post).
    Item(&'a PublishItem),
    /// The first comment on the main post.
    Comment(&'a str),
}

/// Walks a request's items in order, skipping the ones already live, and turns a failure
/// after the first success into `ThreadIncomplete`.
pub(crate) struct Progress<'a> {
    network: Network,
    post: &'a PublishRequest,
    published: Vec<PublishedItem>,
}

impl<'a> Progress<'a> {
    pub(crate) fn new(network: Network, post: &'a PublishRequest) -> Result<Self, ProviderError> {
        if post.items.is_empty() {
            return Err(ProviderError::rejected(network, "there is nothing to publish; add text or media"));
        }
        let published = post.already_published.clone();
        if published.iter().enumerate().any(|(i, p)| p.index != i) {
            return Err(ProviderError::rejected(network, "already_published must list items 0, 1, 2… in order"));
        }
        Ok(Self { network, post, published })
    }

    /// The next part to publish and its index, or `None` when all are live.
    pub(crate) fn next(&self) -> Option<(usize, Part<'a>)> {
        let i = self.published.len();
        if let Some(item) = self.post.items.get(i) {
            return Some((i, Part::Item(item)));
        }
        match &self.post.first_comment {
            Some(c) if i == self.post.items.len() => Some((i, Part::Comment(c))),
            _ => None,
        }
    }

    /// The first (main) item, once live.
    pub(crate) fn root(&self) -> Option<&PublishedItem> {
        self.published.first()
    }

    /// The last live item.
    pub(crate) fn parent(&self) -> Option<&PublishedItem> {
        self.published.last()
    }

    /// Records the outcome of the part returned by `next`.
    pub(crate) fn record(&mut self, result: Result<PublishedItem, ProviderError>) -> Result<(), ProviderError> {
        match result {
            Ok(item) => {
                self.published.push(item);
                Ok(())
            }
            Err(cause) if self.published.is_empty() => Err(cause),
            Err(cause) => Err(ProviderError::ThreadIncomplete {
                network: self.network,
                published: std::mem::take(&mut self.published),
                cause: Box::new(cause),
            }),
        }
    }

    pub(crate) fn finish(self) -> Result<RemotePost, ProviderError> {
        RemotePost::from_items(self.published).ok_or_else(|| ProviderError::rejected(self.network, "there is nothing to publish"))
    }
}
