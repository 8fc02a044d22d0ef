//! The signing hot path: a leaf certificate's `TBSCertificate` (RFC 5280 §4.1) written
//! straight to DER, signed, and wrapped.
//!
//! Why not rcgen here: for every certificate rcgen re-encodes the issuer's name and
//! every OID, grows its output a byte at a time and builds a parameter struct of owned
//! strings — ~30 000 instructions, 20–25 % on top of an Ed25519 or ECDSA P-256
//! signature (BENCHMARKS.md). Everything that depends only on the CA (issuer name,
//! authorityKeyIdentifier, signature algorithm) is encoded once into an
//! [`IssuerTemplate`]; per certificate only the serial, validity, subject, public key
//! and usages are written, into one pre-sized buffer. rcgen still builds CA
//! certificates, which are rare; a unit test checks that both produce the same bytes.
//!
//! The encoding follows what rcgen wrote before (and kubeadm's fields, SPEC.md):
//! extensions in the order authorityKeyIdentifier, subjectAltName, keyUsage (critical),
//! extKeyUsage, basicConstraints `CA:FALSE` (critical); UTCTime before 2050,
//! GeneralizedTime from then on; subject O values (one RDN each, in order) then CN,
//! each a PrintableString where its characters allow and a UTF8String otherwise.

use std::net::IpAddr;
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::key::KeyAlgorithm;
use crate::profile::{ExtendedKeyUsage, KeyUsage};
use crate::san::SubjectAltNames;
use crate::signer::Signer;

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const UTF8_STRING: u8 = 0x0c;
const PRINTABLE_STRING: u8 = 0x13;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const BOOLEAN_TRUE: [u8; 3] = [0x01, 0x01, 0xff];
/// `[0] EXPLICIT` (version) and `[3] EXPLICIT` (extensions).
const CONTEXT_0: u8 = 0xa0;
const CONTEXT_3: u8 = 0xa3;
/// GeneralName `[2] IMPLICIT IA5String` and `[7] IMPLICIT OCTET STRING`.
const GENERAL_NAME_DNS: u8 = 0x82;
const GENERAL_NAME_IP: u8 = 0x87;
/// AuthorityKeyIdentifier `keyIdentifier [0] IMPLICIT OCTET STRING`.
const KEY_IDENTIFIER: u8 = 0x80;

// OID contents (without tag and length).
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const OID_ORGANIZATION: &[u8] = &[0x55, 0x04, 0x0a];
const OID_AUTHORITY_KEY_IDENTIFIER: &[u8] = &[0x55, 0x1d, 0x23];
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
const OID_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
const OID_EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
const OID_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
const OID_CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];

/// `AlgorithmIdentifier` DER of the X.509 signature a key of `algorithm` makes.
fn signature_algorithm_der(algorithm: KeyAlgorithm) -> &'static [u8] {
    match algorithm {
        // sha256WithRSAEncryption, parameters NULL (RFC 4055 §5).
        KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => &[
            0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05,
            0x00,
        ],
        // ecdsa-with-SHA256, parameters absent (RFC 5758 §3.2).
        KeyAlgorithm::EcdsaP256 => &[
            0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
        ],
        // ecdsa-with-SHA384.
        KeyAlgorithm::EcdsaP384 => &[
            0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03,
        ],
        // id-Ed25519, parameters absent (RFC 8410 §3).
        KeyAlgorithm::Ed25519 => &[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70],
    }
}

