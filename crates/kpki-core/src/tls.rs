//! General-purpose TLS certificates — any subject, SANs of four kinds, extra extensions
//! passed through — issued the way the Juju charm library `tls_certificates` v4 issues
//! them (PyPI `charmlibs-interfaces-tls-certificates` 1.12, its `CertificateSigningRequest
//! .generate`, `Certificate.generate` and `Certificate.generate_self_signed_ca`), for the
//! Python facade `kpki.tls_certificates` and any caller that needs ordinary TLS rather
//! than a Kubernetes identity.
//!
//! Kubernetes identities ([`Identity`](crate::Identity)) keep their strict rules; this
//! module writes what a charm asks for, with the library's fields and extension rules:
//!
//! - **Subjects** ([`DistinguishedName`]): one RDN per attribute, in the caller's order,
//!   each a UTF8String except emailAddress (IA5String) and countryName
//!   (PrintableString), as pyca/cryptography writes them; CN at most 64 characters and C
//!   exactly 2, as it enforces.
//! - **CSRs** ([`TlsRequest::to_csr`]): subjectAltName (non-critical) when there are SANs,
//!   then the caller's extensions as given.
//! - **Signing a CSR** ([`tls_sign_request`]): authorityKeyIdentifier (the CA's
//!   subjectKeyIdentifier), subjectKeyIdentifier (SHA-1 of the requester's key, RFC 5280
//!   method 1), basicConstraints (critical), subjectAltName rebuilt from the request
//!   (DNS, IP, registeredID, email — plus the subject's emailAddress, RFC 5280 §4.1.2.6),
//!   keyUsage (critical: keyCertSign + cRLSign for a CA; digitalSignature for an ECDSA
//!   leaf that requests none), then every other extension of the request verbatim, with
//!   its criticality. The subject is the request's, byte for byte.
//! - **Self-signed CA** ([`tls_self_signed_ca`]): subjectKeyIdentifier, basicConstraints
//!   `CA:TRUE` (critical), keyUsage (critical: digitalSignature, keyCertSign and, for
//!   RSA, keyEncipherment), and subjectAltName only when SANs are asked for.
//!
//! Where kpki departs from the library, on purpose:
//! - the issuer of a signed certificate is the CA's *subject* (the library copies the
//!   CA's issuer, which is the same only for a self-signed CA and otherwise gives
//!   certificates no verifier chains);
//! - a request's self-signature is verified before it is signed ([`Csr`] is only made by
//!   verifying), and values a DER encoder cannot write faithfully (a non-ASCII email or
//!   DNS name, a malformed OID) are refused with [`Error::InvalidTlsField`] instead of
//!   being written as bytes.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use kpki_core::{
//!     DistinguishedName, GeneralName, KeyAlgorithm, NameAttribute, PrivateKey, TlsFields,
//!     TlsRequest, tls_self_signed_ca, tls_sign_request,
//! };
//!
//! # fn main() -> Result<(), kpki_core::Error> {
//! let now = SystemTime::now();
//! let ca_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
//! let ca_name = DistinguishedName::new().with(NameAttribute::CommonName, "my-ca")?;
//! let ca = tls_self_signed_ca(&ca_name, &[], &ca_key, now, now + Duration::from_secs(86400))?;
//!
//! let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
//! let request = TlsRequest::new(
//!     DistinguishedName::new()
//!         .with(NameAttribute::CommonName, "unit-0")?
//!         .with(NameAttribute::Organization, "Example")?,
//! )
//! .with_san(GeneralName::parse("dns", "unit-0.example")?);
//! let csr = request.to_csr(&key)?;
//! let leaf = tls_sign_request(&csr, &ca, &ca_key, now, now + Duration::from_secs(3600), false)?;
//! leaf.verify_issued_by(&ca)?;
//! let fields = TlsFields::of_certificate(&leaf)?;
//! assert_eq!(fields.subject.get(NameAttribute::Organization), Some("Example"));
//! assert_eq!(fields.sans, [GeneralName::Dns("unit-0.example".into())]);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::net::IpAddr;
use std::time::SystemTime;

use x509_parser::extensions::{GeneralName as ParsedName, ParsedExtension, X509Extension};
use x509_parser::prelude::FromDer;

use crate::certificate::{Certificate, ip_from_bytes};
use crate::csr::Csr;
use crate::der::{self, BOOLEAN_TRUE, OCTET_STRING, OID, PRINTABLE_STRING, SEQUENCE, SET};
use crate::error::{Error, Origin, Result, TlsField, TlsFieldProblem, TlsRefusal, ValidityProblem};
use crate::names::KeyAlgorithm;
use crate::profile::KeyUsage;
use crate::signer::Signer;
use crate::tbs;

/// An attribute of a general-purpose subject name, the ones the charm library writes.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameAttribute {
    /// commonName (2.5.4.3), `CN`.
    CommonName,
    /// x500UniqueIdentifier (2.5.4.45): the library writes a random UUID here by default
    /// (as a UTF8String, as pyca/cryptography does for a text value).
    UniqueIdentifier,
    /// organizationName (2.5.4.10), `O`.
    Organization,
    /// organizationalUnitName (2.5.4.11), `OU`.
    OrganizationalUnit,
    /// emailAddress (1.2.840.113549.1.9.1), an IA5String.
    EmailAddress,
    /// countryName (2.5.4.6), `C`: two letters, a PrintableString.
    Country,
    /// stateOrProvinceName (2.5.4.8), `ST`.
    StateOrProvince,
    /// localityName (2.5.4.7), `L`.
    Locality,
}

const ALL_ATTRIBUTES: [NameAttribute; 8] = [
    NameAttribute::CommonName,
    NameAttribute::UniqueIdentifier,
    NameAttribute::Organization,
    NameAttribute::OrganizationalUnit,
    NameAttribute::EmailAddress,
    NameAttribute::Country,
    NameAttribute::StateOrProvince,
    NameAttribute::Locality,
];

