//! The signing hot path: key generation, issuing one leaf next to the raw signature it
//! contains (the floor), PEM encoding.
//!
//! `cargo bench -p kpki-benches --bench signing` (criterion; add a filter such as
//! `issue/` to run one group).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use aws_lc_rs::rand::SystemRandom;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use kpki_benches::{CA_ALGORITHMS, RawSigner, csr_signed_parts, tbs_der};
use kpki_core::{
    CaRequest, CertificateAuthority, CertificateProfile, Csr, Identity, KeyAlgorithm, LeafRequest,
    NodeName, PrivateKey, SignerPolicy, SigningRequest, SubjectAltNames,
};

fn keygen(c: &mut Criterion) {
    let mut g = c.benchmark_group("keygen");
    for alg in KeyAlgorithm::ALL {
        if alg.is_rsa() {
            // Tens of milliseconds to seconds each, with a wide spread (prime search):
            // equal-sized samples, and enough of them for a stable mean.
            g.sampling_mode(SamplingMode::Flat);
            g.sample_size(if alg == KeyAlgorithm::Rsa2048 { 50 } else { 10 });
            g.measurement_time(Duration::from_secs(match alg {
                KeyAlgorithm::Rsa2048 => 8,
                KeyAlgorithm::Rsa3072 => 15,
                _ => 30,
            }));
        } else {
            g.sampling_mode(SamplingMode::Auto);
            g.sample_size(100);
            g.measurement_time(Duration::from_secs(3));
        }
        g.bench_function(alg.name(), |b| {
            b.iter(|| PrivateKey::generate(black_box(alg)).unwrap())
        });
    }
    g.finish();
}

/// A kubelet client certificate (`system:node:node01`, `system:nodes`, clientAuth): the
/// certificate a CSR signer issues most often.
fn kubelet_request() -> LeafRequest {
    LeafRequest::new(
        Identity::node(&NodeName::new("node01").unwrap()),
        CertificateProfile::Client,
    )
}

fn issue(c: &mut Criterion) {
    let now = SystemTime::now();
    let rng = SystemRandom::new();
    for alg in CA_ALGORITHMS {
        let ca_key = PrivateKey::generate(alg).unwrap();
        let raw = RawSigner::new(&ca_key).unwrap();
        let ca =
            CertificateAuthority::new_root(&CaRequest::new("kubernetes"), ca_key, now).unwrap();
        let leaf_key = PrivateKey::generate(alg).unwrap();
        let req = kubelet_request();
        // The bytes a real issuance signs, so the floor signs exactly as much.
        let tbs = tbs_der(&ca.issue(&req, leaf_key.public_key(), now).unwrap()).unwrap();
        let ca_private = ca.private_key().unwrap();

        let mut g = c.benchmark_group(format!("issue/{}", alg.name()));
        g.measurement_time(Duration::from_secs(if alg.is_rsa() { 6 } else { 4 }));
        g.bench_function("issue", |b| {
            b.iter(|| {
                ca.issue(black_box(&req), black_box(leaf_key.public_key()), now)
                    .unwrap()
            })
        });
        g.bench_function("sign-aws-lc-rs", |b| {
            b.iter(|| raw.sign(&rng, black_box(&tbs)).unwrap())
        });
        g.bench_function("sign-kpki", |b| {
            b.iter(|| ca_private.sign(black_box(&tbs)).unwrap())
        });
        g.finish();
    }
}

/// A kubelet's client CSR (P-256, as kubelets make them) signed under the
/// `kubernetes.io/kube-apiserver-client-kubelet` policy: the CSR signer's whole job
/// once the request is in memory, and with the parse (and proof-of-possession check).
fn csr(c: &mut Criterion) {
    let now = SystemTime::now();
    let rng = SystemRandom::new();
    let kubelet_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let node = NodeName::new("node01").unwrap();
    let csr = Csr::generate(
        &Identity::node(&node),
        &SubjectAltNames::new(),
        &kubelet_key,
    )
    .unwrap();
    let csr_der = csr.der().to_vec();
    let policy = SignerPolicy::kubelet_client();
    let request = SigningRequest::for_csr(&csr, &policy, None).unwrap();
    let (csr_info, csr_signature) = csr_signed_parts(&csr_der).unwrap();
    for alg in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256] {
        let ca_key = PrivateKey::generate(alg).unwrap();
        let raw = RawSigner::new(&ca_key).unwrap();
        let ca =
            CertificateAuthority::new_root(&CaRequest::new("kubernetes"), ca_key, now).unwrap();
        let tbs = tbs_der(&ca.sign_csr(&csr, &policy, &request, now).unwrap()).unwrap();

        let mut g = c.benchmark_group(format!("csr/{}", alg.name()));
        g.measurement_time(Duration::from_secs(if alg.is_rsa() { 6 } else { 4 }));
        g.bench_function("sign-csr", |b| {
            b.iter(|| {
                ca.sign_csr(black_box(&csr), &policy, &request, now)
                    .unwrap()
            })
        });
        g.bench_function("parse-and-sign-csr", |b| {
            b.iter(|| {
                let csr = Csr::from_der(black_box(&csr_der)).unwrap();
                let request = SigningRequest::for_csr(&csr, &policy, None).unwrap();
                ca.sign_csr(&csr, &policy, &request, now).unwrap()
            })
        });
        g.bench_function("sign-aws-lc-rs", |b| {
            b.iter(|| raw.sign(&rng, black_box(&tbs)).unwrap())
        });
        // Proof of possession: the CSR's own signature, verified while parsing.
        g.bench_function("verify-csr-signature", |b| {
            b.iter(|| {
                assert!(
                    kubelet_key
                        .public_key()
                        .verify(black_box(&csr_info), &csr_signature)
                )
            })
        });
        g.finish();
    }
}

fn pem(c: &mut Criterion) {
    let now = SystemTime::now();
    let mut g = c.benchmark_group("pem");
    for alg in [KeyAlgorithm::Rsa2048, KeyAlgorithm::EcdsaP256] {
        let ca_key = PrivateKey::generate(alg).unwrap();
        let ca =
            CertificateAuthority::new_root(&CaRequest::new("kubernetes"), ca_key, now).unwrap();
        let leaf = ca.issue_with_new_key(&kubelet_request(), alg, now).unwrap();
        g.bench_function(format!("certificate/{}", alg.name()), |b| {
            b.iter(|| black_box(leaf.certificate()).to_pem())
        });
        g.bench_function(format!("private-key/{}", alg.name()), |b| {
            b.iter(|| black_box(leaf.key()).to_pem())
        });
    }
    g.finish();
}

criterion_group!(benches, keygen, issue, csr, pem);
criterion_main!(benches);
