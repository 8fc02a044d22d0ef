//! General-purpose TLS (the core's `tls` module), for `kpki.tls_certificates`:
//! `kpki.tls_csr`, `kpki.tls_self_signed_ca`, `kpki.tls_sign`, `kpki.TlsFields` and
//! `kpki.TlsPolicy`.
//! Subjects are `(attribute, value)` pairs, SANs `(kind, value)` pairs and extensions
//! `(dotted OID, critical, DER value)` triples; the core names, checks and writes them.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::args::{Bytes, Delta, List, Str, Strs, Time, timedelta};
use crate::certificate::{CertArg, Certificate};
use crate::csr::{Csr, CsrArg};
use crate::errors::Result;
use crate::key::PrivateKeyArg;
use kpki_core::{DistinguishedName, GeneralName, NameAttribute, RawExtension, TlsRequest};

fn subject(pairs: List<(Str, Str)>) -> Result<DistinguishedName> {
    let mut name = DistinguishedName::new();
    for (attribute, value) in pairs.0 {
        name = name.with(NameAttribute::parse(&attribute.0)?, value.0)?;
    }
    Ok(name)
}

fn sans(pairs: Option<List<(Str, Str)>>) -> Result<Vec<GeneralName>> {
    pairs
        .map_or_else(Vec::new, |p| p.0)
        .into_iter()
        .map(|(kind, value)| Ok(GeneralName::parse(&kind.0, &value.0)?))
        .collect()
}

/// A CSR for `subject` (`[("CN", "unit-0"), ("O", "Example"), ...]`; attributes `CN`,
/// `x500UniqueIdentifier`, `O`, `OU`, `emailAddress`, `C`, `ST`, `L` or their dotted
/// OIDs), `sans` (`[("dns", "a.example"), ("ip", "10.0.0.1"), ("oid", "1.2.3.4"),
/// ("email", "x@example.com")]`) and extra `extensions` (`[(oid, critical, der)]`),
/// signed with `key`. The GIL is released while it is signed.
#[pyfunction]
#[pyo3(signature = (key, subject, sans = None, extensions = None))]
pub(crate) fn tls_csr(
    py: Python<'_>,
    key: PrivateKeyArg,
    subject: List<(Str, Str)>,
    sans: Option<List<(Str, Str)>>,
    extensions: Option<List<(Str, bool, Bytes)>>,
) -> Result<Csr> {
    let mut request = TlsRequest::new(self::subject(subject)?).with_sans(self::sans(sans)?);
    for (oid, critical, value) in extensions.map_or_else(Vec::new, |e| e.0) {
        request = request.with_extension(RawExtension::new(&oid.0, critical, value.0)?);
    }
    let inner = py.detach(|| request.to_csr(&key.0))?;
    Ok(Csr { inner })
}

/// A self-signed CA certificate for `subject` and `sans` (as for `tls_csr`), with
/// `key`, valid from `not_before` to `not_after` (whole seconds).
#[pyfunction]
#[pyo3(signature = (key, subject, sans, not_before, not_after))]
pub(crate) fn tls_self_signed_ca(
    py: Python<'_>,
    key: PrivateKeyArg,
    subject: List<(Str, Str)>,
    sans: Option<List<(Str, Str)>>,
    not_before: Time,
    not_after: Time,
) -> Result<Certificate> {
    let subject = self::subject(subject)?;
    let sans = self::sans(sans)?;
    let cert = py.detach(|| {
        kpki_core::tls_self_signed_ca(&subject, &sans, &key.0, not_before.0, not_after.0)
    })?;
    Certificate::wrap(cert)
}

/// A certificate for what `csr` asks, signed by `ca` with `ca_key`, valid from
/// `not_before` to `not_after`, `CA:TRUE` when `is_ca`: the charm library's extension
/// rules (the core's `tls_sign_request`).
#[pyfunction]
#[pyo3(signature = (csr, ca, ca_key, not_before, not_after, is_ca = false))]
pub(crate) fn tls_sign(
    py: Python<'_>,
    csr: CsrArg,
    ca: CertArg,
    ca_key: PrivateKeyArg,
    not_before: Time,
    not_after: Time,
    is_ca: bool,
) -> Result<Certificate> {
    let cert = py.detach(|| {
        kpki_core::tls_sign_request(&csr.0, &ca.0, &ca_key.0, not_before.0, not_after.0, is_ca)
    })?;
    Certificate::wrap(cert)
}

/// The subject, SANs and extensions of a certificate or CSR, as `tls_csr` takes them.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct TlsFields {
    inner: kpki_core::TlsFields,
}

/// A certificate or a CSR.
enum Either {
    Certificate(CertArg),
    Csr(CsrArg),
}

impl<'py> FromPyObject<'_, 'py> for Either {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if obj.cast::<Csr>().is_ok() {
            return obj.extract().map(Either::Csr);
        }
        obj.extract().map(Either::Certificate)
    }
}

#[pymethods]
impl TlsFields {
    /// Reads a `kpki.Certificate` or `kpki.Csr`.
    #[staticmethod]
    fn of(source: &Bound<'_, PyAny>) -> Result<TlsFields> {
        let inner = match source.extract::<Either>()? {
            Either::Certificate(c) => kpki_core::TlsFields::of_certificate(&c.0)?,
            Either::Csr(c) => kpki_core::TlsFields::of_csr(&c.0)?,
        };
        Ok(TlsFields { inner })
    }

    /// `(attribute, value)` pairs of the subject, in order (`CN`, `O`, ...).
    #[getter]
    fn subject(&self) -> Vec<(&'static str, String)> {
        self.inner
            .subject
            .attributes()
            .iter()
            .map(|(a, v)| (a.name(), v.clone()))
            .collect()
    }

