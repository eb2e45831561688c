//! `classify(response)`: status, rate-limit headers and the network's error body, read once.

use std::time::Duration;

use chrono::{DateTime, Utc};
use postiz_domain::Network;
use reqwest::header::HeaderMap;
use reqwest::{Response, StatusCode};

use super::SendKind;
use crate::ProviderError;

/// How much of an error body is read.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// A network's reading of its own error body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorDetails {
    /// The human message from the body.
    pub message: Option<String>,
    /// A class that overrides the status-based one (e.g. Bluesky's `ExpiredToken` on 400,
    /// Meta's rate-limit codes on 400, X's duplicate-content 403).
    pub class: Option<ErrorClass>,
}

/// The class a body can force.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorClass {
    /// Token expired or revoked.
    Unauthorized,
    /// Rate limited, with a wait from the body when it has one.
    RateLimited(Option<Duration>),
    /// Permanent refusal.
    Rejected,
    /// The post already exists.
    Duplicate,
    /// Temporary failure.
    Transient,
    /// The network failed in a way that may have left the operation partly done (Slack's
    /// `internal_error`/`fatal_error`): `OutcomeUnknown` for a publishing request,
    /// `Transient` otherwise.
    MayHavePublished,
}

/// Per-network body parser: `(status, headers, body) -> details`.
pub(crate) type BodyParser = fn(StatusCode, &HeaderMap, &[u8]) -> ErrorDetails;

/// Classifies a response: `Ok` for 2xx; otherwise the one [`ProviderError`] it means.
pub(crate) async fn classify(network: Network, response: Response, kind: SendKind, parser: BodyParser) -> Result<Response, ProviderError> {
    classify_keeping(network, response, kind, parser).await.map_err(|f| f.error)
}

/// A classified failure with the status and body it was read from, for reads whose
/// permanent refusal the adapter interprets (see [`super::Refusal`]).
pub(crate) struct Failure {
    pub(crate) error: ProviderError,
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
}

/// [`classify`], keeping the status and the (bounded) error body.
pub(crate) async fn classify_keeping(
    network: Network,
    response: Response,
    kind: SendKind,
    parser: BodyParser,
) -> Result<Response, Failure> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let headers = response.headers().clone();
    // A failure to read the error body only loses the message.
    let body = read_limited(response).await;
    let error = error_for(network, status, &headers, &body, kind, parser, Utc::now());
    Err(Failure { error, status, body })
}

async fn read_limited(mut response: Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() >= MAX_ERROR_BODY {
            body.truncate(MAX_ERROR_BODY);
            break;
        }
    }
    body
}

/// Classifies an error a network reports inside a success status (Slack's HTTP 200 with
/// `{"ok": false}`, Telegram's `{"ok": false}`): the same rules as [`classify`], with the
/// body's class deciding.
pub(crate) fn error_in_body(
    network: Network,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    kind: SendKind,
    parser: BodyParser,
) -> ProviderError {
    error_for(network, status, headers, body, kind, parser, Utc::now())
}

/// The pure part of [`classify`], testable without a server.
pub(crate) fn error_for(
    network: Network,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    kind: SendKind,
    parser: BodyParser,
    now: DateTime<Utc>,
) -> ProviderError {
    let details = parser(status, headers, body);
    let message = details
        .message
        .clone()
        .or_else(|| generic_message(body))
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    let class = details.class.unwrap_or_else(|| match status.as_u16() {
        401 => ErrorClass::Unauthorized,
        429 => ErrorClass::RateLimited(None),
        408 | 500 | 503 => ErrorClass::Transient,
        s if s >= 500 => ErrorClass::Transient,
        _ => ErrorClass::Rejected,
    });
    match class {
        ErrorClass::Unauthorized => ProviderError::Unauthorized { network, reason: message },
        ErrorClass::RateLimited(from_body) => {
            ProviderError::RateLimited { network, retry_after: from_body.or_else(|| retry_after_from_headers(headers, now)) }
        }
        ErrorClass::Duplicate => ProviderError::Duplicate { network, reason: message },
        // A gateway that forwarded a publish and lost the answer: the post may exist.
        ErrorClass::Transient if kind == SendKind::Publish && status == StatusCode::GATEWAY_TIMEOUT => {
            ProviderError::outcome_unknown(network, format!("HTTP 504 from a gateway: {message}"))
        }
        ErrorClass::Transient => ProviderError::transient(network, format!("HTTP {}: {message}", status.as_u16())),
        ErrorClass::MayHavePublished if kind == SendKind::Publish => {
            ProviderError::outcome_unknown(network, format!("HTTP {}: {message}", status.as_u16()))
        }
        ErrorClass::MayHavePublished => ProviderError::transient(network, format!("HTTP {}: {message}", status.as_u16())),
        ErrorClass::Rejected => ProviderError::Rejected { network, reason: user_reason(network, status, &message) },
    }
}

