//! `kpki.Csr` (PKCS#10), `kpki.SignerPolicy` (signing under Kubernetes' signer rules
//! or your own), `kpki.KubeCsr` (`certificates.k8s.io/v1` objects) and
//! `kpki.UserCredentials`.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use crate::args::{
    Bytes, Cidr, Delta, Encoded, List, Parsed, Str, Strs, Text, cryptography_der, hash_bytes,
    ip_list, timedelta,
};
use crate::errors::{Error, Result, wrong_type};
use crate::identity::IdentityArg;
use crate::key::{PrivateKeyArg, PublicKeyArg};
use crate::public_key::PublicKey;
use crate::san::{SansArg, sans_or_empty};
use kpki_core::{CustomRules, KeyAlgorithm, Pattern, SignerPolicy as CorePolicy, Usage};

/// A PKCS#10 certificate signing request whose self-signature (the requester's proof
/// that it holds the key) has been verified on load.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct Csr {
    pub(crate) inner: kpki_core::Csr,
}

fn is_cryptography_csr(obj: &Borrowed<'_, '_, PyAny>) -> PyResult<bool> {
    obj.hasattr("tbs_certrequest_bytes")
}

/// A CSR argument: `kpki.Csr`, PEM `str`/`bytes`, DER `bytes`, or a
/// `cryptography.x509.CertificateSigningRequest`.
pub(crate) struct CsrArg(pub(crate) kpki_core::Csr);

impl<'py> FromPyObject<'_, 'py> for CsrArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(c) = obj.cast::<Csr>() {
            return Ok(CsrArg(c.get().inner.clone()));
        }
        let bytes = if is_cryptography_csr(&obj)? {
            cryptography_der(&obj)?
        } else {
            match obj.extract::<Encoded>() {
                Ok(e) => e.0,
                Err(_) => {
                    return Err(wrong_type(
                        "kpki.Csr, PEM str/bytes, DER bytes or a cryptography CertificateSigningRequest",
                        &obj,
                    )
                    .into());
                }
            }
        };
        kpki_core::Csr::load(&bytes, "the given CSR")
            .map(CsrArg)
            .map_err(|e| Error::Core(e).into())
    }
}

/// Usage names (`digital signature`, `server auth`, ...), parsed by the core.
pub(crate) struct Usages(pub(crate) Vec<Usage>);

impl<'py> FromPyObject<'_, 'py> for Usages {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        let Strs(names) = obj.extract()?;
        Usage::parse_list(&names)
            .map(Usages)
            .map_err(|e| Error::Core(e).into())
    }
}

pub(crate) fn usage_names(usages: &[Usage]) -> Vec<&'static str> {
    usages.iter().map(|u| u.name()).collect()
}

#[pymethods]
impl Csr {
    /// A CSR for `identity` (CN and one O per group) and `sans`, signed with `key`.
    #[staticmethod]
    #[pyo3(signature = (identity, key, sans = None))]
    fn generate(
        py: Python<'_>,
        identity: IdentityArg,
        key: PrivateKeyArg,
        sans: Option<SansArg>,
    ) -> Result<Csr> {
        let sans = sans_or_empty(sans);
        let inner = py.detach(|| kpki_core::Csr::generate(&identity.0, &sans, &key.0))?;
        Ok(Csr { inner })
    }

    /// Loads the first `CERTIFICATE REQUEST` block (`str` or `bytes`) and verifies it.
    #[staticmethod]
    fn from_pem(pem: Text) -> Result<Csr> {
        Ok(Csr {
            inner: kpki_core::Csr::from_pem(&pem.0)?,
        })
    }

    /// Loads DER and verifies it.
    #[staticmethod]
    fn from_der(der: Bytes) -> Result<Csr> {
        Ok(Csr {
            inner: kpki_core::Csr::from_der(&der.0)?,
        })
    }

