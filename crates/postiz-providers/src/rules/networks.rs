//! Each network's rules. Numbers come from the networks' documentation; where a number
//! could not be checked against a primary source, the comment says so.

use std::sync::LazyLock;

use postiz_domain::Network;

use super::{ContentRules, Counting, FirstCommentRules, MediaLimits, MediaRules, TextRules, ThreadRules};

const MB: u64 = 1024 * 1024;

fn text(max_length: u32, counting: Counting) -> TextRules {
    TextRules { max_length, counting, max_bytes: None, optional_with_media: true, caption_max_length: None }
}

fn thread(supported: bool) -> ThreadRules {
    ThreadRules { supported, max_items: None }
}

fn comment(supported: bool) -> FirstCommentRules {
    FirstCommentRules { supported, max_length: None }
}

/// X: 280 weighted (twitter-text config v3); up to 4 photos, 1 animated GIF or 1 video
/// (docs.x.com, X API v2 media "Best practices": "You may attach up to 4 photos, 1 animated GIF
/// or 1 video"); upload size limits image 5 MB, GIF 15 MB, video 512 MB (docs.x.com/x-api/media,
/// "Media types & size restrictions"). Video 0.5–140 s, aspect 1:3–3:1, H.264 with AAC,
/// 32×32 to 1280×1024 at up to 60 fps: X's older media best-practices page as remembered, not
/// re-checked. X documents no pixel limit for photos.
static X: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::X,
    text: text(280, Counting::XWeighted),
    media: MediaRules {
        max_items: 4,
        required: false,
        video_alone: true,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png", "image/webp"], 5 * MB)),
        gif: Some(MediaLimits::new(&["image/gif"], 15 * MB)),
        video: Some(
            MediaLimits::new(&["video/mp4", "video/quicktime"], 512 * MB)
                .duration_ms(500, 140_000)
                .aspect(1.0 / 3.0, 3.0)
                .codecs(&["h264"], &["aac"])
                .min_size(32, 32)
                .max_size(1280, 1024)
                .frame_rate(1.0, 60.0),
        ),
        alt_max_length: Some(1000),
    },
    thread: thread(true),
    first_comment: comment(true),
    story: None,
    short: None,
});

/// Bluesky: `app.bsky.feed.post` text maxGraphemes 300, maxLength 3000 bytes;
/// `app.bsky.embed.images` (lexicons/app/bsky/embed/images.json in bluesky-social/atproto):
/// `images` maxLength 4, each blob `accept: ["image/*"]`, `maxSize: 1000000` bytes (decimal,
/// not MiB). No GIF: the lexicon takes stills, so an animated image goes as its first frame.
/// Video goes through a separate video service (100 MB, 3 minutes, Bluesky's announcement)
/// this adapter does not use yet, so it is not offered.
static BLUESKY: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Bluesky,
    text: TextRules { max_bytes: Some(3000), ..text(300, Counting::Graphemes) },
    media: MediaRules {
        max_items: 4,
        required: false,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png", "image/webp"], 1_000_000)),
        gif: None,
        video: None,
        alt_max_length: Some(2000),
    },
    thread: thread(true),
    first_comment: comment(true),
    story: None,
    short: None,
});

/// Mastodon defaults (instances may change them): 500 characters, URLs as 23; 4
/// attachments; a video can't be combined with images. Media limits are the 4.x defaults an
/// instance reports in `GET /api/v2/instance` → `configuration.media_attachments`
/// (mastodon.social: `image_size_limit` 16,777,216, `image_matrix_limit` 33,177,600,
/// `video_size_limit` 103,809,024, `video_matrix_limit` 8,294,400, `video_frame_rate_limit`
/// 120; the 8 MB / 40 MB of Mastodon 3 are gone). Instances transcode, so no codec list.
static MASTODON: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Mastodon,
    text: text(500, Counting::Mastodon),
    media: MediaRules {
        max_items: 4,
        required: false,
        video_alone: true,
        image: Some(
            MediaLimits::new(&["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "image/avif"], 16 * MB)
                .max_pixels(33_177_600),
        ),
        gif: Some(MediaLimits::new(&["image/gif"], 16 * MB).max_pixels(33_177_600)),
        video: Some(
            MediaLimits::new(&["video/mp4", "video/webm", "video/quicktime"], 99 * MB).max_pixels(8_294_400).frame_rate(1.0, 120.0),
        ),
        alt_max_length: Some(1500),
    },
    thread: thread(true),
    first_comment: comment(true),
    story: None,
    short: None,
});

