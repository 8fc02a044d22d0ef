//! `kpki.PrivateKey` and `kpki.PublicKey`.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use zeroize::Zeroizing;

use crate::convert::{self, Encoded};
use crate::errors::{Error, Result, wrong_type};

/// A private key (RSA 2048/3072/4096, ECDSA P-256/P-384, Ed25519).
///
/// Generate one with `PrivateKey.generate("ecdsa-p256")` or load PEM/DER. The secret is
/// kept in Rust memory (zeroized when the object is freed) and never appears in `repr()`;
/// `to_pem()` hands out a copy as a Python `str`, which Python cannot zeroize.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct PrivateKey {
    pub(crate) inner: Arc<kpki_core::PrivateKey>,
}

impl PrivateKey {
    pub(crate) fn wrap(key: kpki_core::PrivateKey) -> PrivateKey {
        PrivateKey {
            inner: Arc::new(key),
        }
    }
}

/// Imports `cryptography.hazmat.primitives.serialization`, with a clear error if
/// `cryptography` is not installed.
fn serialization(py: Python<'_>) -> Result<Bound<'_, PyModule>> {
    py.import("cryptography.hazmat.primitives.serialization")
        .map_err(|e| {
            Error::Py(pyo3::exceptions::PyImportError::new_err(format!(
                "this conversion needs the `cryptography` package (pip install cryptography): {e}"
            )))
        })
}

/// A private key argument: a `kpki.PrivateKey`, PEM/DER, or a `cryptography` private key.
pub(crate) fn private_key_arg(
    obj: &Bound<'_, PyAny>,
    name: &str,
) -> Result<Arc<kpki_core::PrivateKey>> {
    if let Ok(k) = obj.cast::<PrivateKey>() {
        return Ok(k.get().inner.clone());
    }
    if obj.hasattr("private_bytes")? {
        return Ok(Arc::new(from_cryptography_key(obj)?));
    }
    match convert::pem_or_der(obj, name).map_err(|_| {
        wrong_type(
            name,
            "kpki.PrivateKey, PEM str/bytes, DER bytes or a cryptography private key",
            obj,
        )
    })? {
        Encoded::Pem(pem) => {
            let pem = Zeroizing::new(pem);
            Ok(Arc::new(kpki_core::PrivateKey::from_pem_named(
                &pem,
                &format!("argument {name:?}"),
            )?))
        }
        Encoded::Der(der) => {
            let der = zeroize_on_drop(der);
            Ok(Arc::new(kpki_core::PrivateKey::from_der(&der)?))
        }
    }
}

fn from_cryptography_key(obj: &Bound<'_, PyAny>) -> Result<kpki_core::PrivateKey> {
    let py = obj.py();
    let s = serialization(py)?;
    let der = obj.call_method1(
        "private_bytes",
        (
            s.getattr("Encoding")?.getattr("DER")?,
            s.getattr("PrivateFormat")?.getattr("PKCS8")?,
            s.getattr("NoEncryption")?.call0()?,
        ),
    )?;
    let der = convert::binary(&der, "private_bytes()")?;
    let der = zeroize_on_drop(der);
    Ok(kpki_core::PrivateKey::from_der(&der)?)
}

/// A byte buffer wiped when dropped (secrets passing through the skin).
fn zeroize_on_drop(v: Vec<u8>) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(v)
}

#[pymethods]
impl PrivateKey {
    /// Generates a key. `algorithm`: `rsa-2048` (default, kubeadm's), `rsa-3072`,
    /// `rsa-4096`, `ecdsa-p256`, `ecdsa-p384`, `ed25519` (kubeadm's spellings such as
    /// `ECDSA-P256` work too). Releases the GIL while it works.
    #[staticmethod]
    #[pyo3(signature = (algorithm = None))]
    fn generate(py: Python<'_>, algorithm: Option<&Bound<'_, PyAny>>) -> Result<PrivateKey> {
        let algorithm =
            convert::parsed_or(algorithm, "algorithm", kpki_core::KeyAlgorithm::Rsa2048)?;
        let key = py.detach(|| kpki_core::PrivateKey::generate(algorithm))?;
        Ok(PrivateKey::wrap(key))
    }

