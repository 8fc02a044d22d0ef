//! DER writing primitives (X.690): tags, lengths written once into one growing buffer,
//! times, object identifiers. `crate::subject` and `crate::tbs` build every structure
//! kpki signs from these.

use std::time::SystemTime;

pub(crate) const SEQUENCE: u8 = 0x30;
pub(crate) const SET: u8 = 0x31;
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const BIT_STRING: u8 = 0x03;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const OID: u8 = 0x06;
pub(crate) const UTF8_STRING: u8 = 0x0c;
pub(crate) const PRINTABLE_STRING: u8 = 0x13;
pub(crate) const UTC_TIME: u8 = 0x17;
pub(crate) const GENERALIZED_TIME: u8 = 0x18;
pub(crate) const BOOLEAN_TRUE: [u8; 3] = [0x01, 0x01, 0xff];
/// Context-specific constructed `[0]` … `[3]` (EXPLICIT tags; `[0]` also the IMPLICIT
/// SET OF of a CertificationRequestInfo's attributes).
pub(crate) const CONTEXT_0: u8 = 0xa0;
pub(crate) const CONTEXT_3: u8 = 0xa3;

/// Appends `tag`, the DER length of what `content` writes, and that content. The
/// length is patched in afterwards (shifting the content when it needs more than one
/// byte), so nothing is encoded twice.
pub(crate) fn tlv(out: &mut Vec<u8>, tag: u8, content: impl FnOnce(&mut Vec<u8>)) {
    out.push(tag);
    let at = out.len();
    out.push(0);
    content(out);
    let len = out.len() - at - 1;
    if len < 0x80 {
        out[at] = len as u8; // < 0x80: fits
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let long = &bytes[skip..];
    out[at] = 0x80 | long.len() as u8; // at most size_of::<usize>() bytes
    out.splice(at + 1..at + 1, long.iter().copied());
}

/// A primitive TLV with `content` as is.
pub(crate) fn primitive(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    tlv(out, tag, |o| o.extend_from_slice(content));
}

/// A BIT STRING of whole bytes (no unused bits).
pub(crate) fn bit_string(out: &mut Vec<u8>, bytes: &[u8]) {
    tlv(out, BIT_STRING, |o| {
        o.push(0);
        o.extend_from_slice(bytes);
    });
}

/// `Time`: UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5),
/// whole seconds, `Z`.
pub(crate) fn time(out: &mut Vec<u8>, t: SystemTime) {
    let t = time::OffsetDateTime::from(t);
    let year = t.year();
    let two = |o: &mut Vec<u8>, v: u8| {
        o.push(b'0' + v / 10);
        o.push(b'0' + v % 10);
    };
    let utc = (1950..2050).contains(&year);
    tlv(out, if utc { UTC_TIME } else { GENERALIZED_TIME }, |o| {
        // Years beyond 0..=9999 cannot be written; time's default range stays inside.
        let y = year.clamp(0, 9999) as u32;
        if !utc {
            two(o, (y / 100) as u8);
        }
        two(o, (y % 100) as u8);
        two(o, t.month() as u8);
        two(o, t.day());
        two(o, t.hour());
        two(o, t.minute());
        two(o, t.second());
        o.push(b'Z');
    });
}

/// The DER contents of a dotted OID (`1.3.6.1.5.5.7.3.17`); `None` if it is not one.
pub(crate) fn oid_from_dotted(dotted: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u64> = dotted
        .split('.')
        .map(|a| {
            if a.is_empty() || !a.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                a.parse().ok()
            }
        })
        .collect::<Option<_>>()?;
    let (&first, rest) = arcs.split_first()?;
    let (&second, rest) = rest.split_first()?;
    if first > 2 || (first < 2 && second > 39) {
        return None;
    }
    let mut out = Vec::with_capacity(arcs.len() + 4);
    for arc in
        std::iter::once(first.checked_mul(40)?.checked_add(second)?).chain(rest.iter().copied())
    {
        let groups = (64 - arc.leading_zeros()).div_ceil(7).max(1);
        for g in (0..groups).rev() {
            let byte = ((arc >> (7 * g)) & 0x7f) as u8;
            out.push(if g == 0 { byte } else { byte | 0x80 });
        }
    }
    Some(out)
}

