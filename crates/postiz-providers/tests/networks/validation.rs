//! Validation with hard text, per network.

use postiz_domain::{
    AspectFit, InstagramPostType, InstagramSettings, MediaId, MediaKind, MediaRef, Network, NetworkSettings, PostVariant, ThreadItem,
};
use postiz_providers::rules::{ContentRules, count};
use postiz_providers::validate;

const FAMILY: &str = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}\u{200D}\u{1F466}";

fn text(t: impl Into<String>) -> PostVariant {
    PostVariant { text: t.into(), ..Default::default() }
}

fn errors(network: Network, v: &PostVariant) -> Vec<postiz_providers::FieldError> {
    validate(v, ContentRules::for_network(network))
}

fn media(kind: MediaKind, mime: &str, size: u64) -> MediaRef {
    MediaRef {
        id: MediaId(uuid::Uuid::nil()),
        kind,
        mime: mime.into(),
        size_bytes: size,
        width: Some(1000),
        height: Some(1000),
        duration_ms: None,
        alt: None,
        name: None,
        video: Default::default(),
        aspect_fit: AspectFit::Refuse,
    }
}

#[test]
fn x_counts_140_cjk_characters_as_the_full_280() {
    assert!(errors(Network::X, &text("字".repeat(140))).is_empty());
    let e = errors(Network::X, &text("字".repeat(141)));
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].field, "variants.x.text");
    assert_eq!(e[0].message, "X allows 280 characters (weighted: links count as 23, emoji and CJK as 2); this text has 282");
}

#[test]
fn x_counts_each_zwj_family_as_two() {
    assert!(errors(Network::X, &text(FAMILY.repeat(140))).is_empty());
    assert_eq!(errors(Network::X, &text(FAMILY.repeat(141)))[0].actual, Some(282));
}

#[test]
fn x_counts_a_very_long_url_as_23() {
    let url = format!("https://example.com/{}", "a".repeat(500));
    let t = format!("{} {url}", "b".repeat(256));
    assert_eq!(count(&t, ContentRules::for_network(Network::X).text.counting), 256 + 1 + 23);
    assert!(errors(Network::X, &text(t)).is_empty());
}

#[test]
fn bluesky_counts_graphemes_so_300_families_fit_but_bytes_do_not() {
    // 300 graphemes, but 25 bytes each: over the 3000-byte limit.
    let e = errors(Network::Bluesky, &text(FAMILY.repeat(300)));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].code, "too_many_bytes");
    // Combining marks: "é" written as e + U+0301 is one grapheme.
    assert!(errors(Network::Bluesky, &text("e\u{301}".repeat(300))).is_empty());
    let e = errors(Network::Bluesky, &text("e\u{301}".repeat(301)));
    assert_eq!(e[0].message, "Bluesky allows 300 characters; this text has 301");
}

#[test]
fn mastodon_counts_urls_as_23_and_remote_mentions_without_domain() {
    let long_url = format!("https://example.org/{}", "x".repeat(400));
    let t = format!("{} {long_url} @someone@a-very-long-instance-name.example", "y".repeat(450));
    // 450 + 1 + 23 + 1 + len("@someone") = 483
    assert_eq!(count(&t, ContentRules::for_network(Network::Mastodon).text.counting), 483);
    assert!(errors(Network::Mastodon, &text(t)).is_empty());
    let e = errors(Network::Mastodon, &text("z".repeat(501)));
    assert_eq!(e[0].message, "Mastodon allows 500 characters (links count as 23); this text has 501");
}

#[test]
fn linkedin_allows_3000_and_no_threads() {
    assert!(errors(Network::LinkedIn, &text("ü".repeat(3000))).is_empty());
    let v = PostVariant { text: "hi".into(), thread: vec![ThreadItem { text: "more".into(), media: vec![] }], ..Default::default() };
    let e = errors(Network::LinkedIn, &v);
    assert_eq!(e[0].code, "threads_unsupported");
    assert_eq!(e[0].field, "variants.linkedin.thread");
}

