//! What each network accepts as media, as data: formats, bytes, pixels, sides, aspect,
//! counts, and for videos containers, codecs, duration, resolution and frame rate.
//!
//! Read by validation (`validate.rs`, at compose time), by the image transforms
//! (`postiz-media`, which turn an original into a variant that fits), and by the video checks.
//! Each network's numbers, with the source they come from, are in `networks.rs`.
//!
//! Fields are limits the network enforces or applies itself (a network that scales anything
//! wider than 1,440 pixels down gets 1,440 as `max_width`, so we send what it would keep).
//! `None` (or an empty list) means the network documents no such limit.

use postiz_domain::MediaKind;
use serde::{Deserialize, Serialize};

/// Media limits of one network (per item: the main post and each reply).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MediaRules {
    /// Maximum attachments per item.
    pub max_items: u32,
    /// At least one attachment is required (Instagram).
    pub required: bool,
    /// A video or GIF must be the only attachment.
    pub video_alone: bool,
    /// Limits for still images; `None` when images are not accepted.
    pub image: Option<MediaLimits>,
    /// Limits for animated GIFs; `None` when not accepted (an animated image is then refused
    /// by the transforms rather than silently flattened to its first frame).
    pub gif: Option<MediaLimits>,
    /// Limits for videos; `None` when not accepted.
    pub video: Option<MediaLimits>,
    /// Maximum alternative-text length (graphemes).
    pub alt_max_length: Option<u32>,
}

impl MediaRules {
    /// No media at all.
    pub fn none() -> Self {
        Self { max_items: 0, required: false, video_alone: false, image: None, gif: None, video: None, alt_max_length: None }
    }

    /// The limits for one kind of media.
    pub fn limits(&self, kind: MediaKind) -> Option<&MediaLimits> {
        match kind {
            MediaKind::Image => self.image.as_ref(),
            MediaKind::Gif => self.gif.as_ref(),
            MediaKind::Video => self.video.as_ref(),
        }
    }
}

/// Limits for one kind of media (still images, animated GIFs or videos) on one network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MediaLimits {
    /// Accepted MIME types (for videos, the containers: `video/mp4`, `video/quicktime`).
    pub mime_types: Vec<String>,
    /// Maximum file size in bytes.
    pub max_bytes: u64,
    /// Minimum file size in bytes (LinkedIn videos: 75 KB).
    #[serde(default)]
    pub min_bytes: Option<u64>,
    /// Minimum duration (videos).
    pub min_duration_ms: Option<u64>,
    /// Maximum duration (videos).
    pub max_duration_ms: Option<u64>,
    /// Narrowest accepted width/height ratio.
    pub min_aspect_ratio: Option<f64>,
    /// Widest accepted width/height ratio.
    pub max_aspect_ratio: Option<f64>,
    /// Most pixels (width × height) of the picture.
    #[serde(default)]
    pub max_pixels: Option<u64>,
    /// Longest side, in pixels.
    #[serde(default)]
    pub max_long_side: Option<u32>,
    /// Width plus height at most (Telegram photos: 10,000).
    #[serde(default)]
    pub max_side_sum: Option<u32>,
    /// Narrowest picture, in pixels.
    #[serde(default)]
    pub min_width: Option<u32>,
    /// Lowest picture, in pixels.
    #[serde(default)]
    pub min_height: Option<u32>,
    /// Widest picture, in pixels.
    #[serde(default)]
    pub max_width: Option<u32>,
    /// Tallest picture, in pixels.
    #[serde(default)]
    pub max_height: Option<u32>,
    /// Accepted video codecs (`h264`, `hevc`, `vp8`, `vp9`, `av1`); empty: not documented.
    #[serde(default)]
    pub video_codecs: Vec<String>,
    /// Accepted audio codecs (`aac`, `mp3`, `opus`, `vorbis`); empty: not documented.
    #[serde(default)]
    pub audio_codecs: Vec<String>,
    /// Lowest frame rate (videos).
    #[serde(default)]
    pub min_frame_rate: Option<f64>,
    /// Highest frame rate (videos).
    #[serde(default)]
    pub max_frame_rate: Option<f64>,
}

impl MediaLimits {
    /// Accepted types and the byte cap; every other limit unset.
    pub(crate) fn new(mime_types: &[&str], max_bytes: u64) -> Self {
        Self {
            mime_types: mime_types.iter().map(|s| (*s).to_owned()).collect(),
            max_bytes,
            min_bytes: None,
            min_duration_ms: None,
            max_duration_ms: None,
            min_aspect_ratio: None,
            max_aspect_ratio: None,
            max_pixels: None,
            max_long_side: None,
            max_side_sum: None,
            min_width: None,
            min_height: None,
            max_width: None,
            max_height: None,
            video_codecs: Vec::new(),
            audio_codecs: Vec::new(),
            min_frame_rate: None,
            max_frame_rate: None,
        }
    }

