//! Helpers shared by the kpki fuzz targets: a fixed clock and a CA made once per process.
//!
//! Every target panics only on a broken invariant (a real bug); errors that a parser
//! returns for bad input are the expected outcome and are ignored.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kpki_core::SignerRules;
use kpki_core::{
    CaRequest, Certificate, CertificateAuthority, Csr, ExtendedKeyUsage, IpCidr, KeyAlgorithm,
    KeyUsage, PrivateKey, SignerPolicy, SigningRequest,
};

/// The fixed "now" of every target (2026-01-01T00:00:00Z), so runs are reproducible.
pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

/// An ECDSA P-256 root CA valid around [`now`], generated on first use.
pub fn test_ca() -> &'static CertificateAuthority {
    static CA: OnceLock<CertificateAuthority> = OnceLock::new();
    CA.get_or_init(|| {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("CA key");
        CertificateAuthority::new_root(&CaRequest::new("kpki-fuzz-ca"), key, now())
            .expect("fuzz CA")
    })
}

/// An ECDSA P-256 key for leaves issued inside a target, generated on first use.
pub fn leaf_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(KeyAlgorithm::EcdsaP256).expect("leaf key"))
}

/// Splits `text` at the first newline: (first line, rest).
pub fn split_line(text: &str) -> (&str, &str) {
    text.split_once('\n').unwrap_or((text, ""))
}

/// A fixed P-256 key (throwaway test material) that `csr_signed` signs fuzzed
/// CertificationRequestInfo bodies with; `make-seeds.sh` makes seed CSRs with it.
pub const REQUESTER_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgmvuYrfLQ1NUUkqKJ
MQkYRpVQgS1PEmG9tljPUN+3ws6hRANCAAQI6JnXYmPsO/x166Rqqm6mW7LRddHw
PSdu7W+S8OgJ/LiIalkgm+jzRMex4CyQQtbL6A8oMA3tCpvUCENjvg6c
-----END PRIVATE KEY-----
";

/// [`REQUESTER_KEY_PEM`], parsed once.
pub fn requester_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::from_pem(REQUESTER_KEY_PEM).expect("requester key"))
}

