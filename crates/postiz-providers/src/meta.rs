//! Pieces shared by the Meta adapters ([`crate::facebook`], [`crate::instagram`],
//! [`crate::threads`]): the Graph error body, the long-lived token exchange and waiting for
//! media containers.
//!
//! Every Graph error has the shape (Graph API guide "Handling Errors"):
//!
//! ```json
//! {"error": {"message": "…", "type": "OAuthException", "code": 190, "error_subcode": 460,
//!            "error_user_title": "…", "error_user_msg": "…", "is_transient": false,
//!            "fbtrace_id": "…"}}
//! ```
//!
//! and is classified by `code`, never by `type` (`OAuthException` is also the type of many
//! parameter errors). Throttling comes as HTTP 400/403 with a throttling code; how long to
//! wait is in `X-Business-Use-Case-Usage` (`estimated_time_to_regain_access`, minutes),
//! read by [`crate::http::retry_after_from_headers`].

use std::time::Duration;

use postiz_domain::Network;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

use crate::ProviderError;
use crate::common::bearer;
use crate::common::{endpoint, static_url};
use crate::connection::{Connection, OAuth2Spec, OAuthClient, TokenSet};
use crate::http::{ErrorClass, ErrorDetails, HttpClient, generic_message};

/// The Graph API version the Facebook and Instagram adapters call (`/v25.0/…`). Meta
/// supports each version for about two years; override with `with_version`.
pub const DEFAULT_GRAPH_VERSION: &str = "v25.0";

/// Facebook Login, which both Facebook Pages and Instagram connect through: the dialog on
/// www.facebook.com, the token endpoint on the Graph host, comma-separated scopes, no PKCE.
pub(crate) fn facebook_login(network: Network, token_url: Result<Url, ProviderError>, version: &str, scopes: &[&str]) -> Connection {
    Connection::OAuth2(OAuth2Spec {
        auth_url: endpoint(network, &static_url("https://www.facebook.com"), &format!("/{version}/dialog/oauth"))
            .unwrap_or_else(|_| static_url("https://www.facebook.com/dialog/oauth")),
        token_url: token_url.unwrap_or_else(|_| static_url("https://graph.facebook.com/oauth/access_token")),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        scope_separator: ",",
        pkce: false,
        extra_auth_params: vec![],
        client_auth_basic: false,
        custom_refresh: false,
        client_id_param: "client_id",
    })
}