impl NameAttribute {
    /// The short name kpki reads and writes (`CN`, `x500UniqueIdentifier`, `O`, `OU`,
    /// `emailAddress`, `C`, `ST`, `L`).
    pub fn name(self) -> &'static str {
        match self {
            NameAttribute::CommonName => "CN",
            NameAttribute::UniqueIdentifier => "x500UniqueIdentifier",
            NameAttribute::Organization => "O",
            NameAttribute::OrganizationalUnit => "OU",
            NameAttribute::EmailAddress => "emailAddress",
            NameAttribute::Country => "C",
            NameAttribute::StateOrProvince => "ST",
            NameAttribute::Locality => "L",
        }
    }

    /// The dotted OID.
    pub fn oid(self) -> &'static str {
        match self {
            NameAttribute::CommonName => "2.5.4.3",
            NameAttribute::UniqueIdentifier => "2.5.4.45",
            NameAttribute::Organization => "2.5.4.10",
            NameAttribute::OrganizationalUnit => "2.5.4.11",
            NameAttribute::EmailAddress => "1.2.840.113549.1.9.1",
            NameAttribute::Country => "2.5.4.6",
            NameAttribute::StateOrProvince => "2.5.4.8",
            NameAttribute::Locality => "2.5.4.7",
        }
    }

    fn oid_der(self) -> &'static [u8] {
        match self {
            NameAttribute::CommonName => &[0x55, 0x04, 0x03],
            NameAttribute::UniqueIdentifier => &[0x55, 0x04, 0x2d],
            NameAttribute::Organization => &[0x55, 0x04, 0x0a],
            NameAttribute::OrganizationalUnit => &[0x55, 0x04, 0x0b],
            NameAttribute::EmailAddress => &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01],
            NameAttribute::Country => &[0x55, 0x04, 0x06],
            NameAttribute::StateOrProvince => &[0x55, 0x04, 0x08],
            NameAttribute::Locality => &[0x55, 0x04, 0x07],
        }
    }

    /// The attribute of a short name or dotted OID (`"O"`, `"2.5.4.10"`).
    pub fn parse(name: &str) -> Result<NameAttribute> {
        ALL_ATTRIBUTES
            .into_iter()
            .find(|a| a.name() == name || a.oid() == name)
            .ok_or_else(|| Error::InvalidTlsField {
                field: TlsField::Attribute(None),
                value: name.to_owned(),
                problem: TlsFieldProblem::Unknown {
                    expected: "CN, x500UniqueIdentifier, O, OU, emailAddress, C, ST or L",
                },
            })
    }

    /// `ATTRIBUTE=VALUE` (`O=Example`, `2.5.4.11=Ops`): the attribute and its value (not
    /// yet checked: [`DistinguishedName::with`] checks it).
    pub fn parse_assignment(text: &str) -> Result<(NameAttribute, String)> {
        let Some((name, value)) = text.split_once('=') else {
            return Err(Error::InvalidTlsField {
                field: TlsField::Attribute(None),
                value: text.to_owned(),
                problem: TlsFieldProblem::Unknown {
                    expected: "ATTRIBUTE=VALUE, ATTRIBUTE one of CN, x500UniqueIdentifier, O, OU, emailAddress, C, ST, L",
                },
            });
        };
        Ok((NameAttribute::parse(name)?, value.to_owned()))
    }

    fn check(self, value: &str) -> std::result::Result<(), TlsFieldProblem> {
        let chars = value.chars().count();
        match self {
            _ if value.is_empty() => Err(TlsFieldProblem::Empty),
            NameAttribute::CommonName if chars > 64 => Err(TlsFieldProblem::TooLong {
                max: 64,
                len: chars,
            }),
            NameAttribute::Country if chars != 2 => Err(TlsFieldProblem::WrongLength {
                want: 2,
                len: chars,
            }),
            NameAttribute::Country if !crate::subject::is_printable(value) => {
                Err(TlsFieldProblem::NotPrintable)
            }
            NameAttribute::EmailAddress if !value.is_ascii() => Err(TlsFieldProblem::NotAscii),
            _ => Ok(()),
        }
    }

    fn tag(self) -> u8 {
        match self {
            NameAttribute::EmailAddress => IA5_STRING,
            NameAttribute::Country => PRINTABLE_STRING,
            _ => der::UTF8_STRING,
        }
    }
}

impl fmt::Display for NameAttribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

const IA5_STRING: u8 = 0x16;
/// GeneralName tags: `[1] rfc822Name`, `[2] dNSName`, `[7] iPAddress`, `[8] registeredID`.
const GENERAL_NAME_EMAIL: u8 = 0x81;
const GENERAL_NAME_DNS: u8 = 0x82;
const GENERAL_NAME_IP: u8 = 0x87;
const GENERAL_NAME_RID: u8 = 0x88;

const OID_SUBJECT_ALT_NAME: &str = "2.5.29.17";
const OID_SUBJECT_KEY_IDENTIFIER: &str = "2.5.29.14";
const OID_AUTHORITY_KEY_IDENTIFIER: &str = "2.5.29.35";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_KEY_USAGE: &str = "2.5.29.15";

/// A subject name: attributes in the order they are written, one RDN each.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DistinguishedName {
    attributes: Vec<(NameAttribute, String)>,
}

impl DistinguishedName {
    /// An empty name.
    pub fn new() -> DistinguishedName {
        DistinguishedName::default()
    }

    /// This name with `attribute = value` appended, after checking the value
    /// (non-empty; CN ≤ 64 characters; C two printable characters; emailAddress ASCII).
    pub fn with(mut self, attribute: NameAttribute, value: impl Into<String>) -> Result<Self> {
        let value = value.into();
        attribute
            .check(&value)
            .map_err(|problem| Error::InvalidTlsField {
                field: TlsField::Attribute(Some(attribute.name())),
                value: value.clone(),
                problem,
            })?;
        self.attributes.push((attribute, value));
        Ok(self)
    }

    /// A name of `ATTRIBUTE=VALUE` assignments, in order
    /// ([`NameAttribute::parse_assignment`]).
    pub fn from_assignments<S: AsRef<str>>(
        assignments: impl IntoIterator<Item = S>,
    ) -> Result<DistinguishedName> {
        assignments
            .into_iter()
            .try_fold(DistinguishedName::new(), |name, a| {
                let (attribute, value) = NameAttribute::parse_assignment(a.as_ref())?;
                name.with(attribute, value)
            })
    }

    /// The attributes, in order.
    pub fn attributes(&self) -> &[(NameAttribute, String)] {
        &self.attributes
    }

    /// The first value of `attribute`.
    pub fn get(&self, attribute: NameAttribute) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(a, _)| *a == attribute)
            .map(|(_, v)| v.as_str())
    }

    /// Whether it has no attribute.
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty()
    }

    fn encode(&self, out: &mut Vec<u8>) {
        der::tlv(out, SEQUENCE, |o| {
            for (attribute, value) in &self.attributes {
                der::tlv(o, SET, |o| {
                    der::tlv(o, SEQUENCE, |o| {
                        der::primitive(o, OID, attribute.oid_der());
                        der::primitive(o, attribute.tag(), value.as_bytes());
                    });
                });
            }
        });
    }

    fn to_der(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + 24 * self.attributes.len());
        self.encode(&mut out);
        out
    }
}

/// A subject alternative name of a kind the charm library writes.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GeneralName {
    /// dNSName: any ASCII text (the library does not check the syntax; neither does
    /// this, so that a charm gets what it asked for).
    Dns(String),
    /// iPAddress.
    Ip(IpAddr),
    /// registeredID: a dotted OID.
    RegisteredId(String),
    /// rfc822Name: an ASCII email address.
    Email(String),
}

impl GeneralName {
    /// A name of `kind` — `dns`, `ip`, `oid` or `email` — and `value`, checked.
    pub fn parse(kind: &str, value: &str) -> Result<GeneralName> {
        let bad = |field, problem| Error::InvalidTlsField {
            field,
            value: value.to_owned(),
            problem,
        };
        let ascii = |field| {
            if value.is_empty() {
                Err(bad(field, TlsFieldProblem::Empty))
            } else if !value.is_ascii() {
                Err(bad(field, TlsFieldProblem::NotAscii))
            } else {
                Ok(value.to_owned())
            }
        };
        match kind {
            "dns" => Ok(GeneralName::Dns(ascii(TlsField::DnsName)?)),
            "email" => Ok(GeneralName::Email(ascii(TlsField::Email)?)),
            "ip" => value
                .parse()
                .map(GeneralName::Ip)
                .map_err(|_| bad(TlsField::IpAddress, TlsFieldProblem::NotAnIp)),
            // Kept in canonical form (`1.02.3` is `1.2.3`), as it reads back.
            "oid" => der::oid_from_dotted(value)
                .and_then(|der| der::oid_to_dotted(&der))
                .map(GeneralName::RegisteredId)
                .ok_or_else(|| bad(TlsField::RegisteredId, TlsFieldProblem::NotAnOid)),
            _ => Err(Error::InvalidTlsField {
                field: TlsField::SanKind,
                value: kind.to_owned(),
                problem: TlsFieldProblem::Unknown {
                    expected: "dns, ip, oid or email",
                },
            }),
        }
    }