/// LinkedIn: commentary 3000 characters (counting method not documented; code points
/// assumed); one video, or up to 20 images (multi-image posts API). Images API: JPG, PNG, GIF,
/// "less than 36,152,320 pixels"; LinkedIn publishes no byte cap for images, 5 MB is what
/// third-party publishers enforce (ayrshare media guidelines, LinkedIn), kept as the safe cap.
/// Videos API: MP4, 75 KB–500 MB, 3 s–30 min, aspect 1:2.4–2.4:1; 256×144 to 4096×2304 at
/// 10–60 fps with H.264/AAC from LinkedIn's video specifications as remembered, not re-checked.
fn linkedin(network: Network) -> ContentRules {
    ContentRules {
        network,
        text: text(3000, Counting::CodePoints),
        media: MediaRules {
            max_items: 20,
            required: false,
            video_alone: true,
            image: Some(MediaLimits::new(&["image/jpeg", "image/png", "image/gif"], 5 * MB).max_pixels(36_152_319)),
            gif: Some(MediaLimits::new(&["image/gif"], 5 * MB).max_pixels(36_152_319)),
            video: Some(
                MediaLimits::new(&["video/mp4"], 500 * MB)
                    .min_bytes(75 * 1024)
                    .duration_ms(3_000, 30 * 60_000)
                    .aspect(1.0 / 2.4, 2.4)
                    .codecs(&["h264"], &["aac"])
                    .min_size(256, 144)
                    .max_size(4096, 2304)
                    .frame_rate(10.0, 60.0),
            ),
            alt_max_length: Some(4086),
        },
        thread: thread(false),
        first_comment: FirstCommentRules { supported: true, max_length: Some(1250) },
        story: None,
        short: None,
    }
}

static LINKEDIN: LazyLock<ContentRules> = LazyLock::new(|| linkedin(Network::LinkedIn));
static LINKEDIN_PAGE: LazyLock<ContentRules> = LazyLock::new(|| linkedin(Network::LinkedInPage));

/// Facebook Pages: 63,206 characters (the figure of issue 4 and of Postiz; Meta's Pages
/// API reference gives no limit), counted in UTF-16 units as JavaScript does. No threads;
/// a first comment. Photos: the Graph API Page Photos reference ("Photo specifications":
/// JPEG, BMP, PNG, GIF, TIFF; files under 4 MB; PNG best under 1 MB) as remembered, the stored
/// copy of that page did not show the table; we send JPEG, PNG or GIF. Videos: 1 GB assumed,
/// H.264/AAC, not checked against Meta's pages. A video or GIF goes alone.
static FACEBOOK: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Facebook,
    text: text(63_206, Counting::Utf16),
    media: MediaRules {
        max_items: 10,
        required: false,
        video_alone: true,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png", "image/gif"], 4 * MB)),
        gif: Some(MediaLimits::new(&["image/gif"], 4 * MB)),
        video: Some(MediaLimits::new(&["video/mp4", "video/quicktime"], 1024 * MB).codecs(&["h264"], &["aac"])),
        alt_max_length: None,
    },
    thread: thread(false),
    first_comment: comment(true),
    story: None,
    short: None,
});

