//! Refusing user-supplied hosts that point into private networks (SSRF).

use std::net::{IpAddr, SocketAddr};
use std::sync::LazyLock;

use ipnet::IpNet;

use postiz_config::PrivateAllowList;
use postiz_domain::Network;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::ProviderError;

/// Networks no user-supplied URL may reach unless the operator allows them explicitly: IANA's
/// special-purpose registries less the globally reachable ranges, and every IPv6 range that
/// embeds an IPv4 address (IPv4-compatible, NAT64, 6to4, Teredo), which would otherwise carry a
/// private IPv4 address past a check that looks at IPv6 ranges only. The one list for every
/// guard: provider calls to user-named servers and media fetched from a user's URL.
pub static NOT_PUBLIC: LazyLock<Vec<IpNet>> = LazyLock::new(|| {
    [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/96",
        "::ffff:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/32",
        "2001:db8::/32",
        "2002::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    ]
    .iter()
    .filter_map(|n| n.parse().ok())
    .collect()
});

/// Whether a user-supplied URL may connect to `ip`: it is in `allowed` (networks the operator
/// opened, e.g. an internal CDN) or in none of [`NOT_PUBLIC`]. An IPv4 address written as IPv6
/// (`::ffff:127.0.0.1`) is judged as what it is.
pub fn permitted(ip: IpAddr, allowed: &[IpNet]) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 @ IpAddr::V4(_) => v4,
    };
    allowed.iter().any(|n| n.contains(&ip)) || !NOT_PUBLIC.iter().any(|n| n.contains(&ip))
}

/// True for addresses on the public internet: [`permitted`] with nothing opened.
pub fn is_public_ip(ip: IpAddr) -> bool {
    permitted(ip, &[])
}

fn local_by_name(name: &str) -> bool {
    let name = name.trim_end_matches('.');
    name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost")
}

/// Resolves the URL's host and refuses it unless every address is public or inside a network
/// the operator listed; `localhost` names only when listed.
pub(super) async fn check_reachable(network: Network, url: &Url, allow: &PrivateAllowList) -> Result<(), ProviderError> {
    reachable(url, allow).await.map_err(|reason| ProviderError::rejected(network, reason))
}

/// Whether a user-supplied URL that is no provider's (an outgoing webhook's) may be called:
/// http(s), a host, and every address it resolves to permitted. The error is worded for the
/// person who entered it.
pub async fn check_user_url(url: &Url, allow: &PrivateAllowList) -> Result<(), String> {
    reachable(url, allow).await
}

/// A client builder whose DNS answers pointing at private addresses outside `allow` are
/// dropped (closes the gap between [`check_user_url`] and the connection), redirects off.
pub fn guarded_client_builder(allow: &PrivateAllowList) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .dns_resolver(std::sync::Arc::new(GuardedResolver { allow: allow.clone() }))
}

fn refused_host(host: &str) -> String {
    format!("the server address {host} points to a private or local network address; use the public address of the server")
}

async fn reachable(url: &Url, allow: &PrivateAllowList) -> Result<(), String> {
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!("the address {url} must start with https://"));
    }
    permitted_addrs(url, allow).await.map(drop)
}

/// The addresses a user-supplied URL's host resolves to, when every one is permitted (public,
/// or inside a network the operator listed; `localhost` names only when listed). For
/// connections made without reqwest (websockets), which connect to these addresses only.
pub(crate) async fn permitted_addrs(url: &Url, allow: &PrivateAllowList) -> Result<Vec<SocketAddr>, String> {
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<IpAddr> = match url.host() {
        None => return Err(format!("the address {url} has no host name")),
        Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(Host::Domain(name)) => {
            if local_by_name(name) && !allow.lists_host(name) {
                return Err(refused_host(name));
            }
            match tokio::net::lookup_host((name, port)).await {
                Ok(it) => it.map(|sa| sa.ip()).collect(),
                Err(err) => return Err(format!("the server {name} could not be found ({err}); check the address")),
            }
        }
    };
    let host = url.host_str().unwrap_or_default();
    if addrs.is_empty() || addrs.iter().any(|ip| !permitted(*ip, allow.networks())) {
        return Err(refused_host(host));
    }
    Ok(addrs.into_iter().map(|ip| SocketAddr::new(ip, port)).collect())
}

