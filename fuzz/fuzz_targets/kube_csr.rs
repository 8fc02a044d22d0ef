//! `KubeCsr::read_all` / `from_yaml` / `from_json` (certificates.k8s.io/v1 objects,
//! single or List), then `approve_and_sign` under the built-in policy of the object's
//! signer, and `deny`.
//!
//! Invariants: an object that was read writes (YAML and JSON) and reads back to the same
//! JSON; an approved-and-signed object carries a certificate that passes
//! `kpki_fuzz::check_issued` and survives a write/read; a denied object is never signed.
#![no_main]

use kpki_core::{KubeCsr, SignerPolicy};
use libfuzzer_sys::fuzz_target;

fn round_trip(obj: &KubeCsr) -> String {
    let json = obj.to_json().expect("a read object writes as JSON");
    let back = KubeCsr::from_json(&json)
        .unwrap_or_else(|e| panic!("kpki cannot read the JSON it wrote: {e}\n{json}"));
    assert_eq!(
        back.to_json().expect("writes"),
        json,
        "JSON round trip changed it"
    );
    let yaml = obj.to_yaml().expect("a read object writes as YAML");
    let back = KubeCsr::from_yaml(&yaml)
        .unwrap_or_else(|e| panic!("kpki cannot read the YAML it wrote: {e}\n{yaml}"));
    assert_eq!(
        back.to_json().expect("writes"),
        json,
        "YAML round trip changed it"
    );
    json
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = KubeCsr::from_yaml(text);
    let _ = KubeCsr::from_json(text);
    let Ok(objects) = KubeCsr::read_all(text, "fuzz") else {
        return;
    };
    if let Ok(list) = KubeCsr::list_to_yaml(&objects) {
        let back = KubeCsr::read_all(&list, "list").expect("kpki reads the List it wrote");
        assert_eq!(back.len(), objects.len());
    }
    let ca = kpki_fuzz::test_ca();
    let now = kpki_fuzz::now();
    for obj in &objects {
        round_trip(obj);
        let _ = obj.is_approved();
        let policy = SignerPolicy::builtin(&obj.signer_name)
            .unwrap_or_else(|_| kpki_fuzz::policies()[3].clone());
        if let Ok(signed) = obj.approve_and_sign(ca, &policy, now) {
            assert!(!obj.is_denied());
            assert!(signed.is_approved());
            let cert = signed
                .certificate()
                .expect("a signed object has a certificate");
            kpki_fuzz::check_issued(cert, &obj.request, &policy, &obj.signing_request());
            let json = round_trip(&signed);
            let back = KubeCsr::from_json(&json).expect("reads");
            assert_eq!(back.certificate(), Some(cert), "status.certificate lost");
            assert!(
                signed.approve_and_sign(ca, &policy, now).is_err(),
                "signed twice"
            );
        }
        let denied = obj.deny("fuzz", now);
        assert!(denied.is_denied());
        assert!(
            denied.approve_and_sign(ca, &policy, now).is_err(),
            "a denied request was signed"
        );
    }
});
