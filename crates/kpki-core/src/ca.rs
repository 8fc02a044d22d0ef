//! Certificate authorities: create a root or an intermediate, bring your own from PEM,
//! sign through a key that is not on disk, or keep just the certificate of an external
//! CA — and issue leaf certificates.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::certificate::Certificate;
use crate::dns::DnsName;
use crate::error::{
    CaKeyNeeded, CertificateProblem, Error, NotCaProblem, Origin, Result, SpecProblem,
    SuppliedProblem, ValidityProblem,
};
use crate::identity::Identity;
use crate::key::{PrivateKey, PublicKey};
use crate::names::{Compatibility, KeyAlgorithm};
use crate::pkcs11::{Pkcs11Key, Pkcs11Uri};
use crate::profile::{CertificateProfile, ExtendedKeyUsage, KeyUsage, Usage};
use crate::san::SubjectAltNames;
use crate::signer::Signer;
use crate::tbs::{self, IssuerTemplate};

/// kubeadm's CA validity: 10 years.
pub const DEFAULT_CA_VALIDITY: Duration = Duration::from_secs(3650 * 24 * 3600);
/// kubeadm's leaf validity: 1 year.
pub const DEFAULT_LEAF_VALIDITY: Duration = Duration::from_secs(365 * 24 * 3600);
/// How far kubeadm backdates notBefore, to tolerate clock skew.
pub const BACKDATE: Duration = Duration::from_secs(5 * 60);

/// Where a leaf's notBefore lies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotBefore {
    /// `now` minus this much (kubeadm ≥ 1.31: 5 minutes).
    Backdated(Duration),
    /// The issuing CA's notBefore (kubeadm ≤ 1.30).
    IssuerNotBefore,
}

/// What to put in a leaf certificate. Construct with [`LeafRequest::new`], adjust the
/// public fields or use the `with_*` methods; [`CertificateAuthority::issue`] checks
/// that they fit together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafRequest {
    /// Subject (CN and O).
    pub identity: Identity,
    /// Server, client or both (a CA profile is refused: use
    /// [`CertificateAuthority::new_intermediate`]).
    pub profile: CertificateProfile,
    /// Subject alternative names.
    pub sans: SubjectAltNames,
    /// How long from `now` the certificate is valid (clamped to the CA's notAfter).
    pub validity: Duration,
    /// Where notBefore lies.
    pub not_before: NotBefore,
    /// kubeadm profile (decides keyEncipherment on non-RSA keys).
    pub compatibility: Compatibility,
    /// Key usages to set instead of the profile's (a CSR signer granting exactly the
    /// usages a request asked for). `None`: [`CertificateProfile::key_usages`].
    pub key_usages: Option<Vec<KeyUsage>>,
    /// Extended key usages to set instead of the profile's. `None`:
    /// [`CertificateProfile::extended_key_usages`].
    pub extended_key_usages: Option<Vec<ExtendedKeyUsage>>,
}

impl LeafRequest {
    /// A request with kubeadm's current defaults: no SANs, 365 days, backdated 5 minutes.
    pub fn new(identity: Identity, profile: CertificateProfile) -> LeafRequest {
        LeafRequest {
            identity,
            profile,
            sans: SubjectAltNames::new(),
            validity: DEFAULT_LEAF_VALIDITY,
            not_before: NotBefore::Backdated(BACKDATE),
            compatibility: Compatibility::Current,
            key_usages: None,
            extended_key_usages: None,
        }
    }

    /// Sets explicit key usages and extended key usages, replacing the profile's.
    pub fn with_usages(
        mut self,
        key_usages: Vec<KeyUsage>,
        extended_key_usages: Vec<ExtendedKeyUsage>,
    ) -> LeafRequest {
        self.key_usages = Some(key_usages);
        self.extended_key_usages = Some(extended_key_usages);
        self
    }

    /// Sets the usages by their `certificates.k8s.io` names (`digital signature`,
    /// `server auth`, ...), replacing the profile's ([`Usage::split`]).
    pub fn with_kubernetes_usages(self, usages: &[Usage]) -> LeafRequest {
        let (ku, eku) = Usage::split(usages);
        self.with_usages(ku, eku)
    }

    /// Sets the SANs.
    pub fn with_sans(mut self, sans: SubjectAltNames) -> LeafRequest {
        self.sans = sans;
        self
    }

