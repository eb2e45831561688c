//! Whether an image file holds more than one frame, from its container structure alone (no
//! pixel is decoded): an APNG's `acTL` chunk, a WebP's animation flag, a GIF's second image
//! descriptor.

use crate::Sniffed;

/// True when the file is animated. A file too damaged to walk counts as still: the decode that
/// follows reports the damage.
pub(crate) fn is_animated(bytes: &[u8], kind: Sniffed) -> bool {
    match kind {
        Sniffed::Png => png_is_animated(bytes),
        Sniffed::Webp => webp_is_animated(bytes),
        Sniffed::Gif => gif_frames(bytes, 2) >= 2,
        Sniffed::Jpeg | Sniffed::Mp4 | Sniffed::QuickTime => false,
    }
}

/// An `acTL` chunk before the first `IDAT` makes a PNG an APNG.
fn png_is_animated(bytes: &[u8]) -> bool {
    let mut at = 8;
    while let Some(header) = bytes.get(at..at + 8) {
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        match &header[4..8] {
            b"acTL" => return true,
            b"IDAT" => return false,
            _ => at = at.saturating_add(12).saturating_add(len),
        }
    }
    false
}

/// Extended WebP (`VP8X`) carries an animation flag (bit 1 of its first byte).
fn webp_is_animated(bytes: &[u8]) -> bool {
    bytes.get(12..16) == Some(b"VP8X".as_slice()) && bytes.get(20).is_some_and(|flags| flags & 0x02 != 0)
}

/// Counts image descriptors, up to `stop`, skipping colour tables and data sub-blocks.
fn gif_frames(bytes: &[u8], stop: usize) -> usize {
    let Some(&packed) = bytes.get(10) else { return 0 };
    let mut at = 13 + color_table_len(packed);
    let mut frames = 0;
    // Skips a run of sub-blocks (length byte, data) up to the zero-length terminator.
    let skip_sub_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let len = usize::from(*bytes.get(at)?);
            at += 1;
            if len == 0 {
                return Some(at);
            }
            at += len;
        }
    };
    while frames < stop {
        match bytes.get(at) {
            Some(0x2C) => {
                frames += 1;
                let Some(&local) = bytes.get(at + 9) else { break };
                at += 10 + color_table_len(local) + 1; // descriptor, local table, LZW code size
                match skip_sub_blocks(at) {
                    Some(next) => at = next,
                    None => break,
                }
            }
            Some(0x21) => match skip_sub_blocks(at + 2) {
                Some(next) => at = next,
                None => break,
            },
            _ => break, // trailer (0x3B) or damage
        }
    }
    frames
}

fn color_table_len(packed: u8) -> usize {
    if packed & 0x80 == 0 { 0 } else { 3 * (1 << ((packed & 0x07) + 1)) }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame, RgbaImage};

    use super::*;

    fn gif(frames: usize) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        {
            let mut encoder = GifEncoder::new(&mut out);
            for i in 0..frames {
                let picture = RgbaImage::from_pixel(8, 8, image::Rgba([i as u8 * 40, 0, 0, 255]));
                encoder.encode_frame(Frame::from_parts(picture, 0, 0, Delay::from_numer_denom_ms(100, 1))).expect("frame");
            }
        }
        out.into_inner()
    }

    #[test]
    fn gifs_with_two_frames_are_animated_and_one_frame_is_not() {
        assert!(!is_animated(&gif(1), Sniffed::Gif));
        assert!(is_animated(&gif(2), Sniffed::Gif));
        assert!(is_animated(&gif(5), Sniffed::Gif));
        assert!(!is_animated(&gif(5)[..20], Sniffed::Gif), "a truncated file counts as still");
    }

    #[test]
    fn an_actl_chunk_makes_a_png_animated() {
        let still = crate::samples::png(&image::DynamicImage::new_rgb8(4, 4));
        assert!(!is_animated(&still, Sniffed::Png));
        // Insert an acTL chunk right after IHDR (8 signature + 25 IHDR bytes).
        let body = [1u32.to_be_bytes(), 0u32.to_be_bytes()].concat();
        let mut chunk = 8u32.to_be_bytes().to_vec();
        chunk.extend_from_slice(b"acTL");
        chunk.extend_from_slice(&body);
        chunk.extend_from_slice(&crate::samples::crc32(&[b"acTL".as_slice(), &body].concat()).to_be_bytes());
        let apng = [&still[..33], &chunk, &still[33..]].concat();
        assert!(is_animated(&apng, Sniffed::Png));
    }

    #[test]
    fn the_vp8x_animation_flag_makes_a_webp_animated() {
        let mut webp = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0".to_vec();
        webp.extend_from_slice(&[0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert!(is_animated(&webp, Sniffed::Webp));
        webp[20] = 0x10; // alpha only
        assert!(!is_animated(&webp, Sniffed::Webp));
    }
}
