//! The network settings of a control-plane node, and the SAN sets and server URLs
//! computed from them.
//!
//! [`ClusterNetwork`] turns kubeadm's inputs (node name, advertise address,
//! control-plane endpoint, service subnets, DNS domain, extra SANs) into the SAN sets of
//! kube-apiserver and etcd, by kubeadm's rules — except that an invalid extra SAN is an
//! error here (kubeadm drops it silently) and every service family of a dual-stack
//! cluster gets its `.1` address (kubeadm ≤ 1.28 only takes the first). Every setting is
//! checked when it is set, so the SAN sets are computed without a second check.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::dns::{DnsName, NodeName};
use crate::error::{Error, NetworkField, NetworkProblem, Result};
use crate::names::Compatibility;
use crate::san::{Endpoint, Host, IpCidr, SubjectAltNames};

/// kubeadm's default service subnet.
pub const DEFAULT_SERVICE_SUBNET: &str = "10.96.0.0/12";
/// kubeadm's default DNS domain.
pub const DEFAULT_DNS_DOMAIN: &str = "cluster.local";
/// kubeadm's default API server port.
pub const DEFAULT_BIND_PORT: u16 = 6443;

/// The API server's in-cluster names, but the `.svc.<domain>` one.
const APISERVER_SERVICE_NAMES: [&str; 3] =
    ["kubernetes", "kubernetes.default", "kubernetes.default.svc"];

/// The network settings of a control-plane node: everything the SAN sets and the
/// kubeconfig server URLs are computed from. Defaults are kubeadm's; every `with_*`
/// checks its value, so a `ClusterNetwork` is always consistent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterNetwork {
    node_name: NodeName,
    advertise_address: IpAddr,
    bind_port: u16,
    control_plane_endpoint: Option<Endpoint>,
    service_subnets: Vec<IpCidr>,
    service_ips: Vec<IpAddr>,
    dns_domain: DnsName,
    service_domain_name: DnsName,
    apiserver_extra_sans: SubjectAltNames,
    etcd_server_extra_sans: SubjectAltNames,
    etcd_peer_extra_sans: SubjectAltNames,
}

impl ClusterNetwork {
    /// Settings for `node_name` advertising `advertise_address`, with kubeadm's defaults
    /// for the rest (port 6443, service subnet 10.96.0.0/12, DNS domain cluster.local).
    pub fn new(node_name: NodeName, advertise_address: IpAddr) -> ClusterNetwork {
        ClusterNetwork {
            node_name,
            advertise_address,
            bind_port: DEFAULT_BIND_PORT,
            control_plane_endpoint: None,
            service_subnets: vec![IpCidr::DEFAULT_SERVICE_SUBNET],
            service_ips: vec![IpAddr::V4(Ipv4Addr::new(10, 96, 0, 1))],
            dns_domain: DnsName::cluster_local(),
            service_domain_name: DnsName::cluster_local_service(),
            apiserver_extra_sans: SubjectAltNames::new(),
            etcd_server_extra_sans: SubjectAltNames::new(),
            etcd_peer_extra_sans: SubjectAltNames::new(),
        }
    }

    /// The API server's port (1–65535).
    pub fn with_bind_port(mut self, port: u16) -> Result<ClusterNetwork> {
        if port == 0 {
            return Err(Error::InvalidNetwork {
                field: NetworkField::BindPort,
                value: "0".into(),
                problem: NetworkProblem::Port { port: "0".into() },
            });
        }
        self.bind_port = port;
        Ok(self)
    }

    /// The shared endpoint of the control plane.
    pub fn with_control_plane_endpoint(mut self, endpoint: Option<Endpoint>) -> ClusterNetwork {
        self.control_plane_endpoint = endpoint;
        self
    }

    /// The service subnets: one, or one IPv4 and one IPv6 (dual-stack), each with room
    /// for a `.1`.
    pub fn with_service_subnets(mut self, subnets: Vec<IpCidr>) -> Result<ClusterNetwork> {
        let bad = |value: String, problem| Error::InvalidNetwork {
            field: NetworkField::ServiceCidr,
            value,
            problem,
        };
        let joined = || {
            subnets
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        };
        match subnets.as_slice() {
            [] => return Err(bad(String::new(), NetworkProblem::NoServiceSubnet)),
            [a, b] if a.network().is_ipv4() == b.network().is_ipv4() => {
                return Err(bad(joined(), NetworkProblem::SameFamily));
            }
            [_, _, _, ..] => return Err(bad(joined(), NetworkProblem::TooManySubnets)),
            _ => {}
        }
        self.service_ips = subnets.iter().map(|c| c.nth(1)).collect::<Result<_>>()?;
        self.service_subnets = subnets;
        Ok(self)
    }

    /// The cluster DNS domain (short enough that `kubernetes.default.svc.<domain>` is
    /// still a DNS name).
    pub fn with_dns_domain(mut self, domain: DnsName) -> Result<ClusterNetwork> {
        self.service_domain_name = domain.prefixed("kubernetes.default.svc")?;
        self.dns_domain = domain;
        Ok(self)
    }

    /// Extra SANs for the API server (`apiServer.certSANs`).
    pub fn with_apiserver_extra_sans(mut self, sans: SubjectAltNames) -> ClusterNetwork {
        self.apiserver_extra_sans = sans;
        self
    }

    /// Extra SANs for etcd's server certificate (`etcd.local.serverCertSANs`).
    pub fn with_etcd_server_extra_sans(mut self, sans: SubjectAltNames) -> ClusterNetwork {
        self.etcd_server_extra_sans = sans;
        self
    }

