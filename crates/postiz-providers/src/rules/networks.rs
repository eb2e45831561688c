//! Each network's rules. Numbers come from the networks' documentation; where a number
//! could not be checked against a primary source, the comment says so.

use std::sync::LazyLock;

use postiz_domain::Network;

use super::{
    ContentRules, Counting, FirstCommentRules, MediaLimits, MediaRules, TextRules, ThreadRules,
};

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
/// (docs.x.com media best practices); images 5 MB, GIFs 15 MB, video 512 MB,
/// 0.5–140 s, aspect 1:3–3:1.
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
                .aspect(1.0 / 3.0, 3.0),
        ),
        alt_max_length: Some(1000),
    },
    thread: thread(true),
    first_comment: comment(true),
});

/// Bluesky: `app.bsky.feed.post` text maxGraphemes 300, maxLength 3000 bytes;
/// `app.bsky.embed.images` up to 4 images, blob maxSize 1,000,000 bytes. Video goes
/// through a separate video service this adapter does not use yet, so it is not offered.
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
});

/// Mastodon defaults (instances may raise them): 500 characters, URLs as 23; 4
/// attachments; images 16 MB, video 99 MB (docs.joinmastodon.org, "posting": media);
/// a video can't be combined with images.
static MASTODON: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Mastodon,
    text: text(500, Counting::Mastodon),
    media: MediaRules {
        max_items: 4,
        required: false,
        video_alone: true,
        image: Some(MediaLimits::new(
            &["image/jpeg", "image/png", "image/webp", "image/heic", "image/heif", "image/avif"],
            16 * MB,
        )),
        gif: Some(MediaLimits::new(&["image/gif"], 16 * MB)),
        video: Some(MediaLimits::new(&["video/mp4", "video/webm", "video/quicktime"], 99 * MB)),
        alt_max_length: Some(1500),
    },
    thread: thread(true),
    first_comment: comment(true),
});

/// LinkedIn: commentary 3000 characters (counting method not documented; code points
/// assumed); one video, or up to 20 images (multi-image posts). Video 75 KB–500 MB,
/// 3 s–30 min. Image size limit not published as bytes (36,152,320 pixels); 10 MB assumed.
fn linkedin(network: Network) -> ContentRules {
    ContentRules {
        network,
        text: text(3000, Counting::CodePoints),
        media: MediaRules {
            max_items: 20,
            required: false,
            video_alone: true,
            image: Some(MediaLimits::new(&["image/jpeg", "image/png", "image/gif"], 10 * MB)),
            gif: Some(MediaLimits::new(&["image/gif"], 10 * MB)),
            video: Some(
                MediaLimits::new(&["video/mp4"], 500 * MB).duration_ms(3_000, 30 * 60_000),
            ),
            alt_max_length: Some(4086),
        },
        thread: thread(false),
        first_comment: FirstCommentRules { supported: true, max_length: Some(1250) },
    }
}

static LINKEDIN: LazyLock<ContentRules> = LazyLock::new(|| linkedin(Network::LinkedIn));
static LINKEDIN_PAGE: LazyLock<ContentRules> = LazyLock::new(|| linkedin(Network::LinkedInPage));

/// Facebook Pages: 63,206 characters (the figure of issue 4 and of Postiz; Meta's Pages
/// API reference gives no limit), counted in UTF-16 units as JavaScript does. No threads;
/// a first comment. Photo and video size limits are not checked against Meta's pages
/// (10 MB images and 1 GB videos assumed); a video or GIF goes alone.
static FACEBOOK: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Facebook,
    text: text(63_206, Counting::Utf16),
    media: MediaRules {
        max_items: 10,
        required: false,
        video_alone: true,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png", "image/gif"], 10 * MB)),
        gif: Some(MediaLimits::new(&["image/gif"], 10 * MB)),
        video: Some(MediaLimits::new(&["video/mp4", "video/quicktime"], 1024 * MB)),
        alt_max_length: None,
    },
    thread: thread(false),
    first_comment: comment(true),
});

