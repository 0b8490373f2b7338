//! The SSRF guard on connection base URLs. Only `http` and `https`; hosts that are, or resolve
//! to, loopback, private, link-local, shared (CGNAT), unspecified or multicast addresses are
//! refused unless the allow-list names them (Langfuse's `LANGFUSE_LLM_CONNECTION_WHITELISTED_HOST`,
//! `…_IPS` and `…_IP_SEGMENTS`). The check runs when a connection is saved and again on every
//! call: the client's resolver refuses blocked addresses at connect time, so a host that resolves
//! elsewhere later (DNS rebinding) is still refused, and redirects are not followed.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use url::{Host, Url};

use crate::error::{ErrorKind, LlmError};

/// Hosts and addresses a base URL may point at although they are not public.
#[derive(Debug, Clone, Default)]
pub struct HostPolicy {
    hosts: Vec<String>,
    ips: Vec<IpAddr>,
    segments: Vec<IpNet>,
}

impl HostPolicy {
    /// From the three comma-separated allow-list settings; each may be empty.
    pub fn from_lists(hosts: &str, ips: &str, segments: &str) -> Result<HostPolicy, String> {
        let items = |list: &str| -> Vec<String> {
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let ips = items(ips)
            .into_iter()
            .map(|ip| {
                ip.parse::<IpAddr>()
                    .map_err(|_| format!("'{ip}' is not an IP address"))
            })
            .collect::<Result<_, _>>()?;
        let segments = items(segments)
            .into_iter()
            .map(|net| {
                net.parse::<IpNet>()
                    .map_err(|_| format!("'{net}' is not an IP segment (CIDR, e.g. 10.0.0.0/8)"))
            })
            .collect::<Result<_, _>>()?;
        Ok(HostPolicy {
            hosts: items(hosts)
                .into_iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            ips,
            segments,
        })
    }

    /// A policy that allows these addresses (tests that call a fake provider on loopback).
    pub fn allowing_ips(ips: &[IpAddr]) -> HostPolicy {
        HostPolicy {
            ips: ips.to_vec(),
            ..HostPolicy::default()
        }
    }

    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    fn ip_allowed(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        is_public(ip) || self.ips.contains(&ip) || self.segments.iter().any(|net| net.contains(&ip))
    }

    /// Checks a base URL as written: its scheme, and its host when that is an address. A host
    /// name is checked when it is resolved ([`HostPolicy::check_resolved`] and the client's
    /// resolver).
    pub fn check_url(&self, raw: &str) -> Result<Url, LlmError> {
        let url = Url::parse(raw)
            .map_err(|e| blocked(format!("the base URL '{raw}' is not a URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(blocked(format!(
                "the base URL must use http or https, not '{}'",
                url.scheme()
            )));
        }
        match url.host() {
            None => return Err(blocked("the base URL has no host")),
            Some(Host::Ipv4(ip)) => self.check_ip(&url, IpAddr::V4(ip))?,
            Some(Host::Ipv6(ip)) => self.check_ip(&url, IpAddr::V6(ip))?,
            Some(Host::Domain(name)) => {
                let name = name.trim_end_matches('.');
                if !self.host_allowed(name)
                    && (name.eq_ignore_ascii_case("localhost")
                        || name.to_ascii_lowercase().ends_with(".localhost"))
                {
                    return Err(blocked(format!(
                        "the host '{name}' is local; name it in LANGFUSE_LLM_CONNECTION_WHITELISTED_HOST to allow it"
                    )));
                }
            }
        }
        Ok(url)
    }

    fn check_ip(&self, url: &Url, ip: IpAddr) -> Result<(), LlmError> {
        if self.ip_allowed(ip) {
            return Ok(());
        }
        Err(blocked(format!(
            "the host '{}' is a private, loopback or link-local address; name it in LANGFUSE_LLM_CONNECTION_WHITELISTED_IPS to allow it",
            url.host_str().unwrap_or_default()
        )))
    }

