//! Who a certificate speaks for: the subject's common name (the Kubernetes user) and
//! organizations (its groups).
//!
//! Kubernetes reads a client certificate's CN as the user name and each O as a group
//! (`system:node:node01` in group `system:nodes` is the kubelet of node01). The
//! constructors here spell every identity kubeadm issues, so a caller never types
//! `system:masters` by hand.

use std::fmt;
use std::str::FromStr;

use crate::cluster::Compatibility;
use crate::error::{Error, Result};

/// Upper bound of a CN and of each O (X.520 `ub-common-name`, `ub-organization-name`).
pub const MAX_NAME_BYTES: usize = 64;

/// The prefix Kubernetes' node authorizer expects in a kubelet's CN.
pub const NODE_USER_PREFIX: &str = "system:node:";

/// The group every kubelet belongs to.
pub const NODES_GROUP: &str = "system:nodes";

/// The group Kubernetes binds to cluster-admin with no RBAC object to revoke it.
pub const MASTERS_GROUP: &str = "system:masters";

/// The group kubeadm ≥ 1.29 binds to cluster-admin through a ClusterRoleBinding.
pub const KUBEADM_CLUSTER_ADMINS_GROUP: &str = "kubeadm:cluster-admins";

/// A Kubernetes node name: a lowercase RFC 1123 subdomain of at most 52 bytes, so that
/// `system:node:<name>` fits the 64-byte CN limit.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeName(String);

impl NodeName {
    /// The longest node name that still fits a kubelet's CN.
    pub const MAX_BYTES: usize = MAX_NAME_BYTES - NODE_USER_PREFIX.len();

    /// Validates a node name.
    pub fn new(name: impl Into<String>) -> Result<NodeName> {
        let name = name.into();
        let bad = |reason: String| Error::InvalidName {
            field: "node name",
            value: name.clone(),
            reason,
        };
        if name.len() > NodeName::MAX_BYTES {
            return Err(bad(format!(
                "{} bytes; at most {} so that the kubelet's CN \"system:node:<name>\" fits {} bytes",
                name.len(),
                NodeName::MAX_BYTES,
                MAX_NAME_BYTES
            )));
        }
        crate::san::check_dns1123_subdomain(&name).map_err(bad)?;
        Ok(NodeName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for NodeName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        NodeName::new(s)
    }
}

/// A certificate subject as Kubernetes reads it: CN = user, one O per group, in order.
///
/// Only CN and O are ever written (kubeadm writes no C/ST/L/OU either).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Identity {
    common_name: String,
    organizations: Vec<String>,
}

fn check_name(field: &'static str, value: &str) -> Result<()> {
    let bad = |reason: String| Error::InvalidName {
        field,
        value: value.to_owned(),
        reason,
    };
    if value.is_empty() {
        return Err(bad("must not be empty".into()));
    }
    if value.len() > MAX_NAME_BYTES {
        return Err(bad(format!(
            "{} bytes; at most {MAX_NAME_BYTES} allowed",
            value.len()
        )));
    }
    if let Some(c) = value.chars().find(|c| c.is_control()) {
        return Err(bad(format!("contains the control character {c:?}")));
    }
    if value.trim() != value {
        return Err(bad("has leading or trailing white space".into()));
    }
    Ok(())
}

impl Identity {
    /// Any subject: CN plus groups (one O each, order kept, duplicates removed).
    pub fn new<I, S>(common_name: impl Into<String>, organizations: I) -> Result<Identity>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let common_name = common_name.into();
        check_name("common name", &common_name)?;
        let mut orgs: Vec<String> = Vec::new();
        for o in organizations {
            let o = o.into();
            check_name("organization", &o)?;
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
                    field: "component",
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
    fn node_name_longer_than_52_bytes_is_refused() {
        let ok = "a".repeat(52);
        assert!(NodeName::new(ok).is_ok());
        let err = NodeName::new("a".repeat(53)).unwrap_err();
        assert!(err.to_string().contains("53 bytes"), "{err}");
    }

    #[test]
    fn sixty_five_byte_common_name_is_refused() {
        let err = Identity::user("u".repeat(65), ["dev"]).unwrap_err();
        assert!(
            matches!(
                err,
                Error::InvalidName {
                    field: "common name",
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
