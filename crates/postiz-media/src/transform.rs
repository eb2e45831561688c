//! From an original and a network's media rules to the bytes to upload: see the crate README
//! for the decisions (formats, animation, aspect, metadata). CPU-bound and allocation-heavy:
//! callers run it on the blocking pool under a bound.

use std::borrow::Cow;
use std::io::Cursor;

use fast_image_resize::images::{Image as ResizeImage, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, PngEncoder};
use image::metadata::Orientation;
use image::{DynamicImage, GenericImageView, ImageDecoder, ImageEncoder, RgbImage, RgbaImage};
use postiz_domain::Network;
use postiz_providers::rules::{MediaLimits, MediaRules};
use sha2::{Digest, Sha256};

use crate::animation::is_animated;
use crate::inspect::{decode_budget, decode_limits, read_header};
use crate::{AspectFit, MAX_IMAGE_PIXELS, Refusal, SNIFF_LEN, Sniffed, is_heif, sniff};

/// Most encodes one variant may take (quality steps, then smaller sizes) before giving up.
pub const MAX_ENCODES: u32 = 8;

/// JPEG qualities tried in turn while the size is close to the cap.
const JPEG_QUALITIES: [u8; 4] = [88, 80, 72, 64];

/// A first guess of JPEG bytes per pixel at the first quality (photos land between 0.2 and
/// 0.8), so a 24 MP photo bound for a 1 MB cap is encoded at about 2 MP first rather than in full.
const FIRST_GUESS_BYTES_PER_PIXEL: f64 = 0.5;

/// An attempt over the cap by less than this (cap / bytes above it) tries a lower quality at the
/// same size; one further off tries a smaller size.
const QUALITY_STEP_RATIO: f64 = 0.8;

/// Longest side decoded at all (pixels are capped separately by [`MAX_IMAGE_PIXELS`]).
const MAX_DECODE_SIDE: u32 = 65_535;

/// The original, as stored in the library.
#[derive(Clone, Copy)]
pub struct Original<'a> {
    /// The name people know it by (the library's file name), used in every refusal.
    pub name: &'a str,
    /// Its bytes.
    pub bytes: &'a [u8],
}

impl std::fmt::Debug for Original<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Original").field("name", &self.name).field("bytes", &self.bytes.len()).finish()
    }
}

/// Where the variant goes.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// The network, named in refusals.
    pub network: Network,
    /// Its media rules.
    pub rules: &'a MediaRules,
    /// What the asset wants done with a wrong aspect ratio.
    pub fit: AspectFit,
}

/// The bytes to upload, and what they are.
#[derive(Clone)]
pub struct Variant {
    /// The encoded file.
    pub bytes: Vec<u8>,
    /// JPEG, PNG or (a passed-through animation) GIF.
    pub format: Sniffed,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// SHA-256 of `bytes`.
    pub sha256: [u8; 32],
    /// Encodes it took (0 for a passed-through animation).
    pub encodes: u32,
}

impl std::fmt::Debug for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variant")
            .field("bytes", &self.bytes.len())
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("encodes", &self.encodes)
            .finish()
    }
}

impl Variant {
    fn new(bytes: Vec<u8>, format: Sniffed, width: u32, height: u32, encodes: u32) -> Self {
        let sha256 = Sha256::digest(&bytes).into();
        Self { bytes, format, width, height, sha256, encodes }
    }
}