/// The dotted form of an OID's DER contents (X.690 §8.19); `None` if they are not one
/// (empty, a subidentifier cut short or with a leading 0x80, or an arc beyond 64 bits).
/// Written here because x509-parser's `to_id_string` misreads a first subidentifier of
/// two bytes or more (`2.224.4` comes back as `3.10.48.4`).
pub(crate) fn oid_to_dotted(content: &[u8]) -> Option<String> {
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    let mut fresh = true;
    for &b in content {
        if fresh && b == 0x80 {
            return None; // not minimal
        }
        value = value.checked_mul(128)? | u64::from(b & 0x7f);
        fresh = b & 0x80 == 0;
        if fresh {
            arcs.push(value);
            value = 0;
        }
    }
    if !fresh || arcs.is_empty() {
        return None;
    }
    let first = arcs[0];
    let (a, b) = match first {
        0..=39 => (0, first),
        40..=79 => (1, first - 40),
        _ => (2, first - 80),
    };
    let mut out = format!("{a}.{b}");
    for arc in &arcs[1..] {
        out.push('.');
        out.push_str(&arc.to_string());
    }
    Some(out)
}

/// Whether `der` is exactly one DER SEQUENCE (tag, definite length, that many bytes).
pub(crate) fn is_sequence(der: &[u8]) -> bool {
    der.first() == Some(&SEQUENCE) && is_tlv(der)
}

/// Whether `der` is exactly one DER value with a one-byte tag (definite length, that
/// many bytes).
pub(crate) fn is_tlv(der: &[u8]) -> bool {
    let [_tag, first, rest @ ..] = der else {
        return false;
    };
    let (len, content) = if *first < 0x80 {
        (usize::from(*first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return false;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |a, b| (a << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    content.len() == len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lengths_use_the_minimal_long_form() {
        let mut out = Vec::new();
        tlv(&mut out, OCTET_STRING, |o| o.extend_from_slice(&[7; 300]));
        assert_eq!(&out[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(out.len(), 304);
        let mut out = Vec::new();
        tlv(&mut out, OCTET_STRING, |o| o.extend_from_slice(&[7; 200]));
        assert_eq!(&out[..3], &[0x04, 0x81, 200]);
        let mut out = Vec::new();
        tlv(&mut out, OCTET_STRING, |o| o.extend_from_slice(&[7; 127]));
        assert_eq!(&out[..2], &[0x04, 127]);
    }

    #[test]
    fn dotted_oids_encode_and_bad_ones_are_refused() {
        assert_eq!(
            oid_from_dotted("1.3.6.1.5.5.7.3.17").unwrap(),
            [0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x11]
        );
        assert_eq!(oid_from_dotted("2.999.1").unwrap(), [0x88, 0x37, 0x01]);
        for bad in ["", "1", "1.2.x", "3.1", "1.40", "1..2", "+1.2"] {
            assert!(oid_from_dotted(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn sequences_are_recognized_exactly() {
        assert!(is_sequence(&[0x30, 0x00]));
        assert!(is_sequence(&[0x30, 0x81, 0x01, 0x05]));
        assert!(!is_sequence(&[0x30, 0x02, 0x05]));
        assert!(!is_sequence(&[0x31, 0x00]));
        assert!(is_tlv(&[0x05, 0x00]));
        for dotted in [
            "2.224.4",
            "1.2.840.113549.1.9.1",
            "2.5.29.17",
            "0.9.2342",
            "2.999.1",
        ] {
            let der = oid_from_dotted(dotted).unwrap();
            assert_eq!(oid_to_dotted(&der).as_deref(), Some(dotted));
        }
        assert_eq!(
            oid_to_dotted(&[0x82, 0x30, 0x04]).as_deref(),
            Some("2.224.4")
        );
        assert_eq!(oid_to_dotted(&[0x82]), None);
        assert_eq!(oid_to_dotted(&[]), None);
        assert_eq!(oid_to_dotted(&[0x2a, 0x80, 0x01]), None);
        assert!(!is_tlv(&[0x05, 0x01]));
        assert!(!is_tlv(&[0x05]));
    }
}
