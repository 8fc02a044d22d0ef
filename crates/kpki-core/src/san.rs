//! Subject alternative names and the cluster network settings they are computed from.
//!
//! [`ClusterNetwork`] turns kubeadm's inputs (node name, advertise address,
//! control-plane endpoint, service subnets, DNS domain, extra SANs) into the SAN sets of
//! kube-apiserver and etcd, by kubeadm's rules — except that an invalid extra SAN is an
//! error here (kubeadm drops it silently) and every service family of a dual-stack
//! cluster gets its `.1` address (kubeadm ≤ 1.28 only takes the first).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::cluster::Compatibility;
use crate::error::{Error, Result};
use crate::identity::NodeName;

/// RFC 1123 subdomain check shared by node names and DNS SANs (wildcard handled by the caller).
pub(crate) fn check_dns1123_subdomain(name: &str) -> std::result::Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > 253 {
        return Err(format!("{} bytes; a DNS name has at most 253", name.len()));
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err("has an empty label (leading, trailing or double dot)".into());
        }
        if label.len() > 63 {
            return Err(format!("label {label:?} is longer than 63 bytes"));
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(format!(
                "character {c:?} is not allowed (lowercase letters, digits, '-' and '.' only)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label {label:?} starts or ends with '-'"));
        }
    }
    Ok(())
}

/// A validated DNS name for a SAN: an RFC 1123 subdomain, optionally with a leading
/// `*.` wildcard label.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DnsName(String);

impl DnsName {
    /// Validates a DNS name.
    pub fn new(name: impl Into<String>) -> Result<DnsName> {
        let name = name.into();
        let rest = name.strip_prefix("*.").unwrap_or(&name);
        check_dns1123_subdomain(rest).map_err(|reason| Error::InvalidSan {
            value: name.clone(),
            reason,
        })?;
        Ok(DnsName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DnsName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        DnsName::new(s)
    }
}

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

    pub(crate) fn to_rcgen(&self) -> Result<Vec<rcgen::SanType>> {
        let mut out = Vec::with_capacity(self.len());
        for d in &self.dns {
            let ia5 =
                rcgen::string::Ia5String::try_from(d.as_str()).map_err(|e| Error::InvalidSan {
                    value: d.to_string(),
                    reason: e.to_string(),
                })?;
            out.push(rcgen::SanType::DnsName(ia5));
        }
        out.extend(self.ips.iter().map(|ip| rcgen::SanType::IpAddress(*ip)));
        Ok(out)
    }
}

/// An IP network in CIDR notation (`10.96.0.0/12`, `fd00:10:96::/112`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpCidr {
    network: IpAddr,
    prefix: u8,
}

impl IpCidr {
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
                field: "service CIDR",
                value: self.to_string(),
                reason: format!("has no address number {n} (the network is too small)"),
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
        let bad = |reason: &str| Error::InvalidNetwork {
            field: "CIDR",
            value: s.to_owned(),
            reason: reason.to_owned(),
        };
        let (addr, prefix) = s
            .trim()
            .split_once('/')
            .ok_or_else(|| bad("expected ADDRESS/PREFIX"))?;
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| bad("the address is not an IP address"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| bad("the prefix length is not a number"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(bad(&format!("the prefix length must be at most {max}")));
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
    /// The host.
    pub host: Host,
    /// The port, if given (the API server's bind port otherwise).
    pub port: Option<u16>,
}

impl FromStr for Endpoint {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |reason: String| Error::InvalidNetwork {
            field: "control-plane endpoint",
            value: s.to_owned(),
            reason,
        };
        let s = s.trim();
        let parse_port = |p: &str| {
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| bad(format!("port {p:?} is not a number from 1 to 65535")))
        };
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let (h, after) = rest
                .split_once(']')
                .ok_or_else(|| bad("unclosed '['".into()))?;
            let port = match after {
                "" => None,
                p => Some(parse_port(
                    p.strip_prefix(':')
                        .ok_or_else(|| bad("expected ':' after ']'".into()))?,
                )?),
            };
            (h, port)
        } else if s.matches(':').count() > 1 {
            (s, None) // a bare IPv6 address
        } else if let Some((h, p)) = s.split_once(':') {
            (h, Some(parse_port(p)?))
        } else {
            (s, None)
        };
        let host = match host.parse::<IpAddr>() {
            Ok(ip) => Host::Ip(ip),
            Err(_) => Host::Dns(DnsName::new(host).map_err(|e| bad(e.to_string()))?),
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

/// The network settings of a control-plane node: everything the SAN sets and the
/// kubeconfig server URLs are computed from. Defaults are kubeadm's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterNetwork {
    /// The node's name (`nodeRegistration.name`).
    pub node_name: NodeName,
    /// The API server's advertise address (`localAPIEndpoint.advertiseAddress`).
    pub advertise_address: IpAddr,
    /// The API server's port (`localAPIEndpoint.bindPort`, default 6443).
    pub bind_port: u16,
    /// The shared endpoint of the control plane (`controlPlaneEndpoint`), if any.
    pub control_plane_endpoint: Option<Endpoint>,
    /// The service subnets (`networking.serviceSubnet`; two for dual-stack), default `10.96.0.0/12`.
    pub service_subnets: Vec<IpCidr>,
    /// The cluster DNS domain (`networking.dnsDomain`), default `cluster.local`.
    pub dns_domain: DnsName,
    /// Extra SANs for the API server (`apiServer.certSANs`).
    pub apiserver_extra_sans: SubjectAltNames,
    /// Extra SANs for etcd's server certificate (`etcd.local.serverCertSANs`).
    pub etcd_server_extra_sans: SubjectAltNames,
    /// Extra SANs for etcd's peer certificate (`etcd.local.peerCertSANs`).
    pub etcd_peer_extra_sans: SubjectAltNames,
}

/// kubeadm's default service subnet.
pub const DEFAULT_SERVICE_SUBNET: &str = "10.96.0.0/12";
/// kubeadm's default DNS domain.
pub const DEFAULT_DNS_DOMAIN: &str = "cluster.local";
/// kubeadm's default API server port.
pub const DEFAULT_BIND_PORT: u16 = 6443;

impl ClusterNetwork {
    /// Settings for `node_name` advertising `advertise_address`, with kubeadm's defaults
    /// for the rest.
    pub fn new(node_name: NodeName, advertise_address: IpAddr) -> ClusterNetwork {
        ClusterNetwork {
            node_name,
            advertise_address,
            bind_port: DEFAULT_BIND_PORT,
            control_plane_endpoint: None,
            service_subnets: vec![IpCidr {
                network: IpAddr::V4(Ipv4Addr::new(10, 96, 0, 0)),
                prefix: 12,
            }],
            dns_domain: DnsName(DEFAULT_DNS_DOMAIN.to_owned()),
            apiserver_extra_sans: SubjectAltNames::new(),
            etcd_server_extra_sans: SubjectAltNames::new(),
            etcd_peer_extra_sans: SubjectAltNames::new(),
        }
    }

