//! Notification events: what happened, for whom, and how a person chose to hear of it. One
//! typed shape from the database (`postiz.notifications`, written by the event triggers of
//! `supabase/migrations/20261204000000_create_notifications.sql`) through the API and the
//! worker's emails to the UI's inbox.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Network;

/// The kinds of event a person can be told of (`postiz.notification_kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A post waits for the recipient's decision.
    ApprovalRequested,
    /// A reviewer decided on the recipient's post.
    ApprovalDecided,
    /// The recipient's post failed on a network.
    PostFailed,
    /// Whether the recipient's post is on a network is unknown; a person must resolve it.
    PostUnconfirmed,
    /// The recipient's post was published (opt-in).
    PostPublished,
    /// An account's token was refused: it needs reconnecting.
    AccountNeedsReconnect,
    /// A webhook endpoint kept failing and was turned off (admins and owners).
    WebhookDisabled,
    /// An account's sign-in expires within a week and cannot be renewed: reconnect it before.
    TokenExpiring,
    /// The recipient was invited to another workspace.
    InviteReceived,
}

impl NotificationKind {
    /// Every kind, in the order the preferences list them.
    pub const ALL: [NotificationKind; 9] = [
        NotificationKind::ApprovalRequested,
        NotificationKind::ApprovalDecided,
        NotificationKind::PostFailed,
        NotificationKind::PostUnconfirmed,
        NotificationKind::PostPublished,
        NotificationKind::AccountNeedsReconnect,
        NotificationKind::WebhookDisabled,
        NotificationKind::TokenExpiring,
        NotificationKind::InviteReceived,
    ];

    /// The stored label.
    pub const fn as_str(self) -> &'static str {
        match self {
            NotificationKind::ApprovalRequested => "approval_requested",
            NotificationKind::ApprovalDecided => "approval_decided",
            NotificationKind::PostFailed => "post_failed",
            NotificationKind::PostUnconfirmed => "post_unconfirmed",
            NotificationKind::PostPublished => "post_published",
            NotificationKind::AccountNeedsReconnect => "account_needs_reconnect",
            NotificationKind::WebhookDisabled => "webhook_disabled",
            NotificationKind::TokenExpiring => "token_expiring",
            NotificationKind::InviteReceived => "invite_received",
        }
    }

    /// What the preference is about, for the settings screen.
    pub const fn describe(self) -> &'static str {
        match self {
            NotificationKind::ApprovalRequested => "A post waits for my approval",
            NotificationKind::ApprovalDecided => "A reviewer decided on my post",
            NotificationKind::PostFailed => "My post failed",
            NotificationKind::PostUnconfirmed => "My post needs me to check whether it went out",
            NotificationKind::PostPublished => "My post was published",
            NotificationKind::AccountNeedsReconnect => "An account needs reconnecting",
            NotificationKind::WebhookDisabled => "A webhook endpoint was turned off after repeated failures",
            NotificationKind::TokenExpiring => "An account's sign-in expires soon",
            NotificationKind::InviteReceived => "I am invited to join another workspace",
        }
    }
}

impl fmt::Display for NotificationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A label that is not a [`NotificationKind`] or [`NotificationDelivery`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownNotificationLabel(pub String);

impl fmt::Display for UnknownNotificationLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown notification label {:?}", self.0)
    }
}

impl std::error::Error for UnknownNotificationLabel {}

impl FromStr for NotificationKind {
    type Err = UnknownNotificationLabel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownNotificationLabel(s.to_owned()))
    }
}

/// How a person hears of one kind (`postiz.notification_delivery`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationDelivery {
    /// Not at all.
    Off,
    /// In the inbox only.
    InApp,
    /// In the inbox and by email at once.
    Email,
    /// In the inbox and in the daily digest email.
    Digest,
}

impl NotificationDelivery {
    /// Every choice, in the order the settings offer them.
    pub const ALL: [NotificationDelivery; 4] =
        [NotificationDelivery::Off, NotificationDelivery::InApp, NotificationDelivery::Email, NotificationDelivery::Digest];

