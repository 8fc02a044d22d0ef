//! The PKIs the oracle tests check, made with kpki-core's public API (the door-parity
//! test, `tests/parity`, shows that the CLI, Python and C make the same ones).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::SystemTime;

use kpki_core::{
    ClusterSpecBuilder, Compatibility, KeyAlgorithm, KubeadmLayout, NodeName, SubjectAltNames,
    WriteReport,
};

pub use kpki_testkit::*;

/// SPEC.md's example inputs: node `node01`, advertise address `10.0.0.10`,
/// control-plane endpoint `cp.example.internal:6443`, extra SANs `extra.example.com`,
/// `192.0.2.7`.
pub fn example(profile: Compatibility, alg: KeyAlgorithm) -> ClusterSpecBuilder {
    ClusterSpecBuilder::new()
        .node_name(NodeName::new("node01").unwrap())
        .advertise_address("10.0.0.10".parse().unwrap())
        .control_plane_endpoint("cp.example.internal:6443".parse().unwrap())
        .apiserver_extra_sans(SubjectAltNames::parse(["extra.example.com", "192.0.2.7"]).unwrap())
        .compatibility(profile)
        .key_algorithm(alg)
}

/// `kpki init`'s core call: the spec of `builder` written under `dir` (kubeadm's
/// layout); panics on failure.
pub fn init(dir: &Path, builder: ClusterSpecBuilder) -> WriteReport {
    let spec = builder.build().unwrap();
    let (_, report) = KubeadmLayout::new(dir)
        .init(spec, SystemTime::now(), false)
        .unwrap();
    report
}

/// The example PKI (RSA-2048 unless `alg` says otherwise) under `dir`.
pub fn init_example(dir: &Path, profile: Compatibility, alg: KeyAlgorithm) -> WriteReport {
    init(dir, example(profile, alg))
}