/// Instagram business: caption 2,200; 1 medium required, carousels up to 10 (content
/// publishing guide); JPEG images under 8 MiB (error 2207004 says so); aspect 4:5 to
/// 1.91:1 and video limits from the media specifications as remembered, not re-checked.
static INSTAGRAM: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Instagram,
    text: text(2200, Counting::Utf16),
    media: MediaRules {
        max_items: 10,
        required: true,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg"], 8 * MB).aspect(0.8, 1.91)),
        gif: None,
        video: Some(
            MediaLimits::new(&["video/mp4", "video/quicktime"], 300 * MB)
                .duration_ms(3_000, 15 * 60_000),
        ),
        alt_max_length: None,
    },
    thread: thread(false),
    first_comment: comment(true),
});

/// Threads (posts guide): 500 characters, an emoji counting as its UTF-8 bytes; a
/// carousel of up to 20 images and videos; images JPEG/PNG up to 8 MB, videos MOV/MP4 up
/// to 1 GB and 5 minutes (media specifications). Media are fetched from public URLs.
static THREADS: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Threads,
    text: text(500, Counting::Threads),
    media: MediaRules {
        max_items: 20,
        required: false,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png"], 8 * MB)),
        gif: None,
        video: Some(MediaLimits::new(&["video/mp4", "video/quicktime"], 1024 * MB).duration_ms(0, 300_000)),
        alt_max_length: None,
    },
    thread: thread(true),
    first_comment: comment(true),
});

/// Discord: message `content` up to 2,000 characters (Create Message); 10 attachments;
/// 10 MiB per upload on servers without boosts (Discord's default since 2024, not
/// re-checked). Counting is by code points (Discord does not document its unit). Replies
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
});

/// Slack: `chat.postMessage` text is truncated after 40,000 characters (Slack changelog
/// 2018-04); with images the text also goes in a `section` block, whose text is limited to
/// 3,000 characters. Images only (Block Kit `image` blocks, fetched by Slack from public
/// URLs: PNG, JPEG, GIF); Slack documents no byte limit for them, 10 MB is assumed; 10
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
});

/// Telegram bots (Bot API): message text 1–4,096 characters, media captions 0–1,024
/// (counted in UTF-16 units, as Telegram measures entity offsets); media groups of 2–10
/// photos and videos; photos up to 10 MB (`sendPhoto`), other uploads up to 50 MB.
/// Replies through `reply_parameters`; no first comment.
static TELEGRAM: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Telegram,
    text: TextRules { caption_max_length: Some(1024), ..text(4096, Counting::Utf16) },
    media: MediaRules {
        max_items: 10,
        required: false,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png", "image/webp"], 10 * MB)),
        gif: Some(MediaLimits::new(&["image/gif"], 50 * MB)),
        video: Some(MediaLimits::new(&["video/mp4"], 50 * MB)),
        alt_max_length: None,
    },
    thread: thread(true),
    first_comment: comment(false),
});

/// The sandbox: generous, graphemes, threads on, so demos exercise every path.
static SANDBOX: LazyLock<ContentRules> = LazyLock::new(|| ContentRules {
    network: Network::Sandbox,
    text: text(1000, Counting::Graphemes),
    media: MediaRules {
        max_items: 4,
        required: false,
        video_alone: false,
        image: Some(MediaLimits::new(&["image/jpeg", "image/png", "image/webp"], 10 * MB)),
        gif: Some(MediaLimits::new(&["image/gif"], 10 * MB)),
        video: Some(MediaLimits::new(&["video/mp4"], 100 * MB)),
        alt_max_length: Some(1000),
    },
    thread: thread(true),
    first_comment: comment(true),
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
        // Network is non_exhaustive; new networks start from the sandbox's permissive rules
        // until they get their own entry.
        _ => &SANDBOX,
    }
}
