//! Rules every API response follows, whichever handler (or axum itself) made it:
//!
//! - **Not cached.** Answers are private to their caller, and some carry a secret shown once (a
//!   new API key, an invitation token, an OAuth authorization URL with its single-use state):
//!   a browser or proxy cache must not keep them. So every response gets
//!   `Cache-Control: no-store` unless its handler chose a policy of its own (media bytes, which
//!   never change under their id, are `private, max-age=86400, immutable`). One rule here rather
//!   than a header in each handler that returns a secret, so a new such handler cannot forget it.
//! - **One error shape.** Extractors axum provides (a handler taking `axum::Json`, say) refuse
//!   requests in plain text; such answers are rewritten into the API's JSON error with the same
//!   status, so clients parse a single shape ([`crate::ApiError`]).

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ApiError;

/// Plain-text bodies longer than this are not quoted in the rewritten error.
const MAX_QUOTED: usize = 4096;

/// Middleware applying the rules above. Runs inside [`crate::request_id::layer`], so rewritten
/// errors carry the request id.
pub async fn layer(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let response = if response.status().is_client_error() || response.status().is_server_error() {
        with_error_shape(response).await
    } else {
        response
    };
    no_store_unless_set(response)
}

/// Middleware applying only the first rule (`Cache-Control: no-store` unless the handler set
/// one), for a host's own routes that hand out sessions or tokens (the demo host's).
pub async fn no_store(request: Request, next: Next) -> Response {
    no_store_unless_set(next.run(request).await)
}

fn no_store_unless_set(mut response: Response) -> Response {
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// An error response in plain text (axum's rejections) as the API's JSON error; others as they are.
async fn with_error_shape(response: Response) -> Response {
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("text/plain"));
    if !plain {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = match axum::body::to_bytes(body, MAX_QUOTED).await {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => String::new(),
    };
    let mut shaped = ApiError::from_plain(parts.status, &text).into_response();
    // Keep what the original said besides its body (Allow on a 405, Retry-After, …).
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            shaped.headers_mut().append(name, value.clone());
        }
    }
    shaped
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::{get, post};
    use http_body_util::BodyExt;
    use serde_json::Value;
    use tower::ServiceExt;

    use super::*;

    async fn send(router: &Router, request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Value) {
        let response = router.clone().oneshot(request).await.expect("infallible");
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.expect("body").to_bytes();
        (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    fn app() -> Router {
        Router::new()
            .route("/plain-json", post(|axum::Json(v): axum::Json<Value>| async move { axum::Json(v) }))
            .route("/cached", get(|| async { ([(header::CACHE_CONTROL, "max-age=60")], "ok") }))
            .layer(axum::middleware::from_fn(layer))
    }

    #[tokio::test]
    async fn axum_rejections_take_the_api_error_shape() {
        let request = Request::post("/plain-json").header(header::CONTENT_TYPE, "text/plain").body(Body::from("{}")).expect("request");
        let (status, headers, body) = send(&app(), request).await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(body["error"]["code"], "unsupported_content_type", "{body}");
        assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("application/json")), "{body}");
        let request = Request::post("/plain-json").header(header::CONTENT_TYPE, "application/json").body(Body::from("{")).expect("request");
        let (status, _, body) = send(&app(), request).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "bad_request", "{body}");
    }

    #[tokio::test]
    async fn answers_are_not_stored_unless_the_handler_says_otherwise() {
        let request = Request::post("/plain-json")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"key":"pzk_x"}"#))
            .expect("request");
        let (status, headers, _) = send(&app(), request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        let (_, headers, _) = send(&app(), Request::get("/cached").body(Body::empty()).expect("request")).await;
        assert_eq!(headers[header::CACHE_CONTROL], "max-age=60");
    }
}
