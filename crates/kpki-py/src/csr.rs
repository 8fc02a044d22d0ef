//! `kpki.Csr` (PKCS#10), `kpki.SignerPolicy` (signing under Kubernetes' signer rules
//! or your own), `kpki.KubeCsr` (`certificates.k8s.io/v1` objects) and
//! `kpki.UserCredentials`.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use crate::certificate::{Certificate, ip_list};
use crate::convert::{self, Encoded};
use crate::errors::{Result, wrong_type};
use crate::identity::identity_arg;
use crate::key::{PrivateKey, PublicKey, private_key_arg};
use crate::san::opt_sans;
use kpki_core::{SignerPolicy as CorePolicy, SigningRequest, Usage};

/// A PKCS#10 certificate signing request whose self-signature (the requester's proof
/// that it holds the key) has been verified on load.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct Csr {
    pub(crate) inner: kpki_core::Csr,
}

/// A CSR argument: `kpki.Csr`, PEM `str`/`bytes`, DER `bytes`, or a
/// `cryptography.x509.CertificateSigningRequest`.
pub(crate) fn csr_arg(obj: &Bound<'_, PyAny>, name: &str) -> Result<kpki_core::Csr> {
    if let Ok(c) = obj.cast::<Csr>() {
        return Ok(c.get().inner.clone());
    }
    if obj.hasattr("tbs_certrequest_bytes")? {
        return from_cryptography(obj);
    }
    let what = format!("argument {name:?}");
    match convert::pem_or_der(obj, name).map_err(|_| {
        wrong_type(
            name,
            "kpki.Csr, PEM str/bytes, DER bytes or a cryptography CertificateSigningRequest",
            obj,
        )
    })? {
        Encoded::Pem(pem) => Ok(kpki_core::Csr::from_pem_named(&pem, &what)?),
        Encoded::Der(der) => Ok(kpki_core::Csr::from_der_named(&der, &what)?),
    }
}

fn from_cryptography(obj: &Bound<'_, PyAny>) -> Result<kpki_core::Csr> {
    let encoding = obj
        .py()
        .import("cryptography.hazmat.primitives.serialization")?
        .getattr("Encoding")?
        .getattr("DER")?;
    let der = obj.call_method1("public_bytes", (encoding,))?;
    Ok(kpki_core::Csr::from_der(&convert::binary(
        &der,
        "public_bytes()",
    )?)?)
}

/// Usage names (`digital signature`, `server auth`, ...) as the core's `Usage`s.
pub(crate) fn usages_arg(obj: &Bound<'_, PyAny>, name: &str) -> Result<Vec<Usage>> {
    let names = convert::strings(obj, name)?;
    Ok(Usage::parse_list(&names)?)
}

fn usage_names(usages: &[Usage]) -> Vec<&'static str> {
    usages.iter().map(|u| u.name()).collect()
}

#[pymethods]
impl Csr {
    /// A CSR for `identity` (CN and one O per group) and `sans`, signed with `key`.
    #[staticmethod]
    #[pyo3(signature = (identity, key, sans = None))]
    fn generate(
        py: Python<'_>,
        identity: &Bound<'_, PyAny>,
        key: &Bound<'_, PyAny>,
        sans: Option<&Bound<'_, PyAny>>,
    ) -> Result<Csr> {
        let identity = identity_arg(identity, "identity")?;
        let key = private_key_arg(key, "key")?;
        let sans = opt_sans(sans, "sans")?;
        let inner = py.detach(|| kpki_core::Csr::generate(&identity, &sans, &key))?;
        Ok(Csr { inner })
    }

    /// Loads the first `CERTIFICATE REQUEST` block (`str` or `bytes`) and verifies it.
    #[staticmethod]
    fn from_pem(pem: &Bound<'_, PyAny>) -> Result<Csr> {
        let pem = convert::text(pem, "pem")?;
        Ok(Csr {
            inner: kpki_core::Csr::from_pem(&pem)?,
        })
    }

    /// Loads DER and verifies it.
    #[staticmethod]
    fn from_der(der: &Bound<'_, PyAny>) -> Result<Csr> {
        Ok(Csr {
            inner: kpki_core::Csr::from_der(&convert::binary(der, "der")?)?,
        })
    }

    /// Converts a `cryptography.x509.CertificateSigningRequest` (through DER).
    #[staticmethod]
    fn from_cryptography(csr: &Bound<'_, PyAny>) -> Result<Csr> {
        if !csr.hasattr("tbs_certrequest_bytes")? {
            return Err(wrong_type(
                "csr",
                "a cryptography.x509.CertificateSigningRequest",
                csr,
            ));
        }
        Ok(Csr {
            inner: from_cryptography(csr)?,
        })
    }

