//! Certificate authorities: create a root or an intermediate, bring your own from PEM,
//! sign through a key that is not on disk, or keep just the certificate of an external
//! CA — and issue leaf certificates.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::certificate::Certificate;
use crate::cluster::Compatibility;
use crate::error::{Error, Result};
use crate::identity::Identity;
use crate::key::{KeyAlgorithm, PrivateKey, PublicKey};
use crate::profile::{CertificateProfile, ExtendedKeyUsage, KeyUsage};
use crate::san::{DnsName, SubjectAltNames};
use crate::signer::{RcgenSigner, Signer, signing_error};

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
/// public fields or use the `with_*` methods.
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

/// A certificate with the private key it certifies.
#[derive(Clone, Debug)]
pub struct CertifiedKey {
    /// The certificate.
    pub certificate: Certificate,
    /// Its private key.
    pub key: PrivateKey,
}

struct Inner {
    certificate: Certificate,
    /// Certificates above this CA, nearest first (empty for a root).
    chain: Vec<Certificate>,
    /// Shared with the signer (a `PrivateKey` clone re-parses the key: ~0.2 ms for RSA).
    key: Option<Arc<PrivateKey>>,
    issuer: Option<rcgen::Issuer<'static, RcgenSigner>>,
    /// The issuer's part of every leaf, encoded once (`crate::tbs`).
    template: Option<crate::tbs::IssuerTemplate>,
    common_name: String,
    public_key: PublicKey,
    not_before: SystemTime,
    not_after: SystemTime,
}

/// A certificate authority. Cheap to clone (shared), safe to use from many threads.
#[derive(Clone)]
pub struct CertificateAuthority(Arc<Inner>);

pub(crate) fn to_offset(t: SystemTime) -> Result<time::OffsetDateTime> {
    let t = time::OffsetDateTime::from(t);
    t.replace_nanosecond(0).map_err(|e| Error::InvalidValidity {
        reason: e.to_string(),
    })
}

pub(crate) fn truncate(t: SystemTime) -> SystemTime {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => SystemTime::UNIX_EPOCH + Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}

fn sub(t: SystemTime, d: Duration) -> Result<SystemTime> {
    t.checked_sub(d).ok_or_else(|| Error::InvalidValidity {
        reason: "notBefore out of range".into(),
    })
}

fn add(t: SystemTime, d: Duration) -> Result<SystemTime> {
    t.checked_add(d).ok_or_else(|| Error::InvalidValidity {
        reason: format!("a validity of {} s is out of range", d.as_secs()),
    })
}

/// A random positive serial of 16 octets (126 random bits; the top bit cleared so it is
/// positive, the next set so its length never varies).
pub(crate) fn random_serial() -> Result<rcgen::SerialNumber> {
    Ok(rcgen::SerialNumber::from_slice(&random_serial_bytes()?))
}

/// The content octets of a [`random_serial`].
fn random_serial_bytes() -> Result<[u8; 16]> {
    let mut bytes = [0u8; 16];
    aws_lc_rs::rand::fill(&mut bytes).map_err(|e| Error::crypto("random serial", e))?;
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    Ok(bytes)
}