    /// The stored label.
    pub const fn as_str(self) -> &'static str {
        match self {
            NotificationDelivery::Off => "off",
            NotificationDelivery::InApp => "in_app",
            NotificationDelivery::Email => "email",
            NotificationDelivery::Digest => "digest",
        }
    }

    /// The choice in words.
    pub const fn describe(self) -> &'static str {
        match self {
            NotificationDelivery::Off => "Off",
            NotificationDelivery::InApp => "In the inbox",
            NotificationDelivery::Email => "Inbox and email",
            NotificationDelivery::Digest => "Inbox and daily digest",
        }
    }
}

impl FromStr for NotificationDelivery {
    type Err = UnknownNotificationLabel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownNotificationLabel(s.to_owned()))
    }
}

/// A reviewer's decision as a notification tells it (`postiz.approval_decision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    /// Approved.
    Approved,
    /// Rejected (until edited).
    Rejected,
    /// Changes requested.
    ChangesRequested,
}

/// What happened: the kind with its facts. Serialized with the kind as tag
/// (`{"kind": "post_failed", "post_id": …, "network": "mastodon", "error": …}`), which is how the
/// API and the worker decode a stored row (its columns and `details` in one object).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NotificationEvent {
    /// A post waits for the recipient's decision.
    ApprovalRequested {
        /// The post.
        post_id: Uuid,
        /// What it still needs, in words (the approval state's `missing`).
        #[serde(default)]
        missing: Option<String>,
    },
    /// A reviewer decided on the recipient's post.
    ApprovalDecided {
        /// The post.
        post_id: Uuid,
        /// The decision.
        decision: ReviewDecision,
        /// The reviewer's note (required for a rejection or a change request).
        #[serde(default)]
        note: Option<String>,
        /// The name a client typed, for a decision made through a review link.
        #[serde(default)]
        reviewer_name: Option<String>,
        /// "via review link <label>", with `reviewer_name`.
        #[serde(default)]
        via: Option<String>,
    },
    /// The post failed on a network.
    PostFailed {
        /// The post.
        post_id: Uuid,
        /// The network.
        network: Network,
        /// The network's reason, worded for the user.
        #[serde(default)]
        error: Option<String>,
    },
    /// Whether the post is on a network is unknown.
    PostUnconfirmed {
        /// The post.
        post_id: Uuid,
        /// The network.
        network: Network,
    },
    /// The post was published.
    PostPublished {
        /// The post.
        post_id: Uuid,
        /// The network.
        network: Network,
        /// Where it is.
        #[serde(default)]
        url: Option<String>,
    },
    /// An account needs reconnecting.
    AccountNeedsReconnect {
        /// The account.
        account_id: Uuid,
        /// Its network.
        network: Network,
        /// Its handle, when known.
        #[serde(default)]
        handle: Option<String>,
        /// The first scheduled post that waits for it, when there is one.
        #[serde(default)]
        post_id: Option<Uuid>,
        /// That post's time in the workspace's zone, in words
        /// (`Mon 14 Dec 2026 09:30 (Europe/Berlin)`).
        #[serde(default)]
        scheduled_local: Option<String>,
    },
    /// An account's sign-in expires soon and cannot be renewed without its owner.
    TokenExpiring {
        /// The account.
        account_id: Uuid,
        /// Its network.
        network: Network,
        /// Its handle, when known.
        #[serde(default)]
        handle: Option<String>,
        /// When it expires, in the workspace's zone, in words.
        #[serde(default)]
        expires_local: Option<String>,
    },
    /// The recipient was invited to another workspace (told in the workspaces they are in).
    InviteReceived {
        /// The invitation (accept it with `POST /invites/{id}/accept`).
        invite_id: Uuid,
        /// The inviting workspace's name.
        workspace_name: String,
        /// The role offered (`viewer`, `editor`, `admin`).
        #[serde(default)]
        role: Option<String>,
        /// Who invited them: their name, else their email.
        #[serde(default)]
        invited_by: Option<String>,
    },
    /// A webhook endpoint kept failing and was turned off.
    WebhookDisabled {
        /// The endpoint.
        endpoint_id: Uuid,
        /// Its URL.
        url: String,
        /// Why, in words.
        #[serde(default)]
        reason: Option<String>,
    },
}