/// The variant of `original` for `target`, or why there can be none.
pub fn make_variant(original: &Original<'_>, target: &Target<'_>) -> Result<Variant, Refusal> {
    let file = || original.name.to_owned();
    let network = target.network;
    let bytes = original.bytes;
    if bytes.is_empty() {
        return Err(Refusal::Empty { file: file() });
    }
    let head = &bytes[..bytes.len().min(SNIFF_LEN)];
    let Some((kind, format)) = sniff(head).and_then(|k| Some((k, k.image_format()?))) else {
        return Err(if is_heif(head) { Refusal::Heic { file: file(), network } } else { Refusal::NotAnImage { file: file() } });
    };
    let corrupt = |e: image::ImageError| Refusal::Corrupt { file: file(), format: format_name(kind), reason: e.to_string() };
    let budget = decode_budget(MAX_IMAGE_PIXELS);
    // The header only: a decompression bomb costs this read, not its decode.
    let mut decoder = read_header(bytes, format, budget).map_err(corrupt)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(Refusal::Corrupt { file: file(), format: format_name(kind), reason: "it declares no pixels".into() });
    }
    if u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(Refusal::TooManyPixels { file: file(), width, height, max_pixels: MAX_IMAGE_PIXELS });
    }
    if is_animated(bytes, kind) {
        return pass_animation(original, target, kind, width, height);
    }
    let Some(limits) = target.rules.image.as_ref() else {
        return Err(Refusal::ImagesNotAccepted { file: file(), network });
    };
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    decoder.set_limits(decode_limits(MAX_DECODE_SIDE, budget)).map_err(corrupt)?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    picture.apply_orientation(orientation);
    let picture = fit_aspect(picture, limits, target, original.name)?;
    let transparent = has_transparency(&picture);
    let png_ok = limits.accepts("image/png");
    let jpeg_ok = limits.accepts("image/jpeg");
    // PNG stays PNG where it is taken, and so does anything transparent; the rest is JPEG.
    let png_first = png_ok && (kind == Sniffed::Png || (transparent && kind != Sniffed::Jpeg) || !jpeg_ok);
    let encoder = Encoder { file: original.name, network, limits };
    if png_first {
        let work = if transparent { Work::Rgba(picture.into_rgba8()) } else { Work::Rgb(picture.into_rgb8()) };
        encoder.png_then_jpeg(work, jpeg_ok)
    } else if jpeg_ok {
        encoder.jpeg(flatten_on_white(picture), 0)
    } else {
        Err(Refusal::ImagesNotAccepted { file: file(), network })
    }
}

fn format_name(kind: Sniffed) -> &'static str {
    match kind {
        Sniffed::Png => "PNG",
        Sniffed::Jpeg => "JPEG",
        Sniffed::Gif => "GIF",
        Sniffed::Webp => "WebP",
        Sniffed::Mp4 | Sniffed::QuickTime => "video",
    }
}

/// Animations are not re-encoded: an animated GIF goes unchanged where the network takes GIFs
/// and it fits; anything else animated is refused.
fn pass_animation(original: &Original<'_>, target: &Target<'_>, kind: Sniffed, width: u32, height: u32) -> Result<Variant, Refusal> {
    let file = original.name.to_owned();
    let network = target.network;
    let gif = target.rules.gif.as_ref().filter(|g| g.accepts("image/gif"));
    let (Sniffed::Gif, Some(limits)) = (kind, gif) else {
        return Err(Refusal::Animated { file, format: format_name(kind), network, gif_accepted: gif.is_some() });
    };
    let fits = limits.fit_within(width, height);
    let bytes = original.bytes.len() as u64;
    if bytes > limits.max_bytes || fits != (width, height) {
        return Err(Refusal::AnimationTooLarge {
            file,
            network,
            bytes,
            max_bytes: limits.max_bytes,
            width,
            height,
            max_size: (fits != (width, height)).then_some(fits),
        });
    }
    if limits.aspect_outside(width, height) {
        return Err(aspect_refusal(&file, network, limits, width, height));
    }
    Ok(Variant::new(original.bytes.to_vec(), Sniffed::Gif, width, height, 0))
}

fn aspect_refusal(file: &str, network: Network, limits: &MediaLimits, width: u32, height: u32) -> Refusal {
    Refusal::Aspect {
        file: file.to_owned(),
        network,
        width,
        height,
        min: limits.min_aspect_ratio.unwrap_or(0.0),
        max: limits.max_aspect_ratio.unwrap_or(f64::INFINITY),
    }
}