    /// The kind, as [`GeneralName::parse`] spells it.
    pub fn kind(&self) -> &'static str {
        match self {
            GeneralName::Dns(_) => "dns",
            GeneralName::Ip(_) => "ip",
            GeneralName::RegisteredId(_) => "oid",
            GeneralName::Email(_) => "email",
        }
    }

    /// The value as text (an IP address in its usual notation, an OID dotted).
    pub fn value(&self) -> String {
        match self {
            GeneralName::Dns(s) | GeneralName::RegisteredId(s) | GeneralName::Email(s) => s.clone(),
            GeneralName::Ip(ip) => ip.to_string(),
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            GeneralName::Dns(d) => der::primitive(out, GENERAL_NAME_DNS, d.as_bytes()),
            GeneralName::Email(e) => der::primitive(out, GENERAL_NAME_EMAIL, e.as_bytes()),
            GeneralName::Ip(IpAddr::V4(v4)) => der::primitive(out, GENERAL_NAME_IP, &v4.octets()),
            GeneralName::Ip(IpAddr::V6(v6)) => der::primitive(out, GENERAL_NAME_IP, &v6.octets()),
            GeneralName::RegisteredId(oid) => {
                // Checked when made.
                let body = der::oid_from_dotted(oid).unwrap_or_default();
                der::primitive(out, GENERAL_NAME_RID, &body);
            }
        }
    }
}

impl std::str::FromStr for GeneralName {
    type Err = Error;

    /// `KIND:VALUE`: `dns:a.example`, `ip:fd00::1`, `oid:1.2.3.4`, `email:x@example.com`.
    fn from_str(text: &str) -> Result<GeneralName> {
        match text.split_once(':') {
            Some((kind, value)) => GeneralName::parse(kind, value),
            None => Err(Error::InvalidTlsField {
                field: TlsField::SanKind,
                value: text.to_owned(),
                problem: TlsFieldProblem::Unknown {
                    expected: "KIND:VALUE, KIND one of dns, ip, oid or email",
                },
            }),
        }
    }
}

/// One X.509 extension as DER: OID, criticality and the `extnValue` contents.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RawExtension {
    oid: String,
    critical: bool,
    value: Vec<u8>,
}

impl RawExtension {
    /// An extension of dotted `oid` whose value is the DER `value` (what goes inside the
    /// `extnValue` OCTET STRING; pyca/cryptography's `ExtensionType.public_bytes()`).
    pub fn new(oid: &str, critical: bool, value: Vec<u8>) -> Result<RawExtension> {
        let Some(canonical) = der::oid_from_dotted(oid).and_then(|der| der::oid_to_dotted(&der))
        else {
            return Err(Error::InvalidTlsField {
                field: TlsField::ExtensionOid,
                value: oid.to_owned(),
                problem: TlsFieldProblem::NotAnOid,
            });
        };
        let oid = canonical.as_str();
        if oid == OID_SUBJECT_ALT_NAME {
            return Err(Error::InvalidTlsField {
                field: TlsField::ExtensionOid,
                value: oid.to_owned(),
                problem: TlsFieldProblem::SanAsExtension,
            });
        }
        if !der::is_tlv(&value) {
            return Err(Error::InvalidTlsField {
                field: TlsField::ExtensionValue,
                value: oid.to_owned(),
                problem: TlsFieldProblem::NotDer,
            });
        }
        Ok(RawExtension {
            oid: oid.to_owned(),
            critical,
            value,
        })
    }

    /// The dotted OID.
    pub fn oid(&self) -> &str {
        &self.oid
    }

    /// Whether it is marked critical.
    pub fn critical(&self) -> bool {
        self.critical
    }

    /// The DER value (inside `extnValue`).
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let oid = der::oid_from_dotted(&self.oid).unwrap_or_default(); // checked when made
        der::tlv(out, SEQUENCE, |o| {
            der::primitive(o, OID, &oid);
            if self.critical {
                o.extend_from_slice(&BOOLEAN_TRUE);
            }
            der::primitive(o, OCTET_STRING, &self.value);
        });
    }

    fn from_parsed(ext: &X509Extension<'_>) -> Result<RawExtension> {
        Ok(RawExtension {
            oid: strict_dotted(&ext.oid, TlsField::ExtensionOid)?,
            critical: ext.critical,
            value: ext.value.to_vec(),
        })
    }
}

/// What a general-purpose CSR asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsRequest {
    subject: DistinguishedName,
    sans: Vec<GeneralName>,
    extensions: Vec<RawExtension>,
}

impl TlsRequest {
    /// A request for `subject`, no SANs, no extra extensions.
    pub fn new(subject: DistinguishedName) -> TlsRequest {
        TlsRequest {
            subject,
            sans: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// With one more SAN.
    pub fn with_san(mut self, san: GeneralName) -> TlsRequest {
        self.sans.push(san);
        self
    }

    /// With SANs appended.
    pub fn with_sans(mut self, sans: impl IntoIterator<Item = GeneralName>) -> TlsRequest {
        self.sans.extend(sans);
        self
    }

    /// With one more extension (requested in the CSR; [`tls_sign_request`] copies it).
    pub fn with_extension(mut self, extension: RawExtension) -> TlsRequest {
        self.extensions.push(extension);
        self
    }

    /// The CSR, signed with `key` (its proof of possession). A subject with no attribute
    /// is refused, as the library refuses it.
    pub fn to_csr(&self, key: &dyn Signer) -> Result<Csr> {
        if self.subject.is_empty() {
            return Err(Error::InvalidTlsField {
                field: TlsField::Subject,
                value: String::new(),
                problem: TlsFieldProblem::Empty,
            });
        }
        let mut oids: Vec<&str> = Vec::new();
        for e in &self.extensions {
            if oids.contains(&e.oid.as_str()) {
                return Err(Error::InvalidTlsField {
                    field: TlsField::ExtensionOid,
                    value: e.oid.clone(),
                    problem: TlsFieldProblem::Duplicate,
                });
            }
            oids.push(&e.oid);
        }
        let mut extensions = Vec::new();
        san_extension(&mut extensions, &self.sans);
        for e in &self.extensions {
            e.encode(&mut extensions);
        }
        let der = tbs::certification_request(
            &self.subject.to_der(),
            key.public_key().spki_der(),
            &extensions,
            key,
        )?;
        Csr::from_der_in(&der, &Origin::input("generated CSR"))
    }
}

/// subjectAltName (non-critical), when there is a name.
fn san_extension(out: &mut Vec<u8>, sans: &[GeneralName]) {
    if sans.is_empty() {
        return;
    }
    tbs::extension(out, &[0x55, 0x1d, 0x11], false, |o| {
        der::tlv(o, SEQUENCE, |o| {
            for san in sans {
                san.encode(o);
            }
        });
    });
}

/// The subject, SANs and extensions of a certificate or CSR, as this module reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsFields {
    /// The subject's attributes of the kinds [`NameAttribute`] knows, in order.
    pub subject: DistinguishedName,
    /// Dotted OIDs of subject attributes of other kinds.
    pub other_subject_attributes: Vec<String>,
    /// The subjectAltName entries of the four kinds, in order.
    pub sans: Vec<GeneralName>,
    /// basicConstraints cA.
    pub is_ca: bool,
    /// Every extension (a CSR's requested ones), in order.
    pub extensions: Vec<RawExtension>,
}

impl TlsFields {
    /// Reads a certificate.
    pub fn of_certificate(certificate: &Certificate) -> Result<TlsFields> {
        let what = Origin::input("certificate");
        let cert = certificate.parse(&what)?;
        TlsFields::read(cert.subject(), cert.extensions())
    }

