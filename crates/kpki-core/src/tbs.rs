//! The one DER writer of what kpki signs: a leaf's and a CA's `TBSCertificate` (RFC 5280
//! §4.1) and a CSR's `CertificationRequestInfo` (RFC 2986 §4.1), each written straight
//! to DER in one pre-sized buffer, signed through a [`Signer`], and wrapped.
//!
//! Why not rcgen here: for every certificate rcgen re-encodes the issuer's name and
//! every OID, grows its output a byte at a time and builds a parameter struct of owned
//! strings — ~30 000 instructions, 20–25 % on top of an Ed25519 or ECDSA P-256
//! signature (BENCHMARKS.md) — and its `DistinguishedName` holds one value per attribute
//! type, so a user in two groups cannot be written at all. Everything that depends only
//! on the CA (issuer name, authorityKeyIdentifier, signature algorithm) is encoded once
//! into an [`IssuerTemplate`]; the subject is written by `crate::subject`, the one
//! subject encoder. Unit tests check that leaves and CAs hold, field for field and
//! extension for extension, what rcgen writes for the same inputs (only the order of the
//! extensions differs: ours is kubeadm's), and that CSRs are byte for byte rcgen's.
//!
//! The encoding (kubeadm's fields and order, SPEC.md — Go's crypto/x509 writes them so):
//! leaf extensions keyUsage (critical), extKeyUsage, basicConstraints `CA:FALSE`
//! (critical), authorityKeyIdentifier, subjectAltName, and no subjectKeyIdentifier; CA
//! extensions keyUsage (critical), basicConstraints `CA:TRUE` (critical),
//! subjectKeyIdentifier (RFC 5280 method 1: SHA-1 of the key's bits),
//! [authorityKeyIdentifier], subjectAltName; UTCTime before 2050, GeneralizedTime from
//! then on.

use std::net::IpAddr;
use std::time::SystemTime;

use crate::der::{
    self, BOOLEAN_TRUE, CONTEXT_0, CONTEXT_3, INTEGER, OCTET_STRING, OID, SEQUENCE, SET,
};
use crate::error::{Error, Result, SpecProblem};
use crate::identity::Identity;
use crate::names::KeyAlgorithm;
use crate::profile::{ExtendedKeyUsage, KeyUsage};
use crate::san::SubjectAltNames;
use crate::signer::Signer;

/// GeneralName `[2] IMPLICIT IA5String` and `[7] IMPLICIT OCTET STRING`.
const GENERAL_NAME_DNS: u8 = 0x82;
const GENERAL_NAME_IP: u8 = 0x87;
/// AuthorityKeyIdentifier `keyIdentifier [0] IMPLICIT OCTET STRING`.
const KEY_IDENTIFIER: u8 = 0x80;

// OID contents (without tag and length).
const OID_AUTHORITY_KEY_IDENTIFIER: &[u8] = &[0x55, 0x1d, 0x23];
const OID_SUBJECT_KEY_IDENTIFIER: &[u8] = &[0x55, 0x1d, 0x0e];
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
const OID_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];
const OID_EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
const OID_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];
const OID_CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
/// pkcs-9-at-extensionRequest (RFC 2985).
const OID_EXTENSION_REQUEST: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e];

/// `AlgorithmIdentifier` DER of the X.509 signature a key of `algorithm` makes.
pub(crate) fn signature_algorithm_der(algorithm: KeyAlgorithm) -> &'static [u8] {
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

/// `Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue }`.
pub(crate) fn extension(
    out: &mut Vec<u8>,
    oid: &[u8],
    critical: bool,
    value: impl FnOnce(&mut Vec<u8>),
) {
    der::tlv(out, SEQUENCE, |o| {
        der::primitive(o, OID, oid);
        if critical {
            o.extend_from_slice(&BOOLEAN_TRUE);
        }
        der::tlv(o, OCTET_STRING, value);
    });
}

/// The KeyUsage BIT STRING contents (named bits, trailing zeros dropped: X.690 §11.2.2).
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

