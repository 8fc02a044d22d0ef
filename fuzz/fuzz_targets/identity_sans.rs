//! `Identity::new` (CN + groups) and `SubjectAltNames::parse`, then a certificate issued
//! for them. Input: line 1 the CN, line 2 the groups (comma-separated), line 3 the SANs
//! (comma-separated).
//!
//! Invariant: issuing never panics, and a certificate issued for an identity and SAN set
//! reads back with exactly that CN, those groups in order, and those SANs.
#![no_main]

use kpki_core::{CertificateProfile, Identity, LeafRequest, SubjectAltNames};
use libfuzzer_sys::fuzz_target;

fn list(line: &str) -> Vec<&str> {
    if line.is_empty() {
        Vec::new()
    } else {
        line.split(',').collect()
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (cn, rest) = kpki_fuzz::split_line(text);
    let (groups, rest) = kpki_fuzz::split_line(rest);
    let (names, _) = kpki_fuzz::split_line(rest);
    let Ok(identity) = Identity::new(cn, list(groups)) else {
        return;
    };
    assert_eq!(identity.common_name(), cn);
    let _ = identity.is_system_masters();
    let _ = identity.to_string();
    let Ok(sans) = SubjectAltNames::parse(list(names)) else {
        return;
    };
    let profile = if sans.is_empty() {
        CertificateProfile::Client
    } else {
        CertificateProfile::Server
    };
    let req = LeafRequest::new(identity.clone(), profile).with_sans(sans.clone());
    let ca = kpki_fuzz::test_ca();
    // Refusing is allowed (the core may limit what it can encode, e.g. the number of
    // groups); issuing something else than asked is not.
    let Ok(cert) = ca.issue(&req, kpki_fuzz::leaf_key().public_key(), kpki_fuzz::now()) else {
        return;
    };
    let info = match cert.info() {
        Ok(i) => i,
        Err(e) => panic!("kpki cannot read the certificate it issued: {e}"),
    };
    assert_eq!(
        info.subject_common_name.as_deref(),
        Some(identity.common_name())
    );
    assert_eq!(info.organizations, identity.organizations());
    assert!(!info.subject_has_other_attributes);
    let dns: Vec<&str> = sans.dns_names().iter().map(|d| d.as_str()).collect();
    let got: Vec<&str> = info.dns_names.iter().map(String::as_str).collect();
    assert_eq!(got, dns);
    assert_eq!(info.ip_addresses, sans.ip_addresses());
    ca.verify_issued(&cert, kpki_fuzz::now())
        .expect("the issued certificate verifies under its CA");
});
