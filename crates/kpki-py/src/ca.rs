//! `kpki.CertificateAuthority`, `kpki.CertifiedKey` and `kpki.CaSource`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::certificate::{Certificate, certificate_arg, certificates_arg};
use crate::convert;
use crate::errors::{Error, Result, wrong_type};
use crate::identity::identity_arg;
use crate::key::{PrivateKey, PublicKey, private_key_arg, public_key_arg};
use crate::san::opt_sans;
use kpki_core::{
    CaRequest, CertificateProfile, Compatibility, KeyAlgorithm, LeafRequest, NotBefore,
};

/// A certificate authority: root, intermediate, loaded from PEM (bring your own),
/// signing through a callback (a key kpki never sees), or external (certificate only:
/// it cannot issue). Safe to share between threads.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct CertificateAuthority {
    pub(crate) inner: kpki_core::CertificateAuthority,
}

/// A certificate with its private key.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct CertifiedKey {
    pub(crate) certificate: Py<Certificate>,
    pub(crate) key: Py<PrivateKey>,
}

impl CertifiedKey {
    pub(crate) fn wrap(py: Python<'_>, ck: &kpki_core::CertifiedKey) -> Result<CertifiedKey> {
        Ok(CertifiedKey {
            certificate: Py::new(py, Certificate::wrap(ck.certificate.clone())?)?,
            key: Py::new(py, PrivateKey::wrap(ck.key.clone()))?,
        })
    }
}

#[pymethods]
impl CertifiedKey {
    /// Pairs a certificate with its key (checked: they must match).
    #[new]
    fn new(
        py: Python<'_>,
        certificate: &Bound<'_, PyAny>,
        key: &Bound<'_, PyAny>,
    ) -> Result<CertifiedKey> {
        let c = certificate_arg(certificate, "certificate")?;
        let k = private_key_arg(key, "key")?;
        let cert = Certificate::wrap(c)?;
        if !k.matches(&cert.info.public_key) {
            return Err(Error::Core(kpki_core::Error::KeyMismatch {
                what: format!(
                    "certificate {:?}",
                    cert.info.subject_common_name.clone().unwrap_or_default()
                ),
            }));
        }
        Ok(CertifiedKey {
            certificate: Py::new(py, cert)?,
            key: Py::new(py, PrivateKey { inner: k })?,
        })
    }

    /// The certificate.
    #[getter]
    fn certificate(&self, py: Python<'_>) -> Py<Certificate> {
        self.certificate.clone_ref(py)
    }

    /// Its private key.
    #[getter]
    fn key(&self, py: Python<'_>) -> Py<PrivateKey> {
        self.key.clone_ref(py)
    }

    /// `(certificate, key)` unpacking.
    fn __iter__<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let t = pyo3::types::PyTuple::new(
            py,
            [
                self.certificate.clone_ref(py).into_any(),
                self.key.clone_ref(py).into_any(),
            ],
        )?;
        Ok(t.as_any().try_iter()?.into_any())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let c = self.certificate.get();
        let _ = py;
        format!(
            "<kpki.CertifiedKey CN={:?} {}>",
            c.info.subject_common_name.as_deref().unwrap_or(""),
            self.key.get().inner.algorithm().name()
        )
    }
}

pub(crate) fn ca_arg(
    obj: &Bound<'_, PyAny>,
    name: &str,
) -> Result<kpki_core::CertificateAuthority> {
    match obj.cast::<CertificateAuthority>() {
        Ok(c) => Ok(c.get().inner.clone()),
        Err(_) => Err(wrong_type(name, "kpki.CertificateAuthority", obj)),
    }
}

/// A Python object that signs: `obj.sign(message: bytes) -> bytes`, with the public key
/// given at construction. Called with the GIL taken (also from kpki's worker threads).
struct PySigner {
    public: kpki_core::PublicKey,
    obj: Py<PyAny>,
}

impl kpki_core::Signer for PySigner {
    fn public_key(&self) -> &kpki_core::PublicKey {
        &self.public
    }

