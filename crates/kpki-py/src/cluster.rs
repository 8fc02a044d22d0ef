//! `kpki.ClusterSpec` → `kpki.ClusterPki` (generate, write), `kpki.load()` →
//! `kpki.LoadedPki`, and `kpki.Kubeconfig`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::args::{
    Delta, Dict, Flag, Int, IpText, List, Parsed, Path, Str, Subnets, Text, Time, datetime, now,
    seconds_delta, timedelta,
};
use crate::authority::CertificateAuthority;
use crate::ca::{CaSourceArg, CertifiedKey};
use crate::certificate::Certificate;
use crate::errors::{Result, wrong_type};
use crate::key::{PrivateKey, PrivateKeyArg};
use crate::kubeconfig::Kubeconfig;
use crate::san::{ClusterNetwork, SansArg};
use kpki_core::{
    CaKeyUri, CaRole, CertificatesDir, ClusterName, ClusterSpecBuilder, Compatibility, DnsName,
    Endpoint, KeyAlgorithm, KubeadmConfig, KubeadmLayout, NetworkField, NodeName, Pkcs11Uri,
};

/// Everything needed to build a cluster PKI, every choice made and checked.
///
/// ``ClusterSpec("node01", "10.0.0.10", control_plane_endpoint="cp.example:6443",
/// apiserver_extra_sans=["extra.example.com"], key_algorithm="ecdsa-p256",
/// workers=["node02"])``, ``ClusterSpec(host_defaults=True)`` (this host's name and
/// default-route address, as ``kubeadm init`` takes them), or
/// ``ClusterSpec.from_kubeadm_config(text)``.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct ClusterSpec {
    pub(crate) inner: kpki_core::ClusterSpec,
}

/// A `supplied` entry: a `kpki.CertifiedKey`.
struct SuppliedArg(kpki_core::CertifiedKey);

impl<'py> FromPyObject<'_, 'py> for SuppliedArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        match obj.cast::<CertifiedKey>() {
            Ok(ck) => Ok(SuppliedArg(ck.get().inner.clone())),
            Err(_) => Err(wrong_type("kpki.CertifiedKey", &obj).into()),
        }
    }
}

/// A certificates directory argument, read by kubeadm's `certificatesDir` rule.
pub(crate) fn certificates_dir(dir: Path) -> Result<CertificatesDir> {
    Ok(CertificatesDir::from_kubeadm(&dir.0.to_string_lossy())?)
}

pub(crate) fn layout(root: Path, certificates_dir: Option<&CertificatesDir>) -> KubeadmLayout {
    let layout = KubeadmLayout::new(root.0);
    match certificates_dir {
        Some(d) => layout.with_certificates_dir(d.as_path()),
        None => layout,
    }
}

/// A `ca_keys` argument: CA role → `pkcs11:` URI of its key in a token.
pub(crate) type CaKeys = Option<Dict<Parsed<CaRole>, Parsed<Pkcs11Uri>>>;

/// As [`layout`], the CAs of `ca_keys` signing through their token keys.
pub(crate) fn keyed_layout(
    root: Path,
    certificates_dir: Option<&CertificatesDir>,
    ca_keys: CaKeys,
) -> KubeadmLayout {
    let keys = ca_keys.map(|d| d.0).unwrap_or_default();
    layout(root, certificates_dir).with_ca_keys(keys.into_iter().map(|(role, uri)| CaKeyUri {
        role: role.0,
        uri: uri.0,
    }))
}