/// Appends `tag`, the DER length of what `content` writes, and that content. The
/// length is patched in afterwards (shifting the content when it needs more than one
/// byte), so nothing is encoded twice.
fn tlv(out: &mut Vec<u8>, tag: u8, content: impl FnOnce(&mut Vec<u8>)) {
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

fn primitive(out: &mut Vec<u8>, tag: u8, content: &[u8]) {
    tlv(out, tag, |o| o.extend_from_slice(content));
}

/// `Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue }`.
fn extension(out: &mut Vec<u8>, oid: &[u8], critical: bool, value: impl FnOnce(&mut Vec<u8>)) {
    tlv(out, SEQUENCE, |o| {
        primitive(o, OID, oid);
        if critical {
            o.extend_from_slice(&BOOLEAN_TRUE);
        }
        tlv(o, OCTET_STRING, value);
    });
}

/// Whether every character of `s` is in PrintableString's set (X.680 §41.4).
fn is_printable(s: &str) -> bool {
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
    tlv(out, SET, |o| {
        tlv(o, SEQUENCE, |o| {
            primitive(o, OID, oid);
            let tag = if is_printable(value) {
                PRINTABLE_STRING
            } else {
                UTF8_STRING
            };
            primitive(o, tag, value.as_bytes());
        });
    });
}

/// The subject `Name`: each O as its own RDN, in order, then CN.
fn subject_name(out: &mut Vec<u8>, identity: &Identity) {
    tlv(out, SEQUENCE, |o| {
        for org in identity.organizations() {
            rdn(o, OID_ORGANIZATION, org);
        }
        rdn(o, OID_COMMON_NAME, identity.common_name());
    });
}

/// `Time`: UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5280 §4.1.2.5).
fn time(out: &mut Vec<u8>, t: SystemTime) {
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
fn oid_from_dotted(dotted: &str) -> Option<Vec<u8>> {
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

/// The KeyUsage BIT STRING (named bits, trailing zeros dropped: X.690 §11.2.2).
fn key_usage_bits(usages: &[KeyUsage]) -> Vec<u8> {
    let bits = usages.iter().fold(0u16, |acc, u| {
        acc | (0x8000
            >> match u {
                KeyUsage::DigitalSignature => 0,
                KeyUsage::ContentCommitment => 1,
                KeyUsage::KeyEncipherment => 2,
                KeyUsage::DataEncipherment => 3,
                KeyUsage::KeyAgreement => 4,
                KeyUsage::KeyCertSign => 5,
                KeyUsage::CrlSign => 6,
                KeyUsage::EncipherOnly => 7,
                KeyUsage::DecipherOnly => 8,
            })
    });
    let used = 16 - bits.trailing_zeros(); // 0..=16
    let bytes = bits.to_be_bytes();
    match used {
        0 => vec![0],
        1..=8 => vec![(8 - used) as u8, bytes[0]],
        _ => vec![(16 - used) as u8, bytes[0], bytes[1]],
    }
}

/// What a CA puts into every certificate it issues, encoded once.
#[derive(Clone, Debug)]
pub(crate) struct IssuerTemplate {
    signature_algorithm: &'static [u8],
    /// The CA certificate's subject `Name`, byte for byte (path building compares it).
    name: Vec<u8>,
    /// The whole authorityKeyIdentifier `Extension`.
    authority_key_identifier: Vec<u8>,
}

impl IssuerTemplate {
    /// From the (parsed) CA certificate and the algorithm of its key. The key identifier
    /// is the certificate's subjectKeyIdentifier; without one, the leading 20 bytes of the
    /// SHA-256 of its SubjectPublicKeyInfo (RFC 7093 §2 method 1, as rcgen derives it).
    pub(crate) fn new(
        ca: &x509_parser::certificate::X509Certificate<'_>,
        algorithm: KeyAlgorithm,
    ) -> IssuerTemplate {
        use x509_parser::extensions::ParsedExtension;
        let ski = ca
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
                _ => None,
            });
        let key_id = match ski {
            Some(id) => id,
            None => {
                let spki = ca.tbs_certificate.subject_pki.raw;
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, spki).as_ref()[..20].to_vec()
            }
        };
        let mut authority_key_identifier = Vec::with_capacity(key_id.len() + 16);
        extension(
            &mut authority_key_identifier,
            OID_AUTHORITY_KEY_IDENTIFIER,
            false,
            |o| tlv(o, SEQUENCE, |o| primitive(o, KEY_IDENTIFIER, &key_id)),
        );
        IssuerTemplate {
            signature_algorithm: signature_algorithm_der(algorithm),
            name: ca.subject().as_raw().to_vec(),
            authority_key_identifier,
        }
    }
}

/// Everything of a leaf certificate that is not the issuer's.
pub(crate) struct Leaf<'a> {
    /// A positive INTEGER's content octets (no leading zero needed: top bit clear).
    pub(crate) serial: &'a [u8],
    pub(crate) not_before: SystemTime,
    pub(crate) not_after: SystemTime,
    pub(crate) subject: &'a Identity,
    /// The subject's DER SubjectPublicKeyInfo.
    pub(crate) spki: &'a [u8],
    pub(crate) sans: &'a SubjectAltNames,
    pub(crate) key_usages: &'a [KeyUsage],
    pub(crate) extended_key_usages: &'a [ExtendedKeyUsage],
}

