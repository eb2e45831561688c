//! A poster frame for a video: the library's thumbnail, and the cover for networks that want
//! one. Decoding a frame needs a video decoder, which we do not write: Debian's `ffmpeg` is run
//! as a subprocess on a file (MP4s written by cameras keep `moov` at the end, so a pipe, which
//! cannot seek, would not do), with
//!
//! - one frame out (`-frames:v 1`), scaled to fit the thumbnail square and never enlarged;
//! - one thread, one poster at a time per CPU ([`POSTERS`]), and a deadline after which the
//!   process is killed;
//! - at most [`MAX_POSTER_BYTES`] read from its output and a few KB of its error text.
//!
//! When `ffmpeg` is not installed (an operator's machine without it) the upload goes on without
//! a poster and the log says so once (`cargo xtask` installs it for development and tests).

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::video_probe::VideoFacts;

/// The largest poster we accept from `ffmpeg`: a JPEG that fits a thumbnail square is a few
/// tens of KB; anything near this is not what we asked for.
pub const MAX_POSTER_BYTES: u64 = 4 * 1024 * 1024;

/// Error text kept from `ffmpeg` for the log.
const MAX_STDERR_BYTES: u64 = 4 * 1024;

/// How posters are made.
#[derive(Debug, Clone)]
pub struct PosterMaker {
    /// The `ffmpeg` program (looked up on `PATH` when it has no slash).
    pub program: String,
    /// After this the process is killed and the video has no poster.
    pub timeout: Duration,
}

impl Default for PosterMaker {
    fn default() -> Self {
        Self { program: "ffmpeg".into(), timeout: Duration::from_secs(30) }
    }
}

/// Why a video got no poster. None of these refuses the upload.
#[derive(Debug, thiserror::Error)]
pub enum PosterError {
    /// `ffmpeg` is not installed.
    #[error("`{0}` is not installed (Debian: apt-get install ffmpeg)")]
    Missing(String),
    /// It ran past the deadline and was killed.
    #[error("ffmpeg took longer than {0:?} and was stopped")]
    TimedOut(Duration),
    /// It wrote more than [`MAX_POSTER_BYTES`].
    #[error("ffmpeg wrote more than {MAX_POSTER_BYTES} bytes for one frame")]
    TooLarge,
    /// It failed, or wrote something that is not a JPEG.
    #[error("ffmpeg could not extract a frame: {0}")]
    Failed(String),
}

/// Posters being made at once, process-wide: one per CPU, as each is a decode.
static POSTERS: std::sync::LazyLock<tokio::sync::Semaphore> =
    std::sync::LazyLock::new(|| tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)));

/// Set once the missing `ffmpeg` has been logged, so the log says it once, not per upload.
static MISSING_LOGGED: AtomicBool = AtomicBool::new(false);

