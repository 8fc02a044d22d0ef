//! Fixtures shared by kpki's criterion benchmarks (`benches/*.rs`) and the two small
//! measuring programs (`src/bin/kpki-floor.rs`, `src/bin/kpki-nodes.rs`).
//!
//! The benchmarks compare what kpki does with the physical floor of the same crypto
//! backend: issuing a certificate against one raw signature of the same size, a full
//! cluster PKI against its key generations. The floor is measured with aws-lc-rs itself
//! ([`RawSigner`]), not with kpki, so kpki's own plumbing cannot hide in it.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as lc, KeyPair};
use kpki_core::{
    Certificate, ClusterSpec, ClusterSpecBuilder, KeyAlgorithm, NodeName, PrivateKey, Result,
    SubjectAltNames,
};

/// The CA algorithms the signing benchmarks cover (kubeadm's default and the fast ones).
pub const CA_ALGORITHMS: [KeyAlgorithm; 4] = [
    KeyAlgorithm::Rsa2048,
    KeyAlgorithm::EcdsaP256,
    KeyAlgorithm::EcdsaP384,
    KeyAlgorithm::Ed25519,
];

/// The job every peer script in `shared/peers/` does: node `node01` at 10.0.0.10, endpoint
/// `cp.example.internal:6443`, extra SANs `extra.example.com` and `192.0.2.7`, kubeadm's
/// current profile, keys of `algorithm`.
pub fn example_spec(algorithm: KeyAlgorithm) -> Result<ClusterSpec> {
    example_builder(algorithm)?.build()
}

/// The settings of [`example_spec`], to add to before building.
pub fn example_builder(algorithm: KeyAlgorithm) -> Result<ClusterSpecBuilder> {
    Ok(ClusterSpec::builder(
        NodeName::new("node01")?,
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 10)),
    )
    .control_plane_endpoint("cp.example.internal:6443".parse()?)
    .apiserver_extra_sans(SubjectAltNames::parse(["extra.example.com", "192.0.2.7"])?)
    .key_algorithm(algorithm))
}

/// `node1` … `node<n>`.
pub fn node_names(n: usize) -> Result<Vec<NodeName>> {
    (1..=n).map(|i| NodeName::new(format!("node{i}"))).collect()
}

/// The DER of a certificate's `TBSCertificate`: the bytes its signature covers.
pub fn tbs_der(certificate: &Certificate) -> Option<Vec<u8>> {
    let (_, parsed) = x509_parser::parse_x509_certificate(certificate.der()).ok()?;
    Some(parsed.tbs_certificate.as_ref().to_vec())
}

/// A PKCS#10 request's signed part (`CertificationRequestInfo` DER) and its signature:
/// what checking proof of possession verifies.
pub fn csr_signed_parts(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    use x509_parser::prelude::FromDer;
    let (_, req) =
        x509_parser::certification_request::X509CertificationRequest::from_der(der).ok()?;
    Some((
        req.certification_request_info.raw.to_vec(),
        req.signature_value.data.to_vec(),
    ))
}

/// The same private key as an aws-lc-rs key pair: the backend kpki signs with, called
/// directly, with the X.509 signature scheme of the key's algorithm.
pub enum RawSigner {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rsa(lc::RsaKeyPair),
    /// ECDSA (ASN.1 DER signature) with SHA-256 or SHA-384.
    Ecdsa(lc::EcdsaKeyPair),
    /// Ed25519.
    Ed25519(lc::Ed25519KeyPair),
}

impl RawSigner {
    /// Loads `key` (through its PKCS#8 form) into aws-lc-rs.
    pub fn new(key: &PrivateKey) -> Option<RawSigner> {
        let der = key.to_pkcs8_der();
        Some(match key.algorithm() {
            KeyAlgorithm::EcdsaP256 => RawSigner::Ecdsa(
                lc::EcdsaKeyPair::from_pkcs8(&lc::ECDSA_P256_SHA256_ASN1_SIGNING, &der).ok()?,
            ),
            KeyAlgorithm::EcdsaP384 => RawSigner::Ecdsa(
                lc::EcdsaKeyPair::from_pkcs8(&lc::ECDSA_P384_SHA384_ASN1_SIGNING, &der).ok()?,
            ),
            KeyAlgorithm::Ed25519 => {
                RawSigner::Ed25519(lc::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der).ok()?)
            }
            _ => RawSigner::Rsa(lc::RsaKeyPair::from_pkcs8(&der).ok()?),
        })
    }

    /// Signs `message`; `None` only if the backend fails.
    pub fn sign(&self, rng: &SystemRandom, message: &[u8]) -> Option<Vec<u8>> {
        match self {
            RawSigner::Rsa(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&lc::RSA_PKCS1_SHA256, rng, message, &mut sig).ok()?;
                Some(sig)
            }
            RawSigner::Ecdsa(k) => Some(k.sign(rng, message).ok()?.as_ref().to_vec()),
            RawSigner::Ed25519(k) => Some(k.sign(message).as_ref().to_vec()),
        }
    }

    /// The public key, as the bytes of the SubjectPublicKeyInfo's BIT STRING.
    pub fn public_key(&self) -> Vec<u8> {
        match self {
            RawSigner::Rsa(k) => k.public_key().as_ref().to_vec(),
            RawSigner::Ecdsa(k) => k.public_key().as_ref().to_vec(),
            RawSigner::Ed25519(k) => k.public_key().as_ref().to_vec(),
        }
    }
}