pub(crate) fn key_usage_extension(out: &mut Vec<u8>, usages: &[KeyUsage]) {
    if !usages.is_empty() {
        extension(out, OID_KEY_USAGE, true, |o| {
            der::primitive(o, der::BIT_STRING, &key_usage_bits(usages));
        });
    }
}

/// subjectAltName, DNS names then IPs (critical only with an empty subject, RFC 5280
/// §4.2.1.6, and kpki's subjects always have a CN).
fn san_extension(out: &mut Vec<u8>, sans: &SubjectAltNames) {
    if sans.is_empty() {
        return;
    }
    extension(out, OID_SUBJECT_ALT_NAME, false, |o| {
        der::tlv(o, SEQUENCE, |o| {
            for d in sans.dns_names() {
                // A DnsName is ASCII by construction: an IA5String as it is.
                der::primitive(o, GENERAL_NAME_DNS, d.as_str().as_bytes());
            }
            for ip in sans.ip_addresses() {
                match ip {
                    IpAddr::V4(v4) => der::primitive(o, GENERAL_NAME_IP, &v4.octets()),
                    IpAddr::V6(v6) => der::primitive(o, GENERAL_NAME_IP, &v6.octets()),
                }
            }
        });
    });
}

/// The key identifier of a public key, as kubeadm (Go's crypto/x509) derives it: RFC 5280
/// §4.2.1.2 method 1, the SHA-1 of the subjectPublicKey BIT STRING's bits (`raw_key`, the
/// key without its algorithm identifier). SHA-1 is not used for any security purpose
/// here: it names the key, so that AKI and SKI match.
pub(crate) fn key_identifier(raw_key: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, raw_key)
        .as_ref()
        .to_vec()
}

/// What a CA puts into every certificate it issues, encoded once.
#[derive(Clone, Debug)]
pub(crate) struct IssuerTemplate {
    pub(crate) signature_algorithm: &'static [u8],
    /// The CA certificate's subject `Name`, byte for byte (path building compares it).
    pub(crate) name: Vec<u8>,
    /// The whole authorityKeyIdentifier `Extension`.
    pub(crate) authority_key_identifier: Vec<u8>,
}

impl IssuerTemplate {
    /// From the (parsed) CA certificate and the algorithm of its key. The key identifier
    /// is the certificate's subjectKeyIdentifier, or [`key_identifier`] of its key.
    pub(crate) fn new(
        ca: &x509_parser::certificate::X509Certificate<'_>,
        algorithm: KeyAlgorithm,
    ) -> IssuerTemplate {
        use x509_parser::extensions::ParsedExtension;
        let key_id = ca
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
                _ => None,
            })
            .unwrap_or_else(|| {
                key_identifier(&ca.tbs_certificate.subject_pki.subject_public_key.data)
            });
        let mut authority_key_identifier = Vec::with_capacity(key_id.len() + 16);
        extension(
            &mut authority_key_identifier,
            OID_AUTHORITY_KEY_IDENTIFIER,
            false,
            |o| der::tlv(o, SEQUENCE, |o| der::primitive(o, KEY_IDENTIFIER, &key_id)),
        );
        IssuerTemplate {
            signature_algorithm: signature_algorithm_der(algorithm),
            name: ca.subject().as_raw().to_vec(),
            authority_key_identifier,
        }
    }
}

/// The fields every certificate has, leaf or CA.
pub(crate) struct Common<'a> {
    /// A positive INTEGER's content octets (no leading zero needed: top bit clear).
    pub(crate) serial: &'a [u8],
    pub(crate) not_before: SystemTime,
    pub(crate) not_after: SystemTime,
    pub(crate) subject: &'a Identity,
    /// The subject's DER SubjectPublicKeyInfo.
    pub(crate) spki: &'a [u8],
    pub(crate) sans: &'a SubjectAltNames,
    pub(crate) key_usages: &'a [KeyUsage],
}