    /// Reads a (verified) CSR.
    pub fn of_csr(csr: &Csr) -> Result<TlsFields> {
        TlsFields::of_csr_with_subject(csr).map(|(fields, _)| fields)
    }

    /// [`TlsFields::of_csr`], and the subject `Name` DER as the request has it (what
    /// signing copies): one parse for both.
    fn of_csr_with_subject(csr: &Csr) -> Result<(TlsFields, Vec<u8>)> {
        let (_, req) =
            x509_parser::certification_request::X509CertificationRequest::from_der(csr.der())
                .map_err(|e| malformed_csr(&e))?;
        let cri = &req.certification_request_info;
        let mut extension_list = Vec::new();
        for attr in cri.iter_attributes() {
            if let x509_parser::cri_attributes::ParsedCriAttribute::ExtensionRequest(r) =
                attr.parsed_attribute()
            {
                extension_list.extend(r.extensions.iter().cloned());
            }
        }
        let fields = TlsFields::read(&cri.subject, &extension_list)?;
        Ok((fields, cri.subject.as_raw().to_vec()))
    }

    fn read(name: &x509_parser::x509::X509Name<'_>, exts: &[X509Extension<'_>]) -> Result<Self> {
        let mut subject = DistinguishedName::new();
        let mut other_subject_attributes = Vec::new();
        for attr in name.iter_attributes() {
            let oid = dotted(attr.attr_type());
            // (An attribute type that is no OID is only listed: the subject is copied as
            // it is, never re-encoded.)
            let known = ALL_ATTRIBUTES.into_iter().find(|a| a.oid() == oid);
            match (known, attr.as_str()) {
                // Read as it is (no checks: this is what somebody else wrote).
                (Some(a), Ok(v)) => subject.attributes.push((a, v.to_owned())),
                _ => other_subject_attributes.push(oid),
            }
        }
        let mut sans = Vec::new();
        let mut is_ca = false;
        for ext in exts {
            match ext.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    for name in &san.general_names {
                        if let Some(read) = read_general_name(name)? {
                            sans.push(read);
                        }
                    }
                }
                ParsedExtension::BasicConstraints(bc) => is_ca = bc.ca,
                _ => {}
            }
        }
        Ok(TlsFields {
            subject,
            other_subject_attributes,
            sans,
            is_ca,
            extensions: exts
                .iter()
                .map(RawExtension::from_parsed)
                .collect::<Result<_>>()?,
        })
    }
}

/// An OID read by x509-parser, dotted by [`der::oid_to_dotted`] (which reads every
/// arc right); its raw bytes in hex should they not be an OID.
fn dotted(oid: &x509_parser::oid_registry::Oid<'_>) -> String {
    der::oid_to_dotted(oid.as_bytes())
        .unwrap_or_else(|| oid.as_bytes().iter().map(|b| format!("{b:02x}")).collect())
}

/// The OID, dotted; an error naming `field` if its bytes are not one (it could not be
/// written back: found by fuzzing).
fn strict_dotted(oid: &x509_parser::oid_registry::Oid<'_>, field: TlsField) -> Result<String> {
    der::oid_to_dotted(oid.as_bytes()).ok_or_else(|| Error::InvalidTlsField {
        field,
        value: dotted(oid),
        problem: TlsFieldProblem::NotAnOid,
    })
}

/// A SAN of the four kinds (others: None); an error for one that cannot be written back.
fn read_general_name(name: &ParsedName<'_>) -> Result<Option<GeneralName>> {
    Ok(Some(match name {
        ParsedName::DNSName(d) => GeneralName::Dns((*d).to_owned()),
        ParsedName::IPAddress(b) => match ip_from_bytes(b) {
            Some(ip) => GeneralName::Ip(ip),
            None => {
                return Err(Error::InvalidTlsField {
                    field: TlsField::IpAddress,
                    value: b.iter().map(|x| format!("{x:02x}")).collect(),
                    problem: TlsFieldProblem::NotAnIp,
                });
            }
        },
        ParsedName::RegisteredID(oid) => {
            GeneralName::RegisteredId(strict_dotted(oid, TlsField::RegisteredId)?)
        }
        ParsedName::RFC822Name(e) => GeneralName::Email((*e).to_owned()),
        _ => return Ok(None),
    }))
}

/// A CSR that parsed when it was made but not now: cannot happen for a [`Csr`], which
/// holds verified DER; an error rather than a panic all the same.
fn malformed_csr(e: &x509_parser::nom::Err<x509_parser::error::X509Error>) -> Error {
    Error::InvalidCsr {
        what: Origin::input("CSR"),
        problem: crate::error::CsrProblem::Malformed {
            detail: crate::pem::der_problem(e),
        },
    }
}

/// `not_after` before `not_before`, or a time a certificate cannot hold.
fn check_times(not_before: SystemTime, not_after: SystemTime) -> Result<()> {
    let out_of_range = |t: SystemTime| Error::InvalidValidity {
        problem: ValidityProblem::OutOfRange {
            seconds: t
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        },
    };
    for t in [not_before, not_after] {
        if !crate::ca::representable(t) {
            return Err(out_of_range(t));
        }
    }
    if not_after < not_before {
        return Err(Error::InvalidValidity {
            problem: ValidityProblem::Empty,
        });
    }
    Ok(())
}

/// A random positive serial (as the CAs of this crate write it).
fn serial() -> Result<[u8; 16]> {
    crate::ca::random_serial()
}

