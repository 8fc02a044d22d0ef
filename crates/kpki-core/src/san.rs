//! Subject alternative names, IP networks and endpoints: the validated values the SAN
//! sets of a cluster are made of (`crate::network` computes those sets).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::dns::DnsName;
use crate::error::{Error, NetworkField, NetworkProblem, Result};

/// One subject alternative name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SubjectAltName {
    /// A DNS name.
    Dns(DnsName),
    /// An IP address.
    Ip(IpAddr),
}

impl FromStr for SubjectAltName {
    type Err = Error;

    /// An IP address if it parses as one, a DNS name otherwise.
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        match s.parse::<IpAddr>() {
            Ok(ip) => Ok(SubjectAltName::Ip(ip)),
            Err(_) => DnsName::new(s).map(SubjectAltName::Dns),
        }
    }
}

impl fmt::Display for SubjectAltName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubjectAltName::Dns(d) => write!(f, "DNS:{d}"),
            SubjectAltName::Ip(ip) => write!(f, "IP:{ip}"),
        }
    }
}

/// An ordered, de-duplicated set of DNS names and IP addresses. Certificates carry
/// the DNS names first, then the IPs (as Go's x509 writes them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubjectAltNames {
    dns: Vec<DnsName>,
    ips: Vec<IpAddr>,
}

impl SubjectAltNames {
    /// An empty set.
    pub fn new() -> SubjectAltNames {
        SubjectAltNames::default()
    }

    /// Parses a list of names (each an IP address or a DNS name); any invalid entry is
    /// an error naming it.
    pub fn parse<I, S>(values: I) -> Result<SubjectAltNames>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut sans = SubjectAltNames::new();
        for v in values {
            sans.push(v.as_ref().parse()?);
        }
        Ok(sans)
    }

    /// Adds a name unless it is present already.
    pub fn push(&mut self, san: SubjectAltName) {
        match san {
            SubjectAltName::Dns(d) => {
                if !self.dns.contains(&d) {
                    self.dns.push(d);
                }
            }
            SubjectAltName::Ip(ip) => {
                if !self.ips.contains(&ip) {
                    self.ips.push(ip);
                }
            }
        }
    }

    /// Adds a DNS name unless present.
    pub fn push_dns(&mut self, name: DnsName) {
        self.push(SubjectAltName::Dns(name));
    }

    /// Adds an IP address unless present.
    pub fn push_ip(&mut self, ip: IpAddr) {
        self.push(SubjectAltName::Ip(ip));
    }

    /// Adds every name of `other`.
    pub fn extend(&mut self, other: &SubjectAltNames) {
        for d in &other.dns {
            self.push_dns(d.clone());
        }
        for ip in &other.ips {
            self.push_ip(*ip);
        }
    }

    /// The DNS names, in order.
    pub fn dns_names(&self) -> &[DnsName] {
        &self.dns
    }

    /// The IP addresses, in order.
    pub fn ip_addresses(&self) -> &[IpAddr] {
        &self.ips
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.dns.is_empty() && self.ips.is_empty()
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.dns.len() + self.ips.len()
    }

    /// Every name, DNS names first.
    pub fn iter(&self) -> impl Iterator<Item = SubjectAltName> + '_ {
        self.dns
            .iter()
            .cloned()
            .map(SubjectAltName::Dns)
            .chain(self.ips.iter().copied().map(SubjectAltName::Ip))
    }

    /// Sorts the DNS names (kubeadm sorts the API server's).
    pub fn sort_dns(&mut self) {
        self.dns.sort();
    }
}

/// An IP network in CIDR notation (`10.96.0.0/12`, `fd00:10:96::/112`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpCidr {
    network: IpAddr,
    prefix: u8,
}

impl IpCidr {
    /// kubeadm's default service subnet, `10.96.0.0/12`.
    pub(crate) const DEFAULT_SERVICE_SUBNET: IpCidr = IpCidr {
        network: IpAddr::V4(Ipv4Addr::new(10, 96, 0, 0)),
        prefix: 12,
    };

    /// The network address (host bits cleared).
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length.
    pub fn prefix_len(&self) -> u8 {
        self.prefix
    }

    /// The `n`-th address of the network (kubeadm's `GetIndexedIP`): the API server's
    /// service IP is `nth(1)`.
    pub fn nth(&self, n: u128) -> Result<IpAddr> {
        let bits: u32 = if self.network.is_ipv4() { 32 } else { 128 };
        let host_bits = bits - u32::from(self.prefix);
        let size: u128 = if host_bits >= 128 {
            u128::MAX
        } else {
            1u128 << host_bits
        };
        if n >= size {
            return Err(Error::InvalidNetwork {
                field: NetworkField::ServiceCidr,
                value: self.to_string(),
                problem: NetworkProblem::TooSmall { n },
            });
        }
        Ok(match self.network {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) + n as u32)),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) + n)),
        })
    }
}

impl FromStr for IpCidr {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |problem: NetworkProblem| Error::InvalidNetwork {
            field: NetworkField::Cidr,
            value: s.to_owned(),
            problem,
        };
        let (addr, prefix) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| bad(NetworkProblem::MissingPrefix))?;
        let addr: IpAddr = addr.parse().map_err(|_| bad(NetworkProblem::CidrAddress))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| bad(NetworkProblem::PrefixNotANumber))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(bad(NetworkProblem::PrefixTooLong { max }));
        }
        let network = match addr {
            IpAddr::V4(a) => {
                let mask = if prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(prefix))
                };
                IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
            }
            IpAddr::V6(a) => {
                let mask = if prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(prefix))
                };
                IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
            }
        };
        Ok(IpCidr { network, prefix })
    }
}