    /// Sets the validity.
    pub fn with_validity(mut self, validity: Duration) -> LeafRequest {
        self.validity = validity;
        self
    }

    /// Backdates notBefore by `backdate` from `now`.
    pub fn with_backdate(mut self, backdate: Duration) -> LeafRequest {
        self.not_before = NotBefore::Backdated(backdate);
        self
    }

    /// Follows a kubeadm profile: notBefore and keyUsage as that kubeadm writes them.
    pub fn with_compatibility(mut self, compat: Compatibility) -> LeafRequest {
        self.compatibility = compat;
        self.not_before = match compat {
            Compatibility::Current => NotBefore::Backdated(BACKDATE),
            Compatibility::Kubeadm128 => NotBefore::IssuerNotBefore,
        };
        self
    }
}

/// What to put in a CA certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaRequest {
    /// The CA's CN (`kubernetes`, `etcd-ca`, `front-proxy-ca`, ...).
    pub common_name: String,
    /// Validity from `now`.
    pub validity: Duration,
    /// How far notBefore is backdated.
    pub backdate: Duration,
    /// basicConstraints pathLenConstraint (kubeadm: none).
    pub path_len: Option<u8>,
    /// kubeadm profile (decides keyEncipherment on non-RSA keys).
    pub compatibility: Compatibility,
}

impl CaRequest {
    /// A CA named `common_name` with kubeadm's defaults (10 years, backdated 5 minutes).
    pub fn new(common_name: impl Into<String>) -> CaRequest {
        CaRequest {
            common_name: common_name.into(),
            validity: DEFAULT_CA_VALIDITY,
            backdate: BACKDATE,
            path_len: None,
            compatibility: Compatibility::Current,
        }
    }
}

/// A certificate with the private key it certifies (checked to belong together).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertifiedKey {
    certificate: Certificate,
    key: PrivateKey,
}

impl CertifiedKey {
    /// Pairs a certificate with its private key; a key that is not the certificate's
    /// is refused.
    pub fn new(certificate: Certificate, key: PrivateKey) -> Result<CertifiedKey> {
        let info = certificate.info()?;
        if !key.matches(&info.public_key) {
            return Err(Error::KeyMismatch {
                what: format!(
                    "certificate {:?}",
                    info.subject_common_name.unwrap_or_default()
                ),
            });
        }
        Ok(CertifiedKey { certificate, key })
    }

    /// A pair kpki made itself (the certificate was issued for this key).
    pub(crate) fn issued(certificate: Certificate, key: PrivateKey) -> CertifiedKey {
        CertifiedKey { certificate, key }
    }

    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// Its private key.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// The certificate and key.
    pub fn into_parts(self) -> (Certificate, PrivateKey) {
        (self.certificate, self.key)
    }
}

struct Inner {
    certificate: Certificate,
    /// Certificates above this CA, nearest first (empty for a root).
    chain: Vec<Certificate>,
    /// The key, when this CA holds one in memory.
    key: Option<PrivateKey>,
    /// What signs: the key, or a signer outside kpki. `None`: an external CA.
    signer: Option<Arc<dyn Signer>>,
    /// The issuer's part of every leaf, encoded once (`crate::tbs`).
    template: IssuerTemplate,
    common_name: String,
    public_key: PublicKey,
    not_before: SystemTime,
    not_after: SystemTime,
}

/// A certificate authority. Cheap to clone (shared), safe to use from many threads.
#[derive(Clone)]
pub struct CertificateAuthority(Arc<Inner>);

/// `t` with its sub-second part dropped (certificates carry whole seconds).
pub(crate) fn truncate(t: SystemTime) -> SystemTime {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => SystemTime::UNIX_EPOCH + Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}

/// 0000-01-01T00:00:00Z, counted back from 1970: the first second a certificate's
/// GeneralizedTime can hold.
const EARLIEST: Duration = Duration::from_secs(62_167_219_200);

/// Whether a certificate's Time can hold `t` (0000-01-01 to 9999-12-31, UTC).
pub(crate) fn representable(t: SystemTime) -> bool {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(since) => since <= LATEST,
        Err(e) => e.duration() <= EARLIEST,
    }
}

