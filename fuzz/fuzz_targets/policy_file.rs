//! `SignerPolicy::from_yaml` / `from_json` (a signer policy file), then signing a fixed
//! set of CSRs under the policy read: a `system:masters` admin, a kubelet client, a
//! kubelet serving request, a CI user in several groups with SANs.
//!
//! Invariant: every certificate issued under a policy read from a file passes
//! `kpki_fuzz::check_issued` — in particular no privileged group (`system:masters`
//! always is one) is granted unless the file allows it explicitly.
#![no_main]

use std::sync::OnceLock;

use kpki_core::{Csr, Identity, SignerPolicy, SigningRequest, SubjectAltNames};
use libfuzzer_sys::fuzz_target;

fn csrs() -> &'static [Csr] {
    static CSRS: OnceLock<Vec<Csr>> = OnceLock::new();
    CSRS.get_or_init(|| {
        let key = kpki_fuzz::requester_key();
        let make = |cn: &str, groups: &[&str], sans: &[&str]| {
            let id = Identity::new(cn, groups.iter().copied()).expect("identity");
            let sans = SubjectAltNames::parse(sans).expect("sans");
            Csr::generate(&id, &sans, key).expect("csr")
        };
        vec![
            make("admin", &["system:masters"], &[]),
            make("system:node:w1", &["system:nodes"], &[]),
            make("system:node:w1", &["system:nodes"], &["w1", "10.0.0.21"]),
            make(
                "ci-runner",
                &["ci", "team-a", "ops:admins", "system:masters"],
                &["a.ci.example.com", "10.1.2.3", "fd00::1"],
            ),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut policies = Vec::new();
    if let Ok(p) = SignerPolicy::from_yaml(text, "fuzz policy") {
        policies.push(p);
    }
    if let Ok(p) = SignerPolicy::from_json(text, "fuzz policy") {
        policies.push(p);
    }
    let ca = kpki_fuzz::test_ca();
    for policy in &policies {
        let _ = format!("{policy:?}");
        for csr in csrs() {
            let exp = kpki_fuzz::expiration(data.len());
            let mut requests = vec![SigningRequest::new(
                policy.default_usages(csr.public_key().algorithm()),
                exp,
            )];
            if let Ok(r) = SigningRequest::for_csr(csr, policy, exp) {
                requests.push(r);
            }
            for request in &requests {
                if let Ok(cert) = ca.sign_csr(csr, policy, request, kpki_fuzz::now()) {
                    kpki_fuzz::check_issued(&cert, csr, policy, request);
                }
            }
        }
    }
});
