//! An X.509 certificate as kpki hands it around: its DER, with PEM and a parsed view
//! ([`CertificateInfo`]) produced only when asked.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::X509Certificate;

use crate::error::{CertificateProblem, Error, Origin, PemProblem, Result, SuppliedProblem};
use crate::key::PublicKey;
use crate::names::KeyAlgorithm;
use crate::pem::{self, Encoded};
use crate::profile::{ExtendedKeyUsage, KeyUsage};

/// A DER-encoded X.509 certificate. Cheap to clone (shared bytes).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Certificate {
    der: Arc<[u8]>,
}

impl Certificate {
    /// Wraps DER kpki itself produced (no parse on the signing hot path).
    pub(crate) fn from_trusted_der(der: Vec<u8>) -> Certificate {
        Certificate { der: der.into() }
    }

    /// Parses DER, checking that it is a well-formed X.509 certificate.
    pub fn from_der(der: &[u8]) -> Result<Certificate> {
        Certificate::from_der_in(der, &Origin::input("certificate"))
    }

    fn from_der_in(der: &[u8], what: &Origin) -> Result<Certificate> {
        let cert = Certificate { der: der.into() };
        cert.parse(what)?;
        Ok(cert)
    }

    /// Parses the first `CERTIFICATE` block of `pem`.
    pub fn from_pem(pem: &str) -> Result<Certificate> {
        Certificate::from_pem_in(pem, &Origin::input("certificate"))
    }

    fn from_pem_in(pem: &str, what: &Origin) -> Result<Certificate> {
        let der = pem::decode_one(pem, &["CERTIFICATE"], what)?;
        Certificate::from_der_in(&der, what)
    }

    /// Reads a certificate as PEM (its first `CERTIFICATE` block) or DER, naming `what`
    /// in errors.
    pub fn load(bytes: &[u8], what: impl Into<Origin>) -> Result<Certificate> {
        let what = what.into();
        match pem::detect(bytes, &what, "CERTIFICATE")? {
            Encoded::Pem(text) => Certificate::from_pem_in(text, &what),
            Encoded::Der(der) => Certificate::from_der_in(der, &what),
        }
    }

    /// Every `CERTIFICATE` block of a PEM bundle or chain, in order (a single DER
    /// certificate is a chain of one), naming `what` in errors.
    pub fn load_chain(bytes: &[u8], what: impl Into<Origin>) -> Result<Vec<Certificate>> {
        let what = what.into();
        match pem::detect(bytes, &what, "CERTIFICATE")? {
            Encoded::Pem(text) => Certificate::chain_from_pem_in(text, &what),
            Encoded::Der(der) => Ok(vec![Certificate::from_der_in(der, &what)?]),
        }
    }

    /// Every `CERTIFICATE` block of `pem` (a bundle or chain), in order.
    pub fn chain_from_pem(pem: &str) -> Result<Vec<Certificate>> {
        Certificate::chain_from_pem_in(pem, &Origin::input("certificates"))
    }

