//! `Csr::from_der` / `from_pem` (parse + proof of possession), then signing under each
//! built-in signer and a custom policy (`SignerPolicy::check` + `sign_csr`).
//!
//! Invariants: a parsed CSR keeps its DER and round-trips through PEM; generating a CSR
//! for the parsed subject with another key reads back the same subject; every
//! certificate issued passes `kpki_fuzz::check_issued` (no CA, no privileged group, no
//! SAN or usage that was not both requested and allowed, validity within limits).
#![no_main]

use kpki_core::Csr;
use libfuzzer_sys::fuzz_target;

fn check(csr: &Csr, selector: usize) {
    let again = Csr::from_der(csr.der()).expect("a parsed CSR re-parses");
    assert!(again == *csr);
    let from_pem = Csr::from_pem(&csr.to_pem()).expect("its PEM parses");
    assert_eq!(from_pem.der(), csr.der());
    let _ = format!("{csr:?}");
    kpki_fuzz::sign_under_policies(csr, selector);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(csr) = Csr::from_der(data) {
        assert_eq!(csr.der(), data, "from_der must keep the DER");
        check(&csr, data.len());
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(csr) = Csr::from_pem(text)
    {
        check(&csr, data.len());
    }
});