/// Whether `der` is exactly one DER SEQUENCE (tag, definite length, that many bytes).
fn is_der_sequence(der: &[u8]) -> bool {
    let [0x30, first, rest @ ..] = der else {
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

fn check_validity(not_before: SystemTime, not_after: SystemTime) -> Result<()> {
    if not_after <= not_before {
        return Err(Error::InvalidValidity {
            reason: "notAfter would not be later than notBefore (does the CA expire before now?)"
                .into(),
        });
    }
    Ok(())
}

impl CertificateAuthority {
    fn ca_params(
        req: &CaRequest,
        algorithm: KeyAlgorithm,
        nb: SystemTime,
        na: SystemTime,
    ) -> Result<rcgen::CertificateParams> {
        let identity = Identity::certificate_authority(&req.common_name)?;
        let mut params = rcgen::CertificateParams::default();
        // A CA's subject is its CN alone, so no multi-O placeholder fix is needed.
        params.distinguished_name = crate::subject::encode(&identity)?.dn;
        // kubeadm puts the CA's CN in a DNS SAN when it is a valid name.
        if let Ok(dns) = DnsName::new(req.common_name.clone()) {
            let mut sans = SubjectAltNames::new();
            sans.push_dns(dns);
            params.subject_alt_names = sans.to_rcgen()?;
        }
        params.not_before = to_offset(nb)?;
        params.not_after = to_offset(na)?;
        params.serial_number = Some(random_serial()?);
        params.is_ca = rcgen::IsCa::Ca(match req.path_len {
            Some(n) => rcgen::BasicConstraints::Constrained(n),
            None => rcgen::BasicConstraints::Unconstrained,
        });
        params.key_usages = CertificateProfile::Ca {
            path_len: req.path_len,
        }
        .key_usages(algorithm, req.compatibility)
        .into_iter()
        .map(|k| k.to_rcgen())
        .collect();
        Ok(params)
    }

    /// Creates a self-signed root CA (kubeadm's `ca`, `etcd/ca`, `front-proxy-ca`).
    pub fn new_root(
        req: &CaRequest,
        key: PrivateKey,
        now: SystemTime,
    ) -> Result<CertificateAuthority> {
        let now = truncate(now);
        let nb = sub(now, req.backdate)?;
        let na = add(now, req.validity)?;
        check_validity(nb, na)?;
        let params = CertificateAuthority::ca_params(req, key.algorithm(), nb, na)?;
        let cert = params.self_signed(&key).map_err(signing_error)?;
        let certificate = Certificate::from_trusted_der(cert.der().to_vec());
        CertificateAuthority::assemble(
            certificate,
            Vec::new(),
            Some(key),
            None,
            &req.common_name,
            nb,
            na,
        )
    }

    /// Creates an intermediate CA signed by `parent` (notAfter clamped to the parent's).
    pub fn new_intermediate(
        req: &CaRequest,
        key: PrivateKey,
        parent: &CertificateAuthority,
        now: SystemTime,
    ) -> Result<CertificateAuthority> {
        let issuer = parent.rcgen_issuer()?;
        let now = truncate(now);
        let nb = sub(now, req.backdate)?;
        let na = add(now, req.validity)?.min(parent.0.not_after);
        check_validity(nb, na)?;
        let mut params = CertificateAuthority::ca_params(req, key.algorithm(), nb, na)?;
        params.use_authority_key_identifier_extension = true;
        let cert = params
            .signed_by(key.public_key(), issuer)
            .map_err(signing_error)?;
        let certificate = Certificate::from_trusted_der(cert.der().to_vec());
        let mut chain = vec![parent.certificate().clone()];
        chain.extend(parent.chain().iter().cloned());
        CertificateAuthority::assemble(
            certificate,
            chain,
            Some(key),
            None,
            &req.common_name,
            nb,
            na,
        )
    }

    /// Loads a CA from its certificate (PEM; further certificates in the same text are
    /// taken as its chain, nearest issuer first) and private key (PEM, any form
    /// [`PrivateKey::from_pem`] reads). Refuses a certificate that is not a CA and a key
    /// that does not match it.
    pub fn from_pem(cert_pem: &str, key_pem: &str) -> Result<CertificateAuthority> {
        let mut certs = Certificate::chain_from_pem(cert_pem, "CA certificate")?;
        let certificate = certs.remove(0);
        let key = PrivateKey::from_pem_named(key_pem, "CA private key")?;
        CertificateAuthority::from_parts(certificate, certs, key)
    }

    /// A CA from a parsed certificate, its chain and its key.
    pub fn from_parts(
        certificate: Certificate,
        chain: Vec<Certificate>,
        key: PrivateKey,
    ) -> Result<CertificateAuthority> {
        let (name, nb, na, public) = CertificateAuthority::check_ca(&certificate)?;
        if !key.matches(&public) {
            return Err(Error::KeyMismatch {
                what: format!("CA {name:?}"),
            });
        }
        CertificateAuthority::assemble(certificate, chain, Some(key), None, &name, nb, na)
    }

    /// A CA whose key lives elsewhere: every signature goes through `signer`, whose
    /// public key must match the certificate.
    pub fn with_signer(
        certificate: Certificate,
        chain: Vec<Certificate>,
        signer: Arc<dyn Signer>,
    ) -> Result<CertificateAuthority> {
        let (name, nb, na, public) = CertificateAuthority::check_ca(&certificate)?;
        if signer.public_key().raw() != public.raw() {
            return Err(Error::KeyMismatch {
                what: format!("CA {name:?} (external signer)"),
            });
        }
        CertificateAuthority::assemble(certificate, chain, None, Some(signer), &name, nb, na)
    }

    /// An external CA: only its certificate is known, so it cannot issue; leaves under
    /// it are supplied by the caller and checked with [`CertificateAuthority::verify_issued`].
    pub fn external(certificate: Certificate) -> Result<CertificateAuthority> {
        let (name, nb, na, public) = CertificateAuthority::check_ca(&certificate)?;
        Ok(CertificateAuthority(Arc::new(Inner {
            certificate,
            chain: Vec::new(),
            key: None,
            issuer: None,
            template: None,
            common_name: name,
            public_key: public,
            not_before: nb,
            not_after: na,
        })))
    }

    fn check_ca(certificate: &Certificate) -> Result<(String, SystemTime, SystemTime, PublicKey)> {
        let info = certificate.info()?;
        let name = info.subject_common_name.clone().unwrap_or_default();
        if !info.is_ca {
            return Err(Error::NotACertificateAuthority {
                what: format!("certificate {name:?}"),
                reason: "basicConstraints does not say CA:TRUE".into(),
            });
        }
        if let Some(ku) = &info.key_usages
            && !ku.contains(&crate::profile::KeyUsage::KeyCertSign)
        {
            return Err(Error::NotACertificateAuthority {
                what: format!("certificate {name:?}"),
                reason: "keyUsage lacks keyCertSign".into(),
            });
        }
        Ok((name, info.not_before, info.not_after, info.public_key))
    }

    fn assemble(
        certificate: Certificate,
        chain: Vec<Certificate>,
        key: Option<PrivateKey>,
        signer: Option<Arc<dyn Signer>>,
        name: &str,
        not_before: SystemTime,
        not_after: SystemTime,
    ) -> Result<CertificateAuthority> {
        let what = format!("CA {name:?}");
        let bad = |reason: String| Error::InvalidCertificate {
            what: what.clone(),
            reason,
        };
        let key = key.map(Arc::new);
        let (public_key, signer): (PublicKey, Arc<dyn Signer>) = match (&key, signer) {
            (Some(k), _) => (k.public_key().clone(), Arc::clone(k) as Arc<dyn Signer>),
            (None, Some(s)) => (s.public_key().clone(), s),
            (None, None) => return Err(bad("no key and no signer".into())),
        };
        // rcgen's DN conversion panics on an empty RDN; refuse such names first.
        let (_, parsed) = x509_parser::parse_x509_certificate(certificate.der())
            .map_err(|e| bad(e.to_string()))?;
        if parsed.subject().iter().any(|rdn| rdn.iter().count() != 1) {
            return Err(bad("the subject has an empty or multi-valued RDN, which kpki cannot reproduce as an issuer name".into()));
        }
        // x509-parser reads some malformed names leniently and then returns only part of
        // their bytes as raw: leaves would carry a truncated issuer name (found by fuzzing).
        if !is_der_sequence(parsed.subject().as_raw()) {
            return Err(bad(
                "the subject name is not well-formed DER, so it cannot be an issuer name".into(),
            ));
        }
        let template = crate::tbs::IssuerTemplate::new(&parsed, public_key.algorithm());
        let issuer = rcgen::Issuer::from_ca_cert_der(
            &certificate.der().to_vec().into(),
            RcgenSigner(signer),
        )
        .map_err(|e| bad(format!("cannot act as issuer: {e}")))?;
        Ok(CertificateAuthority(Arc::new(Inner {
            certificate,
            chain,
            key,
            issuer: Some(issuer),
            template: Some(template),
            common_name: name.to_owned(),
            public_key,
            not_before,
            not_after,
        })))
    }

    fn rcgen_issuer(&self) -> Result<&rcgen::Issuer<'static, RcgenSigner>> {
        self.0
            .issuer
            .as_ref()
            .ok_or_else(|| Error::CaKeyUnavailable {
                ca: self.0.common_name.clone(),
                reason: "cannot issue certificates".into(),
            })
    }

    /// Issues a leaf certificate for `public_key` (the hot path: no parsing, no PEM).
    pub fn issue(
        &self,
        req: &LeafRequest,
        public_key: &PublicKey,
        now: SystemTime,
    ) -> Result<Certificate> {
        let issuer = self.rcgen_issuer()?;
        let template = self
            .0
            .template
            .as_ref()
            .ok_or_else(|| Error::CaKeyUnavailable {
                ca: self.0.common_name.clone(),
                reason: "cannot issue certificates".into(),
            })?;
        if req.profile.is_ca() {
            return Err(Error::InvalidSpec {
                reason: "a leaf request cannot have a CA profile; use CertificateAuthority::new_intermediate".into(),
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
                reason: "a leaf certificate cannot have keyCertSign".into(),
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
        // Encoded directly (`crate::tbs`): the issuer's part was encoded once, in `assemble`.
        let serial = random_serial_bytes()?;
        let der = crate::tbs::Leaf {
            serial: &serial,
            not_before: nb,
            not_after: na,
            subject: &req.identity,
            spki: public_key.spki_der(),
            sans: &req.sans,
            key_usages,
            extended_key_usages,
        }
        .sign(template, issuer.key().0.as_ref())?;
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
        Ok(CertifiedKey { certificate, key })
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
                reason: "not valid now (expired or not yet valid)".into(),
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
        self.0.key.as_deref()
    }

    /// Whether this CA can issue (it has a key or a signer).
    pub fn can_issue(&self) -> bool {
        self.0.issuer.is_some()
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
