//! `kpki.ClusterSpec` → `kpki.ClusterPki` (generate, write), `kpki.load()` →
//! `kpki.LoadedPki`, and `kpki.Kubeconfig`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::ca::{CertificateAuthority, CertifiedKey, ca_source_arg};
use crate::certificate::{Certificate, certificate_arg};
use crate::convert;
use crate::errors::{Error, Result, wrong_type};
use crate::key::{PrivateKey, private_key_arg};
use crate::san::{ClusterNetwork, NetworkArgs};
use kpki_core::{CaRole, ClusterPki as CorePki, Compatibility, KubeadmLayout};

/// Everything needed to build a cluster PKI, with kubeadm's defaults.
///
/// ``ClusterSpec("node01", "10.0.0.10", control_plane_endpoint="cp.example:6443",
/// apiserver_extra_sans=["extra.example.com"], key_algorithm="ecdsa-p256",
/// workers=["node02"])``, or ``ClusterSpec.from_kubeadm_config(text)``.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct ClusterSpec {
    inner: kpki_core::ClusterSpec,
    /// kubeadm's `certificatesDir` (relative to the root), when the spec came from a
    /// kubeadm configuration file that sets it.
    certificates_dir: Option<PathBuf>,
}

/// The keyword arguments of `ClusterSpec(...)` beyond the network ones.
struct SpecArgs<'a, 'py> {
    key_algorithm: Option<&'a Bound<'py, PyAny>>,
    compatibility: Option<&'a Bound<'py, PyAny>>,
    ca_validity: Option<&'a Bound<'py, PyAny>>,
    leaf_validity: Option<&'a Bound<'py, PyAny>>,
    cluster_name: Option<&'a Bound<'py, PyAny>>,
    workers: Option<&'a Bound<'py, PyAny>>,
    kube_proxy: Option<&'a Bound<'py, PyAny>>,
    cas: Option<&'a Bound<'py, PyAny>>,
    supplied: Option<&'a Bound<'py, PyAny>>,
    service_account_key: Option<&'a Bound<'py, PyAny>>,
}

