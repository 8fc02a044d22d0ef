//! The string parsers of network settings and choices: `Endpoint`, `IpCidr`, `DnsName`,
//! `NodeName`, `SubjectAltName(s)`, kubeadm's Go durations, `KeyAlgorithm`,
//! `Compatibility`, `CaRole`. The first byte picks the parser, the rest is the input.
//!
//! Invariants: every value parsed prints (`Display`) to a string that parses back to the
//! same value; a CIDR's network address has no host bits and is its address 0.
#![no_main]

use std::fmt::Display;
use std::net::IpAddr;
use std::str::FromStr;

use kpki_core::{
    CaRole, Compatibility, DnsName, Endpoint, GoDuration, IpCidr, KeyAlgorithm, NodeName,
    SubjectAltName, SubjectAltNames,
};
use libfuzzer_sys::fuzz_target;

fn round_trip<T>(s: &str)
where
    T: FromStr + Display + PartialEq + std::fmt::Debug,
    T::Err: Display,
{
    if let Ok(v) = s.parse::<T>() {
        let shown = v.to_string();
        match shown.parse::<T>() {
            Ok(back) => assert_eq!(back, v, "{s:?} -> {shown:?} parses differently"),
            Err(e) => panic!("{s:?} parsed, but its Display {shown:?} does not: {e}"),
        }
    }
}

fn cidr(s: &str) {
    round_trip::<IpCidr>(s);
    let Ok(c) = s.parse::<IpCidr>() else {
        return;
    };
    let max = if c.network().is_ipv4() { 32 } else { 128 };
    assert!(c.prefix_len() <= max);
    assert_eq!(c.nth(0).expect("address 0 exists"), c.network());
    let again: IpCidr = format!("{}/{}", c.network(), c.prefix_len())
        .parse()
        .expect("network/prefix parses");
    assert_eq!(again, c, "the network address has host bits set");
    for n in [1, 2, 10, u128::from(u32::MAX), u128::MAX] {
        if let Ok(ip) = c.nth(n) {
            assert_eq!(ip.is_ipv4(), c.network().is_ipv4());
            let inside: IpCidr = format!("{ip}/{}", c.prefix_len()).parse().expect("parses");
            assert_eq!(inside, c, "address {n} of {c} lies outside it");
        }
    }
}

fn sans(s: &str) {
    let Ok(set) = SubjectAltNames::parse(s.split(',')) else {
        return;
    };
    assert_eq!(set.len(), set.iter().count());
    assert_eq!(set.len(), set.dns_names().len() + set.ip_addresses().len());
    assert_eq!(set.is_empty(), set.iter().next().is_none());
    let shown: Vec<String> = set
        .iter()
        .map(|san| match san {
            SubjectAltName::Dns(d) => d.to_string(),
            SubjectAltName::Ip(ip) => ip.to_string(),
        })
        .collect();
    let back = SubjectAltNames::parse(&shown).expect("printed SANs parse");
    assert_eq!(back, set);
    let mut sorted = set.clone();
    sorted.sort_dns();
    assert_eq!(sorted.len(), set.len());
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(s) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 8 {
        0 => round_trip::<Endpoint>(s),
        1 => cidr(s),
        2 => {
            round_trip::<DnsName>(s);
            if let Ok(d) = DnsName::new(s) {
                assert_eq!(d.as_str(), s);
            }
        }
        3 => {
            round_trip::<NodeName>(s);
            if let Ok(n) = NodeName::new(s) {
                assert!(n.as_str().len() <= NodeName::MAX_BYTES);
                DnsName::new(n.as_str()).expect("a node name is a DNS name");
            }
        }
        4 => {
            sans(s);
            if let Ok(SubjectAltName::Ip(ip)) = s.parse::<SubjectAltName>() {
                assert_eq!(Ok(ip), s.trim().parse::<IpAddr>());
            }
        }
        5 => {
            // Go's syntax allows decimals, read through f64: what prints parses back to
            // the same length within the precision of an f64.
            if let Ok(d) = s.parse::<GoDuration>() {
                let shown = d.to_string();
                let back: GoDuration = shown.parse().expect("a printed duration parses");
                let (a, b) = (d.get(), back.get());
                let diff = a.max(b) - a.min(b);
                assert!(
                    diff <= a / 1_000_000_000 + std::time::Duration::from_micros(1),
                    "{s:?} -> {shown:?} -> {b:?}, not {a:?}"
                );
            }
        }
        6 => {
            round_trip::<KeyAlgorithm>(s);
            if let Some(a) = KeyAlgorithm::from_kubeadm_name(s) {
                let name = a
                    .kubeadm_name()
                    .expect("kubeadm algorithms have kubeadm names");
                assert_eq!(KeyAlgorithm::from_kubeadm_name(name), Some(a));
            }
        }
        _ => {
            round_trip::<Compatibility>(s);
            round_trip::<CaRole>(s);
        }
    }
});