#[test]
fn thread_items_are_checked_with_their_own_paths() {
    let v = PostVariant {
        text: "ok".into(),
        thread: vec![ThreadItem { text: "fine".into(), media: vec![] }, ThreadItem { text: "字".repeat(141), media: vec![] }],
        ..Default::default()
    };
    let e = errors(Network::X, &v);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].field, "variants.x.thread[1].text");
}

#[test]
fn media_rules_name_the_network_and_the_limit() {
    let v = PostVariant {
        text: "v".into(),
        media: vec![media(MediaKind::Video, "video/mp4", 10), media(MediaKind::Image, "image/png", 10)],
        ..Default::default()
    };
    assert!(errors(Network::X, &v).iter().any(|e| e.code == "video_alone"));
    // Still images are converted and recompressed per network before upload: a 2 MB PNG is
    // fine for Bluesky's 1,000,000-byte cap and a PNG for JPEG-only Instagram.
    let big = PostVariant { text: "i".into(), media: vec![media(MediaKind::Image, "image/png", 2_000_000)], ..Default::default() };
    assert_eq!(errors(Network::Bluesky, &big), vec![]);
    assert_eq!(errors(Network::Instagram, &big), vec![]);
    // What is not converted still has to fit: a HEIC photo, a 20 MB GIF on X.
    let heic = PostVariant { text: "i".into(), media: vec![media(MediaKind::Image, "image/heic", 10)], ..Default::default() };
    let e = errors(Network::Bluesky, &heic);
    assert_eq!(e[0].field, "variants.bluesky.media[0]");
    assert_eq!(e[0].code, "media_type");
    let gif = PostVariant { text: "g".into(), media: vec![media(MediaKind::Gif, "image/gif", 20 * 1024 * 1024)], ..Default::default() };
    let e = errors(Network::X, &gif);
    assert_eq!(e[0].code, "media_too_large");
    assert!(e[0].message.starts_with("X allows GIFs up to 15.0 MB"), "{}", e[0].message);
    let video = PostVariant { text: "v".into(), media: vec![media(MediaKind::Video, "video/mp4", 10)], ..Default::default() };
    assert_eq!(errors(Network::Bluesky, &video)[0].code, "media_type");
    let mut long = media(MediaKind::Video, "video/mp4", 10);
    long.duration_ms = Some(200_000);
    let e = errors(Network::X, &PostVariant { text: "v".into(), media: vec![long], ..Default::default() });
    assert_eq!(e[0].code, "media_duration");
    let five =
        PostVariant { text: "i".into(), media: (0..5).map(|_| media(MediaKind::Image, "image/png", 10)).collect(), ..Default::default() };
    assert_eq!(errors(Network::Mastodon, &five)[0].code, "too_many_media");
}

#[test]
fn empty_posts_and_unsupported_first_comments_are_errors() {
    assert_eq!(errors(Network::X, &text("   "))[0].code, "required");
    let v = PostVariant { text: "hi".into(), first_comment: Some("c".into()), ..Default::default() };
    assert_eq!(errors(Network::Slack, &v)[0].code, "first_comment_unsupported");
}

#[test]
fn rules_serialize_for_the_api_and_ui() {
    let json = serde_json::to_value(ContentRules::for_network(Network::X)).unwrap();
    assert_eq!(json["text"]["max_length"], 280);
    assert_eq!(json["text"]["counting"], "x_weighted");
    let back: ContentRules = serde_json::from_value(json).unwrap();
    assert_eq!(&back, ContentRules::for_network(Network::X));
}

#[test]
fn facebook_counts_utf16_units_so_emoji_count_twice() {
    // 😀 is one grapheme, one code point and two UTF-16 units.
    assert!(errors(Network::Facebook, &text("😀".repeat(31_603))).is_empty());
    let e = errors(Network::Facebook, &text(format!("{}a", "😀".repeat(31_603))));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].field, "variants.facebook.text");
    assert_eq!(e[0].message, "Facebook allows 63206 characters; this text has 63207");
    let v = PostVariant { text: "hi".into(), thread: vec![ThreadItem { text: "more".into(), media: vec![] }], ..Default::default() };
    assert_eq!(errors(Network::Facebook, &v)[0].code, "threads_unsupported");
}