/// Words a permanent refusal so the user knows what to change.
fn user_reason(network: Network, status: StatusCode, message: &str) -> String {
    let name = network.display_name();
    let message = message.trim_end_matches('.');
    match status.as_u16() {
        403 => format!(
            "{name} refused: {message}. Check that the account may post here and that the connection has the needed permissions (reconnect it if unsure)"
        ),
        404 => format!(
            "{name} refused: {message}. The account, page or post it refers to no longer exists; reconnect the account or remove the reference"
        ),
        413 => format!("{name} refused: {message}. A file is too large; compress it or remove it"),
        415 => format!("{name} refused: {message}. A file type is not accepted; convert it"),
        _ => format!("{name} refused the post: {message}. Edit the post and try again"),
    }
}

/// Finds a message in common error-body shapes: `{"error": "…"}`, `{"error": {"message"}}`,
/// `{"message"}`, `{"detail"}`, `{"errors": [{"message"}]}`, `{"error_description"}`.
pub(crate) fn generic_message(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let s = |v: &serde_json::Value| v.as_str().map(str::to_owned).filter(|s| !s.is_empty());
    s(&v["error_description"])
        .or_else(|| s(&v["detail"]))
        .or_else(|| s(&v["message"]))
        .or_else(|| s(&v["error"]["message"]))
        .or_else(|| s(&v["errors"][0]["message"]))
        .or_else(|| s(&v["error"]))
        .or_else(|| s(&v["title"]))
}

/// Reads how long to wait from rate-limit headers, most specific first:
///
/// - `Retry-After`: seconds or an HTTP-date (RFC 9110);
/// - Meta's `X-Business-Use-Case-Usage` / `X-App-Usage`: `estimated_time_to_regain_access`
///   in minutes;
/// - X: `x-user-limit-24hour-reset` / `x-app-limit-24hour-reset` when their `…-remaining` is 0,
///   else `x-rate-limit-reset` (epoch seconds);
/// - `RateLimit-Reset` (Bluesky sends epoch seconds; the IETF draft says delta seconds: values
///   above 10⁹ are read as epoch);
/// - `X-RateLimit-Reset`: Mastodon's ISO 8601 time, or epoch / delta seconds elsewhere.
///
/// Past times give zero.
pub fn retry_after_from_headers(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(v) = get("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Ok(date) = DateTime::parse_from_rfc2822(v) {
            return Some(until(date.with_timezone(&Utc), now));
        }
    }
    if let Some(d) = meta_usage(headers) {
        return Some(d);
    }
    for (reset, remaining) in
        [("x-user-limit-24hour-reset", "x-user-limit-24hour-remaining"), ("x-app-limit-24hour-reset", "x-app-limit-24hour-remaining")]
    {
        if get(remaining) == Some("0")
            && let Some(d) = get(reset).and_then(|v| epoch_or_delta(v, now))
        {
            return Some(d);
        }
    }
    for name in ["x-rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"] {
        if let Some(v) = get(name) {
            if let Some(d) = epoch_or_delta(v, now) {
                return Some(d);
            }
            if let Ok(t) = DateTime::parse_from_rfc3339(v) {
                return Some(until(t.with_timezone(&Utc), now));
            }
        }
    }
    None
}

/// A number: epoch seconds when above 10⁹, else seconds from now (fractions allowed).
fn epoch_or_delta(v: &str, now: DateTime<Utc>) -> Option<Duration> {
    let n: f64 = v.parse().ok()?;
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    if n > 1e9 {
        let at = DateTime::from_timestamp(n as i64, 0)?;
        Some(until(at, now))
    } else {
        Some(Duration::from_secs_f64(n))
    }
}

fn until(at: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (at - now).to_std().unwrap_or(Duration::ZERO)
}