impl Common<'_> {
    /// `TBSCertificate ::= SEQUENCE { [0] v3, serial, signature, issuer, validity,
    /// subject, subjectPublicKeyInfo, [3] extensions }`.
    fn tbs(
        &self,
        signature_algorithm: &[u8],
        issuer_name: &[u8],
        extensions: impl FnOnce(&mut Vec<u8>),
    ) -> Vec<u8> {
        let mut subject = Vec::with_capacity(64);
        crate::subject::encode(&mut subject, self.subject);
        tbs_certificate(
            self.serial,
            signature_algorithm,
            issuer_name,
            (self.not_before, self.not_after),
            &subject,
            self.spki,
            extensions,
        )
    }
}

/// `TBSCertificate ::= SEQUENCE { [0] v3, serial, signature, issuer, validity, subject,
/// subjectPublicKeyInfo, [3] extensions }`, from the parts as DER (`serial`: a positive
/// INTEGER's content octets; `validity`: not before, not after).
pub(crate) fn tbs_certificate(
    serial: &[u8],
    signature_algorithm: &[u8],
    issuer_name: &[u8],
    validity: (SystemTime, SystemTime),
    subject_name: &[u8],
    spki: &[u8],
    extensions: impl FnOnce(&mut Vec<u8>),
) -> Vec<u8> {
    let mut out = Vec::with_capacity(512 + issuer_name.len() + subject_name.len() + spki.len());
    der::tlv(&mut out, SEQUENCE, |o| {
        o.extend_from_slice(&[CONTEXT_0, 0x03, INTEGER, 0x01, 0x02]); // v3
        der::primitive(o, INTEGER, serial);
        o.extend_from_slice(signature_algorithm);
        o.extend_from_slice(issuer_name);
        der::tlv(o, SEQUENCE, |o| {
            der::time(o, validity.0);
            der::time(o, validity.1);
        });
        o.extend_from_slice(subject_name);
        o.extend_from_slice(spki);
        der::tlv(o, CONTEXT_3, |o| der::tlv(o, SEQUENCE, extensions));
    });
    out
}

/// Everything of a leaf certificate that is not the issuer's.
pub(crate) struct Leaf<'a> {
    pub(crate) common: Common<'a>,
    pub(crate) extended_key_usages: &'a [ExtendedKeyUsage],
}

impl Leaf<'_> {
    /// The `TBSCertificate` DER.
    fn to_tbs(&self, issuer: &IssuerTemplate) -> Result<Vec<u8>> {
        // The extended key usages' OIDs first: the only fallible part.
        let mut other_ekus = Vec::new();
        for eku in self.extended_key_usages {
            if let ExtendedKeyUsage::Other(dotted) = eku {
                other_ekus.push(der::oid_from_dotted(dotted).ok_or_else(|| {
                    Error::InvalidSpec {
                        problem: SpecProblem::ExtendedKeyUsageOid {
                            oid: dotted.clone(),
                        },
                    }
                })?);
            }
        }
        let c = &self.common;
        // Go's order (crypto/x509), which kubeadm's certificates have: keyUsage,
        // extKeyUsage, basicConstraints, authorityKeyIdentifier, subjectAltName.
        Ok(c.tbs(issuer.signature_algorithm, &issuer.name, |o| {
            key_usage_extension(o, c.key_usages);
            if !self.extended_key_usages.is_empty() {
                extension(o, OID_EXT_KEY_USAGE, false, |o| {
                    der::tlv(o, SEQUENCE, |o| {
                        let mut others = other_ekus.iter();
                        for eku in self.extended_key_usages {
                            match eku {
                                ExtendedKeyUsage::ServerAuth => {
                                    der::primitive(o, OID, OID_SERVER_AUTH)
                                }
                                ExtendedKeyUsage::ClientAuth => {
                                    der::primitive(o, OID, OID_CLIENT_AUTH)
                                }
                                ExtendedKeyUsage::Other(_) => {
                                    if let Some(oid) = others.next() {
                                        der::primitive(o, OID, oid);
                                    }
                                }
                            }
                        }
                    });
                });
            }
            // basicConstraints CA:FALSE, critical, as kubeadm writes it (cA defaults to FALSE).
            extension(o, OID_BASIC_CONSTRAINTS, true, |o| {
                o.extend_from_slice(&[SEQUENCE, 0x00]);
            });
            o.extend_from_slice(&issuer.authority_key_identifier);
            san_extension(o, c.sans);
        }))
    }

    /// Encodes, signs through `signer` and returns the `Certificate` DER.
    pub(crate) fn sign(&self, issuer: &IssuerTemplate, signer: &dyn Signer) -> Result<Vec<u8>> {
        let tbs = self.to_tbs(issuer)?;
        wrap_signed(&tbs, issuer.signature_algorithm, signer)
    }
}

