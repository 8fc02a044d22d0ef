//! `kpki.CertificateAuthority`, `kpki.CertifiedKey` and `kpki.CaSource`.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString, PyTuple};

use crate::args::{Delta, Int, List, Parsed, Str, Strs, Text, Time, bytes_of, datetime, now};
use crate::authority::{CaArg, CertificateAuthority};
use crate::certificate::{CertArg, Certificate, CertsArg};
use crate::csr::{CsrArg, PolicyArg, Usages};
use crate::errors::{Result, wrong_type};
use crate::identity::IdentityArg;
use crate::key::{PrivateKey, PrivateKeyArg, PublicKeyArg};
use crate::kubeconfig::UserCredentials;
use crate::public_key::PublicKey;
use crate::san::{SansArg, sans_or_empty};
use kpki_core::{
    CaRequest, CertificateProfile, ClusterName, Compatibility, KeyAlgorithm, KeyChoice,
    KubeconfigCluster, LeafRequest, SigningRequest, UserRequest,
};

/// A certificate with its private key.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct CertifiedKey {
    pub(crate) certificate: Py<Certificate>,
    pub(crate) key: Py<PrivateKey>,
    pub(crate) inner: kpki_core::CertifiedKey,
}

impl CertifiedKey {
    /// Wraps the core's pair.
    pub(crate) fn wrap(py: Python<'_>, ck: &kpki_core::CertifiedKey) -> Result<CertifiedKey> {
        Ok(CertifiedKey {
            certificate: Py::new(py, Certificate::wrap(ck.certificate().clone())?)?,
            key: Py::new(
                py,
                PrivateKey {
                    inner: ck.key().clone(),
                },
            )?,
            inner: ck.clone(),
        })
    }
}

#[pymethods]
impl CertifiedKey {
    /// Pairs a certificate with its key (checked: they must match).
    #[new]
    fn new(py: Python<'_>, certificate: CertArg, key: PrivateKeyArg) -> Result<CertifiedKey> {
        let ck = kpki_core::CertifiedKey::new(certificate.0, key.0)?;
        CertifiedKey::wrap(py, &ck)
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
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pair = [
            self.certificate.clone_ref(py).into_any(),
            self.key.clone_ref(py).into_any(),
        ];
        Ok(PyTuple::new(py, pair)?.as_any().try_iter()?.into_any())
    }

    fn __repr__(&self) -> String {
        format!(
            "<kpki.CertifiedKey CN={:?} {}>",
            self.certificate
                .get()
                .info
                .subject_common_name
                .as_deref()
                .unwrap_or(""),
            self.inner.key().algorithm()
        )
    }
}

/// A Python object that signs: `obj.sign(message: bytes) -> bytes`, with the public key
/// given at construction. Called with the GIL taken (also from kpki's worker threads);
/// the exception it raises stays the `__cause__` of the `CryptoError` kpki raises.
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
            bytes_of(&out.as_borrowed())
                .ok_or_else(|| wrong_type("bytes from sign()", &out.as_borrowed()).into())
        })
        .map_err(|e: PyErr| kpki_core::Error::signer(e))
    }
}

/// The request for a CA named `common_name`, kubeadm's defaults for what is not given.
fn ca_request(
    common_name: Str,
    validity: Option<Delta>,
    backdate: Option<Delta>,
    path_len: Option<Int<u8>>,
    compatibility: Option<Parsed<Compatibility>>,
) -> CaRequest {
    let mut req = CaRequest::new(common_name.0);
    if let Some(v) = validity {
        req.validity = v.0;
    }
    if let Some(b) = backdate {
        req.backdate = b.0;
    }
    req.path_len = path_len.map(|p| p.0);
    req.compatibility = compatibility.map(|c| c.0).unwrap_or_default();
    req
}

/// The request for a leaf: the core's defaults for what is not given.
fn leaf_request(
    identity: IdentityArg,
    profile: Option<Parsed<CertificateProfile>>,
    sans: Option<SansArg>,
    validity: Option<Delta>,
    backdate: Option<Delta>,
    compatibility: Option<Parsed<Compatibility>>,
    usages: Option<Usages>,
) -> LeafRequest {
    let mut req = LeafRequest::new(identity.0, profile.map(|p| p.0).unwrap_or_default())
        .with_compatibility(compatibility.map(|c| c.0).unwrap_or_default())
        .with_sans(sans_or_empty(sans));
    if let Some(v) = validity {
        req = req.with_validity(v.0);
    }
    if let Some(b) = backdate {
        req = req.with_backdate(b.0);
    }
    if let Some(u) = usages {
        req = req.with_kubernetes_usages(&u.0);
    }
    req
}