impl Leaf<'_> {
    /// The `TBSCertificate` DER.
    fn to_tbs(&self, issuer: &IssuerTemplate) -> Result<Vec<u8>> {
        // The extended key usages' OIDs first: the only fallible part.
        let mut other_ekus = Vec::new();
        for eku in self.extended_key_usages {
            if let ExtendedKeyUsage::Other(dotted) = eku {
                other_ekus.push(oid_from_dotted(dotted).ok_or_else(|| Error::InvalidSpec {
                    reason: format!("extended key usage {dotted:?} is not an object identifier"),
                })?);
            }
        }
        for d in self.sans.dns_names() {
            if !d.as_str().is_ascii() {
                return Err(Error::InvalidSan {
                    value: d.to_string(),
                    reason: "not ASCII (an IA5String)".into(),
                });
            }
        }
        let mut out =
            Vec::with_capacity(512 + issuer.name.len() + self.spki.len() + 24 * self.sans.len());
        tlv(&mut out, SEQUENCE, |o| {
            o.extend_from_slice(&[CONTEXT_0, 0x03, INTEGER, 0x01, 0x02]); // v3
            primitive(o, INTEGER, self.serial);
            o.extend_from_slice(issuer.signature_algorithm);
            o.extend_from_slice(&issuer.name);
            tlv(o, SEQUENCE, |o| {
                time(o, self.not_before);
                time(o, self.not_after);
            });
            subject_name(o, self.subject);
            o.extend_from_slice(self.spki);
            tlv(o, CONTEXT_3, |o| {
                tlv(o, SEQUENCE, |o| self.extensions(o, issuer, &other_ekus));
            });
        });
        Ok(out)
    }

    fn extensions(&self, out: &mut Vec<u8>, issuer: &IssuerTemplate, other_ekus: &[Vec<u8>]) {
        out.extend_from_slice(&issuer.authority_key_identifier);
        if !self.sans.is_empty() {
            // Critical only with an empty subject (RFC 5280 §4.2.1.6); a leaf has a CN.
            extension(out, OID_SUBJECT_ALT_NAME, false, |o| {
                tlv(o, SEQUENCE, |o| {
                    for d in self.sans.dns_names() {
                        primitive(o, GENERAL_NAME_DNS, d.as_str().as_bytes());
                    }
                    for ip in self.sans.ip_addresses() {
                        match ip {
                            IpAddr::V4(v4) => primitive(o, GENERAL_NAME_IP, &v4.octets()),
                            IpAddr::V6(v6) => primitive(o, GENERAL_NAME_IP, &v6.octets()),
                        }
                    }
                });
            });
        }
        if !self.key_usages.is_empty() {
            extension(out, OID_KEY_USAGE, true, |o| {
                primitive(o, BIT_STRING, &key_usage_bits(self.key_usages));
            });
        }
        if !self.extended_key_usages.is_empty() {
            extension(out, OID_EXT_KEY_USAGE, false, |o| {
                tlv(o, SEQUENCE, |o| {
                    let mut others = other_ekus.iter();
                    for eku in self.extended_key_usages {
                        match eku {
                            ExtendedKeyUsage::ServerAuth => primitive(o, OID, OID_SERVER_AUTH),
                            ExtendedKeyUsage::ClientAuth => primitive(o, OID, OID_CLIENT_AUTH),
                            ExtendedKeyUsage::Other(_) => {
                                if let Some(oid) = others.next() {
                                    primitive(o, OID, oid);
                                }
                            }
                        }
                    }
                });
            });
        }
        // basicConstraints CA:FALSE, critical, as kubeadm writes it (cA defaults to FALSE).
        extension(out, OID_BASIC_CONSTRAINTS, true, |o| {
            o.extend_from_slice(&[SEQUENCE, 0x00]);
        });
    }

    /// Encodes, signs through `signer` and returns the `Certificate` DER.
    pub(crate) fn sign(&self, issuer: &IssuerTemplate, signer: &dyn Signer) -> Result<Vec<u8>> {
        let tbs = self.to_tbs(issuer)?;
        let signature = signer.sign(&tbs)?;
        let mut cert =
            Vec::with_capacity(tbs.len() + issuer.signature_algorithm.len() + signature.len() + 16);
        tlv(&mut cert, SEQUENCE, |o| {
            o.extend_from_slice(&tbs);
            o.extend_from_slice(issuer.signature_algorithm);
            tlv(o, BIT_STRING, |o| {
                o.push(0); // no unused bits
                o.extend_from_slice(&signature);
            });
        });
        Ok(cert)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::identity::NodeName;
    use crate::key::PrivateKey;
    use crate::profile::CertificateProfile;
    use crate::signer::RcgenSigner;

    fn rcgen_reference(
        ca_key: &PrivateKey,
        ca_der: &[u8],
        leaf: &Leaf<'_>,
        public: &crate::key::PublicKey,
    ) -> Vec<u8> {
        let signer = Arc::new(ca_key.clone()) as Arc<dyn Signer>;
        let issuer =
            rcgen::Issuer::from_ca_cert_der(&ca_der.to_vec().into(), RcgenSigner(signer)).unwrap();
        let mut p = rcgen::CertificateParams::default();
        p.distinguished_name = crate::subject::encode(leaf.subject).unwrap().dn;
        p.subject_alt_names = leaf.sans.to_rcgen().unwrap();
        p.not_before = crate::ca::to_offset(leaf.not_before).unwrap();
        p.not_after = crate::ca::to_offset(leaf.not_after).unwrap();
        p.serial_number = Some(rcgen::SerialNumber::from_slice(leaf.serial));
        p.key_usages = leaf.key_usages.iter().map(|k| k.to_rcgen()).collect();
        p.extended_key_usages = leaf
            .extended_key_usages
            .iter()
            .map(|e| e.to_rcgen())
            .collect();
        p.use_authority_key_identifier_extension = true;
        let mut bc = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 19], vec![0x30, 0x00]);
        bc.set_criticality(true);
        p.custom_extensions = vec![bc];
        p.signed_by(public, &issuer).unwrap().der().to_vec()
    }

    /// Ed25519 signatures are deterministic, so the whole certificate must come out
    /// byte for byte as rcgen writes it.
    #[test]
    fn leaf_is_byte_identical_to_rcgen() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_760_000_000);
        let ca_key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let ca = crate::ca::CertificateAuthority::new_root(
            &crate::ca::CaRequest::new("kubernetes"),
            ca_key.clone(),
            now,
        )
        .unwrap();
        let (_, parsed) = x509_parser::parse_x509_certificate(ca.certificate().der()).unwrap();
        let template = IssuerTemplate::new(&parsed, KeyAlgorithm::Ed25519);
        let node = NodeName::new("node-01.example").unwrap();
        let sans = SubjectAltNames::parse([
            "node-01.example",
            "a-much-longer-name.with.many.labels.example.internal",
            "10.0.0.10",
            "fd00::1",
        ])
        .unwrap();
        for (identity, sans, profile, alg, later) in [
            (
                Identity::node(&node),
                SubjectAltNames::new(),
                CertificateProfile::Client,
                KeyAlgorithm::EcdsaP256,
                Duration::from_secs(365 * 86400),
            ),
            (
                Identity::new("kube-apiserver", Vec::<String>::new()).unwrap(),
                sans.clone(),
                CertificateProfile::ServerAndClient,
                KeyAlgorithm::Rsa2048,
                // notAfter in 2100: GeneralizedTime.
                Duration::from_secs(80 * 365 * 86400),
            ),
            (
                Identity::new("Zoë_*", ["dev"]).unwrap(),
                sans,
                CertificateProfile::Server,
                KeyAlgorithm::Ed25519,
                Duration::from_secs(600),
            ),
        ] {
            let key = PrivateKey::generate(alg).unwrap();
            let ku = profile.key_usages(alg, crate::cluster::Compatibility::Current);
            let eku = profile.extended_key_usages();
            let serial = [0x41u8; 16];
            let leaf = Leaf {
                serial: &serial,
                not_before: now - Duration::from_secs(300),
                not_after: now + later,
                subject: &identity,
                spki: key.public_key().spki_der(),
                sans: &sans,
                key_usages: &ku,
                extended_key_usages: &eku,
            };
            let ours = leaf.sign(&template, &ca_key).unwrap();
            let theirs = rcgen_reference(&ca_key, ca.certificate().der(), &leaf, key.public_key());
            assert_eq!(ours, theirs, "{identity}");
        }
    }

    #[test]
    fn other_extended_key_usage_is_encoded_and_a_bad_one_refused() {
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
    fn key_usage_bits_match_rfc_5280_numbering() {
        assert_eq!(key_usage_bits(&[KeyUsage::DigitalSignature]), [7, 0x80]);
        assert_eq!(
            key_usage_bits(&[KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment]),
            [5, 0xa0]
        );
        assert_eq!(key_usage_bits(&[KeyUsage::DecipherOnly]), [7, 0x00, 0x80]);
    }
}