    /// The request as a `cryptography.x509.CertificateSigningRequest` (same DER).
    fn to_cryptography<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        Ok(py
            .import("cryptography.x509")?
            .call_method1("load_der_x509_csr", (PyBytes::new(py, self.inner.der()),))?)
    }

    /// One `CERTIFICATE REQUEST` PEM block.
    fn to_pem(&self) -> String {
        self.inner.to_pem()
    }

    /// The DER bytes.
    fn to_der<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.der())
    }

    /// The subject's CN (the first, if several), or `None`.
    #[getter]
    fn common_name(&self) -> Option<String> {
        self.inner.info().common_names.first().cloned()
    }

    /// Every CN of the subject (a well-formed request has one).
    #[getter]
    fn common_names(&self) -> Vec<String> {
        self.inner.info().common_names.clone()
    }

    /// The O values (groups), in order.
    #[getter]
    fn organizations(&self) -> Vec<String> {
        self.inner.info().organizations.clone()
    }

    /// Other subject attributes (`OU`, `C`, ... or dotted OIDs).
    #[getter]
    fn other_subject_attributes(&self) -> Vec<String> {
        self.inner.info().other_subject_attributes.clone()
    }

    /// Requested DNS names.
    #[getter]
    fn dns_names(&self) -> Vec<String> {
        self.inner.info().dns_names().map(str::to_owned).collect()
    }

    /// Requested IP addresses (`ipaddress` objects).
    #[getter]
    fn ip_addresses<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyList>> {
        let ips: Vec<_> = self.inner.info().ip_addresses().collect();
        ip_list(py, &ips)
    }

    /// Requested email addresses.
    #[getter]
    fn email_addresses(&self) -> Vec<String> {
        self.inner
            .info()
            .email_addresses()
            .map(str::to_owned)
            .collect()
    }

    /// Requested URIs.
    #[getter]
    fn uris(&self) -> Vec<String> {
        self.inner.info().uris().map(str::to_owned).collect()
    }

    /// The requester's public key.
    #[getter]
    fn public_key(&self) -> PublicKey {
        PublicKey {
            inner: self.inner.public_key().clone(),
        }
    }

    /// The dotted OID of the request's signature algorithm.
    #[getter]
    fn signature_algorithm_oid(&self) -> String {
        self.inner.info().signature_algorithm_oid.clone()
    }

    /// Whether the request asks for basicConstraints CA:TRUE (`None`: not asked).
    #[getter]
    fn requested_ca(&self) -> Option<bool> {
        self.inner
            .info()
            .extensions
            .basic_constraints
            .as_ref()
            .map(|b| b.ca)
    }

    /// Requested keyUsage bits (Kubernetes names), or `None`.
    #[getter]
    fn requested_key_usages(&self) -> Option<Vec<&'static str>> {
        self.inner
            .info()
            .extensions
            .key_usages
            .as_ref()
            .map(|v| v.iter().map(|k| k.kubernetes_name()).collect())
    }

    /// Requested extended key usages (Kubernetes names or dotted OIDs), or `None`.
    #[getter]
    fn requested_extended_key_usages(&self) -> Option<Vec<String>> {
        self.inner
            .info()
            .extensions
            .extended_key_usages
            .as_ref()
            .map(|v| v.iter().map(|e| e.kubernetes_name().to_owned()).collect())
    }

    /// Dotted OIDs of the other requested extensions.
    #[getter]
    fn requested_other_extensions(&self) -> Vec<String> {
        self.inner.info().extensions.other.clone()
    }

    /// Whether `key` (a private key, public key or certificate) holds this request's key.
    fn matches(&self, key: &Bound<'_, PyAny>) -> Result<bool> {
        let public = crate::key::public_key_arg(key, "key")?;
        Ok(&public == self.inner.public_key())
    }

    fn __repr__(&self) -> String {
        format!(
            "<kpki.Csr CN={:?} O={:?}>",
            self.inner
                .info()
                .common_names
                .first()
                .map(String::as_str)
                .unwrap_or(""),
            self.inner.info().organizations
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Csr>() {
            Ok(o) => self.inner.der() == o.get().inner.der(),
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        crate::key::hash_bytes(self.inner.der())
    }
}

/// A signer's policy: Kubernetes' built-in signers (`kubernetes.io/kube-apiserver-client`,
/// `kubernetes.io/kube-apiserver-client-kubelet`, `kubernetes.io/kubelet-serving`) with
/// kube-controller-manager's rules and messages, or rules of your own.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct SignerPolicy {
    pub(crate) inner: CorePolicy,
}

