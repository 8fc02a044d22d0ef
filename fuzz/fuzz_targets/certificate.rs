//! `Certificate::from_der`, `from_pem`, `chain_from_pem`, `load` and `load_chain` (PEM
//! or DER, as files are read), then `.info()` and `verify_issued_by` on whatever parsed.
//!
//! Invariants: a parsed certificate keeps its DER byte for byte; DER -> PEM -> DER and
//! a chain's PEM round-trip give the same certificates; the public key in `info()`
//! re-parses to itself.
#![no_main]

use kpki_core::{Certificate, PublicKey};
use libfuzzer_sys::fuzz_target;

fn check(cert: &Certificate) {
    let again = Certificate::from_der(cert.der()).expect("a parsed certificate re-parses");
    assert_eq!(&again, cert);
    let from_pem = Certificate::from_pem(&cert.to_pem()).expect("its PEM parses");
    assert_eq!(from_pem.der(), cert.der(), "PEM round trip changed the DER");
    let _ = format!("{cert:?}");
    if let Ok(info) = cert.info() {
        let pk = PublicKey::from_spki_der(info.public_key.spki_der())
            .expect("the SPKI of a parsed certificate re-parses");
        assert_eq!(pk, info.public_key);
        let _ = info.serial_hex();
        let _ = info.is_self_issued();
    }
    let _ = cert.verify_issued_by(cert);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(cert) = Certificate::from_der(data) {
        assert_eq!(cert.der(), data, "from_der must keep the DER");
        check(&cert);
    }
    if let Ok(cert) = Certificate::load(data, "fuzz") {
        check(&cert);
    }
    if let Ok(chain) = Certificate::load_chain(data, "fuzz") {
        assert!(!chain.is_empty());
        for c in &chain {
            check(c);
        }
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cert) = Certificate::from_pem(text) {
        check(&cert);
    }
    if let Ok(chain) = Certificate::chain_from_pem(text) {
        assert!(!chain.is_empty());
        let pem: String = chain.iter().map(Certificate::to_pem).collect();
        let again = Certificate::chain_from_pem(&pem).expect("chain PEM re-parses");
        assert_eq!(again, chain);
        for c in &chain {
            check(c);
        }
        if chain.len() > 1 {
            let _ = chain[0].verify_issued_by(&chain[1]);
        }
    }
});