/// Brings the picture into the aspect range as the asset chose: refuse, white bars, or a
/// centred crop, each to the nearest bound of the range.
fn fit_aspect(picture: DynamicImage, limits: &MediaLimits, target: &Target<'_>, file: &str) -> Result<DynamicImage, Refusal> {
    let (w, h) = picture.dimensions();
    if !limits.aspect_outside(w, h) {
        return Ok(picture);
    }
    let ratio = f64::from(w) / f64::from(h);
    let too_wide = limits.max_aspect_ratio.is_some_and(|max| ratio > max);
    let bound = if too_wide { limits.max_aspect_ratio } else { limits.min_aspect_ratio }.unwrap_or(ratio);
    match target.fit {
        AspectFit::Refuse => Err(aspect_refusal(file, target.network, limits, w, h)),
        AspectFit::Crop => {
            // Rounded towards the inside of the range.
            let (cw, ch) = if too_wide {
                (((f64::from(h) * bound).floor() as u32).clamp(1, w), h)
            } else {
                (w, ((f64::from(w) / bound).floor() as u32).clamp(1, h))
            };
            Ok(picture.crop_imm((w - cw) / 2, (h - ch) / 2, cw, ch))
        }
        AspectFit::Pad => {
            let (pw, ph) = if too_wide { (w, (f64::from(w) / bound).ceil() as u32) } else { ((f64::from(h) * bound).ceil() as u32, h) };
            if u64::from(pw) * u64::from(ph) > MAX_IMAGE_PIXELS {
                return Err(Refusal::TooManyPixels { file: file.to_owned(), width: pw, height: ph, max_pixels: MAX_IMAGE_PIXELS });
            }
            let (x, y) = (i64::from((pw - w) / 2), i64::from((ph - h) / 2));
            Ok(if picture.color().has_alpha() {
                let mut canvas = RgbaImage::from_pixel(pw, ph, image::Rgba([255, 255, 255, 255]));
                image::imageops::overlay(&mut canvas, &picture.to_rgba8(), x, y);
                DynamicImage::ImageRgba8(canvas)
            } else {
                let mut canvas = RgbImage::from_pixel(pw, ph, image::Rgb([255, 255, 255]));
                image::imageops::overlay(&mut canvas, &picture.to_rgb8(), x, y);
                DynamicImage::ImageRgb8(canvas)
            })
        }
    }
}

/// Whether any pixel is less than opaque (an alpha channel alone does not count).
fn has_transparency(picture: &DynamicImage) -> bool {
    match picture {
        DynamicImage::ImageRgba8(p) => p.pixels().any(|p| p[3] < u8::MAX),
        DynamicImage::ImageLumaA8(p) => p.pixels().any(|p| p[1] < u8::MAX),
        DynamicImage::ImageRgba16(p) => p.pixels().any(|p| p[3] < u16::MAX),
        DynamicImage::ImageLumaA16(p) => p.pixels().any(|p| p[1] < u16::MAX),
        other if other.color().has_alpha() => other.to_rgba8().pixels().any(|p| p[3] < u8::MAX),
        _ => false,
    }
}

