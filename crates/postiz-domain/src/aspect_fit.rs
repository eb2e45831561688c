//! What to do with an image whose width/height ratio a network does not take.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What to do with an image whose width/height ratio is outside the network's range. Chosen
/// per asset (`media_assets.aspect_fit`, set in the library), because it depends on the
/// picture: a poster can take bars, a portrait may lose its top and bottom. The worker's
/// variants apply it (`postiz-media`); the schedule-time check and the library's fits skip the
/// aspect check for images set to pad or crop, since the copy sent will fit.
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
    /// Every choice, in the order the library offers them.
    pub const ALL: [AspectFit; 3] = [AspectFit::Refuse, AspectFit::Pad, AspectFit::Crop];

    /// The stored name (`refuse`, `pad`, `crop`).
    pub const fn as_str(self) -> &'static str {
        match self {
            AspectFit::Refuse => "refuse",
            AspectFit::Pad => "pad",
            AspectFit::Crop => "crop",
        }
    }

    /// Whether an image with this choice is made to fit any aspect range.
    pub const fn fits_any_aspect(self) -> bool {
        !matches!(self, AspectFit::Refuse)
    }
}

impl fmt::Display for AspectFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored or sent name that is not an [`AspectFit`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownAspectFit(pub String);

impl fmt::Display for UnknownAspectFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown aspect fit {:?} (expected refuse, pad or crop)", self.0)
    }
}

impl std::error::Error for UnknownAspectFit {}

impl FromStr for AspectFit {
    type Err = UnknownAspectFit;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AspectFit::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| UnknownAspectFit(s.to_owned()))
    }
}