    /// Converts a `cryptography.x509.CertificateSigningRequest` (through DER).
    #[staticmethod]
    fn from_cryptography(csr: &Bound<'_, PyAny>) -> Result<Csr> {
        let obj = csr.as_borrowed();
        if !is_cryptography_csr(&obj)? {
            return Err(wrong_type(
                "a cryptography.x509.CertificateSigningRequest",
                &obj,
            ));
        }
        Ok(Csr {
            inner: kpki_core::Csr::from_der(&cryptography_der(&obj)?)?,
        })
    }

    /// The request as a `cryptography.x509.CertificateSigningRequest` (same DER).
    fn to_cryptography<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("cryptography.x509")?
            .call_method1("load_der_x509_csr", (PyBytes::new(py, self.inner.der()),))
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
    fn common_name(&self) -> Option<&str> {
        self.inner.info().common_names.first().map(String::as_str)
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
    fn dns_names(&self) -> Vec<&str> {
        self.inner.info().dns_names().collect()
    }

    /// Requested IP addresses (`ipaddress` objects).
    #[getter]
    fn ip_addresses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        ip_list(py, self.inner.info().ip_addresses())
    }

    /// Requested email addresses.
    #[getter]
    fn email_addresses(&self) -> Vec<&str> {
        self.inner.info().email_addresses().collect()
    }

    /// Requested URIs.
    #[getter]
    fn uris(&self) -> Vec<&str> {
        self.inner.info().uris().collect()
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
    fn signature_algorithm_oid(&self) -> &str {
        &self.inner.info().signature_algorithm_oid
    }

    /// Whether the request asks for basicConstraints CA:TRUE (`None`: not asked).
    #[getter]
    fn requested_ca(&self) -> Option<bool> {
        let ext = &self.inner.info().extensions;
        ext.basic_constraints.as_ref().map(|b| b.ca)
    }

    /// Requested keyUsage bits (Kubernetes names), or `None`.
    #[getter]
    fn requested_key_usages(&self) -> Option<Vec<&'static str>> {
        let ext = &self.inner.info().extensions;
        ext.key_usages
            .as_ref()
            .map(|v| v.iter().map(|k| k.kubernetes_name()).collect())
    }

    /// Requested extended key usages (Kubernetes names or dotted OIDs), or `None`.
    #[getter]
    fn requested_extended_key_usages(&self) -> Option<Vec<String>> {
        let ext = &self.inner.info().extensions;
        ext.extended_key_usages
            .as_ref()
            .map(|v| v.iter().map(|e| e.kubernetes_name().to_owned()).collect())
    }

    /// Dotted OIDs of the other requested extensions.
    #[getter]
    fn requested_other_extensions(&self) -> Vec<String> {
        self.inner.info().extensions.other.clone()
    }

    /// Whether `key` (a private key, public key or certificate) holds this request's key.
    fn matches(&self, key: PublicKeyArg) -> bool {
        &key.0 == self.inner.public_key()
    }

    fn __repr__(&self) -> String {
        format!(
            "<kpki.Csr CN={:?} O={:?}>",
            self.common_name().unwrap_or(""),
            self.inner.info().organizations
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Csr>()
            .is_ok_and(|o| self.inner.der() == o.get().inner.der())
    }

    fn __hash__(&self) -> u64 {
        hash_bytes(self.inner.der())
    }
}

/// A signer's policy: Kubernetes' built-in signers (`kubernetes.io/kube-apiserver-client`,
/// `kubernetes.io/kube-apiserver-client-kubelet`, `kubernetes.io/kubelet-serving`) with
/// kube-controller-manager's rules and messages, or rules of your own.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct SignerPolicy {
    pub(crate) inner: CorePolicy,
}

/// A policy argument: `kpki.SignerPolicy`, or a built-in signer's name.
pub(crate) struct PolicyArg(pub(crate) CorePolicy);

impl<'py> FromPyObject<'_, 'py> for PolicyArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(p) = obj.cast::<SignerPolicy>() {
            return Ok(PolicyArg(p.get().inner.clone()));
        }
        match obj.extract::<Str>() {
            Ok(name) => CorePolicy::builtin(&name.0)
                .map(PolicyArg)
                .map_err(|e| Error::Core(e).into()),
            Err(_) => Err(wrong_type("kpki.SignerPolicy or a built-in signer name", &obj).into()),
        }
    }
}