/// Instagram business: caption 2,200; 1 medium required, carousels up to 10 (content
/// publishing guide). Images (IG User Media reference, "Image specifications"): JPEG only
/// (the API refuses PNG though the app takes it), at most 8 MiB (error 2207004 says so), aspect
/// 4:5 to 1.91:1, width 320–1,440 (narrower is scaled up, wider scaled down by Instagram, so we
/// send at most 1,440). Reels video ("Reel specifications"): MOV/MP4, HEVC or H.264, AAC,
/// 23–60 fps, at most 1,920 wide and 3,600 high, 3 s–15 min, aspect 0.01:1–10:1; 300 MB kept
/// from the older feed-video spec (Reels now allow 1 GB). Cross-checked with the ayrshare and
/// getlate media guidelines, which repeat the same figures. Stories (IG User Media reference,
/// "Story specifications"; `media_type=STORIES`): one image or video, shown at 9:16; images JPEG
/// up to 8 MiB (sent at most 1,080 wide, the story's width); videos MOV/MP4, HEVC or H.264, AAC,
/// 3–60 s, at most 100 MB.
static INSTAGRAM: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Instagram,
    text: text(2200, Counting::Utf16),
    media: MediaRules {
        max_items: 10,
        required: true,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg"], 8 * MB).aspect(0.8, 1.91).max_width(1440)),
        gif: None,
        video: Some(
            MediaLimits::new(&["video/mp4", "video/quicktime"], 300 * MB)
                .duration_ms(3_000, 15 * 60_000)
                .aspect(0.01, 10.0)
                .codecs(&["hevc", "h264"], &["aac"])
                .max_size(1920, 3600)
                .frame_rate(23.0, 60.0),
        ),
        alt_max_length: None,
    },
    thread: thread(false),
    first_comment: comment(true),
    story: Some(MediaRules {
        max_items: 1,
        required: true,
        video_alone: true,
        image: Some(MediaLimits::new(&["image/jpeg"], 8 * MB).aspect(STORY_ASPECT.0, STORY_ASPECT.1).max_width(1080)),
        gif: None,
        video: Some(
            MediaLimits::new(&["video/mp4", "video/quicktime"], 100 * MB)
                .duration_ms(3_000, 60_000)
                .aspect(STORY_ASPECT.0, STORY_ASPECT.1)
                .codecs(&["hevc", "h264"], &["aac"])
                .max_size(1920, 3600)
                .frame_rate(23.0, 60.0),
        ),
        alt_max_length: None,
    }),
    short: None,
});

/// Instagram stories are shown full screen at 9:16; a picture within 1% of that is taken as is
/// (phones record 1080×1920, but a cropped 1079×1920 should not be refused). Anything else is
/// refused for aspect unless the asset is set to pad or crop, which makes a 9:16 copy.
const STORY_ASPECT: (f64, f64) = (9.0 / 16.0 * 0.99, 9.0 / 16.0 * 1.01);

/// Threads (posts guide): 500 characters, an emoji counting as its UTF-8 bytes; a
/// carousel of up to 20 images and videos. Media specifications (Threads API "Media
/// specifications", repeated by the ayrshare guidelines): images JPEG/PNG up to 8 MB, aspect at
/// most 10:1, width 320–1,440 (scaled by Threads outside that, so we send at most 1,440);
/// videos MOV/MP4, HEVC or H.264, AAC, 23–60 fps, at most 1,920 wide, aspect 0.01:1–10:1, up to
/// 5 minutes and 1 GB. Media are fetched from public URLs.
static THREADS: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Threads,
    text: text(500, Counting::Threads),
    media: MediaRules {
        max_items: 20,
        required: false,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png"], 8 * MB).aspect(0.1, 10.0).max_width(1440)),
        gif: None,
        video: Some(
            MediaLimits::new(&["video/mp4", "video/quicktime"], 1024 * MB)
                .duration_ms(0, 300_000)
                .aspect(0.01, 10.0)
                .codecs(&["hevc", "h264"], &["aac"])
                .max_width(1920)
                .frame_rate(23.0, 60.0),
        ),
        alt_max_length: None,
    },
    thread: thread(true),
    first_comment: comment(true),
    story: None,
    short: None,
});

/// Discord: message `content` up to 2,000 characters (Create Message); 10 attachments;
/// 10 MiB per upload on servers without boosts (Discord's default since 2024, not
/// re-checked; the API reference documents no pixel limit). Counting is by code points (Discord does not document its unit). Replies
/// through `message_reference` (bot) or follow-up messages (webhook); no first comment.
static DISCORD: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Discord,
    text: text(2000, Counting::CodePoints),
    media: MediaRules {
        max_items: 10,
        required: false,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png", "image/webp"], 10 * MB)),
        gif: Some(MediaLimits::new(&["image/gif"], 10 * MB)),
        video: Some(MediaLimits::new(&["video/mp4", "video/webm"], 10 * MB)),
        alt_max_length: None,
    },
    thread: thread(true),
    first_comment: comment(false),
    story: None,
    short: None,
});