    pub(crate) fn duration_ms(mut self, min: u64, max: u64) -> Self {
        self.min_duration_ms = Some(min);
        self.max_duration_ms = Some(max);
        self
    }

    pub(crate) fn aspect(mut self, min: f64, max: f64) -> Self {
        self.min_aspect_ratio = Some(min);
        self.max_aspect_ratio = Some(max);
        self
    }

    pub(crate) fn min_bytes(mut self, min: u64) -> Self {
        self.min_bytes = Some(min);
        self
    }

    pub(crate) fn max_pixels(mut self, max: u64) -> Self {
        self.max_pixels = Some(max);
        self
    }

    pub(crate) fn max_long_side(mut self, max: u32) -> Self {
        self.max_long_side = Some(max);
        self
    }

    pub(crate) fn max_side_sum(mut self, max: u32) -> Self {
        self.max_side_sum = Some(max);
        self
    }

    pub(crate) fn min_size(mut self, width: u32, height: u32) -> Self {
        self.min_width = Some(width);
        self.min_height = Some(height);
        self
    }

    pub(crate) fn max_width(mut self, max: u32) -> Self {
        self.max_width = Some(max);
        self
    }

    pub(crate) fn max_size(mut self, width: u32, height: u32) -> Self {
        self.max_width = Some(width);
        self.max_height = Some(height);
        self
    }

    pub(crate) fn codecs(mut self, video: &[&str], audio: &[&str]) -> Self {
        self.video_codecs = video.iter().map(|s| (*s).to_owned()).collect();
        self.audio_codecs = audio.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    pub(crate) fn frame_rate(mut self, min: f64, max: f64) -> Self {
        self.min_frame_rate = Some(min);
        self.max_frame_rate = Some(max);
        self
    }

    /// Whether `mime` is one of the accepted types.
    pub fn accepts(&self, mime: &str) -> bool {
        self.mime_types.iter().any(|t| t.eq_ignore_ascii_case(mime))
    }

    /// The largest `width`×`height` picture with the same proportions that fits every pixel
    /// limit here (pixels, longest side, side sum, width, height); the size itself when it
    /// already fits. Never enlarges; sides are at least 1.
    pub fn fit_within(&self, width: u32, height: u32) -> (u32, u32) {
        let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
        let mut scale: f64 = 1.0;
        if let Some(max) = self.max_pixels {
            scale = scale.min((max as f64 / (w * h)).sqrt());
        }
        if let Some(max) = self.max_long_side {
            scale = scale.min(f64::from(max) / w.max(h));
        }
        if let Some(max) = self.max_side_sum {
            scale = scale.min(f64::from(max) / (w + h));
        }
        if let Some(max) = self.max_width {
            scale = scale.min(f64::from(max) / w);
        }
        if let Some(max) = self.max_height {
            scale = scale.min(f64::from(max) / h);
        }
        if scale >= 1.0 {
            return (width, height);
        }
        // Round down so the result never exceeds a limit by a rounding pixel.
        let side = |v: f64| ((v * scale + 1e-9).floor() as u32).max(1);
        (side(w), side(h))
    }

    /// Whether a `width`×`height` picture breaks the aspect range, with the range's bounds.
    pub fn aspect_outside(&self, width: u32, height: u32) -> bool {
        if height == 0 {
            return false;
        }
        let ratio = f64::from(width) / f64::from(height);
        self.min_aspect_ratio.is_some_and(|min| ratio < min - 1e-6) || self.max_aspect_ratio.is_some_and(|max| ratio > max + 1e-6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_within_keeps_proportions_and_honours_every_pixel_limit() {
        let l = MediaLimits::new(&["image/jpeg"], 1).max_width(1440);
        assert_eq!(l.fit_within(6000, 4000), (1440, 960));
        assert_eq!(l.fit_within(1000, 800), (1000, 800), "never enlarges");
        let l = MediaLimits::new(&["image/jpeg"], 1).max_pixels(1_000_000);
        let (w, h) = l.fit_within(4000, 3000);
        assert!(u64::from(w) * u64::from(h) <= 1_000_000, "{w}x{h}");
        assert_eq!((w, h), (1154, 866));
        let l = MediaLimits::new(&["image/jpeg"], 1).max_side_sum(10_000);
        let (w, h) = l.fit_within(9000, 3000);
        assert_eq!((w, h), (7500, 2500));
        let l = MediaLimits::new(&["image/jpeg"], 1).max_long_side(100);
        assert_eq!(l.fit_within(50, 10_000), (1, 100), "sides stay at least one pixel");
    }

    #[test]
    fn aspect_range_is_inclusive_at_its_bounds() {
        let l = MediaLimits::new(&["image/jpeg"], 1).aspect(0.8, 1.91);
        assert!(!l.aspect_outside(800, 1000));
        assert!(!l.aspect_outside(1910, 1000));
        assert!(l.aspect_outside(799, 1000));
        assert!(l.aspect_outside(1000, 500));
    }
}
