//! The authorization-code grant with PKCE and the refresh grant, on the `oauth2` crate.
//!
//! Networks bend OAuth2 in small ways; the token response type here accepts what they really
//! send: no `token_type` (LinkedIn), `expires_in` as a string, comma-separated `scope`. Errors
//! never carry a response body, because a body may hold a token.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicErrorResponseType, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse, BasicTokenType,
};
use oauth2::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardRevocableToken, TokenResponse,
    TokenUrl,
};
use postiz_providers::{ClientRegistration, OAuth2Spec, OAuthClient, TokenSet};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};
use url::Url;

/// Where and how to run the grants for one network (or one instance).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// Authorization endpoint.
    pub auth_url: Url,
    /// Token endpoint.
    pub token_url: Url,
    /// Scopes to request.
    pub scopes: Vec<String>,
    /// How scopes are joined (`" "`, or `","` on Meta).
    pub scope_separator: String,
    /// Send a PKCE S256 challenge.
    pub pkce: bool,
    /// Extra authorization-URL parameters.
    pub extra_auth_params: Vec<(String, String)>,
    /// Authenticate the client with HTTP Basic at the token endpoint (else in the body).
    pub client_auth_basic: bool,
    /// The authorization-URL parameter naming the client (`client_id`; TikTok: `client_key`).
    pub client_id_param: String,
}

impl Endpoints {
    /// From a provider's [`OAuth2Spec`].
    pub fn from_spec(spec: &OAuth2Spec) -> Self {
        Self {
            auth_url: spec.auth_url.clone(),
            token_url: spec.token_url.clone(),
            scopes: spec.scopes.clone(),
            scope_separator: spec.scope_separator.to_owned(),
            pkce: spec.pkce,
            extra_auth_params: spec.extra_auth_params.clone(),
            client_auth_basic: spec.client_auth_basic,
            client_id_param: spec.client_id_param.to_owned(),
        }
    }

    /// From a client registered on an instance (Mastodon). PKCE is always sent: instances that
    /// predate it ignore the parameters.
    pub fn from_registration(registration: &ClientRegistration) -> Self {
        Self {
            auth_url: registration.auth_url.clone(),
            token_url: registration.token_url.clone(),
            scopes: registration.scopes.clone(),
            scope_separator: " ".into(),
            pkce: true,
            extra_auth_params: vec![],
            client_auth_basic: false,
            client_id_param: "client_id".into(),
        }
    }
}

/// A PKCE pair: the challenge goes in the authorization URL, the verifier is kept (encrypted)
/// until the code comes back.
pub struct Pkce {
    /// `code_challenge` (S256).
    pub challenge: PkceCodeChallenge,
    /// `code_verifier`.
    pub verifier: SecretString,
}

impl Pkce {
    /// A fresh random pair.
    pub fn new() -> Self {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        Self { challenge, verifier: SecretString::from(verifier.into_secret()) }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce").field("challenge", &self.challenge.as_str()).finish_non_exhaustive()
    }
}

/// Why a grant failed, sorted by what the caller does next.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum GrantError {
    /// The code or refresh token is expired, used, revoked, or does not match the PKCE verifier
    /// or redirect: the user must authorize again (on refresh: the account is revoked).
    #[error("the authorization server refused the grant (invalid_grant{}): the code or refresh token is expired, already used, revoked or does not match", .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    InvalidGrant {
        /// The server's `error_description`.
        description: Option<String>,
    },
    /// Our client was refused: a configuration problem for the operator, not the user.
    #[error("the authorization server refused our OAuth client ({code}); check [oauth.clients] and the client secret variable")]
    InvalidClient {
        /// `invalid_client` or `unauthorized_client`.
        code: String,
    },
    /// Another OAuth error (`invalid_request`, `invalid_scope`, …) or a 4xx without one.
    #[error("the authorization server refused the request ({code}){}", .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Rejected {
        /// The OAuth error code, or the HTTP status.
        code: String,
        /// The server's explanation.
        description: Option<String>,
    },
    /// Unreachable, 5xx or 429: try again later.
    #[error("the authorization server is unavailable: {0}")]
    Transient(String),
    /// A success status with a body that is not a token response.
    #[error("the authorization server answered in an unexpected way: {0}")]
    Protocol(String),
}

