//! Serving the UI bundle that `cargo xtask ui` writes (`target/ui/pkg/`), for a host written in
//! Rust (the demo host mounts it at `/dashboard/postiz/pkg`).
//!
//! The bundle is one small entry file the host imports (`postiz.js`) and files named after their
//! content (`postiz_embed_ui-<hash>.js`, `postiz_embed_ui_bg-<hash>.wasm`), each with brotli and
//! gzip copies beside it (`.br`, `.gz`). So:
//!
//! - a content-named file never changes under its name: `public, max-age=31536000, immutable`,
//!   downloaded once per release;
//! - the entry file is `no-cache`: revalidated on every load (a 304 through `Last-Modified`), so
//!   a new release is picked up at once and the entry then names the new files;
//! - the encoding follows `Accept-Encoding` (br over gzip over identity at equal weight), with
//!   `Vary: Accept-Encoding` so a shared cache keeps one copy per encoding; `Content-Type` comes
//!   from the original's extension (`application/wasm` for the module, which streaming
//!   compilation insists on).
//!
//! tower-http's `ServeDir` does the file work (precompressed variants, ranges, `If-Modified-Since`);
//! this module adds the caching headers. Tests: `tests/bundle_http.rs`.

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::services::ServeDir;

/// `Cache-Control` of content-named files.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of every other file of the bundle (the entry file, the manifest).
pub const REVALIDATE: &str = "no-cache";

/// A router serving the bundle in `dir`; nest it where the host serves the bundle
/// (`Router::new().nest_service("/dashboard/postiz/pkg", bundle::service(dir))`).
pub fn service(dir: impl AsRef<Path>) -> Router {
    let files = ServeDir::new(dir.as_ref()).precompressed_br().precompressed_gzip();
    Router::new().fallback_service(files).layer(axum::middleware::from_fn(caching))
}

/// Whether `name` is named after its content the way `cargo xtask ui` names files:
/// `<stem>-<10 lowercase hex digits>.<extension>`.
pub fn is_content_named(name: &str) -> bool {
    let Some((stem, _ext)) = name.rsplit_once('.') else { return false };
    let Some((_, hash)) = stem.rsplit_once('-') else { return false };
    hash.len() == 10 && hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

async fn caching(request: Request, next: Next) -> Response {
    let name = request.uri().path().rsplit('/').next().unwrap_or_default().to_owned();
    let mut response = next.run(request).await;
    let status = response.status();
    let headers = response.headers_mut();
    if status.is_success() || status == axum::http::StatusCode::NOT_MODIFIED {
        let policy = if is_content_named(&name) { IMMUTABLE } else { REVALIDATE };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    } else {
        // A name missing today (a release not deployed yet) may exist tomorrow.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::is_content_named;

    #[test]
    fn content_names_are_stem_dash_ten_hex_digits() {
        for name in ["postiz_embed_ui-0123456789.js", "postiz_embed_ui_bg-abcdef0123.wasm", "a-b-c-ffffffffff.css"] {
            assert!(is_content_named(name), "{name}");
        }
        for name in ["postiz.js", "manifest.json", "postiz_embed_ui-012345678.js", "x-ABCDEF0123.js", "x-0123456789", "x-01234567890.js"] {
            assert!(!is_content_named(name), "{name}");
        }
    }
}
