//! Providers by network.

use std::collections::BTreeMap;
use std::sync::Arc;

use postiz_domain::{ComposedPost, Network};
use serde::Serialize;
use url::Url;

use crate::bluesky::BlueskyProvider;
use crate::devto::DevToProvider;
use crate::discord::DiscordProvider;
use crate::facebook::FacebookProvider;
use crate::instagram::InstagramProvider;
use crate::linkedin::LinkedInProvider;
use crate::mastodon::MastodonProvider;
use crate::nostr::NostrProvider;
use crate::rules::{ContentRules, FieldError, validate};
use crate::sandbox::SandboxProvider;
use crate::slack::SlackProvider;
use crate::telegram::TelegramProvider;
use crate::threads::ThreadsProvider;
use crate::tiktok::TikTokProvider;
use crate::x::XProvider;
use crate::youtube::YouTubeProvider;
use crate::{Capabilities, Connection, HttpClient, Provider};

/// What the API serves about one network: how to connect, what it accepts, what it offers.
#[derive(Clone, Debug, Serialize)]
pub struct NetworkDescription {
    /// The network.
    pub network: Network,
    /// Human name.
    pub name: &'static str,
    /// How accounts connect.
    pub connection: Connection,
    /// Content rules.
    pub rules: ContentRules,
    /// Optional features.
    pub capabilities: Capabilities,
}

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

    /// Every adapter of this crate on its public endpoints, sharing one client; the sandbox
    /// only when its URL is given (local demos and tests).
    ///
    /// Discord is registered with its webhook connection (users paste a webhook URL); a
    /// deployment that runs a Discord bot registers [`DiscordProvider::bot`] over it. Both
    /// publish with either credential.
    pub fn with_defaults(http: &HttpClient, sandbox: Option<Url>) -> Self {
        let mut r = Self::new()
            .with(Arc::new(XProvider::new(http.clone())))
            .with(Arc::new(LinkedInProvider::member(http.clone())))
            .with(Arc::new(LinkedInProvider::page(http.clone())))
            .with(Arc::new(BlueskyProvider::new(http.clone())))
            .with(Arc::new(MastodonProvider::new(http.clone())))
            .with(Arc::new(FacebookProvider::new(http.clone())))
            .with(Arc::new(InstagramProvider::new(http.clone())))
            .with(Arc::new(ThreadsProvider::new(http.clone())))
            .with(Arc::new(DiscordProvider::new(http.clone())))
            .with(Arc::new(SlackProvider::new(http.clone())))
            .with(Arc::new(TelegramProvider::new(http.clone())))
            .with(Arc::new(TikTokProvider::new(http.clone())))
            .with(Arc::new(YouTubeProvider::new(http.clone())))
            .with(Arc::new(NostrProvider::new(http.clone())))
            .with(Arc::new(DevToProvider::new(http.clone())));
        if let Some(url) = sandbox {
            r.register(Arc::new(SandboxProvider::new(http.clone(), url)));
        }
        r
    }

    /// Descriptions of every registered network, for the API and UI.
    pub fn describe(&self) -> Vec<NetworkDescription> {
        self.providers
            .values()
            .map(|p| NetworkDescription {
                network: p.network(),
                name: p.network().display_name(),
                connection: p.connection(),
                rules: p.rules().clone(),
                capabilities: p.capabilities(),
            })
            .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_cover_the_first_wave_and_describe_serializes() {
        let r = Registry::with_defaults(&HttpClient::for_tests(), Some(Url::parse("http://127.0.0.1:7979").expect("url")));
        let nets: Vec<_> = r.networks().collect();
        assert_eq!(
            nets,
            vec![
                Network::X,
                Network::LinkedIn,
                Network::LinkedInPage,
                Network::Bluesky,
                Network::Mastodon,
                Network::Facebook,
                Network::Instagram,
                Network::Threads,
                Network::Discord,
                Network::Slack,
                Network::Telegram,
                Network::TikTok,
                Network::YouTube,
                Network::Nostr,
                Network::DevTo,
                Network::Sandbox
            ]
        );
        let json = serde_json::to_value(r.describe()).expect("serialize");
        assert_eq!(json[0]["connection"]["style"], "oauth2");
        assert_eq!(json[0]["connection"]["pkce"], true);
        let style = |network: &str| {
            json.as_array().expect("array").iter().find(|d| d["network"] == network).map(|d| d["connection"]["style"].clone())
        };
        assert_eq!(style("facebook"), Some("oauth2".into()));
        assert_eq!(style("instagram"), Some("oauth2".into()));
        assert_eq!(style("threads"), Some("oauth2".into()));
        assert_eq!(style("discord"), Some("webhook_url".into()));
        assert_eq!(style("slack"), Some("oauth2".into()));
        assert_eq!(style("telegram"), Some("bot_token".into()));
        assert_eq!(style("nostr"), Some("secret_key".into()));
        assert_eq!(style("devto"), Some("api_key".into()));
        let telegram = json.as_array().expect("array").iter().find(|d| d["network"] == "telegram").expect("telegram");
        assert_eq!(telegram["rules"]["text"]["caption_max_length"], 1024);
    }

    #[test]
    fn every_network_declares_the_metrics_it_offers_and_chat_networks_offer_none() {
        use crate::MetricName;
        let http = HttpClient::for_tests();
        let mut r = Registry::with_defaults(&http, Some(Url::parse("http://127.0.0.1:7979").expect("url")));
        let chat = [Network::Discord, Network::Slack, Network::Telegram];
        let check = |r: &Registry| {
            for network in r.networks().collect::<Vec<_>>() {
                let caps = r.get(network).expect("registered").capabilities();
                assert!(caps.analytics_batch >= 1, "{network}");
                for list in [caps.post_metrics, caps.account_metrics] {
                    let mut seen: Vec<MetricName> = list.to_vec();
                    seen.sort();
                    seen.dedup();
                    assert_eq!(seen.len(), list.len(), "{network} declares a metric twice");
                }
                if chat.contains(&network) {
                    assert!(!caps.post_analytics() && !caps.account_analytics(), "{network} offers no numbers");
                } else {
                    assert!(caps.post_analytics(), "{network} should offer post metrics");
                }
            }
        };
        check(&r);
        r.register(Arc::new(DiscordProvider::bot(http)));
        check(&r);
        let json = serde_json::to_value(r.describe()).expect("serialize");
        let x = json.as_array().expect("array").iter().find(|d| d["network"] == "x").expect("x");
        assert_eq!(x["capabilities"]["analytics_batch"], 100);
        assert_eq!(x["capabilities"]["post_metrics"][0], "impressions");
        assert_eq!(x["capabilities"]["account_metrics"], serde_json::json!(["followers", "following", "posts"]));
    }

    #[test]
    fn a_discord_bot_replaces_the_webhook_connection() {
        let http = HttpClient::for_tests();
        let mut r = Registry::with_defaults(&http, None);
        r.register(Arc::new(DiscordProvider::bot(http)));
        let discord = r.describe().into_iter().find(|d| d.network == Network::Discord).expect("discord");
        assert!(matches!(discord.connection, Connection::BotToken));
        assert!(discord.capabilities.targets && discord.capabilities.find_published);
    }

    #[test]
    fn composed_posts_for_networks_without_an_adapter_are_errors() {
        let r = Registry::new();
        let mut post = ComposedPost::default();
        post.variants.insert(Network::Threads, Default::default());
        assert_eq!(r.validate(&post)[0].code, "network_unavailable");
    }
}