/// A self-signed CA certificate for `subject` (not empty) and `sans`, with `key`, valid
/// from `not_before` to `not_after` (whole seconds).
pub fn tls_self_signed_ca(
    subject: &DistinguishedName,
    sans: &[GeneralName],
    key: &dyn Signer,
    not_before: SystemTime,
    not_after: SystemTime,
) -> Result<Certificate> {
    check_times(not_before, not_after)?;
    if subject.is_empty() {
        // RFC 5280 §4.1.2.6: a CA's subject is never empty (pyca/cryptography refuses too).
        return Err(Error::InvalidTlsField {
            field: TlsField::Subject,
            value: String::new(),
            problem: TlsFieldProblem::Empty,
        });
    }
    let public = key.public_key();
    let algorithm = public.algorithm();
    let name = subject.to_der();
    let mut usages = vec![KeyUsage::DigitalSignature];
    if algorithm.is_rsa() {
        usages.push(KeyUsage::KeyEncipherment);
    }
    usages.push(KeyUsage::KeyCertSign);
    let sig = tbs::signature_algorithm_der(algorithm);
    // The library's order: email first, then DNS, IP, registeredID (here: as given).
    let tbs = tbs::tbs_certificate(
        &serial()?,
        sig,
        &name,
        (
            crate::ca::truncate(not_before),
            crate::ca::truncate(not_after),
        ),
        &name,
        public.spki_der(),
        |o| {
            tbs::extension(o, &[0x55, 0x1d, 0x0e], false, |o| {
                der::primitive(o, OCTET_STRING, &tbs::key_identifier(public.raw()));
            });
            basic_constraints(o, true);
            tbs::key_usage_extension(o, &usages);
            san_extension(o, sans);
        },
    );
    Ok(Certificate::from_trusted_der(tbs::wrap_signed(
        &tbs, sig, key,
    )?))
}

fn basic_constraints(out: &mut Vec<u8>, ca: bool) {
    tbs::extension(out, &[0x55, 0x1d, 0x13], true, |o| {
        der::tlv(o, SEQUENCE, |o| {
            if ca {
                o.extend_from_slice(&BOOLEAN_TRUE);
            }
        });
    });
}

/// A certificate for what `csr` asks, signed by the CA `ca` with `ca_key`, valid from
/// `not_before` to `not_after`, `CA:TRUE` when `is_ca` — the library's extension rules
/// (module documentation). The request was verified when the [`Csr`] was made.
pub fn tls_sign_request(
    csr: &Csr,
    ca: &Certificate,
    ca_key: &dyn Signer,
    not_before: SystemTime,
    not_after: SystemTime,
    is_ca: bool,
) -> Result<Certificate> {
    let (fields, subject) = TlsFields::of_csr_with_subject(csr)?;
    sign_read_request(
        csr,
        &fields,
        &subject,
        ca,
        ca_key,
        (not_before, not_after),
        is_ca,
    )
}

/// [`tls_sign_request`] for a request already read (`fields`, `subject`: its
/// [`TlsFields::of_csr_with_subject`]).
fn sign_read_request(
    csr: &Csr,
    fields: &TlsFields,
    subject: &[u8],
    ca: &Certificate,
    ca_key: &dyn Signer,
    (not_before, not_after): (SystemTime, SystemTime),
    is_ca: bool,
) -> Result<Certificate> {
    check_times(not_before, not_after)?;
    let ca_cert = ca.parse(&Origin::input("CA certificate"))?;
    if ca_cert.tbs_certificate.subject_pki.raw != ca_key.public_key().spki_der() {
        return Err(Error::KeyMismatch {
            what: "CA certificate and CA key".into(),
        });
    }
    let issuer = tbs::IssuerTemplate::new(&ca_cert, ca_key.public_key().algorithm());

    let requester = csr.public_key();

    // SANs: DNS, IP, registeredID, email, as the request has them; then the subject's
    // emailAddress when it is not among them (RFC 5280 §4.1.2.6).
    let mut sans: Vec<GeneralName> = Vec::new();
    for kind in ["dns", "ip", "oid", "email"] {
        sans.extend(fields.sans.iter().filter(|s| s.kind() == kind).cloned());
    }
    if let Some(email) = fields.subject.get(NameAttribute::EmailAddress) {
        let email = GeneralName::Email(email.to_owned());
        if !sans.contains(&email) {
            sans.push(email);
        }
    }
    let requests_key_usage = fields.extensions.iter().any(|e| e.oid == OID_KEY_USAGE);
    let key_usages: Option<Vec<KeyUsage>> = if is_ca {
        Some(vec![KeyUsage::KeyCertSign, KeyUsage::CrlSign])
    } else if matches!(
        requester.algorithm(),
        KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384
    ) && !requests_key_usage
    {
        Some(vec![KeyUsage::DigitalSignature])
    } else {
        None
    };
    let mut managed = vec![
        OID_AUTHORITY_KEY_IDENTIFIER,
        OID_SUBJECT_KEY_IDENTIFIER,
        OID_BASIC_CONSTRAINTS,
        OID_SUBJECT_ALT_NAME,
    ];
    if key_usages.is_some() {
        managed.push(OID_KEY_USAGE);
    }

    let tbs = tbs::tbs_certificate(
        &serial()?,
        issuer.signature_algorithm,
        &issuer.name,
        (
            crate::ca::truncate(not_before),
            crate::ca::truncate(not_after),
        ),
        subject,
        requester.spki_der(),
        |o| {
            o.extend_from_slice(&issuer.authority_key_identifier);
            tbs::extension(o, &[0x55, 0x1d, 0x0e], false, |o| {
                der::primitive(o, OCTET_STRING, &tbs::key_identifier(requester.raw()));
            });
            basic_constraints(o, is_ca);
            san_extension(o, &sans);
            if let Some(usages) = &key_usages {
                tbs::key_usage_extension(o, usages);
            }
            for e in &fields.extensions {
                if !managed.contains(&e.oid.as_str()) {
                    e.encode(o);
                }
            }
        },
    );
    let der = tbs::wrap_signed(&tbs, issuer.signature_algorithm, ca_key)?;
    // The subject and the extensions other than the managed ones are the request's,
    // byte for byte: a request x509-parser reads leniently (an RDN that is not a
    // SEQUENCE, found by fuzzing) would give a certificate nobody can read. Read it
    // back before handing it out.
    Certificate::from_der(&der).map_err(|e| Error::InvalidCsr {
        what: Origin::input("CSR"),
        problem: crate::error::CsrProblem::Malformed {
            detail: format!("the certificate it asks for does not read back: {e}"),
        },
    })
}

/// What a provider of general-purpose certificates (a charm's `tls-certificates`
/// provider) agrees to sign: the rules behind the relation's `ProviderCapabilities` and
/// `CertificateRequestErrorCode`. The default allows any DNS name and IP address, no
/// wildcard, no CA, and at most 90 days.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsPolicy {
    allowed_domains: Vec<String>,
    allow_subdomains: bool,
    allow_wildcards: bool,
    allow_ip_sans: bool,
    allow_ca: bool,
    max_validity: std::time::Duration,
}

impl Default for TlsPolicy {
    fn default() -> TlsPolicy {
        TlsPolicy {
            allowed_domains: Vec::new(),
            allow_subdomains: true,
            allow_wildcards: false,
            allow_ip_sans: true,
            allow_ca: false,
            max_validity: std::time::Duration::from_secs(90 * 86_400),
        }
    }
}

impl TlsPolicy {
    /// The default policy (type documentation).
    pub fn new() -> TlsPolicy {
        TlsPolicy::default()
    }

    /// Only DNS names in these domains (compared without case and trailing dot); none
    /// given: any.
    pub fn with_allowed_domains<S: Into<String>>(
        mut self,
        domains: impl IntoIterator<Item = S>,
    ) -> TlsPolicy {
        self.allowed_domains = domains.into_iter().map(|d| normal(&d.into())).collect();
        self
    }

