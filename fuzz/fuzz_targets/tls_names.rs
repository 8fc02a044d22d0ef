//! The text forms of general-purpose TLS names (`kpki tls --subject ATTR=VALUE --san
//! KIND:VALUE`, the C door's strings, the Python door's pairs): each input line is an
//! assignment before the first tab and a SAN after it.
//!
//! Invariants: whatever parses is written into a CSR and read back unchanged — the same
//! attributes in the same order with the same values, the same SANs — and a SAN's
//! `kind:value` text parses back to the same SAN.
#![no_main]

use kpki_core::{DistinguishedName, GeneralName, NameAttribute, TlsFields, TlsRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut subject = DistinguishedName::new();
    let mut sans = Vec::new();
    for line in text.lines().take(16) {
        let (assignment, san) = line.split_once('\t').unwrap_or((line, ""));
        if let Ok((attribute, value)) = NameAttribute::parse_assignment(assignment)
            && let Ok(name) = subject.clone().with(attribute, value)
        {
            subject = name;
        }
        if let Ok(san) = san.parse::<GeneralName>() {
            let again: GeneralName = format!("{}:{}", san.kind(), san.value())
                .parse()
                .expect("a SAN's text parses back");
            assert_eq!(again, san);
            sans.push(san);
        }
    }
    let request = TlsRequest::new(subject.clone()).with_sans(sans.clone());
    match request.to_csr(kpki_fuzz::leaf_key()) {
        Ok(csr) => {
            let back = TlsFields::of_csr(&csr).expect("reads back");
            assert_eq!(back.subject, subject, "subject round trip");
            assert_eq!(back.sans, sans, "SAN round trip");
        }
        Err(e) => assert!(subject.is_empty(), "a non-empty subject was refused: {e}"),
    }
});
