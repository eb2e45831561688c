//! Which variant an original needs on a network: the network, how the asset wants a wrong
//! aspect ratio handled, and the rules the variant was made for, named by one key.

use postiz_domain::Network;
use postiz_providers::rules::MediaRules;
use sha2::{Digest, Sha256};

/// Bumped when the transforms change what they produce, so variants made by older code are
/// not reused.
const TRANSFORM_VERSION: u32 = 1;

pub use postiz_domain::{AspectFit, UnknownAspectFit};

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
