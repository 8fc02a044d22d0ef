//! The exception hierarchy and the one function that maps `kpki_core::Error` onto it.
//!
//! ```text
//! KpkiError(Exception)
//! ├── InvalidInputError(KpkiError, ValueError)   names, SANs, network, choices, validity, spec
//! │   ├── InvalidTypeError(InvalidInputError, TypeError)   wrong Python type, None
//! │   ├── DecodeError(InvalidInputError)          PEM, DER, key, certificate, CSR (object), kubeconfig
//! │   ├── KeyMismatchError(InvalidInputError)     certificate and key do not belong together
//! │   └── NotACertificateAuthorityError(InvalidInputError)
//! ├── PolicyRefusedError(KpkiError)               a signer policy refuses a CSR
//! ├── CaKeyUnavailableError(KpkiError)            an external CA asked to issue
//! ├── VerificationError(KpkiError)                a supplied certificate does not verify
//! ├── CryptoError(KpkiError)                      the crypto backend failed
//! └── IoError(KpkiError, OSError)                 errno and filename set
//!     ├── AlreadyExistsError(IoError, FileExistsError)
//!     └── MissingFileError(IoError, FileNotFoundError)
//! ```
//!
//! The classes are made at import time with `type()`, because PyO3's
//! `create_exception!` takes a single base and several of ours also derive from the
//! built-in exception a Python caller already catches (`ValueError`, `TypeError`,
//! `OSError`, `FileExistsError`, ...).