impl SpecArgs<'_, '_> {
    fn apply(&self, spec: &mut kpki_core::ClusterSpec) -> Result<()> {
        if let Some(a) = convert::given(self.key_algorithm) {
            spec.key_algorithm = convert::parsed(a, "key_algorithm")?;
        }
        if let Some(c) = convert::given(self.compatibility) {
            spec.compatibility = convert::parsed(c, "compatibility")?;
        }
        if let Some(v) = convert::opt_duration(self.ca_validity, "ca_validity")? {
            spec.ca_validity = v;
        }
        if let Some(v) = convert::opt_duration(self.leaf_validity, "leaf_validity")? {
            spec.leaf_validity = v;
        }
        if let Some(n) = convert::given(self.cluster_name) {
            spec.cluster_name = convert::string(n, "cluster_name")?;
        }
        if let Some(w) = convert::given(self.workers) {
            spec.workers = convert::strings(w, "workers")?
                .into_iter()
                .map(kpki_core::NodeName::new)
                .collect::<kpki_core::Result<_>>()?;
        }
        if let Some(k) = convert::given(self.kube_proxy) {
            spec.kube_proxy = convert::boolean(k, "kube_proxy")?;
        }
        if let Some(cas) = convert::given(self.cas) {
            let dict = cas
                .cast::<PyDict>()
                .map_err(|_| wrong_type("cas", "a dict of role name -> CA source", cas))?;
            for (role, source) in dict.iter() {
                let role: CaRole = convert::parsed(&role, "cas key")?;
                spec.cas
                    .insert(role, ca_source_arg(&source, &format!("cas[{role}]"))?);
            }
        }
        if let Some(supplied) = convert::given(self.supplied) {
            let dict = supplied.cast::<PyDict>().map_err(|_| {
                wrong_type(
                    "supplied",
                    "a dict of certificate name -> CertifiedKey",
                    supplied,
                )
            })?;
            let names = spec.plan()?;
            for (name, ck) in dict.iter() {
                let name_text = convert::string(&name, "supplied key")?;
                let name = names
                    .iter()
                    .map(|(n, _)| n)
                    .find(|n| n.to_string() == name_text)
                    .cloned()
                    .ok_or_else(|| {
                        Error::Input(format!(
                            "supplied: {name_text:?} is not a certificate of this cluster \
                             (expected one of: {})",
                            names
                                .iter()
                                .map(|(n, _)| n.to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })?;
                let ck = ck.cast::<CertifiedKey>().map_err(|_| {
                    wrong_type(&format!("supplied[{name_text}]"), "kpki.CertifiedKey", &ck)
                })?;
                let ck = ck.get();
                spec.supplied.insert(
                    name,
                    kpki_core::CertifiedKey {
                        certificate: ck.certificate.get().inner.clone(),
                        key: (*ck.key.get().inner).clone(),
                    },
                );
            }
        }
        if let Some(k) = convert::given(self.service_account_key) {
            spec.service_account_key = Some((*private_key_arg(k, "service_account_key")?).clone());
        }
        Ok(())
    }
}

#[pymethods]
impl ClusterSpec {
    /// A spec for control-plane node `node_name` advertising `advertise_address`;
    /// every keyword has kubeadm's default. `cas` maps a role (`kubernetes`, `etcd`,
    /// `front-proxy`, `client`, `kubelet`) to a `CaSource`, a `CertificateAuthority`
    /// (bring your own), a certificate (external CA) or another role's name (shared).
    /// `supplied` maps certificate names (`apiserver`, `admin.conf`, ...) to
    /// `CertifiedKey`s for roles whose CA is external.
    #[new]
    #[pyo3(signature = (
        node_name,
        advertise_address,
        *,
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
        node_name: &Bound<'_, PyAny>,
        advertise_address: &Bound<'_, PyAny>,
        bind_port: Option<&Bound<'_, PyAny>>,
        control_plane_endpoint: Option<&Bound<'_, PyAny>>,
        service_subnets: Option<&Bound<'_, PyAny>>,
        dns_domain: Option<&Bound<'_, PyAny>>,
        apiserver_extra_sans: Option<&Bound<'_, PyAny>>,
        etcd_server_extra_sans: Option<&Bound<'_, PyAny>>,
        etcd_peer_extra_sans: Option<&Bound<'_, PyAny>>,
        key_algorithm: Option<&Bound<'_, PyAny>>,
        compatibility: Option<&Bound<'_, PyAny>>,
        ca_validity: Option<&Bound<'_, PyAny>>,
        leaf_validity: Option<&Bound<'_, PyAny>>,
        cluster_name: Option<&Bound<'_, PyAny>>,
        workers: Option<&Bound<'_, PyAny>>,
        kube_proxy: Option<&Bound<'_, PyAny>>,
        cas: Option<&Bound<'_, PyAny>>,
        supplied: Option<&Bound<'_, PyAny>>,
        service_account_key: Option<&Bound<'_, PyAny>>,
    ) -> Result<ClusterSpec> {
        let node: kpki_core::NodeName = convert::parsed(node_name, "node_name")?;
        let addr = convert::ip(advertise_address, "advertise_address")?;
        let mut spec = kpki_core::ClusterSpec::new(kpki_core::ClusterNetwork::new(node, addr));
        NetworkArgs {
            bind_port,
            control_plane_endpoint,
            service_subnets,
            dns_domain,
            apiserver_extra_sans,
            etcd_server_extra_sans,
            etcd_peer_extra_sans,
        }
        .apply(&mut spec.network)?;
        SpecArgs {
            key_algorithm,
            compatibility,
            ca_validity,
            leaf_validity,
            cluster_name,
            workers,
            kube_proxy,
            cas,
            supplied,
            service_account_key,
        }
        .apply(&mut spec)?;
        spec.validate()?;
        Ok(ClusterSpec {
            inner: spec,
            certificates_dir: None,
        })
    }

    /// A spec from a kubeadm configuration file's text (`InitConfiguration` +
    /// `ClusterConfiguration`, v1beta3 or v1beta4; `str` or `bytes`). `node_name` and
    /// `advertise_address` are needed when the file lacks them; any other keyword of
    /// `ClusterSpec()` overrides the file.
    #[staticmethod]
    #[pyo3(signature = (
        config,
        *,
        node_name = None,
        advertise_address = None,
        key_algorithm = None,
        compatibility = None,
        workers = None,
        kube_proxy = None,
        cas = None,
        service_account_key = None,
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments.
    fn from_kubeadm_config(
        config: &Bound<'_, PyAny>,
        node_name: Option<&Bound<'_, PyAny>>,
        advertise_address: Option<&Bound<'_, PyAny>>,
        key_algorithm: Option<&Bound<'_, PyAny>>,
        compatibility: Option<&Bound<'_, PyAny>>,
        workers: Option<&Bound<'_, PyAny>>,
        kube_proxy: Option<&Bound<'_, PyAny>>,
        cas: Option<&Bound<'_, PyAny>>,
        service_account_key: Option<&Bound<'_, PyAny>>,
    ) -> Result<ClusterSpec> {
        let text = convert::text(config, "config")?;
        let mut cfg = kpki_core::KubeadmConfig::from_yaml(&text)?;
        if let Some(n) = convert::given(node_name) {
            cfg.node_name = Some(convert::parsed(n, "node_name")?);
        }
        if let Some(a) = convert::given(advertise_address) {
            cfg.advertise_address = Some(convert::ip(a, "advertise_address")?);
        }
        let mut spec = cfg.to_cluster_spec()?;
        SpecArgs {
            key_algorithm,
            compatibility,
            ca_validity: None,
            leaf_validity: None,
            cluster_name: None,
            workers,
            kube_proxy,
            cas,
            supplied: None,
            service_account_key,
        }
        .apply(&mut spec)?;
        spec.validate()?;
        Ok(ClusterSpec {
            inner: spec,
            certificates_dir: cfg.certificates_dir.clone(),
        })
    }

    /// Generates every key and certificate (in parallel, with the GIL released).
    #[pyo3(signature = (now = None))]
    fn generate(&self, py: Python<'_>, now: Option<&Bound<'_, PyAny>>) -> Result<ClusterPki> {
        let now = convert::time_or_now(now, "now")?;
        let pki = py.detach(|| self.inner.generate(now))?;
        Ok(ClusterPki {
            inner: pki,
            certificates_dir: self.certificates_dir.clone(),
        })
    }

    /// kubeadm's `init phase certs all` + `kubeconfig all` in one call: reuses what
    /// exists under `path` (an existing CA pair is kept, a CA certificate without its
    /// key makes that CA external, an existing sa.key is kept), generates the rest and
    /// writes it. Returns the PKI and the written files (`WriteReport`).
    #[pyo3(signature = (path, *, overwrite = None, now = None))]
    fn init(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        overwrite: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> Result<(ClusterPki, WriteReport)> {
        let path = convert::path(path, "path")?;
        let overwrite = convert::opt_bool(overwrite, "overwrite")?;
        let now = convert::time_or_now(now, "now")?;
        let layout = layout(path, self.certificates_dir.as_ref());
        let spec = self.inner.clone();
        let (pki, report) = py.detach(|| layout.init(spec, now, overwrite))?;
        Ok((
            ClusterPki {
                inner: pki,
                certificates_dir: self.certificates_dir.clone(),
            },
            WriteReport::wrap(&report),
        ))
    }

    /// The network settings.
    #[getter]
    fn network(&self) -> ClusterNetwork {
        ClusterNetwork {
            inner: self.inner.network.clone(),
        }
    }

    /// The algorithm of every generated key.
    #[getter]
    fn key_algorithm(&self) -> &'static str {
        self.inner.key_algorithm.name()
    }

    /// `current` or `kubeadm-1.28`.
    #[getter]
    fn compatibility(&self) -> &'static str {
        self.inner.compatibility.name()
    }

    /// Validity of generated CAs.
    #[getter]
    fn ca_validity<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        convert::to_timedelta(py, self.inner.ca_validity)
    }

