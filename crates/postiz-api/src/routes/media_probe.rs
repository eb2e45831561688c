//! What an uploaded file is, judged from its bytes only: the client's `Content-Type` and file
//! name are never consulted.
//!
//! - **Type** from magic bytes: PNG, JPEG, GIF, WebP, and MP4 / QuickTime (`ftyp` box with a
//!   video brand, or a QuickTime file opening with `moov`/`mdat`/`wide`). HEIF/AVIF images and
//!   M4A audio share the `ftyp` box and are refused by brand.
//! - **Images**: dimensions from the header, checked (longest side, and pixel count: a small file
//!   can declare a huge picture, a decompression bomb) before a single pixel is decoded; then a
//!   decode under hard limits (side and memory) to make a thumbnail that fits in a square (JPEG,
//!   or PNG when the image has transparency).
//! - **Videos**: their container is read by [`super::video_probe`] (duration, size, codecs, frame
//!   rate, sound) and their poster frame made by [`super::video_poster`].

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The media types we accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// `image/png`.
    Png,
    /// `image/jpeg`.
    Jpeg,
    /// `image/gif`.
    Gif,
    /// `image/webp`.
    Webp,
    /// `video/mp4`.
    Mp4,
    /// `video/quicktime`.
    QuickTime,
}

/// Bytes needed to tell every accepted type apart.
pub const SNIFF_LEN: usize = 32;

impl Sniffed {
    /// The MIME type stored on the row.
    pub fn mime(self) -> &'static str {
        match self {
            Sniffed::Png => "image/png",
            Sniffed::Jpeg => "image/jpeg",
            Sniffed::Gif => "image/gif",
            Sniffed::Webp => "image/webp",
            Sniffed::Mp4 => "video/mp4",
            Sniffed::QuickTime => "video/quicktime",
        }
    }

    /// Back from a stored MIME type.
    pub fn from_mime(mime: &str) -> Option<Self> {
        [Sniffed::Png, Sniffed::Jpeg, Sniffed::Gif, Sniffed::Webp, Sniffed::Mp4, Sniffed::QuickTime]
            .into_iter()
            .find(|s| s.mime() == mime)
    }

    /// File extension of the stored object.
    pub fn extension(self) -> &'static str {
        match self {
            Sniffed::Png => "png",
            Sniffed::Jpeg => "jpg",
            Sniffed::Gif => "gif",
            Sniffed::Webp => "webp",
            Sniffed::Mp4 => "mp4",
            Sniffed::QuickTime => "mov",
        }
    }

    /// Whether it is a video.
    pub fn is_video(self) -> bool {
        matches!(self, Sniffed::Mp4 | Sniffed::QuickTime)
    }

    fn image_format(self) -> Option<ImageFormat> {
        match self {
            Sniffed::Png => Some(ImageFormat::Png),
            Sniffed::Jpeg => Some(ImageFormat::Jpeg),
            Sniffed::Gif => Some(ImageFormat::Gif),
            Sniffed::Webp => Some(ImageFormat::WebP),
            Sniffed::Mp4 | Sniffed::QuickTime => None,
        }
    }
}

/// ISO base media brands of video files (`ftyp` major or compatible brand).
const VIDEO_BRANDS: &[&[u8; 4]] = &[
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41", b"mp42", b"mp71",
    b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4", b"MSNV", b"f4v ",
];

/// Brands of things that are not videos although they open with `ftyp` (HEIF/AVIF images,
/// audio-only files).
const NOT_VIDEO_BRANDS: &[&[u8; 4]] = &[
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis", b"M4A ", b"M4B ", b"M4P ",
    b"crx ",
];

/// The type of a file from its first bytes (at least [`SNIFF_LEN`] when the file is that long).
pub fn sniff(head: &[u8]) -> Option<Sniffed> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Sniffed::Png);
    }
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Sniffed::Jpeg);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some(Sniffed::Gif);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some(Sniffed::Webp);
    }
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let major: &[u8] = &head[8..12];
        if major == b"qt  " {
            return Some(Sniffed::QuickTime);
        }
        if NOT_VIDEO_BRANDS.iter().any(|b| b.as_slice() == major) {
            return None;
        }
        if VIDEO_BRANDS.iter().any(|b| b.as_slice() == major) {
            return Some(Sniffed::Mp4);
        }
        // An unlisted major brand: decide by the compatible brands we can see.
        let end = size.min(head.len());
        let compatible: Vec<&[u8]> = head.get(16..end).unwrap_or_default().chunks_exact(4).collect();
        if compatible.iter().any(|c| NOT_VIDEO_BRANDS.iter().any(|b| b.as_slice() == *c)) {
            return None;
        }
        if compatible.iter().any(|c| *c == b"qt  ") {
            return Some(Sniffed::QuickTime);
        }
        if compatible.iter().any(|c| VIDEO_BRANDS.iter().any(|b| b.as_slice() == *c)) {
            return Some(Sniffed::Mp4);
        }
        return None;
    }
    // Classic QuickTime files have no ftyp and open with one of these atoms.
    if head.len() >= 8 && matches!(&head[4..8], b"moov" | b"mdat" | b"wide") {
        return Some(Sniffed::QuickTime);
    }
    None
}

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