/// Everything of a CA certificate.
pub(crate) struct Ca<'a> {
    pub(crate) common: Common<'a>,
    /// basicConstraints pathLenConstraint (kubeadm: none).
    pub(crate) path_len: Option<u8>,
    /// Its subjectKeyIdentifier: [`key_identifier`] of its public key.
    pub(crate) key_id: &'a [u8],
}

impl Ca<'_> {
    fn to_tbs(&self, signature_algorithm: &[u8], issuer: Option<&IssuerTemplate>) -> Vec<u8> {
        let c = &self.common;
        let own_name;
        let issuer_name = match issuer {
            Some(i) => i.name.as_slice(),
            None => {
                // Self-signed: the issuer is the subject, byte for byte.
                let mut name = Vec::with_capacity(64);
                crate::subject::encode(&mut name, c.subject);
                own_name = name;
                own_name.as_slice()
            }
        };
        // Go's order, as kubeadm's CAs have it: keyUsage, basicConstraints,
        // subjectKeyIdentifier, [authorityKeyIdentifier], subjectAltName.
        c.tbs(signature_algorithm, issuer_name, |o| {
            key_usage_extension(o, c.key_usages);
            extension(o, OID_BASIC_CONSTRAINTS, true, |o| {
                der::tlv(o, SEQUENCE, |o| {
                    o.extend_from_slice(&BOOLEAN_TRUE);
                    if let Some(n) = self.path_len {
                        // INTEGER content: one byte, with a leading zero above 127.
                        if n > 127 {
                            der::primitive(o, INTEGER, &[0, n]);
                        } else {
                            der::primitive(o, INTEGER, &[n]);
                        }
                    }
                });
            });
            extension(o, OID_SUBJECT_KEY_IDENTIFIER, false, |o| {
                der::primitive(o, OCTET_STRING, self.key_id);
            });
            if let Some(i) = issuer {
                o.extend_from_slice(&i.authority_key_identifier);
            }
            san_extension(o, c.sans);
        })
    }

    /// A self-signed CA certificate: signed by `signer`, whose key is the subject's.
    pub(crate) fn self_signed(&self, signer: &dyn Signer) -> Result<Vec<u8>> {
        let alg = signature_algorithm_der(signer.public_key().algorithm());
        wrap_signed(&self.to_tbs(alg, None), alg, signer)
    }

    /// A CA certificate issued by `issuer`, signed by its `signer`.
    pub(crate) fn signed_by(
        &self,
        issuer: &IssuerTemplate,
        signer: &dyn Signer,
    ) -> Result<Vec<u8>> {
        let tbs = self.to_tbs(issuer.signature_algorithm, Some(issuer));
        wrap_signed(&tbs, issuer.signature_algorithm, signer)
    }
}

/// A PKCS#10 `CertificationRequestInfo`: version 0, subject, key, and — when there are
/// SANs — one extensionRequest attribute with subjectAltName (what kubelet and kubeadm
/// request).
pub(crate) struct Request<'a> {
    pub(crate) subject: &'a Identity,
    pub(crate) spki: &'a [u8],
    pub(crate) sans: &'a SubjectAltNames,
}

impl Request<'_> {
    /// Encodes and signs with the requester's own key (its proof of possession).
    pub(crate) fn sign(&self, signer: &dyn Signer) -> Result<Vec<u8>> {
        let mut subject = Vec::with_capacity(64);
        crate::subject::encode(&mut subject, self.subject);
        let mut extensions = Vec::with_capacity(16 + 24 * self.sans.len());
        san_extension(&mut extensions, self.sans);
        certification_request(&subject, self.spki, &extensions, signer)
    }
}

