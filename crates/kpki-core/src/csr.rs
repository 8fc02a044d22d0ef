//! PKCS#10 certificate signing requests: generate one for any identity and SAN set,
//! read one (PEM or DER) from anybody, and check the requester's proof of possession.
//!
//! Reading a [`Csr`] verifies its self-signature *first*: a request whose signature
//! does not verify with the public key it carries was not made by the holder of that
//! key, and nothing else in it is looked at. What a verified request asks for —
//! subject, SANs of every kind, key, requested extensions — is exposed as plain data
//! ([`CsrInfo`]) so that a [`SignerPolicy`](crate::policy::SignerPolicy) can refuse
//! what it must (an email SAN, `CA:TRUE`, `O=system:masters`).
//!
//! ```
//! use kpki_core::{Csr, Identity, KeyAlgorithm, PrivateKey, SubjectAltNames};
//!
//! # fn main() -> Result<(), kpki_core::Error> {
//! let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
//! let id = Identity::user("alice", ["dev", "ops"])?;
//! let csr = Csr::generate(&id, &SubjectAltNames::new(), &key)?;
//!
//! let back = Csr::from_pem(&csr.to_pem())?; // verifies the self-signature
//! assert_eq!(back.info().common_names, ["alice"]);
//! assert_eq!(back.info().organizations, ["dev", "ops"]);
//! assert_eq!(&back.info().public_key, key.public_key());
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::cri_attributes::ParsedCriAttribute;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::FromDer;

use crate::certificate::{ip_from_bytes, verify_signature};
use crate::error::{CsrProblem, Error, KeyProblem, Origin, Result};
use crate::identity::Identity;
use crate::key::{PrivateKey, PublicKey};
use crate::pem::{self, Encoded};
use crate::profile::{ExtendedKeyUsage, KeyUsage};
use crate::san::SubjectAltNames;

/// The PEM label of a CSR (Kubernetes accepts only this one).
pub const CSR_PEM_LABEL: &str = "CERTIFICATE REQUEST";
/// The label some older tools write (Netscape era); read, never written.
const LEGACY_CSR_PEM_LABEL: &str = "NEW CERTIFICATE REQUEST";

/// One subject alternative name as a CSR asks for it, of any kind (so that a policy
/// can refuse the kinds it does not issue).
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RequestedSan {
    /// dNSName.
    Dns(String),
    /// iPAddress.
    Ip(IpAddr),
    /// rfc822Name (email).
    Email(String),
    /// uniformResourceIdentifier.
    Uri(String),
    /// Any other kind (otherName, directoryName, registeredID, ...), by its name.
    Other(String),
}

impl fmt::Display for RequestedSan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestedSan::Dns(d) => write!(f, "DNS:{d}"),
            RequestedSan::Ip(ip) => write!(f, "IP:{ip}"),
            RequestedSan::Email(e) => write!(f, "email:{e}"),
            RequestedSan::Uri(u) => write!(f, "URI:{u}"),
            RequestedSan::Other(k) => write!(f, "{k}"),
        }
    }
}

/// basicConstraints as a CSR requests it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RequestedBasicConstraints {
    /// cA.
    pub ca: bool,
    /// pathLenConstraint.
    pub path_len: Option<u32>,
}

/// The extensions a CSR requests (PKCS#9 extensionRequest). A signer never copies
/// them; they are exposed so that a policy can refuse them or derive usages from them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestedExtensions {
    /// basicConstraints, if requested.
    pub basic_constraints: Option<RequestedBasicConstraints>,
    /// keyUsage bits, if the extension is requested.
    pub key_usages: Option<Vec<KeyUsage>>,
    /// extendedKeyUsage purposes, if the extension is requested.
    pub extended_key_usages: Option<Vec<ExtendedKeyUsage>>,
    /// Dotted OIDs of every other requested extension (subjectAltName excluded: it is
    /// in [`CsrInfo::sans`]).
    pub other: Vec<String>,
}

/// What a verified CSR asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CsrInfo {
    /// Every CN in the subject, in order (a well-formed request has exactly one).
    pub common_names: Vec<String>,
    /// Every O in the subject, in order (Kubernetes' groups).
    pub organizations: Vec<String>,
    /// Short names (`OU`, `C`, ...) or dotted OIDs of any other subject attribute.
    pub other_subject_attributes: Vec<String>,
    /// Requested SANs, of every kind, in order.
    pub sans: Vec<RequestedSan>,
    /// The requester's public key.
    pub public_key: PublicKey,
    /// The dotted OID of the algorithm the request is signed with.
    pub signature_algorithm_oid: String,
    /// Requested extensions.
    pub extensions: RequestedExtensions,
}