pub(crate) fn policy_arg(obj: &Bound<'_, PyAny>, name: &str) -> Result<CorePolicy> {
    if let Ok(p) = obj.cast::<SignerPolicy>() {
        return Ok(p.get().inner.clone());
    }
    if obj.cast::<pyo3::types::PyString>().is_ok() {
        return Ok(CorePolicy::builtin(&convert::string(obj, name)?)?);
    }
    Err(wrong_type(
        name,
        "kpki.SignerPolicy or a built-in signer name",
        obj,
    ))
}

fn patterns(obj: Option<&Bound<'_, PyAny>>, name: &str) -> Result<Vec<kpki_core::policy::Pattern>> {
    Ok(match convert::given(obj) {
        Some(o) => convert::strings(o, name)?
            .into_iter()
            .map(kpki_core::policy::Pattern::new)
            .collect(),
        None => Vec::new(),
    })
}

#[pymethods]
impl SignerPolicy {
    /// `kubernetes.io/kube-apiserver-client`: client certificates for users and components.
    #[staticmethod]
    fn kube_apiserver_client() -> SignerPolicy {
        SignerPolicy {
            inner: CorePolicy::kube_apiserver_client(),
        }
    }

    /// `kubernetes.io/kube-apiserver-client-kubelet`: kubelet client certificates.
    #[staticmethod]
    fn kubelet_client() -> SignerPolicy {
        SignerPolicy {
            inner: CorePolicy::kubelet_client(),
        }
    }

    /// `kubernetes.io/kubelet-serving`: kubelet serving certificates.
    #[staticmethod]
    fn kubelet_serving() -> SignerPolicy {
        SignerPolicy {
            inner: CorePolicy::kubelet_serving(),
        }
    }

    /// A built-in signer by name.
    #[staticmethod]
    fn builtin(signer_name: &Bound<'_, PyAny>) -> Result<SignerPolicy> {
        Ok(SignerPolicy {
            inner: CorePolicy::builtin(&convert::string(signer_name, "signer_name")?)?,
        })
    }

    /// A signer of your own (`example.com/ci`): the CN must match `common_name`, each
    /// group one of `groups`, each DNS SAN one of `dns_names` (patterns where `*` stays
    /// within a DNS label), each IP one of `ip_ranges` (CIDRs); `usages` are the
    /// usages a request may ask for.
    #[staticmethod]
    #[pyo3(signature = (signer_name, *, common_name, usages, groups = None, dns_names = None, ip_ranges = None))]
    fn custom(
        signer_name: &Bound<'_, PyAny>,
        common_name: &Bound<'_, PyAny>,
        usages: &Bound<'_, PyAny>,
        groups: Option<&Bound<'_, PyAny>>,
        dns_names: Option<&Bound<'_, PyAny>>,
        ip_ranges: Option<&Bound<'_, PyAny>>,
    ) -> Result<SignerPolicy> {
        let rules = kpki_core::policy::CustomRules {
            common_name: kpki_core::policy::Pattern::new(convert::string(
                common_name,
                "common_name",
            )?),
            groups: patterns(groups, "groups")?,
            dns_names: patterns(dns_names, "dns_names")?,
            ip_ranges: match convert::given(ip_ranges) {
                Some(r) => convert::items(r, "ip_ranges", "a list of CIDRs")?
                    .iter()
                    .map(|c| convert::cidr(c, "ip_ranges[]"))
                    .collect::<Result<_>>()?,
                None => Vec::new(),
            },
            usages: usages_arg(usages, "usages")?,
        };
        Ok(SignerPolicy {
            inner: CorePolicy::custom(&convert::string(signer_name, "signer_name")?, rules)?,
        })
    }

    /// A policy file (YAML, or JSON which is YAML).
    #[staticmethod]
    fn from_yaml(text: &Bound<'_, PyAny>) -> Result<SignerPolicy> {
        let text = convert::text(text, "text")?;
        Ok(SignerPolicy {
            inner: CorePolicy::from_yaml(&text, "signer policy")?,
        })
    }

    /// A copy that grants at most `max_validity` (longer requests are clamped).
    fn with_max_validity(&self, max_validity: &Bound<'_, PyAny>) -> Result<SignerPolicy> {
        Ok(SignerPolicy {
            inner: self
                .inner
                .clone()
                .with_max_validity(convert::duration(max_validity, "max_validity")?),
        })
    }