#[pymethods]
impl ClusterSpec {
    /// A spec for control-plane node `node_name` advertising `advertise_address`;
    /// every other keyword has kubeadm's default. A setting given here beats the
    /// `kubeadm_config` text's (`InitConfiguration` + `ClusterConfiguration`, v1beta3 or
    /// v1beta4), which beats kubeadm's default. With `host_defaults=True` a node name
    /// and address that neither gives are this host's name and the address of its
    /// default route (see `resolution`); without it they must be given.
    ///
    /// `cas` maps a role (`kubernetes`, `etcd`, `front-proxy`, `client`, `kubelet`) to a
    /// `CaSource`, a `CertificateAuthority` (bring your own), a certificate (external
    /// CA), `"generate"` or another role's name (shared). `supplied` maps certificate
    /// names (`apiserver`, `admin.conf`, ...) to `CertifiedKey`s for roles whose CA is
    /// external.
    #[new]
    #[pyo3(signature = (
        node_name = None,
        advertise_address = None,
        *,
        kubeadm_config = None,
        host_defaults = None,
        bind_port = None,
        control_plane_endpoint = None,
        service_subnets = None,
        dns_domain = None,
        apiserver_extra_sans = None,
        etcd_server_extra_sans = None,
        etcd_peer_extra_sans = None,
        key_algorithm = None,
        compatibility = None,
        ca_validity = None,
        leaf_validity = None,
        cluster_name = None,
        workers = None,
        kube_proxy = None,
        cas = None,
        supplied = None,
        service_account_key = None,
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments.
    fn new(
        node_name: Option<Parsed<NodeName>>,
        advertise_address: Option<IpText>,
        kubeadm_config: Option<Text>,
        host_defaults: Option<Flag>,
        bind_port: Option<Int<u16>>,
        control_plane_endpoint: Option<Parsed<Endpoint>>,
        service_subnets: Option<Subnets>,
        dns_domain: Option<Parsed<DnsName>>,
        apiserver_extra_sans: Option<SansArg>,
        etcd_server_extra_sans: Option<SansArg>,
        etcd_peer_extra_sans: Option<SansArg>,
        key_algorithm: Option<Parsed<KeyAlgorithm>>,
        compatibility: Option<Parsed<Compatibility>>,
        ca_validity: Option<Delta>,
        leaf_validity: Option<Delta>,
        cluster_name: Option<Parsed<ClusterName>>,
        workers: Option<List<Parsed<NodeName>>>,
        kube_proxy: Option<Flag>,
        cas: Option<Dict<Parsed<CaRole>, CaSourceArg>>,
        supplied: Option<Dict<Str, SuppliedArg>>,
        service_account_key: Option<PrivateKeyArg>,
    ) -> Result<ClusterSpec> {
        let mut b = if host_defaults.is_some_and(|h| h.0) {
            ClusterSpecBuilder::for_this_host()
        } else {
            ClusterSpecBuilder::new()
        };
        if let Some(c) = kubeadm_config {
            b = b.kubeadm_config(KubeadmConfig::from_yaml(&c.0)?);
        }
        if let Some(n) = node_name {
            b = b.node_name(n.0);
        }
        if let Some(a) = advertise_address {
            b = b.advertise_address(a.parse(NetworkField::AdvertiseAddress)?);
        }
        if let Some(p) = bind_port {
            b = b.bind_port(p.0);
        }
        if let Some(e) = control_plane_endpoint {
            b = b.control_plane_endpoint(e.0);
        }
        if let Some(s) = service_subnets {
            b = b.service_subnets(s.into_cidrs()?);
        }
        if let Some(d) = dns_domain {
            b = b.dns_domain(d.0);
        }
        if let Some(s) = apiserver_extra_sans {
            b = b.apiserver_extra_sans(s.0);
        }
        if let Some(s) = etcd_server_extra_sans {
            b = b.etcd_server_extra_sans(s.0);
        }
        if let Some(s) = etcd_peer_extra_sans {
            b = b.etcd_peer_extra_sans(s.0);
        }
        if let Some(a) = key_algorithm {
            b = b.key_algorithm(a.0);
        }
        if let Some(c) = compatibility {
            b = b.compatibility(c.0);
        }
        if let Some(v) = ca_validity {
            b = b.ca_validity(v.0);
        }
        if let Some(v) = leaf_validity {
            b = b.leaf_validity(v.0);
        }
        if let Some(c) = cluster_name {
            b = b.cluster_name(c.0);
        }
        if let Some(w) = workers {
            b = b.workers(w.0.into_iter().map(|n| n.0).collect());
        }
        if let Some(k) = kube_proxy {
            b = b.kube_proxy(k.0);
        }
        for (role, source) in cas.map(|c| c.0).unwrap_or_default() {
            b = b.ca(role.0, source.0);
        }
        for (name, ck) in supplied.map(|s| s.0).unwrap_or_default() {
            b = b.supplied(&name.0, ck.0);
        }
        if let Some(k) = service_account_key {
            b = b.service_account_key(k.0);
        }
        Ok(ClusterSpec { inner: b.build()? })
    }