fn wrap(inner: kpki_core::CertificateAuthority) -> CertificateAuthority {
    CertificateAuthority { inner }
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
        common_name: Str,
        key: Option<PrivateKeyArg>,
        algorithm: Option<Parsed<KeyAlgorithm>>,
        validity: Option<Delta>,
        backdate: Option<Delta>,
        path_len: Option<Int<u8>>,
        compatibility: Option<Parsed<Compatibility>>,
        now: Option<Time>,
    ) -> Result<CertificateAuthority> {
        let req = ca_request(common_name, validity, backdate, path_len, compatibility);
        let (key, algorithm, now) = (key.map(|k| k.0), algorithm.map(|a| a.0), self::now(now));
        let inner = py.detach(|| {
            let key = kpki_core::PrivateKey::given_or_generated(key, algorithm)?;
            kpki_core::CertificateAuthority::new_root(&req, key, now)
        })?;
        Ok(wrap(inner))
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
        common_name: Str,
        parent: CaArg,
        key: Option<PrivateKeyArg>,
        algorithm: Option<Parsed<KeyAlgorithm>>,
        validity: Option<Delta>,
        backdate: Option<Delta>,
        path_len: Option<Int<u8>>,
        compatibility: Option<Parsed<Compatibility>>,
        now: Option<Time>,
    ) -> Result<CertificateAuthority> {
        let req = ca_request(common_name, validity, backdate, path_len, compatibility);
        let (key, algorithm, now) = (key.map(|k| k.0), algorithm.map(|a| a.0), self::now(now));
        let inner = py.detach(|| {
            let key = kpki_core::PrivateKey::given_or_generated(key, algorithm)?;
            kpki_core::CertificateAuthority::new_intermediate(&req, key, &parent.0, now)
        })?;
        Ok(wrap(inner))
    }

    /// Bring your own CA: its certificate (PEM; further certificates in the text are
    /// its chain, nearest issuer first) and private key. Refuses a certificate that is
    /// not a CA (`NotACertificateAuthorityError`) and a key that does not match it
    /// (`KeyMismatchError`). Both arguments also take `cryptography` objects.
    #[staticmethod]
    fn from_pem(certificate: CertsArg, key: PrivateKeyArg) -> Result<CertificateAuthority> {
        Ok(wrap(kpki_core::CertificateAuthority::from_chain(
            certificate.0,
            key.0,
        )?))
    }

    /// A CA whose key is in a PKCS#11 token (an HSM, SoftHSM): its certificate (PEM
    /// with its chain, or a `cryptography` certificate) and the `pkcs11:` URI of the key
    /// (RFC 7512: `token`, `object`, `id`, `slot-id`; `module-path`, `pin-source`,
    /// `pin-value`), which must match the certificate. Raises `Pkcs11Error` (wrong PIN,
    /// no such token or key, module, mechanism) naming the URI without its PIN. The GIL
    /// is released while the token is opened and while it signs.
    #[staticmethod]
    fn from_pkcs11(
        py: Python<'_>,
        uri: Parsed<kpki_core::Pkcs11Uri>,
        certificate: CertsArg,
    ) -> Result<CertificateAuthority> {
        let inner =
            py.detach(|| kpki_core::CertificateAuthority::from_pkcs11(certificate.0, &uri.0))?;
        Ok(wrap(inner))
    }

    /// A self-signed root CA whose key is in a PKCS#11 token: the key `uri` names (it
    /// must be `algorithm`), or a new one generated in the token (CKA_SENSITIVE, not
    /// CKA_EXTRACTABLE, CKA_TOKEN, labelled as the URI's `object`). An existing key is
    /// used, never replaced. The GIL is released.
    #[staticmethod]
    #[pyo3(signature = (
        common_name,
        uri,
        *,
        algorithm = None,
        validity = None,
        backdate = None,
        path_len = None,
        compatibility = None,
        now = None,
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments.
    fn root_pkcs11(
        py: Python<'_>,
        common_name: Str,
        uri: Parsed<kpki_core::Pkcs11Uri>,
        algorithm: Option<Parsed<KeyAlgorithm>>,
        validity: Option<Delta>,
        backdate: Option<Delta>,
        path_len: Option<Int<u8>>,
        compatibility: Option<Parsed<Compatibility>>,
        now: Option<Time>,
    ) -> Result<CertificateAuthority> {
        let req = ca_request(common_name, validity, backdate, path_len, compatibility);
        let algorithm = algorithm.map(|a| a.0).unwrap_or_default();
        let now = self::now(now);
        let inner = py.detach(|| {
            kpki_core::CertificateAuthority::new_root_in_token(&req, &uri.0, algorithm, now)
        })?;
        Ok(wrap(inner))
    }

    /// An external CA: only its certificate is known, so it cannot issue; it verifies
    /// certificates it signed (`verify_issued`) and can be a cluster role's CA source.
    #[staticmethod]
    fn external(certificate: CertArg) -> Result<CertificateAuthority> {
        Ok(wrap(kpki_core::CertificateAuthority::external(
            certificate.0,
        )?))
    }

    /// A CA whose key lives elsewhere (HSM, KMS): `signer.sign(message: bytes) -> bytes`
    /// makes every signature (RSA PKCS#1 v1.5 SHA-256, ECDSA SHA-256/384 DER, Ed25519),
    /// and `signer.public_key` (anything `PublicKey` accepts) must match `certificate`.
    #[staticmethod]
    #[pyo3(signature = (certificate, signer, chain = None))]
    fn with_signer(
        certificate: CertArg,
        signer: &Bound<'_, PyAny>,
        chain: Option<CertsArg>,
    ) -> Result<CertificateAuthority> {
        if !signer.hasattr("sign")? || !signer.hasattr("public_key")? {
            return Err(wrong_type(
                "an object with a sign(bytes) -> bytes method and a public_key attribute",
                &signer.as_borrowed(),
            ));
        }
        let public = signer.getattr("public_key")?.extract::<PublicKeyArg>()?.0;
        let signer = Arc::new(PySigner {
            public,
            obj: signer.clone().unbind(),
        });
        let chain = chain.map(|c| c.0).unwrap_or_default();
        Ok(wrap(kpki_core::CertificateAuthority::with_signer(
            certificate.0,
            chain,
            signer,
        )?))
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
        identity: IdentityArg,
        public_key: PublicKeyArg,
        profile: Option<Parsed<CertificateProfile>>,
        sans: Option<SansArg>,
        validity: Option<Delta>,
        backdate: Option<Delta>,
        compatibility: Option<Parsed<Compatibility>>,
        usages: Option<Usages>,
        now: Option<Time>,
    ) -> Result<Certificate> {
        let req = leaf_request(
            identity,
            profile,
            sans,
            validity,
            backdate,
            compatibility,
            usages,
        );
        let now = self::now(now);
        let cert = py.detach(|| self.inner.issue(&req, &public_key.0, now))?;
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
        identity: IdentityArg,
        algorithm: Option<Parsed<KeyAlgorithm>>,
        profile: Option<Parsed<CertificateProfile>>,
        sans: Option<SansArg>,
        validity: Option<Delta>,
        backdate: Option<Delta>,
        compatibility: Option<Parsed<Compatibility>>,
        usages: Option<Usages>,
        now: Option<Time>,
    ) -> Result<CertifiedKey> {
        let req = leaf_request(
            identity,
            profile,
            sans,
            validity,
            backdate,
            compatibility,
            usages,
        );
        let (algorithm, now) = (algorithm.map(|a| a.0).unwrap_or_default(), self::now(now));
        let ck = py.detach(|| self.inner.issue_with_new_key(&req, algorithm, now))?;
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
        csr: CsrArg,
        policy: PolicyArg,
        usages: Option<Usages>,
        expiration_seconds: Option<Int<i64>>,
        now: Option<Time>,
    ) -> Result<Certificate> {
        let request = SigningRequest::choose(
            &csr.0,
            &policy.0,
            usages.map(|u| u.0).unwrap_or_default(),
            expiration_seconds.map(|e| e.0),
        )?;
        let now = self::now(now);
        let cert = py.detach(|| self.inner.sign_csr(&csr.0, &policy.0, &request, now))?;
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
        name: Str,
        groups: Option<Strs>,
        server: Str,
        cluster_name: Option<Parsed<ClusterName>>,
        ca_bundle: Option<Text>,
        validity: Option<Delta>,
        algorithm: Option<Parsed<KeyAlgorithm>>,
        allow_privileged_groups: Option<Strs>,
        now: Option<Time>,
    ) -> Result<UserCredentials> {
        let mut req = UserRequest::new(name.0, groups.map(|g| g.0).unwrap_or_default())?;
        req.validity = validity.map(|v| v.0);
        if let Some(a) = algorithm {
            req.key_algorithm = a.0;
        }
        req.allowed_privileged_groups = allow_privileged_groups.map(|a| a.0).unwrap_or_default();
        let cluster = KubeconfigCluster::new(
            cluster_name.as_ref().map(|c| c.0.as_str()),
            &server.0,
            ca_bundle.as_ref().map(|b| b.0.as_str()),
        )?;
        let now = self::now(now);
        let creds = py.detach(|| self.inner.issue_user(&req, &cluster, now))?;
        UserCredentials::wrap(py, creds)
    }

    /// Renews `certificate` under this CA: same subject, SANs and usages, new serial and
    /// validity (`validity`, default 365 days). `key`: `"keep"` (kubeadm's `certs
    /// renew`), `"rotate"` (a new key of the same algorithm) or an algorithm name.
    /// Returns `(certificate, new_key)`; `new_key` is `None` when the key was kept.
    #[pyo3(signature = (certificate, *, key = None, validity = None, now = None))]
    fn renew(
        &self,
        py: Python<'_>,
        certificate: CertArg,
        key: Option<Parsed<KeyChoice>>,
        validity: Option<Delta>,
        now: Option<Time>,
    ) -> Result<(Certificate, Option<PrivateKey>)> {
        let choice = key.map(|k| k.0).unwrap_or_default();
        let (validity, now) = (validity.map(|v| v.0), self::now(now));
        let r = py.detach(|| self.inner.renew(&certificate.0, choice, validity, now))?;
        Ok((
            Certificate::wrap(r.certificate)?,
            r.new_key.map(|inner| PrivateKey { inner }),
        ))
    }

    /// The successor of this root CA for a rotation: same name, a new key of
    /// `algorithm` (default: this CA's), `validity` (default 10 years). Distribute
    /// `trust_bundle([old, new])` first, then renew the leaves under the new CA.
    #[pyo3(signature = (algorithm = None, *, validity = None, now = None))]
    fn rotate(
        &self,
        py: Python<'_>,
        algorithm: Option<Parsed<KeyAlgorithm>>,
        validity: Option<Delta>,
        now: Option<Time>,
    ) -> Result<CertificateAuthority> {
        let (algorithm, validity, now) = (
            algorithm.map(|a| a.0),
            validity.map(|v| v.0),
            self::now(now),
        );
        let inner = py.detach(|| self.inner.rotate(algorithm, validity, now))?;
        Ok(wrap(inner))
    }

    /// Checks that `certificate` was issued by this CA and is valid at `now`; raises
    /// `VerificationError` otherwise.
    #[pyo3(signature = (certificate, now = None))]
    fn verify_issued(&self, certificate: CertArg, now: Option<Time>) -> Result<()> {
        Ok(self.inner.verify_issued(&certificate.0, self::now(now))?)
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
            .map(|k| PrivateKey { inner: k.clone() })
    }

    /// Whether this CA can issue (it has a key or a signer).
    #[getter]
    fn can_issue(&self) -> bool {
        self.inner.can_issue()
    }

    /// The CA's CN.
    #[getter]
    fn common_name(&self) -> &str {
        self.inner.common_name()
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
    fn not_before(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        datetime(py, self.inner.not_before())
    }

    /// End of the CA's validity.
    #[getter]
    fn not_after(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        datetime(py, self.inner.not_after())
    }

    fn __repr__(&self) -> String {
        format!(
            "<kpki.CertificateAuthority {:?} {} can_issue={}>",
            self.inner.common_name(),
            self.inner.public_key().algorithm(),
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

fn source(inner: kpki_core::CaSource) -> CaSource {
    CaSource { inner }
}

#[pymethods]
impl CaSource {
    /// Generate a self-signed root (the default for `kubernetes`, `etcd`, `front-proxy`).
    #[staticmethod]
    fn generate() -> CaSource {
        source(kpki_core::CaSource::Generate)
    }

    /// Generate an intermediate signed by `parent`.
    #[staticmethod]
    fn intermediate_of(parent: CaArg) -> CaSource {
        source(kpki_core::CaSource::IntermediateOf(parent.0))
    }

    /// Use this CA (loaded from PEM, or signing through a callback).
    #[staticmethod]
    fn provided(ca: CaArg) -> CaSource {
        source(kpki_core::CaSource::Provided(ca.0))
    }

    /// An external CA: only its certificate; the certificates it signs must be supplied
    /// (`ClusterSpec(supplied={...})`).
    #[staticmethod]
    fn external(certificate: CertArg) -> CaSource {
        source(kpki_core::CaSource::External(certificate.0))
    }

    /// Share another role's CA (`kubernetes`, `etcd`, `front-proxy`, `client`, `kubelet`).
    #[staticmethod]
    fn same_as(role: Parsed<kpki_core::CaRole>) -> CaSource {
        source(kpki_core::CaSource::SameAs(role.0))
    }

    /// A self-signed root whose key is in a PKCS#11 token: the key the `pkcs11:` URI
    /// names, or one of the spec's key algorithm generated there. No CA key file is
    /// written (kubeadm's external-CA layout), yet kpki signs through the token.
    #[staticmethod]
    fn pkcs11(uri: Parsed<kpki_core::Pkcs11Uri>) -> CaSource {
        source(kpki_core::CaSource::Token(uri.0))
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
            kpki_core::CaSource::SameAs(r) => format!("CaSource.same_as({:?})", r.name()),
            kpki_core::CaSource::Token(uri) => format!("CaSource.pkcs11({:?})", uri.to_string()),
        }
    }
}

/// A CA source argument: `CaSource`, a `CertificateAuthority` (provided), a certificate
/// (external), or a name the core reads (`generate`, or a role to share).
pub(crate) struct CaSourceArg(pub(crate) kpki_core::CaSource);

impl<'py> FromPyObject<'_, 'py> for CaSourceArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(s) = obj.cast::<CaSource>() {
            return Ok(CaSourceArg(s.get().inner.clone()));
        }
        if let Ok(c) = obj.cast::<CertificateAuthority>() {
            return Ok(CaSourceArg(kpki_core::CaSource::Provided(
                c.get().inner.clone(),
            )));
        }
        if obj.cast::<PyString>().is_ok() {
            return Ok(CaSourceArg(obj.extract::<Parsed<kpki_core::CaSource>>()?.0));
        }
        if obj.cast::<Certificate>().is_ok() || obj.hasattr("tbs_certificate_bytes")? {
            return Ok(CaSourceArg(kpki_core::CaSource::External(
                obj.extract::<CertArg>()?.0,
            )));
        }
        Err(wrong_type(
            "kpki.CaSource, kpki.CertificateAuthority, a certificate or a role name",
            &obj,
        )
        .into())
    }
}

/// A certificate of a trust bundle: a CA (its certificate) or anything [`CertArg`] takes.
pub(crate) struct BundleEntry(kpki_core::Certificate);

impl<'py> FromPyObject<'_, 'py> for BundleEntry {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        match obj.cast::<CertificateAuthority>() {
            Ok(ca) => Ok(BundleEntry(ca.get().inner.certificate().clone())),
            Err(_) => Ok(BundleEntry(obj.extract::<CertArg>()?.0)),
        }
    }
}

/// A PEM trust bundle of `cas` (CAs or certificates), in order, each once: what to put
/// in `ca.crt` and kubeconfigs during a CA rotation.
#[pyfunction]
pub(crate) fn trust_bundle(cas: List<BundleEntry>) -> String {
    let refs: Vec<&kpki_core::Certificate> = cas.0.iter().map(|c| &c.0).collect();
    kpki_core::trust_bundle(&refs)
}