/// Meta: `X-Business-Use-Case-Usage: {"<id>": [{"estimated_time_to_regain_access": 5, …}]}`
/// (minutes). `X-App-Usage` and `X-Page-Usage` are flat objects of percentages
/// (`call_count`, `total_cputime`, `total_time`) that carry no wait as documented; the
/// same key is read from them too in case it is present.
fn meta_usage(headers: &HeaderMap) -> Option<Duration> {
    let parse = |name: &str| -> Option<serde_json::Value> { serde_json::from_str(headers.get(name)?.to_str().ok()?).ok() };
    let buc = parse("x-business-use-case-usage").and_then(|v| {
        v.as_object()?
            .values()
            .filter_map(|entries| entries.as_array())
            .flatten()
            .filter_map(|e| e["estimated_time_to_regain_access"].as_u64())
            .max()
    });
    let flat =
        ["x-app-usage", "x-page-usage"].into_iter().filter_map(|name| parse(name)?["estimated_time_to_regain_access"].as_u64()).max();
    let minutes = buc.into_iter().chain(flat).max()?;
    (minutes > 0).then(|| Duration::from_secs(minutes * 60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("header value"));
        }
        h
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z").expect("time").with_timezone(&Utc)
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(retry_after_from_headers(&headers(&[("retry-after", "120")]), now()), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after_from_headers(&headers(&[("retry-after", "Sun, 22 Nov 2026 10:01:30 GMT")]), now()),
            Some(Duration::from_secs(90))
        );
    }

    #[test]
    fn x_reset_is_epoch_seconds_and_daily_limits_win_when_exhausted() {
        let reset = (now().timestamp() + 900).to_string();
        let daily = (now().timestamp() + 7200).to_string();
        assert_eq!(retry_after_from_headers(&headers(&[("x-rate-limit-reset", &reset)]), now()), Some(Duration::from_secs(900)));
        assert_eq!(
            retry_after_from_headers(
                &headers(&[("x-rate-limit-reset", &reset), ("x-user-limit-24hour-reset", &daily), ("x-user-limit-24hour-remaining", "0"),]),
                now()
            ),
            Some(Duration::from_secs(7200))
        );
    }

    #[test]
    fn ratelimit_reset_reads_epoch_or_delta() {
        let epoch = (now().timestamp() + 60).to_string();
        assert_eq!(retry_after_from_headers(&headers(&[("ratelimit-reset", &epoch)]), now()), Some(Duration::from_secs(60)));
        assert_eq!(retry_after_from_headers(&headers(&[("ratelimit-reset", "30")]), now()), Some(Duration::from_secs(30)));
    }

    #[test]
    fn mastodon_reset_is_iso8601() {
        assert_eq!(
            retry_after_from_headers(&headers(&[("x-ratelimit-reset", "2026-11-22T10:05:00.000Z")]), now()),
            Some(Duration::from_secs(300))
        );
    }

    #[test]
    fn meta_usage_header_gives_minutes() {
        let h = headers(&[(
            "x-business-use-case-usage",
            r#"{"1234":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":30,"estimated_time_to_regain_access":7}]}"#,
        )]);
        assert_eq!(retry_after_from_headers(&h, now()), Some(Duration::from_secs(420)));
    }

    #[test]
    fn meta_app_usage_percentages_give_no_wait_but_a_wait_key_is_read() {
        let pct = headers(&[("x-app-usage", r#"{"call_count":100,"total_cputime":25,"total_time":25}"#)]);
        assert_eq!(retry_after_from_headers(&pct, now()), None);
        let wait = headers(&[("x-page-usage", r#"{"call_count":100,"estimated_time_to_regain_access":3}"#)]);
        assert_eq!(retry_after_from_headers(&wait, now()), Some(Duration::from_secs(180)));
    }

    #[test]
    fn past_resets_mean_no_wait_and_no_headers_mean_unknown() {
        let past = (now().timestamp() - 10).to_string();
        assert_eq!(retry_after_from_headers(&headers(&[("x-rate-limit-reset", &past)]), now()), Some(Duration::ZERO));
        assert_eq!(retry_after_from_headers(&HeaderMap::new(), now()), None);
    }

    fn no_details(_: StatusCode, _: &HeaderMap, _: &[u8]) -> ErrorDetails {
        ErrorDetails::default()
    }

    #[test]
    fn statuses_map_to_the_taxonomy() {
        let h = HeaderMap::new();
        let e =
            |code: u16, kind| error_for(Network::Sandbox, StatusCode::from_u16(code).expect("status"), &h, b"{}", kind, no_details, now());
        assert!(matches!(e(401, SendKind::Publish), ProviderError::Unauthorized { .. }));
        assert!(matches!(e(429, SendKind::Publish), ProviderError::RateLimited { retry_after: None, .. }));
        assert!(matches!(e(400, SendKind::Publish), ProviderError::Rejected { .. }));
        assert!(matches!(e(403, SendKind::Publish), ProviderError::Rejected { .. }));
        assert!(matches!(e(500, SendKind::Publish), ProviderError::Transient { .. }));
        assert!(matches!(e(503, SendKind::Publish), ProviderError::Transient { .. }));
        assert!(matches!(e(504, SendKind::Publish), ProviderError::OutcomeUnknown { .. }));
        assert!(matches!(e(504, SendKind::Safe), ProviderError::Transient { .. }));
    }

    #[test]
    fn generic_message_reads_common_shapes() {
        assert_eq!(generic_message(br#"{"error":"Validation failed"}"#).as_deref(), Some("Validation failed"));
        assert_eq!(generic_message(br#"{"errors":[{"message":"bad"}]}"#).as_deref(), Some("bad"));
        assert_eq!(generic_message(br#"{"error":{"message":"nested"}}"#).as_deref(), Some("nested"));
        assert_eq!(generic_message(b"not json"), None);
    }
}
