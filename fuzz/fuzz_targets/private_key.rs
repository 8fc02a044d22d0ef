//! `PrivateKey::from_pem` and `from_der` (PKCS#8, PKCS#1, SEC1).
//!
//! Invariants: a parsed key matches its own public key; `to_pem` and `to_pkcs8_pem`
//! parse back to the same key (same public key, same algorithm, and `to_pem` is stable
//! after one round trip); a signature made with it verifies with its public key.
#![no_main]

use kpki_core::{PrivateKey, PublicKey};
use libfuzzer_sys::fuzz_target;

fn check(key: &PrivateKey) {
    let public = key.public_key();
    assert!(key.matches(public));
    assert_eq!(public.algorithm(), key.algorithm());
    let spki = PublicKey::from_spki_der(public.spki_der()).expect("own SPKI re-parses");
    assert_eq!(&spki, public);

    let pem = key.to_pem();
    let back = PrivateKey::from_pem(&pem).expect("to_pem output parses");
    assert_eq!(
        back.public_key(),
        public,
        "to_pem round trip changed the key"
    );
    assert_eq!(back.algorithm(), key.algorithm());
    assert_eq!(*back.to_pem(), *pem, "to_pem is not stable");

    let pkcs8 = PrivateKey::from_pem(&key.to_pkcs8_pem()).expect("to_pkcs8_pem parses");
    assert_eq!(pkcs8.public_key(), public);
    let der = PrivateKey::from_der(&key.to_pkcs8_der()).expect("to_pkcs8_der parses");
    assert_eq!(der.public_key(), public);

    let _ = format!("{key:?}");
    let message = b"kpki fuzz";
    let signature = key.sign(message).expect("a parsed key signs");
    assert!(
        public.verify(message, &signature),
        "a signature by the parsed key does not verify with its public key"
    );
}

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = PrivateKey::from_der(data) {
        check(&key);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(key) = PrivateKey::from_pem(text)
    {
        check(&key);
    }
});
