#![doc = include_str!("../README.md")]

mod animation;
mod inspect;
mod profile;
mod refusal;
pub mod samples;
mod sniff;
mod transform;

pub use inspect::{ImageFacts, ImageLimits, MAX_IMAGE_PIXELS, Refused, inspect_image};
pub use profile::{AspectFit, UnknownAspectFit, profile_key};
pub use refusal::Refusal;
pub use sniff::{SNIFF_LEN, Sniffed, is_heif, sniff};
pub use transform::{Original, Target, Variant, make_variant};

/// Most encodes one variant may take ([`transform::MAX_ENCODES`]).
pub const fn transform_max_encodes() -> u32 {
    transform::MAX_ENCODES
}
