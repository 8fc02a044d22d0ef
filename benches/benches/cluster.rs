//! Whole jobs: a full kubeadm cluster PKI in memory (16 keys, 12 leaves, 3 CAs,
//! 5 kubeconfigs), and kubelet client certificates for 10, 100 and 1000 nodes.
//!
//! `cargo bench -p kpki-benches --bench cluster`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use kpki_benches::{example_spec, node_names};
use kpki_core::{
    CaRequest, CertificateAuthority, CertificateProfile, Identity, KeyAlgorithm, LeafRequest,
    PrivateKey,
};

fn full_pki(c: &mut Criterion) {
    let mut g = c.benchmark_group("cluster");
    for (alg, samples, secs) in [
        // RSA keygen dominates and varies a lot: many equal samples.
        (KeyAlgorithm::Rsa2048, 30, 40),
        (KeyAlgorithm::EcdsaP256, 100, 5),
    ] {
        let spec = example_spec(alg).unwrap();
        g.sampling_mode(if alg.is_rsa() {
            SamplingMode::Flat
        } else {
            SamplingMode::Auto
        });
        g.sample_size(samples);
        g.measurement_time(Duration::from_secs(secs));
        g.bench_function(alg.name(), |b| {
            b.iter(|| black_box(&spec).generate(SystemTime::now()).unwrap())
        });
    }
    g.finish();
}

/// Kubelet client certificates for many nodes from one CA (what a CSR signer does for a
/// fleet), keys generated per node: ECDSA P-256, so the per-node cost is the signing
/// path's and not RSA prime search.
fn nodes(c: &mut Criterion) {
    let now = SystemTime::now();
    let alg = KeyAlgorithm::EcdsaP256;
    let ca = CertificateAuthority::new_root(
        &CaRequest::new("kubernetes"),
        PrivateKey::generate(alg).unwrap(),
        now,
    )
    .unwrap();
    let mut g = c.benchmark_group("nodes");
    g.sampling_mode(SamplingMode::Flat);
    g.sample_size(20);
    for n in [10usize, 100, 1000] {
        let names = node_names(n).unwrap();
        g.throughput(Throughput::Elements(n as u64));
        g.measurement_time(Duration::from_secs(if n >= 1000 { 10 } else { 4 }));
        g.bench_with_input(BenchmarkId::new("kubelet-client", n), &names, |b, names| {
            b.iter(|| {
                names
                    .iter()
                    .map(|node| {
                        let req =
                            LeafRequest::new(Identity::node(node), CertificateProfile::Client);
                        ca.issue_with_new_key(&req, alg, now).unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, full_pki, nodes);
criterion_main!(benches);