    /// Extra SANs for etcd's peer certificate (`etcd.local.peerCertSANs`).
    pub fn with_etcd_peer_extra_sans(mut self, sans: SubjectAltNames) -> ClusterNetwork {
        self.etcd_peer_extra_sans = sans;
        self
    }

    /// The node's name (`nodeRegistration.name`).
    pub fn node_name(&self) -> &NodeName {
        &self.node_name
    }

    /// The API server's advertise address (`localAPIEndpoint.advertiseAddress`).
    pub fn advertise_address(&self) -> IpAddr {
        self.advertise_address
    }

    /// The API server's port (`localAPIEndpoint.bindPort`).
    pub fn bind_port(&self) -> u16 {
        self.bind_port
    }

    /// The shared endpoint of the control plane (`controlPlaneEndpoint`), if any.
    pub fn control_plane_endpoint(&self) -> Option<&Endpoint> {
        self.control_plane_endpoint.as_ref()
    }

    /// The service subnets (`networking.serviceSubnet`).
    pub fn service_subnets(&self) -> &[IpCidr] {
        &self.service_subnets
    }

    /// The cluster DNS domain (`networking.dnsDomain`).
    pub fn dns_domain(&self) -> &DnsName {
        &self.dns_domain
    }

    /// Extra SANs for the API server.
    pub fn apiserver_extra_sans(&self) -> &SubjectAltNames {
        &self.apiserver_extra_sans
    }

    /// Extra SANs for etcd's server certificate.
    pub fn etcd_server_extra_sans(&self) -> &SubjectAltNames {
        &self.etcd_server_extra_sans
    }

    /// Extra SANs for etcd's peer certificate.
    pub fn etcd_peer_extra_sans(&self) -> &SubjectAltNames {
        &self.etcd_peer_extra_sans
    }

    /// The API server's service IPs: the `.1` of each service subnet (kubeadm 1.28: the
    /// first subnet only).
    pub fn apiserver_service_ips(&self, compat: Compatibility) -> &[IpAddr] {
        match compat {
            Compatibility::Kubeadm128 => &self.service_ips[..1.min(self.service_ips.len())],
            Compatibility::Current => &self.service_ips,
        }
    }

    /// The API server's SANs: node name, `kubernetes`, `kubernetes.default`,
    /// `kubernetes.default.svc`, `kubernetes.default.svc.<domain>`, the endpoint host,
    /// the extra DNS names (sorted, as kubeadm does); the service IP(s), the advertise
    /// address, the endpoint IP and the extra IPs.
    pub fn apiserver_sans(&self, compat: Compatibility) -> SubjectAltNames {
        let mut sans = SubjectAltNames::new();
        sans.push_dns(DnsName::from(&self.node_name));
        for name in APISERVER_SERVICE_NAMES {
            sans.push_dns(DnsName::known(name));
        }
        sans.push_dns(self.service_domain_name.clone());
        for ip in self.apiserver_service_ips(compat) {
            sans.push_ip(*ip);
        }
        sans.push_ip(self.advertise_address);
        if let Some(ep) = &self.control_plane_endpoint {
            match ep.host() {
                Host::Dns(d) => sans.push_dns(d.clone()),
                Host::Ip(ip) => sans.push_ip(*ip),
            }
        }
        sans.extend(&self.apiserver_extra_sans);
        sans.sort_dns();
        sans
    }

    fn etcd_base_sans(&self) -> SubjectAltNames {
        let mut sans = SubjectAltNames::new();
        sans.push_dns(DnsName::from(&self.node_name));
        sans.push_dns(DnsName::known("localhost"));
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
            Some(ep) => format!(
                "https://{}:{}",
                ep.host(),
                ep.port().unwrap_or(self.bind_port)
            ),
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
        ClusterNetwork::new(
            NodeName::new("node01").unwrap(),
            "10.0.0.10".parse().unwrap(),
        )
        .with_control_plane_endpoint(Some("cp.example.internal:6443".parse().unwrap()))
        .with_apiserver_extra_sans(
            SubjectAltNames::parse(["extra.example.com", "192.0.2.7"]).unwrap(),
        )
    }

    #[test]
    fn apiserver_cert_covers_every_service_name() {
        let sans = network().apiserver_sans(Compatibility::Current);
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
        let n = network()
            .with_service_subnets(vec![
                "10.96.0.0/12".parse().unwrap(),
                "fd00:10:96::/112".parse().unwrap(),
            ])
            .unwrap();
        let v6: IpAddr = "fd00:10:96::1".parse().unwrap();
        let cur = n.apiserver_sans(Compatibility::Current);
        assert!(cur.ip_addresses().contains(&v6));
        let old = n.apiserver_sans(Compatibility::Kubeadm128);
        assert!(!old.ip_addresses().contains(&v6));
    }

    #[test]
    fn inconsistent_settings_are_refused_when_set() {
        let two_v4 = vec![
            "10.96.0.0/12".parse().unwrap(),
            "10.0.0.0/8".parse().unwrap(),
        ];
        let err = network().with_service_subnets(two_v4).unwrap_err();
        assert!(err.to_string().contains("one IPv4 and one IPv6"), "{err}");
        let tiny = vec!["10.0.0.1/32".parse().unwrap()];
        assert!(network().with_service_subnets(tiny).is_err());
        assert!(network().with_service_subnets(vec![]).is_err());
        assert!(network().with_bind_port(0).is_err());
        let long = DnsName::new(format!("{}example", "a.".repeat(120))).unwrap();
        let err = network().with_dns_domain(long).unwrap_err();
        assert!(err.to_string().contains("at most 253"), "{err}");
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