impl NotificationEvent {
    /// Its kind.
    pub const fn kind(&self) -> NotificationKind {
        match self {
            NotificationEvent::ApprovalRequested { .. } => NotificationKind::ApprovalRequested,
            NotificationEvent::ApprovalDecided { .. } => NotificationKind::ApprovalDecided,
            NotificationEvent::PostFailed { .. } => NotificationKind::PostFailed,
            NotificationEvent::PostUnconfirmed { .. } => NotificationKind::PostUnconfirmed,
            NotificationEvent::PostPublished { .. } => NotificationKind::PostPublished,
            NotificationEvent::AccountNeedsReconnect { .. } => NotificationKind::AccountNeedsReconnect,
            NotificationEvent::WebhookDisabled { .. } => NotificationKind::WebhookDisabled,
            NotificationEvent::TokenExpiring { .. } => NotificationKind::TokenExpiring,
            NotificationEvent::InviteReceived { .. } => NotificationKind::InviteReceived,
        }
    }

    /// The post it is about, if any (the inbox links to it).
    pub const fn post_id(&self) -> Option<Uuid> {
        match self {
            NotificationEvent::ApprovalRequested { post_id, .. }
            | NotificationEvent::ApprovalDecided { post_id, .. }
            | NotificationEvent::PostFailed { post_id, .. }
            | NotificationEvent::PostUnconfirmed { post_id, .. }
            | NotificationEvent::PostPublished { post_id, .. } => Some(*post_id),
            NotificationEvent::AccountNeedsReconnect { .. }
            | NotificationEvent::TokenExpiring { .. }
            | NotificationEvent::InviteReceived { .. }
            | NotificationEvent::WebhookDisabled { .. } => None,
        }
    }

    /// One line saying what happened: the inbox entry and the email's subject.
    pub fn headline(&self) -> String {
        match self {
            NotificationEvent::ApprovalRequested { .. } => "A post waits for your approval".into(),
            NotificationEvent::ApprovalDecided { decision, reviewer_name: Some(name), via, .. } => {
                let via = via.as_deref().map(|v| format!(" ({v})")).unwrap_or_default();
                match decision {
                    ReviewDecision::Approved => format!("{name}{via} approved your post"),
                    ReviewDecision::Rejected => format!("{name}{via} rejected your post"),
                    ReviewDecision::ChangesRequested => format!("{name}{via} asked for changes to your post"),
                }
            }
            NotificationEvent::ApprovalDecided { decision: ReviewDecision::Approved, .. } => "Your post was approved".into(),
            NotificationEvent::ApprovalDecided { decision: ReviewDecision::Rejected, .. } => "Your post was rejected".into(),
            NotificationEvent::ApprovalDecided { decision: ReviewDecision::ChangesRequested, .. } => {
                "A reviewer asked for changes to your post".into()
            }
            NotificationEvent::PostFailed { network, .. } => format!("Your post failed on {}", network.display_name()),
            NotificationEvent::PostUnconfirmed { network, .. } => {
                format!("Check whether your post is on {}", network.display_name())
            }
            NotificationEvent::PostPublished { network, .. } => format!("Your post was published on {}", network.display_name()),
            NotificationEvent::AccountNeedsReconnect { network, handle, .. } => match handle {
                Some(h) => format!("Your {} account {h} needs reconnecting", network.display_name()),
                None => format!("A {} account needs reconnecting", network.display_name()),
            },
            NotificationEvent::TokenExpiring { network, handle, .. } => match handle {
                Some(h) => format!("Reconnect your {} account {h} before its sign-in expires", network.display_name()),
                None => format!("Reconnect a {} account before its sign-in expires", network.display_name()),
            },
            NotificationEvent::InviteReceived { workspace_name, invited_by, .. } => match invited_by {
                Some(who) => format!("{who} invited you to join {workspace_name}"),
                None => format!("You are invited to join {workspace_name}"),
            },
            NotificationEvent::WebhookDisabled { url, .. } => format!("The webhook endpoint {url} was turned off"),
        }
    }