    /// Dotted OIDs of subject attributes of other kinds.
    #[getter]
    fn other_subject_attributes(&self) -> Vec<String> {
        self.inner.other_subject_attributes.clone()
    }

    /// `(kind, value)` pairs of the subjectAltName: `dns`, `ip`, `oid`, `email`.
    #[getter]
    fn sans(&self) -> Vec<(&'static str, String)> {
        self.inner
            .sans
            .iter()
            .map(|s| (s.kind(), s.value()))
            .collect()
    }

    /// basicConstraints cA.
    #[getter]
    fn is_ca(&self) -> bool {
        self.inner.is_ca
    }

    /// `(dotted OID, critical, DER value)` of every extension, in order.
    #[getter]
    fn extensions<'py>(&self, py: Python<'py>) -> Vec<(String, bool, Bound<'py, PyBytes>)> {
        self.inner
            .extensions
            .iter()
            .map(|e| {
                (
                    e.oid().to_owned(),
                    e.critical(),
                    PyBytes::new(py, e.value()),
                )
            })
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "TlsFields(subject={:?}, sans={:?}, is_ca={})",
            self.subject(),
            self.sans(),
            self.inner.is_ca
        )
    }
}

/// What a provider of general-purpose certificates agrees to sign (the core's
/// `TlsPolicy`): allowed DNS domains (and their subdomains), wildcards, IP SANs, CA
/// certificates, and the longest validity. Arguments not given keep the core's defaults:
/// any domain, subdomains yes, wildcards no, IP SANs yes, CAs no, 90 days.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct TlsPolicy {
    inner: kpki_core::TlsPolicy,
}

#[pymethods]
impl TlsPolicy {
    #[new]
    #[pyo3(signature = (
        *, allowed_domains = None, allow_subdomains = None, allow_wildcards = None,
        allow_ip_sans = None, allow_ca = None, max_validity = None
    ))]
    fn new(
        allowed_domains: Option<Strs>,
        allow_subdomains: Option<bool>,
        allow_wildcards: Option<bool>,
        allow_ip_sans: Option<bool>,
        allow_ca: Option<bool>,
        max_validity: Option<Delta>,
    ) -> TlsPolicy {
        let mut p = kpki_core::TlsPolicy::new();
        if let Some(d) = allowed_domains {
            p = p.with_allowed_domains(d.0);
        }
        if let Some(a) = allow_subdomains {
            p = p.with_subdomains(a);
        }
        if let Some(a) = allow_wildcards {
            p = p.with_wildcards(a);
        }
        if let Some(a) = allow_ip_sans {
            p = p.with_ip_sans(a);
        }
        if let Some(a) = allow_ca {
            p = p.with_ca(a);
        }
        if let Some(m) = max_validity {
            p = p.with_max_validity(m.0);
        }
        TlsPolicy { inner: p }
    }

    /// The allowed DNS domains (empty: any), normalised (lower case, no trailing dot).
    #[getter]
    fn allowed_domains(&self) -> Vec<String> {
        self.inner.allowed_domains().to_vec()
    }

    /// Whether names below an allowed domain are allowed.
    #[getter]
    fn allow_subdomains(&self) -> bool {
        self.inner.allows_subdomains()
    }

    /// Whether wildcard DNS names are allowed.
    #[getter]
    fn allow_wildcards(&self) -> bool {
        self.inner.allows_wildcards()
    }

    /// Whether IP SANs are allowed.
    #[getter]
    fn allow_ip_sans(&self) -> bool {
        self.inner.allows_ip_sans()
    }

    /// Whether CA certificates are issued.
    #[getter]
    fn allow_ca(&self) -> bool {
        self.inner.allows_ca()
    }

    /// The longest validity issued.
    #[getter]
    fn max_validity(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        timedelta(py, self.inner.max_validity())
    }

    /// Why `csr` (asked for as a CA when `is_ca`) may not be signed: `(code, name,
    /// message)` with the `tls-certificates` relation's error code (101
    /// `IP_NOT_ALLOWED`, 102 `DOMAIN_NOT_ALLOWED`, 103 `WILDCARD_NOT_ALLOWED`, 999
    /// `OTHER`), or None when it may.
    #[pyo3(signature = (csr, is_ca = false))]
    fn refusal(&self, csr: CsrArg, is_ca: bool) -> Result<Option<(u16, &'static str, String)>> {
        match self.inner.check(&csr.0, is_ca) {
            Ok(()) => Ok(None),
            Err(kpki_core::Error::TlsRefused { refusal }) => Ok(Some((
                refusal.code(),
                refusal.code_name(),
                refusal.to_string(),
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// Checks `csr` (raises `kpki.PolicyRefusedError`) and signs it with `ca_key` from
    /// `now` for `validity`, shortened to the policy's maximum and the CA's notAfter.
    #[pyo3(signature = (csr, ca, ca_key, now, validity, is_ca = false))]
    #[allow(clippy::too_many_arguments)] // Python arguments.
    fn sign(
        &self,
        py: Python<'_>,
        csr: CsrArg,
        ca: CertArg,
        ca_key: PrivateKeyArg,
        now: Time,
        validity: Delta,
        is_ca: bool,
    ) -> Result<Certificate> {
        let cert = py.detach(|| {
            self.inner
                .sign(&csr.0, &ca.0, &ca_key.0, now.0, validity.0, is_ca)
        })?;
        Certificate::wrap(cert)
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.inner)
    }
}