    /// Checks settings that no single type can: at least one, at most two service
    /// subnets (one per family), each big enough for a `.1`.
    pub fn validate(&self) -> Result<()> {
        match self.service_subnets.as_slice() {
            [] => {
                return Err(Error::InvalidNetwork {
                    field: "service CIDR",
                    value: String::new(),
                    reason: "at least one service subnet is required".into(),
                });
            }
            [a, b] if a.network.is_ipv4() == b.network.is_ipv4() => {
                return Err(Error::InvalidNetwork {
                    field: "service CIDR",
                    value: format!("{a},{b}"),
                    reason: "a dual-stack cluster needs one IPv4 and one IPv6 subnet".into(),
                });
            }
            [_, _, _, ..] => {
                return Err(Error::InvalidNetwork {
                    field: "service CIDR",
                    value: self
                        .service_subnets
                        .iter()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join(","),
                    reason: "at most two service subnets (IPv4 and IPv6)".into(),
                });
            }
            _ => {}
        }
        for cidr in &self.service_subnets {
            cidr.nth(1)?;
        }
        if self.bind_port == 0 {
            return Err(Error::InvalidNetwork {
                field: "bind port",
                value: "0".into(),
                reason: "must be from 1 to 65535".into(),
            });
        }
        Ok(())
    }

    /// The API server's service IPs: the `.1` of each service subnet (kubeadm 1.28: the
    /// first subnet only).
    pub fn apiserver_service_ips(&self, compat: Compatibility) -> Result<Vec<IpAddr>> {
        let take = match compat {
            Compatibility::Kubeadm128 => 1,
            Compatibility::Current => self.service_subnets.len(),
        };
        self.service_subnets
            .iter()
            .take(take)
            .map(|c| c.nth(1))
            .collect()
    }

    /// The API server's SANs: node name, `kubernetes`, `kubernetes.default`,
    /// `kubernetes.default.svc`, `kubernetes.default.svc.<domain>`, the endpoint host,
    /// the extra DNS names (sorted, as kubeadm does); the service IP(s), the advertise
    /// address, the endpoint IP and the extra IPs.
    pub fn apiserver_sans(&self, compat: Compatibility) -> Result<SubjectAltNames> {
        let mut sans = SubjectAltNames::new();
        for name in [
            self.node_name.as_str().to_owned(),
            "kubernetes".to_owned(),
            "kubernetes.default".to_owned(),
            "kubernetes.default.svc".to_owned(),
            format!("kubernetes.default.svc.{}", self.dns_domain),
        ] {
            sans.push_dns(DnsName::new(name)?);
        }
        for ip in self.apiserver_service_ips(compat)? {
            sans.push_ip(ip);
        }
        sans.push_ip(self.advertise_address);
        if let Some(ep) = &self.control_plane_endpoint {
            match &ep.host {
                Host::Dns(d) => sans.push_dns(d.clone()),
                Host::Ip(ip) => sans.push_ip(*ip),
            }
        }
        sans.extend(&self.apiserver_extra_sans);
        sans.sort_dns();
        Ok(sans)
    }