/// Reads a Graph error body.
///
/// | code (subcode) | class |
/// |---|---|
/// | 190 (expired/invalid token), 102 (session) | `Unauthorized` |
/// | 4, 17, 32, 613, 341, 80001–80014 (platform, page and business-use-case throttling); 9 + 2207042 (Instagram's daily publishing limit) | `RateLimited` |
/// | 1, 2 (unknown/service), -1, -2 (Instagram server errors and media download timeouts), 9007 (Instagram media not ready), or `is_transient: true` | `Transient` |
/// | 506 (duplicate post) | `Duplicate` |
/// | 4 + 2207051 (Instagram: activity restricted as spam) | `Rejected`, whatever the status |
/// | anything else (100 invalid parameter, 10/200–299 permissions, 368 policy block…) | by status: 400/403 → `Rejected` |
pub(crate) fn parse_error(_status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> ErrorDetails {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let e = &v["error"];
    if !e.is_object() {
        return ErrorDetails { message: generic_message(body), class: None };
    }
    let code = e["code"].as_i64();
    let sub = e["error_subcode"].as_i64();
    let text = e["error_user_msg"].as_str().filter(|s| !s.is_empty()).or_else(|| e["message"].as_str()).unwrap_or("error");
    let message = match (code, sub) {
        (Some(c), Some(s)) => format!("{text} (code {c}, subcode {s})"),
        (Some(c), None) => format!("{text} (code {c})"),
        _ => text.to_owned(),
    };
    let class = match (code, sub) {
        (Some(4), Some(2_207_051)) => Some(ErrorClass::Rejected),
        (Some(190 | 102), _) => Some(ErrorClass::Unauthorized),
        (Some(4 | 17 | 32 | 613 | 341 | 80_001..=80_014), _) | (Some(9), Some(2_207_042)) => Some(ErrorClass::RateLimited(None)),
        (Some(1 | 2 | -1 | -2 | 9007), _) => Some(ErrorClass::Transient),
        (Some(506), _) => Some(ErrorClass::Duplicate),
        _ if e["is_transient"].as_bool() == Some(true) => Some(ErrorClass::Transient),
        _ => None,
    };
    ErrorDetails { message: Some(message), class }
}

/// Turns a token-endpoint answer (`{"access_token", "token_type", "expires_in"}`) into a
/// [`TokenSet`], keeping the scopes already granted.
pub(crate) fn token_set(network: Network, v: &Value, scopes: Vec<String>) -> Result<TokenSet, ProviderError> {
    let token = v["access_token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ProviderError::transient(network, "the token exchange answered without an access_token"))?;
    Ok(TokenSet {
        access_token: SecretString::from(token.to_owned()),
        refresh_token: None,
        expires_in: v["expires_in"].as_u64().map(Duration::from_secs),
        refresh_expires_in: None,
        scopes,
    })
}

/// Facebook Login: swaps a short-lived user token for a long-lived one (about 60 days):
/// `GET /{version}/oauth/access_token?grant_type=fb_exchange_token&client_id&client_secret&fb_exchange_token`.
/// Page tokens read with a long-lived user token do not expire.
pub(crate) async fn exchange_long_lived(
    http: &HttpClient,
    network: Network,
    graph: &Url,
    version: &str,
    client: &OAuthClient,
    tokens: TokenSet,
) -> Result<TokenSet, ProviderError> {
    let secret = client
        .client_secret
        .as_ref()
        .ok_or_else(|| ProviderError::rejected(network, "the Meta app secret is not configured; the long-lived token exchange needs it"))?;
    let url = crate::common::endpoint(network, graph, &format!("/{version}/oauth/access_token"))?;
    let v: Value = http
        .get_json(
            network,
            || {
                http.client().get(url.clone()).query(&[
                    ("grant_type", "fb_exchange_token"),
                    ("client_id", client.client_id.as_str()),
                    ("client_secret", secret.expose_secret()),
                    ("fb_exchange_token", tokens.access_token.expose_secret()),
                ])
            },
            parse_error,
        )
        .await?;
    token_set(network, &v, tokens.scopes)
}

/// The state of a media container (Instagram `status_code`, Threads `status`).
pub(crate) enum ContainerState {
    /// Ready to publish.
    Finished,
    /// Still processing.
    InProgress,
    /// Processing failed; the detail says why.
    Error(String),
    /// Not published within 24 hours.
    Expired,
    /// Already published (a container can be published once).
    Published,
}

impl ContainerState {
    pub(crate) fn read(status: Option<&str>, detail: Option<&str>) -> Self {
        match status {
            Some("FINISHED") => Self::Finished,
            Some("ERROR") => Self::Error(detail.unwrap_or("processing failed").to_owned()),
            Some("EXPIRED") => Self::Expired,
            Some("PUBLISHED") => Self::Published,
            _ => Self::InProgress,
        }
    }
}

/// Polls `GET {container}?fields={fields}` until the container is ready. Reads are safe:
/// a container is not a post. The pause doubles from the poll interval up to 15 times it
/// (2 s → 30 s by default): images are usually ready at once, while Threads asks for at
/// most one status query a minute on long video processing. Gives up with `Transient`
/// after the poll timeout (no post was created), `Rejected` when processing failed.
pub(crate) async fn wait_for_container(
    http: &HttpClient,
    network: Network,
    url: &Url,
    token: &SecretString,
    fields: &str,
    state: fn(&Value) -> ContainerState,
) -> Result<(), ProviderError> {
    let deadline = tokio::time::Instant::now() + http.settings().poll_timeout;
    let mut pause = http.settings().poll_interval;
    loop {
        let v: Value =
            http.get_json(network, || bearer(http.client().get(url.clone()), token).query(&[("fields", fields)]), parse_error).await?;
        match state(&v) {
            ContainerState::Finished => return Ok(()),
            ContainerState::Error(detail) => {
                return Err(ProviderError::rejected(
                    network,
                    format!(
                        "{} could not process the media ({detail}); check that the file is reachable at its public address and meets the format limits",
                        network.display_name()
                    ),
                ));
            }
            ContainerState::Expired => {
                return Err(ProviderError::transient(network, "the media container expired before it was published"));
            }
            ContainerState::Published => {
                return Err(ProviderError::rejected(network, "this media container was already published"));
            }
            ContainerState::InProgress => {
                if tokio::time::Instant::now() >= deadline {
                    return Err(ProviderError::transient(network, "media still processing"));
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(http.settings().poll_interval * 15);
            }
        }
    }
}

/// The public URL a Meta network fetches a file from. Instagram and Threads have no upload
/// endpoint for feed media: "the media must be hosted on a publicly accessible server".
pub(crate) fn public_url(network: Network, media: &crate::publish::PublishMedia) -> Result<String, ProviderError> {
    media.public_url.as_ref().map(|u| u.as_str().to_owned()).ok_or_else(|| {
        ProviderError::rejected(
            network,
            format!(
                "{} fetches media from a public address, and {} has none; configure public media URLs",
                network.display_name(),
                media.filename
            ),
        )
    })
}

/// An insights answer (`{"data": [{"name", "period", "values": [{"value"}]}]}`, or
/// `total_value: {"value"}` for total-value metrics) as `name → value`. Only names and
/// values are kept: insights answers also carry `paging` links, which contain the token.
/// For time series the first (oldest) value is kept, the last complete period of Meta's
/// default range.
pub(crate) fn insight_values(data: &Value) -> serde_json::Map<String, Value> {
    data.as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let name = m["name"].as_str()?;
            let value = m["total_value"]["value"].as_u64().or_else(|| m["values"][0]["value"].as_u64())?;
            Some((name.to_owned(), Value::from(value)))
        })
        .collect()
}

/// Parses Graph timestamps: RFC 3339, or Meta's `2026-11-22T10:00:00+0000`.
pub(crate) fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .or_else(|_| chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z"))
        .ok()
        .map(|t| t.with_timezone(&chrono::Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(body: &str) -> Option<ErrorClass> {
        parse_error(StatusCode::BAD_REQUEST, &HeaderMap::new(), body.as_bytes()).class
    }

    #[test]
    fn graph_codes_map_to_classes() {
        assert_eq!(
            class(r#"{"error":{"message":"x","type":"OAuthException","code":190,"error_subcode":463}}"#),
            Some(ErrorClass::Unauthorized)
        );
        for code in [4, 17, 32, 613, 80001] {
            assert_eq!(class(&format!(r#"{{"error":{{"message":"x","code":{code}}}}}"#)), Some(ErrorClass::RateLimited(None)), "{code}");
        }
        assert_eq!(class(r#"{"error":{"message":"x","code":1}}"#), Some(ErrorClass::Transient));
        assert_eq!(class(r#"{"error":{"message":"x","code":2,"is_transient":true}}"#), Some(ErrorClass::Transient));
        assert_eq!(class(r#"{"error":{"message":"x","code":100,"is_transient":true}}"#), Some(ErrorClass::Transient));
        assert_eq!(class(r#"{"error":{"message":"x","type":"OAuthException","code":100}}"#), None);
        assert_eq!(class(r#"{"error":{"message":"x","code":506}}"#), Some(ErrorClass::Duplicate));
        assert_eq!(class(r#"{"error":{"message":"x","code":4,"error_subcode":2207051}}"#), Some(ErrorClass::Rejected));
        assert_eq!(class(r#"{"error":{"message":"x","code":9,"error_subcode":2207042}}"#), Some(ErrorClass::RateLimited(None)));
    }

    #[test]
    fn the_user_message_is_preferred_and_codes_are_kept() {
        let d = parse_error(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"error":{"message":"The image size is too large.","code":36000,"error_subcode":2207004,"error_user_msg":"The image is too large to download. It should be less than 8 MiB."}}"#,
        );
        assert_eq!(
            d.message.as_deref(),
            Some("The image is too large to download. It should be less than 8 MiB. (code 36000, subcode 2207004)")
        );
    }

    #[test]
    fn meta_timestamps_parse_with_or_without_a_colon_in_the_offset() {
        assert!(parse_time("2026-11-22T10:00:00+0000").is_some());
        assert!(parse_time("2026-11-22T10:00:00Z").is_some());
    }
}
