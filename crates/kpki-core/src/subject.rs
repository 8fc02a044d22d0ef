//! The one subject encoder: an [`Identity`] as a DER `Name`, for leaves, CAs and CSRs
//! alike.
//!
//! As Go's `pkix.Name` writes it (so kubeadm's certificates and kpki's agree byte for
//! byte): one RDN per O value, in order, then the CN; each value a PrintableString where
//! its characters allow (X.680 §41.4: letters, digits, space and `'()+,-./:=?`) and a
//! UTF8String otherwise.

use crate::der::{self, OID, PRINTABLE_STRING, SEQUENCE, SET, UTF8_STRING};
use crate::identity::Identity;

const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const OID_ORGANIZATION: &[u8] = &[0x55, 0x04, 0x0a];

/// Whether every character of `s` is in PrintableString's set (X.680 §41.4), `?`
/// included, as Go's `isPrintable` has it.
pub(crate) fn is_printable(s: &str) -> bool {
    s.bytes().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                b' ' | b'\'' | b'(' | b')' | b'+' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?'
            )
    })
}

/// One `RelativeDistinguishedName` of one attribute.
fn rdn(out: &mut Vec<u8>, oid: &[u8], value: &str) {
    der::tlv(out, SET, |o| {
        der::tlv(o, SEQUENCE, |o| {
            der::primitive(o, OID, oid);
            let tag = if is_printable(value) {
                PRINTABLE_STRING
            } else {
                UTF8_STRING
            };
            der::primitive(o, tag, value.as_bytes());
        });
    });
}

/// Appends the subject `Name` of `identity`: each O as its own RDN, in order, then CN.
pub(crate) fn encode(out: &mut Vec<u8>, identity: &Identity) {
    der::tlv(out, SEQUENCE, |o| {
        for org in identity.organizations() {
            rdn(o, OID_ORGANIZATION, org);
        }
        rdn(o, OID_COMMON_NAME, identity.common_name());
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(identity: &Identity) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&mut out, identity);
        out
    }

    #[test]
    fn question_marks_are_printable_and_stars_are_not() {
        // Go's asn1 writes '?' as PrintableString (X.680 allows it); '*', '_' and
        // non-ASCII go out as UTF8String.
        let der = name(&Identity::new("a?b", Vec::<String>::new()).unwrap());
        assert_eq!(der[11], PRINTABLE_STRING, "{der:02x?}");
        for s in ["a*b", "a_b", "Zoë"] {
            let der = name(&Identity::new(s, Vec::<String>::new()).unwrap());
            assert_eq!(der[11], UTF8_STRING, "{s}: {der:02x?}");
        }
    }

    #[test]
    fn every_group_gets_an_rdn_before_the_common_name() {
        let id = Identity::new("alice", ["dev", "ops"]).unwrap();
        let der = name(&id);
        let (rest, parsed) =
            <x509_parser::x509::X509Name as x509_parser::prelude::FromDer<_>>::from_der(&der)
                .unwrap();
        assert!(rest.is_empty());
        assert_eq!(parsed.to_string(), "O=dev, O=ops, CN=alice");
    }
}