impl GrantError {
    /// True when trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

/// A client for token endpoints: no redirects followed, bounded time.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("postiz-module/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// The authorization URL the user is sent to.
pub fn authorize_url(endpoints: &Endpoints, client: &OAuthClient, redirect: &Url, state: &str, pkce: Option<&Pkce>) -> Url {
    let oauth = oauth_client(endpoints, client, redirect);
    let mut request = oauth.authorize_url(|| CsrfToken::new(state.to_owned()));
    if endpoints.scope_separator == " " {
        request = request.add_scopes(endpoints.scopes.iter().cloned().map(Scope::new));
    } else if !endpoints.scopes.is_empty() {
        request = request.add_scope(Scope::new(endpoints.scopes.join(&endpoints.scope_separator)));
    }
    if let Some(pkce) = pkce.filter(|_| endpoints.pkce) {
        request = request.set_pkce_challenge(pkce.challenge.clone());
    }
    for (k, v) in &endpoints.extra_auth_params {
        request = request.add_extra_param(k.clone(), v.clone());
    }
    let url = request.url().0;
    if endpoints.client_id_param == "client_id" {
        return url;
    }
    // The oauth2 crate always names the client `client_id`; rename it where the network
    // wants another name (TikTok's `client_key`), keeping every other parameter in order.
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| if k == "client_id" { (endpoints.client_id_param.clone(), v.into_owned()) } else { (k.into_owned(), v.into_owned()) })
        .collect();
    let mut renamed = url;
    renamed.query_pairs_mut().clear().extend_pairs(pairs);
    renamed
}

/// Exchanges an authorization code (with the PKCE verifier when one was sent).
pub async fn exchange_code(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    client: &OAuthClient,
    redirect: &Url,
    code: &SecretString,
    verifier: Option<&SecretString>,
) -> Result<TokenSet, GrantError> {
    let oauth = oauth_client(endpoints, client, redirect);
    let mut request = oauth.exchange_code(AuthorizationCode::new(code.expose_secret().to_owned()));
    if let Some(v) = verifier {
        request = request.set_pkce_verifier(PkceCodeVerifier::new(v.expose_secret().to_owned()));
    }
    let status = Arc::new(Mutex::new(None));
    let result = request.request_async(&recording(http, &status)).await;
    finish(result, &status)
}

/// The standard refresh grant.
pub async fn refresh_grant(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    client: &OAuthClient,
    refresh_token: &SecretString,
) -> Result<TokenSet, GrantError> {
    let oauth = oauth_client(endpoints, client, &endpoints.auth_url);
    let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
    let status = Arc::new(Mutex::new(None));
    let result = oauth.exchange_refresh_token(&token).request_async(&recording(http, &status)).await;
    finish(result, &status)
}

type NetworkClient = Client<
    BasicErrorResponse,
    NetworkTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