    pub(crate) fn chain_from_pem_in(pem: &str, what: &Origin) -> Result<Vec<Certificate>> {
        let blocks = pem::decode_all(pem, what)?;
        let certs: Vec<Certificate> = blocks
            .iter()
            .filter(|b| b.tag() == "CERTIFICATE")
            .map(|b| Certificate::from_der_in(b.contents(), what))
            .collect::<Result<_>>()?;
        if certs.is_empty() {
            return Err(Error::InvalidPem {
                what: what.clone(),
                problem: PemProblem::WrongLabel {
                    expected: &["CERTIFICATE"],
                    found: blocks.iter().map(|b| b.tag().to_owned()).collect(),
                },
            });
        }
        Ok(certs)
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate as one `CERTIFICATE` PEM block.
    pub fn to_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.der)
    }

    pub(crate) fn parse(&self, what: &Origin) -> Result<X509Certificate<'_>> {
        let bad = |problem| Error::InvalidCertificate {
            what: what.clone(),
            problem,
        };
        let (rest, cert) = x509_parser::parse_x509_certificate(&self.der).map_err(|e| {
            bad(CertificateProblem::Malformed {
                detail: pem::der_problem(&e),
            })
        })?;
        if !rest.is_empty() {
            return Err(bad(CertificateProblem::TrailingData));
        }
        Ok(cert)
    }

    /// The parsed fields.
    pub fn info(&self) -> Result<CertificateInfo> {
        let what = Origin::input("certificate");
        let c = self.parse(&what)?;
        let bad = |problem| Error::InvalidCertificate {
            what: what.clone(),
            problem,
        };
        let strings = |name: &x509_parser::x509::X509Name<'_>,
                       oid: &x509_parser::der_parser::Oid<'_>| {
            name.iter_by_oid(oid)
                .map(|a| {
                    a.as_str()
                        .map(str::to_owned)
                        .map_err(|_| bad(CertificateProblem::UnreadableName))
                })
                .collect::<Result<Vec<String>>>()
        };
        use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_ORGANIZATION_NAME};
        let subject_cn = strings(c.subject(), &OID_X509_COMMON_NAME)?;
        let subject_o = strings(c.subject(), &OID_X509_ORGANIZATION_NAME)?;
        let issuer_cn = strings(c.issuer(), &OID_X509_COMMON_NAME)?;
        let other_attrs = c
            .subject()
            .iter_attributes()
            .filter(|a| {
                a.attr_type() != &OID_X509_COMMON_NAME
                    && a.attr_type() != &OID_X509_ORGANIZATION_NAME
            })
            .count();

        let mut info = CertificateInfo {
            subject_common_name: subject_cn.into_iter().next(),
            organizations: subject_o,
            subject_has_other_attributes: other_attrs > 0,
            issuer_common_name: issuer_cn.into_iter().next(),
            subject_der: c.subject().as_raw().to_vec(),
            issuer_der: c.issuer().as_raw().to_vec(),
            serial: c.raw_serial().to_vec(),
            not_before: to_system_time(c.validity().not_before.timestamp()),
            not_after: to_system_time(c.validity().not_after.timestamp()),
            dns_names: vec![],
            ip_addresses: vec![],
            email_addresses: vec![],
            uris: vec![],
            is_ca: false,
            path_len: None,
            key_usages: None,
            extended_key_usages: vec![],
            subject_key_id: None,
            authority_key_id: None,
            public_key: PublicKey::from_spki_der_in(c.public_key().raw, &what)?,
            signature_algorithm_oid: c.signature_algorithm.algorithm.to_id_string(),
        };
        for ext in c.iter_extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    for name in &san.general_names {
                        match name {
                            GeneralName::DNSName(d) => info.dns_names.push((*d).to_owned()),
                            GeneralName::IPAddress(b) => {
                                info.ip_addresses.push(ip_from_bytes(b).ok_or_else(|| {
                                    bad(CertificateProblem::IpSanLength { len: b.len() })
                                })?)
                            }
                            GeneralName::RFC822Name(e) => {
                                info.email_addresses.push((*e).to_owned())
                            }
                            GeneralName::URI(u) => info.uris.push((*u).to_owned()),
                            _ => {}
                        }
                    }
                }
                ParsedExtension::BasicConstraints(bc) => {
                    info.is_ca = bc.ca;
                    info.path_len = bc.path_len_constraint;
                }
                ParsedExtension::KeyUsage(ku) => {
                    info.key_usages = Some(KeyUsage::from_x509(ku));
                }
                ParsedExtension::ExtendedKeyUsage(eku) => {
                    info.extended_key_usages = ExtendedKeyUsage::from_x509(eku);
                }
                ParsedExtension::SubjectKeyIdentifier(id) => {
                    info.subject_key_id = Some(id.0.to_vec())
                }
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    info.authority_key_id = aki.key_identifier.as_ref().map(|k| k.0.to_vec());
                }
                _ => {}
            }
        }
        Ok(info)
    }

    /// Checks that `issuer` signed this certificate: the issuer name matches the
    /// issuer's subject and the signature verifies with its public key.
    pub fn verify_issued_by(&self, issuer: &Certificate) -> Result<()> {
        let c = self.parse(&Origin::input("certificate"))?;
        let i = issuer.parse(&Origin::input("issuer certificate"))?;
        if c.issuer().as_raw() != i.subject().as_raw() {
            return Err(Error::InvalidSuppliedCertificate {
                what: describe(&c),
                problem: SuppliedProblem::WrongIssuer {
                    issuer: c.issuer().to_string(),
                    expected: i.subject().to_string(),
                },
            });
        }
        let key = PublicKey::from_spki_der_in(i.public_key().raw, &Origin::input("issuer key"))?;
        if !verify_signature(
            &key,
            &c.signature_algorithm.algorithm.to_id_string(),
            c.tbs_certificate.as_ref(),
            &c.signature_value.data,
        ) {
            return Err(Error::InvalidSuppliedCertificate {
                what: describe(&c),
                problem: SuppliedProblem::BadSignature {
                    issuer: i.subject().to_string(),
                },
            });
        }
        Ok(())
    }
}

/// An IP address SAN's bytes as an address (4 or 16 bytes).
pub(crate) fn ip_from_bytes(b: &[u8]) -> Option<IpAddr> {
    match b.len() {
        4 => <[u8; 4]>::try_from(b).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(b).ok().map(IpAddr::from),
        _ => None,
    }
}

