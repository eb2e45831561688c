//! The UI bundle as a browser gets it (`postiz_api::bundle::service`): encodings chosen from
//! `Accept-Encoding`, bytes that decompress to the original, types, caching and revalidation.

use std::io::{Read, Write};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use postiz_api::bundle;
use tower::ServiceExt;

const WASM: &str = "postiz_embed_ui_bg-0123456789.wasm";
const GLUE: &str = "postiz_embed_ui-abcdef0123.js";

/// A wasm-looking payload that compresses (like a real module, unlike random bytes).
fn module_bytes() -> Vec<u8> {
    let mut bytes = b"\0asm\x01\0\0\0".to_vec();
    for i in 0..20_000u32 {
        bytes.extend_from_slice(format!("func{} ", i % 97).as_bytes());
    }
    bytes
}

fn brotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        w.write_all(bytes).expect("brotli");
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

/// A bundle as `cargo xtask ui` leaves it (each file with `.br` and `.gz` beside it), in `pkg/`
/// of a temporary directory that also holds a file outside the bundle.
struct Bundle {
    _root: tempfile::TempDir,
    pkg: std::path::PathBuf,
}

impl Bundle {
    fn path(&self) -> &std::path::Path {
        &self.pkg
    }
}

fn bundle_dir() -> (Bundle, Vec<u8>, Vec<u8>) {
    let root = tempfile::tempdir().expect("tempdir");
    let pkg = root.path().join("pkg");
    std::fs::create_dir(&pkg).expect("mkdir");
    std::fs::write(root.path().join("outside-0123456789.js"), b"not part of the bundle").expect("write");
    let dir = Bundle { _root: root, pkg };
    let wasm = module_bytes();
    let entry =
        format!("import init from \"./{GLUE}\";\nexport const wasm = new URL(\"./{WASM}\", import.meta.url);\n").repeat(20).into_bytes();
    for (name, bytes) in [(WASM, &wasm), ("postiz.js", &entry), (GLUE, &entry)] {
        std::fs::write(dir.path().join(name), bytes).expect("write");
        std::fs::write(dir.path().join(format!("{name}.br")), brotli(bytes)).expect("write br");
        std::fs::write(dir.path().join(format!("{name}.gz")), gzip(bytes)).expect("write gz");
    }
    (dir, wasm, entry)
}

async fn get(dir: &std::path::Path, path: &str, headers: &[(header::HeaderName, &str)]) -> (StatusCode, header::HeaderMap, Vec<u8>) {
    let mut request = Request::get(path);
    for (k, v) in headers {
        request = request.header(k, *v);
    }
    let response = bundle::service(dir).oneshot(request.body(Body::empty()).expect("request")).await.expect("infallible");
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, body.collect().await.expect("body").to_bytes().to_vec())
}

fn header_of(headers: &header::HeaderMap, name: header::HeaderName) -> &str {
    headers.get(&name).map(|v| v.to_str().expect("ascii header")).unwrap_or("")
}

#[tokio::test]
async fn a_browser_asking_for_br_gets_brotli_that_decompresses_to_the_module() {
    let (dir, wasm, _) = bundle_dir();
    // What Chromium sends.
    let (status, headers, body) = get(dir.path(), &format!("/{WASM}"), &[(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&headers, header::CONTENT_ENCODING), "br");
    assert_eq!(header_of(&headers, header::CONTENT_TYPE), "application/wasm");
    assert_eq!(header_of(&headers, header::CACHE_CONTROL), bundle::IMMUTABLE);
    assert_eq!(header_of(&headers, header::VARY).to_ascii_lowercase(), "accept-encoding");
    assert!(body.len() < wasm.len() / 5, "{} compressed bytes for {} raw", body.len(), wasm.len());
    let mut plain = Vec::new();
    brotli::Decompressor::new(body.as_slice(), 4096).read_to_end(&mut plain).expect("valid brotli");
    assert_eq!(plain, wasm, "the brotli copy is the module");
}

#[tokio::test]
async fn gzip_only_clients_get_gzip_and_others_the_file_itself() {
    let (dir, wasm, _) = bundle_dir();
    for accept in ["gzip", "br;q=0, gzip;q=0.8", "gzip;q=1.0, br;q=0.5"] {
        let (status, headers, body) = get(dir.path(), &format!("/{WASM}"), &[(header::ACCEPT_ENCODING, accept)]).await;
        assert_eq!(status, StatusCode::OK, "{accept}");
        assert_eq!(header_of(&headers, header::CONTENT_ENCODING), "gzip", "{accept}");
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(body.as_slice()).read_to_end(&mut plain).expect("valid gzip");
        assert_eq!(plain, wasm, "{accept}: the gzip copy is the module");
    }
    for accept in [None, Some("identity"), Some("deflate")] {
        let headers: Vec<_> = accept.map(|a| (header::ACCEPT_ENCODING, a)).into_iter().collect();
        let (status, response, body) = get(dir.path(), &format!("/{WASM}"), &headers).await;
        assert_eq!(status, StatusCode::OK, "{accept:?}");
        assert_eq!(header_of(&response, header::CONTENT_ENCODING), "", "{accept:?}: sent as is");
        assert_eq!(header_of(&response, header::CONTENT_TYPE), "application/wasm");
        assert_eq!(body, wasm, "{accept:?}");
    }
}

#[tokio::test]
async fn the_entry_file_is_revalidated_and_content_named_files_are_kept_for_a_year() {
    let (dir, _, entry) = bundle_dir();
    let (status, headers, body) = get(dir.path(), "/postiz.js", &[(header::ACCEPT_ENCODING, "br")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&headers, header::CACHE_CONTROL), "no-cache");
    assert_eq!(header_of(&headers, header::CONTENT_ENCODING), "br");
    assert!(header_of(&headers, header::CONTENT_TYPE).starts_with("text/javascript"), "{headers:?}");
    assert!(body.len() < entry.len());
    // The browser revalidates the entry on the next load: unchanged, it gets a 304 without a body.
    let since = header_of(&headers, header::LAST_MODIFIED).to_owned();
    assert!(!since.is_empty(), "a validator is sent: {headers:?}");
    let (status, headers, body) =
        get(dir.path(), "/postiz.js", &[(header::ACCEPT_ENCODING, "br"), (header::IF_MODIFIED_SINCE, &since)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(header_of(&headers, header::CACHE_CONTROL), "no-cache");

    let (status, headers, _) = get(dir.path(), &format!("/{GLUE}"), &[(header::ACCEPT_ENCODING, "gzip")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header_of(&headers, header::CACHE_CONTROL), "public, max-age=31536000, immutable");
    assert_eq!(header_of(&headers, header::CONTENT_ENCODING), "gzip");
}

#[tokio::test]
async fn missing_files_and_paths_out_of_the_bundle_are_not_found_and_not_cached() {
    let (dir, _, _) = bundle_dir();
    for path in ["/postiz_embed_ui-9999999999.js", "/../outside-0123456789.js", "/%2e%2e/outside-0123456789.js"] {
        let (status, headers, _) = get(dir.path(), path, &[(header::ACCEPT_ENCODING, "br")]).await;
        assert!(status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST, "{path}: {status}");
        assert_eq!(header_of(&headers, header::CACHE_CONTROL), "no-store", "{path}");
    }
}