    /// Checks a base URL and resolves its host now, refusing it when any address it resolves
    /// to is blocked. Used when a connection is saved; calls are checked by the client's
    /// resolver.
    pub async fn check_resolved(&self, raw: &str) -> Result<Url, LlmError> {
        let url = self.check_url(raw)?;
        if let Some(Host::Domain(name)) = url.host() {
            let port = url.port_or_known_default().unwrap_or(443);
            let addrs = self.resolve(name, port).await.map_err(|e| {
                LlmError::new(
                    ErrorKind::Network,
                    format!("the host '{name}' could not be resolved ({e})"),
                )
            })?;
            if addrs.is_empty() {
                return Err(LlmError::new(
                    ErrorKind::Network,
                    format!("the host '{name}' has no address"),
                ));
            }
        }
        Ok(url)
    }

    /// The host's addresses, or an error when one of them is blocked.
    async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, GuardError> {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| GuardError::lookup(e.to_string()))?
            .collect();
        if self.host_allowed(host) {
            return Ok(addrs);
        }
        if let Some(bad) = addrs.iter().find(|a| !self.ip_allowed(a.ip())) {
            return Err(GuardError {
                message: format!(
                    "'{host}' resolves to {}, a private, loopback or link-local address; name the host in LANGFUSE_LLM_CONNECTION_WHITELISTED_HOST to allow it",
                    bad.ip()
                ),
                refused: true,
            });
        }
        Ok(addrs)
    }
}

fn blocked(message: impl Into<String>) -> LlmError {
    LlmError::new(ErrorKind::Blocked, message)
}

/// A refusal (or failure) of the guarded resolver; `refused` when an address was blocked.
#[derive(Debug)]
pub(crate) struct GuardError {
    message: String,
    pub(crate) refused: bool,
}

impl GuardError {
    fn lookup(message: String) -> GuardError {
        GuardError {
            message,
            refused: false,
        }
    }
}

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for GuardError {}

/// An IPv4 address mapped into IPv6 is judged as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local())
        }
    }
}

/// The client's resolver: every connection the provider layer opens goes through the guard.
pub(crate) struct GuardedResolver(pub(crate) Arc<HostPolicy>);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let addrs = policy.resolve(name.as_str(), 0).await?;
            let addrs: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_local_addresses_are_refused_unless_allowed() {
        let policy = HostPolicy::default();
        for url in [
            "http://127.0.0.1:8080/v1",
            "http://169.254.169.254/latest/meta-data",
            "http://10.1.2.3",
            "http://192.168.0.1",
            "http://172.16.5.5",
            "http://100.64.0.1",
            "http://0.0.0.0",
            "http://[::1]/v1",
            "http://[fd00::1]",
            "http://[fe80::1]",
            "http://[::ffff:127.0.0.1]",
            "http://localhost:11434/v1",
            "http://api.localhost",
        ] {
            let error = policy.check_url(url).unwrap_err();
            assert_eq!(error.kind, ErrorKind::Blocked, "{url}");
        }
        for url in ["ftp://api.openai.com", "file:///etc/passwd", "not a url"] {
            assert_eq!(policy.check_url(url).unwrap_err().kind, ErrorKind::Blocked);
        }
        assert!(policy.check_url("https://api.openai.com/v1").is_ok());
        assert!(policy.check_url("https://8.8.8.8/v1").is_ok());

        let allowing = HostPolicy::from_lists("localhost", "127.0.0.1", "10.0.0.0/8").unwrap();
        assert!(allowing.check_url("http://localhost:11434/v1").is_ok());
        assert!(allowing.check_url("http://127.0.0.1:8080").is_ok());
        assert!(allowing.check_url("http://10.20.30.40").is_ok());
        assert!(allowing.check_url("http://192.168.0.1").is_err());
        assert!(HostPolicy::from_lists("", "not-an-ip", "").is_err());
        assert!(HostPolicy::from_lists("", "", "10.0.0.0/99").is_err());
    }

    #[tokio::test]
    async fn names_are_checked_by_what_they_resolve_to() {
        let policy = HostPolicy::default();
        let error = policy
            .resolve("localhost", 80)
            .await
            .expect_err("localhost resolves to loopback");
        assert!(
            error.refused && error.message.contains("resolves to"),
            "{error}"
        );
        let allowing = HostPolicy::from_lists("", "127.0.0.1,::1", "").unwrap();
        assert!(!allowing.resolve("localhost", 80).await.unwrap().is_empty());
    }
}
