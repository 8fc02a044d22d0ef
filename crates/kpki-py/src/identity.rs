//! `kpki.Identity`: who a certificate speaks for (CN = Kubernetes user, O = groups).

use pyo3::prelude::*;

use crate::convert;
use crate::errors::Result;
use kpki_core::Compatibility;

/// A certificate subject as Kubernetes reads it: CN is the user, each O a group.
/// Only CN and O are ever written.
///
/// ``Identity("alice", ["dev", "ops"])``, ``Identity.user("alice", groups=["dev"])``,
/// ``Identity.node("node01")`` (CN ``system:node:node01``, O ``system:nodes``),
/// ``Identity.component("kube-scheduler")`` ...
#[pyclass(frozen, module = "kpki")]
pub(crate) struct Identity {
    pub(crate) inner: kpki_core::Identity,
}

impl Identity {
    fn wrap(inner: kpki_core::Identity) -> Identity {
        Identity { inner }
    }
}

/// An identity argument (only `kpki.Identity`).
pub(crate) fn identity_arg(obj: &Bound<'_, PyAny>, name: &str) -> Result<kpki_core::Identity> {
    match obj.cast::<Identity>() {
        Ok(i) => Ok(i.get().inner.clone()),
        Err(_) => Err(crate::errors::wrong_type(name, "kpki.Identity", obj)),
    }
}

fn compat(obj: Option<&Bound<'_, PyAny>>) -> Result<Compatibility> {
    convert::parsed_or(obj, "compatibility", Compatibility::Current)
}

fn groups(obj: Option<&Bound<'_, PyAny>>, name: &str) -> Result<Vec<String>> {
    match convert::given(obj) {
        Some(o) => convert::strings(o, name),
        None => Ok(Vec::new()),
    }
}

#[pymethods]
impl Identity {
    /// Any subject: CN plus organizations (one O each, order kept, duplicates dropped).
    #[new]
    #[pyo3(signature = (common_name, organizations = None))]
    fn new(
        common_name: &Bound<'_, PyAny>,
        organizations: Option<&Bound<'_, PyAny>>,
    ) -> Result<Identity> {
        let cn = convert::string(common_name, "common_name")?;
        let orgs = groups(organizations, "organizations")?;
        Ok(Identity::wrap(kpki_core::Identity::new(cn, orgs)?))
    }

    /// A cluster user: CN = `name`, O = `groups`.
    #[staticmethod]
    #[pyo3(signature = (name, groups = None))]
    fn user(name: &Bound<'_, PyAny>, groups: Option<&Bound<'_, PyAny>>) -> Result<Identity> {
        let name = convert::string(name, "name")?;
        let groups = self::groups(groups, "groups")?;
        Ok(Identity::wrap(kpki_core::Identity::user(name, groups)?))
    }

    /// A kubelet: CN `system:node:<node>`, O `system:nodes`.
    #[staticmethod]
    fn node(node_name: &Bound<'_, PyAny>) -> Result<Identity> {
        let node: kpki_core::NodeName = convert::parsed(node_name, "node_name")?;
        Ok(Identity::wrap(kpki_core::Identity::node(&node)))
    }

    /// A control-plane component by name: `kube-apiserver`, `kube-controller-manager`,
    /// `kube-scheduler`, `kube-proxy`, `admin`, `super-admin`,
    /// `apiserver-kubelet-client`, `apiserver-etcd-client`, `front-proxy-client`,
    /// `etcd-healthcheck-client`. `compatibility` (`current` or `kubeadm-1.28`) picks the
    /// groups where kubeadm versions differ.
    #[staticmethod]
    #[pyo3(signature = (name, compatibility = None))]
    fn component(
        name: &Bound<'_, PyAny>,
        compatibility: Option<&Bound<'_, PyAny>>,
    ) -> Result<Identity> {
        let name = convert::string(name, "name")?;
        Ok(Identity::wrap(kpki_core::Identity::component(
            &name,
            compat(compatibility)?,
        )?))
    }

    /// `system:kube-controller-manager`.
    #[staticmethod]
    fn kube_controller_manager() -> Identity {
        Identity::wrap(kpki_core::Identity::kube_controller_manager())
    }

    /// `system:kube-scheduler`.
    #[staticmethod]
    fn kube_scheduler() -> Identity {
        Identity::wrap(kpki_core::Identity::kube_scheduler())
    }

    /// `system:kube-proxy`.
    #[staticmethod]
    fn kube_proxy() -> Identity {
        Identity::wrap(kpki_core::Identity::kube_proxy())
    }

    /// admin.conf's user: `kubernetes-admin` in `kubeadm:cluster-admins`
    /// (`system:masters` with `compatibility="kubeadm-1.28"`).
    #[staticmethod]
    #[pyo3(signature = (compatibility = None))]
    fn admin(compatibility: Option<&Bound<'_, PyAny>>) -> Result<Identity> {
        Ok(Identity::wrap(kpki_core::Identity::admin(compat(
            compatibility,
        )?)))
    }

    /// super-admin.conf's user: `kubernetes-super-admin` in `system:masters`.
    #[staticmethod]
    fn super_admin() -> Identity {
        Identity::wrap(kpki_core::Identity::super_admin())
    }

    /// The API server's serving identity, `kube-apiserver`.
    #[staticmethod]
    fn kube_apiserver() -> Identity {
        Identity::wrap(kpki_core::Identity::kube_apiserver())
    }

    /// etcd's server/peer identity: CN = the node name.
    #[staticmethod]
    fn etcd_member(node_name: &Bound<'_, PyAny>) -> Result<Identity> {
        let node: kpki_core::NodeName = convert::parsed(node_name, "node_name")?;
        Ok(Identity::wrap(kpki_core::Identity::etcd_member(&node)))
    }

    /// A CA's subject: CN only.
    #[staticmethod]
    fn certificate_authority(common_name: &Bound<'_, PyAny>) -> Result<Identity> {
        let cn = convert::string(common_name, "common_name")?;
        Ok(Identity::wrap(kpki_core::Identity::certificate_authority(
            cn,
        )?))
    }

    /// The CN (the Kubernetes user name).
    #[getter]
    fn common_name(&self) -> String {
        self.inner.common_name().to_owned()
    }

    /// The O values (the Kubernetes groups), in order.
    #[getter]
    fn organizations(&self) -> Vec<String> {
        self.inner.organizations().to_vec()
    }

    /// Whether one of the groups is `system:masters` (cluster-admin that RBAC cannot
    /// revoke).
    #[getter]
    fn is_system_masters(&self) -> bool {
        self.inner.is_system_masters()
    }

    fn __repr__(&self) -> String {
        format!(
            "Identity({:?}, {:?})",
            self.inner.common_name(),
            self.inner.organizations()
        )
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        match other.cast::<Identity>() {
            Ok(o) => self.inner == o.get().inner,
            Err(_) => false,
        }
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.hash(&mut h);
        h.finish()
    }
}