/// The subjectPublicKey BIT STRING of a SubjectPublicKeyInfo, read leniently (the key
/// itself, whatever the tags and length forms of the SPKI around it).
pub fn key_bits(spki: &[u8]) -> Option<&[u8]> {
    fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = b.split_first()?;
        let (&len, rest) = rest.split_first()?;
        let (len, rest) = if len < 0x80 {
            (usize::from(len), rest)
        } else {
            let n = usize::from(len & 0x7f);
            if n > 4 || rest.len() < n {
                return None;
            }
            let v = rest[..n]
                .iter()
                .fold(0usize, |a, b| (a << 8) | usize::from(*b));
            (v, &rest[n..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }
    let (_, body, _) = tlv(spki)?;
    let (_, _, rest) = tlv(body)?;
    // Any tag: x509-parser accepts a BIT STRING tagged [3] (0x83), and the key is the
    // same whatever the tag.
    // Nor the unused-bits count (x509-parser takes any), only the bytes of the key.
    let (_, bits, _) = tlv(rest)?;
    bits.get(1..)
}

/// DER header for a value of `tag` and `len` content bytes.
pub fn der_header(tag: u8, len: usize) -> Vec<u8> {
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out
}

/// A PKCS#10 CertificationRequest around `info` (the CertificationRequestInfo DER),
/// signed ecdsa-with-SHA256 by [`requester_key`]: any body the fuzzer makes passes
/// proof of possession if its SPKI is the requester's key.
pub fn sign_request_info(info: &[u8]) -> Vec<u8> {
    const ECDSA_WITH_SHA256: [u8; 12] = [
        0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
    ];
    let sig = requester_key().sign(info).expect("P-256 signs");
    let mut bits = der_header(0x03, sig.len() + 1);
    bits.push(0);
    bits.extend_from_slice(&sig);
    let body_len = info.len() + ECDSA_WITH_SHA256.len() + bits.len();
    let mut out = der_header(0x30, body_len);
    out.extend_from_slice(info);
    out.extend_from_slice(&ECDSA_WITH_SHA256);
    out.extend_from_slice(&bits);
    out
}

/// The policies every CSR is tried under: the three built-in Kubernetes signers and a
/// custom one (CN `ci-*`, groups `ci`/`team-*`, DNS `*.ci.example.com`, IPs in
/// 10.0.0.0/8, client and server auth, at most 24 h, `ops:admins` privileged).
pub fn policies() -> &'static [SignerPolicy] {
    static POLICIES: OnceLock<Vec<SignerPolicy>> = OnceLock::new();
    POLICIES.get_or_init(|| {
        let custom = SignerPolicy::from_yaml(
            "signerName: example.com/ci\ncommonName: \"ci-*\"\ngroups: [ci, \"team-*\", \"ops:admins\"]\ndnsNames: [\"*.ci.example.com\"]\nipAddresses: [10.0.0.0/8]\nusages: [digital signature, key encipherment, client auth, server auth]\nmaxValidity: 24h\nprivilegedGroups: [\"ops:admins\"]\n",
            "fuzz policy",
        )
        .expect("the fuzz custom policy parses");
        vec![
            SignerPolicy::kube_apiserver_client(),
            SignerPolicy::kubelet_client(),
            SignerPolicy::kubelet_serving(),
            custom,
        ]
    })
}

/// `expirationSeconds` values worth trying, picked by `selector`.
pub fn expiration(selector: usize) -> Option<i64> {
    const CHOICES: [Option<i64>; 8] = [
        None,
        Some(599),
        Some(600),
        Some(3600),
        Some(86_400 * 400),
        Some(i64::MAX),
        Some(-1),
        Some(i64::MIN),
    ];
    CHOICES[selector % CHOICES.len()]
}

/// Signs `csr` under `policy` for each of the usual requests (what the CSR itself asks
/// for, and the policy's defaults), checking every certificate that comes out with
/// [`check_issued`].
pub fn sign_under_policies(csr: &Csr, selector: usize) {
    let ca = test_ca();
    for policy in policies() {
        let exp = expiration(selector);
        let mut requests = vec![SigningRequest::new(
            policy.default_usages(csr.public_key().algorithm()),
            exp,
        )];
        if let Ok(r) = SigningRequest::for_csr(csr, policy, exp) {
            requests.push(r);
        }
        for request in &requests {
            if let Ok(cert) = ca.sign_csr(csr, policy, request, now()) {
                check_issued(&cert, csr, policy, request);
            }
        }
    }
}

/// What must hold of any certificate a signer issued for `csr` under `policy` and
/// `request` (at [`now`], by [`test_ca`]): these are the escalation guarantees.
pub fn check_issued(
    cert: &Certificate,
    csr: &Csr,
    policy: &SignerPolicy,
    request: &SigningRequest,
) {
    let ca = test_ca();
    if let Err(e) = ca.verify_issued(cert, now()) {
        panic!("an issued certificate does not verify under its CA: {e}");
    }
    let info = cert.info().expect("an issued certificate parses");
    let req = csr.info();
    assert!(!info.is_ca, "CA:TRUE issued from a CSR");
    if let Some(ku) = &info.key_usages {
        assert!(
            !ku.contains(&KeyUsage::KeyCertSign) && !ku.contains(&KeyUsage::CrlSign),
            "CA key usages issued from a CSR: {ku:?}"
        );
    }
    assert_eq!(info.public_key.algorithm(), csr.public_key().algorithm());
    assert_eq!(
        key_bits(info.public_key.spki_der()),
        key_bits(csr.public_key().spki_der()),
        "certified key != CSR key"
    );
    assert_eq!(
        info.subject_common_name.as_ref(),
        req.common_names.first(),
        "CN differs from the CSR"
    );
    assert_eq!(
        req.common_names.len(),
        1,
        "signed a CSR without exactly one CN"
    );
    let mut groups: Vec<String> = Vec::new();
    for o in &req.organizations {
        if !groups.contains(o) {
            groups.push(o.clone());
        }
    }
    assert_eq!(info.organizations, groups, "O values differ from the CSR");
    assert!(!info.subject_has_other_attributes);
    for g in &info.organizations {
        assert!(
            !policy.privileged_groups.contains(g) || policy.allowed_privileged_groups.contains(g),
            "privileged group {g:?} granted by {}",
            policy.signer_name
        );
    }
    let dns: Vec<&str> = req.dns_names().collect();
    for d in &info.dns_names {
        assert!(dns.contains(&d.as_str()), "DNS SAN {d:?} not in the CSR");
    }
    let ips: Vec<std::net::IpAddr> = req.ip_addresses().collect();
    for ip in &info.ip_addresses {
        assert!(ips.contains(ip), "IP SAN {ip} not in the CSR");
    }
    assert!(info.email_addresses.is_empty() && info.uris.is_empty());
    // Usages: only what was requested, and what the signer allows.
    let requested: Vec<ExtendedKeyUsage> = request
        .usages
        .iter()
        .filter_map(|u| u.extended_key_usage())
        .collect();
    for e in &info.extended_key_usages {
        assert!(requested.contains(e), "EKU {e:?} was not requested");
    }
    let node = |info: &kpki_core::CertificateInfo| {
        assert_eq!(info.organizations, ["system:nodes"]);
        assert!(
            info.subject_common_name
                .as_deref()
                .is_some_and(|cn| cn.starts_with("system:node:"))
        );
    };
    match &policy.rules {
        SignerRules::KubeApiserverClient => {
            assert_eq!(info.extended_key_usages, [ExtendedKeyUsage::ClientAuth]);
        }
        SignerRules::KubeletClient => {
            assert_eq!(info.extended_key_usages, [ExtendedKeyUsage::ClientAuth]);
            node(&info);
            assert!(info.dns_names.is_empty() && info.ip_addresses.is_empty());
        }
        SignerRules::KubeletServing => {
            assert_eq!(info.extended_key_usages, [ExtendedKeyUsage::ServerAuth]);
            node(&info);
            assert!(!(info.dns_names.is_empty() && info.ip_addresses.is_empty()));
        }
        SignerRules::Custom(rules) => {
            let cn = info.subject_common_name.as_deref().unwrap_or_default();
            assert!(
                rules.common_name.matches(cn),
                "CN {cn:?} outside the policy"
            );
            for g in &info.organizations {
                assert!(
                    rules.groups.iter().any(|p| p.matches(g))
                        || policy.allowed_privileged_groups.contains(g),
                    "group {g:?} outside the policy"
                );
            }
            for d in &info.dns_names {
                assert!(
                    rules.dns_names.iter().any(|p| p.matches(d)),
                    "DNS {d:?} outside the policy"
                );
            }
            for ip in &info.ip_addresses {
                assert!(
                    rules.ip_ranges.iter().any(|r| {
                        format!("{ip}/{}", r.prefix_len()).parse::<IpCidr>().ok() == Some(*r)
                    }),
                    "IP {ip} outside the policy"
                );
            }
            let allowed: Vec<ExtendedKeyUsage> = rules
                .usages
                .iter()
                .filter_map(|u| u.extended_key_usage())
                .collect();
            for e in &info.extended_key_usages {
                assert!(allowed.contains(e), "EKU {e:?} outside the policy");
            }
        }
        _ => {}
    }
    // Validity: backdated at most 5 minutes, never longer than asked or allowed, never
    // past the CA.
    let backdate = Duration::from_secs(300);
    assert!(info.not_before >= now() - backdate, "notBefore too early");
    assert!(info.not_after <= ca.not_after(), "outlives the CA");
    if let Some(max) = now().checked_add(policy.max_validity) {
        assert!(info.not_after <= max, "longer than the policy allows");
    }
    if let Some(s) = request.expiration_seconds {
        assert!(s >= 600, "expirationSeconds {s} accepted");
        if let Some(asked) = now().checked_add(Duration::from_secs(s.unsigned_abs())) {
            assert!(info.not_after <= asked, "longer than expirationSeconds");
        }
    }
}