    /// Whether names below an allowed domain (`a.example.com` for `example.com`) are
    /// allowed, or only the domain itself.
    pub fn with_subdomains(mut self, allow: bool) -> TlsPolicy {
        self.allow_subdomains = allow;
        self
    }

    /// Whether wildcard DNS names (`*.example.com`) are allowed.
    pub fn with_wildcards(mut self, allow: bool) -> TlsPolicy {
        self.allow_wildcards = allow;
        self
    }

    /// Whether IP address SANs are allowed.
    pub fn with_ip_sans(mut self, allow: bool) -> TlsPolicy {
        self.allow_ip_sans = allow;
        self
    }

    /// Whether CA certificates (a request with `is_ca`, or a CSR asking for `CA:TRUE`)
    /// are issued.
    pub fn with_ca(mut self, allow: bool) -> TlsPolicy {
        self.allow_ca = allow;
        self
    }

    /// The longest validity issued; longer requests are shortened to it.
    pub fn with_max_validity(mut self, max: std::time::Duration) -> TlsPolicy {
        self.max_validity = max;
        self
    }

    /// The allowed domains (empty: any).
    pub fn allowed_domains(&self) -> &[String] {
        &self.allowed_domains
    }

    /// Whether subdomains of the allowed domains are allowed.
    pub fn allows_subdomains(&self) -> bool {
        self.allow_subdomains
    }

    /// Whether wildcard names are allowed.
    pub fn allows_wildcards(&self) -> bool {
        self.allow_wildcards
    }

    /// Whether IP SANs are allowed.
    pub fn allows_ip_sans(&self) -> bool {
        self.allow_ip_sans
    }

    /// Whether CA certificates are issued.
    pub fn allows_ca(&self) -> bool {
        self.allow_ca
    }

    /// The longest validity issued.
    pub fn max_validity(&self) -> std::time::Duration {
        self.max_validity
    }

    /// Why `csr` (asked for as a CA when `is_ca`) may not be signed, if it may not: IP
    /// SANs first, then each DNS SAN (wildcards, then domains), then CA.
    pub fn check(&self, csr: &Csr, is_ca: bool) -> Result<()> {
        self.check_fields(&TlsFields::of_csr(csr)?, is_ca)
    }

    /// [`TlsPolicy::check`] of a request already read.
    fn check_fields(&self, fields: &TlsFields, is_ca: bool) -> Result<()> {
        let refuse = |refusal| Err(Error::TlsRefused { refusal });
        for san in &fields.sans {
            match san {
                GeneralName::Ip(ip) if !self.allow_ip_sans => {
                    return refuse(TlsRefusal::IpSan { ip: *ip });
                }
                GeneralName::Dns(name) => {
                    let n = normal(name);
                    let (wildcard, base) = match n.strip_prefix("*.") {
                        Some(base) => (true, base),
                        None => (false, n.as_str()),
                    };
                    if (wildcard || base.contains('*')) && !self.allow_wildcards {
                        return refuse(TlsRefusal::Wildcard { name: name.clone() });
                    }
                    if !self.domain_allowed(base, wildcard) {
                        return refuse(TlsRefusal::Domain { name: name.clone() });
                    }
                }
                _ => {}
            }
        }
        let csr_asks_ca = fields.extensions.iter().any(|e| {
            e.oid == OID_BASIC_CONSTRAINTS && e.value.starts_with(&[0x30]) && {
                // BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE, ... }
                e.value.get(2..5) == Some(&BOOLEAN_TRUE[..])
            }
        });
        if (is_ca || csr_asks_ca) && !self.allow_ca {
            return refuse(TlsRefusal::Ca);
        }
        Ok(())
    }

    /// `base` (a wildcard's name without `*.` when `wildcard`) is in an allowed domain.
    fn domain_allowed(&self, base: &str, wildcard: bool) -> bool {
        if self.allowed_domains.is_empty() {
            return true;
        }
        self.allowed_domains.iter().any(|d| {
            let below = base.len() > d.len()
                && base.ends_with(d.as_str())
                && base.as_bytes()[base.len() - d.len() - 1] == b'.';
            // A wildcard covers names below `base`: allowed only with subdomains.
            (base == d && !wildcard) || ((below || base == d) && self.allow_subdomains)
        })
    }

    /// The validity to issue for `requested`: at most [`TlsPolicy::max_validity`].
    pub fn validity(&self, requested: std::time::Duration) -> std::time::Duration {
        requested.min(self.max_validity)
    }

    /// [`TlsPolicy::check`], then [`tls_sign_request`] from `now` for
    /// [`TlsPolicy::validity`] of `requested`, never past the CA's own notAfter.
    pub fn sign(
        &self,
        csr: &Csr,
        ca: &Certificate,
        ca_key: &dyn Signer,
        now: SystemTime,
        requested: std::time::Duration,
        is_ca: bool,
    ) -> Result<Certificate> {
        let (fields, subject) = TlsFields::of_csr_with_subject(csr)?;
        self.check_fields(&fields, is_ca)?;
        let not_after =
            now.checked_add(self.validity(requested))
                .ok_or(Error::InvalidValidity {
                    problem: ValidityProblem::OutOfRange {
                        seconds: requested.as_secs(),
                    },
                })?;
        let ca_not_after = ca.info()?.not_after;
        let validity = (now, not_after.min(ca_not_after));
        sign_read_request(csr, &fields, &subject, ca, ca_key, validity, is_ca)
    }
}

