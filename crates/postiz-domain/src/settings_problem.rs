//! A problem with a network's settings on their own, found before anything is sent.

/// One problem with one settings field, worded for the person composing the post. Validation
/// turns it into a field error at `variants.<network>.settings.<field>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsProblem {
    /// The settings field, e.g. `privacy_level`.
    pub field: &'static str,
    /// Stable code (`required`, `too_long`, …).
    pub code: &'static str,
    /// What is wrong and what to change.
    pub message: String,
}

/// A settings field as the person sees it: "TikTok › Who can see this post". Errors about a
/// network's settings start with it, so they read the same wherever they are shown.
pub fn settings_field_label(network: crate::Network, field: &str) -> String {
    let label = match network {
        crate::Network::TikTok => crate::tiktok::tiktok_field_label(field),
        crate::Network::YouTube => crate::youtube::youtube_field_label(field),
        crate::Network::DevTo => crate::devto::devto_field_label(field),
        _ => match field {
            "post_type" => "Post type",
            "reply_settings" => "Who can reply",
            "visibility" => "Visibility",
            _ => "Settings",
        },
    };
    format!("{} › {label}", network.display_name())
}

impl SettingsProblem {
    /// The message with the field's label in front ("TikTok › Who can see this post: choose one").
    pub fn labelled(&self, network: crate::Network) -> String {
        format!("{}: {}", settings_field_label(network, self.field), self.message)
    }
}