fn sub(t: SystemTime, d: Duration) -> Result<SystemTime> {
    t.checked_sub(d)
        .filter(|start| {
            SystemTime::UNIX_EPOCH
                .duration_since(*start)
                .map_or(true, |before| before <= EARLIEST)
        })
        .ok_or(Error::InvalidValidity {
            problem: ValidityProblem::OutOfRange {
                seconds: d.as_secs(),
            },
        })
}

/// 9999-12-31T23:59:59Z: the last second a certificate's GeneralizedTime can hold.
const LATEST: Duration = Duration::from_secs(253_402_300_799);

fn add(t: SystemTime, d: Duration) -> Result<SystemTime> {
    t.checked_add(d)
        .filter(|end| {
            end.duration_since(SystemTime::UNIX_EPOCH)
                .is_ok_and(|since| since <= LATEST)
        })
        .ok_or(Error::InvalidValidity {
            problem: ValidityProblem::OutOfRange {
                seconds: d.as_secs(),
            },
        })
}

/// A random positive serial of 16 octets (126 random bits; the top bit cleared so it is
/// positive, the next set so its length never varies).
pub(crate) fn random_serial() -> Result<[u8; 16]> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|e| Error::crypto("random serial", e))?;
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(bytes)
}

fn check_validity(not_before: SystemTime, not_after: SystemTime) -> Result<()> {
    if not_after <= not_before {
        return Err(Error::InvalidValidity {
            problem: ValidityProblem::Empty,
        });
    }
    Ok(())
}

/// A CA certificate and its chain from a list that starts with it (as a bundle is
/// read); an empty list is refused.
fn split_chain(mut certificates: Vec<Certificate>) -> Result<(Certificate, Vec<Certificate>)> {
    if certificates.is_empty() {
        return Err(Error::InvalidCertificate {
            what: Origin::input("CA certificate"),
            problem: CertificateProblem::Absent,
        });
    }
    let certificate = certificates.remove(0);
    Ok((certificate, certificates))
}

impl CertificateAuthority {
    /// The CA certificate for `req` and `key`, self-signed or signed by `parent`.
    fn make(
        req: &CaRequest,
        key: &dyn Signer,
        parent: Option<&CertificateAuthority>,
        now: SystemTime,
    ) -> Result<(Certificate, SystemTime, SystemTime)> {
        let identity = Identity::certificate_authority(&req.common_name)?;
        let now = truncate(now);
        let nb = sub(now, req.backdate)?;
        let mut na = add(now, req.validity)?;
        if let Some(p) = parent {
            na = na.min(p.0.not_after);
        }
        check_validity(nb, na)?;
        // kubeadm puts the CA's CN in a DNS SAN when it is a valid name.
        let mut sans = SubjectAltNames::new();
        if let Ok(dns) = DnsName::new(req.common_name.clone()) {
            sans.push_dns(dns);
        }
        let key_usages = CertificateProfile::Ca {
            path_len: req.path_len,
        }
        .key_usages(key.public_key().algorithm(), req.compatibility);
        let serial = random_serial()?;
        let body = tbs::Ca {
            common: tbs::Common {
                serial: &serial,
                not_before: nb,
                not_after: na,
                subject: &identity,
                spki: key.public_key().spki_der(),
                sans: &sans,
                key_usages: &key_usages,
            },
            path_len: req.path_len,
            key_id: &tbs::key_identifier(key.public_key().raw()),
        };
        let der = match parent {
            None => body.self_signed(key)?,
            Some(p) => body.signed_by(&p.0.template, p.signer()?.as_ref())?,
        };
        Ok((Certificate::from_trusted_der(der), nb, na))
    }

    /// Creates a self-signed root CA (kubeadm's `ca`, `etcd/ca`, `front-proxy-ca`).
    pub fn new_root(
        req: &CaRequest,
        key: PrivateKey,
        now: SystemTime,
    ) -> Result<CertificateAuthority> {
        let (certificate, _, _) = CertificateAuthority::make(req, &key, None, now)?;
        CertificateAuthority::assemble(certificate, Vec::new(), Some(key), None)
    }

    /// Creates a self-signed root CA whose key is held by `signer` (a key in a PKCS#11
    /// token, [`crate::Pkcs11Key`]): the certificate is signed through it, and so is
    /// everything the CA issues; kpki never holds the private key.
    pub fn new_root_with_signer(
        req: &CaRequest,
        signer: Arc<dyn Signer>,
        now: SystemTime,
    ) -> Result<CertificateAuthority> {
        let (certificate, _, _) = CertificateAuthority::make(req, signer.as_ref(), None, now)?;
        CertificateAuthority::assemble(certificate, Vec::new(), None, Some(signer))
    }

