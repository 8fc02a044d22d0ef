//! `kpki.PrivateKey`, and the arguments that take a private or a public key.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};
use zeroize::Zeroizing;

use crate::args::serialization;
use crate::args::{Bytes, Encoded, Parsed, Text, bytes_of, hash_bytes};
use crate::errors::{Error, Result, wrong_type};
use crate::public_key::{PublicKey, cryptography_spki};
use kpki_core::{KeyAlgorithm, Origin};

/// A private key (RSA 2048/3072/4096, ECDSA P-256/P-384, Ed25519).
///
/// Generate one with `PrivateKey.generate("ecdsa-p256")` or load PEM/DER. The secret is
/// kept in Rust memory (zeroized when the last reference is freed) and never appears in
/// `repr()`; `to_pem()` hands out a copy as a Python `str`, which Python cannot zeroize.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct PrivateKey {
    pub(crate) inner: kpki_core::PrivateKey,
}

/// A private key argument: `kpki.PrivateKey`, PEM `str`/`bytes`, DER `bytes`, or a
/// `cryptography` private key.
pub(crate) struct PrivateKeyArg(pub(crate) kpki_core::PrivateKey);

impl<'py> FromPyObject<'_, 'py> for PrivateKeyArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(k) = obj.cast::<PrivateKey>() {
            return Ok(PrivateKeyArg(k.get().inner.clone()));
        }
        let der = if obj.hasattr("private_bytes")? {
            let s = serialization(obj.py())?;
            let der = obj.call_method1(
                "private_bytes",
                (
                    s.getattr("Encoding")?.getattr("DER")?,
                    s.getattr("PrivateFormat")?.getattr("PKCS8")?,
                    s.getattr("NoEncryption")?.call0()?,
                ),
            )?;
            bytes_of(&der.as_borrowed())
        } else if let Ok(s) = obj.cast::<PyString>() {
            Some(s.to_cow()?.as_bytes().to_vec())
        } else {
            bytes_of(&obj)
        };
        let Some(bytes) = der.map(Zeroizing::new) else {
            return Err(wrong_type(
                "kpki.PrivateKey, PEM str/bytes, DER bytes or a cryptography private key",
                &obj,
            )
            .into());
        };
        Ok(PrivateKeyArg(
            kpki_core::PrivateKey::load(&bytes, "the given key").map_err(Error::Core)?,
        ))
    }
}

#[pymethods]
impl PrivateKey {
    /// Generates a key. `algorithm`: `rsa-2048` (default, kubeadm's), `rsa-3072`,
    /// `rsa-4096`, `ecdsa-p256`, `ecdsa-p384`, `ed25519` (kubeadm's spellings such as
    /// `ECDSA-P256` work too). Releases the GIL while it works.
    #[staticmethod]
    #[pyo3(signature = (algorithm = None))]
    fn generate(py: Python<'_>, algorithm: Option<Parsed<KeyAlgorithm>>) -> Result<PrivateKey> {
        let algorithm = algorithm.map(|a| a.0).unwrap_or_default();
        let inner = py.detach(|| kpki_core::PrivateKey::generate(algorithm))?;
        Ok(PrivateKey { inner })
    }

    /// Loads PEM (`RSA PRIVATE KEY`, `EC PRIVATE KEY` or `PRIVATE KEY`), as `str` or
    /// `bytes`.
    #[staticmethod]
    fn from_pem(pem: Text) -> Result<PrivateKey> {
        let pem = Zeroizing::new(pem.0);
        Ok(PrivateKey {
            inner: kpki_core::PrivateKey::from_pem(&pem)?,
        })
    }

    /// Loads DER (PKCS#8, PKCS#1 or SEC1).
    #[staticmethod]
    fn from_der(der: Bytes) -> Result<PrivateKey> {
        let der = Zeroizing::new(der.0);
        Ok(PrivateKey {
            inner: kpki_core::PrivateKey::from_der(&der)?,
        })
    }

    /// Converts a `cryptography` private key (RSA, EC P-256/P-384, Ed25519).
    #[staticmethod]
    fn from_cryptography(key: &Bound<'_, PyAny>) -> Result<PrivateKey> {
        if !key.hasattr("private_bytes")? {
            return Err(wrong_type("a cryptography private key", &key.as_borrowed()));
        }
        Ok(PrivateKey {
            inner: key.extract::<PrivateKeyArg>()?.0,
        })
    }

    /// The key as a `cryptography` private key object (through PKCS#8 DER).
    fn to_cryptography<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let der = self.inner.to_pkcs8_der();
        serialization(py)?.call_method1("load_der_private_key", (PyBytes::new(py, &der), py.None()))
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
    fn sign<'py>(&self, py: Python<'py>, message: Bytes) -> Result<Bound<'py, PyBytes>> {
        let sig = py.detach(|| self.inner.sign(&message.0))?;
        Ok(PyBytes::new(py, &sig))
    }

    /// Whether `public_key` (a `PublicKey`, `Certificate` or anything `PublicKey`
    /// accepts) is this key's public half.
    fn matches(&self, public_key: PublicKeyArg) -> bool {
        self.inner.matches(&public_key.0)
    }

    fn __repr__(&self) -> String {
        format!("<kpki.PrivateKey {}>", self.inner.algorithm())
    }

    /// Keys are equal when they are the same key (their public halves are).
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PrivateKey>()
            .is_ok_and(|o| self.inner == o.get().inner)
    }

    fn __hash__(&self) -> u64 {
        hash_bytes(self.inner.public_key().spki_der())
    }
}

/// A public key argument: `PublicKey`, `PrivateKey` (its public half), `Certificate`
/// (its subject key), `PUBLIC KEY` PEM, SPKI DER, or a `cryptography` public key.
pub(crate) struct PublicKeyArg(pub(crate) kpki_core::PublicKey);

impl<'py> FromPyObject<'_, 'py> for PublicKeyArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(k) = obj.cast::<PublicKey>() {
            return Ok(PublicKeyArg(k.get().inner.clone()));
        }
        if let Ok(k) = obj.cast::<PrivateKey>() {
            return Ok(PublicKeyArg(k.get().inner.public_key().clone()));
        }
        if let Ok(c) = obj.cast::<crate::certificate::Certificate>() {
            return Ok(PublicKeyArg(c.get().info.public_key.clone()));
        }
        let bytes = if obj.hasattr("public_bytes")?
            && obj.hasattr("verify")?
            && !obj.hasattr("tbs_certificate_bytes")?
        {
            Some(cryptography_spki(&obj)?)
        } else {
            obj.extract::<Encoded>().ok().map(|e| e.0)
        };
        match bytes {
            Some(b) => Ok(PublicKeyArg(
                kpki_core::PublicKey::load(&b, Origin::input("the given public key"))
                    .map_err(Error::Core)?,
            )),
            None => Err(wrong_type(
                "kpki.PublicKey, kpki.PrivateKey, PEM str/bytes, DER bytes or a cryptography public key",
                &obj,
            )
            .into()),
        }
    }
}