/// RGB with transparency composed over white (JPEG has no alpha).
fn flatten_on_white(picture: DynamicImage) -> RgbImage {
    if !picture.color().has_alpha() {
        return picture.into_rgb8();
    }
    let rgba = picture.into_rgba8();
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (dst, src) in out.pixels_mut().zip(rgba.pixels()) {
        let a = u32::from(src[3]);
        let mix = |c: u8| ((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8;
        *dst = image::Rgb([mix(src[0]), mix(src[1]), mix(src[2])]);
    }
    out
}

/// Pixels being prepared for an encoder.
enum Work {
    Rgb(RgbImage),
    Rgba(RgbaImage),
}

impl Work {
    fn dimensions(&self) -> (u32, u32) {
        match self {
            Work::Rgb(p) => p.dimensions(),
            Work::Rgba(p) => p.dimensions(),
        }
    }
}

struct Encoder<'a> {
    file: &'a str,
    network: Network,
    limits: &'a MediaLimits,
}

impl Encoder<'_> {
    fn failed(&self, reason: impl std::fmt::Display) -> Refusal {
        Refusal::Encode { file: self.file.to_owned(), network: self.network, reason: reason.to_string() }
    }

    fn cannot_fit(&self, smallest: (usize, u32, u32)) -> Refusal {
        Refusal::CannotFit {
            file: self.file.to_owned(),
            network: self.network,
            max_bytes: self.limits.max_bytes,
            smallest: smallest.0 as u64,
            width: smallest.1,
            height: smallest.2,
        }
    }

    /// PNG at the largest size the limits allow; over the cap, JPEG where the network takes it
    /// (transparency flattened on white), else smaller PNGs.
    fn png_then_jpeg(&self, work: Work, jpeg_ok: bool) -> Result<Variant, Refusal> {
        let (w, h) = work.dimensions();
        let (mut tw, mut th) = target_size(self.limits, w, h);
        let mut smallest = None;
        for encodes in 1..=MAX_ENCODES {
            let resized = resize(&work, tw, th).map_err(|e| self.failed(e))?;
            let bytes = encode_png(&resized).map_err(|e| self.failed(e))?;
            if bytes.len() as u64 <= self.limits.max_bytes {
                return Ok(Variant::new(bytes, Sniffed::Png, tw, th, encodes));
            }
            smallest = Some((bytes.len(), tw, th));
            if jpeg_ok {
                // A PNG too big for the cap is a photo in the wrong format: JPEG it.
                let rgb = match work {
                    Work::Rgb(p) => p,
                    Work::Rgba(p) => flatten_on_white(DynamicImage::ImageRgba8(p)),
                };
                return self.jpeg(rgb, encodes);
            }
            (tw, th) = keep_aspect(self.limits, shrink(tw, th, self.limits.max_bytes as f64 / bytes.len() as f64));
        }
        Err(self.cannot_fit(smallest.unwrap_or((0, tw, th))))
    }

    /// JPEG: quality steps while close to the cap, smaller sizes when far from it.
    fn jpeg(&self, rgb: RgbImage, spent: u32) -> Result<Variant, Refusal> {
        let work = Work::Rgb(rgb);
        let (w, h) = work.dimensions();
        let (mut tw, mut th) = target_size(self.limits, w, h);
        let guess = self.limits.max_bytes as f64 / FIRST_GUESS_BYTES_PER_PIXEL;
        let pixels = f64::from(tw) * f64::from(th);
        if pixels > guess {
            (tw, th) = keep_aspect(self.limits, shrink(tw, th, guess / pixels));
        }
        let mut quality = 0;
        let mut smallest = None;
        for encodes in spent + 1..=MAX_ENCODES {
            let resized = resize(&work, tw, th).map_err(|e| self.failed(e))?;
            let Work::Rgb(pixels) = resized.as_ref() else { unreachable!("resizing keeps the layout") };
            let bytes = encode_jpeg(pixels, JPEG_QUALITIES[quality]).map_err(|e| self.failed(e))?;
            if bytes.len() as u64 <= self.limits.max_bytes {
                return Ok(Variant::new(bytes, Sniffed::Jpeg, tw, th, encodes));
            }
            let ratio = self.limits.max_bytes as f64 / bytes.len() as f64;
            if smallest.is_none_or(|(n, _, _)| bytes.len() < n) {
                smallest = Some((bytes.len(), tw, th));
            }
            if ratio > QUALITY_STEP_RATIO && quality + 1 < JPEG_QUALITIES.len() {
                quality += 1;
            } else {
                (tw, th) = keep_aspect(self.limits, shrink(tw, th, ratio));
            }
        }
        Err(self.cannot_fit(smallest.unwrap_or((0, tw, th))))
    }
}

