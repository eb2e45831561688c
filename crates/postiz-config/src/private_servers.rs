//! `[private_servers]`: which private destinations the server addresses users type (a Mastodon
//! instance, a Bluesky PDS, a webhook, a media import URL) may reach.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::Deserialize;

/// `[private_servers]` section.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PrivateServersSettings {
    /// Networks (CIDR or single addresses) and host names user-entered server addresses may
    /// reach although they are private; empty (the default): public addresses only.
    pub allow: PrivateAllowList,
}

/// The operator's allow-list for user-entered server addresses. Public addresses are always
/// reachable; everything else only as listed here:
///
/// - a **network** (`10.20.0.0/16`, `fd00::/8`, or one address, `192.168.1.10`) opens those
///   addresses;
/// - a **host name** (`localhost`, `pds.intranet.example`) lets that name through the check by
///   name (`localhost` and `*.localhost` are refused by name otherwise). Its addresses are still
///   checked: a listed name that resolves to a private address outside the listed networks is
///   refused.
///
/// Only the operator sets it (config file or `POSTIZ__PRIVATE_SERVERS__ALLOW`); nothing a user
/// sends can widen it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct PrivateAllowList {
    networks: Vec<IpNet>,
    hosts: Vec<String>,
}

impl PrivateAllowList {
    /// Parses entries as written in the config: CIDRs, addresses or host names.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        let mut list = Self::default();
        for entry in entries {
            let entry = entry.as_ref().trim();
            if let Ok(net) = entry.parse::<IpNet>() {
                list.networks.push(net);
            } else if let Ok(ip) = entry.parse::<IpAddr>() {
                list.networks.push(IpNet::from(ip));
            } else if entry.contains('/') || (!entry.is_empty() && entry.chars().all(|c| c.is_ascii_digit() || c == '.')) {
                return Err(format!("`{entry}` is not a network; write it as an address with a prefix length, e.g. 10.20.0.0/16"));
            } else {
                let name = entry.trim_end_matches('.').to_ascii_lowercase();
                let valid = !name.is_empty()
                    && name.len() <= 253
                    && name.split('.').all(|label| {
                        !label.is_empty()
                            && label.len() <= 63
                            && !label.starts_with('-')
                            && !label.ends_with('-')
                            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    });
                if !valid {
                    return Err(format!(
                        "`{entry}` is neither a network (e.g. 10.20.0.0/16), an address (e.g. 192.168.1.10) nor a host name (e.g. pds.intranet.example)"
                    ));
                }
                list.hosts.push(name);
            }
        }
        Ok(list)
    }

    /// Loopback only (`127.0.0.0/8`, `::1`, `localhost`): local development and tests, where
    /// the servers users name run on this machine.
    pub fn loopback() -> Self {
        #[expect(clippy::expect_used, reason = "constant entries")]
        Self::parse(&["127.0.0.0/8", "::1/128", "localhost"]).expect("loopback entries parse")
    }

    /// The private networks opened.
    pub fn networks(&self) -> &[IpNet] {
        &self.networks
    }

    /// The host names listed, lower case, without a trailing dot.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// Whether `name` (as in a URL) is listed.
    pub fn lists_host(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.');
        self.hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// Whether nothing is listed (public addresses only).
    pub fn is_empty(&self) -> bool {
        self.networks.is_empty() && self.hosts.is_empty()
    }
}

impl TryFrom<Vec<String>> for PrivateAllowList {
    type Error = String;

    fn try_from(entries: Vec<String>) -> Result<Self, String> {
        Self::parse(&entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_networks_addresses_or_host_names() {
        let list =
            PrivateAllowList::parse(&["10.20.0.0/16", "192.168.1.10", "fd00::/8", "PDS.Intranet.Example.", "localhost"]).expect("parses");
        assert_eq!(
            list.networks(),
            &["10.20.0.0/16".parse::<IpNet>().unwrap(), "192.168.1.10/32".parse().unwrap(), "fd00::/8".parse().unwrap()]
        );
        assert_eq!(list.hosts(), &["pds.intranet.example".to_owned(), "localhost".to_owned()]);
        assert!(list.lists_host("pds.intranet.example."));
        assert!(!list.lists_host("intranet.example"));
        for bad in ["10.20.0.0/33", "10.0.0", "not a host", "-bad.example", ""] {
            let err = PrivateAllowList::parse(&[bad]).expect_err(bad);
            assert!(err.contains(&format!("`{bad}`")), "{bad}: {err}");
        }
        assert!(PrivateAllowList::default().is_empty());
    }
}
