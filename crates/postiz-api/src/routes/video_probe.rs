//! What a video is, read from its MP4/QuickTime container as the bytes stream past: the
//! top-level boxes are walked and only `moov` (the movie header, capped at [`MAX_MOOV`]) is kept
//! and parsed. From it:
//!
//! - duration from `mvhd`;
//! - per track, from `trak/mdia/hdlr` whether it is a picture (`vide`) or sound (`soun`); from
//!   the first sample description in `stsd` the codec's four-character code as networks name it
//!   (`avc1`, `hvc1`, `av01`, `vp09`; audio `mp4a`, `Opus`, `ac-3`); from `tkhd` the picture
//!   size; from `mdhd` and `stts` the frame rate (samples per second of media time).
//!
//! A file that is cut short, has no movie header, or has no video track is refused with a
//! sentence for the `file` field. Decoding a picture (the poster frame) is
//! [`super::video_poster`]'s job, not this one's: nothing here decodes.
//!
//! Why our own walker and not the `mp4` or `mp4parse` crates: both parse from a reader over the
//! whole file, while uploads arrive in chunks that go straight to storage (a resumable upload is
//! up to 1 GiB); this walker keeps only `moov`. The boxes read are few and fixed by ISO/IEC
//! 14496-12, and every read is bounds-checked.

use super::media_probe::Refused;

/// What the MP4 walk found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoFacts {
    /// From `mvhd`: duration / timescale, in milliseconds.
    pub duration_ms: Option<u32>,
    /// From the first video track's `tkhd`.
    pub width: Option<u32>,
    /// From the first video track's `tkhd`.
    pub height: Option<u32>,
    /// The first video track's sample entry type (`avc1`, `hvc1`, `av01`, …).
    pub video_codec: Option<String>,
    /// The first sound track's sample entry type (`mp4a`, `Opus`, …); `None` without sound.
    pub audio_codec: Option<String>,
    /// Frames per second of the first video track (samples over media time).
    pub frame_rate: Option<f64>,
    /// Whether the movie has a sound track.
    pub has_audio: bool,
    /// Whether a video track was found (a movie without one is refused by [`Mp4Scanner::finish`]).
    pub has_video: bool,
}

/// The `moov` box is collected whole to be parsed; a larger one is refused (a movie header of
/// tens of MB is not something a network would take either).
pub const MAX_MOOV: u64 = 32 * 1024 * 1024;

/// Walks the top-level boxes of an MP4/QuickTime file fed in order, in pieces of any size.
#[derive(Debug, Default)]
pub struct Mp4Scanner {
    /// Bytes seen so far.
    pos: u64,
    /// Offset of the next top-level box header.
    next_box: u64,
    /// A header split across pieces.
    header: Vec<u8>,
    /// The `moov` box being collected: its end offset and bytes so far.
    moov: Option<(u64, Vec<u8>)>,
    /// A box ran to the end of the file (size 0).
    to_end: bool,
    broken: Option<String>,
    facts: VideoFacts,
    saw_moov: bool,
}

impl Mp4Scanner {
    /// Feeds the next piece of the file.
    pub fn feed(&mut self, mut piece: &[u8]) {
        while !piece.is_empty() && self.broken.is_none() && !self.to_end {
            if let Some((end, buf)) = self.moov.as_mut() {
                let take = usize::try_from((*end - self.pos).min(piece.len() as u64)).unwrap_or(piece.len());
                buf.extend_from_slice(&piece[..take]);
                self.pos += take as u64;
                piece = &piece[take..];
                if self.pos == *end
                    && let Some((_, body)) = self.moov.take()
                {
                    self.facts = parse_moov(&body);
                }
                continue;
            }
            if self.pos < self.next_box {
                let skip = usize::try_from((self.next_box - self.pos).min(piece.len() as u64)).unwrap_or(piece.len());
                self.pos += skip as u64;
                piece = &piece[skip..];
                continue;
            }
            // At a header: gather 8 bytes (16 with a 64-bit size).
            let need = if self.header.len() >= 8 && be32(&self.header[0..4]) == 1 { 16 } else { 8 };
            let take = (need - self.header.len()).min(piece.len());
            self.header.extend_from_slice(&piece[..take]);
            self.pos += take as u64;
            piece = &piece[take..];
            if self.header.len() < need || (need == 8 && be32(&self.header[0..4]) == 1) {
                continue;
            }
            let start = self.pos - self.header.len() as u64;
            let size32 = be32(&self.header[0..4]);
            let kind: [u8; 4] = [self.header[4], self.header[5], self.header[6], self.header[7]];
            let size = match size32 {
                0 => None,
                1 => Some(be64(&self.header[8..16])),
                n => Some(u64::from(n)),
            };
            let header_len = self.header.len() as u64;
            self.header.clear();
            let Some(size) = size else {
                self.to_end = true;
                break;
            };
            if size < header_len {
                self.broken = Some(format!("box at byte {start} has an impossible size {size}"));
                break;
            }
            self.next_box = start + size;
            if &kind == b"moov" {
                self.saw_moov = true;
                if size - header_len > MAX_MOOV {
                    self.broken = Some(format!("its movie header (moov box) is {} bytes; at most {MAX_MOOV} are read", size - header_len));
                    break;
                }
                self.moov = Some((self.next_box, Vec::with_capacity(usize::try_from(size - header_len).unwrap_or(0))));
            }
        }
    }