    /// What to know or do next, when there is more to say than the headline.
    pub fn detail(&self) -> Option<String> {
        match self {
            NotificationEvent::ApprovalRequested { missing, .. } => missing.clone(),
            NotificationEvent::ApprovalDecided { note, .. } => note.as_ref().map(|n| format!("Note: {n}")),
            NotificationEvent::PostFailed { error, .. } => error.clone(),
            NotificationEvent::PostUnconfirmed { network, .. } => Some(format!(
                "The request timed out after it was sent. Look on {} and say on the post whether it is there or should be published again.",
                network.display_name()
            )),
            NotificationEvent::PostPublished { url, .. } => url.clone(),
            NotificationEvent::AccountNeedsReconnect { network, scheduled_local, .. } => Some(match scheduled_local {
                Some(at) => format!(
                    "{} refused its sign-in. Reconnect it under Accounts before its next post, due {at}; its posts wait until then.",
                    network.display_name()
                ),
                None => format!("{} refused its sign-in. Reconnect it under Accounts; its posts wait until then.", network.display_name()),
            }),
            NotificationEvent::TokenExpiring { network, expires_local, .. } => Some(format!(
                "{} lets this sign-in last until {} and it cannot be renewed without you. Reconnect the account under Accounts before then, or its posts will wait.",
                network.display_name(),
                expires_local.as_deref().unwrap_or("soon")
            )),
            NotificationEvent::InviteReceived { role, .. } => Some(format!(
                "{}Open the invitation to join, or ignore it and nothing changes.",
                role.as_deref()
                    .map(|r| format!("You would join as {} {r}. ", if r.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" }))
                    .unwrap_or_default()
            )),
            NotificationEvent::WebhookDisabled { reason, .. } => Some(format!(
                "{} Events wait until it is turned on again under Settings, Webhooks.",
                reason.as_deref().unwrap_or("It failed too many times in a row.")
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_through_serde_and_from_str() {
        for k in NotificationKind::ALL {
            assert_eq!(serde_json::to_string(&k).expect("serialize"), format!("\"{}\"", k.as_str()));
            assert_eq!(k.as_str().parse::<NotificationKind>(), Ok(k));
        }
        for d in NotificationDelivery::ALL {
            assert_eq!(serde_json::to_string(&d).expect("serialize"), format!("\"{}\"", d.as_str()));
            assert_eq!(d.as_str().parse::<NotificationDelivery>(), Ok(d));
        }
        assert!("weekly".parse::<NotificationDelivery>().is_err());
    }

    #[test]
    fn a_stored_row_decodes_by_its_kind_and_an_unknown_one_is_refused() {
        let id = Uuid::from_u128(7);
        let row = serde_json::json!({"kind": "post_failed", "post_id": id, "network": "mastodon", "error": "Too long", "target_id": id});
        let event: NotificationEvent = serde_json::from_value(row).expect("decodes");
        assert_eq!(event, NotificationEvent::PostFailed { post_id: id, network: Network::Mastodon, error: Some("Too long".into()) });
        assert_eq!(event.kind(), NotificationKind::PostFailed);
        assert_eq!(event.headline(), "Your post failed on Mastodon");
        assert_eq!(event.post_id(), Some(id));
        let invite = serde_json::json!({"kind": "invite_received", "invite_id": id, "workspace_name": "Acme", "role": "editor",
                                        "invited_by": "Olga Owner", "expires_at": "2026-12-10T08:00:00Z"});
        let event: NotificationEvent = serde_json::from_value(invite).expect("decodes");
        assert_eq!(event.kind(), NotificationKind::InviteReceived);
        assert_eq!(event.headline(), "Olga Owner invited you to join Acme");
        assert_eq!(
            event.detail().as_deref(),
            Some("You would join as an editor. Open the invitation to join, or ignore it and nothing changes.")
        );
        assert_eq!(event.post_id(), None);
        let unknown = serde_json::json!({"kind": "post_exploded", "post_id": id});
        assert!(serde_json::from_value::<NotificationEvent>(unknown).is_err());
    }
}
