//! The one function that maps a `kpki_core::Error` onto the exceptions defined in
//! Python (`kpki/exceptions.py`, pyca/cryptography's way: the hierarchy lives in
//! Python, the extension imports it), and the keyword a Python caller spells a core
//! [`Setting`](kpki_core::Setting) with.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyModule, PyType};

/// An error on its way to Python: a kpki-core error, a wrong argument type, an invalid
/// value met while converting, or an exception Python itself raised.
#[derive(Debug)]
pub(crate) enum Error {
    /// From the core.
    Core(kpki_core::Error),
    /// An argument of the wrong Python type (or `None` where a value is needed).
    Type(String),
    /// A value that cannot be converted (a negative `timedelta`, an int out of range).
    Input(String),
    /// Already a Python exception.
    Py(PyErr),
}

/// What every binding function returns.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl From<kpki_core::Error> for Error {
    fn from(e: kpki_core::Error) -> Self {
        Error::Core(e)
    }
}

impl From<PyErr> for Error {
    fn from(e: PyErr) -> Self {
        Error::Py(e)
    }
}

impl From<Error> for PyErr {
    fn from(e: Error) -> PyErr {
        match e {
            Error::Py(e) => e,
            other => Python::attach(|py| to_py_err(py, other)),
        }
    }
}

/// A wrong-type error: what was expected, and what came.
pub(crate) fn wrong_type(expected: &str, got: &Borrowed<'_, '_, PyAny>) -> Error {
    let got = if got.is_none() {
        "None".to_owned()
    } else {
        got.get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "an unknown type".into())
    };
    Error::Type(format!("expected {expected}, got {got}"))
}

fn exceptions(py: Python<'_>) -> PyResult<&Py<PyModule>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE.get_or_try_init(py, || Ok(py.import("kpki.exceptions")?.unbind()))
}

/// The class a core error becomes: the one place the mapping lives.
fn class_name(err: &kpki_core::Error) -> &'static str {
    use kpki_core::Error as E;
    match err {
        E::InvalidName { .. }
        | E::InvalidSan { .. }
        | E::InvalidNetwork { .. }
        | E::UnknownChoice { .. }
        | E::InvalidDuration { .. }
        | E::InvalidValidity { .. }
        | E::InvalidSpec { .. }
        | E::KubeadmConfig { .. }
        | E::InvalidSigningRequest { .. }
        | E::InvalidPolicy { .. }
        | E::CannotRenew { .. }
        | E::NoSuchCertificate { .. }
        | E::UnknownCertificate { .. }
        | E::InvalidTlsField { .. } => "InvalidInputError",
        E::InvalidPem { .. }
        | E::InvalidKey { .. }
        | E::InvalidCertificate { .. }
        | E::InvalidKubeconfig { .. }
        | E::InvalidCsr { .. }
        | E::InvalidCsrObject { .. } => "DecodeError",
        E::PolicyRefused { .. } | E::TlsRefused { .. } => "PolicyRefusedError",
        E::KeyMismatch { .. } => "KeyMismatchError",
        E::NotACertificateAuthority { .. } => "NotACertificateAuthorityError",
        E::CaKeyUnavailable { .. } => "CaKeyUnavailableError",
        E::InvalidSuppliedCertificate { .. } => "VerificationError",
        E::Crypto { .. } | E::Signer { .. } => "CryptoError",
        E::Pkcs11 { .. } => "Pkcs11Error",
        E::AlreadyExists { .. } => "AlreadyExistsError",
        E::MissingFile { .. } | E::EmptyDirectory { .. } | E::NoCaFound { .. } | E::NoCa { .. } => {
            "MissingFileError"
        }
        E::Io { .. } => "IoError",
        _ => "KpkiError",
    }
}

/// How a Python caller gives a setting: the keyword.
fn hint(setting: &kpki_core::Setting) -> Option<String> {
    use kpki_core::Setting as S;
    Some(match setting {
        S::Overwrite => "pass overwrite=True to replace it".into(),
        S::AllowPrivilegedGroup(g) => format!("pass allow_privileged_groups=[{g:?}] to grant it"),
        S::NodeName => "pass node_name=...".into(),
        S::AdvertiseAddress => "pass advertise_address=...".into(),
        S::Usages => "pass usages=[...]".into(),
        S::Server => "pass server=...".into(),
        S::CaKey(role) => format!(
            "if its key is in a PKCS#11 token, pass ca_keys={{{:?}: \"pkcs11:...\"}}",
            role.name()
        ),
        _ => return None,
    })
}

/// errno for the OSError subclasses (ENOENT and EEXIST are 2 and 17 wherever CPython
/// runs).
fn errno(err: &kpki_core::Error) -> Option<i32> {
    use kpki_core::Error as E;
    match err {
        E::AlreadyExists { .. } => Some(17),
        E::MissingFile { .. } | E::EmptyDirectory { .. } | E::NoCaFound { .. } | E::NoCa { .. } => {
            Some(2)
        }
        E::Io { source, .. } => source.raw_os_error(),
        _ => None,
    }
}

/// Turns an [`Error`] into the Python exception it stands for.
pub(crate) fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        let module = exceptions(py)?.bind(py);
        let class = |name: &str| -> PyResult<Bound<'_, PyType>> {
            Ok(module.getattr(name)?.cast_into::<PyType>()?)
        };
        match err {
            Error::Py(e) => Ok(e),
            Error::Type(message) => Ok(PyErr::from_value(
                class("InvalidTypeError")?.call1((message,))?,
            )),
            Error::Input(message) => Ok(PyErr::from_value(
                class("InvalidInputError")?.call1((message,))?,
            )),
            Error::Core(core) => {
                let mut message = core.to_string();
                if let Some(h) = core.setting().as_ref().and_then(hint) {
                    message.push_str("; ");
                    message.push_str(&h);
                }
                let value = class(class_name(&core))?.call1((message,))?;
                // The OSError subclasses carry errno and filename, as OSError does.
                if let (Some(n), Some(path)) = (errno(&core), core.path()) {
                    value.setattr("errno", n)?;
                    value.setattr("filename", path.display().to_string())?;
                }
                let err = PyErr::from_value(value);
                // A Python signer's own exception stays the cause.
                if let kpki_core::Error::Signer { source } = core
                    && let Ok(cause) = source.downcast::<PyErr>()
                {
                    err.set_cause(py, Some(*cause));
                }
                Ok(err)
            }
        }
    })();
    // Making the exception can only fail if Python is out of memory or shutting down.
    made.unwrap_or_else(|e| PyRuntimeError::new_err(format!("kpki: cannot raise error: {e}")))
}