    /// Creates a self-signed root CA whose key is in a PKCS#11 token: the key `uri`
    /// names (which must be `algorithm`), or a new `algorithm` key generated in the token
    /// (sensitive, not extractable). The private key never leaves the token.
    pub fn new_root_in_token(
        req: &CaRequest,
        uri: &Pkcs11Uri,
        algorithm: KeyAlgorithm,
        now: SystemTime,
    ) -> Result<CertificateAuthority> {
        let (key, _) = Pkcs11Key::open_or_generate(uri, algorithm)?;
        CertificateAuthority::new_root_with_signer(req, Arc::new(key), now)
    }

    /// A CA whose key is in a PKCS#11 token: its certificate followed by its chain
    /// (nearest issuer first; an empty list is refused), and the key `uri` names, which
    /// must match the certificate.
    pub fn from_pkcs11(
        certificates: Vec<Certificate>,
        uri: &Pkcs11Uri,
    ) -> Result<CertificateAuthority> {
        let (certificate, chain) = split_chain(certificates)?;
        let key = Pkcs11Key::open(uri, None)?;
        CertificateAuthority::with_signer(certificate, chain, Arc::new(key))
    }

    /// Creates an intermediate CA signed by `parent` (notAfter clamped to the parent's).
    pub fn new_intermediate(
        req: &CaRequest,
        key: PrivateKey,
        parent: &CertificateAuthority,
        now: SystemTime,
    ) -> Result<CertificateAuthority> {
        let (certificate, _, _) = CertificateAuthority::make(req, &key, Some(parent), now)?;
        let mut chain = vec![parent.certificate().clone()];
        chain.extend(parent.chain().iter().cloned());
        CertificateAuthority::assemble(certificate, chain, Some(key), None)
    }

