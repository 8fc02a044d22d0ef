//! `KubeadmConfig::load` (PEM-free bytes, as a file is read), then the spec builder with
//! the file alone and with settings over it, `plan()`, and the issuing of the API server
//! certificate the file describes.
//!
//! Invariants: a config that yields a valid spec plans the API server certificate; a
//! node name given over the file always wins; the API server certificate issued from the
//! plan carries exactly the planned SANs.
#![no_main]

use std::net::IpAddr;

use kpki_core::{CertificateName, ClusterSpecBuilder, KubeadmConfig, NodeName};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(cfg) = KubeadmConfig::load(data, std::path::Path::new("fuzz.yaml")) else {
        return;
    };
    let _ = format!("{cfg:?}");
    if let Ok(node) = NodeName::new("fuzz-node") {
        let given = ClusterSpecBuilder::new()
            .kubeadm_config(cfg.clone())
            .node_name(node.clone())
            .advertise_address(IpAddr::from([10, 0, 0, 1]))
            .build();
        if let Ok(spec) = given {
            assert_eq!(spec.network().node_name(), &node, "a given node name lost");
        }
    }
    let Ok(spec) = ClusterSpecBuilder::new().kubeadm_config(cfg).build() else {
        return;
    };
    let plan = spec.plan();
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
