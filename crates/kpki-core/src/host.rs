//! What kpki takes from the machine it runs on when a caller names no node or address:
//! the host's name and the address of its default route's interface, as kubeadm takes
//! them (`GetHostname`, `ChooseHostInterface`).
//!
//! [`HostFacts`] is plain data, so the rule that uses it ([`crate::ClusterSpecBuilder`])
//! stays a pure function and tests can pass any facts; [`HostFacts::discover`] is the
//! one place that reads them from the system.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};

/// The host's name and default-route address, when it has them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostFacts {
    /// This host's name, trimmed and lower-cased (kubeadm lower-cases it too).
    pub hostname: Option<String>,
    /// The default route this host sends through, if it has one.
    pub default_route: Option<DefaultRoute>,
}

/// A default route and the address this host sends from on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultRoute {
    /// The interface (`eth0`).
    pub interface: String,
    /// The host's address on it.
    pub address: IpAddr,
}

impl fmt::Display for DefaultRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (the address of {}, the default route's interface)",
            self.address, self.interface
        )
    }
}

impl HostFacts {
    /// Reads the facts from this machine (Linux: `/proc`); a fact it cannot find is
    /// `None`. Sends nothing on the network: the source address of the default route is
    /// asked of the kernel with an unconnected-until-now UDP socket, which sends no packet.
    pub fn discover() -> HostFacts {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .ok()
            .map(|h| h.trim().to_lowercase())
            .filter(|h| !h.is_empty());
        let default_route = std::fs::read_to_string("/proc/net/route")
            .ok()
            .and_then(|table| ipv4_default_route(&table))
            .and_then(|(interface, gateway)| {
                let target = if gateway.is_unspecified() {
                    // An on-link default route: any off-link address takes it.
                    Ipv4Addr::new(192, 0, 2, 1)
                } else {
                    gateway
                };
                source_address(IpAddr::V4(target))
                    .map(|address| DefaultRoute { interface, address })
            })
            .or_else(|| {
                let table = std::fs::read_to_string("/proc/net/ipv6_route").ok()?;
                let interface = ipv6_default_route(&table)?;
                // 2001:db8::/32 is documentation space: routed by the default route.
                let target = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
                source_address(IpAddr::V6(target))
                    .map(|address| DefaultRoute { interface, address })
            });
        HostFacts {
            hostname,
            default_route,
        }
    }
}

/// The interface and gateway of the IPv4 default route with the lowest metric, from
/// `/proc/net/route` (columns Iface, Destination, Gateway, Flags, …, Metric, Mask;
/// addresses in hex, little-endian).
fn ipv4_default_route(table: &str) -> Option<(String, Ipv4Addr)> {
    const RTF_UP: u32 = 0x1;
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let hex = |i: usize| f.get(i).and_then(|v| u32::from_str_radix(v, 16).ok());
            let (destination, gateway, flags, mask) = (hex(1)?, hex(2)?, hex(3)?, hex(7)?);
            let metric: u32 = f.get(6)?.parse().ok()?;
            (destination == 0 && mask == 0 && flags & RTF_UP != 0).then(|| {
                let gateway = Ipv4Addr::from(gateway.swap_bytes());
                (metric, (f[0].to_owned(), gateway))
            })
        })
        .min_by_key(|(metric, _)| *metric)
        .map(|(_, route)| route)
}

/// The interface of the IPv6 default route (`::/0`) with the lowest metric, from
/// `/proc/net/ipv6_route` (destination, prefix length, …, metric, …, flags, interface).
fn ipv6_default_route(table: &str) -> Option<String> {
    const RTF_UP: u32 = 0x1;
    table
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (dest, prefix, metric, flags, iface) = (
                *f.first()?,
                *f.get(1)?,
                u32::from_str_radix(f.get(5)?, 16).ok()?,
                u32::from_str_radix(f.get(8)?, 16).ok()?,
                *f.get(9)?,
            );
            (dest.bytes().all(|b| b == b'0')
                && prefix == "00"
                && flags & RTF_UP != 0
                && iface != "lo")
                .then(|| (metric, iface.to_owned()))
        })
        .min_by_key(|(metric, _)| *metric)
        .map(|(_, iface)| iface)
}

/// The address the kernel would send from to reach `target` (a UDP `connect` picks the
/// route and source; nothing is sent). Loopback, unspecified and link-local answers do
/// not count: peers could not reach them.
fn source_address(target: IpAddr) -> Option<IpAddr> {
    let bind: SocketAddr = match target {
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(bind).ok()?;
    socket.connect((target, 9)).ok()?;
    let address = socket.local_addr().ok()?.ip();
    reachable(address).then_some(address)
}

/// Whether other machines can reach `address` (global or private unicast).
pub(crate) fn reachable(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(a) => {
            !(a.is_loopback() || a.is_unspecified() || a.is_link_local() || a.is_multicast())
        }
        IpAddr::V6(a) => {
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (a.segments()[0] & 0xffc0) == 0xfe80)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_route_with_the_lowest_metric_wins() {
        let table = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
            eth1\t00000000\t0101A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\n\
            eth0\t00000000\t0102000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n\
            eth0\t0002000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n";
        let (iface, gw) = ipv4_default_route(table).unwrap();
        assert_eq!(iface, "eth0");
        assert_eq!(gw, Ipv4Addr::new(10, 0, 2, 1));
        assert_eq!(ipv4_default_route("Iface\tDestination\n"), None);
    }

    #[test]
    fn an_ipv6_default_route_is_found_and_loopback_is_not_one() {
        let table = "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003 eth0\n\
            00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200 lo\n";
        assert_eq!(ipv6_default_route(table).as_deref(), Some("eth0"));
    }

    #[test]
    fn loopback_and_link_local_are_not_reachable() {
        for a in ["127.0.0.1", "0.0.0.0", "169.254.1.1", "::1", "fe80::1"] {
            assert!(!reachable(a.parse().unwrap()), "{a}");
        }
        for a in ["10.0.0.10", "192.168.1.2", "2001:db8::5", "fd00::1"] {
            assert!(reachable(a.parse().unwrap()), "{a}");
        }
    }
}