fn patterns(p: Option<Strs>) -> Vec<Pattern> {
    p.map(|p| p.0.into_iter().map(Pattern::new).collect())
        .unwrap_or_default()
}

fn policy(inner: CorePolicy) -> SignerPolicy {
    SignerPolicy { inner }
}

#[pymethods]
impl SignerPolicy {
    /// `kubernetes.io/kube-apiserver-client`: client certificates for users and components.
    #[staticmethod]
    fn kube_apiserver_client() -> SignerPolicy {
        policy(CorePolicy::kube_apiserver_client())
    }

    /// `kubernetes.io/kube-apiserver-client-kubelet`: kubelet client certificates.
    #[staticmethod]
    fn kubelet_client() -> SignerPolicy {
        policy(CorePolicy::kubelet_client())
    }

    /// `kubernetes.io/kubelet-serving`: kubelet serving certificates.
    #[staticmethod]
    fn kubelet_serving() -> SignerPolicy {
        policy(CorePolicy::kubelet_serving())
    }

    /// A built-in signer by name.
    #[staticmethod]
    fn builtin(signer_name: Str) -> Result<SignerPolicy> {
        Ok(policy(CorePolicy::builtin(&signer_name.0)?))
    }

    /// A signer of your own (`example.com/ci`): the CN must match `common_name`, each
    /// group one of `groups`, each DNS SAN one of `dns_names` (patterns where `*` stays
    /// within a DNS label), each IP one of `ip_ranges` (CIDRs); `usages` are the
    /// usages a request may ask for.
    #[staticmethod]
    #[pyo3(signature = (signer_name, *, common_name, usages, groups = None, dns_names = None, ip_ranges = None))]
    fn custom(
        signer_name: Str,
        common_name: Str,
        usages: Usages,
        groups: Option<Strs>,
        dns_names: Option<Strs>,
        ip_ranges: Option<List<Cidr>>,
    ) -> Result<SignerPolicy> {
        let rules = CustomRules {
            common_name: Pattern::new(common_name.0),
            groups: patterns(groups),
            dns_names: patterns(dns_names),
            ip_ranges: ip_ranges
                .map(|r| r.0.into_iter().map(|c| c.0).collect())
                .unwrap_or_default(),
            usages: usages.0,
        };
        Ok(policy(CorePolicy::custom(&signer_name.0, rules)?))
    }

    /// A policy file (YAML, or JSON which is YAML).
    #[staticmethod]
    fn from_yaml(text: Text) -> Result<SignerPolicy> {
        Ok(policy(CorePolicy::from_yaml(&text.0, "signer policy")?))
    }

    /// A copy that grants at most `max_validity` (longer requests are clamped).
    fn with_max_validity(&self, max_validity: Delta) -> SignerPolicy {
        policy(self.inner.clone().with_max_validity(max_validity.0))
    }

    /// A copy in which `group` is privileged (refused unless allowed).
    fn with_privileged_group(&self, group: Str) -> SignerPolicy {
        policy(self.inner.clone().with_privileged_group(group.0))
    }

    /// A copy that explicitly grants the privileged `group` (e.g. `system:masters`).
    fn allowing_privileged_group(&self, group: Str) -> SignerPolicy {
        policy(self.inner.clone().allowing_privileged_group(group.0))
    }

    /// The signer name.
    #[getter]
    fn signer_name(&self) -> &str {
        &self.inner.signer_name
    }

    /// The longest validity granted.
    #[getter]
    fn max_validity(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        timedelta(py, self.inner.max_validity)
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
    fn ca_roles(&self) -> Vec<&'static str> {
        self.inner.ca_roles().iter().map(|r| r.name()).collect()
    }

    /// The usages granted to a request that names none, for a key of `algorithm`.
    fn default_usages(&self, algorithm: Parsed<KeyAlgorithm>) -> Vec<&'static str> {
        usage_names(&self.inner.default_usages(algorithm.0))
    }

    fn __repr__(&self) -> String {
        format!("<kpki.SignerPolicy {:?}>", self.inner.signer_name)
    }
}
