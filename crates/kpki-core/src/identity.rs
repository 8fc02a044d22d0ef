//! Who a certificate speaks for: the subject's common name (the Kubernetes user) and
//! organizations (its groups).
//!
//! Kubernetes reads a client certificate's CN as the user name and each O as a group
//! (`system:node:node01` in group `system:nodes` is the kubelet of node01). The
//! constructors here spell every identity kubeadm issues, so a caller never types
//! `system:masters` by hand.

use std::fmt;

use crate::dns::{MAX_NAME_BYTES, NODE_USER_PREFIX, NodeName};
use crate::error::{Choice, Error, NameField, NameProblem, Result};
use crate::names::{Compatibility, KUBEADM_CLUSTER_ADMINS_GROUP, MASTERS_GROUP, NODES_GROUP};

/// A certificate subject as Kubernetes reads it: CN = user, one O per group, in order.
///
/// Only CN and O are ever written (kubeadm writes no C/ST/L/OU either).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    common_name: String,
    organizations: Vec<String>,
}

/// The rule for a CN or O: 1–64 bytes, no control characters, no surrounding white
/// space.
pub(crate) fn check_name(field: NameField, value: &str) -> Result<()> {
    let problem = if value.is_empty() {
        NameProblem::Empty
    } else if value.len() > MAX_NAME_BYTES {
        NameProblem::TooLong {
            len: value.len(),
            max: MAX_NAME_BYTES,
        }
    } else if let Some(character) = value.chars().find(|c| c.is_control()) {
        NameProblem::ControlCharacter { character }
    } else if value.trim() != value {
        NameProblem::SurroundingWhitespace
    } else {
        return Ok(());
    };
    Err(Error::InvalidName {
        field,
        value: value.to_owned(),
        problem,
    })
}

