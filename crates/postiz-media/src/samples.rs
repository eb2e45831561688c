//! Images made in code for tests and benchmarks: nothing is read from disk or downloaded.

use std::io::Cursor;

use image::ImageEncoder;
use image::codecs::jpeg::JpegEncoder;
pub use image::{DynamicImage, RgbImage};

/// A photo-like picture: smooth gradients with fine grain (JPEG compresses it about as it
/// compresses a photo, unlike a flat colour). Deterministic for a given size.
pub fn photo(width: u32, height: u32) -> RgbImage {
    let mut state: u32 = 0x9E37_79B9;
    RgbImage::from_fn(width, height, |x, y| {
        // xorshift32: grain that does not repeat at any scale we use.
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let grain = (state & 0x1F) as i32 - 16;
        let fx = x as f32 / width.max(1) as f32;
        let fy = y as f32 / height.max(1) as f32;
        let c = |v: f32| (v * 255.0) as i32;
        let px = |v: i32| (v + grain).clamp(0, 255) as u8;
        image::Rgb([px(c(fx)), px(c(fy)), px(c(1.0 - (fx + fy) / 2.0))])
    })
}

/// `image` as a JPEG of `quality`, with `exif` (a TIFF structure, as [`exif`] makes) in an
/// APP1 segment when given.
pub fn jpeg(image: &RgbImage, quality: u8, exif: Option<Vec<u8>>) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let mut encoder = JpegEncoder::new_with_quality(&mut out, quality);
    if let Some(exif) = exif {
        encoder.set_exif_metadata(exif).expect("JPEG takes EXIF");
    }
    encoder.write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8).expect("encodes");
    out.into_inner()
}

/// A little-endian EXIF (TIFF) structure with an orientation tag (1–8) and, when `gps`, a GPS
/// IFD with a latitude, as a phone writes.
pub fn exif(orientation: u16, gps: bool) -> Vec<u8> {
    let mut t = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes()); // IFD0 right after the header
    let entries: u16 = if gps { 2 } else { 1 };
    t.extend_from_slice(&entries.to_le_bytes());
    // Orientation: SHORT, count 1, value inline.
    t.extend_from_slice(&0x0112u16.to_le_bytes());
    t.extend_from_slice(&3u16.to_le_bytes());
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(&u32::from(orientation).to_le_bytes());
    let gps_ifd = 8 + 2 + u32::from(entries) * 12 + 4;
    if gps {
        // GPSInfo: LONG pointer to the GPS IFD.
        t.extend_from_slice(&0x8825u16.to_le_bytes());
        t.extend_from_slice(&4u16.to_le_bytes());
        t.extend_from_slice(&1u32.to_le_bytes());
        t.extend_from_slice(&gps_ifd.to_le_bytes());
    }
    t.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    if gps {
        let rationals = gps_ifd + 2 + 2 * 12 + 4;
        t.extend_from_slice(&2u16.to_le_bytes());
        // GPSLatitudeRef "N".
        t.extend_from_slice(&1u16.to_le_bytes());
        t.extend_from_slice(&2u16.to_le_bytes());
        t.extend_from_slice(&2u32.to_le_bytes());
        t.extend_from_slice(b"N\0\0\0");
        // GPSLatitude: 3 RATIONALs (48° 51' 29").
        t.extend_from_slice(&2u16.to_le_bytes());
        t.extend_from_slice(&5u16.to_le_bytes());
        t.extend_from_slice(&3u32.to_le_bytes());
        t.extend_from_slice(&rationals.to_le_bytes());
        t.extend_from_slice(&0u32.to_le_bytes());
        for (n, d) in [(48u32, 1u32), (51, 1), (29, 1)] {
            t.extend_from_slice(&n.to_le_bytes());
            t.extend_from_slice(&d.to_le_bytes());
        }
    }
    t
}

/// CRC-32 as PNG chunks use it.
pub fn crc32(bytes: &[u8]) -> u32 {
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
pub fn declared_png(w: u32, h: u32) -> Vec<u8> {
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

/// A PNG of `image`.
pub fn png(image: &image::DynamicImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).expect("encodes");
    out.into_inner()
}