/// A signed PKCS#10 request: version 0, `subject_name` and `spki` as DER, and — when
/// `extensions` (concatenated `Extension` DERs) is not empty — one extensionRequest
/// attribute holding them; signed with `signer`, the requester's key.
pub(crate) fn certification_request(
    subject_name: &[u8],
    spki: &[u8],
    extensions: &[u8],
    signer: &dyn Signer,
) -> Result<Vec<u8>> {
    let mut info = Vec::with_capacity(64 + subject_name.len() + spki.len() + extensions.len());
    der::tlv(&mut info, SEQUENCE, |o| {
        der::primitive(o, INTEGER, &[0]);
        o.extend_from_slice(subject_name);
        o.extend_from_slice(spki);
        // attributes [0] IMPLICIT SET OF Attribute: present even when empty.
        der::tlv(o, CONTEXT_0, |o| {
            if extensions.is_empty() {
                return;
            }
            der::tlv(o, SEQUENCE, |o| {
                der::primitive(o, OID, OID_EXTENSION_REQUEST);
                der::tlv(o, SET, |o| {
                    der::tlv(o, SEQUENCE, |o| o.extend_from_slice(extensions));
                });
            });
        });
    });
    let alg = signature_algorithm_der(signer.public_key().algorithm());
    wrap_signed(&info, alg, signer)
}

