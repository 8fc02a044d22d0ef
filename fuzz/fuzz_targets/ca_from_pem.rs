//! `CertificateAuthority::from_pem` on a text holding a CA certificate (plus chain) and
//! its private key, as read from a kubeadm directory (`ca.crt` + `ca.key`).
//!
//! Invariant: a CA that loads can issue a leaf inside its validity, and that leaf
//! verifies under the CA (issuer name = CA subject, signature, validity).
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use kpki_core::{CertificateAuthority, CertificateProfile, Identity, LeafRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(ca) = CertificateAuthority::from_pem(text, text) else {
        return;
    };
    assert!(ca.can_issue());
    let _ = ca.chain_pem();
    let _ = format!("{ca:?}");
    // A whole second in the middle of the CA's validity.
    let (Ok(nb), Ok(na)) = (
        ca.not_before().duration_since(UNIX_EPOCH),
        ca.not_after().duration_since(UNIX_EPOCH),
    ) else {
        return;
    };
    if na <= nb {
        return;
    }
    let mid = nb.as_secs() + (na.as_secs() - nb.as_secs()) / 2;
    let now = UNIX_EPOCH + Duration::from_secs(mid);
    let identity = Identity::new("kpki-fuzz-leaf", ["fuzzers"]).expect("valid identity");
    let req = LeafRequest::new(identity, CertificateProfile::Client)
        .with_validity(Duration::from_secs(3600));
    if let Ok(leaf) = ca.issue(&req, kpki_fuzz::leaf_key().public_key(), now) {
        if let Err(e) = ca.verify_issued(&leaf, now) {
            panic!("a leaf issued by a loaded CA does not verify under it: {e}");
        }
        let info = leaf.info().expect("an issued leaf parses");
        assert_eq!(info.subject_common_name.as_deref(), Some("kpki-fuzz-leaf"));
        assert!(!info.is_ca);
    }
});
