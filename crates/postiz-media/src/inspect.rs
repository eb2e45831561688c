//! Image checks for the library: dimensions from the header, checked (longest side, and pixel
//! count: a small file can declare a huge picture, a decompression bomb) before a single pixel
//! is decoded; then a decode under hard limits (side and memory) to make a thumbnail that fits
//! in a square (JPEG, or PNG when the image has transparency).

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::Sniffed;

/// The most pixels an image may have: 36,152,320, LinkedIn's published maximum and the largest
/// pixel count any network in `postiz-providers`' rules documents (the others publish byte sizes
/// or smaller sides), so a larger image could not be posted anywhere. About 6000x6000; decoded it
/// takes at most 8 bytes a pixel (16-bit RGBA, the widest layout the accepted formats decode
/// to), 289 MB.
pub const MAX_IMAGE_PIXELS: u64 = 36_152_320;

/// Bytes a decoded pixel may take at most (16-bit RGBA).
const MAX_BYTES_PER_PIXEL: u64 = 8;

/// Limits for decoding images.
#[derive(Debug, Clone, Copy)]
pub struct ImageLimits {
    /// Longest side accepted, in pixels.
    pub max_side: u32,
    /// Most pixels (width x height) accepted; see [`MAX_IMAGE_PIXELS`].
    pub max_pixels: u64,
    /// Thumbnails fit in a square of this side.
    pub thumbnail_side: u32,
}

/// What an image check found.
#[derive(Debug, Clone)]
pub struct ImageFacts {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The thumbnail's bytes and type.
    pub thumbnail: (Vec<u8>, Sniffed),
}

/// Why an image was refused: a message for the `file` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub String);

pub(crate) fn megapixels(pixels: u64) -> String {
    // One decimal, rounded down, so a refused image never reads as equal to the limit.
    let tenths = pixels / 100_000;
    format!("{}.{} megapixels", tenths / 10, tenths % 10)
}

/// Memory for a decoded picture of `max_pixels`, at the widest pixel layout, plus room for the
/// decoder's own buffers (PNG's are allocated while the header is read, so the limit applies to
/// the header read too).
pub(crate) fn decode_budget(max_pixels: u64) -> u64 {
    max_pixels.saturating_mul(MAX_BYTES_PER_PIXEL).saturating_add(64 * 1024 * 1024)
}

/// A decoder that has read the header only (dimensions, colour type, orientation) under an
/// allocation budget: nothing is decoded yet.
pub(crate) fn read_header(bytes: &[u8], format: ImageFormat, budget: u64) -> image::ImageResult<impl ImageDecoder + '_> {
    let mut header_limits = Limits::default();
    header_limits.max_alloc = Some(budget);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(header_limits);
    reader.into_decoder()
}

/// Limits for the decode itself: both sides and the allocation budget.
pub(crate) fn decode_limits(max_side: u32, budget: u64) -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(max_side);
    limits.max_image_height = Some(max_side);
    limits.max_alloc = Some(budget);
    limits
}

/// Checks an image's header dimensions against `limits`: nothing is decoded yet, so a file that
/// declares more pixels than we accept costs a header read, not its decode.
fn check_dimensions(width: u32, height: u32, limits: ImageLimits) -> Result<(), Refused> {
    if width == 0 || height == 0 {
        return Err(Refused("has no pixels".into()));
    }
    if width > limits.max_side || height > limits.max_side {
        return Err(Refused(format!("is {width}x{height} pixels; the longest side may be at most {} pixels", limits.max_side)));
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(Refused(format!(
            "is {width}x{height} pixels ({}); images may have at most {} ({} pixels), the most any network accepts",
            megapixels(pixels),
            megapixels(limits.max_pixels),
            limits.max_pixels
        )));
    }
    Ok(())
}

