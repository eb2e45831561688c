//! Providers by network.

use std::collections::BTreeMap;
use std::sync::Arc;

use postiz_domain::{ComposedPost, Network};

use crate::rules::{FieldError, validate};
use crate::Provider;

/// The adapters the worker and API use, keyed by network.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    providers: BTreeMap<Network, Arc<dyn Provider>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the adapter for its network.
    pub fn register(&mut self, provider: Arc<dyn Provider>) -> &mut Self {
        self.providers.insert(provider.network(), provider);
        self
    }

    /// Builder-style [`Registry::register`].
    pub fn with(mut self, provider: Arc<dyn Provider>) -> Self {
        self.register(provider);
        self
    }

    /// The adapter for a network.
    pub fn get(&self, network: Network) -> Option<&Arc<dyn Provider>> {
        self.providers.get(&network)
    }

    /// Networks with an adapter.
    pub fn networks(&self) -> impl Iterator<Item = Network> + '_ {
        self.providers.keys().copied()
    }

    /// Validates every variant of a composed post. A variant for a network without an adapter
    /// is itself an error.
    pub fn validate(&self, post: &ComposedPost) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for (network, variant) in &post.variants {
            match self.get(*network) {
                Some(p) => errors.extend(validate(variant, p.rules())),
                None => errors.push(FieldError {
                    field: format!("variants.{}", network.as_str()),
                    network: *network,
                    code: "network_unavailable",
                    message: format!("{network} is not available yet; remove it from this post"),
                    limit: None,
                    actual: None,
                }),
            }
        }
        errors
    }
}