#[test]
fn instagram_needs_media_and_counts_the_caption_in_utf16_units() {
    let jpeg = || media(MediaKind::Image, "image/jpeg", 1000);
    // 1,100 "𝕏" (mathematical double-struck X, outside the BMP) are 2,200 UTF-16 units.
    let v = PostVariant { text: "𝕏".repeat(1100), media: vec![jpeg()], ..Default::default() };
    assert!(errors(Network::Instagram, &v).is_empty());
    let v = PostVariant { text: "𝕏".repeat(1101), media: vec![jpeg()], ..Default::default() };
    let e = errors(Network::Instagram, &v);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].message, "Instagram allows 2200 characters; this text has 2202");
    let e = errors(Network::Instagram, &text("words only"));
    assert_eq!(e[0].code, "media_required");
    assert_eq!(e[0].field, "variants.instagram.media");
    let eleven = PostVariant { text: "c".into(), media: (0..11).map(|_| jpeg()).collect(), ..Default::default() };
    assert_eq!(errors(Network::Instagram, &eleven)[0].code, "too_many_media");
    let gif = PostVariant { text: "g".into(), media: vec![media(MediaKind::Gif, "image/gif", 10)], ..Default::default() };
    assert_eq!(errors(Network::Instagram, &gif)[0].code, "media_type");
}

fn instagram(post_type: InstagramPostType, media: Vec<MediaRef>) -> PostVariant {
    PostVariant {
        text: "caption".into(),
        media,
        settings: NetworkSettings::Instagram(InstagramSettings { post_type: Some(post_type) }),
        ..Default::default()
    }
}

fn sized(kind: MediaKind, mime: &str, w: u32, h: u32, duration_ms: Option<u64>) -> MediaRef {
    MediaRef { width: Some(w), height: Some(h), duration_ms, ..media(kind, mime, 1_000_000) }
}

/// Stories are held to the story's rules (one file, 9:16, videos up to 60 s), not the feed's
/// (4:5 to 1.91:1, 15 min), each error naming the field and the limit.
#[test]
fn instagram_stories_take_one_9_16_file_and_videos_up_to_a_minute() {
    use InstagramPostType::Story;
    let tall = || sized(MediaKind::Image, "image/jpeg", 1080, 1920, None);
    assert!(errors(Network::Instagram, &instagram(Story, vec![tall()])).is_empty());
    // The same 9:16 picture is too narrow for the feed.
    assert_eq!(errors(Network::Instagram, &instagram(InstagramPostType::Feed, vec![tall()]))[0].code, "media_aspect");

    let square = errors(Network::Instagram, &instagram(Story, vec![sized(MediaKind::Image, "image/jpeg", 1080, 1080, None)]));
    assert_eq!(square.len(), 1, "{square:?}");
    assert_eq!((square[0].field.as_str(), square[0].code), ("variants.instagram.media[0]", "media_aspect"));
    assert!(
        square[0].message.starts_with("An Instagram story accepts images with a width/height ratio between 0.56 and 0.57"),
        "{}",
        square[0].message
    );

    let long = errors(Network::Instagram, &instagram(Story, vec![sized(MediaKind::Video, "video/mp4", 1080, 1920, Some(61_000))]));
    assert_eq!(long.len(), 1, "{long:?}");
    assert_eq!((long[0].code, long[0].limit), ("media_duration", Some(60_000)));
    assert!(long[0].message.contains("An Instagram story allows videos up to 1 min"), "{}", long[0].message);
    assert!(errors(Network::Instagram, &instagram(Story, vec![sized(MediaKind::Video, "video/mp4", 1080, 1920, Some(59_000))])).is_empty());

    let two = errors(Network::Instagram, &instagram(Story, vec![tall(), tall()]));
    assert_eq!((two[0].field.as_str(), two[0].code), ("variants.instagram.media", "too_many_media"));

    let mut commented = instagram(Story, vec![tall()]);
    commented.first_comment = Some("first!".into());
    let e = errors(Network::Instagram, &commented);
    assert_eq!((e[0].field.as_str(), e[0].code), ("variants.instagram.first_comment", "first_comment_unsupported"));
}

