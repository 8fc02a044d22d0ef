//! `kpki.KubeCsr`: `certificates.k8s.io/v1` CertificateSigningRequest objects.

use pyo3::prelude::*;

use crate::args::{Int, Str, Text, Time, now};
use crate::authority::CaArg;
use crate::certificate::Certificate;
use crate::csr::{Csr, CsrArg, PolicyArg, Usages, usage_names};
use crate::errors::Result;

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
        name: Str,
        signer_name: Str,
        request: CsrArg,
        usages: Usages,
        expiration_seconds: Option<Int<i64>>,
    ) -> Result<KubeCsr> {
        Ok(KubeCsr {
            inner: kpki_core::KubeCsr::new(
                name.0,
                signer_name.0,
                request.0,
                usages.0,
                expiration_seconds.map(|e| e.0),
            )?,
        })
    }

    /// Reads exactly one object from YAML or JSON (`str` or `bytes`).
    #[staticmethod]
    fn from_yaml(text: Text) -> Result<KubeCsr> {
        Ok(KubeCsr {
            inner: kpki_core::KubeCsr::from_yaml(&text.0)?,
        })
    }

    /// Reads every object of a YAML stream or a `List`.
    #[staticmethod]
    fn read_all(text: Text) -> Result<Vec<KubeCsr>> {
        let all = kpki_core::KubeCsr::read_all(&text.0, "CertificateSigningRequest")?;
        Ok(all.into_iter().map(|inner| KubeCsr { inner }).collect())
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
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// `spec.signerName`.
    #[getter]
    fn signer_name(&self) -> &str {
        &self.inner.signer_name
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
        ca: CaArg,
        policy: PolicyArg,
        now: Option<Time>,
    ) -> Result<KubeCsr> {
        let now = self::now(now);
        let inner = py.detach(|| self.inner.approve_and_sign(&ca.0, &policy.0, now))?;
        Ok(KubeCsr { inner })
    }

    /// A copy with a `Denied` condition carrying `message`.
    #[pyo3(signature = (message, now = None))]
    fn deny(&self, message: Str, now: Option<Time>) -> KubeCsr {
        KubeCsr {
            inner: self.inner.deny(&message.0, self::now(now)),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "<kpki.KubeCsr {:?} signer={:?}>",
            self.inner.name, self.inner.signer_name
        )
    }
}
