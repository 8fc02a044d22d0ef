//! `kpki.Identity`: who a certificate speaks for (CN = Kubernetes user, O = groups).

use pyo3::prelude::*;

use crate::args::{Parsed, Str, Strs};
use crate::errors::{Result, wrong_type};
use kpki_core::{Compatibility, NodeName};

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

/// An identity argument (only `kpki.Identity`).
pub(crate) struct IdentityArg(pub(crate) kpki_core::Identity);

impl<'py> FromPyObject<'_, 'py> for IdentityArg {
    type Error = PyErr;
    fn extract(obj: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        match obj.cast::<Identity>() {
            Ok(i) => Ok(IdentityArg(i.get().inner.clone())),
            Err(_) => Err(wrong_type("kpki.Identity", &obj).into()),
        }
    }
}

fn wrap(inner: kpki_core::Identity) -> Identity {
    Identity { inner }
}

fn compat(c: Option<Parsed<Compatibility>>) -> Compatibility {
    c.map(|c| c.0).unwrap_or_default()
}

#[pymethods]
impl Identity {
    /// Any subject: CN plus organizations (one O each, order kept, duplicates dropped).
    #[new]
    #[pyo3(signature = (common_name, organizations = None))]
    fn new(common_name: Str, organizations: Option<Strs>) -> Result<Identity> {
        let orgs = organizations.map(|o| o.0).unwrap_or_default();
        Ok(wrap(kpki_core::Identity::new(common_name.0, orgs)?))
    }

    /// A cluster user: CN = `name`, O = `groups`.
    #[staticmethod]
    #[pyo3(signature = (name, groups = None))]
    fn user(name: Str, groups: Option<Strs>) -> Result<Identity> {
        let groups = groups.map(|g| g.0).unwrap_or_default();
        Ok(wrap(kpki_core::Identity::user(name.0, groups)?))
    }

    /// A kubelet: CN `system:node:<node>`, O `system:nodes`.
    #[staticmethod]
    fn node(node_name: Parsed<NodeName>) -> Identity {
        wrap(kpki_core::Identity::node(&node_name.0))
    }

    /// A control-plane component by name: `kube-apiserver`, `kube-controller-manager`,
    /// `kube-scheduler`, `kube-proxy`, `admin`, `super-admin`,
    /// `apiserver-kubelet-client`, `apiserver-etcd-client`, `front-proxy-client`,
    /// `etcd-healthcheck-client`. `compatibility` (`current` or `kubeadm-1.28`) picks the
    /// groups where kubeadm versions differ.
    #[staticmethod]
    #[pyo3(signature = (name, compatibility = None))]
    fn component(name: Str, compatibility: Option<Parsed<Compatibility>>) -> Result<Identity> {
        Ok(wrap(kpki_core::Identity::component(
            &name.0,
            compat(compatibility),
        )?))
    }

    /// `system:kube-controller-manager`.
    #[staticmethod]
    fn kube_controller_manager() -> Identity {
        wrap(kpki_core::Identity::kube_controller_manager())
    }

    /// `system:kube-scheduler`.
    #[staticmethod]
    fn kube_scheduler() -> Identity {
        wrap(kpki_core::Identity::kube_scheduler())
    }

    /// `system:kube-proxy`.
    #[staticmethod]
    fn kube_proxy() -> Identity {
        wrap(kpki_core::Identity::kube_proxy())
    }

    /// admin.conf's user: `kubernetes-admin` in `kubeadm:cluster-admins`
    /// (`system:masters` with `compatibility="kubeadm-1.28"`).
    #[staticmethod]
    #[pyo3(signature = (compatibility = None))]
    fn admin(compatibility: Option<Parsed<Compatibility>>) -> Identity {
        wrap(kpki_core::Identity::admin(compat(compatibility)))
    }

    /// super-admin.conf's user: `kubernetes-super-admin` in `system:masters`.
    #[staticmethod]
    fn super_admin() -> Identity {
        wrap(kpki_core::Identity::super_admin())
    }

    /// The API server's serving identity, `kube-apiserver`.
    #[staticmethod]
    fn kube_apiserver() -> Identity {
        wrap(kpki_core::Identity::kube_apiserver())
    }

    /// etcd's server/peer identity: CN = the node name.
    #[staticmethod]
    fn etcd_member(node_name: Parsed<NodeName>) -> Identity {
        wrap(kpki_core::Identity::etcd_member(&node_name.0))
    }

    /// A CA's subject: CN only.
    #[staticmethod]
    fn certificate_authority(common_name: Str) -> Result<Identity> {
        Ok(wrap(kpki_core::Identity::certificate_authority(
            common_name.0,
        )?))
    }

    /// The CN (the Kubernetes user name).
    #[getter]
    fn common_name(&self) -> &str {
        self.inner.common_name()
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
        other
            .cast::<Identity>()
            .is_ok_and(|o| self.inner == o.get().inner)
    }

    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.inner.hash(&mut h);
        h.finish()
    }
}
