//! The per-network transforms on images made in code: formats, byte caps, orientation and
//! metadata, aspect choices, animations, and bad input, each refusal naming the file.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, Rgba, RgbaImage};
use postiz_domain::Network;
use postiz_media::{AspectFit, MAX_IMAGE_PIXELS, Original, Refusal, Sniffed, Target, Variant, make_variant, samples};
use postiz_providers::ContentRules;
use postiz_providers::rules::MediaRules;

fn rules(network: Network) -> &'static MediaRules {
    &ContentRules::for_network(network).media
}

fn variant(name: &str, bytes: &[u8], network: Network, fit: AspectFit) -> Result<Variant, Refusal> {
    make_variant(&Original { name, bytes }, &Target { network, rules: rules(network), fit })
}

fn decode(v: &Variant) -> DynamicImage {
    image::load_from_memory(&v.bytes).expect("the variant decodes")
}

/// True when the JPEG has an APP1 segment (EXIF or XMP) or the decoder finds EXIF in it.
fn has_exif(jpeg: &[u8]) -> bool {
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(Cursor::new(jpeg)).expect("jpeg");
    let exif = decoder.exif_metadata().expect("reads").is_some();
    exif || jpeg.windows(2).any(|w| w == [0xFF, 0xE1]) && jpeg.windows(6).any(|w| w == b"Exif\0\0")
}

