//! `kpki.PublicKey`.

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::args::{Bytes, Text, hash_bytes, serialization};
use crate::errors::{Result, wrong_type};

/// The DER `SubjectPublicKeyInfo` of a `cryptography` public key.
pub(crate) fn cryptography_spki(key: &Borrowed<'_, '_, PyAny>) -> PyResult<Vec<u8>> {
    let s = serialization(key.py())?;
    let der = key.call_method1(
        "public_bytes",
        (
            s.getattr("Encoding")?.getattr("DER")?,
            s.getattr("PublicFormat")?.getattr("SubjectPublicKeyInfo")?,
        ),
    )?;
    Ok(der.extract::<Bytes>()?.0)
}

/// A public key.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct PublicKey {
    pub(crate) inner: kpki_core::PublicKey,
}

#[pymethods]
impl PublicKey {
    /// Loads a `PUBLIC KEY` PEM block (`str` or `bytes`).
    #[staticmethod]
    fn from_pem(pem: Text) -> Result<PublicKey> {
        Ok(PublicKey {
            inner: kpki_core::PublicKey::from_pem(&pem.0)?,
        })
    }

    /// Loads a DER `SubjectPublicKeyInfo`.
    #[staticmethod]
    fn from_der(der: Bytes) -> Result<PublicKey> {
        Ok(PublicKey {
            inner: kpki_core::PublicKey::from_spki_der(&der.0)?,
        })
    }

    /// Converts a `cryptography` public key.
    #[staticmethod]
    fn from_cryptography(key: &Bound<'_, PyAny>) -> Result<PublicKey> {
        if !key.hasattr("public_bytes")? {
            return Err(wrong_type("a cryptography public key", &key.as_borrowed()));
        }
        Ok(PublicKey {
            inner: kpki_core::PublicKey::from_spki_der(&cryptography_spki(&key.as_borrowed())?)?,
        })
    }

    /// The key as a `cryptography` public key object.
    fn to_cryptography<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        serialization(py)?.call_method1(
            "load_der_public_key",
            (PyBytes::new(py, self.inner.spki_der()),),
        )
    }

    /// The algorithm name.
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm().name()
    }

    /// `PUBLIC KEY` PEM (what kubeadm writes to `sa.pub`).
    fn to_pem(&self) -> String {
        self.inner.to_pem()
    }

    /// DER `SubjectPublicKeyInfo`.
    fn to_der<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.spki_der())
    }

    /// Whether `signature` over `message` verifies with this key (the algorithm's
    /// X.509 scheme).
    fn verify(&self, message: Bytes, signature: Bytes) -> bool {
        self.inner.verify(&message.0, &signature.0)
    }

    fn __repr__(&self) -> String {
        format!("<kpki.PublicKey {}>", self.inner.algorithm())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PublicKey>()
            .is_ok_and(|o| self.inner == o.get().inner)
    }

    fn __hash__(&self) -> u64 {
        hash_bytes(self.inner.spki_der())
    }
}
