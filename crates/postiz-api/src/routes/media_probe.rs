//! What an uploaded file is, judged from its bytes only, and the library's image checks (header
//! dimensions before any decode, a decode under limits, a thumbnail). The code lives in
//! `postiz-media`, shared with the worker's per-network variants; videos are read by
//! [`super::video_probe`] and their poster frame made by [`super::video_poster`].

pub use postiz_media::{ImageFacts, ImageLimits, MAX_IMAGE_PIXELS, Refused, SNIFF_LEN, Sniffed, inspect_image, sniff};