/// `SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }`.
pub(crate) fn wrap_signed(
    tbs: &[u8],
    signature_algorithm: &[u8],
    signer: &dyn Signer,
) -> Result<Vec<u8>> {
    let signature = signer.sign(tbs)?;
    let mut out = Vec::with_capacity(tbs.len() + signature_algorithm.len() + signature.len() + 16);
    der::tlv(&mut out, SEQUENCE, |o| {
        o.extend_from_slice(tbs);
        o.extend_from_slice(signature_algorithm);
        der::bit_string(o, &signature);
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::dns::{DnsName, NodeName};
    use crate::key::PrivateKey;
    use crate::names::Compatibility;
    use crate::profile::CertificateProfile;

    /// rcgen 0.14 as kpki drove it before this writer: the reference encoding.
    mod rcgen_reference {
        use super::*;

        pub(super) struct Key<'a>(pub(super) &'a PrivateKey);

        impl rcgen::PublicKeyData for Key<'_> {
            fn der_bytes(&self) -> &[u8] {
                self.0.public_key().raw()
            }
            fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
                match self.0.algorithm() {
                    KeyAlgorithm::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
                    KeyAlgorithm::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
                    KeyAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
                    _ => &rcgen::PKCS_RSA_SHA256,
                }
            }
        }

        impl rcgen::SigningKey for Key<'_> {
            fn sign(&self, msg: &[u8]) -> std::result::Result<Vec<u8>, rcgen::Error> {
                self.0.sign(msg).map_err(|_| rcgen::Error::RemoteKeyError)
            }
        }

        /// One O at most: rcgen keeps one value per attribute type.
        pub(super) fn dn(identity: &Identity) -> rcgen::DistinguishedName {
            let value = |s: &str| match rcgen::string::PrintableString::try_from(s) {
                Ok(p) => rcgen::DnValue::PrintableString(p),
                Err(_) => rcgen::DnValue::Utf8String(s.to_owned()),
            };
            let mut dn = rcgen::DistinguishedName::new();
            assert!(identity.organizations().len() <= 1);
            for o in identity.organizations() {
                dn.push(rcgen::DnType::OrganizationName, value(o));
            }
            dn.push(rcgen::DnType::CommonName, value(identity.common_name()));
            dn
        }

        pub(super) fn sans(sans: &SubjectAltNames) -> Vec<rcgen::SanType> {
            let mut out: Vec<rcgen::SanType> = sans
                .dns_names()
                .iter()
                .map(|d| rcgen::SanType::DnsName(d.as_str().try_into().unwrap()))
                .collect();
            out.extend(
                sans.ip_addresses()
                    .iter()
                    .map(|ip| rcgen::SanType::IpAddress(*ip)),
            );
            out
        }

        pub(super) fn time(t: SystemTime) -> time::OffsetDateTime {
            time::OffsetDateTime::from(t)
        }
    }

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_760_000_000)
    }

    fn ca_params(
        cn: &str,
        key: &PrivateKey,
        path_len: Option<u8>,
        nb: SystemTime,
        na: SystemTime,
    ) -> rcgen::CertificateParams {
        let mut p = rcgen::CertificateParams::default();
        p.key_identifier_method =
            rcgen::KeyIdMethod::PreSpecified(key_identifier(key.public_key().raw()));
        p.distinguished_name = rcgen_reference::dn(&Identity::certificate_authority(cn).unwrap());
        if let Ok(d) = DnsName::new(cn) {
            let mut s = SubjectAltNames::new();
            s.push_dns(d);
            p.subject_alt_names = rcgen_reference::sans(&s);
        }
        p.not_before = rcgen_reference::time(nb);
        p.not_after = rcgen_reference::time(na);
        p.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x42; 16]));
        p.is_ca = rcgen::IsCa::Ca(match path_len {
            Some(n) => rcgen::BasicConstraints::Constrained(n),
            None => rcgen::BasicConstraints::Unconstrained,
        });
        p.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        p
    }

    #[allow(clippy::too_many_arguments)]
    fn our_ca<'a>(
        identity: &'a Identity,
        sans: &'a SubjectAltNames,
        key: &'a PrivateKey,
        key_id: &'a [u8],
        path_len: Option<u8>,
        nb: SystemTime,
        na: SystemTime,
        usages: &'a [KeyUsage],
    ) -> Ca<'a> {
        Ca {
            key_id,
            common: Common {
                serial: &[0x42; 16],
                not_before: nb,
                not_after: na,
                subject: identity,
                spki: key.public_key().spki_der(),
                sans,
                key_usages: usages,
            },
            path_len,
        }
    }

    /// What a certificate holds, extension by extension: (OID, critical, value DER).
    type Extensions = Vec<(String, bool, Vec<u8>)>;

    /// Every field of a certificate's TBSCertificate but the extensions, byte for byte, and
    /// its extensions in order.
    fn fields(der: &[u8]) -> (Vec<Vec<u8>>, Extensions) {
        let (rest, c) = x509_parser::parse_x509_certificate(der).unwrap();
        assert!(rest.is_empty());
        let t = &c.tbs_certificate;
        let fields = vec![
            vec![t.version.0 as u8],
            t.raw_serial().to_vec(),
            format!("{:?}", t.signature.algorithm).into_bytes(),
            t.issuer.as_raw().to_vec(),
            format!("{:?}", (t.validity.not_before, t.validity.not_after)).into_bytes(),
            t.subject.as_raw().to_vec(),
            t.subject_pki.raw.to_vec(),
        ];
        let exts = t
            .extensions()
            .iter()
            .map(|e| (e.oid.to_id_string(), e.critical, e.value.to_vec()))
            .collect();
        (fields, exts)
    }

    /// `ours` holds what rcgen wrote in `theirs`, field for field and extension for
    /// extension; its extensions stand in `order` (Go's, as kubeadm's certificates have
    /// them).
    fn same_as_rcgen_in_gos_order(ours: &[u8], theirs: &[u8], order: &[&str]) {
        let (our_fields, our_exts) = fields(ours);
        let (their_fields, mut their_exts) = fields(theirs);
        assert_eq!(our_fields, their_fields);
        let oids: Vec<&str> = our_exts.iter().map(|(o, _, _)| o.as_str()).collect();
        assert_eq!(oids, order);
        let mut sorted = our_exts.clone();
        sorted.sort();
        their_exts.sort();
        assert_eq!(sorted, their_exts);
    }

    const KU: &str = "2.5.29.15";
    const EKU: &str = "2.5.29.37";
    const BC: &str = "2.5.29.19";
    const SKI: &str = "2.5.29.14";
    const AKI: &str = "2.5.29.35";
    const SAN: &str = "2.5.29.17";

    /// A root and an intermediate under it hold what rcgen writes for the same inputs,
    /// the subjectKeyIdentifier being SHA-1 of the key's bits (RFC 5280 method 1, as Go
    /// computes it), in Go's order.
    #[test]
    fn cas_hold_what_rcgen_writes_in_kubeadms_order() {
        let (nb, na) = (now(), now() + Duration::from_secs(3650 * 86400));
        let root_key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let root_id = Identity::certificate_authority("kubernetes").unwrap();
        let root_sans = SubjectAltNames::parse(["kubernetes"]).unwrap();
        let usages = [KeyUsage::DigitalSignature, KeyUsage::KeyCertSign];
        let root_kid = key_identifier(root_key.public_key().raw());
        let ours = our_ca(
            &root_id, &root_sans, &root_key, &root_kid, None, nb, na, &usages,
        )
        .self_signed(&root_key)
        .unwrap();
        let theirs = ca_params("kubernetes", &root_key, None, nb, na)
            .self_signed(&rcgen_reference::Key(&root_key))
            .unwrap()
            .der()
            .to_vec();
        same_as_rcgen_in_gos_order(&ours, &theirs, &[KU, BC, SKI, SAN]);
        // The identifier is the SHA-1 of the subjectPublicKey bits, as Go writes it.
        let (_, parsed) = x509_parser::parse_x509_certificate(&ours).unwrap();
        let spki_bits = &parsed.tbs_certificate.subject_pki.subject_public_key.data;
        let sha1 =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, spki_bits);
        let ski = parsed
            .tbs_certificate
            .extensions()
            .iter()
            .find(|e| e.oid.to_id_string() == SKI)
            .unwrap();
        assert_eq!(&ski.value[2..], sha1.as_ref());

        let template = IssuerTemplate::new(&parsed, KeyAlgorithm::Ed25519);
        let int_key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        // A CN that is not a DNS name gets no SAN.
        let int_id = Identity::certificate_authority("Issuing CA 1").unwrap();
        let none = SubjectAltNames::new();
        let int_kid = key_identifier(int_key.public_key().raw());
        let ours = our_ca(&int_id, &none, &int_key, &int_kid, Some(0), nb, na, &usages)
            .signed_by(&template, &root_key)
            .unwrap();
        let issuer = rcgen::Issuer::from_ca_cert_der(
            &theirs.clone().into(),
            rcgen_reference::Key(&root_key),
        )
        .unwrap();
        let mut p = ca_params("Issuing CA 1", &int_key, Some(0), nb, na);
        p.use_authority_key_identifier_extension = true;
        let theirs = p
            .signed_by(&rcgen_reference::Key(&int_key), &issuer)
            .unwrap()
            .der()
            .to_vec();
        same_as_rcgen_in_gos_order(&ours, &theirs, &[KU, BC, SKI, AKI]);
    }

    #[test]
    fn leaves_hold_what_rcgen_writes_in_kubeadms_order() {
        let ca_key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let ca_id = Identity::certificate_authority("kubernetes").unwrap();
        let ca_sans = SubjectAltNames::parse(["kubernetes"]).unwrap();
        let usages = [KeyUsage::DigitalSignature, KeyUsage::KeyCertSign];
        let ca_kid = key_identifier(ca_key.public_key().raw());
        let ca_der = our_ca(
            &ca_id,
            &ca_sans,
            &ca_key,
            &ca_kid,
            None,
            now(),
            now() + Duration::from_secs(3650 * 86400),
            &usages,
        )
        .self_signed(&ca_key)
        .unwrap();
        let (_, parsed) = x509_parser::parse_x509_certificate(&ca_der).unwrap();
        let template = IssuerTemplate::new(&parsed, KeyAlgorithm::Ed25519);
        let issuer =
            rcgen::Issuer::from_ca_cert_der(&ca_der.clone().into(), rcgen_reference::Key(&ca_key))
                .unwrap();
        let node = NodeName::new("node-01.example").unwrap();
        let sans = SubjectAltNames::parse([
            "node-01.example",
            "a-much-longer-name.with.many.labels.example.internal",
            "10.0.0.10",
            "fd00::1",
        ])
        .unwrap();
        for (identity, sans, profile, alg, later, order) in [
            (
                Identity::node(&node),
                SubjectAltNames::new(),
                CertificateProfile::Client,
                KeyAlgorithm::EcdsaP256,
                Duration::from_secs(365 * 86400),
                &[KU, EKU, BC, AKI][..],
            ),
            (
                Identity::new("kube-apiserver", Vec::<String>::new()).unwrap(),
                sans.clone(),
                CertificateProfile::ServerAndClient,
                KeyAlgorithm::Rsa2048,
                // notAfter in 2100: GeneralizedTime.
                Duration::from_secs(80 * 365 * 86400),
                &[KU, EKU, BC, AKI, SAN][..],
            ),
            (
                Identity::new("Zoë_*", ["dev"]).unwrap(),
                sans,
                CertificateProfile::Server,
                KeyAlgorithm::Ed25519,
                Duration::from_secs(600),
                &[KU, EKU, BC, AKI, SAN][..],
            ),
        ] {
            let key = PrivateKey::generate(alg).unwrap();
            let ku = profile.key_usages(alg, Compatibility::Current);
            let eku = profile.extended_key_usages();
            let serial = [0x41u8; 16];
            let (nb, na) = (now() - Duration::from_secs(300), now() + later);
            let leaf = Leaf {
                common: Common {
                    serial: &serial,
                    not_before: nb,
                    not_after: na,
                    subject: &identity,
                    spki: key.public_key().spki_der(),
                    sans: &sans,
                    key_usages: &ku,
                },
                extended_key_usages: &eku,
            };
            let ours = leaf.sign(&template, &ca_key).unwrap();
            let mut p = rcgen::CertificateParams::default();
            p.distinguished_name = rcgen_reference::dn(&identity);
            p.subject_alt_names = rcgen_reference::sans(&sans);
            p.not_before = rcgen_reference::time(nb);
            p.not_after = rcgen_reference::time(na);
            p.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
            p.key_usages = ku.iter().map(|k| k.to_rcgen()).collect();
            p.extended_key_usages = eku.iter().map(|e| e.to_rcgen()).collect();
            p.use_authority_key_identifier_extension = true;
            let mut bc =
                rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 19], vec![0x30, 0x00]);
            bc.set_criticality(true);
            p.custom_extensions = vec![bc];
            let theirs = p
                .signed_by(&rcgen_reference::Key(&key), &issuer)
                .unwrap()
                .der()
                .to_vec();
            same_as_rcgen_in_gos_order(&ours, &theirs, order);
            // No subjectKeyIdentifier on leaves, as kubeadm writes them.
            assert!(!fields(&ours).1.iter().any(|(o, _, _)| o == SKI));
        }
    }

    #[test]
    fn csrs_are_byte_identical_to_rcgen_with_one_group_or_none() {
        let key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        for (identity, sans) in [
            (
                Identity::user("alice", ["dev"]).unwrap(),
                SubjectAltNames::parse(["alice.example.com", "192.0.2.1"]).unwrap(),
            ),
            (
                Identity::user("bob", Vec::<String>::new()).unwrap(),
                SubjectAltNames::new(),
            ),
        ] {
            let ours = Request {
                subject: &identity,
                spki: key.public_key().spki_der(),
                sans: &sans,
            }
            .sign(&key)
            .unwrap();
            let mut p = rcgen::CertificateParams::default();
            p.distinguished_name = rcgen_reference::dn(&identity);
            p.subject_alt_names = rcgen_reference::sans(&sans);
            let theirs = p
                .serialize_request(&rcgen_reference::Key(&key))
                .unwrap()
                .der()
                .to_vec();
            assert_eq!(ours, theirs, "{identity}");
        }
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
