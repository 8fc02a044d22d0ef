//! The PKI after `init`, for Python: `kpki.renew()` (kpki-core's `KubeadmLayout::renew`)
//! and what it reports.

use std::path::PathBuf;

use pyo3::prelude::*;

use crate::args::{Delta, Parsed, Path, Str, Time, datetime, now};
use crate::certificate::{CertArg, Certificate};
use crate::cluster::{CaKeys, ClusterSpec, certificates_dir, keyed_layout, layout};
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
                    cluster = None, certificates_dir = None, ca_keys = None, now = None))]
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
    ca_keys: CaKeys,
    now: Option<Time>,
) -> Result<RenewReport> {
    let names: Vec<String> = names.map_or_else(
        || vec!["all".into()],
        |n| n.into_iter().map(|s| s.0).collect(),
    );
    let targets = RenewTargets::parse(&names)?;
    let dir = certificates_dir.map(self::certificates_dir).transpose()?;
    let layout = keyed_layout(path, dir.as_ref(), ca_keys);
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

/// What a rotation step did (`kpki.rotate_ca()`).
#[pyclass(frozen, module = "kpki", get_all)]
pub(crate) struct RotationReport {
    /// The phase the directory is in now: `started`, `reissued`, `finished`.
    phase: &'static str,
    /// The CA roles rotating (`kubernetes`, `etcd`, `front-proxy`).
    roles: Vec<&'static str>,
    /// Files written.
    written: Vec<PathBuf>,
    /// Files removed.
    removed: Vec<PathBuf>,
    /// Whether the step had been done already (nothing written).
    already_done: bool,
}

/// Where a rotation stands (`kpki.rotation_status()`).
#[pyclass(frozen, module = "kpki", get_all)]
pub(crate) struct RotationStatus {
    /// `started`, `reissued`, `finished`, or `None` when no rotation was started.
    phase: Option<&'static str>,
    /// The roles rotating (or last rotated).
    roles: Vec<&'static str>,
    /// Leaves (kubeadm's names) not yet issued by the new CA.
    from_old_ca: Vec<String>,
    /// Trust points still holding an old CA.
    trusting_old_ca: Vec<PathBuf>,
}

/// Runs `step` (`"start"`, `"reissue"`, `"finish"`) of a CA rotation in the kubeadm
/// directory `path` (kpki-core's `KubeadmLayout::rotate`): `roles` (default kubeadm's
/// three) is read by `start` only. Each step is all or nothing and may be run again.
/// `ca_keys` (role → `pkcs11:` URI), with `start`: the new CA of that role gets its key
/// in the token (the key the URI names, or one generated there; not the current CA's);
/// the later steps read it from the rotation's state.
#[pyfunction]
#[pyo3(signature = (path, step, *, roles = None, certificates_dir = None, ca_keys = None,
                    now = None))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn rotate_ca(
    py: Python<'_>,
    path: Path,
    step: Parsed<kpki_core::RotationStep>,
    roles: Option<Vec<Parsed<kpki_core::CaRole>>>,
    certificates_dir: Option<Path>,
    ca_keys: CaKeys,
    now: Option<Time>,
) -> Result<RotationReport> {
    let roles: Vec<kpki_core::CaRole> =
        roles.unwrap_or_default().into_iter().map(|r| r.0).collect();
    let dir = certificates_dir.map(self::certificates_dir).transpose()?;
    let layout = keyed_layout(path, dir.as_ref(), ca_keys);
    let now = self::now(now);
    let r = py.detach(|| layout.rotate(step.0, &roles, now))?;
    Ok(RotationReport {
        phase: r.phase.name(),
        roles: r.roles.iter().map(|r| r.name()).collect(),
        written: r.written,
        removed: r.removed,
        already_done: r.already_done,
    })
}

/// Where a CA rotation in the kubeadm directory `path` stands, and what is left.
#[pyfunction]
#[pyo3(signature = (path, *, certificates_dir = None, now = None))]
pub(crate) fn rotation_status(
    py: Python<'_>,
    path: Path,
    certificates_dir: Option<Path>,
    now: Option<Time>,
) -> Result<RotationStatus> {
    let dir = certificates_dir.map(self::certificates_dir).transpose()?;
    let layout = layout(path, dir.as_ref());
    let now = self::now(now);
    let s = py.detach(|| layout.rotation_status(now))?;
    Ok(RotationStatus {
        phase: s.phase.map(|p| p.name()),
        roles: s.roles.iter().map(|r| r.name()).collect(),
        from_old_ca: s.from_old_ca,
        trusting_old_ca: s.trusting_old_ca,
    })
}

/// The CA certificates in `role`'s trust file of the kubeadm directory `path` (one CA,
/// two during a rotation), in order.
#[pyfunction]
#[pyo3(signature = (path, role = None, *, certificates_dir = None))]
pub(crate) fn trust_set(
    path: Path,
    role: Option<Parsed<kpki_core::CaRole>>,
    certificates_dir: Option<Path>,
) -> Result<Vec<Certificate>> {
    let dir = certificates_dir.map(self::certificates_dir).transpose()?;
    let role = role.map_or(kpki_core::CaRole::Kubernetes, |r| r.0);
    layout(path, dir.as_ref())
        .trust_set(role)?
        .into_iter()
        .map(Certificate::wrap)
        .collect()
}

/// `certificates` as a `ClusterTrustBundle` object (certificates.k8s.io/v1beta1, no
/// signer) named `name`, as YAML.
#[pyfunction]
pub(crate) fn cluster_trust_bundle(name: Str, certificates: Vec<CertArg>) -> Result<String> {
    let certs: Vec<kpki_core::Certificate> = certificates.into_iter().map(|c| c.0).collect();
    Ok(kpki_core::cluster_trust_bundle(&name.0, &certs)?)
}