    /// A spec from a kubeadm configuration file's text (`str` or `bytes`): the same as
    /// `ClusterSpec(kubeadm_config=config, **settings)`, so every keyword of
    /// `ClusterSpec()` works and overrides the file.
    #[classmethod]
    #[pyo3(signature = (config, **settings))]
    fn from_kubeadm_config<'py>(
        cls: &Bound<'py, PyType>,
        config: &Bound<'py, PyAny>,
        settings: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kwargs = match settings {
            Some(s) => s.copy()?,
            None => PyDict::new(cls.py()),
        };
        kwargs.set_item("kubeadm_config", config)?;
        cls.call((), Some(&kwargs))
    }

    /// Generates every key and certificate (in parallel, with the GIL released).
    #[pyo3(signature = (now = None))]
    fn generate(&self, py: Python<'_>, now: Option<Time>) -> Result<ClusterPki> {
        let now = self::now(now);
        let inner = py.detach(|| self.inner.generate(now))?;
        Ok(ClusterPki { inner })
    }

    /// kubeadm's `init phase certs all` + `kubeconfig all` in one call: reuses what
    /// exists under `path` (an existing CA pair is kept, a CA certificate without its
    /// key makes that CA external, an existing sa.key is kept), generates the rest and
    /// writes it, the certificates under `certificates_dir`. Returns the PKI and the
    /// written files (`WriteReport`).
    #[pyo3(signature = (path, *, overwrite = None, now = None))]
    fn init(
        &self,
        py: Python<'_>,
        path: Path,
        overwrite: Option<Flag>,
        now: Option<Time>,
    ) -> Result<(ClusterPki, WriteReport)> {
        let (overwrite, now) = (overwrite.is_some_and(|o| o.0), self::now(now));
        let layout = layout(path, None);
        let spec = self.inner.clone();
        let (inner, report) = py.detach(|| layout.init(spec, now, overwrite))?;
        Ok((ClusterPki { inner }, WriteReport::wrap(&report)))
    }

    /// The network settings.
    #[getter]
    fn network(&self) -> ClusterNetwork {
        ClusterNetwork {
            inner: self.inner.network().clone(),
        }
    }

    /// The algorithm of every generated key.
    #[getter]
    fn key_algorithm(&self) -> &'static str {
        self.inner.key_algorithm().name()
    }

    /// `current` or `kubeadm-1.28`.
    #[getter]
    fn compatibility(&self) -> &'static str {
        self.inner.compatibility().name()
    }

    /// Validity of generated CAs.
    #[getter]
    fn ca_validity(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        timedelta(py, self.inner.ca_validity())
    }

    /// Validity of leaves.
    #[getter]
    fn leaf_validity(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        timedelta(py, self.inner.leaf_validity())
    }

    /// The cluster name in kubeconfigs.
    #[getter]
    fn cluster_name(&self) -> &str {
        self.inner.cluster_name().as_str()
    }

    /// Worker nodes.
    #[getter]
    fn workers(&self) -> Vec<&str> {
        self.inner.workers().iter().map(NodeName::as_str).collect()
    }

    /// Whether kube-proxy.conf is issued.
    #[getter]
    fn kube_proxy(&self) -> bool {
        self.inner.kube_proxy()
    }

    /// Where the certificates go under the directory written to (kubeadm's
    /// `certificatesDir`, `pki` unless the configuration says otherwise).
    #[getter]
    fn certificates_dir(&self) -> PathBuf {
        self.inner.certificates_dir().as_path().to_path_buf()
    }

    /// The node name, advertise address and API server URL this spec settled on, and
    /// where each came from (what `kpki init` prints).
    #[getter]
    fn resolution(&self) -> String {
        self.inner.resolution().to_string()
    }

    /// The names of the certificates `generate()` issues, in file order (`apiserver`,
    /// `etcd/server`, `admin.conf`, ...).
    fn certificate_names(&self) -> Vec<String> {
        self.inner
            .plan()
            .iter()
            .map(|(n, _)| n.to_string())
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "<kpki.ClusterSpec node={:?} {} {}>",
            self.inner.network().node_name().as_str(),
            self.inner.key_algorithm(),
            self.inner.compatibility()
        )
    }
}