fn normal(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use x509_parser::prelude::{
        FromDer, ParsedExtension, X509Certificate, X509CertificationRequest, parse_x509_certificate,
    };

    use super::*;
    use crate::key::PrivateKey;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    fn day() -> SystemTime {
        now() + Duration::from_secs(86_400)
    }

    fn key(algorithm: KeyAlgorithm) -> PrivateKey {
        PrivateKey::generate(algorithm).unwrap()
    }

    fn name(attrs: &[(NameAttribute, &str)]) -> DistinguishedName {
        attrs.iter().fold(DistinguishedName::new(), |n, (a, v)| {
            n.with(*a, *v).unwrap()
        })
    }

    fn ca(algorithm: KeyAlgorithm) -> (Certificate, PrivateKey) {
        let k = key(algorithm);
        let c = tls_self_signed_ca(
            &name(&[(NameAttribute::CommonName, "my-ca")]),
            &[],
            &k,
            now(),
            day(),
        )
        .unwrap();
        (c, k)
    }

    /// (dotted OID, critical) of every extension, in order.
    fn extension_list(cert: &X509Certificate<'_>) -> Vec<(String, bool)> {
        cert.extensions()
            .iter()
            .map(|e| (e.oid.to_id_string(), e.critical))
            .collect()
    }

    #[test]
    fn a_csr_carries_every_attribute_in_order_with_pyca_string_types() {
        use NameAttribute as A;
        let subject = name(&[
            (A::CommonName, "unit-0"),
            (A::UniqueIdentifier, "0b9d5a4e-1111-4a4a-9c9c-222222222222"),
            (A::Organization, "Org"),
            (A::OrganizationalUnit, "OU"),
            (A::EmailAddress, "x@example.com"),
            (A::Country, "GB"),
            (A::StateOrProvince, "London"),
            (A::Locality, "City"),
        ]);
        let ocsp_nocheck = RawExtension::new("1.3.6.1.5.5.7.48.1.5", true, vec![5, 0]).unwrap();
        let csr = TlsRequest::new(subject.clone())
            .with_sans([
                GeneralName::parse("dns", "a.example").unwrap(),
                GeneralName::parse("ip", "10.0.0.1").unwrap(),
                GeneralName::parse("oid", "1.2.3.4").unwrap(),
            ])
            .with_extension(ocsp_nocheck.clone())
            .to_csr(&key(KeyAlgorithm::EcdsaP256))
            .unwrap();
        let (_, req) = X509CertificationRequest::from_der(csr.der()).unwrap();
        let attrs: Vec<(String, u8)> = req
            .certification_request_info
            .subject
            .iter_attributes()
            .map(|a| {
                (
                    a.attr_type().to_id_string(),
                    a.attr_value().header.tag().0 as u8,
                )
            })
            .collect();
        let want: Vec<(String, u8)> = subject
            .attributes()
            .iter()
            .map(|(a, _)| (a.oid().to_owned(), a.tag()))
            .collect();
        assert_eq!(attrs, want);
        assert_eq!(want[4].1, IA5_STRING);
        assert_eq!(want[5].1, PRINTABLE_STRING);
        assert_eq!(want[0].1, der::UTF8_STRING);

        let fields = TlsFields::of_csr(&csr).unwrap();
        assert_eq!(fields.subject, subject);
        assert_eq!(
            fields.sans,
            [
                GeneralName::Dns("a.example".into()),
                GeneralName::Ip("10.0.0.1".parse().unwrap()),
                GeneralName::RegisteredId("1.2.3.4".into()),
            ]
        );
        assert_eq!(fields.extensions.len(), 2);
        assert_eq!(fields.extensions[0].oid(), OID_SUBJECT_ALT_NAME);
        assert!(!fields.extensions[0].critical());
        assert_eq!(fields.extensions[1], ocsp_nocheck);
    }

    #[test]
    fn a_signed_ecdsa_leaf_has_the_librarys_extensions_in_its_order() {
        let (ca_cert, ca_key) = ca(KeyAlgorithm::Rsa2048);
        let requester = key(KeyAlgorithm::EcdsaP256);
        let csr = TlsRequest::new(name(&[
            (NameAttribute::CommonName, "unit-0"),
            (NameAttribute::EmailAddress, "x@example.com"),
        ]))
        .with_sans([
            GeneralName::parse("oid", "1.2.3.4").unwrap(),
            GeneralName::parse("ip", "10.0.0.1").unwrap(),
            GeneralName::parse("dns", "b.example").unwrap(),
            GeneralName::parse("dns", "a.example").unwrap(),
        ])
        .with_extension(RawExtension::new("1.3.6.1.5.5.7.48.1.5", true, vec![5, 0]).unwrap())
        .to_csr(&requester)
        .unwrap();
        let leaf = tls_sign_request(&csr, &ca_cert, &ca_key, now(), day(), false).unwrap();
        leaf.verify_issued_by(&ca_cert).unwrap();
        let (_, x) = parse_x509_certificate(leaf.der()).unwrap();
        let (_, c) = parse_x509_certificate(ca_cert.der()).unwrap();
        assert_eq!(
            extension_list(&x),
            [
                ("2.5.29.35".to_owned(), false),
                ("2.5.29.14".to_owned(), false),
                ("2.5.29.19".to_owned(), true),
                ("2.5.29.17".to_owned(), false),
                ("2.5.29.15".to_owned(), true),
                ("1.3.6.1.5.5.7.48.1.5".to_owned(), true),
            ]
        );
        assert_eq!(x.issuer().as_raw(), c.subject().as_raw());
        let ski = |cert: &X509Certificate<'_>| {
            cert.iter_extensions()
                .find_map(|e| match e.parsed_extension() {
                    ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
                    _ => None,
                })
        };
        let aki = x
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                _ => None,
            });
        assert_eq!(aki, ski(&c));
        assert_eq!(
            ski(&x),
            Some(tbs::key_identifier(requester.public_key().raw()))
        );
        let fields = TlsFields::of_certificate(&leaf).unwrap();
        assert!(!fields.is_ca);
        assert_eq!(
            fields.sans,
            [
                GeneralName::Dns("b.example".into()),
                GeneralName::Dns("a.example".into()),
                GeneralName::Ip("10.0.0.1".parse().unwrap()),
                GeneralName::RegisteredId("1.2.3.4".into()),
                GeneralName::Email("x@example.com".into()),
            ]
        );
        let ku = x.key_usage().unwrap().unwrap().value;
        assert!(ku.digital_signature() && !ku.key_encipherment() && !ku.key_cert_sign());
        assert_eq!(x.validity().not_before.timestamp(), 1_800_000_000);
    }

    #[test]
    fn an_rsa_leaf_gets_no_key_usage_and_a_ca_gets_cert_sign_and_crl_sign() {
        let (ca_cert, ca_key) = ca(KeyAlgorithm::EcdsaP384);
        let csr = TlsRequest::new(name(&[(NameAttribute::CommonName, "rsa")]))
            .to_csr(&key(KeyAlgorithm::Rsa2048))
            .unwrap();
        let leaf = tls_sign_request(&csr, &ca_cert, &ca_key, now(), day(), false).unwrap();
        let (_, x) = parse_x509_certificate(leaf.der()).unwrap();
        assert!(x.key_usage().unwrap().is_none());
        assert!(x.subject_alternative_name().unwrap().is_none());
        assert_eq!(
            x.signature_algorithm.algorithm.to_id_string(),
            "1.2.840.10045.4.3.3"
        );

        let sub = tls_sign_request(&csr, &ca_cert, &ca_key, now(), day(), true).unwrap();
        let (_, x) = parse_x509_certificate(sub.der()).unwrap();
        let ku = x.key_usage().unwrap().unwrap();
        assert!(ku.critical);
        assert!(ku.value.key_cert_sign() && ku.value.crl_sign() && !ku.value.digital_signature());
        assert!(x.basic_constraints().unwrap().unwrap().value.ca);
        assert!(TlsFields::of_certificate(&sub).unwrap().is_ca);
    }

    #[test]
    fn a_self_signed_ca_has_key_encipherment_only_for_rsa_and_sans_only_when_asked() {
        let (rsa, _) = ca(KeyAlgorithm::Rsa2048);
        let (_, x) = parse_x509_certificate(rsa.der()).unwrap();
        assert_eq!(
            extension_list(&x),
            [
                ("2.5.29.14".to_owned(), false),
                ("2.5.29.19".to_owned(), true),
                ("2.5.29.15".to_owned(), true),
            ]
        );
        let ku = x.key_usage().unwrap().unwrap().value;
        assert!(ku.digital_signature() && ku.key_encipherment() && ku.key_cert_sign());
        assert_eq!(x.issuer().as_raw(), x.subject().as_raw());

        let k = key(KeyAlgorithm::EcdsaP256);
        let ec = tls_self_signed_ca(
            &name(&[(NameAttribute::CommonName, "ec-ca")]),
            &[GeneralName::parse("dns", "ca.example").unwrap()],
            &k,
            now(),
            day(),
        )
        .unwrap();
        let (_, x) = parse_x509_certificate(ec.der()).unwrap();
        let ku = x.key_usage().unwrap().unwrap().value;
        assert!(ku.digital_signature() && !ku.key_encipherment() && ku.key_cert_sign());
        assert_eq!(
            TlsFields::of_certificate(&ec).unwrap().sans,
            [GeneralName::Dns("ca.example".into())]
        );
    }

    #[test]
    fn bad_values_are_refused_naming_the_field() {
        let e = DistinguishedName::new()
            .with(NameAttribute::CommonName, "a".repeat(65))
            .unwrap_err();
        assert!(e.to_string().contains("subject attribute CN"), "{e}");
        assert!(e.to_string().contains("at most 64"), "{e}");
        let e = DistinguishedName::new()
            .with(NameAttribute::Country, "GBR")
            .unwrap_err();
        assert!(e.to_string().contains("exactly 2"), "{e}");
        for (kind, value, want) in [
            ("ip", "300.1.1.1", "not an IPv4"),
            ("oid", "1.2.abc", "not a dotted OID"),
            ("dns", "zoë.example", "only ASCII"),
            ("uri", "https://x", "expected one of dns, ip, oid or email"),
        ] {
            let e = GeneralName::parse(kind, value).unwrap_err();
            assert!(e.to_string().contains(want), "{kind} {value}: {e}");
        }
        assert!(NameAttribute::parse("street").is_err());
        let parsed = DistinguishedName::from_assignments(["CN=a=b", "2.5.4.10=Org"]).unwrap();
        assert_eq!(parsed.get(NameAttribute::CommonName), Some("a=b"));
        assert_eq!(parsed.get(NameAttribute::Organization), Some("Org"));
        assert!(DistinguishedName::from_assignments(["CN"]).is_err());
        assert_eq!(
            "ip:fd00::1".parse::<GeneralName>().unwrap(),
            GeneralName::Ip("fd00::1".parse().unwrap())
        );
        assert!("a.example".parse::<GeneralName>().is_err());
        assert_eq!(
            "oid:1.02.3".parse::<GeneralName>().unwrap(),
            GeneralName::RegisteredId("1.2.3".into())
        );
        assert_eq!(
            NameAttribute::parse("2.5.4.11").unwrap(),
            NameAttribute::OrganizationalUnit
        );
        let e = TlsRequest::new(DistinguishedName::new())
            .to_csr(&key(KeyAlgorithm::EcdsaP256))
            .unwrap_err();
        assert!(e.to_string().contains("invalid subject"), "{e}");
        assert!(RawExtension::new("2.5.29.17", false, vec![0x30, 0]).is_err());
        assert!(RawExtension::new("1.2.3", false, vec![0x30, 5]).is_err());
        let e = tls_self_signed_ca(
            &name(&[(NameAttribute::CommonName, "x")]),
            &[],
            &key(KeyAlgorithm::EcdsaP256),
            day(),
            now(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidValidity { .. }), "{e}");
    }

    fn csr_for(sans: &[(&str, &str)], ca: bool) -> Csr {
        let mut request = TlsRequest::new(name(&[(NameAttribute::CommonName, "x")]))
            .with_sans(sans.iter().map(|(k, v)| GeneralName::parse(k, v).unwrap()));
        if ca {
            request = request.with_extension(
                RawExtension::new("2.5.29.19", true, vec![0x30, 0x03, 0x01, 0x01, 0xff]).unwrap(),
            );
        }
        request.to_csr(&key(KeyAlgorithm::EcdsaP256)).unwrap()
    }

    fn refusal(policy: &TlsPolicy, csr: &Csr, is_ca: bool) -> Option<u16> {
        match policy.check(csr, is_ca) {
            Ok(()) => None,
            Err(Error::TlsRefused { refusal }) => Some(refusal.code()),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_policy_refuses_with_the_relations_error_codes() {
        let policy = TlsPolicy::new()
            .with_allowed_domains(["Example.com."])
            .with_ip_sans(false);
        let ok = csr_for(&[("dns", "example.com"), ("dns", "a.b.EXAMPLE.com")], false);
        assert_eq!(refusal(&policy, &ok, false), None);
        for (sans, code) in [
            (&[("ip", "10.0.0.1")][..], 101),
            (&[("dns", "example.org")][..], 102),
            (&[("dns", "badexample.com")][..], 102),
            (&[("dns", "*.example.com")][..], 103),
        ] {
            assert_eq!(
                refusal(&policy, &csr_for(sans, false), false),
                Some(code),
                "{sans:?}"
            );
        }
        assert_eq!(refusal(&policy, &ok, true), Some(999));
        assert_eq!(refusal(&policy, &csr_for(&[], true), false), Some(999)); // CA:TRUE asked
        let open = TlsPolicy::new().with_wildcards(true).with_ca(true);
        assert_eq!(
            refusal(
                &open,
                &csr_for(&[("dns", "*.any.org"), ("ip", "::1")], true),
                true
            ),
            None
        );
        let exact = TlsPolicy::new()
            .with_allowed_domains(["example.com"])
            .with_subdomains(false)
            .with_wildcards(true);
        assert_eq!(
            refusal(&exact, &csr_for(&[("dns", "example.com")], false), false),
            None
        );
        assert_eq!(
            refusal(&exact, &csr_for(&[("dns", "a.example.com")], false), false),
            Some(102)
        );
        assert_eq!(
            refusal(&exact, &csr_for(&[("dns", "*.example.com")], false), false),
            Some(102)
        );
        let e = policy
            .check(&csr_for(&[("ip", "10.0.0.1")], false), false)
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("IP address SANs are not allowed (10.0.0.1)"),
            "{e}"
        );
    }

    #[test]
    fn a_policy_shortens_validity_to_its_maximum_and_to_the_cas() {
        let (ca_cert, ca_key) = ca(KeyAlgorithm::EcdsaP256); // valid for one day
        let csr = csr_for(&[("dns", "a.example")], false);
        let policy = TlsPolicy::new().with_max_validity(Duration::from_secs(3600));
        let cert = policy
            .sign(
                &csr,
                &ca_cert,
                &ca_key,
                now(),
                Duration::from_secs(86_400 * 30),
                false,
            )
            .unwrap();
        let info = cert.info().unwrap();
        assert_eq!(info.not_after, now() + Duration::from_secs(3600));
        let long = TlsPolicy::new().with_max_validity(Duration::from_secs(86_400 * 365));
        let cert = long
            .sign(
                &csr,
                &ca_cert,
                &ca_key,
                now(),
                Duration::from_secs(86_400 * 30),
                false,
            )
            .unwrap();
        assert_eq!(
            cert.info().unwrap().not_after,
            ca_cert.info().unwrap().not_after
        );
    }

    #[test]
    fn a_ca_key_that_is_not_the_certificates_is_refused() {
        let (ca_cert, _) = ca(KeyAlgorithm::EcdsaP256);
        let other = key(KeyAlgorithm::EcdsaP256);
        let csr = TlsRequest::new(name(&[(NameAttribute::CommonName, "x")]))
            .to_csr(&other)
            .unwrap();
        let e = tls_sign_request(&csr, &ca_cert, &other, now(), day(), false).unwrap_err();
        assert!(matches!(e, Error::KeyMismatch { .. }), "{e}");
    }
}
