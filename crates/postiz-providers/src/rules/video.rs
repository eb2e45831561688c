//! A video against one network's video limits ([`MediaLimits`]): codecs, frame rate, picture
//! size, and bytes at least. Unlike still images, videos are not converted for each network, so
//! every limit the network documents is checked before the post is scheduled. A fact the upload
//! could not read (`None`) leaves its rule unchecked; the network has the last word then.
//!
//! Codecs are stored as the container names them (sample entry types, `avc1`), the rules name
//! them by family (`h264`): [`video_codec_family`] and [`audio_codec_family`] map one to the other.

use postiz_domain::MediaRef;

use super::MediaLimits;

/// One broken limit: a stable code, the sentence for the person composing, the numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// `media_codec`, `media_audio_codec`, `media_frame_rate`, `media_resolution`, `media_too_small`.
    pub code: &'static str,
    /// What is wrong, naming the network, the limit by its label and the file.
    pub message: String,
    /// The limit, when numeric.
    pub limit: Option<u64>,
    /// The measured value, when numeric.
    pub actual: Option<u64>,
}

/// The codec family of a picture sample entry type, as the rules name it.
pub fn video_codec_family(sample_entry: &str) -> Option<&'static str> {
    Some(match sample_entry {
        "avc1" | "avc2" | "avc3" | "avc4" => "h264",
        "hvc1" | "hev1" | "dvh1" | "dvhe" => "hevc",
        "av01" => "av1",
        "vp09" => "vp9",
        "vp08" => "vp8",
        _ => return None,
    })
}

/// The codec family of a sound sample entry type, as the rules name it. `mp4a` is nearly
/// always AAC (MP3 in MP4 is rare; its object type is not read).
pub fn audio_codec_family(sample_entry: &str) -> Option<&'static str> {
    Some(match sample_entry {
        "mp4a" => "aac",
        "Opus" => "opus",
        ".mp3" => "mp3",
        "ac-3" => "ac3",
        "ec-3" => "eac3",
        "fLaC" => "flac",
        _ => return None,
    })
}

/// How people call a codec family.
fn codec_label(family: &str) -> &str {
    match family {
        "h264" => "H.264",
        "hevc" => "HEVC (H.265)",
        "av1" => "AV1",
        "vp9" => "VP9",
        "vp8" => "VP8",
        "aac" => "AAC",
        "mp3" => "MP3",
        "opus" => "Opus",
        "vorbis" => "Vorbis",
        "ac3" => "AC-3",
        "eac3" => "E-AC-3",
        "flac" => "FLAC",
        other => other,
    }
}

/// The file as messages name it: its name in quotes, or "this video".
pub fn file_label(m: &MediaRef) -> String {
    m.name.as_deref().map_or_else(|| "this video".to_owned(), |n| format!("“{n}”"))
}

/// A duration as people read it: `45 s`, `2 min 20 s`, `15 min`, `1.5 s`.
pub fn duration_label(ms: u64) -> String {
    if ms < 60_000 {
        return if ms.is_multiple_of(1000) { format!("{} s", ms / 1000) } else { format!("{:.1} s", ms as f64 / 1000.0) };
    }
    let s = ms / 1000;
    match (s / 60, s % 60) {
        (m, 0) => format!("{m} min"),
        (m, r) => format!("{m} min {r} s"),
    }
}