    /// Loads a CA from its certificate (PEM; further certificates in the same text are
    /// taken as its chain, nearest issuer first) and private key (PEM, any form
    /// [`PrivateKey::from_pem`] reads). Refuses a certificate that is not a CA and a key
    /// that does not match it.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<CertificateAuthority> {
        let mut certs = Certificate::chain_from_pem_in(cert_pem, &Origin::input("CA certificate"))?;
        let certificate = certs.remove(0);
        let key = PrivateKey::from_pem_in(key_pem, &Origin::input("CA private key"))?;
        CertificateAuthority::from_parts(certificate, certs, key)
    }

    /// A CA from a parsed certificate, its chain and its key.
    pub fn from_parts(
        certificate: Certificate,
        chain: Vec<Certificate>,
        key: PrivateKey,
    ) -> Result<CertificateAuthority> {
        CertificateAuthority::assemble(certificate, chain, Some(key), None)
    }

    /// A CA from its certificate followed by its chain (nearest issuer first), as a
    /// bundle is read, and its key. An empty list is refused.
    pub fn from_chain(
        certificates: Vec<Certificate>,
        key: PrivateKey,
    ) -> Result<CertificateAuthority> {
        let (certificate, chain) = split_chain(certificates)?;
        CertificateAuthority::from_parts(certificate, chain, key)
    }

    /// A CA whose key lives elsewhere: every signature goes through `signer`, whose
    /// public key must match the certificate.
    pub fn with_signer(
        certificate: Certificate,
        chain: Vec<Certificate>,
        signer: Arc<dyn Signer>,
    ) -> Result<CertificateAuthority> {
        CertificateAuthority::assemble(certificate, chain, None, Some(signer))
    }

    /// An external CA: only its certificate is known, so it cannot issue; leaves under
    /// it are supplied by the caller and checked with [`CertificateAuthority::verify_issued`].
    pub fn external(certificate: Certificate) -> Result<CertificateAuthority> {
        CertificateAuthority::assemble(certificate, Vec::new(), None, None)
    }

    fn assemble(
        certificate: Certificate,
        chain: Vec<Certificate>,
        key: Option<PrivateKey>,
        signer: Option<Arc<dyn Signer>>,
    ) -> Result<CertificateAuthority> {
        let info = certificate.info()?;
        let name = info.subject_common_name.clone().unwrap_or_default();
        let what = format!("CA {name:?}");
        if !info.is_ca {
            return Err(Error::NotACertificateAuthority {
                what: format!("certificate {name:?}"),
                problem: NotCaProblem::NotCa,
            });
        }
        if let Some(ku) = &info.key_usages
            && !ku.contains(&KeyUsage::KeyCertSign)
        {
            return Err(Error::NotACertificateAuthority {
                what: format!("certificate {name:?}"),
                problem: NotCaProblem::NoKeyCertSign,
            });
        }
        let signer: Option<Arc<dyn Signer>> = match (&key, signer) {
            (Some(k), _) => {
                if !k.matches(&info.public_key) {
                    return Err(Error::KeyMismatch { what });
                }
                Some(Arc::new(k.clone()))
            }
            (None, Some(s)) => {
                if s.public_key() != &info.public_key {
                    return Err(Error::KeyMismatch {
                        what: format!("{what} (external signer)"),
                    });
                }
                Some(s)
            }
            (None, None) => None,
        };
        let (_, parsed) = x509_parser::parse_x509_certificate(certificate.der()).map_err(|e| {
            Error::InvalidCertificate {
                what: Origin::Input(what.clone()),
                problem: CertificateProblem::Malformed {
                    detail: crate::pem::der_problem(&e),
                },
            }
        })?;
        // Leaves carry this name as their issuer, byte for byte: it must be one well-formed
        // DER Name (x509-parser reads some malformed names leniently and then returns only
        // part of their bytes: found by fuzzing), with no empty RDN.
        if !crate::der::is_sequence(parsed.subject().as_raw())
            || parsed.subject().iter().any(|rdn| rdn.iter().count() == 0)
        {
            return Err(Error::InvalidCertificate {
                what: Origin::Input(what),
                problem: CertificateProblem::UnusableIssuerName,
            });
        }
        let template = IssuerTemplate::new(&parsed, info.public_key.algorithm());
        Ok(CertificateAuthority(Arc::new(Inner {
            certificate,
            chain,
            key,
            signer,
            template,
            common_name: name,
            public_key: info.public_key,
            not_before: info.not_before,
            not_after: info.not_after,
        })))
    }

    pub(crate) fn signer(&self) -> Result<&Arc<dyn Signer>> {
        self.0
            .signer
            .as_ref()
            .ok_or_else(|| Error::CaKeyUnavailable {
                ca: self.0.common_name.clone(),
                needed: CaKeyNeeded::Issue,
            })
    }

    /// Issues a leaf certificate for `public_key` (the hot path: no parsing, no PEM).
    pub fn issue(
        &self,
        req: &LeafRequest,
        public_key: &PublicKey,
        now: SystemTime,
    ) -> Result<Certificate> {
        let signer = self.signer()?;
        if req.profile.is_ca() {
            return Err(Error::InvalidSpec {
                problem: SpecProblem::CaProfileForLeaf,
            });
        }
        let now = truncate(now);
        let nb = match req.not_before {
            NotBefore::Backdated(d) => sub(now, d)?,
            NotBefore::IssuerNotBefore => self.0.not_before,
        };
        // Never let a leaf outlive its CA (the Kubernetes CSR signer clamps the same way).
        let na = add(now, req.validity)?.min(self.0.not_after);
        check_validity(nb, na)?;

        let key_usages_of_profile;
        let key_usages = match &req.key_usages {
            Some(ku) => ku.as_slice(),
            None => {
                key_usages_of_profile = req
                    .profile
                    .key_usages(public_key.algorithm(), req.compatibility);
                key_usages_of_profile.as_slice()
            }
        };
        if key_usages.contains(&KeyUsage::KeyCertSign) {
            return Err(Error::InvalidSpec {
                problem: SpecProblem::KeyCertSignOnLeaf,
            });
        }
        let extended_key_usages_of_profile;
        let extended_key_usages = match &req.extended_key_usages {
            Some(eku) => eku.as_slice(),
            None => {
                extended_key_usages_of_profile = req.profile.extended_key_usages();
                extended_key_usages_of_profile.as_slice()
            }
        };
        let serial = random_serial()?;
        let der = tbs::Leaf {
            common: tbs::Common {
                serial: &serial,
                not_before: nb,
                not_after: na,
                subject: &req.identity,
                spki: public_key.spki_der(),
                sans: &req.sans,
                key_usages,
            },
            extended_key_usages,
        }
        .sign(&self.0.template, signer.as_ref())?;
        Ok(Certificate::from_trusted_der(der))
    }

    /// Generates a key of `algorithm` and issues a certificate for it.
    pub fn issue_with_new_key(
        &self,
        req: &LeafRequest,
        algorithm: KeyAlgorithm,
        now: SystemTime,
    ) -> Result<CertifiedKey> {
        let key = PrivateKey::generate(algorithm)?;
        let certificate = self.issue(req, key.public_key(), now)?;
        Ok(CertifiedKey::issued(certificate, key))
    }

    /// Checks that `leaf` was issued by this CA (name and signature) and is valid at `now`.
    pub fn verify_issued(&self, leaf: &Certificate, now: SystemTime) -> Result<()> {
        leaf.verify_issued_by(&self.0.certificate)?;
        let info = leaf.info()?;
        if now < info.not_before || now > info.not_after {
            return Err(Error::InvalidSuppliedCertificate {
                what: format!(
                    "certificate {:?}",
                    info.subject_common_name.unwrap_or_default()
                ),
                problem: SuppliedProblem::NotValidNow,
            });
        }
        Ok(())
    }

    /// The CA certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.0.certificate
    }

    /// The certificates above this CA, nearest first (empty for a root).
    pub fn chain(&self) -> &[Certificate] {
        &self.0.chain
    }

    /// The CA certificate followed by its chain, as PEM (what kpki writes to `ca.crt`
    /// for an intermediate, so that clients trusting the file can build the path).
    pub fn chain_pem(&self) -> String {
        let mut s = self.0.certificate.to_pem();
        for c in &self.0.chain {
            s.push_str(&c.to_pem());
        }
        s
    }

    /// The private key, if this CA holds one in memory.
    pub fn private_key(&self) -> Option<&PrivateKey> {
        self.0.key.as_ref()
    }

    /// The private key, or [`Error::CaKeyUnavailable`] when it is not held in memory.
    pub fn require_private_key(&self) -> Result<&PrivateKey> {
        self.private_key().ok_or_else(|| Error::CaKeyUnavailable {
            ca: self.common_name().to_owned(),
            needed: CaKeyNeeded::Export,
        })
    }

    /// Whether this CA can issue (it has a key or a signer).
    pub fn can_issue(&self) -> bool {
        self.0.signer.is_some()
    }

    /// The CA's CN.
    pub fn common_name(&self) -> &str {
        &self.0.common_name
    }

    /// The CA's public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.0.public_key
    }

    /// Start of the CA's validity.
    pub fn not_before(&self) -> SystemTime {
        self.0.not_before
    }

    /// End of the CA's validity.
    pub fn not_after(&self) -> SystemTime {
        self.0.not_after
    }
}