#[test]
fn an_instagram_reel_is_one_video() {
    let clip = || sized(MediaKind::Video, "video/mp4", 1080, 1920, Some(10_000));
    assert!(errors(Network::Instagram, &instagram(InstagramPostType::Reel, vec![clip()])).is_empty());
    let e = errors(
        Network::Instagram,
        &instagram(InstagramPostType::Reel, vec![media(MediaKind::Image, "image/jpeg", 10), media(MediaKind::Image, "image/jpeg", 10)]),
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!((e[0].field.as_str(), e[0].code), ("variants.instagram.settings.post_type", "post_type_media"));
    assert_eq!(e[0].message, "An Instagram reel is one video; this post has 2 images (attach one video, or choose Feed post)");
}

#[test]
fn threads_counts_an_emoji_as_its_utf8_bytes() {
    // 125 × 👋 (4 bytes each) = 500.
    assert!(errors(Network::Threads, &text("👋".repeat(125))).is_empty());
    let e = errors(Network::Threads, &text(format!("{}!", "👋".repeat(125))));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].actual, Some(501));
    // Accented and CJK text counts one per character.
    assert!(errors(Network::Threads, &text("é".repeat(300) + &"字".repeat(200))).is_empty());
    let twenty_one =
        PostVariant { text: "c".into(), media: (0..21).map(|_| media(MediaKind::Image, "image/png", 10)).collect(), ..Default::default() };
    assert_eq!(errors(Network::Threads, &twenty_one)[0].code, "too_many_media");
}

#[test]
fn discord_allows_2000_code_points_and_ten_attachments() {
    // Each family emoji is 7 code points: 285 of them are 1,995.
    assert!(errors(Network::Discord, &text(format!("{}abcde", FAMILY.repeat(285)))).is_empty());
    let e = errors(Network::Discord, &text(format!("{}abcdef", FAMILY.repeat(285))));
    assert_eq!(e[0].message, "Discord allows 2000 characters; this text has 2001");
    let eleven =
        PostVariant { text: "c".into(), media: (0..11).map(|_| media(MediaKind::Image, "image/png", 10)).collect(), ..Default::default() };
    assert_eq!(errors(Network::Discord, &eleven)[0].code, "too_many_media");
    let v = PostVariant { text: "hi".into(), first_comment: Some("c".into()), ..Default::default() };
    assert_eq!(errors(Network::Discord, &v)[0].code, "first_comment_unsupported");
}

#[test]
fn slack_allows_40000_characters_but_3000_next_to_images() {
    assert!(errors(Network::Slack, &text("ü".repeat(40_000))).is_empty());
    assert_eq!(errors(Network::Slack, &text("ü".repeat(40_001)))[0].code, "too_long");
    let with_image =
        |n: usize| PostVariant { text: "é".repeat(n), media: vec![media(MediaKind::Image, "image/png", 10)], ..Default::default() };
    assert!(errors(Network::Slack, &with_image(3000)).is_empty());
    let e = errors(Network::Slack, &with_image(3001));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].limit, Some(3000));
    assert!(e[0].message.starts_with("Slack allows 3000 characters in a caption"), "{}", e[0].message);
    let video = PostVariant { text: "v".into(), media: vec![media(MediaKind::Video, "video/mp4", 10)], ..Default::default() };
    assert_eq!(errors(Network::Slack, &video)[0].code, "media_type");
}

#[test]
fn telegram_allows_4096_in_a_message_but_1024_in_a_caption() {
    // 2,048 × 😀 = 4,096 UTF-16 units.
    assert!(errors(Network::Telegram, &text("😀".repeat(2048))).is_empty());
    assert_eq!(errors(Network::Telegram, &text("😀".repeat(2049)))[0].actual, Some(4098));
    let photo = |t: String| PostVariant { text: t, media: vec![media(MediaKind::Image, "image/jpeg", 10)], ..Default::default() };
    assert!(errors(Network::Telegram, &photo("😀".repeat(512))).is_empty());
    let e = errors(Network::Telegram, &photo("😀".repeat(513)));
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!((e[0].code, e[0].limit, e[0].actual), ("too_long", Some(1024), Some(1026)));
    assert_eq!(e[0].field, "variants.telegram.text");
}
