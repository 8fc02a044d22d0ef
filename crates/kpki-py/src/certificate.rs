//! `kpki.Certificate`: an X.509 certificate with its parsed fields as attributes.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use crate::convert::{self, Encoded};
use crate::errors::{Error, Result, wrong_type};
use crate::key::{PublicKey, hash_bytes};

/// An X.509 certificate. Immutable; its fields are attributes (`subject_common_name`,
/// `organizations`, `dns_names`, `ip_addresses`, `not_after`, `extended_key_usages`, ...).
#[pyclass(frozen, module = "kpki")]
pub(crate) struct Certificate {
    pub(crate) inner: kpki_core::Certificate,
    pub(crate) info: kpki_core::CertificateInfo,
}

impl Certificate {
    pub(crate) fn wrap(c: kpki_core::Certificate) -> Result<Certificate> {
        let info = c.info()?;
        Ok(Certificate { inner: c, info })
    }
}

/// A certificate argument: `kpki.Certificate`, PEM `str`/`bytes`, DER `bytes`, or a
/// `cryptography.x509.Certificate`.
pub(crate) fn certificate_arg(
    obj: &Bound<'_, PyAny>,
    name: &str,
) -> Result<kpki_core::Certificate> {
    if let Ok(c) = obj.cast::<Certificate>() {
        return Ok(c.get().inner.clone());
    }
    if obj.hasattr("tbs_certificate_bytes")? {
        return from_cryptography(obj);
    }
    let what = format!("argument {name:?}");
    match convert::pem_or_der(obj, name).map_err(|_| {
        wrong_type(
            name,
            "kpki.Certificate, PEM str/bytes, DER bytes or a cryptography.x509.Certificate",
            obj,
        )
    })? {
        Encoded::Pem(pem) => Ok(kpki_core::Certificate::from_pem_named(&pem, &what)?),
        Encoded::Der(der) => Ok(kpki_core::Certificate::from_der(&der)?),
    }
}

/// A list of certificates: a PEM bundle (`str`/`bytes`) or an iterable of anything
/// [`certificate_arg`] takes.
pub(crate) fn certificates_arg(
    obj: &Bound<'_, PyAny>,
    name: &str,
) -> Result<Vec<kpki_core::Certificate>> {
    if obj.cast::<Certificate>().is_ok() || obj.hasattr("tbs_certificate_bytes")? {
        return Ok(vec![certificate_arg(obj, name)?]);
    }
    if obj.cast::<pyo3::types::PyString>().is_ok() || convert::bytes_of(obj).is_some() {
        if let Encoded::Pem(pem) = convert::pem_or_der(obj, name)? {
            return Ok(kpki_core::Certificate::chain_from_pem(
                &pem,
                &format!("argument {name:?}"),
            )?);
        }
        return Ok(vec![certificate_arg(obj, name)?]);
    }
    convert::items(obj, name, "a PEM bundle or a list of certificates")?
        .iter()
        .map(|c| certificate_arg(c, &format!("{name}[]")))
        .collect()
}

fn from_cryptography(obj: &Bound<'_, PyAny>) -> Result<kpki_core::Certificate> {
    let encoding = obj
        .py()
        .import("cryptography.hazmat.primitives.serialization")?
        .getattr("Encoding")?
        .getattr("DER")?;
    let der = obj.call_method1("public_bytes", (encoding,))?;
    Ok(kpki_core::Certificate::from_der(&convert::binary(
        &der,
        "public_bytes()",
    )?)?)
}

#[pymethods]
impl Certificate {
    /// Loads the first `CERTIFICATE` block of PEM text (`str` or `bytes`).
    #[staticmethod]
    fn from_pem(pem: &Bound<'_, PyAny>) -> Result<Certificate> {
        let pem = convert::text(pem, "pem")?;
        Certificate::wrap(kpki_core::Certificate::from_pem(&pem)?)
    }

