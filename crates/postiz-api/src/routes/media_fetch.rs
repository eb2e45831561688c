//! Fetching a media file from a URL a client names (`POST …/media/from-url`) without letting
//! that URL reach inside our own network (server-side request forgery).
//!
//! - only `http` and `https`;
//! - every address the request connects to must be public: host names are resolved by
//!   [`GuardedResolver`], which refuses a name when any of its addresses is loopback, private,
//!   link-local (cloud metadata at 169.254.169.254), shared, reserved or multicast; literal IPs
//!   (which skip DNS) are checked before the request and at every redirect;
//! - the networks of `[private_servers] allow` are let through (an internal CDN), the same
//!   list every check of a user-entered server address uses;
//! - no proxy from the environment (a proxy would resolve names where we cannot check them);
//! - at most [`MAX_REDIRECTS`] redirects, a whole-request timeout, and the body refused as
//!   soon as it passes the upload limit.

use std::error::Error as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 5;

/// Why a URL's content could not be had. Every variant is about the client's `url` field.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL itself is not acceptable (scheme, syntax, a private address).
    #[error("{0}")]
    Refused(String),
    /// The content is larger than the limit.
    #[error("is larger than {0} bytes")]
    TooLarge(u64),
    /// The server could not be reached, answered an error, or was too slow.
    #[error("{0}")]
    Unreachable(String),
}

/// A refusal raised inside reqwest (the resolver or the redirect policy), found again in the
/// error's source chain.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Blocked(String);

pub use postiz_providers::http::permitted;

/// Scheme and literal-address checks, for the URL given and every redirect target.
fn check_url(url: &Url, allowed: &[IpNet]) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("must be an http or https URL, not {}:", url.scheme()));
    }
    let ip = match url.host() {
        None => return Err("has no host".into()),
        Some(Host::Domain(_)) => return Ok(()),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
    };
    if permitted(ip, allowed) { Ok(()) } else { Err(format!("points at {ip}, a private or reserved address")) }
}

/// Resolves host names and refuses those with an address a fetch may not reach, so the check
/// holds for the address actually connected to (no second lookup to rebind).
#[derive(Debug)]
struct GuardedResolver {
    allowed: Arc<[IpNet]>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = Arc::clone(&self.allowed);
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if let Some(bad) = addrs.iter().find(|a| !permitted(a.ip(), &allowed)) {
                let message = format!("names {host}, which resolves to {}, a private or reserved address", bad.ip());
                return Err(Box::new(Blocked(message)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client for URL imports.
#[derive(Debug, Clone)]
pub struct RemoteFetcher {
    client: reqwest::Client,
    allowed: Arc<[IpNet]>,
    timeout: Duration,
}

impl RemoteFetcher {
    /// A fetcher giving each request `timeout` in all, and letting `allowed` private networks
    /// through.
    pub fn new(timeout: Duration, allowed: Vec<IpNet>) -> Result<Self, reqwest::Error> {
        let allowed: Arc<[IpNet]> = allowed.into();
        let policy_allowed = Arc::clone(&allowed);
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(Blocked(format!("redirects more than {MAX_REDIRECTS} times")));
            }
            match check_url(attempt.url(), &policy_allowed) {
                Ok(()) => attempt.follow(),
                Err(why) => {
                    let target = attempt.url().to_string();
                    attempt.error(Blocked(format!("redirects to {target}, which is refused: {why}")))
                }
            }
        });
        let client = reqwest::Client::builder()
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver { allowed: Arc::clone(&allowed) }))
            .redirect(redirects)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .user_agent(concat!("postiz-module/", env!("CARGO_PKG_VERSION"), " (media import)"))
            .build()?;
        Ok(Self { client, allowed, timeout })
    }

    /// The body at `url`, at most `max` bytes.
    pub async fn fetch(&self, url: &str, max: u64) -> Result<Bytes, FetchError> {
        let parsed = Url::parse(url.trim()).map_err(|e| FetchError::Refused(format!("is not a URL ({e})")))?;
        check_url(&parsed, &self.allowed).map_err(FetchError::Refused)?;
        let mut response = self.client.get(parsed).send().await.map_err(|e| self.failed(&e))?;
        let status = response.status();
        if status.is_redirection() {
            // reqwest hands back the redirects it will not follow: no Location, or one that is
            // not an http(s) URL.
            let location = response.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok()).unwrap_or("nowhere");
            return Err(FetchError::Refused(format!("redirects to {location}, which cannot be followed")));
        }
        if !status.is_success() {
            return Err(FetchError::Unreachable(format!("answered HTTP {status}")));
        }
        if response.content_length().is_some_and(|len| len > max) {
            return Err(FetchError::TooLarge(max));
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.failed(&e))? {
            if (body.len() + chunk.len()) as u64 > max {
                return Err(FetchError::TooLarge(max));
            }
            body.extend_from_slice(&chunk);
        }
        if body.is_empty() {
            return Err(FetchError::Unreachable("answered with an empty body".into()));
        }
        Ok(body.freeze())
    }

    fn failed(&self, e: &reqwest::Error) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = source {
            if let Some(blocked) = s.downcast_ref::<Blocked>() {
                return FetchError::Refused(blocked.0.clone());
            }
            source = s.source();
        }
        if e.is_timeout() {
            return FetchError::Unreachable(format!("did not answer within {} s", self.timeout.as_secs_f32()));
        }
        let mut chain = String::new();
        let mut source: Option<&(dyn std::error::Error + 'static)> = e.source();
        while let Some(s) = source {
            chain = s.to_string();
            source = s.source();
        }
        // The innermost cause says most ("Connection refused", "invalid certificate").
        let why = if chain.is_empty() { e.to_string() } else { chain };
        FetchError::Unreachable(format!("could not be fetched: {why}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_public_addresses_are_permitted_unless_allowed() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
        ] {
            assert!(!permitted(ip(private), &[]), "{private} must be refused");
        }
        for public in ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:1.1.1.1"] {
            assert!(permitted(ip(public), &[]), "{public} must be permitted");
        }
        let allowed: Vec<IpNet> = vec!["10.20.0.0/16".parse().unwrap()];
        assert!(permitted(ip("10.20.3.4"), &allowed));
        assert!(!permitted(ip("10.21.3.4"), &allowed), "only the allowed network opens");
    }

    #[test]
    fn urls_are_refused_for_their_scheme_or_literal_address() {
        let check = |u: &str| check_url(&Url::parse(u).unwrap(), &[]);
        assert!(check("https://cdn.example.com/a.png").is_ok(), "names are judged when resolved");
        assert!(check("http://1.1.1.1/a.png").is_ok());
        assert!(check("file:///etc/passwd").unwrap_err().contains("http or https"));
        assert!(check("ftp://example.com/a.png").unwrap_err().contains("http or https"));
        assert!(check("http://169.254.169.254/latest/meta-data/").unwrap_err().contains("169.254.169.254"));
        assert!(check("http://[::1]:8080/").unwrap_err().contains("::1"));
        // Dotless and hex forms are normalised by the URL parser before the check.
        assert!(check("http://2130706433/").unwrap_err().contains("127.0.0.1"));
        assert!(check("http://0x7f.1/").unwrap_err().contains("127.0.0.1"));
    }
}