    /// After the last piece: the facts, or why the file is not a playable movie.
    pub fn finish(self) -> Result<VideoFacts, Refused> {
        if let Some(b) = self.broken {
            return Err(Refused(format!("is not a well-formed MP4/QuickTime file: {b}")));
        }
        if !self.to_end && (self.pos != self.next_box || !self.header.is_empty() || self.moov.is_some()) {
            return Err(Refused("is truncated: its last box ends after the end of the file".into()));
        }
        if !self.saw_moov {
            return Err(Refused("has no movie header (moov box); it cannot be played".into()));
        }
        if !self.facts.has_video {
            return Err(Refused("has no video track (a sound-only movie cannot be posted as a video)".into()));
        }
        Ok(self.facts)
    }
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be64(b: &[u8]) -> u64 {
    u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
}

/// Child boxes of a container's body: (type, body).
fn children(mut body: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    while body.len() >= 8 {
        let size32 = be32(&body[0..4]);
        let kind = [body[4], body[5], body[6], body[7]];
        let (header, size) = match size32 {
            0 => (8, body.len() as u64),
            1 if body.len() >= 16 => (16, be64(&body[8..16])),
            1 => break,
            n => (8, u64::from(n)),
        };
        let Ok(size) = usize::try_from(size) else { break };
        if size < header || size > body.len() {
            break;
        }
        out.push((kind, &body[header..size]));
        body = &body[size..];
    }
    out
}

fn child<'a>(body: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    children(body).into_iter().find(|(k, _)| k == kind).map(|(_, b)| b)
}

/// One `trak`, as far as it matters here.
#[derive(Debug, Default)]
struct Track {
    handler: Option<[u8; 4]>,
    size: Option<(u32, u32)>,
    codec: Option<String>,
    frame_rate: Option<f64>,
}

