//! What a file is, judged from its bytes only: the client's `Content-Type` and file name are
//! never consulted. PNG, JPEG, GIF, WebP, and MP4 / QuickTime (`ftyp` box with a video brand,
//! or a QuickTime file opening with `moov`/`mdat`/`wide`). HEIF/AVIF images and M4A audio share
//! the `ftyp` box and are refused by brand.

use image::ImageFormat;

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
        [Sniffed::Png, Sniffed::Jpeg, Sniffed::Gif, Sniffed::Webp, Sniffed::Mp4, Sniffed::QuickTime].into_iter().find(|s| s.mime() == mime)
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

    /// The `image` decoder for it; `None` for videos.
    pub fn image_format(self) -> Option<ImageFormat> {
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
    b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7", b"iso8", b"iso9", b"mp41", b"mp42", b"mp71", b"avc1", b"M4V ", b"M4VH",
    b"M4VP", b"dash", b"mmp4", b"MSNV", b"f4v ",
];

/// Brands of things that are not videos although they open with `ftyp` (HEIF/AVIF images,
/// audio-only files).
const NOT_VIDEO_BRANDS: &[&[u8; 4]] =
    &[b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis", b"M4A ", b"M4B ", b"M4P ", b"crx "];

/// Whether the first bytes are a HEIF/HEIC or AVIF still image (an `ftyp` box with an image
/// brand): not accepted, but worth naming in the refusal, since phones save photos that way.
pub fn is_heif(head: &[u8]) -> bool {
    if head.len() < 12 || &head[4..8] != b"ftyp" {
        return false;
    }
    let size = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    let end = size.min(head.len()).max(12);
    std::iter::once(&head[8..12])
        .chain(head.get(16..end).unwrap_or_default().chunks_exact(4))
        .any(|brand| HEIF_BRANDS.iter().any(|b| b.as_slice() == brand))
}

/// Brands of HEIF/HEIC and AVIF still images.
const HEIF_BRANDS: &[&[u8; 4]] = &[b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis"];

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

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(body.len() + 8).expect("small").to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    /// A minimal movie: ftyp, mdat, then moov (mvhd + one video trak), as non-faststart files are.
    fn movie(brand: &[u8; 4], timescale: u32, duration: u32, w: u32, h: u32) -> Vec<u8> {
        let mut ftyp = brand.to_vec();
        ftyp.extend_from_slice(&0u32.to_be_bytes());
        ftyp.extend_from_slice(b"isommp42");
        let mut mvhd = vec![0u8; 100];
        mvhd[12..16].copy_from_slice(&timescale.to_be_bytes());
        mvhd[16..20].copy_from_slice(&duration.to_be_bytes());
        let mut tkhd = vec![0u8; 84];
        tkhd[76..80].copy_from_slice(&(w << 16).to_be_bytes());
        tkhd[80..84].copy_from_slice(&(h << 16).to_be_bytes());
        let audio = boxed(b"trak", &boxed(b"tkhd", &[0u8; 84]));
        let video = boxed(b"trak", &boxed(b"tkhd", &tkhd));
        let moov = [boxed(b"mvhd", &mvhd), audio, video].concat();
        [boxed(b"ftyp", &ftyp), boxed(b"mdat", &[7u8; 5000]), boxed(b"moov", &moov)].concat()
    }

    #[test]
    fn magic_bytes_decide_the_type() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(Sniffed::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(Sniffed::Jpeg));
        assert_eq!(sniff(b"GIF89a......"), Some(Sniffed::Gif));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(Sniffed::Webp));
        assert_eq!(sniff(&movie(b"isom", 1000, 1, 1, 1)[..32]), Some(Sniffed::Mp4));
        assert_eq!(sniff(&movie(b"qt  ", 1000, 1, 1, 1)[..32]), Some(Sniffed::QuickTime));
        assert_eq!(sniff(b"\0\0\0\x08wide\0\0\0\x10mdat"), Some(Sniffed::QuickTime));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"), None, "HEIF image");
        assert_eq!(sniff(b"\0\0\0\x18ftypM4A \0\0\0\0M4A isom"), None, "audio");
        assert_eq!(sniff(b"\0\0\0\x18ftypXAVC\0\0\0\0XAVCmp42"), Some(Sniffed::Mp4), "by compatible brand");
        assert_eq!(sniff(b"hello, I am text pretending to be a PNG"), None);
        assert_eq!(sniff(b"<svg xmlns=..."), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn heif_photos_are_recognised_to_be_named_in_refusals() {
        assert!(is_heif(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"));
        assert!(is_heif(b"\0\0\0\x18ftypmif1\0\0\0\0mif1avif"));
        assert!(!is_heif(&movie(b"isom", 1000, 1, 1, 1)[..32]));
        assert!(!is_heif(b"\x89PNG\r\n\x1a\n...."));
    }
}