fn ca(inner: &kpki_core::CertificateAuthority) -> CertificateAuthority {
    CertificateAuthority {
        inner: inner.clone(),
    }
}

/// A generated cluster PKI, in memory: the CAs, every certificate with its key, the
/// service-account key and the kubeconfigs.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct ClusterPki {
    inner: kpki_core::ClusterPki,
}

#[pymethods]
impl ClusterPki {
    /// The CA of `role` (`kubernetes`, `etcd`, `front-proxy`, `client`, `kubelet`).
    fn ca(&self, role: Parsed<CaRole>) -> CertificateAuthority {
        ca(self.inner.ca(role.0))
    }

    /// Every role's CA (a shared CA appears under each role it serves).
    #[getter]
    fn cas(&self) -> BTreeMap<&'static str, CertificateAuthority> {
        self.inner.cas().map(|(r, c)| (r.name(), ca(c))).collect()
    }

    /// The certificate `name` (`apiserver`, `etcd/server`, `admin.conf`, `nodes/w1`,
    /// ...) with its key, or `None`.
    fn certificate(&self, py: Python<'_>, name: Str) -> Result<Option<CertifiedKey>> {
        self.inner
            .find(&name.0)
            .map(|ck| CertifiedKey::wrap(py, ck))
            .transpose()
    }

    /// Every certificate by name, in file order.
    #[getter]
    fn certificates<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, ck) in self.inner.certificates() {
            d.set_item(name.to_string(), CertifiedKey::wrap(py, ck)?)?;
        }
        Ok(d)
    }

    /// The service-account signing key (`sa.key`; its public half is `sa.pub`).
    #[getter]
    fn service_account_key(&self) -> PrivateKey {
        PrivateKey {
            inner: self.inner.service_account_key().clone(),
        }
    }

    /// The kubeconfigs by file name (`admin.conf`, `kubelet.conf`, ...).
    #[getter]
    fn kubeconfigs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (file, k) in self.inner.kubeconfigs() {
            d.set_item(file, Kubeconfig { inner: k.clone() })?;
        }
        Ok(d)
    }

    /// The kubeconfig written to `file`, or `None`.
    fn kubeconfig(&self, file: Str) -> Option<Kubeconfig> {
        self.inner
            .kubeconfig(&file.0)
            .map(|k| Kubeconfig { inner: k.clone() })
    }

    /// Writes everything under `path` in kubeadm's layout (`pki/...`, `*.conf`):
    /// atomically, keys 0600, all checks before the first write. An existing file that
    /// would change raises `AlreadyExistsError` unless `overwrite`; files that already
    /// hold the same thing are kept. The certificates go to the spec's
    /// `certificates_dir`, or to `certificates_dir` (read as kubeadm's `certificatesDir`).
    #[pyo3(signature = (path, *, overwrite = None, certificates_dir = None))]
    fn write(
        &self,
        py: Python<'_>,
        path: Path,
        overwrite: Option<Flag>,
        certificates_dir: Option<Path>,
    ) -> Result<WriteReport> {
        let overwrite = overwrite.is_some_and(|o| o.0);
        let report = match certificates_dir {
            Some(d) => {
                let layout = layout(path, Some(&self::certificates_dir(d)?));
                py.detach(|| layout.write_to_certificates_dir(&self.inner, overwrite))?
            }
            None => {
                let layout = layout(path, None);
                py.detach(|| layout.write(&self.inner, overwrite))?
            }
        };
        Ok(WriteReport::wrap(&report))
    }

    fn __repr__(&self) -> String {
        format!(
            "<kpki.ClusterPki {} certificates, {} kubeconfigs>",
            self.inner.certificates().len(),
            self.inner.kubeconfigs().len()
        )
    }
}