impl fmt::Display for IpCidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A host: a DNS name or an IP address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// A DNS name.
    Dns(DnsName),
    /// An IP address.
    Ip(IpAddr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Dns(d) => write!(f, "{d}"),
            Host::Ip(IpAddr::V6(a)) => write!(f, "[{a}]"),
            Host::Ip(a) => write!(f, "{a}"),
        }
    }
}

/// kubeadm's `controlPlaneEndpoint`: `HOST[:PORT]`, with IPv6 hosts in brackets.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Endpoint {
    host: Host,
    port: Option<u16>,
}

impl Endpoint {
    /// The host.
    pub fn host(&self) -> &Host {
        &self.host
    }

    /// The port, if given (the API server's bind port otherwise).
    pub fn port(&self) -> Option<u16> {
        self.port
    }
}

impl FromStr for Endpoint {
    type Err = Error;

    /// `HOST`, `HOST:PORT`, `[IPv6]:PORT` or a bare IPv6 address. A URL scheme
    /// (`https://...`) or a path is refused with its own message.
    fn from_str(s: &str) -> Result<Self> {
        let bad = |problem: NetworkProblem| Error::InvalidNetwork {
            field: NetworkField::ControlPlaneEndpoint,
            value: s.to_owned(),
            problem,
        };
        let text = s.trim();
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(bad(NetworkProblem::Scheme {
                scheme: scheme.to_owned(),
            }));
        }
        if text.contains('/') || text.contains('?') || text.contains('#') {
            return Err(bad(NetworkProblem::Path));
        }
        let parse_port = |p: &str| {
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad(NetworkProblem::Port { port: p.to_owned() }))
        };
        let (host, port) = if let Some(rest) = text.strip_prefix('[') {
            let (h, after) = rest
                .split_once(']')
                .ok_or_else(|| bad(NetworkProblem::UnclosedBracket))?;
            let port = match after {
                "" => None,
                p => Some(parse_port(
                    p.strip_prefix(':')
                        .ok_or_else(|| bad(NetworkProblem::AfterBracket))?,
                )?),
            };
            (h, port)
        } else if text.matches(':').count() > 1 {
            (text, None) // a bare IPv6 address
        } else if let Some((h, p)) = text.split_once(':') {
            (h, Some(parse_port(p)?))
        } else {
            (text, None)
        };
        let host = match host.parse::<IpAddr>() {
            Ok(ip) => Host::Ip(ip),
            Err(_) => Host::Dns(DnsName::new(host).map_err(|e| match e {
                Error::InvalidSan { value, problem } => bad(NetworkProblem::Host {
                    host: value,
                    problem,
                }),
                other => other,
            })?),
        };
        Ok(Endpoint { host, port })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(p) => write!(f, "{}:{p}", self.host),
            None => write!(f, "{}", self.host),
        }
    }
}

/// Parses an IP address for the setting `field`, with an error naming it.
pub fn parse_ip(value: &str, field: NetworkField) -> Result<IpAddr> {
    value.trim().parse().map_err(|_| Error::InvalidNetwork {
        field,
        value: value.to_owned(),
        problem: NetworkProblem::NotAnIpAddress,
    })
}

/// Parses a comma-separated list of CIDRs (kubeadm's `serviceSubnet` spelling,
/// `10.96.0.0/12,fd00:10:96::/112`) for the setting `field`.
pub fn parse_cidrs(value: &str, field: NetworkField) -> Result<Vec<IpCidr>> {
    value
        .split(',')
        .map(|c| {
            c.trim().parse::<IpCidr>().map_err(|e| match e {
                Error::InvalidNetwork { value, problem, .. } => Error::InvalidNetwork {
                    field,
                    value,
                    problem,
                },
                other => other,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_extra_san_is_refused_not_dropped() {
        let err = SubjectAltNames::parse(["ok.example", "bad_name!"]).unwrap_err();
        assert!(err.to_string().contains("bad_name!"), "{err}");
    }

    #[test]
    fn malformed_cidr_is_refused() {
        for bad in ["10.96.0.0", "10.96.0.0/33", "10.96.0/12", "x/12"] {
            let err = bad.parse::<IpCidr>().unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
        assert!("10.0.0.1/32".parse::<IpCidr>().unwrap().nth(1).is_err());
        let err = parse_cidrs("10.96.0.0/12,x/1", NetworkField::ServiceCidr).unwrap_err();
        assert!(
            err.to_string().starts_with("invalid service CIDR \"x/1\""),
            "{err}"
        );
    }

    #[test]
    fn endpoints_parse_hosts_ports_and_ipv6() {
        let e: Endpoint = "[fd00::1]:443".parse().unwrap();
        assert_eq!(e.port(), Some(443));
        assert_eq!(e.to_string(), "[fd00::1]:443");
        let e: Endpoint = "cp.example".parse().unwrap();
        assert_eq!(e.port(), None);
        assert!("cp.example:0".parse::<Endpoint>().is_err());
        assert!("Bad_Host:6443".parse::<Endpoint>().is_err());
    }

    #[test]
    fn a_url_scheme_in_an_endpoint_gets_its_own_message() {
        let err = "https://cp:6443".parse::<Endpoint>().unwrap_err();
        assert!(
            matches!(&err, Error::InvalidNetwork { problem: NetworkProblem::Scheme { scheme }, .. } if scheme == "https"),
            "{err}"
        );
        assert!(err.to_string().contains("URL scheme"), "{err}");
        assert!(!err.to_string().contains("':'"), "{err}");
        let err = "cp.example.com:6443/api".parse::<Endpoint>().unwrap_err();
        assert!(err.to_string().contains("no path"), "{err}");
    }
}