fn oauth_client(endpoints: &Endpoints, client: &OAuthClient, redirect: &Url) -> NetworkClient {
    let mut c = Client::new(ClientId::new(client.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(endpoints.auth_url.clone()))
        .set_token_uri(TokenUrl::from_url(endpoints.token_url.clone()))
        .set_redirect_uri(RedirectUrl::from_url(redirect.clone()))
        .set_auth_type(if endpoints.client_auth_basic { AuthType::BasicAuth } else { AuthType::RequestBody });
    if let Some(secret) = &client.client_secret {
        c = c.set_client_secret(ClientSecret::new(secret.expose_secret().to_owned()));
    }
    c
}

/// A transport failure, described without the URL (some networks put secrets in URLs).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TransportError(String);

/// Sends through reqwest and remembers the status, which oauth2's errors do not carry.
fn recording(
    http: &reqwest::Client,
    status: &Arc<Mutex<Option<u16>>>,
) -> impl Fn(oauth2::HttpRequest) -> std::pin::Pin<Box<dyn Future<Output = Result<oauth2::HttpResponse, TransportError>> + Send>> {
    let http = http.clone();
    let status = Arc::clone(status);
    move |request: oauth2::HttpRequest| {
        let http = http.clone();
        let status = Arc::clone(&status);
        Box::pin(async move {
            let request = reqwest::Request::try_from(request).map_err(|e| TransportError(e.without_url().to_string()))?;
            let response = http
                .execute(request)
                .await
                .map_err(|e| TransportError(if e.is_timeout() { "timed out".into() } else { e.without_url().to_string() }))?;
            if let Ok(mut s) = status.lock() {
                *s = Some(response.status().as_u16());
            }
            let mut builder = http::Response::builder().status(response.status());
            for (name, value) in response.headers() {
                builder = builder.header(name, value);
            }
            let body = response.bytes().await.map_err(|e| TransportError(e.without_url().to_string()))?;
            builder.body(body.to_vec()).map_err(|e| TransportError(e.to_string()))
        })
    }
}

fn finish(
    result: Result<NetworkTokenResponse, RequestTokenError<TransportError, BasicErrorResponse>>,
    status: &Mutex<Option<u16>>,
) -> Result<TokenSet, GrantError> {
    let status = status.lock().ok().and_then(|s| *s);
    match result {
        Ok(response) => Ok(response.into_token_set()),
        Err(e) => Err(classify(e, status)),
    }
}

fn classify(error: RequestTokenError<TransportError, BasicErrorResponse>, status: Option<u16>) -> GrantError {
    let by_status = |what: &str| match status {
        Some(s) if s >= 500 || s == 429 => GrantError::Transient(format!("HTTP {s}")),
        Some(401) => GrantError::InvalidGrant { description: Some("HTTP 401".into()) },
        Some(s) if s != 200 => GrantError::Rejected { code: format!("HTTP {s}"), description: None },
        _ => GrantError::Protocol(what.to_owned()),
    };
    match error {
        RequestTokenError::ServerResponse(e) => {
            if status.is_some_and(|s| s >= 500) {
                return GrantError::Transient(format!("HTTP {} ({})", status.unwrap_or(500), e.error()));
            }
            let description = e.error_description().cloned();
            match e.error() {
                BasicErrorResponseType::InvalidGrant => GrantError::InvalidGrant { description },
                BasicErrorResponseType::InvalidClient | BasicErrorResponseType::UnauthorizedClient => {
                    GrantError::InvalidClient { code: e.error().to_string() }
                }
                other => GrantError::Rejected { code: other.to_string(), description },
            }
        }
        RequestTokenError::Request(e) => GrantError::Transient(e.to_string()),
        RequestTokenError::Parse(_, _) => by_status("the body is not a token response"),
        RequestTokenError::Other(msg) => by_status(&msg),
    }
}

/// A token response as networks really send it.
#[derive(Debug, Deserialize, Serialize)]
struct NetworkTokenResponse {
    access_token: AccessToken,
    /// Ignored on input (LinkedIn omits it; some send `Bearer`, some `bearer`): always Bearer.
    #[serde(skip, default = "bearer")]
    token_type: BasicTokenType,
    #[serde(default, deserialize_with = "lenient_secs")]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<RefreshToken>,
    /// The refresh token's lifetime: LinkedIn `refresh_token_expires_in`, TikTok
    /// `refresh_expires_in`.
    #[serde(default, alias = "refresh_expires_in", deserialize_with = "lenient_secs")]
    refresh_token_expires_in: Option<u64>,
    #[serde(default, rename = "scope", deserialize_with = "lenient_scopes")]
    scopes: Option<Vec<Scope>>,
}

fn bearer() -> BasicTokenType {
    BasicTokenType::Bearer
}

impl TokenResponse for NetworkTokenResponse {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }

    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }

    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scopes.as_ref()
    }
}

impl NetworkTokenResponse {
    fn into_token_set(self) -> TokenSet {
        TokenSet {
            access_token: SecretString::from(self.access_token.into_secret()),
            // An empty refresh token is no refresh token (some networks send "").
            refresh_token: self.refresh_token.map(RefreshToken::into_secret).filter(|t| !t.is_empty()).map(SecretString::from),
            expires_in: self.expires_in.filter(|s| *s > 0).map(Duration::from_secs),
            refresh_expires_in: self.refresh_token_expires_in.filter(|s| *s > 0).map(Duration::from_secs),
            scopes: self.scopes.unwrap_or_default().into_iter().map(|s| s.to_string()).collect(),
        }
    }
}

