//! Refusing user-supplied hosts that point into private networks (SSRF).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use postiz_domain::Network;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::ProviderError;

/// True for addresses on the public internet: not loopback, private (RFC 1918), CGNAT,
/// link-local, unique-local (fc00::/7), unspecified, multicast, broadcast or documentation.
pub fn is_public_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let seg0 = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg0 & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (seg0 & 0xffc0) == 0xfe80 // link local fe80::/10
                || (seg0 == 0x2001 && v6.segments()[1] == 0x0db8)) // documentation
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64.0.0/10
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || a >= 240) // reserved
}

fn refused(network: Network, host: &str) -> ProviderError {
    ProviderError::rejected(
        network,
        format!(
            "the server address {host} points to a private or local network address; use the public address of the server"
        ),
    )
}

/// Resolves the URL's host and refuses it unless every address is public.
pub(super) async fn check_public(network: Network, url: &Url) -> Result<(), ProviderError> {
    if !matches!(url.scheme(), "https" | "http") {
        return Err(ProviderError::rejected(network, format!("the address {url} must start with https://")));
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<IpAddr> = match url.host() {
        None => return Err(ProviderError::rejected(network, format!("the address {url} has no host name"))),
        Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(Host::Domain(name)) => {
            if name.eq_ignore_ascii_case("localhost") || name.ends_with(".localhost") {
                return Err(refused(network, name));
            }
            match tokio::net::lookup_host((name, port)).await {
                Ok(it) => it.map(|sa| sa.ip()).collect(),
                Err(err) => {
                    return Err(ProviderError::rejected(network, format!("the server {name} could not be found ({err}); check the address")));
                }
            }
        }
    };
    let host = url.host_str().unwrap_or_default();
    if addrs.is_empty() || addrs.iter().any(|ip| !is_public_ip(*ip)) {
        return Err(refused(network, host));
    }
    Ok(())
}

/// A DNS resolver that drops non-public answers, so no request of the shared client reaches
/// a private address through a name (closes the gap between `check_public` and connect).
#[derive(Debug)]
pub(super) struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|sa| is_public_ip(sa.ip()))
                .collect();
            if addrs.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host} resolves only to private or local addresses").into();
                return Err(err);
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_addresses_are_not_public() {
        for ip in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "fc00::1", "fd12::1", "fe80::1", "::ffff:127.0.0.1"] {
            assert!(!is_public_ip(ip.parse().expect("ip")), "{ip} should not be public");
        }
        for ip in ["1.1.1.1", "93.184.216.34", "2606:4700::1111"] {
            assert!(is_public_ip(ip.parse().expect("ip")), "{ip} should be public");
        }
    }

    #[tokio::test]
    async fn user_urls_pointing_at_private_hosts_are_refused() {
        for url in ["http://127.0.0.1:8080/", "https://localhost/", "http://[::1]/", "http://169.254.169.254/latest", "http://10.0.0.5/"] {
            let url = Url::parse(url).expect("url");
            let err = check_public(Network::Mastodon, &url).await.expect_err("refused");
            assert!(matches!(err, ProviderError::Rejected { .. }), "{url}: {err}");
        }
        let err = check_public(Network::Mastodon, &Url::parse("ftp://example.com/").expect("url")).await.expect_err("scheme");
        assert!(err.to_string().contains("https://"));
    }
}