fn megapixels(pixels: u64) -> String {
    // One decimal, rounded down, so a refused image never reads as equal to the limit.
    let tenths = pixels / 100_000;
    format!("{}.{} megapixels", tenths / 10, tenths % 10)
}

/// Checks an image's header dimensions against `limits`: nothing is decoded yet, so a file that
/// declares more pixels than we accept costs a header read, not its decode.
fn check_dimensions(width: u32, height: u32, limits: ImageLimits) -> Result<(), Refused> {
    if width == 0 || height == 0 {
        return Err(Refused("has no pixels".into()));
    }
    if width > limits.max_side || height > limits.max_side {
        return Err(Refused(format!(
            "is {width}x{height} pixels; the longest side may be at most {} pixels",
            limits.max_side
        )));
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
    // Memory for the decoded picture, at the widest pixel layout, plus room for the decoder's
    // own buffers (PNG's are allocated while the header is read, so the limit applies to it too).
    let budget = limits.max_pixels.saturating_mul(MAX_BYTES_PER_PIXEL).saturating_add(64 * 1024 * 1024);
    let mut header_limits = Limits::default();
    header_limits.max_alloc = Some(budget);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(header_limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| Refused(format!("is not a readable {} image: {e}", kind.extension())))?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;
    let mut decode_limits = Limits::default();
    decode_limits.max_image_width = Some(limits.max_side);
    decode_limits.max_image_height = Some(limits.max_side);
    decode_limits.max_alloc = Some(budget);
    decoder.set_limits(decode_limits).map_err(|e| Refused(format!("could not be decoded: {e}")))?;
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
    use crate::routes::video_probe::fixtures::movie;

    #[test]
    fn magic_bytes_decide_the_type() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(Sniffed::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(Sniffed::Jpeg));
        assert_eq!(sniff(b"GIF89a......"), Some(Sniffed::Gif));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(Sniffed::Webp));
        assert_eq!(sniff(&movie(b"isom", 1000, 1, &[])[..32]), Some(Sniffed::Mp4));
        assert_eq!(sniff(&movie(b"qt  ", 1000, 1, &[])[..32]), Some(Sniffed::QuickTime));
        assert_eq!(sniff(b"\0\0\0\x08wide\0\0\0\x10mdat"), Some(Sniffed::QuickTime));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"), None, "HEIF image");
        assert_eq!(sniff(b"\0\0\0\x18ftypM4A \0\0\0\0M4A isom"), None, "audio");
        assert_eq!(sniff(b"\0\0\0\x18ftypXAVC\0\0\0\0XAVCmp42"), Some(Sniffed::Mp4), "by compatible brand");
        assert_eq!(sniff(b"hello, I am text pretending to be a PNG"), None);
        assert_eq!(sniff(b"<svg xmlns=..."), None);
        assert_eq!(sniff(b""), None);
    }

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
        let facts = inspect_image(png.get_ref(), Sniffed::Png, ImageLimits { max_side: 200, max_pixels: MAX_IMAGE_PIXELS, thumbnail_side: 20 }).expect("ok");
        assert_eq!(facts.thumbnail.1, Sniffed::Png);
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }

    /// A PNG whose header declares `w` x `h` grey pixels, followed by an IDAT that is not even
    /// valid zlib: anything that tried to decode it would fail with a decode error.
    fn declared_png(w: u32, h: u32) -> Vec<u8> {
        let chunk = |kind: &[u8; 4], body: &[u8]| {
            let mut out = u32::try_from(body.len()).expect("small").to_be_bytes().to_vec();
            out.extend_from_slice(kind);
            out.extend_from_slice(body);
            out.extend_from_slice(&crc32(&[kind.as_slice(), body].concat()).to_be_bytes());
            out
        };
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // 1 bit, greyscale, deflate, no filter, no interlace
        [b"\x89PNG\r\n\x1a\n".to_vec(), chunk(b"IHDR", &ihdr), chunk(b"IDAT", &[0xde, 0xad, 0xbe, 0xef]), chunk(b"IEND", &[])].concat()
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