fn lenient_secs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Secs {
        Number(f64),
        Text(String),
    }
    Ok(match Option::<Secs>::deserialize(d)? {
        Some(Secs::Number(n)) if n.is_finite() && n >= 0.0 => Some(n as u64),
        Some(Secs::Text(t)) => t.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_scopes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Scope>>, D::Error> {
    let raw = Option::<String>::deserialize(d)?;
    Ok(raw.map(|s| s.split([' ', ',']).filter(|p| !p.is_empty()).map(|p| Scope::new(p.to_owned())).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoints(sep: &str) -> Endpoints {
        Endpoints {
            auth_url: Url::parse("https://auth.example/authorize").expect("url"),
            token_url: Url::parse("https://auth.example/token").expect("url"),
            scopes: vec!["a".into(), "b".into()],
            scope_separator: sep.into(),
            pkce: true,
            extra_auth_params: vec![("prompt".into(), "consent".into())],
            client_auth_basic: false,
            client_id_param: "client_id".into(),
        }
    }

    #[test]
    fn a_network_that_names_its_client_otherwise_gets_that_name_only() {
        let client = OAuthClient { client_id: "tt-key".into(), client_secret: None };
        let redirect = Url::parse("https://app.example/cb").expect("url");
        let mut tiktok = endpoints(",");
        tiktok.client_id_param = "client_key".into();
        let url = authorize_url(&tiktok, &client, &redirect, "st", None);
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q.get("client_key").map(String::as_str), Some("tt-key"));
        assert!(!q.contains_key("client_id"), "{url}");
        assert_eq!((q["state"].as_str(), q["scope"].as_str(), q["prompt"].as_str()), ("st", "a,b", "consent"));
    }

    #[test]
    fn authorize_url_carries_state_pkce_scopes_and_extras() {
        let pkce = Pkce::new();
        let client = OAuthClient { client_id: "cid".into(), client_secret: Some(SecretString::from("csecret".to_owned())) };
        let redirect = Url::parse("https://app.example/cb").expect("url");
        let url = authorize_url(&endpoints(" "), &client, &redirect, "st-1", Some(&pkce));
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["state"], "st-1");
        assert_eq!(q["client_id"], "cid");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["redirect_uri"], "https://app.example/cb");
        assert_eq!(q["scope"], "a b");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], pkce.challenge.as_str());
        assert_eq!(q["prompt"], "consent");
        assert!(!url.as_str().contains("csecret") && !url.as_str().contains(pkce.verifier.expose_secret()));
        let comma = authorize_url(&endpoints(","), &client, &redirect, "s", None);
        assert!(comma.query_pairs().any(|(k, v)| k == "scope" && v == "a,b"), "{comma}");
        assert!(!comma.as_str().contains("code_challenge"));
    }

    #[test]
    fn token_responses_networks_send_are_accepted() {
        let linkedin: NetworkTokenResponse =
            serde_json::from_str(r#"{"access_token":"at","expires_in":"5184000","refresh_token":"rt","refresh_token_expires_in":525600,"scope":"r_basicprofile,w_member_social"}"#)
                .expect("no token_type, string expiry, comma scopes");
        let set = linkedin.into_token_set();
        assert_eq!(set.access_token.expose_secret(), "at");
        assert_eq!(set.refresh_token.as_ref().map(|t| t.expose_secret()), Some("rt"));
        assert_eq!(set.expires_in, Some(Duration::from_secs(5_184_000)));
        assert_eq!(set.refresh_expires_in, Some(Duration::from_secs(525_600)), "LinkedIn's refresh_token_expires_in");
        assert_eq!(set.scopes, ["r_basicprofile", "w_member_social"]);
        let empty_refresh: NetworkTokenResponse =
            serde_json::from_str(r#"{"access_token":"at","token_type":"Bearer","refresh_token":"","expires_in":0}"#).expect("parses");
        let set = empty_refresh.into_token_set();
        assert!(set.refresh_token.is_none() && set.expires_in.is_none());
        let shown = format!("{set:?}");
        assert!(!shown.contains("\"at\""), "{shown}");
    }
}