fn describe(c: &X509Certificate<'_>) -> String {
    format!("certificate {:?}", c.subject().to_string())
}

/// Verifies an X.509 signature of `algorithm_oid` over `message`.
pub(crate) fn verify_signature(
    key: &PublicKey,
    algorithm_oid: &str,
    message: &[u8],
    signature: &[u8],
) -> bool {
    use aws_lc_rs::signature as s;
    let alg: &dyn s::VerificationAlgorithm = match algorithm_oid {
        "1.2.840.113549.1.1.11" => &s::RSA_PKCS1_2048_8192_SHA256,
        "1.2.840.113549.1.1.12" => &s::RSA_PKCS1_2048_8192_SHA384,
        "1.2.840.113549.1.1.13" => &s::RSA_PKCS1_2048_8192_SHA512,
        "1.2.840.10045.4.3.2" => match key.algorithm() {
            KeyAlgorithm::EcdsaP384 => &s::ECDSA_P384_SHA256_ASN1,
            _ => &s::ECDSA_P256_SHA256_ASN1,
        },
        "1.2.840.10045.4.3.3" => match key.algorithm() {
            KeyAlgorithm::EcdsaP256 => &s::ECDSA_P256_SHA384_ASN1,
            _ => &s::ECDSA_P384_SHA384_ASN1,
        },
        "1.3.101.112" => &s::ED25519,
        _ => return false,
    };
    s::UnparsedPublicKey::new(alg, key.raw())
        .verify(message, signature)
        .is_ok()
}

fn to_system_time(unix: i64) -> SystemTime {
    if unix >= 0 {
        UNIX_EPOCH + Duration::from_secs(unix.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(unix.unsigned_abs())
    }
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.info() {
            Ok(i) => f
                .debug_struct("Certificate")
                .field("subject_common_name", &i.subject_common_name)
                .field("issuer_common_name", &i.issuer_common_name)
                .finish_non_exhaustive(),
            Err(_) => f
                .debug_struct("Certificate")
                .field("der_len", &self.der.len())
                .finish(),
        }
    }
}

/// The fields of a certificate that matter for a cluster PKI.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CertificateInfo {
    /// The subject's CN, if any.
    pub subject_common_name: Option<String>,
    /// The subject's O values, in order.
    pub organizations: Vec<String>,
    /// Whether the subject has attributes other than CN and O.
    pub subject_has_other_attributes: bool,
    /// The issuer's CN, if any.
    pub issuer_common_name: Option<String>,
    /// The subject name, DER.
    pub subject_der: Vec<u8>,
    /// The issuer name, DER.
    pub issuer_der: Vec<u8>,
    /// The serial number's big-endian bytes as encoded.
    pub serial: Vec<u8>,
    /// Start of validity.
    pub not_before: SystemTime,
    /// End of validity.
    pub not_after: SystemTime,
    /// DNS name SANs.
    pub dns_names: Vec<String>,
    /// IP address SANs.
    pub ip_addresses: Vec<IpAddr>,
    /// Email SANs.
    pub email_addresses: Vec<String>,
    /// URI SANs.
    pub uris: Vec<String>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// basicConstraints pathLenConstraint.
    pub path_len: Option<u32>,
    /// keyUsage bits, if the extension is present.
    pub key_usages: Option<Vec<KeyUsage>>,
    /// Extended key usages.
    pub extended_key_usages: Vec<ExtendedKeyUsage>,
    /// Subject key identifier.
    pub subject_key_id: Option<Vec<u8>>,
    /// Authority key identifier (keyIdentifier).
    pub authority_key_id: Option<Vec<u8>>,
    /// The subject public key.
    pub public_key: PublicKey,
    /// The signature algorithm's dotted OID.
    pub signature_algorithm_oid: String,
}

impl CertificateInfo {
    /// The serial number as colon-less upper-case hex (as `openssl x509 -serial`).
    pub fn serial_hex(&self) -> String {
        let bytes = match self.serial.iter().position(|b| *b != 0) {
            Some(i) => &self.serial[i..],
            None => &self.serial[..],
        };
        bytes.iter().map(|b| format!("{b:02X}")).collect()
    }

    /// The subject as `O=dev, O=ops, CN=alice` (O values first, as they are written).
    pub fn subject_line(&self) -> String {
        let mut subject = String::new();
        for o in &self.organizations {
            subject.push_str("O=");
            subject.push_str(o);
            subject.push_str(", ");
        }
        subject.push_str("CN=");
        subject.push_str(self.subject_common_name.as_deref().unwrap_or(""));
        subject
    }

    /// Whether the certificate is self-issued (subject = issuer).
    pub fn is_self_issued(&self) -> bool {
        self.subject_der == self.issuer_der
    }
}