/// What a write did: `files` is a list of `(path, action)` with action `created`,
/// `replaced` or `kept`.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct WriteReport {
    files: Vec<(PathBuf, &'static str)>,
}

impl WriteReport {
    fn wrap(r: &kpki_core::WriteReport) -> WriteReport {
        WriteReport {
            files: r
                .files
                .iter()
                .map(|f| (f.path.clone(), f.action.name()))
                .collect(),
        }
    }
}

#[pymethods]
impl WriteReport {
    /// Every file considered, in write order, with what happened to it.
    #[getter]
    fn files(&self) -> Vec<(PathBuf, &'static str)> {
        self.files.clone()
    }

    fn __len__(&self) -> usize {
        self.files.len()
    }

    fn __repr__(&self) -> String {
        format!("<kpki.WriteReport {} files>", self.files.len())
    }
}

/// Loads a directory written by kpki or kubeadm (`/etc/kubernetes`): CAs (external
/// where the key is absent), certificates, kubeconfigs, `sa.key`. `certificates_dir` is
/// read as kubeadm's `certificatesDir` (default `pki`). `ca_keys` maps a CA role to the
/// `pkcs11:` URI of its key in a token (its `ca.crt` here, no `ca.key`): that CA can
/// then issue, through the token.
#[pyfunction]
#[pyo3(signature = (path, *, certificates_dir = None, ca_keys = None))]
pub(crate) fn load(
    py: Python<'_>,
    path: Path,
    certificates_dir: Option<Path>,
    ca_keys: CaKeys,
) -> Result<LoadedPki> {
    let dir = certificates_dir.map(self::certificates_dir).transpose()?;
    let layout = keyed_layout(path, dir.as_ref(), ca_keys);
    let inner = py.detach(|| layout.load())?;
    Ok(LoadedPki { inner })
}

/// What `kpki.load()` found.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct LoadedPki {
    inner: kpki_core::LoadedPki,
}

/// One certificate file found by `load()`.
#[pyclass(frozen, module = "kpki", get_all)]
pub(crate) struct LoadedCertificate {
    /// Which certificate (`apiserver`, `etcd/server`, `nodes/w1`, ...).
    name: String,
    /// The `.crt` path.
    path: PathBuf,
    /// The certificate.
    certificate: Py<Certificate>,
    /// Its key, if the `.key` file exists.
    key: Option<Py<PrivateKey>>,
}

#[pymethods]
impl LoadedCertificate {
    fn __repr__(&self) -> String {
        format!(
            "<kpki.LoadedCertificate {} {}>",
            self.name,
            self.path.display()
        )
    }
}