fn parse_moov(body: &[u8]) -> VideoFacts {
    let mut facts = VideoFacts::default();
    for (kind, b) in children(body) {
        match &kind {
            b"mvhd" => facts.duration_ms = mvhd_duration_ms(b),
            b"trak" => {
                let t = parse_trak(b);
                match &t.handler {
                    Some(h) if h == b"vide" && !facts.has_video => {
                        facts.has_video = true;
                        if let Some((w, h)) = t.size {
                            (facts.width, facts.height) = (Some(w), Some(h));
                        }
                        facts.video_codec = t.codec;
                        facts.frame_rate = t.frame_rate;
                    }
                    Some(h) if h == b"soun" && !facts.has_audio => {
                        facts.has_audio = true;
                        facts.audio_codec = t.codec;
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    facts
}

fn parse_trak(b: &[u8]) -> Track {
    let mut t = Track { size: child(b, b"tkhd").and_then(tkhd_size), ..Track::default() };
    let Some(mdia) = child(b, b"mdia") else { return t };
    // hdlr: version/flags (4), pre_defined (4), handler_type (4).
    t.handler = child(mdia, b"hdlr").and_then(|h| h.get(8..12)).map(|h| [h[0], h[1], h[2], h[3]]);
    let timescale = child(mdia, b"mdhd").and_then(mdhd_timescale);
    let Some(stbl) = child(mdia, b"minf").and_then(|m| child(m, b"stbl")) else { return t };
    t.codec = child(stbl, b"stsd").and_then(stsd_codec);
    t.frame_rate = match (timescale, child(stbl, b"stts").and_then(stts_totals)) {
        (Some(scale), Some((samples, ticks))) if ticks > 0 && samples > 0 => {
            let fps = samples as f64 * f64::from(scale) / ticks as f64;
            // Three decimals, as 29.97 and 23.976 are written.
            Some((fps * 1000.0).round() / 1000.0)
        }
        _ => None,
    };
    t
}

fn mvhd_duration_ms(b: &[u8]) -> Option<u32> {
    let (timescale, duration) = match b.first()? {
        0 if b.len() >= 20 => (u64::from(be32(&b[12..16])), u64::from(be32(&b[16..20]))),
        1 if b.len() >= 32 => (u64::from(be32(&b[20..24])), be64(&b[24..32])),
        _ => return None,
    };
    if timescale == 0 || duration == u64::from(u32::MAX) || duration == u64::MAX {
        return None; // unknown duration (e.g. fragmented files write all ones)
    }
    u32::try_from(u128::from(duration) * 1000 / u128::from(timescale)).ok()
}

fn mdhd_timescale(b: &[u8]) -> Option<u32> {
    let scale = match b.first()? {
        0 => be32(b.get(12..16)?),
        1 => be32(b.get(20..24)?),
        _ => return None,
    };
    (scale > 0).then_some(scale)
}

/// The first sample entry's type: version/flags (4), entry_count (4), then the entry box.
fn stsd_codec(b: &[u8]) -> Option<String> {
    if be32(b.get(4..8)?) == 0 {
        return None;
    }
    let entry = b.get(8..16)?;
    let code = &entry[4..8];
    // Four printable ASCII characters, as every registered sample entry type is.
    code.iter().all(|c| (0x20..0x7f).contains(c)).then(|| String::from_utf8_lossy(code).into_owned())
}

/// (samples, media ticks) over every `stts` entry (sample_count, sample_delta).
fn stts_totals(b: &[u8]) -> Option<(u64, u64)> {
    let count = usize::try_from(be32(b.get(4..8)?)).ok()?;
    let entries = b.get(8..)?;
    let (mut samples, mut ticks) = (0u64, 0u64);
    for e in entries.chunks_exact(8).take(count) {
        let n = u64::from(be32(&e[0..4]));
        samples += n;
        ticks += n * u64::from(be32(&e[4..8]));
    }
    Some((samples, ticks))
}

fn tkhd_size(b: &[u8]) -> Option<(u32, u32)> {
    let at = match b.first()? {
        0 => 76,
        1 => 88,
        _ => return None,
    };
    // 16.16 fixed point; the fraction is dropped.
    let w = be16(b.get(at..at + 2)?);
    let h = be16(b.get(at + 4..at + 6)?);
    (w > 0 && h > 0).then_some((u32::from(w), u32::from(h)))
}

/// Builders of minimal movies, for tests here and in [`super::media`].
#[cfg(test)]
pub(crate) mod fixtures {
    /// A box of `kind` around `body`.
    pub(crate) fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = u32::try_from(body.len() + 8).expect("small").to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    /// A `trak` with a handler, a picture size (0x0 for sound), a sample entry type, and `frames`
    /// samples of `delta` ticks at `timescale`.
    pub(crate) fn trak(handler: &[u8; 4], w: u32, h: u32, codec: &[u8; 4], timescale: u32, frames: u32, delta: u32) -> Vec<u8> {
        let mut tkhd = vec![0u8; 84];
        tkhd[76..80].copy_from_slice(&(w << 16).to_be_bytes());
        tkhd[80..84].copy_from_slice(&(h << 16).to_be_bytes());
        let mut mdhd = vec![0u8; 24];
        mdhd[12..16].copy_from_slice(&timescale.to_be_bytes());
        let mut hdlr = vec![0u8; 24];
        hdlr[8..12].copy_from_slice(handler);
        let mut stsd = vec![0, 0, 0, 0, 0, 0, 0, 1];
        stsd.extend(boxed(codec, &[0u8; 78]));
        let mut stts = vec![0, 0, 0, 0, 0, 0, 0, 1];
        stts.extend_from_slice(&frames.to_be_bytes());
        stts.extend_from_slice(&delta.to_be_bytes());
        let stbl = boxed(b"stbl", &[boxed(b"stsd", &stsd), boxed(b"stts", &stts)].concat());
        let mdia = [boxed(b"mdhd", &mdhd), boxed(b"hdlr", &hdlr), boxed(b"minf", &stbl)].concat();
        boxed(b"trak", &[boxed(b"tkhd", &tkhd), boxed(b"mdia", &mdia)].concat())
    }

    /// ftyp, mdat, then moov (mvhd + the tracks), as non-faststart files are.
    pub(crate) fn movie(brand: &[u8; 4], timescale: u32, duration: u32, tracks: &[Vec<u8>]) -> Vec<u8> {
        let mut ftyp = brand.to_vec();
        ftyp.extend_from_slice(&0u32.to_be_bytes());
        ftyp.extend_from_slice(b"isommp42");
        let mut mvhd = vec![0u8; 100];
        mvhd[12..16].copy_from_slice(&timescale.to_be_bytes());
        mvhd[16..20].copy_from_slice(&duration.to_be_bytes());
        let moov = [vec![boxed(b"mvhd", &mvhd)], tracks.to_vec()].concat().concat();
        [boxed(b"ftyp", &ftyp), boxed(b"mdat", &[7u8; 5000]), boxed(b"moov", &moov)].concat()
    }

    /// 15 s of 1920x1080 H.264 at 30 fps with AAC sound.
    pub(crate) fn hd_movie(brand: &[u8; 4]) -> Vec<u8> {
        let sound = trak(b"soun", 0, 0, b"mp4a", 48_000, 703, 1024);
        let picture = trak(b"vide", 1920, 1080, b"avc1", 15_360, 450, 512);
        movie(brand, 600, 9000, &[sound, picture])
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{boxed, hd_movie, movie, trak};
    use super::*;

    fn scan(bytes: &[u8], piece: usize) -> Result<VideoFacts, Refused> {
        let mut s = Mp4Scanner::default();
        for p in bytes.chunks(piece) {
            s.feed(p);
        }
        s.finish()
    }

    #[test]
    fn the_movie_header_gives_duration_size_codecs_frame_rate_and_sound_whatever_the_piece_size() {
        let bytes = hd_movie(b"isom");
        let want = VideoFacts {
            duration_ms: Some(15_000),
            width: Some(1920),
            height: Some(1080),
            video_codec: Some("avc1".into()),
            audio_codec: Some("mp4a".into()),
            frame_rate: Some(30.0),
            has_audio: true,
            has_video: true,
        };
        for piece in [1, 3, 7, 8, 16, 4096, bytes.len()] {
            assert_eq!(scan(&bytes, piece).expect("valid"), want, "piece {piece}");
        }
    }

    #[test]
    fn a_silent_hevc_movie_at_ntsc_rate_has_no_audio_codec() {
        // 29.97 fps: 1001 ticks a frame at 30000.
        let bytes = movie(b"mp42", 1000, 10_010, &[trak(b"vide", 1080, 1920, b"hvc1", 30_000, 300, 1001)]);
        let f = scan(&bytes, 1000).expect("valid");
        assert_eq!(f.video_codec.as_deref(), Some("hvc1"));
        assert_eq!(f.frame_rate, Some(29.97));
        assert_eq!((f.width, f.height), (Some(1080), Some(1920)));
        assert!(!f.has_audio);
        assert_eq!(f.audio_codec, None);
    }

    #[test]
    fn truncated_headerless_or_pictureless_movies_are_refused() {
        let bytes = hd_movie(b"isom");
        assert!(scan(&bytes[..bytes.len() - 10], 100).unwrap_err().0.contains("truncated"));
        let no_moov = [boxed(b"ftyp", b"isom\0\0\0\0"), boxed(b"mdat", &[1u8; 10])].concat();
        assert!(scan(&no_moov, 5).unwrap_err().0.contains("moov"));
        let mut broken = boxed(b"ftyp", b"isom\0\0\0\0");
        broken.extend_from_slice(&[0, 0, 0, 3, b'm', b'd', b'a', b't']);
        assert!(scan(&broken, 4).unwrap_err().0.contains("impossible size"));
        let sound_only = movie(b"isom", 1000, 5000, &[trak(b"soun", 0, 0, b"mp4a", 44_100, 100, 1024)]);
        assert_eq!(scan(&sound_only, 64).unwrap_err().0, "has no video track (a sound-only movie cannot be posted as a video)");
    }

    #[test]
    fn damaged_boxes_inside_the_movie_header_read_as_unknown_instead_of_panicking() {
        // A trak whose children claim more bytes than there are: every field stays unknown, and
        // without a recognisable video track the movie is refused.
        let mut bad = boxed(b"trak", &boxed(b"mdia", &boxed(b"hdlr", &[0u8; 24])));
        bad[3] = 0xff;
        let bytes = movie(b"isom", 1000, 1000, &[bad]);
        assert!(scan(&bytes, 512).unwrap_err().0.contains("no video track"));
        // Empty sample tables give no codec and no frame rate, not a division by zero.
        let quiet = trak(b"vide", 640, 480, b"avc1", 0, 0, 0);
        let f = scan(&movie(b"isom", 1000, 1000, &[quiet]), 512).expect("a picture track");
        assert_eq!(f.frame_rate, None);
    }
}
