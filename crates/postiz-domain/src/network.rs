//! The social networks the module can publish to.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A social network. The wire name (`as_str`, serde) is stable: it is stored in the database
/// and used in API paths and validation field names (`variants.x.text`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Network {
    /// X (formerly Twitter).
    X,
    /// LinkedIn, posting as the member.
    #[serde(rename = "linkedin")]
    LinkedIn,
    /// LinkedIn, posting as a company page the member administers.
    #[serde(rename = "linkedin_page")]
    LinkedInPage,
    /// Bluesky (AT Protocol), on bsky.social or a self-hosted PDS.
    Bluesky,
    /// Mastodon, on any instance.
    Mastodon,
    /// Facebook Pages.
    Facebook,
    /// Instagram business or creator accounts.
    Instagram,
    /// Threads (Meta).
    Threads,
    /// Discord, through a webhook URL or a bot in a channel.
    Discord,
    /// Slack, through a bot in a channel.
    Slack,
    /// Telegram, through a bot in a channel or group.
    Telegram,
    /// TikTok (Content Posting API).
    #[serde(rename = "tiktok")]
    TikTok,
    /// YouTube channels (Data API v3).
    #[serde(rename = "youtube")]
    YouTube,
    /// Nostr: notes signed with the user's key, sent to their relay.
    Nostr,
    /// dev.to (Forem API v1): articles, with the user's API key.
    #[serde(rename = "devto")]
    DevTo,
    /// The local sandbox network (`postiz-sandbox`), for demos and worker tests.
    Sandbox,
}

impl Network {
    /// Every network, in display order.
    pub const ALL: [Network; 16] = [
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
        Network::Sandbox,
    ];

    /// The stable wire name (`x`, `linkedin_page`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Network::X => "x",
            Network::LinkedIn => "linkedin",
            Network::LinkedInPage => "linkedin_page",
            Network::Bluesky => "bluesky",
            Network::Mastodon => "mastodon",
            Network::Facebook => "facebook",
            Network::Instagram => "instagram",
            Network::Threads => "threads",
            Network::Discord => "discord",
            Network::Slack => "slack",
            Network::Telegram => "telegram",
            Network::TikTok => "tiktok",
            Network::YouTube => "youtube",
            Network::Nostr => "nostr",
            Network::DevTo => "devto",
            Network::Sandbox => "sandbox",
        }
    }

    /// The name shown to people ("X", "LinkedIn page", …).
    pub const fn display_name(self) -> &'static str {
        match self {
            Network::X => "X",
            Network::LinkedIn => "LinkedIn",
            Network::LinkedInPage => "LinkedIn page",
            Network::Bluesky => "Bluesky",
            Network::Mastodon => "Mastodon",
            Network::Facebook => "Facebook",
            Network::Instagram => "Instagram",
            Network::Threads => "Threads",
            Network::Discord => "Discord",
            Network::Slack => "Slack",
            Network::Telegram => "Telegram",
            Network::TikTok => "TikTok",
            Network::YouTube => "YouTube",
            Network::Nostr => "Nostr",
            Network::DevTo => "dev.to",
            Network::Sandbox => "Sandbox",
        }
    }
}

/// `Display` is the human name; use [`Network::as_str`] for the wire name.
impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// A string that names no known network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownNetwork(pub String);

impl fmt::Display for UnknownNetwork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown network {:?}", self.0)
    }
}

impl std::error::Error for UnknownNetwork {}

impl FromStr for Network {
    type Err = UnknownNetwork;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Network::ALL.into_iter().find(|n| n.as_str() == s).ok_or_else(|| UnknownNetwork(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_through_serde_and_from_str() {
        for n in Network::ALL {
            let json = serde_json::to_string(&n).expect("serialize");
            assert_eq!(json, format!("\"{}\"", n.as_str()));
            let back: Network = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, n);
            assert_eq!(n.as_str().parse::<Network>(), Ok(n));
        }
    }

    #[test]
    fn unknown_names_are_refused() {
        assert!("twitter".parse::<Network>().is_err());
    }
}
