//! The `kpki.CertificateAuthority` class's value and the argument that takes one (its
//! methods are in `ca.rs`): low in the house, so that what takes a CA (kubeconfigs, CSR
//! objects) does not import everything a CA can do.

use pyo3::prelude::*;

use crate::errors::wrong_type;

/// A certificate authority: root, intermediate, loaded from PEM (bring your own),
/// signing through a callback (a key kpki never sees), or external (certificate only:
/// it cannot issue). Safe to share between threads.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct CertificateAuthority {
    pub(crate) inner: kpki_core::CertificateAuthority,
}

/// A CA argument (only `kpki.CertificateAuthority`).
pub(crate) struct CaArg(pub(crate) kpki_core::CertificateAuthority);

impl<'py> FromPyObject<'_, 'py> for CaArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        match obj.cast::<CertificateAuthority>() {
            Ok(c) => Ok(CaArg(c.get().inner.clone())),
            Err(_) => Err(wrong_type("kpki.CertificateAuthority", &obj).into()),
        }
    }
}