#[derive(Debug)]
pub(super) struct GuardedResolver {
    pub(super) allow: PrivateAllowList,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            if local_by_name(&host) && !allow.lists_host(&host) {
                let err: Box<dyn std::error::Error + Send + Sync> = format!("{host} names this machine").into();
                return Err(err);
            }
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.filter(|sa| permitted(sa.ip(), allow.networks())).collect();
            if addrs.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> = format!("{host} resolves only to private or local addresses").into();
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
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public_ip(ip.parse().expect("ip")), "{ip} should not be public");
        }
        // IPv6 forms that embed a private IPv4 address: IPv4-compatible, NAT64 (both prefixes),
        // 6to4 and Teredo.
        for ip in [
            "::7f00:1",
            "::a00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::c0a8:101",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        ] {
            assert!(!is_public_ip(ip.parse().expect("ip")), "{ip} embeds a private address and should not be public");
        }
        for ip in ["1.1.1.1", "93.184.216.34", "2606:4700::1111"] {
            assert!(is_public_ip(ip.parse().expect("ip")), "{ip} should be public");
        }
    }

    #[tokio::test]
    async fn user_urls_pointing_at_private_hosts_are_refused() {
        let nothing = PrivateAllowList::default();
        for url in ["http://127.0.0.1:8080/", "https://localhost/", "http://[::1]/", "http://169.254.169.254/latest", "http://10.0.0.5/"] {
            let url = Url::parse(url).expect("url");
            let err = check_reachable(Network::Mastodon, &url, &nothing).await.expect_err("refused");
            assert!(matches!(err, ProviderError::Rejected { .. }), "{url}: {err}");
        }
        let err = check_reachable(Network::Mastodon, &Url::parse("ftp://example.com/").expect("url"), &nothing).await.expect_err("scheme");
        assert!(err.to_string().contains("https://"));
    }

    #[tokio::test]
    async fn the_operator_list_opens_exactly_what_it_names() {
        let check = |url: &str, entries: &[&str]| {
            let url = Url::parse(url).expect("url");
            let allow = PrivateAllowList::parse(entries).expect("entries");
            async move { check_reachable(Network::Mastodon, &url, &allow).await }
        };
        check("http://127.0.0.1:8080/", &["127.0.0.0/8"]).await.expect("listed network");
        check("http://10.0.0.5/", &["10.0.0.5"]).await.expect("listed address");
        check("http://10.0.0.6/", &["10.0.0.5"]).await.expect_err("a neighbour of a listed address");
        check("http://169.254.169.254/", &["10.0.0.0/8"]).await.expect_err("metadata stays closed");
        // localhost by name needs its name listed, and its address must be listed too.
        check("http://localhost:8080/", &["127.0.0.0/8"]).await.expect_err("name not listed");
        let err = check("http://localhost:8080/", &["localhost"]).await.expect_err("listed name, unlisted private address");
        assert!(err.to_string().contains("points to a private or local network address"), "{err}");
        check("http://localhost:8080/", &["localhost", "127.0.0.0/8", "::1/128"]).await.expect("name and address listed");
    }

    #[tokio::test]
    async fn the_resolver_keeps_only_listed_private_answers() {
        let resolve = |entries: &[&str]| {
            let resolver = GuardedResolver { allow: PrivateAllowList::parse(entries).expect("entries") };
            let name: Name = "localhost".parse().expect("name");
            resolver.resolve(name)
        };
        assert!(resolve(&[]).await.is_err(), "localhost refused by default");
        assert!(resolve(&["localhost"]).await.is_err(), "listed name resolving to unlisted loopback");
        let addrs: Vec<SocketAddr> = resolve(&["localhost", "127.0.0.0/8"]).await.expect("listed").collect();
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback() && a.is_ipv4()), "{addrs:?}");
    }
}
