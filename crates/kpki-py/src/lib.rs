//! # kpki for Python
//!
//! The extension module `kpki._kpki`, re-exported by the `kpki` package
//! (`python/kpki/__init__.py`). A thin skin over `kpki-core`: every class wraps a core
//! value, every argument is a typed conversion (`args`: one Python shape in, one core
//! value out, parsed by the core's own `FromStr`), every core error is mapped onto the
//! exceptions of `kpki/exceptions.py` in one place (`errors`), and every default,
//! validation and choice is the core's: a method converts its arguments, makes one core
//! call and converts the result.
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

mod args;
mod authority;
mod ca;
mod certificate;
mod cluster;
mod csr;
mod errors;
mod identity;
mod key;
mod kube_csr;
mod kubeconfig;
mod lifecycle;
mod public_key;
mod san;
mod tls;

/// The `kpki._kpki` extension module.
#[pymodule]
fn _kpki(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<key::PrivateKey>()?;
    m.add_class::<public_key::PublicKey>()?;
    m.add_class::<certificate::Certificate>()?;
    m.add_class::<identity::Identity>()?;
    m.add_class::<san::SubjectAltNames>()?;
    m.add_class::<san::ClusterNetwork>()?;
    m.add_class::<authority::CertificateAuthority>()?;
    m.add_class::<ca::CertifiedKey>()?;
    m.add_class::<ca::CaSource>()?;
    m.add_class::<cluster::ClusterSpec>()?;
    m.add_class::<cluster::ClusterPki>()?;
    m.add_class::<cluster::WriteReport>()?;
    m.add_class::<cluster::LoadedPki>()?;
    m.add_class::<cluster::LoadedCertificate>()?;
    m.add_class::<cluster::ExpiryEntry>()?;
    m.add_class::<cluster::ExpiryReport>()?;
    m.add_class::<kubeconfig::Kubeconfig>()?;
    m.add_class::<csr::Csr>()?;
    m.add_class::<csr::SignerPolicy>()?;
    m.add_class::<kube_csr::KubeCsr>()?;
    m.add_class::<kubeconfig::UserCredentials>()?;
    m.add_function(wrap_pyfunction!(cluster::load, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::renew, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::rotate_ca, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::rotation_status, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::trust_set, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::cluster_trust_bundle, m)?)?;
    m.add_class::<lifecycle::RotationReport>()?;
    m.add_class::<lifecycle::RotationStatus>()?;
    m.add_class::<lifecycle::RenewReport>()?;
    m.add_class::<lifecycle::RenewedCertificate>()?;
    m.add_class::<lifecycle::RenewedCa>()?;
    m.add_class::<lifecycle::SkippedCertificate>()?;
    m.add_function(wrap_pyfunction!(ca::trust_bundle, m)?)?;
    m.add_function(wrap_pyfunction!(tls::tls_csr, m)?)?;
    m.add_function(wrap_pyfunction!(tls::tls_self_signed_ca, m)?)?;
    m.add_function(wrap_pyfunction!(tls::tls_sign, m)?)?;
    m.add_class::<tls::TlsFields>()?;
    m.add_class::<tls::TlsPolicy>()?;
    m.add(
        "KEY_ALGORITHMS",
        kpki_core::KeyAlgorithm::ALL
            .iter()
            .map(|a| a.name())
            .collect::<Vec<_>>(),
    )?;
    m.add(
        "COMPATIBILITIES",
        kpki_core::Compatibility::ALL
            .iter()
            .map(|c| c.name())
            .collect::<Vec<_>>(),
    )?;
    m.add(
        "CA_ROLES",
        kpki_core::CaRole::ALL
            .iter()
            .map(|r| r.name())
            .collect::<Vec<_>>(),
    )?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