impl CsrInfo {
    /// The requested DNS names.
    pub fn dns_names(&self) -> impl Iterator<Item = &str> {
        self.sans.iter().filter_map(|s| match s {
            RequestedSan::Dns(d) => Some(d.as_str()),
            _ => None,
        })
    }

    /// The requested IP addresses.
    pub fn ip_addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.sans.iter().filter_map(|s| match s {
            RequestedSan::Ip(ip) => Some(*ip),
            _ => None,
        })
    }

    /// The requested email addresses.
    pub fn email_addresses(&self) -> impl Iterator<Item = &str> {
        self.sans.iter().filter_map(|s| match s {
            RequestedSan::Email(e) => Some(e.as_str()),
            _ => None,
        })
    }

    /// The requested URIs.
    pub fn uris(&self) -> impl Iterator<Item = &str> {
        self.sans.iter().filter_map(|s| match s {
            RequestedSan::Uri(u) => Some(u.as_str()),
            _ => None,
        })
    }
}

/// A PKCS#10 certificate signing request whose self-signature has been verified.
/// Cheap to clone (shared).
#[derive(Clone, PartialEq, Eq)]
pub struct Csr {
    der: Arc<[u8]>,
    info: Arc<CsrInfo>,
}

impl Csr {
    /// Makes a CSR for `identity` (CN and one O per group) and `sans`, signed with `key`
    /// (no extensions are requested besides subjectAltName, as kubelet and kubeadm do).
    pub fn generate(identity: &Identity, sans: &SubjectAltNames, key: &PrivateKey) -> Result<Csr> {
        let der = crate::tbs::Request {
            subject: identity,
            spki: key.public_key().spki_der(),
            sans,
        }
        .sign(key)?;
        Csr::from_der_in(&der, &Origin::input("generated CSR"))
    }

    /// Reads the first `CERTIFICATE REQUEST` block of `pem` and verifies it.
    pub fn from_pem(pem: &str) -> Result<Csr> {
        Csr::from_pem_in(pem, &Origin::input("CSR"))
    }

    pub(crate) fn from_pem_in(pem: &str, what: &Origin) -> Result<Csr> {
        let der = pem::decode_one(pem, &[CSR_PEM_LABEL, LEGACY_CSR_PEM_LABEL], what)?;
        Csr::from_der_in(&der, what)
    }

    /// Reads a DER CSR and verifies it.
    pub fn from_der(der: &[u8]) -> Result<Csr> {
        Csr::from_der_in(der, &Origin::input("CSR"))
    }

    /// Reads a CSR as PEM (a `CERTIFICATE REQUEST` block) or DER and verifies it,
    /// naming `what` in errors.
    pub fn load(bytes: &[u8], what: impl Into<Origin>) -> Result<Csr> {
        let what = what.into();
        match pem::detect(bytes, &what, CSR_PEM_LABEL)? {
            Encoded::Pem(text) => Csr::from_pem_in(text, &what),
            Encoded::Der(der) => Csr::from_der_in(der, &what),
        }
    }

    pub(crate) fn from_der_in(der: &[u8], what: &Origin) -> Result<Csr> {
        let info = parse_and_verify(der, what)?;
        Ok(Csr {
            der: der.into(),
            info: Arc::new(info),
        })
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The request as one `CERTIFICATE REQUEST` PEM block.
    pub fn to_pem(&self) -> String {
        pem::encode(CSR_PEM_LABEL, &self.der)
    }

    /// What the request asks for.
    pub fn info(&self) -> &CsrInfo {
        &self.info
    }

    /// The requester's public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.info.public_key
    }
}

impl fmt::Debug for Csr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Csr")
            .field("common_names", &self.info.common_names)
            .field("organizations", &self.info.organizations)
            .field("sans", &self.info.sans)
            .field("algorithm", &self.info.public_key.algorithm())
            .finish_non_exhaustive()
    }
}

/// Signature algorithms kpki verifies (the X.509 ones of the keys it supports).
const SUPPORTED_SIGNATURES: [&str; 6] = [
    "1.2.840.113549.1.1.11",
    "1.2.840.113549.1.1.12",
    "1.2.840.113549.1.1.13",
    "1.2.840.10045.4.3.2",
    "1.2.840.10045.4.3.3",
    "1.3.101.112",
];

