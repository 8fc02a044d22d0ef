//! The PKI after `init`, for Python: `kpki.renew()` (kpki-core's `KubeadmLayout::renew`)
//! and what it reports.

use std::path::PathBuf;

use pyo3::prelude::*;

use crate::args::{Delta, Parsed, Path, Str, Time, datetime, now};
use crate::certificate::Certificate;
use crate::cluster::{ClusterSpec, certificates_dir, layout};
use crate::errors::Result;
use kpki_core::{KeyChoice, RenewOptions, RenewReason, RenewTargets};

/// A leaf renewed by `kpki.renew()`.
#[pyclass(frozen, module = "kpki", get_all)]
pub(crate) struct RenewedCertificate {
    /// kubeadm's name (`apiserver`, `etcd-server`, `admin.conf`).
    name: String,
    /// The file rewritten (`.crt`, or the kubeconfig embedding it).
    path: PathBuf,
    /// The new certificate.
    certificate: Py<Certificate>,
    /// Whether its key pair was replaced.
    key_rotated: bool,
    /// Why: `"asked"`, `"due"` (within the window) or `"drift"` (SANs differ from the
    /// cluster configuration).
    reason: &'static str,
    /// SANs added (`DNS:api.example.com`, `IP:10.96.0.1`).
    added_sans: Vec<String>,
    /// SANs removed.
    removed_sans: Vec<String>,
}

/// A CA renewed with its own key by `kpki.renew()`.
#[pyclass(frozen, module = "kpki", get_all)]
pub(crate) struct RenewedCa {
    /// kubeadm's name (`ca`, `etcd-ca`, `front-proxy-ca`).
    name: &'static str,
    /// The `.crt` rewritten.
    path: PathBuf,
    /// The new CA certificate.
    certificate: Py<Certificate>,
    /// The kubeconfigs whose `certificate-authority-data` now holds it.
    kubeconfigs: Vec<PathBuf>,
}

/// A certificate `kpki.renew()` left alone: not due within the window.
#[pyclass(frozen, module = "kpki", get_all)]
pub(crate) struct SkippedCertificate {
    /// kubeadm's name.
    name: String,
    /// The file.
    path: PathBuf,
    /// Its end of validity (aware UTC).
    not_after: Py<PyAny>,
}

/// What `kpki.renew()` did.
#[pyclass(frozen, module = "kpki", get_all)]
pub(crate) struct RenewReport {
    /// CAs renewed with their own keys.
    authorities: Vec<Py<RenewedCa>>,
    /// Leaves renewed.
    renewed: Vec<Py<RenewedCertificate>>,
    /// Left alone: not due.
    skipped: Vec<Py<SkippedCertificate>>,
}

#[pymethods]
impl RenewReport {
    fn __repr__(&self) -> String {
        format!(
            "<kpki.RenewReport {} CAs, {} renewed, {} skipped>",
            self.authorities.len(),
            self.renewed.len(),
            self.skipped.len()
        )
    }
}

/// Renews certificates of the kubeadm directory `path` in place (`kpki certs renew`):
/// `names` are `"all"` or kubeadm's names (`apiserver`, `etcd-server`, `admin.conf`)
/// and CA names (`ca`, `etcd-ca`, `front-proxy-ca`: renewed with their own keys).
/// `key`: `"keep"` (default), `"rotate"` or an algorithm. `within`: renew only what
/// expires within it. `cluster`: the cluster's configuration as it is now
/// (`ClusterSpec.from_kubeadm_config(...)`); renewed certificates get its SANs, and one
/// whose SANs differ is renewed even if not due. All or nothing.
#[pyfunction]
#[pyo3(signature = (path, names = None, *, key = None, validity = None, within = None,
                    cluster = None, certificates_dir = None, now = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn renew(
    py: Python<'_>,
    path: Path,
    names: Option<Vec<Str>>,
    key: Option<Parsed<KeyChoice>>,
    validity: Option<Delta>,
    within: Option<Delta>,
    cluster: Option<PyRef<'_, ClusterSpec>>,
    certificates_dir: Option<Path>,
    now: Option<Time>,
) -> Result<RenewReport> {
    let names: Vec<String> = names.map_or_else(
        || vec!["all".into()],
        |n| n.into_iter().map(|s| s.0).collect(),
    );
    let targets = RenewTargets::parse(&names)?;
    let dir = certificates_dir.map(self::certificates_dir).transpose()?;
    let layout = layout(path, dir.as_ref());
    let options = RenewOptions {
        key: key.map(|k| k.0).unwrap_or_default(),
        validity: validity.map(|v| v.0),
        within: within.map(|w| w.0),
        cluster: cluster.map(|c| c.inner.clone()),
    };
    let now = self::now(now);
    let report = py.detach(|| layout.renew(&targets, &options, now))?;
    let authorities = report
        .authorities
        .into_iter()
        .map(|ca| {
            let renewed = RenewedCa {
                name: ca.role.kubeadm_name(),
                path: ca.path,
                certificate: Py::new(py, Certificate::wrap(ca.certificate)?)?,
                kubeconfigs: ca.kubeconfigs,
            };
            Ok(Py::new(py, renewed)?)
        })
        .collect::<Result<_>>()?;
    let renewed = report
        .renewed
        .into_iter()
        .map(|r| {
            let reason = match r.reason {
                RenewReason::Asked => "asked",
                RenewReason::Due => "due",
                RenewReason::Drift => "drift",
            };
            let renewed = RenewedCertificate {
                name: r.name.kubeadm_name(),
                path: r.path,
                certificate: Py::new(py, Certificate::wrap(r.certificate)?)?,
                key_rotated: r.key_rotated,
                reason,
                added_sans: r.added_sans.iter().map(ToString::to_string).collect(),
                removed_sans: r.removed_sans.iter().map(ToString::to_string).collect(),
            };
            Ok(Py::new(py, renewed)?)
        })
        .collect::<Result<_>>()?;
    let skipped = report
        .skipped
        .into_iter()
        .map(|s| {
            let skipped = SkippedCertificate {
                name: s.name,
                path: s.path,
                not_after: datetime(py, s.not_after)?,
            };
            Ok(Py::new(py, skipped)?)
        })
        .collect::<Result<_>>()?;
    Ok(RenewReport {
        authorities,
        renewed,
        skipped,
    })
}