impl Identity {
    /// Any subject: CN plus groups (one O each, order kept, duplicates removed).
    pub fn new<I, S>(common_name: impl Into<String>, organizations: I) -> Result<Identity>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let common_name = common_name.into();
        check_name(NameField::CommonName, &common_name)?;
        let mut orgs: Vec<String> = Vec::new();
        for o in organizations {
            let o = o.into();
            check_name(NameField::Organization, &o)?;
            if !orgs.contains(&o) {
                orgs.push(o);
            }
        }
        Ok(Identity {
            common_name,
            organizations: orgs,
        })
    }

    fn fixed(cn: &str, orgs: &[&str]) -> Identity {
        Identity {
            common_name: cn.to_owned(),
            organizations: orgs.iter().map(|o| (*o).to_owned()).collect(),
        }
    }

    /// A user of the cluster: CN = user name, O = groups.
    pub fn user<I, S>(name: impl Into<String>, groups: I) -> Result<Identity>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Identity::new(name, groups)
    }

    /// A kubelet's client identity: `system:node:<node>` in `system:nodes` (also the
    /// subject of its serving certificate).
    pub fn node(node: &NodeName) -> Identity {
        Identity::fixed(&format!("{NODE_USER_PREFIX}{node}"), &[NODES_GROUP])
    }

    /// `system:kube-controller-manager`.
    pub fn kube_controller_manager() -> Identity {
        Identity::fixed("system:kube-controller-manager", &[])
    }

    /// `system:kube-scheduler`.
    pub fn kube_scheduler() -> Identity {
        Identity::fixed("system:kube-scheduler", &[])
    }

    /// `system:kube-proxy`.
    pub fn kube_proxy() -> Identity {
        Identity::fixed("system:kube-proxy", &[])
    }

    /// admin.conf's user: `kubernetes-admin` in `kubeadm:cluster-admins` (kubeadm ≥ 1.29)
    /// or `system:masters` (≤ 1.28).
    pub fn admin(compat: Compatibility) -> Identity {
        match compat {
            Compatibility::Kubeadm128 => Identity::fixed("kubernetes-admin", &[MASTERS_GROUP]),
            Compatibility::Current => {
                Identity::fixed("kubernetes-admin", &[KUBEADM_CLUSTER_ADMINS_GROUP])
            }
        }
    }

    /// super-admin.conf's user: `kubernetes-super-admin` in `system:masters` (break-glass).
    pub fn super_admin() -> Identity {
        Identity::fixed("kubernetes-super-admin", &[MASTERS_GROUP])
    }

    /// The API server's serving identity, `kube-apiserver`.
    pub fn kube_apiserver() -> Identity {
        Identity::fixed("kube-apiserver", &[])
    }

    /// The API server's client identity towards kubelets.
    pub fn apiserver_kubelet_client(compat: Compatibility) -> Identity {
        match compat {
            Compatibility::Kubeadm128 => {
                Identity::fixed("kube-apiserver-kubelet-client", &[MASTERS_GROUP])
            }
            Compatibility::Current => Identity::fixed(
                "kube-apiserver-kubelet-client",
                &[KUBEADM_CLUSTER_ADMINS_GROUP],
            ),
        }
    }

    /// The API server's client identity towards etcd.
    pub fn apiserver_etcd_client(compat: Compatibility) -> Identity {
        match compat {
            Compatibility::Kubeadm128 => {
                Identity::fixed("kube-apiserver-etcd-client", &[MASTERS_GROUP])
            }
            Compatibility::Current => Identity::fixed("kube-apiserver-etcd-client", &[]),
        }
    }

    /// The aggregation layer's client identity, `front-proxy-client`.
    pub fn front_proxy_client() -> Identity {
        Identity::fixed("front-proxy-client", &[])
    }

    /// etcd's server and peer identity: CN = the node name.
    pub fn etcd_member(node: &NodeName) -> Identity {
        Identity::fixed(node.as_str(), &[])
    }

    /// etcd's liveness-probe client.
    pub fn etcd_healthcheck_client(compat: Compatibility) -> Identity {
        match compat {
            Compatibility::Kubeadm128 => {
                Identity::fixed("kube-etcd-healthcheck-client", &[MASTERS_GROUP])
            }
            Compatibility::Current => Identity::fixed("kube-etcd-healthcheck-client", &[]),
        }
    }

    /// The component names [`Identity::component`] accepts.
    pub const COMPONENT_NAMES: &'static str = "kube-apiserver, kube-controller-manager, \
        kube-scheduler, kube-proxy, admin, super-admin, apiserver-kubelet-client, \
        apiserver-etcd-client, front-proxy-client, etcd-healthcheck-client";

    /// A control-plane component's identity by name (what the bindings and the CLI
    /// take): `kube-apiserver`, `kube-controller-manager`, `kube-scheduler`,
    /// `kube-proxy`, `admin`, `super-admin`, `apiserver-kubelet-client`,
    /// `apiserver-etcd-client`, `front-proxy-client`, `etcd-healthcheck-client`.
    /// `compat` picks the groups where kubeadm versions differ (see [`Identity::admin`]).
    pub fn component(name: &str, compat: Compatibility) -> Result<Identity> {
        Ok(match name {
            "kube-apiserver" => Identity::kube_apiserver(),
            "kube-controller-manager" => Identity::kube_controller_manager(),
            "kube-scheduler" => Identity::kube_scheduler(),
            "kube-proxy" => Identity::kube_proxy(),
            "admin" => Identity::admin(compat),
            "super-admin" => Identity::super_admin(),
            "apiserver-kubelet-client" => Identity::apiserver_kubelet_client(compat),
            "apiserver-etcd-client" => Identity::apiserver_etcd_client(compat),
            "front-proxy-client" => Identity::front_proxy_client(),
            "etcd-healthcheck-client" => Identity::etcd_healthcheck_client(compat),
            _ => {
                return Err(Error::UnknownChoice {
                    field: Choice::Component,
                    value: name.to_owned(),
                    expected: Identity::COMPONENT_NAMES,
                });
            }
        })
    }

    /// A CA's subject: CN only.
    pub fn certificate_authority(common_name: impl Into<String>) -> Result<Identity> {
        Identity::new(common_name, Vec::<String>::new())
    }

    /// The CN (the Kubernetes user name).
    pub fn common_name(&self) -> &str {
        &self.common_name
    }

    /// The O values (the Kubernetes groups), in order.
    pub fn organizations(&self) -> &[String] {
        &self.organizations
    }

    /// Whether any group is `system:masters`.
    pub fn is_system_masters(&self) -> bool {
        self.organizations.iter().any(|o| o == MASTERS_GROUP)
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for o in &self.organizations {
            write!(f, "O={o}, ")?;
        }
        write!(f, "CN={}", self.common_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_identity_is_node_user_in_nodes_group() {
        let id = Identity::node(&NodeName::new("node01").unwrap());
        assert_eq!(id.common_name(), "system:node:node01");
        assert_eq!(id.organizations(), ["system:nodes"]);
    }

    #[test]
    fn sixty_five_byte_common_name_is_refused() {
        let err = Identity::user("u".repeat(65), ["dev"]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidName {
                    field: NameField::CommonName,
                    problem: NameProblem::TooLong { len: 65, max: 64 },
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn user_groups_keep_order_and_drop_duplicates() {
        let id = Identity::user("alice", ["dev", "ops", "dev"]).unwrap();
        assert_eq!(id.organizations(), ["dev", "ops"]);
    }

    #[test]
    fn control_characters_are_refused() {
        assert!(Identity::user("al\nice", Vec::<String>::new()).is_err());
        assert!(Identity::user("alice", ["de\u{0}v"]).is_err());
    }

    #[test]
    fn components_by_name_match_their_constructors() {
        let c = Compatibility::Current;
        assert_eq!(
            Identity::component("kube-scheduler", c).unwrap(),
            Identity::kube_scheduler()
        );
        assert!(
            Identity::component("admin", Compatibility::Kubeadm128)
                .unwrap()
                .is_system_masters()
        );
        let err = Identity::component("kube-dns", c).unwrap_err();
        assert!(err.to_string().contains("kube-controller-manager"), "{err}");
    }

    #[test]
    fn profiles_choose_the_admin_group() {
        assert!(Identity::admin(Compatibility::Kubeadm128).is_system_masters());
        assert!(!Identity::admin(Compatibility::Current).is_system_masters());
        assert!(Identity::super_admin().is_system_masters());
    }
}