    /// Loads PEM (`RSA PRIVATE KEY`, `EC PRIVATE KEY` or `PRIVATE KEY`), as `str` or
    /// `bytes`.
    #[staticmethod]
    fn from_pem(pem: &Bound<'_, PyAny>) -> Result<PrivateKey> {
        let pem = Zeroizing::new(convert::text(pem, "pem")?);
        Ok(PrivateKey::wrap(kpki_core::PrivateKey::from_pem(&pem)?))
    }

    /// Loads DER (PKCS#8, PKCS#1 or SEC1).
    #[staticmethod]
    fn from_der(der: &Bound<'_, PyAny>) -> Result<PrivateKey> {
        let der = zeroize_on_drop(convert::binary(der, "der")?);
        Ok(PrivateKey::wrap(kpki_core::PrivateKey::from_der(&der)?))
    }

    /// Converts a `cryptography` private key (RSA, EC P-256/P-384, Ed25519).
    #[staticmethod]
    fn from_cryptography(key: &Bound<'_, PyAny>) -> Result<PrivateKey> {
        if !key.hasattr("private_bytes")? {
            return Err(wrong_type("key", "a cryptography private key", key));
        }
        Ok(PrivateKey::wrap(from_cryptography_key(key)?))
    }

    /// The key as a `cryptography` private key object (through PKCS#8 DER).
    fn to_cryptography<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let s = serialization(py)?;
        let der = self.inner.to_pkcs8_der();
        Ok(s.call_method1("load_der_private_key", (PyBytes::new(py, &der), py.None()))?)
    }

    /// The algorithm name (`rsa-2048`, `ecdsa-p256`, ...).
    #[getter]
    fn algorithm(&self) -> &'static str {
        self.inner.algorithm().name()
    }

    /// The public half.
    #[getter]
    fn public_key(&self) -> PublicKey {
        PublicKey {
            inner: self.inner.public_key().clone(),
        }
    }

    /// PEM in the form kubeadm writes: `RSA PRIVATE KEY` (PKCS#1) for RSA, `EC PRIVATE
    /// KEY` (SEC1) for ECDSA, `PRIVATE KEY` (PKCS#8) for Ed25519.
    fn to_pem(&self) -> String {
        self.inner.to_pem().to_string()
    }

    /// PEM as `PRIVATE KEY` (PKCS#8), whatever the algorithm.
    fn to_pkcs8_pem(&self) -> String {
        self.inner.to_pkcs8_pem().to_string()
    }

    /// DER PKCS#8.
    fn to_pkcs8_der<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.inner.to_pkcs8_der())
    }

    /// Signs `message` with the algorithm's X.509 scheme (RSA PKCS#1 v1.5 SHA-256,
    /// ECDSA SHA-256/384, Ed25519).
    fn sign<'py>(
        &self,
        py: Python<'py>,
        message: &Bound<'py, PyAny>,
    ) -> Result<Bound<'py, PyBytes>> {
        let message = convert::binary(message, "message")?;
        let sig = py.detach(|| self.inner.sign(&message))?;
        Ok(PyBytes::new(py, &sig))
    }

    /// Whether `public_key` (a `PublicKey`, `Certificate` or anything
    /// `PublicKey` accepts) is this key's public half.
    fn matches(&self, public_key: &Bound<'_, PyAny>) -> Result<bool> {
        let public = public_key_arg(public_key, "public_key")?;
        Ok(self.inner.matches(&public))
    }

    fn __repr__(&self) -> String {
        format!("<kpki.PrivateKey {}>", self.inner.algorithm().name())
    }

    /// Keys are equal when their public halves are (one public key, one private key).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PrivateKey>() {
            Ok(o) => self.inner.public_key() == o.get().inner.public_key(),
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        hash_bytes(self.inner.public_key().spki_der())
    }
}

