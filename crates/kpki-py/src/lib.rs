//! # kpki for Python
//!
//! The extension module `kpki._kpki`, re-exported by the `kpki` package
//! (`python/kpki/__init__.py`). A thin skin over `kpki-core`: every class wraps a core
//! value, every argument is read once at the edge (`convert`), every core error is
//! mapped in one place (`errors`), and nothing here decides what a certificate holds.
//!
//! - Values in and out are Python's own: PEM as `str` (bytes accepted), `datetime`
//!   (aware UTC out; naive in is taken as UTC) and `timedelta`, `ipaddress` objects for
//!   IPs, `cryptography` objects through `from_cryptography`/`to_cryptography` (DER,
//!   so the bytes never change).
//! - Classes are `#[pyclass(frozen)]` around the core's `Send + Sync` values, so one
//!   object can be used from many Python threads without locks.
//! - Key generation, signing and whole-PKI generation release the GIL (`py.detach`).
//! - No Rust panic reaches Python: the code returns errors instead of panicking, and
//!   PyO3 turns any panic that slipped through into `pyo3_runtime.PanicException`
//!   rather than aborting (the tests assert that bad input never produces one).
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]

use pyo3::prelude::*;

mod ca;
mod certificate;
mod cluster;
mod convert;
mod csr;
mod errors;
mod identity;
mod key;
mod san;

/// The `kpki._kpki` extension module.
#[pymodule]
fn _kpki(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<key::PrivateKey>()?;
    m.add_class::<key::PublicKey>()?;
    m.add_class::<certificate::Certificate>()?;
    m.add_class::<identity::Identity>()?;
    m.add_class::<san::SubjectAltNames>()?;
    m.add_class::<san::ClusterNetwork>()?;
    m.add_class::<ca::CertificateAuthority>()?;
    m.add_class::<ca::CertifiedKey>()?;
    m.add_class::<ca::CaSource>()?;
    m.add_class::<cluster::ClusterSpec>()?;
    m.add_class::<cluster::ClusterPki>()?;
    m.add_class::<cluster::WriteReport>()?;
    m.add_class::<cluster::LoadedPki>()?;
    m.add_class::<cluster::LoadedCertificate>()?;
    m.add_class::<cluster::ExpiryEntry>()?;
    m.add_class::<cluster::Kubeconfig>()?;
    m.add_class::<csr::Csr>()?;
    m.add_class::<csr::SignerPolicy>()?;
    m.add_class::<csr::KubeCsr>()?;
    m.add_class::<csr::UserCredentials>()?;
    m.add_function(wrap_pyfunction!(cluster::load, m)?)?;
    m.add_function(wrap_pyfunction!(ca::trust_bundle, m)?)?;
    m.add(
        "KEY_ALGORITHMS",
        kpki_core::KeyAlgorithm::ALL
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>(),
    )?;
    m.add("COMPATIBILITIES", cluster::compatibility_names())?;
    m.add(
        "CA_ROLES",
        kpki_core::CaRole::ALL
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>(),
    )?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
