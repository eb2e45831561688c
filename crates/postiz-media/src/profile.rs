//! Which variant an original needs on a network: the network, how the asset wants a wrong
//! aspect ratio handled, and the rules the variant was made for, named by one key.

use std::fmt;
use std::str::FromStr;

use postiz_domain::Network;
use postiz_providers::rules::MediaRules;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bumped when the transforms change what they produce, so variants made by older code are
/// not reused.
const TRANSFORM_VERSION: u32 = 1;

/// What to do with an image whose width/height ratio is outside the network's range. Chosen
/// per asset (`media_assets.aspect_fit`), because it depends on the picture: a poster can take
/// bars, a portrait may lose its top and bottom.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AspectFit {
    /// Refuse the image, naming the range (the default: nothing changes without consent).
    #[default]
    Refuse,
    /// Add white bars to reach the nearest accepted ratio.
    Pad,
    /// Cut the middle out at the nearest accepted ratio.
    Crop,
}

impl AspectFit {
    /// The stored name (`refuse`, `pad`, `crop`).
    pub const fn as_str(self) -> &'static str {
        match self {
            AspectFit::Refuse => "refuse",
            AspectFit::Pad => "pad",
            AspectFit::Crop => "crop",
        }
    }
}

impl fmt::Display for AspectFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored name that is not an [`AspectFit`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown aspect fit {0:?} (expected refuse, pad or crop)")]
pub struct UnknownAspectFit(pub String);

impl FromStr for AspectFit {
    type Err = UnknownAspectFit;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [AspectFit::Refuse, AspectFit::Pad, AspectFit::Crop]
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownAspectFit(s.to_owned()))
    }
}

/// The key of the variant an original needs for `network`: readable (`instagram-refuse-…`) and
/// changing whenever the image rules, the fit or the transforms change, so a stored variant is
/// reused exactly while it is still what would be made.
pub fn profile_key(network: Network, rules: &MediaRules, fit: AspectFit) -> String {
    let mut hash = Sha256::new();
    hash.update(TRANSFORM_VERSION.to_le_bytes());
    // The rules serialize deterministically (struct fields in order); only image limits matter.
    hash.update(serde_json::to_vec(&(&rules.image, &rules.gif)).unwrap_or_default());
    let digest = hash.finalize();
    format!("{}-{}-{}", network.as_str(), fit.as_str(), hex::encode(&digest[..4]))
}

#[cfg(test)]
mod tests {
    use postiz_providers::ContentRules;

    use super::*;

    #[test]
    fn keys_differ_by_network_fit_and_rules_and_are_stable() {
        let ig = &ContentRules::for_network(Network::Instagram).media;
        let key = profile_key(Network::Instagram, ig, AspectFit::Refuse);
        assert!(key.starts_with("instagram-refuse-") && key.len() == "instagram-refuse-".len() + 8, "{key}");
        assert_eq!(key, profile_key(Network::Instagram, ig, AspectFit::Refuse));
        assert_ne!(key, profile_key(Network::Instagram, ig, AspectFit::Pad));
        let mut changed = ig.clone();
        if let Some(image) = changed.image.as_mut() {
            image.max_bytes -= 1;
        }
        assert_ne!(key, profile_key(Network::Instagram, &changed, AspectFit::Refuse));
        // Same image rules under another network name still get their own key.
        let li = &ContentRules::for_network(Network::LinkedIn).media;
        assert_ne!(profile_key(Network::LinkedIn, li, AspectFit::Refuse), profile_key(Network::LinkedInPage, li, AspectFit::Refuse));
    }

    #[test]
    fn fits_round_trip_through_their_stored_names() {
        for fit in [AspectFit::Refuse, AspectFit::Pad, AspectFit::Crop] {
            assert_eq!(fit.as_str().parse::<AspectFit>(), Ok(fit));
        }
        assert!("stretch".parse::<AspectFit>().is_err());
    }
}
