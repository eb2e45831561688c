//! Why an original cannot become a variant for a network: one variant per decision the person
//! has to make, each message naming the file and the limit, written for the post's author.

use postiz_domain::Network;

/// A typed refusal; `Display` is the message shown on the failed post target.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// Zero bytes.
    #[error("“{file}” is empty (0 bytes); upload it again")]
    Empty {
        /// The file's name in the library.
        file: String,
    },
    /// A HEIF/HEIC or AVIF still (what phones save by default).
    #[error(
        "“{file}” is a HEIC/HEIF photo, which {network} does not take; export it as JPEG (on an iPhone: \
         Settings › Camera › Formats › Most Compatible) and attach it again"
    )]
    Heic {
        /// The file's name in the library.
        file: String,
        /// The network it was meant for.
        network: Network,
    },
    /// Not a PNG, JPEG, GIF or WebP image.
    #[error("“{file}” is not an image we can read (PNG, JPEG, GIF or WebP)")]
    NotAnImage {
        /// The file's name in the library.
        file: String,
    },
    /// The header or the pixels could not be read.
    #[error("“{file}” could not be read as a {format} image ({reason}); the file may be damaged, export it again")]
    Corrupt {
        /// The file's name in the library.
        file: String,
        /// What its magic bytes said it was.
        format: &'static str,
        /// The decoder's words.
        reason: String,
    },
    /// More pixels than anything is decoded for (seen in the header, before any decode).
    #[error(
        "“{file}” is {width}×{height} pixels ({}); images may have at most {} ({max_pixels} pixels); scale it down and attach it again",
        crate::inspect::megapixels(u64::from(*width) * u64::from(*height)),
        crate::inspect::megapixels(*max_pixels)
    )]
    TooManyPixels {
        /// The file's name in the library.
        file: String,
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The cap.
        max_pixels: u64,
    },
    /// The network takes no images (of this kind) at all.
    #[error("{network} does not take images; remove “{file}” from this post's {network} version")]
    ImagesNotAccepted {
        /// The file's name in the library.
        file: String,
        /// The network it was meant for.
        network: Network,
    },
    /// An animation the network cannot take as such.
    #[error(
        "“{file}” is an animated {format}; {network} {}",
        if *gif_accepted { "takes animations only as GIF: convert it to a GIF, or to a still image" } else { "takes no animations: attach a still image instead" }
    )]
    Animated {
        /// The file's name in the library.
        file: String,
        /// `PNG`, `WebP` or `GIF`.
        format: &'static str,
        /// The network it was meant for.
        network: Network,
        /// Whether the network takes animated GIFs.
        gif_accepted: bool,
    },
    /// An animated GIF too large for the network (animations are not re-encoded).
    #[error("“{file}” is an animated GIF of {}, {width}×{height}; {network} takes GIFs up to {}{}; make it smaller or shorter", human_bytes(*bytes), human_bytes(*max_bytes), max_size.map(|(w, h)| format!(" and {w}×{h}")).unwrap_or_default())]
    AnimationTooLarge {
        /// The file's name in the library.
        file: String,
        /// The network it was meant for.
        network: Network,
        /// Its size.
        bytes: u64,
        /// The network's cap.
        max_bytes: u64,
        /// Its width.
        width: u32,
        /// Its height.
        height: u32,
        /// The largest size it would fit in, when pixels are the problem.
        max_size: Option<(u32, u32)>,
    },
    /// Width/height ratio outside the network's range, and the asset did not opt into pad/crop.
    #[error(
        "“{file}” is {width}×{height} (ratio {:.2}); {network} takes images with a width/height ratio from {min:.2} to {max:.2}; \
         crop it, or set this image to be padded or cropped automatically",
        f64::from(*width) / f64::from((*height).max(1))
    )]
    Aspect {
        /// The file's name in the library.
        file: String,
        /// The network it was meant for.
        network: Network,
        /// Width after orientation.
        width: u32,
        /// Height after orientation.
        height: u32,
        /// Narrowest accepted ratio.
        min: f64,
        /// Widest accepted ratio.
        max: f64,
    },
    /// Still over the byte cap after every allowed attempt.
    #[error(
        "“{file}” could not be brought under {network}'s {} limit (the smallest attempt, {width}×{height}, was {}); use a simpler or smaller image",
        human_bytes(*max_bytes),
        human_bytes(*smallest)
    )]
    CannotFit {
        /// The file's name in the library.
        file: String,
        /// The network it was meant for.
        network: Network,
        /// The network's cap.
        max_bytes: u64,
        /// Bytes of the smallest attempt.
        smallest: u64,
        /// Width of the smallest attempt.
        width: u32,
        /// Height of the smallest attempt.
        height: u32,
    },
    /// Encoding the variant failed (not the file's fault).
    #[error("“{file}” could not be converted for {network}: {reason}")]
    Encode {
        /// The file's name in the library.
        file: String,
        /// The network it was meant for.
        network: Network,
        /// The encoder's words.
        reason: String,
    },
}

impl Refusal {
    /// A stable machine code for the failure (`media_empty`, `media_aspect`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Empty { .. } => "media_empty",
            Refusal::Heic { .. } => "media_heic",
            Refusal::NotAnImage { .. } => "media_type",
            Refusal::Corrupt { .. } => "media_corrupt",
            Refusal::TooManyPixels { .. } => "media_too_many_pixels",
            Refusal::ImagesNotAccepted { .. } => "media_type",
            Refusal::Animated { .. } => "media_animated",
            Refusal::AnimationTooLarge { .. } => "media_too_large",
            Refusal::Aspect { .. } => "media_aspect",
            Refusal::CannotFit { .. } => "media_too_large",
            Refusal::Encode { .. } => "media_encode",
        }
    }
}

/// `1,000,000 bytes` → "977 KB"; sizes in binary units, as the rules' messages.
pub(crate) fn human_bytes(n: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if n >= MB {
        format!("{:.1} MB", n as f64 / MB as f64)
    } else if n >= 1024 {
        format!("{:.0} KB", n as f64 / 1024.0)
    } else {
        format!("{n} bytes")
    }
}