fn attribute_name(oid: &str) -> String {
    match oid {
        "2.5.4.6" => "C".into(),
        "2.5.4.7" => "L".into(),
        "2.5.4.8" => "ST".into(),
        "2.5.4.9" => "street".into(),
        "2.5.4.11" => "OU".into(),
        "2.5.4.5" => "serialNumber".into(),
        "2.5.4.17" => "postalCode".into(),
        "1.2.840.113549.1.9.1" => "emailAddress".into(),
        "0.9.2342.19200300.100.1.25" => "DC".into(),
        "0.9.2342.19200300.100.1.1" => "UID".into(),
        other => other.to_owned(),
    }
}

fn parse_and_verify(der: &[u8], what: &Origin) -> Result<CsrInfo> {
    let bad = |problem| Error::InvalidCsr {
        what: what.clone(),
        problem,
    };
    let (rest, req) = X509CertificationRequest::from_der(der).map_err(|e| {
        bad(CsrProblem::Malformed {
            detail: pem::der_problem(&e),
        })
    })?;
    if !rest.is_empty() {
        return Err(bad(CsrProblem::TrailingData));
    }
    let cri = &req.certification_request_info;

    // 1. Proof of possession, before anything else is looked at.
    let public_key =
        PublicKey::from_spki_der_in(cri.subject_pki.raw, what).map_err(|e| match e {
            Error::InvalidKey { problem, .. } => bad(CsrProblem::PublicKey(problem)),
            other => bad(CsrProblem::PublicKey(KeyProblem::Backend {
                detail: other.to_string(),
            })),
        })?;
    let sig_oid = req.signature_algorithm.algorithm.to_id_string();
    if !SUPPORTED_SIGNATURES.contains(&sig_oid.as_str()) {
        return Err(bad(CsrProblem::SignatureAlgorithm { oid: sig_oid }));
    }
    if !verify_signature(&public_key, &sig_oid, cri.raw, &req.signature_value.data) {
        return Err(bad(CsrProblem::NoProofOfPossession));
    }

    // 2. What it asks for.
    use x509_parser::oid_registry::{OID_X509_COMMON_NAME, OID_X509_ORGANIZATION_NAME};
    let mut common_names = Vec::new();
    let mut organizations = Vec::new();
    let mut other_subject_attributes = Vec::new();
    for attr in cri.subject.iter_attributes() {
        let value = || {
            attr.as_str()
                .map(str::to_owned)
                .map_err(|_| bad(CsrProblem::UnreadableSubject))
        };
        if attr.attr_type() == &OID_X509_COMMON_NAME {
            common_names.push(value()?);
        } else if attr.attr_type() == &OID_X509_ORGANIZATION_NAME {
            organizations.push(value()?);
        } else {
            other_subject_attributes.push(attribute_name(&attr.attr_type().to_id_string()));
        }
    }

    let mut info = CsrInfo {
        common_names,
        organizations,
        other_subject_attributes,
        sans: Vec::new(),
        public_key,
        signature_algorithm_oid: sig_oid,
        extensions: RequestedExtensions::default(),
    };
    let mut seen_extension_request = false;
    for attr in cri.iter_attributes() {
        let ParsedCriAttribute::ExtensionRequest(request) = attr.parsed_attribute() else {
            continue;
        };
        if seen_extension_request {
            return Err(bad(CsrProblem::TwoExtensionRequests));
        }
        seen_extension_request = true;
        let mut seen_oids: Vec<String> = Vec::new();
        for ext in &request.extensions {
            let oid = ext.oid.to_id_string();
            if seen_oids.contains(&oid) {
                return Err(bad(CsrProblem::DuplicateExtension { oid }));
            }
            seen_oids.push(oid.clone());
            read_extension(&mut info, &oid, ext.parsed_extension(), &bad)?;
        }
    }
    Ok(info)
}

