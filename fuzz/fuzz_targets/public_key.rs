//! `PublicKey::from_spki_der` and `from_pem`.
//!
//! Invariants: a parsed key keeps its SPKI byte for byte and its PEM parses back to it;
//! verifying an arbitrary signature never panics.
#![no_main]

use kpki_core::PublicKey;
use libfuzzer_sys::fuzz_target;

fn check(key: &PublicKey) {
    let back = PublicKey::from_pem(&key.to_pem()).expect("to_pem output parses");
    assert_eq!(&back, key);
    assert_eq!(back.algorithm(), key.algorithm());
    let _ = format!("{key:?}");
    let _ = key.verify(b"message", key.spki_der());
}

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = PublicKey::from_spki_der(data) {
        assert_eq!(key.spki_der(), data, "from_spki_der must keep the DER");
        check(&key);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(key) = PublicKey::from_pem(text)
    {
        check(&key);
    }
});