use pyo3::exceptions::{PyException, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

/// An error on its way to Python: a kpki-core error, a wrong argument type, or an
/// exception Python itself raised while we called into it.
#[derive(Debug)]
pub(crate) enum Error {
    /// From the core.
    Core(kpki_core::Error),
    /// An argument of the wrong Python type (or `None` where a value is needed).
    Type(String),
    /// An invalid value found at the edge, before the core was reached.
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

/// The exception classes, made once per process.
pub(crate) struct Exceptions {
    pub(crate) kpki: Py<PyType>,
    pub(crate) invalid_input: Py<PyType>,
    pub(crate) invalid_type: Py<PyType>,
    pub(crate) decode: Py<PyType>,
    pub(crate) key_mismatch: Py<PyType>,
    pub(crate) not_a_ca: Py<PyType>,
    pub(crate) policy_refused: Py<PyType>,
    pub(crate) ca_key_unavailable: Py<PyType>,
    pub(crate) verification: Py<PyType>,
    pub(crate) crypto: Py<PyType>,
    pub(crate) io: Py<PyType>,
    pub(crate) already_exists: Py<PyType>,
    pub(crate) missing_file: Py<PyType>,
}

static EXCEPTIONS: PyOnceLock<Exceptions> = PyOnceLock::new();

fn new_class(
    py: Python<'_>,
    name: &str,
    bases: &[&Bound<'_, PyType>],
    doc: &str,
) -> PyResult<Py<PyType>> {
    new_class_with(py, name, bases, doc, None)
}

fn new_class_with(
    py: Python<'_>,
    name: &str,
    bases: &[&Bound<'_, PyType>],
    doc: &str,
    str_method: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyType>> {
    let dict = PyDict::new(py);
    dict.set_item("__module__", "kpki")?;
    dict.set_item("__doc__", doc)?;
    if let Some(f) = str_method {
        dict.set_item("__str__", f)?;
    }
    let bases = PyTuple::new(py, bases)?;
    let class = py
        .get_type::<PyType>()
        .call1((name, bases, dict))?
        .cast_into::<PyType>()?;
    Ok(class.unbind())
}

/// The exception classes (made on first use: module import).
pub(crate) fn exceptions(py: Python<'_>) -> PyResult<&Exceptions> {
    EXCEPTIONS.get_or_try_init(py, || {
        let builtins = py.import("builtins")?;
        let builtin = |name: &str| -> PyResult<Bound<'_, PyType>> {
            Ok(builtins.getattr(name)?.cast_into::<PyType>()?)
        };
        let exception = py.get_type::<PyException>();
        let kpki = new_class(
            py,
            "KpkiError",
            &[&exception],
            "Base class of every error kpki raises. str(e) is the core's message, which \
             names the value or file at fault.",
        )?;
        let k = kpki.bind(py);
        let invalid_input = new_class(
            py,
            "InvalidInputError",
            &[k, &builtin("ValueError")?],
            "A value was refused: a name, SAN, address, CIDR, choice, validity or \
             specification (also a ValueError).",
        )?;
        let ii = invalid_input.bind(py);
        let invalid_type = new_class(
            py,
            "InvalidTypeError",
            &[ii, &builtin("TypeError")?],
            "An argument has the wrong Python type, or is None where a value is needed \
             (also a TypeError).",
        )?;
        let decode = new_class(
            py,
            "DecodeError",
            &[ii],
            "PEM, DER, a key, a certificate, a CSR or a kubeconfig could not be read.",
        )?;
        let key_mismatch = new_class(
            py,
            "KeyMismatchError",
            &[ii],
            "A certificate and the private key offered with it do not belong together.",
        )?;
        let not_a_ca = new_class(
            py,
            "NotACertificateAuthorityError",
            &[ii],
            "A certificate offered as a CA cannot sign certificates.",
        )?;
        let policy_refused = new_class(
            py,
            "PolicyRefusedError",
            &[k],
            "A signer policy refuses to sign a certificate signing request.",
        )?;
        let ca_key_unavailable = new_class(
            py,
            "CaKeyUnavailableError",
            &[k],
            "The CA has no private key (an external CA), so it cannot issue.",
        )?;
        let verification = new_class(
            py,
            "VerificationError",
            &[k],
            "A certificate does not verify: wrong issuer, bad signature, or not valid now.",
        )?;
        let crypto = new_class(
            py,
            "CryptoError",
            &[k],
            "A cryptographic operation (key generation, signing) failed.",
        )?;
        // OSError's own str() would print "[Errno N] None: 'path'" once errno and
        // filename are set; keep kpki's message, which already names the path.
        let keep_message = py.eval(
            c"lambda self: str(self.args[0]) if len(self.args) == 1 else OSError.__str__(self)",
            None,
            None,
        )?;
        let io = new_class_with(
            py,
            "IoError",
            &[k, &builtin("OSError")?],
            "A file operation failed (also an OSError; errno and filename are set).",
            Some(&keep_message),
        )?;
        let iob = io.bind(py);
        let already_exists = new_class(
            py,
            "AlreadyExistsError",
            &[iob, &builtin("FileExistsError")?],
            "A file kpki would write exists and overwriting was not allowed.",
        )?;
        let missing_file = new_class(
            py,
            "MissingFileError",
            &[iob, &builtin("FileNotFoundError")?],
            "A file kpki needs is missing.",
        )?;
        Ok(Exceptions {
            kpki,
            invalid_input,
            invalid_type,
            decode,
            key_mismatch,
            not_a_ca,
            policy_refused,
            ca_key_unavailable,
            verification,
            crypto,
            io,
            already_exists,
            missing_file,
        })
    })
}

/// Adds the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let e = exceptions(m.py())?;
    for class in [
        &e.kpki,
        &e.invalid_input,
        &e.invalid_type,
        &e.decode,
        &e.key_mismatch,
        &e.not_a_ca,
        &e.policy_refused,
        &e.ca_key_unavailable,
        &e.verification,
        &e.crypto,
        &e.io,
        &e.already_exists,
        &e.missing_file,
    ] {
        let class = class.bind(m.py());
        m.add(class.name()?, class)?;
    }
    Ok(())
}

/// Which class a core error becomes: the one place the mapping lives.
fn class_for<'a>(e: &'a Exceptions, err: &kpki_core::Error) -> &'a Py<PyType> {
    use kpki_core::Error as E;
    match err {
        E::InvalidName { .. }
        | E::InvalidSan { .. }
        | E::InvalidNetwork { .. }
        | E::UnknownChoice { .. }
        | E::InvalidValidity { .. }
        | E::InvalidSpec { .. }
        | E::KubeadmConfig { .. }
        | E::InvalidSigningRequest { .. }
        | E::InvalidPolicy { .. }
        | E::CannotRenew { .. } => &e.invalid_input,
        E::InvalidPem { .. }
        | E::InvalidKey { .. }
        | E::InvalidCertificate { .. }
        | E::InvalidKubeconfig { .. }
        | E::InvalidCsr { .. }
        | E::InvalidCsrObject { .. } => &e.decode,
        E::PolicyRefused { .. } => &e.policy_refused,
        E::KeyMismatch { .. } => &e.key_mismatch,
        E::NotACertificateAuthority { .. } => &e.not_a_ca,
        E::CaKeyUnavailable { .. } => &e.ca_key_unavailable,
        E::InvalidSuppliedCertificate { .. } => &e.verification,
        E::Crypto { .. } => &e.crypto,
        E::AlreadyExists { .. } => &e.already_exists,
        E::MissingFile { .. } => &e.missing_file,
        E::Io { .. } => &e.io,
        _ => &e.kpki,
    }
}

/// errno and filename for the OSError subclasses.
fn os_details(err: &kpki_core::Error) -> Option<(Option<i32>, String)> {
    use kpki_core::Error as E;
    // ENOENT and EEXIST are 2 and 17 on every platform CPython runs on.
    match err {
        E::AlreadyExists { path } => Some((Some(17), path.display().to_string())),
        E::MissingFile { path, .. } => Some((Some(2), path.display().to_string())),
        E::Io { path, source, .. } => Some((source.raw_os_error(), path.display().to_string())),
        _ => None,
    }
}

fn instantiate(py: Python<'_>, class: &Py<PyType>, message: String) -> PyResult<PyErr> {
    let value = class.bind(py).call1((message,))?;
    Ok(PyErr::from_value(value))
}

/// Turns an [`Error`] into the Python exception it stands for.
pub(crate) fn to_py_err(py: Python<'_>, err: Error) -> PyErr {
    let made = (|| -> PyResult<PyErr> {
        let e = exceptions(py)?;
        match err {
            Error::Py(e) => Ok(e),
            Error::Type(message) => instantiate(py, &e.invalid_type, message),
            Error::Input(message) => instantiate(py, &e.invalid_input, message),
            Error::Core(core) => {
                let class = class_for(e, &core);
                let value = class.bind(py).call1((core.to_string(),))?;
                if let Some((errno, filename)) = os_details(&core) {
                    value.setattr("errno", errno)?;
                    value.setattr("filename", filename)?;
                }
                Ok(PyErr::from_value(value))
            }
        }
    })();
    // Making the exception can only fail if Python is out of memory or shutting down.
    made.unwrap_or_else(|e| PyRuntimeError::new_err(format!("kpki: cannot raise error: {e}")))
}

/// A wrong-type error for argument `name`, naming what was expected and what came.
pub(crate) fn wrong_type(name: &str, expected: &str, got: &Bound<'_, PyAny>) -> Error {
    if got.is_none() {
        return Error::Type(format!("argument {name:?}: expected {expected}, got None"));
    }
    let type_name = got
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "an unknown type".into());
    Error::Type(format!(
        "argument {name:?}: expected {expected}, got {type_name}"
    ))
}