/// The largest size within the limits, in the aspect range.
fn target_size(limits: &MediaLimits, w: u32, h: u32) -> (u32, u32) {
    keep_aspect(limits, limits.fit_within(w, h))
}

/// Scaling rounds each side down on its own, which can push a ratio sitting on a bound of the
/// range (a padded or cropped picture) just past it: trim the side that grew too long by the
/// pixel that did it. Only ever shrinks, so every other limit still holds.
fn keep_aspect(limits: &MediaLimits, (w, h): (u32, u32)) -> (u32, u32) {
    if !limits.aspect_outside(w, h) {
        return (w, h);
    }
    match (limits.min_aspect_ratio, limits.max_aspect_ratio) {
        (_, Some(max)) if f64::from(w) / f64::from(h) > max => (((f64::from(h) * max).floor() as u32).max(1), h),
        (Some(min), _) => (w, ((f64::from(w) / min).floor() as u32).max(1)),
        _ => (w, h),
    }
}

/// Sides scaled so the pixel count (which bytes follow) shrinks by `ratio`, with a margin.
fn shrink(w: u32, h: u32, ratio: f64) -> (u32, u32) {
    let scale = (ratio.clamp(0.0, 1.0)).sqrt() * 0.95;
    (((f64::from(w) * scale) as u32).max(1), ((f64::from(h) * scale) as u32).max(1))
}

/// `work` at `w`×`h` (borrowed when already that size).
fn resize(work: &Work, w: u32, h: u32) -> Result<Cow<'_, Work>, String> {
    if work.dimensions() == (w, h) {
        return Ok(Cow::Borrowed(work));
    }
    let (sw, sh) = work.dimensions();
    let (raw, pixel_type): (&[u8], PixelType) = match work {
        Work::Rgb(p) => (p.as_raw(), PixelType::U8x3),
        Work::Rgba(p) => (p.as_raw(), PixelType::U8x4),
    };
    let src = ImageRef::new(sw, sh, raw, pixel_type).map_err(|e| e.to_string())?;
    let mut dst = ResizeImage::new(w, h, pixel_type);
    // Catmull-Rom: sharp enough for photos, a third of Lanczos3's work.
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::CatmullRom));
    Resizer::new().resize(&src, &mut dst, &options).map_err(|e| e.to_string())?;
    let buf = dst.into_vec();
    let bad = || "resized buffer has the wrong length".to_owned();
    Ok(Cow::Owned(match work {
        Work::Rgb(_) => Work::Rgb(RgbImage::from_raw(w, h, buf).ok_or_else(bad)?),
        Work::Rgba(_) => Work::Rgba(RgbaImage::from_raw(w, h, buf).ok_or_else(bad)?),
    }))
}

impl Clone for Work {
    fn clone(&self) -> Self {
        match self {
            Work::Rgb(p) => Work::Rgb(p.clone()),
            Work::Rgba(p) => Work::Rgba(p.clone()),
        }
    }
}

fn encode_jpeg(pixels: &RgbImage, quality: u8) -> image::ImageResult<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    JpegEncoder::new_with_quality(&mut out, quality).write_image(
        pixels.as_raw(),
        pixels.width(),
        pixels.height(),
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(out.into_inner())
}

fn encode_png(work: &Work) -> image::ImageResult<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    let encoder = PngEncoder::new_with_quality(&mut out, CompressionType::Default, image::codecs::png::FilterType::Adaptive);
    match work {
        Work::Rgb(p) => encoder.write_image(p.as_raw(), p.width(), p.height(), image::ExtendedColorType::Rgb8)?,
        Work::Rgba(p) => encoder.write_image(p.as_raw(), p.width(), p.height(), image::ExtendedColorType::Rgba8)?,
    }
    Ok(out.into_inner())
}