    /// Loads DER.
    #[staticmethod]
    fn from_der(der: &Bound<'_, PyAny>) -> Result<Certificate> {
        Certificate::wrap(kpki_core::Certificate::from_der(&convert::binary(
            der, "der",
        )?)?)
    }

    /// Every `CERTIFICATE` block of a PEM bundle, in order.
    #[staticmethod]
    fn list_from_pem(pem: &Bound<'_, PyAny>) -> Result<Vec<Certificate>> {
        let pem = convert::text(pem, "pem")?;
        kpki_core::Certificate::chain_from_pem(&pem, "argument \"pem\"")?
            .into_iter()
            .map(Certificate::wrap)
            .collect()
    }

    /// Converts a `cryptography.x509.Certificate` (through DER: the bytes are kept).
    #[staticmethod]
    fn from_cryptography(certificate: &Bound<'_, PyAny>) -> Result<Certificate> {
        if !certificate.hasattr("tbs_certificate_bytes")? {
            return Err(wrong_type(
                "certificate",
                "a cryptography.x509.Certificate",
                certificate,
            ));
        }
        Certificate::wrap(from_cryptography(certificate)?)
    }

    /// The certificate as a `cryptography.x509.Certificate` (same DER bytes).
    fn to_cryptography<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let x509 = py.import("cryptography.x509").map_err(|e| {
            Error::Py(pyo3::exceptions::PyImportError::new_err(format!(
                "this conversion needs the `cryptography` package (pip install cryptography): {e}"
            )))
        })?;
        Ok(x509.call_method1(
            "load_der_x509_certificate",
            (PyBytes::new(py, self.inner.der()),),
        )?)
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
    fn subject_common_name(&self) -> Option<String> {
        self.info.subject_common_name.clone()
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
    fn issuer_common_name(&self) -> Option<String> {
        self.info.issuer_common_name.clone()
    }

    /// The serial number.
    #[getter]
    fn serial_number<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        let int = py.get_type::<pyo3::types::PyInt>();
        Ok(int.call_method1("from_bytes", (PyBytes::new(py, &self.info.serial), "big"))?)
    }

    /// The serial number as upper-case hex (as `openssl x509 -serial` prints it).
    #[getter]
    fn serial_hex(&self) -> String {
        self.info.serial_hex()
    }

    /// Start of validity (aware UTC `datetime`).
    #[getter]
    fn not_before<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        convert::to_datetime(py, self.info.not_before)
    }

    /// End of validity (aware UTC `datetime`).
    #[getter]
    fn not_after<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        convert::to_datetime(py, self.info.not_after)
    }

    /// DNS name SANs.
    #[getter]
    fn dns_names(&self) -> Vec<String> {
        self.info.dns_names.clone()
    }

    /// IP address SANs, as `ipaddress` objects.
    #[getter]
    fn ip_addresses<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyList>> {
        ip_list(py, &self.info.ip_addresses)
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
    fn signature_algorithm_oid(&self) -> String {
        self.info.signature_algorithm_oid.clone()
    }

    /// Whether subject = issuer.
    #[getter]
    fn is_self_issued(&self) -> bool {
        self.info.is_self_issued()
    }

    /// Checks that `issuer` signed this certificate (names and signature); raises
    /// `VerificationError` if not.
    fn verify_issued_by(&self, issuer: &Bound<'_, PyAny>) -> Result<()> {
        let issuer = certificate_arg(issuer, "issuer")?;
        Ok(self.inner.verify_issued_by(&issuer)?)
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
        match other.cast::<Certificate>() {
            Ok(o) => self.inner == o.get().inner,
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        hash_bytes(self.inner.der())
    }
}

/// IP addresses as a list of `ipaddress` objects.
pub(crate) fn ip_list<'py>(
    py: Python<'py>,
    ips: &[std::net::IpAddr],
) -> Result<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for ip in ips {
        list.append(ip.into_pyobject(py)?)?;
    }
    Ok(list)
}