    fn sign(&self, message: &[u8]) -> kpki_core::Result<Vec<u8>> {
        Python::attach(|py| {
            let out = self
                .obj
                .bind(py)
                .call_method1("sign", (PyBytes::new(py, message),))?;
            convert::binary(&out, "sign() result").map_err(PyErr::from)
        })
        .map_err(|e: PyErr| kpki_core::Error::Crypto {
            operation: "signing through a Python signer",
            reason: e.to_string(),
        })
    }
}

struct CaOptions {
    validity: Option<Duration>,
    backdate: Option<Duration>,
    path_len: Option<u8>,
    compatibility: Compatibility,
}

impl CaOptions {
    fn read(
        validity: Option<&Bound<'_, PyAny>>,
        backdate: Option<&Bound<'_, PyAny>>,
        path_len: Option<&Bound<'_, PyAny>>,
        compatibility: Option<&Bound<'_, PyAny>>,
    ) -> Result<CaOptions> {
        Ok(CaOptions {
            validity: convert::opt_duration(validity, "validity")?,
            backdate: convert::opt_duration(backdate, "backdate")?,
            path_len: match convert::given(path_len) {
                Some(p) => Some(convert::integer(p, "path_len")?),
                None => None,
            },
            compatibility: convert::parsed_or(
                compatibility,
                "compatibility",
                Compatibility::Current,
            )?,
        })
    }

    fn request(&self, common_name: String) -> CaRequest {
        let mut req = CaRequest::new(common_name);
        if let Some(v) = self.validity {
            req.validity = v;
        }
        if let Some(b) = self.backdate {
            req.backdate = b;
        }
        req.path_len = self.path_len;
        req.compatibility = self.compatibility;
        req
    }
}

/// The CA's key: the one given, or a fresh one of `algorithm` (GIL released).
fn ca_key(
    py: Python<'_>,
    key: Option<&Bound<'_, PyAny>>,
    algorithm: Option<&Bound<'_, PyAny>>,
) -> Result<kpki_core::PrivateKey> {
    match convert::given(key) {
        Some(k) => {
            if convert::given(algorithm).is_some() {
                return Err(Error::Input(
                    "pass either key or algorithm, not both (the key has an algorithm)".into(),
                ));
            }
            Ok((*private_key_arg(k, "key")?).clone())
        }
        None => {
            let alg = convert::parsed_or(algorithm, "algorithm", KeyAlgorithm::Rsa2048)?;
            Ok(py.detach(|| kpki_core::PrivateKey::generate(alg))?)
        }
    }
}

/// The keyword arguments of `issue()` and `issue_with_new_key()`.
struct LeafArgs<'a, 'py> {
    profile: Option<&'a Bound<'py, PyAny>>,
    sans: Option<&'a Bound<'py, PyAny>>,
    validity: Option<&'a Bound<'py, PyAny>>,
    backdate: Option<&'a Bound<'py, PyAny>>,
    compatibility: Option<&'a Bound<'py, PyAny>>,
    usages: Option<&'a Bound<'py, PyAny>>,
}

impl LeafArgs<'_, '_> {
    fn request(&self, identity: kpki_core::Identity) -> Result<LeafRequest> {
        let profile = convert::parsed_or(self.profile, "profile", CertificateProfile::Client)?;
        let compat =
            convert::parsed_or(self.compatibility, "compatibility", Compatibility::Current)?;
        let mut req = LeafRequest::new(identity, profile)
            .with_compatibility(compat)
            .with_sans(opt_sans(self.sans, "sans")?);
        if let Some(v) = convert::opt_duration(self.validity, "validity")? {
            req.validity = v;
        }
        if let Some(b) = convert::opt_duration(self.backdate, "backdate")? {
            req.not_before = NotBefore::Backdated(b);
        }
        if let Some(u) = convert::given(self.usages) {
            // Kubernetes usage names; each is a keyUsage bit or an extended key usage.
            let usages = crate::csr::usages_arg(u, "usages")?;
            req.key_usages = Some(usages.iter().filter_map(|u| u.key_usage()).collect());
            req.extended_key_usages = Some(
                usages
                    .iter()
                    .filter_map(|u| u.extended_key_usage())
                    .collect(),
            );
        }
        Ok(req)
    }
}