/// A stable hash of some bytes (for `__hash__`).
pub(crate) fn hash_bytes(b: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    b.hash(&mut h);
    h.finish()
}

/// A public key.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct PublicKey {
    pub(crate) inner: kpki_core::PublicKey,
}

/// A public key argument: `PublicKey`, `PrivateKey` (its public half), `Certificate`
/// (its subject key), `PUBLIC KEY` PEM, SPKI DER, or a `cryptography` public key.
pub(crate) fn public_key_arg(obj: &Bound<'_, PyAny>, name: &str) -> Result<kpki_core::PublicKey> {
    if let Ok(k) = obj.cast::<PublicKey>() {
        return Ok(k.get().inner.clone());
    }
    if let Ok(k) = obj.cast::<PrivateKey>() {
        return Ok(k.get().inner.public_key().clone());
    }
    if let Ok(c) = obj.cast::<crate::certificate::Certificate>() {
        return Ok(c.get().info.public_key.clone());
    }
    if obj.hasattr("public_bytes")?
        && obj.hasattr("verify")?
        && !obj.hasattr("tbs_certificate_bytes")?
    {
        return from_cryptography_public(obj);
    }
    match convert::pem_or_der(obj, name).map_err(|_| {
        wrong_type(
            name,
            "kpki.PublicKey, kpki.PrivateKey, PEM str/bytes, DER bytes or a cryptography public key",
            obj,
        )
    })? {
        Encoded::Pem(pem) => Ok(kpki_core::PublicKey::from_pem(&pem)?),
        Encoded::Der(der) => Ok(kpki_core::PublicKey::from_spki_der(&der)?),
    }
}

fn from_cryptography_public(obj: &Bound<'_, PyAny>) -> Result<kpki_core::PublicKey> {
    let s = serialization(obj.py())?;
    let der = obj.call_method1(
        "public_bytes",
        (
            s.getattr("Encoding")?.getattr("DER")?,
            s.getattr("PublicFormat")?.getattr("SubjectPublicKeyInfo")?,
        ),
    )?;
    Ok(kpki_core::PublicKey::from_spki_der(&convert::binary(
        &der,
        "public_bytes()",
    )?)?)
}

#[pymethods]
impl PublicKey {
    /// Loads a `PUBLIC KEY` PEM block (`str` or `bytes`).
    #[staticmethod]
    fn from_pem(pem: &Bound<'_, PyAny>) -> Result<PublicKey> {
        let pem = convert::text(pem, "pem")?;
        Ok(PublicKey {
            inner: kpki_core::PublicKey::from_pem(&pem)?,
        })
    }

    /// Loads a DER `SubjectPublicKeyInfo`.
    #[staticmethod]
    fn from_der(der: &Bound<'_, PyAny>) -> Result<PublicKey> {
        Ok(PublicKey {
            inner: kpki_core::PublicKey::from_spki_der(&convert::binary(der, "der")?)?,
        })
    }

    /// Converts a `cryptography` public key.
    #[staticmethod]
    fn from_cryptography(key: &Bound<'_, PyAny>) -> Result<PublicKey> {
        if !key.hasattr("public_bytes")? {
            return Err(wrong_type("key", "a cryptography public key", key));
        }
        Ok(PublicKey {
            inner: from_cryptography_public(key)?,
        })
    }

    /// The key as a `cryptography` public key object.
    fn to_cryptography<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let s = serialization(py)?;
        Ok(s.call_method1(
            "load_der_public_key",
            (PyBytes::new(py, self.inner.spki_der()),),
        )?)
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
    fn verify(&self, message: &Bound<'_, PyAny>, signature: &Bound<'_, PyAny>) -> Result<bool> {
        let message = convert::binary(message, "message")?;
        let signature = convert::binary(signature, "signature")?;
        Ok(self.inner.verify(&message, &signature))
    }

    fn __repr__(&self) -> String {
        format!("<kpki.PublicKey {}>", self.inner.algorithm().name())
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<PublicKey>() {
            Ok(o) => self.inner == o.get().inner,
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        hash_bytes(self.inner.spki_der())
    }
}
