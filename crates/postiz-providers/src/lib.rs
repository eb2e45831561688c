#![doc = include_str!("../README.md")]

mod analytics;
mod common;
mod connection;
mod error;
pub mod http;
pub mod meta;
mod provider;
mod publish;
mod reconcile;
mod registry;
pub mod rules;

pub mod bluesky;
pub mod devto;
pub mod discord;
pub mod facebook;
pub mod instagram;
pub mod linkedin;
pub mod mastodon;
pub mod nostr;
pub mod sandbox;
pub mod slack;
pub mod telegram;
pub mod threads;
pub mod tiktok;
pub mod x;
pub mod youtube;

pub use analytics::{Analytics, AnalyticsQuery, Metric, MetricName, PerPost, UnknownMetric};
pub use connection::{AccountInfo, ClientRegistration, Connected, Connection, Credentials, OAuth2Spec, OAuthClient, Target, TokenSet};
pub use error::{BoxError, ProviderError};
pub use http::{HttpClient, HttpSettings};
pub use provider::{Capabilities, Provider, ProviderExt};
pub use publish::{AccountRef, FindQuery, PublishItem, PublishMedia, PublishRequest, PublishedItem, RemotePost};
pub use registry::{NetworkDescription, Registry};
pub use rules::{ContentRules, FieldError, validate};

pub use postiz_domain::Network;
pub use secrecy::SecretString;