    /// A copy in which `group` is privileged (refused unless allowed).
    fn with_privileged_group(&self, group: &Bound<'_, PyAny>) -> Result<SignerPolicy> {
        Ok(SignerPolicy {
            inner: self
                .inner
                .clone()
                .with_privileged_group(convert::string(group, "group")?),
        })
    }

    /// A copy that explicitly grants the privileged `group` (e.g. `system:masters`).
    fn allowing_privileged_group(&self, group: &Bound<'_, PyAny>) -> Result<SignerPolicy> {
        Ok(SignerPolicy {
            inner: self
                .inner
                .clone()
                .allowing_privileged_group(convert::string(group, "group")?),
        })
    }

    /// The signer name.
    #[getter]
    fn signer_name(&self) -> String {
        self.inner.signer_name.clone()
    }

    /// The longest validity granted.
    #[getter]
    fn max_validity<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        convert::to_timedelta(py, self.inner.max_validity)
    }

    /// Groups refused unless allowed.
    #[getter]
    fn privileged_groups(&self) -> Vec<String> {
        self.inner.privileged_groups.clone()
    }

    /// Privileged groups this policy grants.
    #[getter]
    fn allowed_privileged_groups(&self) -> Vec<String> {
        self.inner.allowed_privileged_groups.clone()
    }

    /// The cluster CA roles that sign for this signer, preferred first.
    #[getter]
    fn ca_roles(&self) -> Vec<String> {
        self.inner
            .ca_roles()
            .iter()
            .map(|r| r.to_string())
            .collect()
    }

    /// The usages granted to a request that names none, for a key of `algorithm`.
    fn default_usages(&self, algorithm: &Bound<'_, PyAny>) -> Result<Vec<&'static str>> {
        let alg: kpki_core::KeyAlgorithm = convert::parsed(algorithm, "algorithm")?;
        Ok(usage_names(&self.inner.default_usages(alg)))
    }

    fn __repr__(&self) -> String {
        format!("<kpki.SignerPolicy {:?}>", self.inner.signer_name)
    }
}

/// The `SigningRequest` for a bare CSR: explicit `usages`, else what the CSR asks for
/// (or the policy's defaults).
pub(crate) fn signing_request(
    csr: &kpki_core::Csr,
    policy: &CorePolicy,
    usages: Option<&Bound<'_, PyAny>>,
    expiration_seconds: Option<&Bound<'_, PyAny>>,
) -> Result<SigningRequest> {
    let expiration = match convert::given(expiration_seconds) {
        Some(e) => Some(convert::integer::<i64>(e, "expiration_seconds")?),
        None => None,
    };
    match convert::given(usages) {
        Some(u) => Ok(SigningRequest::new(usages_arg(u, "usages")?, expiration)),
        None => Ok(SigningRequest::for_csr(csr, policy, expiration)?),
    }
}

/// A `certificates.k8s.io/v1` CertificateSigningRequest object.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct KubeCsr {
    inner: kpki_core::KubeCsr,
}

#[pymethods]
impl KubeCsr {
    /// A new object asking `signer_name` to sign `request` for `usages`, checked as the
    /// API server checks a create.
    #[new]
    #[pyo3(signature = (name, signer_name, request, usages, expiration_seconds = None))]
    fn new(
        name: &Bound<'_, PyAny>,
        signer_name: &Bound<'_, PyAny>,
        request: &Bound<'_, PyAny>,
        usages: &Bound<'_, PyAny>,
        expiration_seconds: Option<&Bound<'_, PyAny>>,
    ) -> Result<KubeCsr> {
        let expiration = match convert::given(expiration_seconds) {
            Some(e) => Some(convert::integer::<i64>(e, "expiration_seconds")?),
            None => None,
        };
        Ok(KubeCsr {
            inner: kpki_core::KubeCsr::new(
                convert::string(name, "name")?,
                convert::string(signer_name, "signer_name")?,
                csr_arg(request, "request")?,
                usages_arg(usages, "usages")?,
                expiration,
            )?,
        })
    }

    /// Reads exactly one object from YAML or JSON (`str` or `bytes`).
    #[staticmethod]
    fn from_yaml(text: &Bound<'_, PyAny>) -> Result<KubeCsr> {
        let text = convert::text(text, "text")?;
        Ok(KubeCsr {
            inner: kpki_core::KubeCsr::from_yaml(&text)?,
        })
    }