/// Slack: `chat.postMessage` text is truncated after 40,000 characters (Slack changelog
/// 2018-04); with images the text also goes in a `section` block, whose text is limited to
/// 3,000 characters. Images only (Block Kit `image` blocks, fetched by Slack from public
/// URLs: PNG, JPEG, GIF, Block Kit reference "Image block"); Slack documents no byte or pixel
/// limit for them, 10 MB is assumed; 10
/// per message keeps well inside the 50-block limit. Replies go in the parent's thread.
static SLACK: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Slack,
    text: TextRules { caption_max_length: Some(3000), ..text(40_000, Counting::CodePoints) },
    media: MediaRules {
        max_items: 10,
        required: false,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png"], 10 * MB)),
        gif: Some(MediaLimits::new(&["image/gif"], 10 * MB)),
        video: None,
        alt_max_length: Some(2000),
    },
    thread: thread(true),
    first_comment: comment(false),
    story: None,
    short: None,
});

/// Telegram bots (Bot API): message text 1–4,096 characters, media captions 0–1,024
/// (counted in UTF-16 units, as Telegram measures entity offsets); media groups of 2–10
/// photos and videos; `sendPhoto`: "The photo must be at most 10 MB in size. The photo's width
/// and height must not exceed 10000 in total. Width and height ratio must be at most 20";
/// other uploads (`sendAnimation`, `sendVideo`) up to 50 MB.
/// Replies through `reply_parameters`; no first comment.
static TELEGRAM: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Telegram,
    text: TextRules { caption_max_length: Some(1024), ..text(4096, Counting::Utf16) },
    media: MediaRules {
        max_items: 10,
        required: false,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png", "image/webp"], 10 * MB).max_side_sum(10_000).aspect(1.0 / 20.0, 20.0)),
        gif: Some(MediaLimits::new(&["image/gif"], 50 * MB)),
        video: Some(MediaLimits::new(&["video/mp4"], 50 * MB)),
        alt_max_length: None,
    },
    thread: thread(true),
    first_comment: comment(false),
    story: None,
    short: None,
});

/// Nostr (NIP-01): a note's content has no length limit in the protocol; relays limit an event's
/// size (commonly 64–128 KB) and clients fold long notes, so 16,000 characters keeps every
/// relay's limit with room for tags. Media are links at the end of the text (NIP-92 `imeta`),
/// fetched by readers' clients from our public URLs: no byte limit of Nostr's own, so the
/// limits are what clients commonly render (images, GIFs, MP4/WebM video), four per note.
/// Replies are NIP-10 notes, the first comment a reply to the main note.
static NOSTR: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Nostr,
    text: text(16_000, Counting::CodePoints),
    media: MediaRules {
        max_items: 4,
        required: false,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png", "image/webp"], 20 * MB)),
        gif: Some(MediaLimits::new(&["image/gif"], 20 * MB)),
        video: Some(MediaLimits::new(&["video/mp4", "video/webm"], 200 * MB)),
        alt_max_length: Some(1000),
    },
    thread: thread(true),
    first_comment: comment(true),
    story: None,
    short: None,
});

/// dev.to (Forem API v1 `POST /api/articles`): the text is the article's Markdown body, which
/// Forem does not limit in its API reference; 100,000 characters is a long article with room.
/// A title is required and at most 4 tags (the settings, checked with them). Images are not
/// uploaded: they go into the Markdown (or the cover, `main_image`) by their public address and
/// dev.to fetches them, so the limits are the types its editor takes; video is refused (an
/// article embeds video by link, which is text). No threads, and the API cannot comment.
static DEVTO: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::DevTo,
    text: text(100_000, Counting::CodePoints),
    media: MediaRules {
        max_items: 10,
        required: false,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png", "image/webp"], 25 * MB)),
        gif: Some(MediaLimits::new(&["image/gif"], 25 * MB)),
        video: None,
        alt_max_length: Some(1000),
    },
    thread: thread(false),
    first_comment: comment(false),
    story: None,
    short: None,
});

