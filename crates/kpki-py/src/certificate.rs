//! `kpki.Certificate`: an X.509 certificate with its parsed fields as attributes, and
//! the arguments that take one or several.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyInt, PyList, PyString};

use crate::args::{
    Bytes, Encoded, Text, bytes_of, cryptography_der, datetime, hash_bytes, ip_list,
};
use crate::errors::{Error, Result, wrong_type};
use crate::public_key::PublicKey;

/// An X.509 certificate. Immutable; its fields are attributes (`subject_common_name`,
/// `organizations`, `dns_names`, `ip_addresses`, `not_after`, `extended_key_usages`, ...).
#[pyclass(frozen, module = "kpki")]
pub(crate) struct Certificate {
    pub(crate) inner: kpki_core::Certificate,
    pub(crate) info: kpki_core::CertificateInfo,
}

impl Certificate {
    /// Wraps a core certificate, reading its fields once.
    pub(crate) fn wrap(c: kpki_core::Certificate) -> Result<Certificate> {
        let info = c.info()?;
        Ok(Certificate { inner: c, info })
    }
}

fn is_cryptography_certificate(obj: &Borrowed<'_, '_, PyAny>) -> PyResult<bool> {
    obj.hasattr("tbs_certificate_bytes")
}

const CERTIFICATE_EXPECTED: &str =
    "kpki.Certificate, PEM str/bytes, DER bytes or a cryptography.x509.Certificate";

/// A certificate argument: `kpki.Certificate`, PEM `str`/`bytes`, DER `bytes`, or a
/// `cryptography.x509.Certificate`.
pub(crate) struct CertArg(pub(crate) kpki_core::Certificate);

impl<'py> FromPyObject<'_, 'py> for CertArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(c) = obj.cast::<Certificate>() {
            return Ok(CertArg(c.get().inner.clone()));
        }
        let bytes = if is_cryptography_certificate(&obj)? {
            cryptography_der(&obj)?
        } else {
            match obj.extract::<Encoded>() {
                Ok(e) => e.0,
                Err(_) => return Err(wrong_type(CERTIFICATE_EXPECTED, &obj).into()),
            }
        };
        kpki_core::Certificate::load(&bytes, "the given certificate")
            .map(CertArg)
            .map_err(|e| Error::Core(e).into())
    }
}

/// A list of certificates: a PEM bundle (`str`/`bytes`), one certificate, or an iterable
/// of anything [`CertArg`] takes.
pub(crate) struct CertsArg(pub(crate) Vec<kpki_core::Certificate>);

impl<'py> FromPyObject<'_, 'py> for CertsArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if obj.cast::<Certificate>().is_ok() || is_cryptography_certificate(&obj)? {
            return Ok(CertsArg(vec![obj.extract::<CertArg>()?.0]));
        }
        if obj.cast::<PyString>().is_ok() || bytes_of(&obj).is_some() {
            let Encoded(bytes) = obj.extract()?;
            return kpki_core::Certificate::load_chain(&bytes, "the given certificates")
                .map(CertsArg)
                .map_err(|e| Error::Core(e).into());
        }
        let iter = obj
            .try_iter()
            .map_err(|_| PyErr::from(wrong_type("a PEM bundle or a list of certificates", &obj)))?;
        iter.map(|c| Ok(c?.extract::<CertArg>()?.0))
            .collect::<PyResult<_>>()
            .map(CertsArg)
    }
}

fn cryptography_x509(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    py.import("cryptography.x509").map_err(|e| {
        pyo3::exceptions::PyImportError::new_err(format!(
            "this conversion needs the `cryptography` package (pip install cryptography): {e}"
        ))
    })
}

#[pymethods]
impl Certificate {
    /// Loads the first `CERTIFICATE` block of PEM text (`str` or `bytes`).
    #[staticmethod]
    fn from_pem(pem: Text) -> Result<Certificate> {
        Certificate::wrap(kpki_core::Certificate::from_pem(&pem.0)?)
    }

    /// Loads DER.
    #[staticmethod]
    fn from_der(der: Bytes) -> Result<Certificate> {
        Certificate::wrap(kpki_core::Certificate::from_der(&der.0)?)
    }

    /// Every `CERTIFICATE` block of a PEM bundle, in order.
    #[staticmethod]
    fn list_from_pem(pem: Text) -> Result<Vec<Certificate>> {
        kpki_core::Certificate::chain_from_pem(&pem.0)?
            .into_iter()
            .map(Certificate::wrap)
            .collect()
    }

    /// Converts a `cryptography.x509.Certificate` (through DER: the bytes are kept).
    #[staticmethod]
    fn from_cryptography(certificate: &Bound<'_, PyAny>) -> Result<Certificate> {
        let obj = certificate.as_borrowed();
        if !is_cryptography_certificate(&obj)? {
            return Err(wrong_type("a cryptography.x509.Certificate", &obj));
        }
        Certificate::wrap(kpki_core::Certificate::from_der(&cryptography_der(&obj)?)?)
    }