#[pymethods]
impl CertificateAuthority {
    /// A self-signed root CA named `common_name` (kubeadm's `kubernetes`, `etcd-ca`,
    /// `front-proxy-ca`). Uses `key`, or generates one of `algorithm` (default
    /// `rsa-2048`). Defaults are kubeadm's: 10 years, backdated 5 minutes, no path length.
    #[staticmethod]
    #[pyo3(signature = (
        common_name,
        key = None,
        *,
        algorithm = None,
        validity = None,
        backdate = None,
        path_len = None,
        compatibility = None,
        now = None,
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments.
    fn root(
        py: Python<'_>,
        common_name: &Bound<'_, PyAny>,
        key: Option<&Bound<'_, PyAny>>,
        algorithm: Option<&Bound<'_, PyAny>>,
        validity: Option<&Bound<'_, PyAny>>,
        backdate: Option<&Bound<'_, PyAny>>,
        path_len: Option<&Bound<'_, PyAny>>,
        compatibility: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> Result<CertificateAuthority> {
        let cn = convert::string(common_name, "common_name")?;
        let opts = CaOptions::read(validity, backdate, path_len, compatibility)?;
        let now = convert::time_or_now(now, "now")?;
        let key = ca_key(py, key, algorithm)?;
        let req = opts.request(cn);
        let inner = py.detach(|| kpki_core::CertificateAuthority::new_root(&req, key, now))?;
        Ok(CertificateAuthority { inner })
    }

    /// An intermediate CA signed by `parent` (its notAfter is clamped to the parent's).
    #[staticmethod]
    #[pyo3(signature = (
        common_name,
        parent,
        key = None,
        *,
        algorithm = None,
        validity = None,
        backdate = None,
        path_len = None,
        compatibility = None,
        now = None,
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments.
    fn intermediate(
        py: Python<'_>,
        common_name: &Bound<'_, PyAny>,
        parent: &Bound<'_, PyAny>,
        key: Option<&Bound<'_, PyAny>>,
        algorithm: Option<&Bound<'_, PyAny>>,
        validity: Option<&Bound<'_, PyAny>>,
        backdate: Option<&Bound<'_, PyAny>>,
        path_len: Option<&Bound<'_, PyAny>>,
        compatibility: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> Result<CertificateAuthority> {
        let cn = convert::string(common_name, "common_name")?;
        let parent = ca_arg(parent, "parent")?;
        let opts = CaOptions::read(validity, backdate, path_len, compatibility)?;
        let now = convert::time_or_now(now, "now")?;
        let key = ca_key(py, key, algorithm)?;
        let req = opts.request(cn);
        let inner = py.detach(|| {
            kpki_core::CertificateAuthority::new_intermediate(&req, key, &parent, now)
        })?;
        Ok(CertificateAuthority { inner })
    }

    /// Bring your own CA: its certificate (PEM; further certificates in the text are
    /// its chain, nearest issuer first) and private key. Refuses a certificate that is
    /// not a CA (`NotACertificateAuthorityError`) and a key that does not match it
    /// (`KeyMismatchError`). Both arguments also take `cryptography` objects.
    #[staticmethod]
    fn from_pem(
        certificate: &Bound<'_, PyAny>,
        key: &Bound<'_, PyAny>,
    ) -> Result<CertificateAuthority> {
        let mut certs = certificates_arg(certificate, "certificate")?;
        if certs.is_empty() {
            return Err(Error::Core(kpki_core::Error::InvalidPem {
                what: "argument \"certificate\"".into(),
                reason: "no CERTIFICATE block".into(),
            }));
        }
        let cert = certs.remove(0);
        let key = private_key_arg(key, "key")?;
        Ok(CertificateAuthority {
            inner: kpki_core::CertificateAuthority::from_parts(cert, certs, (*key).clone())?,
        })
    }

    /// An external CA: only its certificate is known, so it cannot issue; it verifies
    /// certificates it signed (`verify_issued`) and can be a cluster role's CA source.
    #[staticmethod]
    fn external(certificate: &Bound<'_, PyAny>) -> Result<CertificateAuthority> {
        let cert = certificate_arg(certificate, "certificate")?;
        Ok(CertificateAuthority {
            inner: kpki_core::CertificateAuthority::external(cert)?,
        })
    }

    /// A CA whose key lives elsewhere (HSM, KMS): `signer.sign(message: bytes) -> bytes`
    /// makes every signature (RSA PKCS#1 v1.5 SHA-256, ECDSA SHA-256/384 DER, Ed25519),
    /// and `signer.public_key` (anything `PublicKey` accepts) must match `certificate`.
    #[staticmethod]
    #[pyo3(signature = (certificate, signer, chain = None))]
    fn with_signer(
        certificate: &Bound<'_, PyAny>,
        signer: &Bound<'_, PyAny>,
        chain: Option<&Bound<'_, PyAny>>,
    ) -> Result<CertificateAuthority> {
        let cert = certificate_arg(certificate, "certificate")?;
        let chain = match convert::given(chain) {
            Some(c) => certificates_arg(c, "chain")?,
            None => Vec::new(),
        };
        if !signer.hasattr("sign")? || !signer.hasattr("public_key")? {
            return Err(wrong_type(
                "signer",
                "an object with a sign(bytes) -> bytes method and a public_key attribute",
                signer,
            ));
        }
        let public = public_key_arg(&signer.getattr("public_key")?, "signer.public_key")?;
        let signer = Arc::new(PySigner {
            public,
            obj: signer.clone().unbind(),
        });
        Ok(CertificateAuthority {
            inner: kpki_core::CertificateAuthority::with_signer(cert, chain, signer)?,
        })
    }

    /// Issues a certificate for `public_key` (a `PublicKey`, `PrivateKey`, PEM, or a
    /// `cryptography` key). `profile`: `client` (default), `server`,
    /// `server-and-client`. Defaults are kubeadm's: 365 days (never past the CA's end),
    /// backdated 5 minutes (`compatibility="kubeadm-1.28"`: the CA's notBefore).
    /// `usages` (Kubernetes names: `digital signature`, `key encipherment`, `server
    /// auth`, `client auth`, ...) replace the profile's key usages and EKUs.
    #[pyo3(signature = (
        identity,
        public_key,
        *,
        profile = None,
        sans = None,
        validity = None,
        backdate = None,
        compatibility = None,
        usages = None,
        now = None,
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments.
    fn issue(
        &self,
        py: Python<'_>,
        identity: &Bound<'_, PyAny>,
        public_key: &Bound<'_, PyAny>,
        profile: Option<&Bound<'_, PyAny>>,
        sans: Option<&Bound<'_, PyAny>>,
        validity: Option<&Bound<'_, PyAny>>,
        backdate: Option<&Bound<'_, PyAny>>,
        compatibility: Option<&Bound<'_, PyAny>>,
        usages: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> Result<Certificate> {
        let identity = identity_arg(identity, "identity")?;
        let public = public_key_arg(public_key, "public_key")?;
        let req = LeafArgs {
            profile,
            sans,
            validity,
            backdate,
            compatibility,
            usages,
        }
        .request(identity)?;
        let now = convert::time_or_now(now, "now")?;
        let cert = py.detach(|| self.inner.issue(&req, &public, now))?;
        Certificate::wrap(cert)
    }

    /// Generates a key of `algorithm` (default `rsa-2048`) and issues a certificate for
    /// it (see `issue`); the GIL is released meanwhile.
    #[pyo3(signature = (
        identity,
        *,
        algorithm = None,
        profile = None,
        sans = None,
        validity = None,
        backdate = None,
        compatibility = None,
        usages = None,
        now = None,
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments.
    fn issue_with_new_key(
        &self,
        py: Python<'_>,
        identity: &Bound<'_, PyAny>,
        algorithm: Option<&Bound<'_, PyAny>>,
        profile: Option<&Bound<'_, PyAny>>,
        sans: Option<&Bound<'_, PyAny>>,
        validity: Option<&Bound<'_, PyAny>>,
        backdate: Option<&Bound<'_, PyAny>>,
        compatibility: Option<&Bound<'_, PyAny>>,
        usages: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> Result<CertifiedKey> {
        let identity = identity_arg(identity, "identity")?;
        let alg = convert::parsed_or(algorithm, "algorithm", KeyAlgorithm::Rsa2048)?;
        let req = LeafArgs {
            profile,
            sans,
            validity,
            backdate,
            compatibility,
            usages,
        }
        .request(identity)?;
        let now = convert::time_or_now(now, "now")?;
        let ck = py.detach(|| self.inner.issue_with_new_key(&req, alg, now))?;
        CertifiedKey::wrap(py, &ck)
    }

    /// Signs a CSR under `policy` (a `SignerPolicy` or a built-in signer name such as
    /// `kubernetes.io/kube-apiserver-client`): the subject and DNS/IP SANs come from the
    /// CSR, the usages from `usages` (else what the CSR requests, else the policy's
    /// defaults), the validity from `expiration_seconds` (else the policy's maximum).
    /// A refusal raises `PolicyRefusedError` with kube-controller-manager's message.
    #[pyo3(signature = (csr, policy, *, usages = None, expiration_seconds = None, now = None))]
    fn sign_csr(
        &self,
        py: Python<'_>,
        csr: &Bound<'_, PyAny>,
        policy: &Bound<'_, PyAny>,
        usages: Option<&Bound<'_, PyAny>>,
        expiration_seconds: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> Result<Certificate> {
        let csr = crate::csr::csr_arg(csr, "csr")?;
        let policy = crate::csr::policy_arg(policy, "policy")?;
        let request = crate::csr::signing_request(&csr, &policy, usages, expiration_seconds)?;
        let now = convert::time_or_now(now, "now")?;
        let cert = py.detach(|| self.inner.sign_csr(&csr, &policy, &request, now))?;
        Certificate::wrap(cert)
    }

    /// A user's credentials: a new key, a client certificate for `name` in `groups`
    /// (through the `kube-apiserver-client` policy: `system:masters` is refused unless
    /// listed in `allow_privileged_groups`) and a kubeconfig for the API server at
    /// `server`, trusting `ca_bundle` (PEM; default: this CA's chain).
    #[pyo3(signature = (
        name,
        groups = None,
        *,
        server,
        cluster_name = None,
        ca_bundle = None,
        validity = None,
        algorithm = None,
        allow_privileged_groups = None,
        now = None,
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments.
    fn issue_user(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        groups: Option<&Bound<'_, PyAny>>,
        server: &Bound<'_, PyAny>,
        cluster_name: Option<&Bound<'_, PyAny>>,
        ca_bundle: Option<&Bound<'_, PyAny>>,
        validity: Option<&Bound<'_, PyAny>>,
        algorithm: Option<&Bound<'_, PyAny>>,
        allow_privileged_groups: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> Result<crate::csr::UserCredentials> {
        let groups = match convert::given(groups) {
            Some(g) => convert::strings(g, "groups")?,
            None => Vec::new(),
        };
        let mut req = kpki_core::UserRequest::new(convert::string(name, "name")?, groups)?;
        req.validity = convert::opt_duration(validity, "validity")?;
        req.key_algorithm = convert::parsed_or(algorithm, "algorithm", KeyAlgorithm::Rsa2048)?;
        if let Some(a) = convert::given(allow_privileged_groups) {
            req.allowed_privileged_groups = convert::strings(a, "allow_privileged_groups")?;
        }
        let cluster = kpki_core::kubeconfig::Cluster {
            name: match convert::given(cluster_name) {
                Some(c) => convert::string(c, "cluster_name")?,
                None => "kubernetes".into(),
            },
            server: convert::string(server, "server")?,
            certificate_authority_data: match convert::given(ca_bundle) {
                Some(b) => {
                    let pem = convert::text(b, "ca_bundle")?;
                    kpki_core::Certificate::chain_from_pem(&pem, "argument \"ca_bundle\"")?;
                    Some(pem.into_bytes())
                }
                None => None,
            },
            ..Default::default()
        };
        let now = convert::time_or_now(now, "now")?;
        let creds = py.detach(|| self.inner.issue_user(&req, &cluster, now))?;
        crate::csr::user_credentials(py, creds)
    }

    /// Renews `certificate` under this CA: same subject, SANs and usages, new serial and
    /// validity (`validity`, default 365 days). `key`: `"keep"` (kubeadm's `certs
    /// renew`), `"rotate"` (a new key of the same algorithm) or an algorithm name.
    /// Returns `(certificate, new_key)`; `new_key` is `None` when the key was kept.
    #[pyo3(signature = (certificate, *, key = None, validity = None, now = None))]
    fn renew(
        &self,
        py: Python<'_>,
        certificate: &Bound<'_, PyAny>,
        key: Option<&Bound<'_, PyAny>>,
        validity: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> Result<(Certificate, Option<PrivateKey>)> {
        let old = certificate_arg(certificate, "certificate")?;
        let choice = match convert::given(key) {
            None => kpki_core::KeyChoice::Keep,
            Some(k) => match convert::string(k, "key")?.as_str() {
                "keep" => kpki_core::KeyChoice::Keep,
                "rotate" => kpki_core::KeyChoice::Rotate,
                other => kpki_core::KeyChoice::RotateTo(other.parse()?),
            },
        };
        let validity = convert::opt_duration(validity, "validity")?;
        let now = convert::time_or_now(now, "now")?;
        let r = py.detach(|| self.inner.renew(&old, choice, validity, now))?;
        Ok((
            Certificate::wrap(r.certificate)?,
            r.new_key.map(PrivateKey::wrap),
        ))
    }

    /// The successor of this root CA for a rotation: same name, a new key of
    /// `algorithm` (default: this CA's), `validity` (default 10 years). Distribute
    /// `trust_bundle([old, new])` first, then renew the leaves under the new CA.
    #[pyo3(signature = (algorithm = None, *, validity = None, now = None))]
    fn rotate(
        &self,
        py: Python<'_>,
        algorithm: Option<&Bound<'_, PyAny>>,
        validity: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> Result<CertificateAuthority> {
        let alg = convert::parsed_or(algorithm, "algorithm", self.inner.public_key().algorithm())?;
        let validity = convert::opt_duration(validity, "validity")?;
        let now = convert::time_or_now(now, "now")?;
        let inner = py.detach(|| self.inner.rotate(alg, validity, now))?;
        Ok(CertificateAuthority { inner })
    }

    /// Checks that `certificate` was issued by this CA and is valid at `now`; raises
    /// `VerificationError` otherwise.
    #[pyo3(signature = (certificate, now = None))]
    fn verify_issued(
        &self,
        certificate: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> Result<()> {
        let cert = certificate_arg(certificate, "certificate")?;
        let now: SystemTime = convert::time_or_now(now, "now")?;
        Ok(self.inner.verify_issued(&cert, now)?)
    }

    /// The CA certificate.
    #[getter]
    fn certificate(&self) -> Result<Certificate> {
        Certificate::wrap(self.inner.certificate().clone())
    }

    /// The certificates above this CA, nearest first (empty for a root).
    #[getter]
    fn chain(&self) -> Result<Vec<Certificate>> {
        self.inner
            .chain()
            .iter()
            .cloned()
            .map(Certificate::wrap)
            .collect()
    }

    /// The CA certificate followed by its chain, as PEM (what kpki writes to `ca.crt`).
    fn chain_pem(&self) -> String {
        self.inner.chain_pem()
    }

    /// The private key, or `None` (external CA, or a signer).
    #[getter]
    fn private_key(&self) -> Option<PrivateKey> {
        self.inner
            .private_key()
            .map(|k| PrivateKey::wrap(k.clone()))
    }

    /// Whether this CA can issue (it has a key or a signer).
    #[getter]
    fn can_issue(&self) -> bool {
        self.inner.can_issue()
    }

    /// The CA's CN.
    #[getter]
    fn common_name(&self) -> String {
        self.inner.common_name().to_owned()
    }

    /// The CA's public key.
    #[getter]
    fn public_key(&self) -> PublicKey {
        PublicKey {
            inner: self.inner.public_key().clone(),
        }
    }

    /// Start of the CA's validity.
    #[getter]
    fn not_before<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        convert::to_datetime(py, self.inner.not_before())
    }

    /// End of the CA's validity.
    #[getter]
    fn not_after<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        convert::to_datetime(py, self.inner.not_after())
    }

    fn __repr__(&self) -> String {
        format!(
            "<kpki.CertificateAuthority {:?} {} can_issue={}>",
            self.inner.common_name(),
            self.inner.public_key().algorithm().name(),
            if self.inner.can_issue() {
                "True"
            } else {
                "False"
            }
        )
    }
}

/// Where a cluster role's CA comes from (for `ClusterSpec(cas={...})`).
#[pyclass(frozen, module = "kpki")]
pub(crate) struct CaSource {
    pub(crate) inner: kpki_core::CaSource,
}

#[pymethods]
impl CaSource {
    /// Generate a self-signed root (the default for `kubernetes`, `etcd`, `front-proxy`).
    #[staticmethod]
    fn generate() -> CaSource {
        CaSource {
            inner: kpki_core::CaSource::Generate,
        }
    }

    /// Generate an intermediate signed by `parent`.
    #[staticmethod]
    fn intermediate_of(parent: &Bound<'_, PyAny>) -> Result<CaSource> {
        Ok(CaSource {
            inner: kpki_core::CaSource::IntermediateOf(ca_arg(parent, "parent")?),
        })
    }

    /// Use this CA (loaded from PEM, or signing through a callback).
    #[staticmethod]
    fn provided(ca: &Bound<'_, PyAny>) -> Result<CaSource> {
        Ok(CaSource {
            inner: kpki_core::CaSource::Provided(ca_arg(ca, "ca")?),
        })
    }

    /// An external CA: only its certificate; the certificates it signs must be supplied
    /// (`ClusterSpec(supplied={...})`).
    #[staticmethod]
    fn external(certificate: &Bound<'_, PyAny>) -> Result<CaSource> {
        Ok(CaSource {
            inner: kpki_core::CaSource::External(certificate_arg(certificate, "certificate")?),
        })
    }

    /// Share another role's CA (`kubernetes`, `etcd`, `front-proxy`, `client`, `kubelet`).
    #[staticmethod]
    fn same_as(role: &Bound<'_, PyAny>) -> Result<CaSource> {
        Ok(CaSource {
            inner: kpki_core::CaSource::SameAs(convert::parsed(role, "role")?),
        })
    }

    fn __repr__(&self) -> String {
        match &self.inner {
            kpki_core::CaSource::Generate => "CaSource.generate()".into(),
            kpki_core::CaSource::IntermediateOf(ca) => {
                format!("CaSource.intermediate_of(<CA {:?}>)", ca.common_name())
            }
            kpki_core::CaSource::Provided(ca) => {
                format!("CaSource.provided(<CA {:?}>)", ca.common_name())
            }
            kpki_core::CaSource::External(_) => "CaSource.external(<certificate>)".into(),
            kpki_core::CaSource::SameAs(r) => format!("CaSource.same_as({:?})", r.to_string()),
        }
    }
}

/// A CA source argument: `CaSource`, a `CertificateAuthority` (provided), a certificate
/// (external), or a role name (shared).
pub(crate) fn ca_source_arg(obj: &Bound<'_, PyAny>, name: &str) -> Result<kpki_core::CaSource> {
    if let Ok(s) = obj.cast::<CaSource>() {
        return Ok(s.get().inner.clone());
    }
    if let Ok(c) = obj.cast::<CertificateAuthority>() {
        return Ok(kpki_core::CaSource::Provided(c.get().inner.clone()));
    }
    if obj.cast::<pyo3::types::PyString>().is_ok() {
        let s = convert::string(obj, name)?;
        if s == "generate" {
            return Ok(kpki_core::CaSource::Generate);
        }
        return Ok(kpki_core::CaSource::SameAs(s.parse()?));
    }
    if obj.cast::<Certificate>().is_ok() || obj.hasattr("tbs_certificate_bytes")? {
        return Ok(kpki_core::CaSource::External(certificate_arg(obj, name)?));
    }
    Err(wrong_type(
        name,
        "kpki.CaSource, kpki.CertificateAuthority, a certificate or a role name",
        obj,
    ))
}

/// A PEM trust bundle of `cas` (CAs or certificates), in order, each once: what to put
/// in `ca.crt` and kubeconfigs during a CA rotation.
#[pyfunction]
pub(crate) fn trust_bundle(cas: &Bound<'_, PyAny>) -> Result<String> {
    let certs = convert::items(cas, "cas", "a list of CAs or certificates")?
        .iter()
        .map(|c| match c.cast::<CertificateAuthority>() {
            Ok(ca) => Ok(ca.get().inner.certificate().clone()),
            Err(_) => certificate_arg(c, "cas[]"),
        })
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<&kpki_core::Certificate> = certs.iter().collect();
    Ok(kpki_core::trust_bundle(&refs))
}