    /// Validity of leaves.
    #[getter]
    fn leaf_validity<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyAny>> {
        convert::to_timedelta(py, self.inner.leaf_validity)
    }

    /// The cluster name in kubeconfigs.
    #[getter]
    fn cluster_name(&self) -> String {
        self.inner.cluster_name.clone()
    }

    /// Worker nodes.
    #[getter]
    fn workers(&self) -> Vec<String> {
        self.inner
            .workers
            .iter()
            .map(|w| w.as_str().to_owned())
            .collect()
    }

    /// Whether kube-proxy.conf is issued.
    #[getter]
    fn kube_proxy(&self) -> bool {
        self.inner.kube_proxy
    }

    /// kubeadm's `certificatesDir` from the configuration file, if it set one.
    #[getter]
    fn certificates_dir(&self) -> Option<PathBuf> {
        self.certificates_dir.clone()
    }

    /// The names of the certificates `generate()` issues, in file order (`apiserver`,
    /// `etcd/server`, `admin.conf`, ...).
    fn certificate_names(&self) -> Result<Vec<String>> {
        Ok(self
            .inner
            .plan()?
            .iter()
            .map(|(n, _)| n.to_string())
            .collect())
    }

    fn __repr__(&self) -> String {
        format!(
            "<kpki.ClusterSpec node={:?} {} {}>",
            self.inner.network.node_name.as_str(),
            self.inner.key_algorithm.name(),
            self.inner.compatibility.name()
        )
    }
}

