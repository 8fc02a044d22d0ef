//! The general-purpose TLS path (the charm library's rules): the input is a
//! CertificationRequestInfo body that the harness signs with a fixed requester key
//! (`kpki_fuzz::sign_request_info`), so mutated subjects, SANs and requested extensions
//! get past proof of possession. Each CSR that parses is read (`TlsFields::of_csr`),
//! checked under four `TlsPolicy`s and, where allowed, signed (`TlsPolicy::sign`) by
//! the fuzz CA, as a leaf and as a CA.
//!
//! Invariants: a certificate issued verifies under the CA; it certifies the CSR's key;
//! its subject is the CSR's; it is a CA exactly when asked for and allowed; its SANs are
//! the CSR's DNS/IP/OID/email SANs plus the subject's email, nothing else; its validity
//! never exceeds the policy's maximum or the CA's; every refusal has a relation code.
#![no_main]

use std::time::Duration;

use kpki_core::{Csr, Error, GeneralName, NameAttribute, TlsFields, TlsPolicy};
use libfuzzer_sys::fuzz_target;

fn policies() -> [TlsPolicy; 4] {
    [
        TlsPolicy::new(),
        TlsPolicy::new().with_wildcards(true).with_ca(true),
        TlsPolicy::new()
            .with_allowed_domains(["example.com"])
            .with_ip_sans(false)
            .with_max_validity(Duration::from_secs(3600)),
        TlsPolicy::new()
            .with_allowed_domains(["example.com", "svc"])
            .with_subdomains(false)
            .with_wildcards(true),
    ]
}

fuzz_target!(|data: &[u8]| {
    let der = kpki_fuzz::sign_request_info(data);
    let Ok(csr) = Csr::from_der(&der) else {
        return;
    };
    let Ok(asked) = TlsFields::of_csr(&csr) else {
        return;
    };
    let ca = kpki_fuzz::test_ca();
    let ca_key = ca.private_key().expect("the fuzz CA has its key");
    let ca_not_after = ca.not_after();
    let requested = Duration::from_secs(86_400 * (1 + data.len() as u64 % 400));
    for policy in policies() {
        for is_ca in [false, true] {
            match policy.sign(&csr, ca.certificate(), ca_key, kpki_fuzz::now(), requested, is_ca) {
                Ok(cert) => {
                    cert.verify_issued_by(ca.certificate()).expect("verifies under the CA");
                    let got = TlsFields::of_certificate(&cert).expect("reads back");
                    let info = cert.info().expect("parses");
                    assert_eq!(&info.public_key, csr.public_key(), "certifies the CSR's key");
                    assert_eq!(got.subject, asked.subject, "the CSR's subject");
                    assert_eq!(got.is_ca, is_ca, "a CA exactly when asked");
                    assert!(!is_ca || policy.allows_ca(), "a CA the policy does not allow");
                    let email = asked
                        .subject
                        .get(NameAttribute::EmailAddress)
                        .map(|e| GeneralName::Email(e.to_owned()));
                    for san in &got.sans {
                        assert!(
                            asked.sans.contains(san) || Some(san) == email.as_ref(),
                            "SAN {san:?} was not asked for"
                        );
                    }
                    for san in &asked.sans {
                        assert!(got.sans.contains(san), "SAN {san:?} was dropped");
                    }
                    let lifetime = info.not_after.duration_since(info.not_before).unwrap_or_default();
                    assert!(lifetime <= policy.max_validity(), "longer than the policy allows");
                    assert!(info.not_after <= ca_not_after, "outlives the CA");
                }
                Err(Error::TlsRefused { refusal }) => {
                    assert!(matches!(refusal.code(), 101 | 102 | 103 | 999));
                }
                Err(_) => {}
            }
        }
    }
});