fn list(families: &[String]) -> String {
    let labels: Vec<&str> = families.iter().map(|f| codec_label(f)).collect();
    match labels.as_slice() {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Everything about `m` (a video) that `limits` refuses, on the network called `network`.
pub fn problems(network: &str, m: &MediaRef, limits: &MediaLimits) -> Vec<Problem> {
    let file = file_label(m);
    let mut out = Vec::new();
    let mut push = |code, message: String, limit, actual| out.push(Problem { code, message, limit, actual });
    if let Some(entry) = m.video.video_codec.as_deref()
        && !limits.video_codecs.is_empty()
    {
        let family = video_codec_family(entry);
        if !family.is_some_and(|f| limits.video_codecs.iter().any(|c| c == f)) {
            let what = family.map_or_else(|| format!("encoded as {entry}"), |f| format!("{} ({entry})", codec_label(f)));
            push(
                "media_codec",
                format!("{network} accepts videos in {} (video codec); {file} is {what}: re-encode it", list(&limits.video_codecs)),
                None,
                None,
            );
        }
    }
    if let Some(entry) = m.video.audio_codec.as_deref()
        && !limits.audio_codecs.is_empty()
    {
        let family = audio_codec_family(entry);
        if !family.is_some_and(|f| limits.audio_codecs.iter().any(|c| c == f)) {
            let what = family.map_or_else(|| format!("encoded as {entry}"), |f| format!("{} ({entry})", codec_label(f)));
            push(
                "media_audio_codec",
                format!(
                    "{network} accepts video sound in {} (audio codec); the sound of {file} is {what}: re-encode it",
                    list(&limits.audio_codecs)
                ),
                None,
                None,
            );
        }
    }
    if let Some(fps) = m.video.frame_rate {
        let fps_label = |v: f64| if (v - v.round()).abs() < 1e-6 { format!("{v:.0}") } else { format!("{v:.2}") };
        if let Some(max) = limits.max_frame_rate
            && fps > max + 1e-6
        {
            push(
                "media_frame_rate",
                format!("{network} allows videos up to {} fps (maximum frame rate); {file} has {} fps", fps_label(max), fps_label(fps)),
                Some(max as u64),
                Some(fps.round() as u64),
            );
        }
        if let Some(min) = limits.min_frame_rate
            && fps < min - 1e-6
        {
            push(
                "media_frame_rate",
                format!(
                    "{network} needs videos of at least {} fps (minimum frame rate); {file} has {} fps",
                    fps_label(min),
                    fps_label(fps)
                ),
                Some(min as u64),
                Some(fps.round() as u64),
            );
        }
    }
    if let (Some(w), Some(h)) = (m.width, m.height) {
        let too_big = limits.max_width.is_some_and(|max| w > max) || limits.max_height.is_some_and(|max| h > max);
        if too_big {
            let max = format!(
                "{}×{}",
                limits.max_width.map_or("any".into(), |v| v.to_string()),
                limits.max_height.map_or("any".into(), |v| v.to_string())
            );
            push(
                "media_resolution",
                format!("{network} allows videos up to {max} pixels (maximum resolution); {file} is {w}×{h}: scale it down"),
                None,
                None,
            );
        }
        if let Some(max) = limits.max_long_side
            && w.max(h) > max
        {
            push(
                "media_resolution",
                format!(
                    "{network} allows videos up to {max} pixels on the longest side (maximum resolution); {file} is {w}×{h}: scale it down"
                ),
                Some(u64::from(max)),
                Some(u64::from(w.max(h))),
            );
        }
        if let Some(max) = limits.max_pixels
            && u64::from(w) * u64::from(h) > max
        {
            push(
                "media_resolution",
                format!("{network} allows videos of up to {max} pixels (maximum resolution); {file} is {w}×{h}: scale it down"),
                Some(max),
                Some(u64::from(w) * u64::from(h)),
            );
        }
        let too_small = limits.min_width.is_some_and(|min| w < min) || limits.min_height.is_some_and(|min| h < min);
        if too_small {
            let min = format!("{}×{}", limits.min_width.unwrap_or(1), limits.min_height.unwrap_or(1));
            push(
                "media_resolution",
                format!("{network} needs videos of at least {min} pixels (minimum resolution); {file} is {w}×{h}"),
                None,
                None,
            );
        }
    }
    if let Some(min) = limits.min_bytes
        && m.size_bytes < min
    {
        push(
            "media_too_small",
            format!("{network} needs video files of at least {} KB (minimum size); {file} is {} KB", min / 1000, m.size_bytes / 1000),
            Some(min),
            Some(m.size_bytes),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use postiz_domain::{MediaId, MediaKind, VideoTraits};

    use super::*;

    fn video(name: &str, w: u32, h: u32, codec: &str, audio: Option<&str>, fps: f64) -> MediaRef {
        MediaRef {
            id: MediaId(uuid::Uuid::nil()),
            kind: MediaKind::Video,
            mime: "video/mp4".into(),
            size_bytes: 2_000_000,
            width: Some(w),
            height: Some(h),
            duration_ms: Some(10_000),
            alt: None,
            name: Some(name.into()),
            video: VideoTraits { video_codec: Some(codec.into()), audio_codec: audio.map(str::to_owned), frame_rate: Some(fps) },
            aspect_fit: Default::default(),
        }
    }

    fn limits() -> MediaLimits {
        MediaLimits::new(&["video/mp4"], 100_000_000)
            .codecs(&["hevc", "h264"], &["aac"])
            .frame_rate(23.0, 60.0)
            .max_size(1920, 3600)
            .min_bytes(75_000)
    }

    #[test]
    fn a_video_within_every_limit_has_no_problem() {
        assert_eq!(problems("Instagram", &video("ok.mp4", 1080, 1920, "avc1", Some("mp4a"), 29.97), &limits()), vec![]);
        assert_eq!(problems("Instagram", &video("ok.mp4", 1080, 1920, "hvc1", None, 30.0), &limits()), vec![]);
    }

    #[test]
    fn each_broken_limit_is_named_by_its_label_with_the_file() {
        let p = problems("Instagram", &video("teaser.mp4", 3840, 2160, "av01", Some("Opus"), 120.0), &limits());
        let codes: Vec<&str> = p.iter().map(|p| p.code).collect();
        assert_eq!(codes, ["media_codec", "media_audio_codec", "media_frame_rate", "media_resolution"]);
        assert_eq!(
            p[0].message,
            "Instagram accepts videos in HEVC (H.265) or H.264 (video codec); “teaser.mp4” is AV1 (av01): re-encode it"
        );
        assert_eq!(
            p[1].message,
            "Instagram accepts video sound in AAC (audio codec); the sound of “teaser.mp4” is Opus (Opus): re-encode it"
        );
        assert_eq!(p[2].message, "Instagram allows videos up to 60 fps (maximum frame rate); “teaser.mp4” has 120 fps");
        assert_eq!(
            p[3].message,
            "Instagram allows videos up to 1920×3600 pixels (maximum resolution); “teaser.mp4” is 3840×2160: scale it down"
        );
        let mut tiny = video("tiny.mp4", 640, 360, "avc1", None, 12.0);
        tiny.size_bytes = 40_000;
        let p = problems("Instagram", &tiny, &limits());
        assert_eq!(p[0].message, "Instagram needs videos of at least 23 fps (minimum frame rate); “tiny.mp4” has 12 fps");
        assert_eq!(p[1].message, "Instagram needs video files of at least 75 KB (minimum size); “tiny.mp4” is 40 KB");
    }

    #[test]
    fn unknown_facts_leave_their_rules_unchecked() {
        let mut m = video("old.mov", 1080, 1920, "avc1", None, 30.0);
        m.video = VideoTraits::default();
        m.width = None;
        assert_eq!(problems("Instagram", &m, &limits()), vec![]);
        // An unmapped codec is named by its sample entry type.
        let p = problems("Instagram", &video("old.mp4", 640, 480, "mp4v", None, 25.0), &limits());
        assert_eq!(
            p[0].message,
            "Instagram accepts videos in HEVC (H.265) or H.264 (video codec); “old.mp4” is encoded as mp4v: re-encode it"
        );
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(duration_label(45_000), "45 s");
        assert_eq!(duration_label(1_500), "1.5 s");
        assert_eq!(duration_label(140_000), "2 min 20 s");
        assert_eq!(duration_label(900_000), "15 min");
        assert_eq!(duration_label(1_200_000), "20 min");
    }
}