/// This process's peak resident set size (`VmHWM` of `/proc/self/status`), in KiB.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// CPU time (user + system) this process has used so far, all its threads, finished
/// ones included (`/proc/self/stat`, in clock ticks of 10 ms).
pub fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name (which may contain spaces).
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 of `rest`.
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// CPU time the calling thread has used so far (`/proc/thread-self/schedstat`, ns).
pub fn thread_cpu_time() -> Option<Duration> {
    // The kernel brings the running thread's total up to date when it is scheduled out.
    std::thread::yield_now();
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Duration::from_nanos(s.split(' ').next()?.parse().ok()?))
}

/// The median of `samples` (the mean of the middle two for an even count); zero if empty.
pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    match samples.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => samples[n / 2],
        n => (samples[n / 2 - 1] + samples[n / 2]) / 2,
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use kpki_core::{CertificateProfile, Identity, LeafRequest};

    use super::*;

    #[test]
    fn raw_signer_signs_what_kpki_verifies_with_the_same_key() {
        for alg in CA_ALGORITHMS.into_iter().filter(|a| !a.is_rsa()) {
            let key = PrivateKey::generate(alg).unwrap();
            let raw = RawSigner::new(&key).unwrap();
            let sig = raw.sign(&SystemRandom::new(), b"tbs").unwrap();
            assert!(key.public_key().verify(b"tbs", &sig), "{alg}");
            assert!(!key.public_key().verify(b"tbS", &sig), "{alg}");
        }
    }

    #[test]
    fn tbs_is_the_signed_part_of_an_issued_certificate() {
        let spec = example_spec(KeyAlgorithm::EcdsaP256).unwrap();
        let pki = spec.generate(SystemTime::now()).unwrap();
        let ca = pki.ca(kpki_core::CaRole::Client);
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let req = LeafRequest::new(
            Identity::node(&NodeName::new("n1").unwrap()),
            CertificateProfile::Client,
        );
        let cert = ca.issue(&req, key.public_key(), SystemTime::now()).unwrap();
        let tbs = tbs_der(&cert).unwrap();
        assert_eq!(tbs[0], 0x30);
        assert!(tbs.len() < cert.der().len());
        let (_, parsed) = x509_parser::parse_x509_certificate(cert.der()).unwrap();
        assert!(
            ca.public_key()
                .verify(&tbs, parsed.signature_value.data.as_ref())
        );
    }

    #[test]
    fn csr_signed_parts_verify_with_the_requesters_key() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let node = NodeName::new("n1").unwrap();
        let csr = kpki_core::Csr::generate(&Identity::node(&node), &SubjectAltNames::new(), &key)
            .unwrap();
        let (info, sig) = csr_signed_parts(csr.der()).unwrap();
        assert!(key.public_key().verify(&info, &sig));
        assert!(!key.public_key().verify(&info[1..], &sig));
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(&mut [ms(3), ms(1), ms(2)]), ms(2));
        assert_eq!(
            median(&mut [ms(4), ms(1), ms(2), ms(3)]),
            Duration::from_micros(2500)
        );
        assert_eq!(median(&mut []), Duration::ZERO);
    }

    #[test]
    fn peak_rss_is_read_from_proc() {
        assert!(peak_rss_kib().unwrap() > 0);
    }

    #[test]
    fn cpu_times_advance_with_work() {
        let (p0, t0) = (process_cpu_time().unwrap(), thread_cpu_time().unwrap());
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(60) {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
        }
        assert!(thread_cpu_time().unwrap() > t0);
        assert!(process_cpu_time().unwrap() >= p0);
    }
}