fn layout(root: PathBuf, certificates_dir: Option<&PathBuf>) -> KubeadmLayout {
    let layout = KubeadmLayout::new(root);
    match certificates_dir {
        Some(d) => layout.with_certificates_dir(d),
        None => layout,
    }
}

fn role_name(role: CaRole) -> String {
    role.to_string()
}

/// A generated cluster PKI, in memory: the CAs, every certificate with its key, the
/// service-account key and the kubeconfigs.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct ClusterPki {
    inner: CorePki,
    certificates_dir: Option<PathBuf>,
}

#[pymethods]
impl ClusterPki {
    /// The CA of `role` (`kubernetes`, `etcd`, `front-proxy`, `client`, `kubelet`).
    fn ca(&self, role: &Bound<'_, PyAny>) -> Result<Option<CertificateAuthority>> {
        let role: CaRole = convert::parsed(role, "role")?;
        Ok(self
            .inner
            .ca(role)
            .map(|c| CertificateAuthority { inner: c.clone() }))
    }

    /// Every role's CA (a shared CA appears under each role it serves).
    #[getter]
    fn cas(&self) -> BTreeMap<String, CertificateAuthority> {
        self.inner
            .cas()
            .map(|(r, c)| (role_name(r), CertificateAuthority { inner: c.clone() }))
            .collect()
    }

    /// The certificate `name` (`apiserver`, `etcd/server`, `admin.conf`, `nodes/w1`,
    /// ...) with its key, or `None`.
    fn certificate(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> Result<Option<CertifiedKey>> {
        let name = convert::string(name, "name")?;
        self.inner
            .certificates()
            .iter()
            .find(|(n, _)| n.to_string() == name)
            .map(|(_, ck)| CertifiedKey::wrap(py, ck))
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
        PrivateKey::wrap(self.inner.service_account_key().clone())
    }

    /// The kubeconfigs by file name (`admin.conf`, `kubelet.conf`, ...).
    #[getter]
    fn kubeconfigs<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (file, k) in self.inner.kubeconfigs() {
            d.set_item(file, Kubeconfig { inner: k.clone() })?;
        }
        Ok(d)
    }

