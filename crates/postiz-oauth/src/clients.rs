//! The operator's OAuth apps, one per network.

use std::collections::BTreeMap;

use postiz_config::{ConfigError, OAuthSettings};
use postiz_domain::Network;
use postiz_providers::OAuthClient;

/// OAuth clients by network. `Debug` shows ids only (via [`OAuthClient`]'s redacting `Debug`).
#[derive(Clone, Debug, Default)]
pub struct OAuthClients {
    by_network: BTreeMap<Network, OAuthClient>,
}

impl OAuthClients {
    /// No clients.
    pub fn new() -> Self {
        Self::default()
    }

    /// Clients from `[oauth.clients.<network>]`, secrets from `POSTIZ_OAUTH_<NETWORK>_CLIENT_SECRET`.
    pub fn from_settings(settings: &OAuthSettings) -> Result<Self, ConfigError> {
        Self::from_settings_with(settings, postiz_config::oauth_client_secret)
    }

    /// [`OAuthClients::from_settings`] with the secret lookup injected (tests).
    pub fn from_settings_with(
        settings: &OAuthSettings,
        secret: impl Fn(&str) -> Result<Option<secrecy::SecretString>, ConfigError>,
    ) -> Result<Self, ConfigError> {
        let mut clients = Self::new();
        for (name, client) in &settings.clients {
            let network = Network::ALL.into_iter().find(|n| n.as_str() == name).ok_or_else(|| ConfigError::BadOAuth {
                key: format!("oauth.clients.{name}"),
                problem: format!("unknown network; use one of: {}", Network::ALL.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")),
            })?;
            clients.insert(network, OAuthClient { client_id: client.client_id.clone(), client_secret: secret(name)? });
        }
        Ok(clients)
    }

    /// Adds or replaces the client of `network`.
    pub fn insert(&mut self, network: Network, client: OAuthClient) -> &mut Self {
        self.by_network.insert(network, client);
        self
    }

    /// Builder-style [`OAuthClients::insert`].
    pub fn with(mut self, network: Network, client: OAuthClient) -> Self {
        self.insert(network, client);
        self
    }

    /// The client of `network`, if configured.
    pub fn get(&self, network: Network) -> Option<&OAuthClient> {
        self.by_network.get(&network)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::{ExposeSecret, SecretString};

    use super::*;

    #[test]
    fn clients_combine_config_ids_and_env_secrets_and_debug_redacts() {
        let mut settings = OAuthSettings::default();
        settings.clients.insert("linkedin_page".into(), postiz_config::OAuthClientSettings { client_id: "li-id".into() });
        settings.clients.insert("x".into(), postiz_config::OAuthClientSettings { client_id: "x-id".into() });
        let clients = OAuthClients::from_settings_with(&settings, |n| {
            Ok((n == "linkedin_page").then(|| SecretString::from("li-secret-value".to_owned())))
        })
        .expect("valid");
        let li = clients.get(Network::LinkedInPage).expect("configured");
        assert_eq!(li.client_id, "li-id");
        assert_eq!(li.client_secret.as_ref().map(|s| s.expose_secret()), Some("li-secret-value"));
        assert!(clients.get(Network::X).expect("configured").client_secret.is_none(), "public client");
        let shown = format!("{clients:?}");
        assert!(!shown.contains("li-secret-value") && shown.contains("li-id"), "{shown}");
    }

    #[test]
    fn unknown_network_names_the_key() {
        let mut settings = OAuthSettings::default();
        settings.clients.insert("myspace".into(), postiz_config::OAuthClientSettings { client_id: "a".into() });
        let err = OAuthClients::from_settings_with(&settings, |_| Ok(None)).expect_err("unknown").to_string();
        assert!(err.contains("oauth.clients.myspace") && err.contains("linkedin_page"), "{err}");
    }
}