fn read_extension(
    info: &mut CsrInfo,
    oid: &str,
    ext: &ParsedExtension<'_>,
    bad: &dyn Fn(CsrProblem) -> Error,
) -> Result<()> {
    match ext {
        ParsedExtension::SubjectAlternativeName(san) => {
            for name in &san.general_names {
                info.sans.push(match name {
                    GeneralName::DNSName(d) => RequestedSan::Dns((*d).to_owned()),
                    GeneralName::IPAddress(b) => RequestedSan::Ip(
                        ip_from_bytes(b)
                            .ok_or_else(|| bad(CsrProblem::IpSanLength { len: b.len() }))?,
                    ),
                    GeneralName::RFC822Name(e) => RequestedSan::Email((*e).to_owned()),
                    GeneralName::URI(u) => RequestedSan::Uri((*u).to_owned()),
                    GeneralName::OtherName(..) => RequestedSan::Other("otherName".into()),
                    GeneralName::X400Address(..) => RequestedSan::Other("x400Address".into()),
                    GeneralName::DirectoryName(..) => RequestedSan::Other("directoryName".into()),
                    GeneralName::EDIPartyName(..) => RequestedSan::Other("ediPartyName".into()),
                    GeneralName::RegisteredID(..) => RequestedSan::Other("registeredID".into()),
                    GeneralName::Invalid(..) => return Err(bad(CsrProblem::MalformedSan)),
                });
            }
        }
        ParsedExtension::BasicConstraints(bc) => {
            info.extensions.basic_constraints = Some(RequestedBasicConstraints {
                ca: bc.ca,
                path_len: bc.path_len_constraint,
            });
        }
        ParsedExtension::KeyUsage(ku) => {
            info.extensions.key_usages = Some(KeyUsage::from_x509(ku));
        }
        ParsedExtension::ExtendedKeyUsage(eku) => {
            info.extensions.extended_key_usages = Some(ExtendedKeyUsage::from_x509(eku));
        }
        ParsedExtension::ParseError { .. } => {
            return Err(bad(CsrProblem::MalformedExtension {
                oid: oid.to_owned(),
            }));
        }
        _ => info.extensions.other.push(oid.to_owned()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::names::KeyAlgorithm;

    #[test]
    fn generated_csr_round_trips_with_every_key_kind() {
        for alg in [
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
            KeyAlgorithm::Ed25519,
        ] {
            let key = PrivateKey::generate(alg).unwrap();
            let id = Identity::user("alice", ["dev", "ops", "qa"]).unwrap();
            let sans = SubjectAltNames::parse(["alice.example.com", "192.0.2.1"]).unwrap();
            let csr = Csr::generate(&id, &sans, &key).unwrap();
            let back = Csr::from_pem(&csr.to_pem()).unwrap();
            assert_eq!(back, csr);
            let info = back.info();
            assert_eq!(info.common_names, ["alice"]);
            assert_eq!(info.organizations, ["dev", "ops", "qa"]);
            assert_eq!(
                info.sans,
                [
                    RequestedSan::Dns("alice.example.com".into()),
                    RequestedSan::Ip("192.0.2.1".parse().unwrap())
                ]
            );
            assert_eq!(info.public_key.algorithm(), alg);
            assert!(info.extensions.basic_constraints.is_none());
        }
    }

    #[test]
    fn a_user_in_many_groups_gets_every_group_in_order() {
        // The one subject encoder writes one RDN per group, however many (rcgen, which
        // made CSRs before, stopped at nine).
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let groups: Vec<String> = (0..20).map(|i| format!("g{i}")).collect();
        let id = Identity::user("alice", groups.clone()).unwrap();
        let csr = Csr::generate(&id, &SubjectAltNames::new(), &key).unwrap();
        assert_eq!(csr.info().organizations, groups);
    }

    #[test]
    fn a_flipped_signature_bit_is_no_proof_of_possession() {
        let key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let csr = Csr::generate(
            &Identity::user("bob", Vec::<String>::new()).unwrap(),
            &SubjectAltNames::new(),
            &key,
        )
        .unwrap();
        let mut der = csr.der().to_vec();
        let last = der.len() - 1;
        der[last] ^= 0x01; // the signature is the last field
        let err = Csr::from_der(&der).unwrap_err();
        assert!(err.to_string().contains("no proof of possession"), "{err}");
    }

    #[test]
    fn garbage_and_trailing_data_are_refused() {
        assert!(matches!(
            Csr::from_der(b"\x30\x03\x02\x01\x00").unwrap_err(),
            Error::InvalidCsr { .. }
        ));
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let csr = Csr::generate(
            &Identity::user("c", Vec::<String>::new()).unwrap(),
            &SubjectAltNames::new(),
            &key,
        )
        .unwrap();
        let mut der = csr.der().to_vec();
        der.push(0);
        let err = Csr::from_der(&der).unwrap_err();
        assert!(err.to_string().contains("trailing data"), "{err}");
        let err = Csr::from_pem("-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n")
            .unwrap_err();
        assert!(matches!(err, Error::InvalidPem { .. }), "{err}");
    }
}