    /// Reads every object of a YAML stream or a `List`.
    #[staticmethod]
    fn read_all(text: &Bound<'_, PyAny>) -> Result<Vec<KubeCsr>> {
        let text = convert::text(text, "text")?;
        Ok(
            kpki_core::KubeCsr::read_all(&text, "CertificateSigningRequest")?
                .into_iter()
                .map(|inner| KubeCsr { inner })
                .collect(),
        )
    }

    /// The object as YAML (what `kubectl apply -f` takes).
    fn to_yaml(&self) -> Result<String> {
        Ok(self.inner.to_yaml()?)
    }

    /// The object as JSON.
    fn to_json(&self) -> Result<String> {
        Ok(self.inner.to_json()?)
    }

    /// `metadata.name`.
    #[getter]
    fn name(&self) -> String {
        self.inner.name.clone()
    }

    /// `spec.signerName`.
    #[getter]
    fn signer_name(&self) -> String {
        self.inner.signer_name.clone()
    }

    /// `spec.request`.
    #[getter]
    fn request(&self) -> Csr {
        Csr {
            inner: self.inner.request.clone(),
        }
    }

    /// `spec.usages`.
    #[getter]
    fn usages(&self) -> Vec<&'static str> {
        usage_names(&self.inner.usages)
    }

    /// `spec.expirationSeconds`.
    #[getter]
    fn expiration_seconds(&self) -> Option<i64> {
        self.inner.expiration_seconds
    }

    /// Whether an `Approved` condition is set.
    #[getter]
    fn is_approved(&self) -> bool {
        self.inner.is_approved()
    }

    /// Whether a `Denied` condition is set.
    #[getter]
    fn is_denied(&self) -> bool {
        self.inner.is_denied()
    }

    /// `status.certificate`, if issued.
    #[getter]
    fn certificate(&self) -> Result<Option<Certificate>> {
        self.inner
            .certificate()
            .cloned()
            .map(Certificate::wrap)
            .transpose()
    }

    /// Approves and signs under `policy` with `ca`, returning the updated object; a
    /// request the policy refuses raises `PolicyRefusedError`.
    #[pyo3(signature = (ca, policy, now = None))]
    fn approve_and_sign(
        &self,
        py: Python<'_>,
        ca: &Bound<'_, PyAny>,
        policy: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> Result<KubeCsr> {
        let ca = crate::ca::ca_arg(ca, "ca")?;
        let policy = policy_arg(policy, "policy")?;
        let now = convert::time_or_now(now, "now")?;
        let inner = py.detach(|| self.inner.approve_and_sign(&ca, &policy, now))?;
        Ok(KubeCsr { inner })
    }

    /// A copy with a `Denied` condition carrying `message`.
    #[pyo3(signature = (message, now = None))]
    fn deny(&self, message: &Bound<'_, PyAny>, now: Option<&Bound<'_, PyAny>>) -> Result<KubeCsr> {
        let message = convert::string(message, "message")?;
        let now = convert::time_or_now(now, "now")?;
        Ok(KubeCsr {
            inner: self.inner.deny(&message, now),
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "<kpki.KubeCsr {:?} signer={:?}>",
            self.inner.name, self.inner.signer_name
        )
    }
}

/// A user's certificate, key and kubeconfig (`CertificateAuthority.issue_user`).
#[pyclass(frozen, module = "kpki", get_all)]
pub(crate) struct UserCredentials {
    /// The client certificate.
    pub(crate) certificate: Py<Certificate>,
    /// Its private key.
    pub(crate) key: Py<PrivateKey>,
    /// A kubeconfig with the embedded credentials.
    pub(crate) kubeconfig: Py<crate::cluster::Kubeconfig>,
}

#[pymethods]
impl UserCredentials {
    fn __repr__(&self) -> String {
        format!(
            "<kpki.UserCredentials CN={:?}>",
            self.certificate
                .get()
                .info
                .subject_common_name
                .as_deref()
                .unwrap_or("")
        )
    }
}

/// Builds [`UserCredentials`] from the core's.
pub(crate) fn user_credentials(
    py: Python<'_>,
    c: kpki_core::UserCredentials,
) -> Result<UserCredentials> {
    Ok(UserCredentials {
        certificate: Py::new(py, Certificate::wrap(c.certificate)?)?,
        key: Py::new(py, PrivateKey::wrap(c.key))?,
        kubeconfig: Py::new(py, crate::cluster::Kubeconfig::wrap(c.kubeconfig))?,
    })
}