/// TikTok (Content Posting API): a video caption (`post_info.title`) is at most 2,200 UTF-16
/// units ("Direct Post" reference); a photo post's description at most 4,000 and its title 90
/// (settings). A post is one video or up to 35 photos, and needs one of them. Photos are pulled
/// from public URLs: JPEG or WebP (no PNG), up to 20 MB, at most 1080p (1920 pixels on the long
/// side). Videos ("Media Transfer Guide"): MP4, WebM or MOV, H.264, H.265, VP8 or VP9, 23–60 fps,
/// 360–4,096 pixels on each side, up to 4 GB; up to 10 minutes (the creator's own cap, from
/// `creator_info/query`, is checked at publish time). Sources:
/// developers.tiktok.com/doc/content-posting-api-reference-direct-post,
/// /doc/content-posting-api-media-transfer-guide; image figures as repeated by the ayrshare
/// TikTok media guidelines. No threads, no first comment.
static TIKTOK: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::TikTok,
    text: text(2200, Counting::Utf16),
    media: MediaRules {
        max_items: 35,
        required: true,
        video_alone: true,
        image: Some(MediaLimits::new(&["image/jpeg", "image/webp"], 20 * MB).max_long_side(1920)),
        gif: None,
        video: Some(
            MediaLimits::new(&["video/mp4", "video/webm", "video/quicktime"], 4 * 1024 * MB)
                .duration_ms(1_000, 600_000)
                .codecs(&["h264", "hevc", "vp8", "vp9"], &[])
                .min_size(360, 360)
                .max_size(4096, 4096)
                .frame_rate(23.0, 60.0),
        ),
        alt_max_length: None,
    },
    thread: thread(false),
    first_comment: comment(false),
    story: None,
    short: None,
});

/// YouTube (Data API v3 `videos.insert`): the post's text is the description, "at most 5,000
/// bytes" (videos resource, `snippet.description`), held here as 5,000 code points (the same
/// for ASCII; longer non-ASCII text is refused by YouTube as `invalidDescription`); the title (100 characters) and
/// tags are settings. One video per post (MP4, MOV, WebM, AVI…; up to 256 GB or 12 hours,
/// YouTube Help "Upload videos longer than 15 minutes"), optionally followed by one JPEG or PNG
/// as the custom thumbnail (`thumbnails.set`: image/jpeg, image/png, at most 2 MB). Shorts
/// (YouTube Help "Upload YouTube Shorts"): vertical or square, at most 3 minutes. No threads;
/// no first comment.
fn youtube_media(max_duration_ms: u64, vertical: bool) -> MediaRules {
    let mut video = MediaLimits::new(&["video/mp4", "video/quicktime", "video/webm", "video/x-msvideo", "video/mpeg"], 256 * 1024 * MB)
        .duration_ms(0, max_duration_ms);
    if vertical {
        video = video.aspect(0.0, 1.0);
    }
    MediaRules {
        max_items: 2,
        required: true,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png"], 2 * MB)),
        gif: None,
        video: Some(video),
        alt_max_length: None,
    }
}

static YOUTUBE: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::YouTube,
    text: text(5000, Counting::CodePoints),
    media: youtube_media(12 * 3_600_000, false),
    thread: thread(false),
    first_comment: comment(false),
    story: None,
    short: Some(youtube_media(180_000, true)),
});

/// The sandbox: generous, graphemes, threads on, so demos exercise every path. Its media
/// limits are our own (the sandbox stores what it gets): a 4,096-pixel longest side so the
/// downscale path runs in demos.
static SANDBOX: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Sandbox,
    text: text(1000, Counting::Graphemes),
    media: MediaRules {
        max_items: 4,
        required: false,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png", "image/webp"], 10 * MB).max_long_side(4096)),
        gif: Some(MediaLimits::new(&["image/gif"], 10 * MB)),
        video: Some(MediaLimits::new(&["video/mp4"], 100 * MB)),
        alt_max_length: Some(1000),
    },
    thread: thread(true),
    first_comment: comment(true),
    story: None,
    short: None,
});

pub(super) fn rules(network: Network) -> &'static ContentRules {
    match network {
        Network::X => &X,
        Network::LinkedIn => &LINKEDIN,
        Network::LinkedInPage => &LINKEDIN_PAGE,
        Network::Bluesky => &BLUESKY,
        Network::Mastodon => &MASTODON,
        Network::Facebook => &FACEBOOK,
        Network::Instagram => &INSTAGRAM,
        Network::Threads => &THREADS,
        Network::Discord => &DISCORD,
        Network::Slack => &SLACK,
        Network::Telegram => &TELEGRAM,
        Network::TikTok => &TIKTOK,
        Network::YouTube => &YOUTUBE,
        Network::Nostr => &NOSTR,
        Network::DevTo => &DEVTO,
        // Network is non_exhaustive; new networks start from the sandbox's permissive rules
        // until they get their own entry.
        _ => &SANDBOX,
    }
}
