//! The one error taxonomy every adapter returns, sorted by what the caller does next.

use std::time::Duration;

use postiz_domain::Network;

use crate::publish::PublishedItem;

/// A boxed error used as the `source` of transport failures.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a provider call failed. Classified once, at the HTTP boundary
/// ([`crate::http::HttpClient`]); adapters never match on error strings.
///
/// What the worker does with each variant:
///
/// | variant | next step |
/// |---|---|
/// | `Transient` | retry later with backoff (the request had no effect) |
/// | `RateLimited` | retry after `retry_after` (or a backoff when unknown) |
/// | `Unauthorized` | refresh the token once, then ask the user to reconnect |
/// | `Rejected` | stop; show `reason` to the user |
/// | `Duplicate` | look the post up with `find_published`; do not publish again |
/// | `OutcomeUnknown` | do **not** retry blindly: reconcile with `find_published`, or retry only where the network is idempotent (`Capabilities::idempotent_publish`) |
/// | `ThreadIncomplete` | store `published`, then handle `cause`; resume with `PublishRequest::already_published` |
/// | `NotSupported` | a programming or configuration error: the caller asked for something this network can't do |
///
/// No variant carries a token: credentials never reach an error, and URLs are stripped from
/// transport errors because some networks put tokens in them.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// The request had no effect and may succeed later: 5xx, or a connection that failed
    /// before the request was sent.
    #[error("{network}: temporary failure: {source}")]
    Transient {
        /// The network.
        network: Network,
        /// What failed.
        source: BoxError,
    },
    /// The network asked us to slow down.
    #[error("{network}: rate limited (retry after {retry_after:?})")]
    RateLimited {
        /// The network.
        network: Network,
        /// How long to wait, when the network said so.
        retry_after: Option<Duration>,
    },
    /// The token is expired, revoked or lacks a scope the call needs.
    #[error("{network}: credentials rejected: {reason}")]
    Unauthorized {
        /// The network.
        network: Network,
        /// The network's explanation (never the token).
        reason: String,
    },
    /// Permanent refusal; `reason` tells the user what to change.
    #[error("{network}: post rejected: {reason}")]
    Rejected {
        /// The network.
        network: Network,
        /// Worded for a person: what was refused and what to change.
        reason: String,
    },
    /// The network refused the post as a duplicate of one that already exists, which after
    /// an `OutcomeUnknown` usually means the first attempt went through.
    #[error("{network}: the network says this post already exists: {reason}")]
    Duplicate {
        /// The network.
        network: Network,
        /// The network's explanation.
        reason: String,
    },
    /// The request was sent but no answer came (timeout after sending, connection reset while
    /// waiting, an unreadable success body, a gateway timeout): the post may exist.
    #[error("{network}: no answer after sending; the post may have been published: {source}")]
    OutcomeUnknown {
        /// The network.
        network: Network,
        /// What failed.
        source: BoxError,
        /// The network's handle on the request, when it gave one before going quiet (TikTok's
        /// `publish_id`): a later notification from the network settles the post by it.
        reference: Option<String>,
    },
    /// Part of a thread went out before `cause` stopped it.
    #[error("{network}: {} item(s) of the thread were published, then: {cause}", published.len())]
    ThreadIncomplete {
        /// The network.
        network: Network,
        /// Items that are live, in order; pass them back as `already_published` to resume.
        published: Vec<PublishedItem>,
        /// Why the next item failed.
        cause: Box<ProviderError>,
    },
    /// The network (or this adapter) does not offer the operation.
    #[error("{network}: {operation} is not supported")]
    NotSupported {
        /// The network.
        network: Network,
        /// The operation asked for, e.g. `"delete"`.
        operation: &'static str,
    },
}

impl ProviderError {
    /// The network the error came from.
    pub fn network(&self) -> Network {
        match self {
            Self::Transient { network, .. }
            | Self::RateLimited { network, .. }
            | Self::Unauthorized { network, .. }
            | Self::Rejected { network, .. }
            | Self::Duplicate { network, .. }
            | Self::OutcomeUnknown { network, .. }
            | Self::ThreadIncomplete { network, .. }
            | Self::NotSupported { network, .. } => *network,
        }
    }

    /// The error that decides what to do next (the cause of a `ThreadIncomplete`).
    pub fn root(&self) -> &ProviderError {
        match self {
            Self::ThreadIncomplete { cause, .. } => cause.root(),
            other => other,
        }
    }

    /// True when repeating the same request later is safe and may succeed.
    /// `OutcomeUnknown` is not retryable: the post may already exist.
    pub fn is_retryable(&self) -> bool {
        matches!(self.root(), Self::Transient { .. } | Self::RateLimited { .. })
    }

    /// True when the post may exist despite the error.
    pub fn may_have_published(&self) -> bool {
        matches!(self.root(), Self::OutcomeUnknown { .. } | Self::Duplicate { .. })
    }

    /// The wait the network asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.root() {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub(crate) fn transient(network: Network, msg: impl Into<String>) -> Self {
        Self::Transient { network, source: msg.into().into() }
    }

    pub(crate) fn rejected(network: Network, reason: impl Into<String>) -> Self {
        Self::Rejected { network, reason: reason.into() }
    }

    pub(crate) fn outcome_unknown(network: Network, msg: impl Into<String>) -> Self {
        Self::OutcomeUnknown { network, source: msg.into().into(), reference: None }
    }

    /// Like [`ProviderError::outcome_unknown`], when the network accepted the request under
    /// `reference` and its final answer is still to come.
    pub(crate) fn outcome_awaited(network: Network, reference: impl Into<String>, msg: impl Into<String>) -> Self {
        Self::OutcomeUnknown { network, source: msg.into().into(), reference: Some(reference.into()) }
    }

    /// The network's handle on a request whose outcome is unknown, if it gave one.
    pub fn awaited_reference(&self) -> Option<&str> {
        match self.root() {
            Self::OutcomeUnknown { reference, .. } => reference.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn not_supported(network: Network, operation: &'static str) -> Self {
        Self::NotSupported { network, operation }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_incomplete_delegates_decisions_to_its_cause() {
        let err = ProviderError::ThreadIncomplete {
            network: Network::X,
            published: vec![],
            cause: Box::new(ProviderError::RateLimited { network: Network::X, retry_after: Some(Duration::from_secs(7)) }),
        };
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        assert!(!ProviderError::outcome_unknown(Network::X, "timeout").is_retryable());
        assert!(ProviderError::outcome_unknown(Network::X, "timeout").may_have_published());
    }
}
