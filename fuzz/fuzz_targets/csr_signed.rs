//! Fuzzes what a CSR asks for rather than its encoding: the input is a
//! CertificationRequestInfo body, which the harness signs with a fixed requester key
//! (`kpki_fuzz::sign_request_info`) so that proof of possession passes whenever the body
//! carries that key. Each CSR that parses is then signed under each built-in signer and
//! a custom policy.
//!
//! Invariant: every certificate issued passes `kpki_fuzz::check_issued` (no CA, no
//! privileged group, no SAN or usage that was not both requested and allowed, subject
//! exactly the CSR's, validity within limits).
#![no_main]

use kpki_core::Csr;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let der = kpki_fuzz::sign_request_info(data);
    let Ok(csr) = Csr::from_der(&der) else {
        return;
    };
    // Proof of possession passed, so the CSR's key is the requester's (whatever its
    // encoding): a signature by the requester verifies with it.
    let message = b"proof of possession";
    let signature = kpki_fuzz::requester_key().sign(message).expect("signs");
    assert!(
        csr.public_key().verify(message, &signature),
        "a CSR passed proof of possession with another key"
    );
    kpki_fuzz::sign_under_policies(&csr, data.len());
});