    /// The kubeconfig written to `file`, or `None`.
    fn kubeconfig(&self, file: &Bound<'_, PyAny>) -> Result<Option<Kubeconfig>> {
        let file = convert::string(file, "file")?;
        Ok(self
            .inner
            .kubeconfig(&file)
            .map(|k| Kubeconfig { inner: k.clone() }))
    }

    /// Writes everything under `path` in kubeadm's layout (`pki/...`, `*.conf`):
    /// atomically, keys 0600, all checks before the first write. An existing file that
    /// would change raises `AlreadyExistsError` unless `overwrite`; files that already
    /// hold the same thing are kept.
    #[pyo3(signature = (path, *, overwrite = None, certificates_dir = None))]
    fn write(
        &self,
        py: Python<'_>,
        path: &Bound<'_, PyAny>,
        overwrite: Option<&Bound<'_, PyAny>>,
        certificates_dir: Option<&Bound<'_, PyAny>>,
    ) -> Result<WriteReport> {
        let path = convert::path(path, "path")?;
        let overwrite = convert::opt_bool(overwrite, "overwrite")?;
        let dir = match convert::given(certificates_dir) {
            Some(d) => Some(convert::path(d, "certificates_dir")?),
            None => self.certificates_dir.clone(),
        };
        let layout = layout(path, dir.as_ref());
        let report = py.detach(|| layout.write(&self.inner, overwrite))?;
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
                .map(|f| {
                    let action = match f.action {
                        kpki_core::FileAction::Created => "created",
                        kpki_core::FileAction::Replaced => "replaced",
                        kpki_core::FileAction::Kept => "kept",
                    };
                    (f.path.clone(), action)
                })
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
/// where the key is absent), certificates, kubeconfigs, `sa.key`.
#[pyfunction]
#[pyo3(signature = (path, *, certificates_dir = None))]
pub(crate) fn load(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    certificates_dir: Option<&Bound<'_, PyAny>>,
) -> Result<LoadedPki> {
    let path = convert::path(path, "path")?;
    let dir = match convert::given(certificates_dir) {
        Some(d) => Some(convert::path(d, "certificates_dir")?),
        None => None,
    };
    let layout = layout(path, dir.as_ref());
    let loaded = py.detach(|| layout.load())?;
    Ok(LoadedPki { inner: loaded })
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

/// One line of an expiry report (as `kubeadm certs check-expiration` prints).
#[pyclass(frozen, module = "kpki", get_all)]
pub(crate) struct ExpiryEntry {
    /// What it is (`apiserver`, `admin.conf`, `ca`).
    name: String,
    /// Where it is.
    path: PathBuf,
    /// Subject, as `O=..., CN=...`.
    subject: String,
    /// Issuer CN.
    issuer: String,
    /// End of validity (aware UTC datetime).
    not_after: Py<PyAny>,
    /// Time left, or `None` once expired.
    residual: Option<Py<PyAny>>,
    /// The CA role that signs it (leaves), or `None`.
    ca: Option<String>,
    /// Whether its CA's key is absent ("externally managed").
    externally_managed: bool,
}

#[pymethods]
impl ExpiryEntry {
    fn __repr__(&self) -> String {
        format!("<kpki.ExpiryEntry {}>", self.name)
    }
}

fn expiry_entry(py: Python<'_>, e: &kpki_core::ExpiryEntry) -> Result<ExpiryEntry> {
    Ok(ExpiryEntry {
        name: e.name.clone(),
        path: e.path.clone(),
        subject: e.subject.clone(),
        issuer: e.issuer.clone(),
        not_after: convert::to_datetime(py, e.not_after)?.unbind(),
        residual: e
            .residual
            .map(|d| convert::to_timedelta(py, d).map(Bound::unbind))
            .transpose()?,
        ca: e.ca.map(role_name),
        externally_managed: e.externally_managed,
    })
}

#[pymethods]
impl LoadedPki {
    /// CAs found, by role (external ones have `can_issue == False`).
    #[getter]
    fn cas(&self) -> BTreeMap<String, CertificateAuthority> {
        self.inner
            .cas
            .iter()
            .map(|(r, c)| (role_name(*r), CertificateAuthority { inner: c.clone() }))
            .collect()
    }

    /// Certificate files found, by name.
    #[getter]
    fn certificates<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for c in &self.inner.certificates {
            let name = c.name.to_string();
            let entry = LoadedCertificate {
                name: name.clone(),
                path: c.path.clone(),
                certificate: Py::new(py, Certificate::wrap(c.certificate.clone())?)?,
                key: c
                    .key
                    .as_ref()
                    .map(|k| Py::new(py, PrivateKey::wrap(k.clone())))
                    .transpose()?,
            };
            d.set_item(name, entry)?;
        }
        Ok(d)
    }

    /// Kubeconfig files found, by file name relative to the root (`admin.conf`, ...).
    #[getter]
    fn kubeconfigs<'py>(&self, py: Python<'py>) -> Result<Bound<'py, PyDict>> {
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
        self.inner
            .service_account_key
            .as_ref()
            .map(|k| PrivateKey::wrap(k.clone()))
    }