impl fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field("common_name", &self.0.common_name)
            .field("algorithm", &self.0.public_key.algorithm())
            .field("has_key", &self.0.key.is_some())
            .field("can_issue", &self.can_issue())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000)
    }

    #[test]
    fn a_certified_key_must_belong_together() {
        let ca = CertificateAuthority::new_root(
            &CaRequest::new("kubernetes"),
            PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap(),
            now(),
        )
        .unwrap();
        let req = LeafRequest::new(Identity::kube_scheduler(), CertificateProfile::Client);
        let ck = ca
            .issue_with_new_key(&req, KeyAlgorithm::Ed25519, now())
            .unwrap();
        let (cert, key) = ck.clone().into_parts();
        assert_eq!(CertifiedKey::new(cert.clone(), key).unwrap(), ck);
        let other = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        assert!(matches!(
            CertifiedKey::new(cert, other),
            Err(Error::KeyMismatch { .. })
        ));
    }

    #[test]
    fn an_external_ca_cannot_issue_and_says_so() {
        let root = CertificateAuthority::new_root(
            &CaRequest::new("kubernetes"),
            PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap(),
            now(),
        )
        .unwrap();
        let external = CertificateAuthority::external(root.certificate().clone()).unwrap();
        assert!(!external.can_issue());
        let key = PrivateKey::generate(KeyAlgorithm::Ed25519).unwrap();
        let req = LeafRequest::new(Identity::kube_proxy(), CertificateProfile::Client);
        let err = external.issue(&req, key.public_key(), now()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::CaKeyUnavailable {
                    needed: CaKeyNeeded::Issue,
                    ..
                }
            ),
            "{err}"
        );
    }
}