    /// The certificate as a `cryptography.x509.Certificate` (same DER bytes).
    fn to_cryptography<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        cryptography_x509(py)?.call_method1(
            "load_der_x509_certificate",
            (PyBytes::new(py, self.inner.der()),),
        )
    }

    /// One `CERTIFICATE` PEM block (64-column base64, LF line ends).
    fn to_pem(&self) -> String {
        self.inner.to_pem()
    }

    /// The DER bytes.
    fn to_der<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.der())
    }

    /// The subject's CN (the Kubernetes user), or `None`.
    #[getter]
    fn subject_common_name(&self) -> Option<&str> {
        self.info.subject_common_name.as_deref()
    }

    /// The subject's O values (the Kubernetes groups), in order.
    #[getter]
    fn organizations(&self) -> Vec<String> {
        self.info.organizations.clone()
    }

    /// Whether the subject has attributes other than CN and O.
    #[getter]
    fn subject_has_other_attributes(&self) -> bool {
        self.info.subject_has_other_attributes
    }

    /// The issuer's CN, or `None`.
    #[getter]
    fn issuer_common_name(&self) -> Option<&str> {
        self.info.issuer_common_name.as_deref()
    }

    /// The serial number.
    #[getter]
    fn serial_number<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.get_type::<PyInt>()
            .call_method1("from_bytes", (PyBytes::new(py, &self.info.serial), "big"))
    }

    /// The serial number as upper-case hex (as `openssl x509 -serial` prints it).
    #[getter]
    fn serial_hex(&self) -> String {
        self.info.serial_hex()
    }

    /// Start of validity (aware UTC `datetime`).
    #[getter]
    fn not_before(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        datetime(py, self.info.not_before)
    }

    /// End of validity (aware UTC `datetime`).
    #[getter]
    fn not_after(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        datetime(py, self.info.not_after)
    }

    /// DNS name SANs.
    #[getter]
    fn dns_names(&self) -> Vec<String> {
        self.info.dns_names.clone()
    }

    /// IP address SANs, as `ipaddress` objects.
    #[getter]
    fn ip_addresses<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        ip_list(py, self.info.ip_addresses.iter().copied())
    }

    /// Email SANs.
    #[getter]
    fn email_addresses(&self) -> Vec<String> {
        self.info.email_addresses.clone()
    }

    /// URI SANs.
    #[getter]
    fn uris(&self) -> Vec<String> {
        self.info.uris.clone()
    }

    /// basicConstraints cA.
    #[getter]
    fn is_ca(&self) -> bool {
        self.info.is_ca
    }

    /// basicConstraints pathLenConstraint, or `None`.
    #[getter]
    fn path_len(&self) -> Option<u32> {
        self.info.path_len
    }

    /// keyUsage bits by their Kubernetes names (`digital signature`, `key
    /// encipherment`, `cert sign`, ...), or `None` without the extension.
    #[getter]
    fn key_usages(&self) -> Option<Vec<&'static str>> {
        self.info
            .key_usages
            .as_ref()
            .map(|v| v.iter().map(|k| k.kubernetes_name()).collect())
    }

    /// Extended key usages by their Kubernetes names (`server auth`, `client auth`),
    /// others as dotted OIDs.
    #[getter]
    fn extended_key_usages(&self) -> Vec<String> {
        self.info
            .extended_key_usages
            .iter()
            .map(|e| e.kubernetes_name().to_owned())
            .collect()
    }

    /// The subject key identifier, or `None`.
    #[getter]
    fn subject_key_id<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.info
            .subject_key_id
            .as_ref()
            .map(|b| PyBytes::new(py, b))
    }

    /// The authority key identifier, or `None`.
    #[getter]
    fn authority_key_id<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.info
            .authority_key_id
            .as_ref()
            .map(|b| PyBytes::new(py, b))
    }

    /// The subject public key.
    #[getter]
    fn public_key(&self) -> PublicKey {
        PublicKey {
            inner: self.info.public_key.clone(),
        }
    }

    /// The signature algorithm's dotted OID.
    #[getter]
    fn signature_algorithm_oid(&self) -> &str {
        &self.info.signature_algorithm_oid
    }

    /// Whether subject = issuer.
    #[getter]
    fn is_self_issued(&self) -> bool {
        self.info.is_self_issued()
    }

    /// Checks that `issuer` signed this certificate (names and signature); raises
    /// `VerificationError` if not.
    fn verify_issued_by(&self, issuer: CertArg) -> Result<()> {
        Ok(self.inner.verify_issued_by(&issuer.0)?)
    }

    fn __repr__(&self) -> String {
        format!(
            "<kpki.Certificate subject CN={:?} O={:?} issuer CN={:?}>",
            self.info.subject_common_name.as_deref().unwrap_or(""),
            self.info.organizations,
            self.info.issuer_common_name.as_deref().unwrap_or("")
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<Certificate>()
            .is_ok_and(|o| self.inner == o.get().inner)
    }

    fn __hash__(&self) -> u64 {
        hash_bytes(self.inner.der())
    }
}