/// Where in the video the frame is taken: a second in (the first frame is often black or a
/// fade-in), or a third of the way through a shorter clip.
fn frame_at(duration_ms: Option<u32>) -> String {
    let ms = duration_ms.map_or(0, |d| (d / 3).min(1000));
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

impl PosterMaker {
    /// A JPEG of one frame of the video at `video`, fitting a `side` x `side` square.
    pub async fn poster(&self, video: &Path, duration_ms: Option<u32>, side: u32) -> Result<Vec<u8>, PosterError> {
        let _permit = POSTERS.acquire().await.map_err(|e| PosterError::Failed(e.to_string()))?;
        // Quotes keep the commas inside `min(…)` from separating filters.
        let scale = format!("scale=w='min({side},iw)':h='min({side},ih)':force_original_aspect_ratio=decrease");
        let mut child = tokio::process::Command::new(&self.program)
            .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1", "-ss", &frame_at(duration_ms), "-i"])
            .arg(video)
            .args(["-frames:v", "1", "-vf", &scale, "-f", "image2", "-c:v", "mjpeg", "-q:v", "4", "pipe:1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => PosterError::Missing(self.program.clone()),
                _ => PosterError::Failed(format!("could not start {}: {e}", self.program)),
            })?;
        let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(PosterError::Failed("no output pipes".into()));
        };
        let run = async {
            let mut out = Vec::new();
            let mut err = Vec::new();
            let (mut stdout, mut stderr) = (stdout.take(MAX_POSTER_BYTES + 1), stderr.take(MAX_STDERR_BYTES));
            let (read_out, read_err) = tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
            read_out.and(read_err).map_err(|e| PosterError::Failed(e.to_string()))?;
            if out.len() as u64 > MAX_POSTER_BYTES {
                return Err(PosterError::TooLarge);
            }
            let status = child.wait().await.map_err(|e| PosterError::Failed(e.to_string()))?;
            Ok((status, out, err))
        };
        // On the deadline `run` is dropped with the child, which kills it (`kill_on_drop`).
        let (status, out, err) = tokio::time::timeout(self.timeout, run).await.map_err(|_| PosterError::TimedOut(self.timeout))??;
        let why = || String::from_utf8_lossy(&err).trim().lines().last().unwrap_or("no message").to_owned();
        if !status.success() {
            return Err(PosterError::Failed(format!("{status}: {}", why())));
        }
        if !out.starts_with(&[0xFF, 0xD8, 0xFF]) {
            return Err(PosterError::Failed(if out.is_empty() {
                format!("no frame came out ({})", why())
            } else {
                "the output is not a JPEG".into()
            }));
        }
        Ok(out)
    }

    /// [`Self::poster`], or `None` with the reason logged: a missing `ffmpeg` once per process,
    /// other failures once per video.
    pub async fn poster_or_log(&self, video: &Path, duration_ms: Option<u32>, side: u32) -> Option<Vec<u8>> {
        match self.poster(video, duration_ms, side).await {
            Ok(jpeg) => Some(jpeg),
            Err(e @ PosterError::Missing(_)) => {
                if !MISSING_LOGGED.swap(true, Ordering::Relaxed) {
                    tracing::warn!(error = %e, "videos are stored without a poster frame until ffmpeg is installed");
                }
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "video stored without a poster frame");
                None
            }
        }
    }

    /// A poster for a video held in memory (a multipart upload): the bytes go to a temporary
    /// file for `ffmpeg`, removed afterwards. `None` (logged) when no poster could be made.
    pub async fn poster_of_bytes(&self, bytes: &[u8], facts: Option<&VideoFacts>, side: u32) -> Option<Vec<u8>> {
        let mut spool = Spool::new().await?;
        spool.write(bytes).await;
        let file = spool.finish().await?;
        self.poster_or_log(&file, facts.and_then(|f| f.duration_ms), side).await
    }
}

/// A video's bytes copied to a temporary file as they stream to storage, so `ffmpeg` can read
/// (and seek in) them afterwards. Best effort: when the disk refuses, the copy is dropped and
/// the video gets no poster; the upload itself goes on.
#[derive(Debug)]
pub struct Spool {
    file: Option<(tokio::fs::File, tempfile::TempPath)>,
}

impl Spool {
    /// A new temporary file, or `None` (logged) when none can be made.
    pub async fn new() -> Option<Self> {
        let made = tokio::task::spawn_blocking(|| tempfile::Builder::new().prefix("postiz-video-").suffix(".mp4").tempfile())
            .await
            .map_err(std::io::Error::other)
            .and_then(|made| made);
        match made {
            Ok(named) => {
                let (file, path) = named.into_parts();
                Some(Self { file: Some((tokio::fs::File::from_std(file), path)) })
            }
            Err(e) => {
                tracing::warn!(error = %e, "no temporary file for a video's poster frame");
                None
            }
        }
    }

    /// Appends the next piece.
    pub async fn write(&mut self, piece: &[u8]) {
        use tokio::io::AsyncWriteExt;
        if let Some((file, _)) = self.file.as_mut()
            && let Err(e) = file.write_all(piece).await
        {
            tracing::warn!(error = %e, "could not copy a video for its poster frame");
            self.file = None;
        }
    }

    /// The finished file (removed when the returned path is dropped).
    pub async fn finish(self) -> Option<tempfile::TempPath> {
        use tokio::io::AsyncWriteExt;
        let (mut file, path) = self.file?;
        match file.flush().await {
            Ok(()) => Some(path),
            Err(e) => {
                tracing::warn!(error = %e, "could not copy a video for its poster frame");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_is_taken_a_second_in_or_a_third_into_short_clips() {
        assert_eq!(frame_at(None), "0.000");
        assert_eq!(frame_at(Some(900)), "0.300");
        assert_eq!(frame_at(Some(2_400)), "0.800");
        assert_eq!(frame_at(Some(600_000)), "1.000");
    }

    #[tokio::test]
    async fn a_missing_ffmpeg_is_reported_as_missing_and_gives_no_poster() {
        let maker = PosterMaker { program: "ffmpeg-not-installed-here".into(), ..PosterMaker::default() };
        let err = maker.poster(Path::new("/nonexistent.mp4"), None, 64).await.unwrap_err();
        assert!(matches!(err, PosterError::Missing(_)), "{err}");
        assert_eq!(maker.poster_or_log(Path::new("/nonexistent.mp4"), None, 64).await, None);
    }
}