    fn etcd_base_sans(&self) -> SubjectAltNames {
        let mut sans = SubjectAltNames::new();
        sans.push_dns(DnsName(self.node_name.as_str().to_owned()));
        sans.push_dns(DnsName("localhost".to_owned()));
        sans.push_ip(self.advertise_address);
        sans.push_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        sans.push_ip(IpAddr::V6(Ipv6Addr::LOCALHOST));
        sans
    }

    /// etcd's server SANs: node name, `localhost`; advertise address, 127.0.0.1, ::1;
    /// plus `etcd.local.serverCertSANs`. The DNS names are sorted, as kubeadm's
    /// `RemoveDuplicateAltNames` sorts them for every certificate it signs (so node
    /// `node01` gets `localhost, node01`, node `cp-1` gets `cp-1, localhost`).
    pub fn etcd_server_sans(&self) -> SubjectAltNames {
        let mut sans = self.etcd_base_sans();
        sans.extend(&self.etcd_server_extra_sans);
        sans.sort_dns();
        sans
    }

    /// etcd's peer SANs: as the server's, plus `etcd.local.peerCertSANs` (DNS names sorted).
    pub fn etcd_peer_sans(&self) -> SubjectAltNames {
        let mut sans = self.etcd_base_sans();
        sans.extend(&self.etcd_peer_extra_sans);
        sans.sort_dns();
        sans
    }

    /// The URL clients use for the API server: the control-plane endpoint (with the
    /// bind port if it names none), else the advertise address and bind port.
    pub fn apiserver_url(&self) -> String {
        match &self.control_plane_endpoint {
            Some(ep) => format!("https://{}:{}", ep.host, ep.port.unwrap_or(self.bind_port)),
            None => self.local_apiserver_url(),
        }
    }

    /// The URL of this node's own API server (kubeadm points controller-manager.conf
    /// and scheduler.conf at it).
    pub fn local_apiserver_url(&self) -> String {
        let host = Host::Ip(self.advertise_address);
        format!("https://{host}:{}", self.bind_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn network() -> ClusterNetwork {
        let mut n = ClusterNetwork::new(
            NodeName::new("node01").unwrap(),
            "10.0.0.10".parse().unwrap(),
        );
        n.control_plane_endpoint = Some("cp.example.internal:6443".parse().unwrap());
        n.apiserver_extra_sans =
            SubjectAltNames::parse(["extra.example.com", "192.0.2.7"]).unwrap();
        n
    }

    #[test]
    fn apiserver_cert_covers_every_service_name() {
        let sans = network().apiserver_sans(Compatibility::Current).unwrap();
        let dns: Vec<&str> = sans.dns_names().iter().map(DnsName::as_str).collect();
        assert_eq!(
            dns,
            [
                "cp.example.internal",
                "extra.example.com",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
                "node01"
            ]
        );
        let ips: Vec<String> = sans.ip_addresses().iter().map(|i| i.to_string()).collect();
        assert_eq!(ips, ["10.96.0.1", "10.0.0.10", "192.0.2.7"]);
    }

    #[test]
    fn dual_stack_gets_both_service_ips_unless_kubeadm_128() {
        let mut n = network();
        n.service_subnets = vec![
            "10.96.0.0/12".parse().unwrap(),
            "fd00:10:96::/112".parse().unwrap(),
        ];
        n.validate().unwrap();
        let cur = n.apiserver_sans(Compatibility::Current).unwrap();
        assert!(
            cur.ip_addresses()
                .contains(&"fd00:10:96::1".parse().unwrap())
        );
        let old = n.apiserver_sans(Compatibility::Kubeadm128).unwrap();
        assert!(
            !old.ip_addresses()
                .contains(&"fd00:10:96::1".parse().unwrap())
        );
    }

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
    }

    #[test]
    fn endpoints_parse_hosts_ports_and_ipv6() {
        let e: Endpoint = "[fd00::1]:443".parse().unwrap();
        assert_eq!(e.port, Some(443));
        assert_eq!(e.to_string(), "[fd00::1]:443");
        let e: Endpoint = "cp.example".parse().unwrap();
        assert_eq!(e.port, None);
        assert!("cp.example:0".parse::<Endpoint>().is_err());
        assert!("Bad_Host:6443".parse::<Endpoint>().is_err());
    }

    #[test]
    fn etcd_sans_follow_kubeadm_order() {
        let s: Vec<String> = network()
            .etcd_server_sans()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            s,
            [
                "DNS:localhost",
                "DNS:node01",
                "IP:10.0.0.10",
                "IP:127.0.0.1",
                "IP:::1"
            ]
        );
    }
}