/// One certificate or CA of an expiry report (`kubeadm certs check-expiration`).
#[pyclass(frozen, module = "kpki", get_all)]
pub(crate) struct ExpiryEntry {
    /// kubeadm's name (`apiserver`, `etcd-server`, `admin.conf`, `ca`, `etcd-ca`).
    name: String,
    /// kpki's name of the certificate (`etcd/server`), or `None` for a CA.
    certificate: Option<String>,
    /// Where it is, or would be if missing.
    path: PathBuf,
    /// Subject, as `O=..., CN=...` (`None` when missing).
    subject: Option<String>,
    /// Issuer CN (`None` when missing).
    issuer: Option<String>,
    /// End of validity, aware UTC (`None` when missing).
    not_after: Option<Py<PyAny>>,
    /// Time left, negative once expired (`None` when missing).
    residual: Option<Py<PyAny>>,
    /// kubeadm's `residualTime`: whole seconds left, negative once expired, 0 when missing.
    residual_seconds: i64,
    /// The CA role that signs it (leaves), or `None` for a CA.
    ca: Option<&'static str>,
    /// For a CA, its role; for a leaf, its signing CA's role.
    role: &'static str,
    /// kubeadm's name of the signing CA (`ca`, `etcd-ca`, `front-proxy-ca`), or `None`
    /// for a CA.
    ca_name: Option<String>,
    /// Whether the signing CA's key (for a CA: its own) is absent.
    externally_managed: bool,
    /// Whether the file is absent.
    missing: bool,
}

#[pymethods]
impl ExpiryEntry {
    fn __repr__(&self) -> String {
        format!("<kpki.ExpiryEntry {}>", self.name)
    }
}

impl ExpiryEntry {
    fn wrap(py: Python<'_>, e: &kpki_core::ExpiryEntry) -> PyResult<ExpiryEntry> {
        Ok(ExpiryEntry {
            name: e.name.clone(),
            certificate: e.certificate.as_ref().map(ToString::to_string),
            path: e.path.clone(),
            subject: e.subject.clone(),
            issuer: e.issuer.clone(),
            not_after: e.not_after.map(|t| datetime(py, t)).transpose()?,
            residual: match e.missing() {
                true => None,
                false => Some(seconds_delta(py, e.residual_seconds)?),
            },
            residual_seconds: e.residual_seconds,
            ca: e.certificate.as_ref().map(|_| e.role.name()),
            role: e.role.name(),
            ca_name: e.ca_name.clone(),
            externally_managed: e.externally_managed,
            missing: e.missing(),
        })
    }

    fn wrap_all<'a>(
        py: Python<'_>,
        entries: impl IntoIterator<Item = &'a kpki_core::ExpiryEntry>,
    ) -> PyResult<Vec<ExpiryEntry>> {
        entries
            .into_iter()
            .map(|e| ExpiryEntry::wrap(py, e))
            .collect()
    }
}

/// What `kubeadm certs check-expiration` reports, with kubeadm's table and its
/// `CertificateExpirationInfo` (output.kubeadm.k8s.io/v1alpha3) as JSON or YAML.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct ExpiryReport {
    inner: kpki_core::ExpiryReport,
}

#[pymethods]
impl ExpiryReport {
    /// The time the residual times count from.
    #[getter]
    fn now(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        datetime(py, self.inner.now)
    }

    /// Leaves (kubeadm's, each listed, `missing` when absent), sorted by name.
    #[getter]
    fn certificates(&self, py: Python<'_>) -> PyResult<Vec<ExpiryEntry>> {
        ExpiryEntry::wrap_all(py, &self.inner.certificates)
    }

    /// CAs, sorted by name.
    #[getter]
    fn authorities(&self, py: Python<'_>) -> PyResult<Vec<ExpiryEntry>> {
        ExpiryEntry::wrap_all(py, &self.inner.authorities)
    }

    /// Present certificates and CAs that expire within `window` (or have expired),
    /// soonest first.
    fn expiring_within(&self, py: Python<'_>, window: Delta) -> PyResult<Vec<ExpiryEntry>> {
        ExpiryEntry::wrap_all(py, self.inner.expiring_within(window.0))
    }

    /// The report as `output` prints it: `table` (or `text`), `json`, `yaml`.
    #[pyo3(signature = (output = "table"))]
    fn render(&self, output: &str) -> Result<String> {
        Ok(self.inner.render(output.parse()?)?)
    }