    /// Every leaf (including the client certificates in kubeconfigs but kubelet.conf)
    /// and every CA, with expiry at `now`.
    #[pyo3(signature = (now = None))]
    fn check_expiration<'py>(
        &self,
        py: Python<'py>,
        now: Option<&Bound<'py, PyAny>>,
    ) -> Result<Bound<'py, PyList>> {
        let now = convert::time_or_now(now, "now")?;
        let report = kpki_core::ExpiryReport::from_loaded(&self.inner, now)?;
        let list = PyList::empty(py);
        for e in report.certificates.iter().chain(report.authorities.iter()) {
            list.append(expiry_entry(py, e)?)?;
        }
        Ok(list)
    }

    /// The expiry report as the table `kubeadm certs check-expiration` prints.
    #[pyo3(signature = (now = None))]
    fn expiration_table(&self, now: Option<&Bound<'_, PyAny>>) -> Result<String> {
        let now = convert::time_or_now(now, "now")?;
        Ok(kpki_core::ExpiryReport::from_loaded(&self.inner, now)?.to_table())
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

/// A kubeconfig: kubeadm's shape (one cluster, one user with embedded credentials, one
/// context), rendered as the YAML kubectl and client-go read.
#[pyclass(frozen, module = "kpki")]
pub(crate) struct Kubeconfig {
    inner: kpki_core::Kubeconfig,
}

impl Kubeconfig {
    pub(crate) fn wrap(inner: kpki_core::Kubeconfig) -> Kubeconfig {
        Kubeconfig { inner }
    }
}

#[pymethods]
impl Kubeconfig {
    /// A kubeconfig for a client certificate: cluster `cluster_name` at `server`
    /// trusting `ca` (a certificate, a CA or PEM), user `user_name` (default: the
    /// certificate's CN) with embedded `certificate` and `key`, context
    /// `<user>@<cluster>` selected.
    #[staticmethod]
    #[pyo3(signature = (*, server, ca, certificate, key, cluster_name = None, user_name = None))]
    fn for_client(
        server: &Bound<'_, PyAny>,
        ca: &Bound<'_, PyAny>,
        certificate: &Bound<'_, PyAny>,
        key: &Bound<'_, PyAny>,
        cluster_name: Option<&Bound<'_, PyAny>>,
        user_name: Option<&Bound<'_, PyAny>>,
    ) -> Result<Kubeconfig> {
        let server = convert::string(server, "server")?;
        let cluster_name = match convert::given(cluster_name) {
            Some(c) => convert::string(c, "cluster_name")?,
            None => "kubernetes".to_owned(),
        };
        let ca_pem = match ca.cast::<CertificateAuthority>() {
            Ok(c) => c.get().inner.chain_pem(),
            Err(_) => match ca.cast::<pyo3::types::PyString>() {
                Ok(_) => {
                    let text = convert::string(ca, "ca")?;
                    // Validate: the bundle must hold certificates.
                    kpki_core::Certificate::chain_from_pem(&text, "argument \"ca\"")?;
                    text
                }
                Err(_) => certificate_arg(ca, "ca")?.to_pem(),
            },
        };
        let cert = certificate_arg(certificate, "certificate")?;
        let key = private_key_arg(key, "key")?;
        let info = cert.info()?;
        if !key.matches(&info.public_key) {
            return Err(Error::Core(kpki_core::Error::KeyMismatch {
                what: "kubeconfig client certificate".into(),
            }));
        }
        let user = match convert::given(user_name) {
            Some(u) => convert::string(u, "user_name")?,
            None => info.subject_common_name.clone().unwrap_or_default(),
        };
        Ok(Kubeconfig {
            inner: kpki_core::Kubeconfig::with_client_certificate(
                &cluster_name,
                &server,
                &ca_pem,
                &user,
                &cert,
                &key,
            ),
        })
    }

    /// Reads kubeconfig YAML (`str` or `bytes`).
    #[staticmethod]
    fn from_yaml(yaml: &Bound<'_, PyAny>) -> Result<Kubeconfig> {
        let text = convert::text(yaml, "yaml")?;
        Ok(Kubeconfig {
            inner: kpki_core::Kubeconfig::from_yaml(&text, "kubeconfig")?,
        })
    }

    /// The YAML (contains the private key: write it 0600).
    fn to_yaml(&self) -> Result<String> {
        Ok(self.inner.to_yaml()?.to_string())
    }

    /// The current context's name.
    #[getter]
    fn current_context(&self) -> String {
        self.inner.current_context.clone()
    }

    /// The current context's cluster name, or `None`.
    #[getter]
    fn cluster_name(&self) -> Option<String> {
        self.inner.current().map(|(_, c, _)| c.name.clone())
    }

    /// The current context's user name, or `None`.
    #[getter]
    fn user_name(&self) -> Option<String> {
        self.inner.current().map(|(_, _, u)| u.name.clone())
    }

    /// The current cluster's server URL, or `None`.
    #[getter]
    fn server(&self) -> Option<String> {
        self.inner.current().map(|(_, c, _)| c.server.clone())
    }

    /// The current cluster's embedded CA bundle (PEM), or `None`.
    #[getter]
    fn certificate_authority_data(&self) -> Option<String> {
        self.inner
            .current()
            .and_then(|(_, c, _)| c.certificate_authority_data.as_ref())
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// The current user's embedded client certificate, or `None`.
    #[getter]
    fn client_certificate(&self) -> Result<Option<Certificate>> {
        self.inner
            .client_certificate()?
            .map(Certificate::wrap)
            .transpose()
    }

    /// The current user's embedded client key, or `None`.
    #[getter]
    fn client_key(&self) -> Result<Option<PrivateKey>> {
        Ok(self.inner.client_key()?.map(PrivateKey::wrap))
    }

    fn __repr__(&self) -> String {
        format!("<kpki.Kubeconfig {:?}>", self.inner.current_context)
    }
}

/// Which compatibility profile names exist (for help texts).
pub(crate) fn compatibility_names() -> Vec<&'static str> {
    [Compatibility::Current, Compatibility::Kubeadm128]
        .iter()
        .map(|c| c.name())
        .collect()
}