#[test]
fn a_png_for_instagram_arrives_as_a_jpeg_no_wider_than_1440() {
    let png = samples::png(&DynamicImage::ImageRgb8(samples::photo(2000, 2000)));
    let v = variant("square.png", &png, Network::Instagram, AspectFit::Refuse).expect("converts");
    assert_eq!(v.format, Sniffed::Jpeg);
    assert_eq!((v.width, v.height), (1440, 1440));
    assert!(v.bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert!((v.bytes.len() as u64) < 8 * 1024 * 1024);
    assert_eq!(decode(&v).dimensions_tuple(), (1440, 1440));
    assert_eq!(v.sha256.as_slice(), sha2_of(&v.bytes).as_slice());
}

fn sha2_of(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

trait Dimensions {
    fn dimensions_tuple(&self) -> (u32, u32);
}

impl Dimensions for DynamicImage {
    fn dimensions_tuple(&self) -> (u32, u32) {
        (self.width(), self.height())
    }
}

#[test]
fn transparency_is_flattened_on_white_when_converting_to_jpeg_and_kept_in_png_where_taken() {
    let mut logo = RgbaImage::from_pixel(400, 400, Rgba([0, 0, 0, 0]));
    for y in 150..250 {
        for x in 150..250 {
            logo.put_pixel(x, y, Rgba([200, 0, 0, 255]));
        }
    }
    let png = samples::png(&DynamicImage::ImageRgba8(logo));
    let ig = variant("logo.png", &png, Network::Instagram, AspectFit::Refuse).expect("converts");
    assert_eq!(ig.format, Sniffed::Jpeg);
    let px = decode(&ig).to_rgb8();
    assert!(px.get_pixel(5, 5).0.iter().all(|&c| c > 245), "transparent became white: {:?}", px.get_pixel(5, 5));
    assert!(px.get_pixel(200, 200)[0] > 180 && px.get_pixel(200, 200)[1] < 40, "the opaque part stays red");
    // Bluesky takes PNG: it stays PNG with its transparency.
    let bsky = variant("logo.png", &png, Network::Bluesky, AspectFit::Refuse).expect("keeps");
    assert_eq!(bsky.format, Sniffed::Png);
    assert_eq!(decode(&bsky).to_rgba8().get_pixel(5, 5)[3], 0);
}

#[test]
fn a_five_megabyte_photo_for_bluesky_is_brought_under_one_million_bytes() {
    let original = samples::jpeg(&samples::photo(3600, 2400), 97, None);
    assert!(original.len() > 4_000_000, "the sample is a large photo: {} bytes", original.len());
    let v = variant("holiday.jpg", &original, Network::Bluesky, AspectFit::Refuse).expect("fits");
    assert_eq!(v.format, Sniffed::Jpeg);
    assert!(v.bytes.len() <= 1_000_000, "{} bytes", v.bytes.len());
    assert!(v.encodes <= postiz_media::transform_max_encodes(), "bounded: {}", v.encodes);
    // Proportions kept.
    let ratio = f64::from(v.width) / f64::from(v.height);
    assert!((ratio - 1.5).abs() < 0.01, "{}x{}", v.width, v.height);
    // X's 5 MB cap takes the same photo with fewer changes.
    let x = variant("holiday.jpg", &original, Network::X, AspectFit::Refuse).expect("fits");
    assert!(x.bytes.len() as u64 <= 5 * 1024 * 1024 && x.width >= v.width, "{x:?} vs {v:?}");
}

#[test]
fn exif_orientation_is_applied_and_every_piece_of_metadata_is_dropped() {
    // Red top-left corner, blue elsewhere; orientation 6 means "rotate 90° clockwise to view".
    let mut picture = samples::photo(300, 200);
    for y in 0..40 {
        for x in 0..40 {
            picture.put_pixel(x, y, image::Rgb([255, 0, 0]));
        }
    }
    let original = samples::jpeg(&picture, 92, Some(samples::exif(6, true)));
    assert!(has_exif(&original), "the sample carries EXIF with GPS");
    assert!(original.windows(4).any(|w| w == [0x25, 0x88, 4, 0]), "GPS IFD pointer present in the original");
    let v = variant("phone.jpg", &original, Network::X, AspectFit::Refuse).expect("converts");
    assert_eq!((v.width, v.height), (200, 300), "rotated upright");
    let px = decode(&v).to_rgb8();
    // After a clockwise turn the original's top-left corner is at the top right.
    let corner = px.get_pixel(190, 10);
    assert!(corner[0] > 200 && corner[1] < 60 && corner[2] < 60, "top-right is red: {corner:?}");
    assert!(!has_exif(&v.bytes), "no EXIF left");
    assert!(!v.bytes.windows(4).any(|w| w == [0x25, 0x88, 4, 0]), "no GPS pointer left");
    assert!(!v.bytes.windows(4).any(|w| w == b"http"), "no XMP packet");
}

#[test]
fn a_wrong_aspect_ratio_is_refused_naming_file_and_range_unless_the_asset_opts_into_pad_or_crop() {
    let wide = samples::jpeg(&samples::photo(3000, 1000), 85, None);
    let refused = variant("panorama.jpg", &wide, Network::Instagram, AspectFit::Refuse).expect_err("3:1 is too wide");
    assert_eq!(refused.code(), "media_aspect");
    let message = refused.to_string();
    assert!(message.contains("“panorama.jpg” is 3000×1000 (ratio 3.00)"), "{message}");
    assert!(message.contains("Instagram takes images with a width/height ratio from 0.80 to 1.91"), "{message}");

    let padded = variant("panorama.jpg", &wide, Network::Instagram, AspectFit::Pad).expect("pads");
    let ratio = f64::from(padded.width) / f64::from(padded.height);
    assert!(ratio <= 1.91 + 1e-3 && ratio > 1.85, "{}x{}", padded.width, padded.height);
    assert_eq!(padded.width, 1440, "then scaled to Instagram's width");
    let top = decode(&padded).to_rgb8();
    assert!(top.get_pixel(720, 2).0.iter().all(|&c| c > 240), "white bar on top");

    let cropped = variant("panorama.jpg", &wide, Network::Instagram, AspectFit::Crop).expect("crops");
    let ratio = f64::from(cropped.width) / f64::from(cropped.height);
    assert!(ratio <= 1.91 + 1e-3 && ratio > 1.85, "{}x{}", cropped.width, cropped.height);

    let tall = samples::jpeg(&samples::photo(500, 1000), 85, None);
    let cropped = variant("tall.jpg", &tall, Network::Instagram, AspectFit::Crop).expect("crops");
    assert_eq!((cropped.width, cropped.height), (500, 625), "cut to 4:5");
}

#[test]
fn a_hundred_megapixel_image_is_refused_from_its_header_before_any_decode() {
    // Its IDAT is not even zlib: had anything decoded it, the error would be a decode error.
    let bomb = samples::declared_png(10_000, 10_000);
    let refused = variant("huge.png", &bomb, Network::Bluesky, AspectFit::Refuse).expect_err("refused");
    assert!(matches!(refused, Refusal::TooManyPixels { width: 10_000, height: 10_000, max_pixels: MAX_IMAGE_PIXELS, .. }), "{refused:?}");
    assert_eq!(
        refused.to_string(),
        "“huge.png” is 10000×10000 pixels (100.0 megapixels); images may have at most 36.1 megapixels (36152320 pixels); scale it down and attach it again"
    );
    let small = samples::declared_png(20, 20);
    let decoded = variant("small.png", &small, Network::Bluesky, AspectFit::Refuse).expect_err("damaged");
    assert_eq!(decoded.code(), "media_corrupt", "the same file within limits gets as far as the decode");
}

#[test]
fn bad_input_gets_a_clear_refusal_naming_the_file() {
    let empty = variant("nothing.jpg", b"", Network::X, AspectFit::Refuse).expect_err("empty");
    assert_eq!(empty.to_string(), "“nothing.jpg” is empty (0 bytes); upload it again");

    let heic =
        variant("IMG_0001.HEIC", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic\0\0\0\0", Network::Instagram, AspectFit::Refuse).expect_err("heic");
    assert_eq!(heic.code(), "media_heic");
    assert!(
        heic.to_string().starts_with("“IMG_0001.HEIC” is a HEIC/HEIF photo, which Instagram does not take; export it as JPEG"),
        "{heic}"
    );

    let text = variant("notes.txt", b"hello, I am not a picture at all", Network::X, AspectFit::Refuse).expect_err("text");
    assert_eq!(text.to_string(), "“notes.txt” is not an image we can read (PNG, JPEG, GIF or WebP)");

    let mut fake = b"\x89PNG\r\n\x1a\n".to_vec();
    fake.extend_from_slice(&[0u8; 64]);
    let corrupt = variant("broken.png", &fake, Network::X, AspectFit::Refuse).expect_err("corrupt");
    assert_eq!(corrupt.code(), "media_corrupt");
    assert!(corrupt.to_string().starts_with("“broken.png” could not be read as a PNG image ("), "{corrupt}");

    let video = variant("clip.mp4", b"\0\0\0\x18ftypisom\0\0\0\0isommp42\0\0\0\0", Network::X, AspectFit::Refuse).expect_err("video");
    assert_eq!(video.code(), "media_type");

    let slack_video_only = MediaRules { image: None, ..rules(Network::Slack).clone() };
    let png = samples::png(&DynamicImage::new_rgb8(10, 10));
    let refused = make_variant(
        &Original { name: "a.png", bytes: &png },
        &Target { network: Network::Slack, rules: &slack_video_only, fit: AspectFit::Refuse },
    )
    .expect_err("no images");
    assert_eq!(refused.to_string(), "Slack does not take images; remove “a.png” from this post's Slack version");
}

fn gif(frames: usize, side: u32) -> Vec<u8> {
    use image::codecs::gif::GifEncoder;
    let mut out = Cursor::new(Vec::new());
    {
        let mut encoder = GifEncoder::new(&mut out);
        for i in 0..frames {
            let picture = RgbaImage::from_pixel(side, side, Rgba([(i * 40) as u8, 0, 0, 255]));
            encoder.encode_frame(image::Frame::from_parts(picture, 0, 0, image::Delay::from_numer_denom_ms(100, 1))).expect("frame");
        }
    }
    out.into_inner()
}

#[test]
fn animated_gifs_pass_unchanged_where_gifs_are_taken_and_animations_are_refused_elsewhere() {
    let animated = gif(3, 64);
    let x = variant("dance.gif", &animated, Network::X, AspectFit::Refuse).expect("X takes GIFs");
    assert_eq!(x.format, Sniffed::Gif);
    assert_eq!(x.bytes, animated, "passed through byte for byte");
    assert_eq!(x.encodes, 0);

    let ig = variant("dance.gif", &animated, Network::Instagram, AspectFit::Refuse).expect_err("no GIFs");
    assert_eq!(ig.to_string(), "“dance.gif” is an animated GIF; Instagram takes no animations: attach a still image instead");
    let bsky = variant("dance.gif", &animated, Network::Bluesky, AspectFit::Refuse).expect_err("no GIFs");
    assert_eq!(bsky.code(), "media_animated");

    // A one-frame GIF is a still image: converted like one.
    let still = variant("still.gif", &gif(1, 64), Network::Instagram, AspectFit::Refuse).expect("still");
    assert_eq!(still.format, Sniffed::Jpeg);

    // An animation too large is refused, never re-encoded.
    let tight = MediaRules {
        gif: Some(postiz_providers::rules::MediaLimits { max_bytes: 100, ..rules(Network::X).gif.clone().expect("gif") }),
        ..rules(Network::X).clone()
    };
    let refused = make_variant(
        &Original { name: "dance.gif", bytes: &animated },
        &Target { network: Network::X, rules: &tight, fit: AspectFit::Refuse },
    )
    .expect_err("too big");
    assert!(refused.to_string().starts_with("“dance.gif” is an animated GIF of "), "{refused}");
    assert!(refused.to_string().contains("X takes GIFs up to 100 bytes"), "{refused}");
}

#[test]
fn a_cmyk_jpeg_is_converted_to_rgb() {
    // 4-component JPEG of a pure cyan (C=255, M=Y=K=0, Adobe-style inverted storage is the
    // encoder's business): it must decode and come out as RGB, cyan-ish.
    let (w, h) = (64u16, 48u16);
    let data: Vec<u8> = std::iter::repeat_n([255u8, 0, 0, 0], usize::from(w) * usize::from(h)).flatten().collect();
    let mut cmyk = Vec::new();
    jpeg_encoder::Encoder::new(&mut cmyk, 95).encode(&data, w, h, jpeg_encoder::ColorType::Cmyk).expect("encodes");
    let v = variant("print.jpg", &cmyk, Network::Instagram, AspectFit::Refuse).expect("converted");
    assert_eq!(v.format, Sniffed::Jpeg);
    let px = *decode(&v).to_rgb8().get_pixel(32, 24);
    assert!(px[0] < 80 && px[1] > 170 && px[2] > 170, "cyan: {px:?}");
}

#[test]
fn an_image_that_cannot_get_under_the_cap_is_refused_after_a_bounded_number_of_encodes() {
    let original = samples::jpeg(&samples::photo(800, 600), 90, None);
    let mut tiny = rules(Network::Bluesky).clone();
    if let Some(image) = tiny.image.as_mut() {
        image.max_bytes = 150;
        image.mime_types = vec!["image/jpeg".into()];
    }
    let refused = make_variant(
        &Original { name: "dense.jpg", bytes: &original },
        &Target { network: Network::Bluesky, rules: &tiny, fit: AspectFit::Refuse },
    )
    .expect_err("cannot fit");
    assert_eq!(refused.code(), "media_too_large");
    assert!(refused.to_string().starts_with("“dense.jpg” could not be brought under Bluesky's 150 bytes limit"), "{refused}");
}

#[test]
fn telegram_photos_keep_width_plus_height_within_10000() {
    let original = samples::jpeg(&samples::photo(9500, 950), 80, None);
    let v = variant("wide.jpg", &original, Network::Telegram, AspectFit::Refuse).expect("fits");
    assert!(v.width + v.height <= 10_000, "{}x{}", v.width, v.height);
    assert!(v.width >= 9080 && v.height >= 900, "no smaller than needed: {}x{}", v.width, v.height);
}