/// Reads an image's dimensions from its header, checks them, and only then decodes it to make
/// its thumbnail. CPU-bound: call it from `spawn_blocking`, under the API's bound on concurrent
/// decodes (`media::inspect_image_bytes`).
pub fn inspect_image(bytes: &[u8], kind: Sniffed, limits: ImageLimits) -> Result<ImageFacts, Refused> {
    let format = kind.image_format().ok_or_else(|| Refused("is not an image".into()))?;
    let budget = decode_budget(limits.max_pixels);
    let mut decoder =
        read_header(bytes, format, budget).map_err(|e| Refused(format!("is not a readable {} image: {e}", kind.extension())))?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;
    decoder.set_limits(decode_limits(limits.max_side, budget)).map_err(|e| Refused(format!("could not be decoded: {e}")))?;
    let image = DynamicImage::from_decoder(decoder).map_err(|e| Refused(format!("could not be decoded: {e}")))?;
    let thumb = image.thumbnail(limits.thumbnail_side, limits.thumbnail_side);
    let mut out = Cursor::new(Vec::new());
    let kind = if thumb.color().has_alpha() {
        thumb.write_to(&mut out, ImageFormat::Png).map(|()| Sniffed::Png)
    } else {
        let rgb = thumb.to_rgb8();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82).encode_image(&rgb).map(|()| Sniffed::Jpeg)
    }
    .map_err(|e| Refused(format!("thumbnail could not be encoded: {e}")))?;
    Ok(ImageFacts { width, height, thumbnail: (out.into_inner(), kind) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::declared_png;

    #[test]
    fn images_are_measured_and_thumbnailed_and_oversized_ones_refused() {
        let img = image::RgbImage::from_fn(640, 480, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut png = Cursor::new(Vec::new());
        img.write_to(&mut png, ImageFormat::Png).expect("encode");
        let limits = ImageLimits { max_side: 1000, max_pixels: MAX_IMAGE_PIXELS, thumbnail_side: 64 };
        let facts = inspect_image(png.get_ref(), Sniffed::Png, limits).expect("valid");
        assert_eq!((facts.width, facts.height), (640, 480));
        assert_eq!(facts.thumbnail.1, Sniffed::Jpeg);
        let thumb = image::load_from_memory(&facts.thumbnail.0).expect("thumbnail decodes");
        assert_eq!((thumb.width(), thumb.height()), (64, 48));

        let small = ImageLimits { max_side: 600, max_pixels: MAX_IMAGE_PIXELS, thumbnail_side: 64 };
        assert!(inspect_image(png.get_ref(), Sniffed::Png, small).unwrap_err().0.contains("640x480"));
        // PNG magic followed by garbage.
        let mut fake = b"\x89PNG\r\n\x1a\n".to_vec();
        fake.extend_from_slice(&[0u8; 64]);
        assert!(inspect_image(&fake, Sniffed::Png, limits).is_err());
    }

    #[test]
    fn transparent_images_keep_alpha_in_a_png_thumbnail() {
        let img = image::RgbaImage::from_pixel(100, 50, image::Rgba([1, 2, 3, 100]));
        let mut png = Cursor::new(Vec::new());
        img.write_to(&mut png, ImageFormat::Png).expect("encode");
        let facts =
            inspect_image(png.get_ref(), Sniffed::Png, ImageLimits { max_side: 200, max_pixels: MAX_IMAGE_PIXELS, thumbnail_side: 20 })
                .expect("ok");
        assert_eq!(facts.thumbnail.1, Sniffed::Png);
    }

    #[test]
    fn too_many_pixels_are_refused_from_the_header_before_any_decode() {
        let limits = ImageLimits { max_side: 65_535, max_pixels: MAX_IMAGE_PIXELS, thumbnail_side: 64 };
        let refused = inspect_image(&declared_png(20_000, 20_000), Sniffed::Png, limits).unwrap_err().0;
        assert_eq!(
            refused,
            "is 20000x20000 pixels (400.0 megapixels); images may have at most 36.1 megapixels (36152320 pixels), the most any network accepts"
        );
        // Within the limits the same file gets as far as the decode, which fails on the IDAT:
        // the refusal above came before it.
        let decoded = inspect_image(&declared_png(20, 20), Sniffed::Png, limits).unwrap_err().0;
        assert!(decoded.contains("could not be decoded"), "{decoded}");
        // The pixel cap holds on its own, whatever the longest side allows.
        let img = image::GrayImage::from_pixel(100, 100, image::Luma([7]));
        let mut png = Cursor::new(Vec::new());
        img.write_to(&mut png, ImageFormat::Png).expect("encode");
        let small = ImageLimits { max_side: 1000, max_pixels: 9_999, thumbnail_side: 64 };
        assert!(inspect_image(png.get_ref(), Sniffed::Png, small).unwrap_err().0.starts_with("is 100x100 pixels"));
        let enough = ImageLimits { max_pixels: 10_000, ..small };
        assert!(inspect_image(png.get_ref(), Sniffed::Png, enough).is_ok());
    }
}
