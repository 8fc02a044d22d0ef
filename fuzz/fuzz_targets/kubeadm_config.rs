//! `KubeadmConfig::from_yaml`, then `to_cluster_spec`, `apply_to`, `plan()` and the
//! issuing of the API server certificate the file describes.
//!
//! Invariants: a config that yields a valid spec plans without panicking, and the API
//! server certificate issued from the plan carries exactly the planned SANs.
#![no_main]

use std::net::IpAddr;

use kpki_core::{CertificateName, ClusterSpec, KubeadmConfig, NodeName};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cfg) = KubeadmConfig::from_yaml(text) else {
        return;
    };
    let _ = format!("{cfg:?}");
    if let Ok(node) = NodeName::new("fuzz-node") {
        let mut spec = ClusterSpec::builder(node, IpAddr::from([10, 0, 0, 1]))
            .build()
            .expect("default spec");
        cfg.apply_to(&mut spec);
        let _ = spec.validate().and_then(|()| spec.plan());
    }
    let Ok(spec) = cfg.to_cluster_spec() else {
        return;
    };
    let Ok(plan) = spec.plan() else {
        return;
    };
    let Some((_, req)) = plan.iter().find(|(n, _)| *n == CertificateName::ApiServer) else {
        panic!("a plan without the API server certificate");
    };
    // Whatever validity the file asks for, issuing one must not panic.
    let ca = kpki_fuzz::test_ca();
    let _ = ca.issue(req, kpki_fuzz::leaf_key().public_key(), kpki_fuzz::now());
    // With a validity the CA covers, it must succeed.
    let mut req = req.clone();
    req.validity = req.validity.min(std::time::Duration::from_secs(86_400));
    let cert = match ca.issue(&req, kpki_fuzz::leaf_key().public_key(), kpki_fuzz::now()) {
        Ok(c) => c,
        Err(e) => panic!("a validated spec's API server request cannot be issued: {e}"),
    };
    let info = cert.info().expect("an issued certificate parses");
    let dns: Vec<&str> = req.sans.dns_names().iter().map(|d| d.as_str()).collect();
    let got: Vec<&str> = info.dns_names.iter().map(String::as_str).collect();
    assert_eq!(got, dns, "DNS SANs differ from the plan");
    assert_eq!(info.ip_addresses, req.sans.ip_addresses(), "IP SANs differ");
    ca.verify_issued(&cert, kpki_fuzz::now())
        .expect("the issued certificate verifies");
});