    /// kubeadm's table.
    fn to_table(&self) -> String {
        self.inner.to_table()
    }

    /// kubeadm's `CertificateExpirationInfo` as JSON (kubeadm's -o json, byte for byte).
    fn to_json(&self) -> Result<String> {
        Ok(self.inner.to_json()?)
    }

    /// kubeadm's `CertificateExpirationInfo` as YAML (kubeadm's -o yaml).
    fn to_yaml(&self) -> Result<String> {
        Ok(self.inner.to_yaml()?)
    }

    fn __repr__(&self) -> String {
        format!(
            "<kpki.ExpiryReport {} certificates, {} CAs>",
            self.inner.certificates.len(),
            self.inner.authorities.len()
        )
    }
}

#[pymethods]
impl LoadedPki {
    /// CAs found, by role (external ones have `can_issue == False`).
    #[getter]
    fn cas(&self) -> BTreeMap<&'static str, CertificateAuthority> {
        self.inner
            .cas
            .iter()
            .map(|(r, c)| (r.name(), ca(c)))
            .collect()
    }

    /// Certificate files found, by name.
    #[getter]
    fn certificates<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for c in &self.inner.certificates {
            let name = c.name.to_string();
            let key = c.key.clone().map(|inner| PrivateKey { inner });
            let entry = LoadedCertificate {
                name: name.clone(),
                path: c.path.clone(),
                certificate: Py::new(py, Certificate::wrap(c.certificate.clone())?)?,
                key: key.map(|k| Py::new(py, k)).transpose()?,
            };
            d.set_item(name, entry)?;
        }
        Ok(d)
    }

    /// Kubeconfig files found, by file name relative to the root (`admin.conf`, ...).
    #[getter]
    fn kubeconfigs<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for k in &self.inner.kubeconfigs {
            let file = k
                .name
                .kubeconfig_file()
                .unwrap_or_else(|| k.path.display().to_string());
            d.set_item(
                file,
                Kubeconfig {
                    inner: k.kubeconfig.clone(),
                },
            )?;
        }
        Ok(d)
    }

    /// `sa.key`, if present.
    #[getter]
    fn service_account_key(&self) -> Option<PrivateKey> {
        let key = self.inner.service_account_key.clone();
        key.map(|inner| PrivateKey { inner })
    }

    /// Every leaf (including the client certificates in kubeconfigs but kubelet.conf)
    /// and every CA, with expiry at `now`: [`ExpiryReport`]'s entries, certificates
    /// first.
    #[pyo3(signature = (now = None))]
    fn check_expiration(&self, py: Python<'_>, now: Option<Time>) -> Result<Vec<ExpiryEntry>> {
        let report = kpki_core::ExpiryReport::from_loaded(&self.inner, self::now(now))?;
        Ok(ExpiryEntry::wrap_all(py, report.entries())?)
    }

    /// The expiry report at `now` (`kubeadm certs check-expiration`).
    #[pyo3(signature = (now = None))]
    fn expiry_report(&self, now: Option<Time>) -> Result<ExpiryReport> {
        let inner = kpki_core::ExpiryReport::from_loaded(&self.inner, self::now(now))?;
        Ok(ExpiryReport { inner })
    }

    /// The expiry report as the table `kubeadm certs check-expiration` prints.
    #[pyo3(signature = (now = None))]
    fn expiration_table(&self, now: Option<Time>) -> Result<String> {
        Ok(kpki_core::ExpiryReport::from_loaded(&self.inner, self::now(now))?.to_table())
    }

    fn __repr__(&self) -> String {
        format!(
            "<kpki.LoadedPki {} CAs, {} certificates, {} kubeconfigs>",
            self.inner.cas.len(),
            self.inner.certificates.len(),
            self.inner.kubeconfigs.len()
        )
    }
}
