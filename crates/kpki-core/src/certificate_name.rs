//! Every certificate of a cluster PKI by name ([`CertificateName`]): where its files go,
//! which CA signs it, and the one spelling (`apiserver`, `etcd/server`, `admin.conf`,
//! `nodes/w1`) that `kubeadm certs`, every door and every error use.

use std::fmt;
use std::str::FromStr;

use crate::dns::NodeName;
use crate::error::{Choice, Error, Result};
use crate::names::CaRole;

/// Every certificate of a cluster PKI, by what it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CertificateName {
    /// `apiserver`: the API server's serving certificate.
    ApiServer,
    /// `apiserver-kubelet-client`.
    ApiServerKubeletClient,
    /// `apiserver-etcd-client`.
    ApiServerEtcdClient,
    /// `front-proxy-client`.
    FrontProxyClient,
    /// `etcd/server`.
    EtcdServer,
    /// `etcd/peer`.
    EtcdPeer,
    /// `etcd/healthcheck-client`.
    EtcdHealthcheckClient,
    /// admin.conf's client certificate.
    Admin,
    /// super-admin.conf's client certificate (profile current only).
    SuperAdmin,
    /// kubelet.conf's client certificate (the control-plane node's kubelet).
    Kubelet,
    /// controller-manager.conf's client certificate.
    ControllerManager,
    /// scheduler.conf's client certificate.
    Scheduler,
    /// kube-proxy.conf's client certificate (beyond kubeadm; on request).
    KubeProxy,
    /// A worker node's kubelet client certificate (`nodes/<node>.crt`, `nodes/<node>.conf`).
    WorkerKubeletClient(NodeName),
    /// A worker node's kubelet serving certificate (`nodes/serving/<node>.crt`).
    WorkerKubeletServing(NodeName),
}

impl CertificateName {
    /// The certificates of a control plane that are not per worker, in file order.
    pub const CONTROL_PLANE: [CertificateName; 13] = [
        CertificateName::ApiServer,
        CertificateName::ApiServerKubeletClient,
        CertificateName::ApiServerEtcdClient,
        CertificateName::FrontProxyClient,
        CertificateName::EtcdServer,
        CertificateName::EtcdPeer,
        CertificateName::EtcdHealthcheckClient,
        CertificateName::Admin,
        CertificateName::SuperAdmin,
        CertificateName::Kubelet,
        CertificateName::ControllerManager,
        CertificateName::Scheduler,
        CertificateName::KubeProxy,
    ];

    /// The certificate's file under the certificates directory, without extension
    /// (`apiserver`, `etcd/server`), if it is written there as a `.crt`/`.key` pair.
    pub fn pki_stem(&self) -> Option<&'static str> {
        Some(match self {
            CertificateName::ApiServer => "apiserver",
            CertificateName::ApiServerKubeletClient => "apiserver-kubelet-client",
            CertificateName::ApiServerEtcdClient => "apiserver-etcd-client",
            CertificateName::FrontProxyClient => "front-proxy-client",
            CertificateName::EtcdServer => "etcd/server",
            CertificateName::EtcdPeer => "etcd/peer",
            CertificateName::EtcdHealthcheckClient => "etcd/healthcheck-client",
            _ => return None,
        })
    }

    /// The certificate's `.crt`/`.key` pair under the kubeadm root, without extension,
    /// for the per-worker certificates (`nodes/w1`, `nodes/serving/w1`).
    pub fn root_stem(&self) -> Option<String> {
        match self {
            CertificateName::WorkerKubeletClient(n) => Some(format!("nodes/{n}")),
            CertificateName::WorkerKubeletServing(n) => Some(format!("nodes/serving/{n}")),
            _ => None,
        }
    }

    /// The certificates `kubeadm certs check-expiration` lists, in its (name) order.
    pub const KUBEADM_CHECKED: [CertificateName; 11] = [
        CertificateName::Admin,
        CertificateName::ApiServer,
        CertificateName::ApiServerEtcdClient,
        CertificateName::ApiServerKubeletClient,
        CertificateName::ControllerManager,
        CertificateName::EtcdHealthcheckClient,
        CertificateName::EtcdPeer,
        CertificateName::EtcdServer,
        CertificateName::FrontProxyClient,
        CertificateName::Scheduler,
        CertificateName::SuperAdmin,
    ];

    /// The name kubeadm gives it in `kubeadm certs check-expiration` and `kubeadm certs
    /// renew` (`apiserver`, `etcd-server`, `admin.conf`); kpki's own spelling
    /// ([`Display`](fmt::Display)) for what kubeadm does not issue (`kube-proxy.conf`,
    /// `nodes/w1`).
    pub fn kubeadm_name(&self) -> String {
        match self {
            CertificateName::EtcdServer => "etcd-server".into(),
            CertificateName::EtcdPeer => "etcd-peer".into(),
            CertificateName::EtcdHealthcheckClient => "etcd-healthcheck-client".into(),
            other => other.to_string(),
        }
    }

    /// The kubeconfig file (relative to the kubeadm root) embedding this certificate, if any.
    pub fn kubeconfig_file(&self) -> Option<String> {
        match self {
            CertificateName::Admin => Some("admin.conf".into()),
            CertificateName::SuperAdmin => Some("super-admin.conf".into()),
            CertificateName::Kubelet => Some("kubelet.conf".into()),
            CertificateName::ControllerManager => Some("controller-manager.conf".into()),
            CertificateName::Scheduler => Some("scheduler.conf".into()),
            CertificateName::KubeProxy => Some("kube-proxy.conf".into()),
            CertificateName::WorkerKubeletClient(n) => Some(format!("nodes/{n}.conf")),
            _ => None,
        }
    }

    /// The CA role that signs it.
    pub fn ca_role(&self) -> CaRole {
        match self {
            CertificateName::ApiServer => CaRole::Kubernetes,
            CertificateName::ApiServerEtcdClient
            | CertificateName::EtcdServer
            | CertificateName::EtcdPeer
            | CertificateName::EtcdHealthcheckClient => CaRole::Etcd,
            CertificateName::FrontProxyClient => CaRole::FrontProxy,
            CertificateName::WorkerKubeletServing(_) => CaRole::Kubelet,
            CertificateName::ApiServerKubeletClient
            | CertificateName::Admin
            | CertificateName::SuperAdmin
            | CertificateName::Kubelet
            | CertificateName::ControllerManager
            | CertificateName::Scheduler
            | CertificateName::KubeProxy
            | CertificateName::WorkerKubeletClient(_) => CaRole::Client,
        }
    }
}

impl fmt::Display for CertificateName {
    /// Where it lives: the file stem under `pki/` (`apiserver`, `etcd/server`), the
    /// kubeconfig file (`admin.conf`), `nodes/<node>` and `nodes/serving/<node>` for
    /// workers. [`CertificateName::kubeadm_name`] is kubeadm's spelling.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.pki_stem(), self.root_stem(), self.kubeconfig_file()) {
            (Some(stem), _, _) => f.write_str(stem),
            (None, Some(stem), _) => f.write_str(&stem),
            (None, None, Some(conf)) => f.write_str(&conf),
            (None, None, None) => write!(f, "{self:?}"),
        }
    }
}

impl FromStr for CertificateName {
    type Err = Error;

    /// Parses what `Display` writes (`apiserver`, `etcd/server`, `admin.conf`,
    /// `nodes/w1`, `nodes/serving/w1`) and kubeadm's names (`etcd-server`);
    /// `nodes/w1.conf` names the worker's client certificate too.
    fn from_str(s: &str) -> Result<Self> {
        if let Some(name) = CertificateName::CONTROL_PLANE
            .iter()
            .find(|n| n.to_string() == s || n.kubeadm_name() == s)
        {
            return Ok(name.clone());
        }
        if let Some(node) = s.strip_prefix("nodes/serving/") {
            return Ok(CertificateName::WorkerKubeletServing(NodeName::new(node)?));
        }
        if let Some(node) = s.strip_prefix("nodes/") {
            let node = node.strip_suffix(".conf").unwrap_or(node);
            return Ok(CertificateName::WorkerKubeletClient(NodeName::new(node)?));
        }
        Err(Error::UnknownChoice {
            field: Choice::CertificateName,
            value: s.to_owned(),
            expected: "apiserver, apiserver-kubelet-client, apiserver-etcd-client, \
                front-proxy-client, etcd/server, etcd/peer, etcd/healthcheck-client, \
                admin.conf, super-admin.conf, kubelet.conf, controller-manager.conf, \
                scheduler.conf, kube-proxy.conf, nodes/<node>, nodes/serving/<node>",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_from_its_display() {
        let w = NodeName::new("w1").unwrap();
        let mut names = CertificateName::CONTROL_PLANE.to_vec();
        names.push(CertificateName::WorkerKubeletClient(w.clone()));
        names.push(CertificateName::WorkerKubeletServing(w.clone()));
        for n in names {
            assert_eq!(n.to_string().parse::<CertificateName>().unwrap(), n);
        }
        for n in CertificateName::CONTROL_PLANE {
            assert_eq!(n.kubeadm_name().parse::<CertificateName>().unwrap(), n);
        }
        assert_eq!(
            "etcd-healthcheck-client"
                .parse::<CertificateName>()
                .unwrap(),
            CertificateName::EtcdHealthcheckClient
        );
        let mut sorted = CertificateName::KUBEADM_CHECKED.map(|n| n.kubeadm_name());
        sorted.sort();
        assert_eq!(
            sorted,
            CertificateName::KUBEADM_CHECKED.map(|n| n.kubeadm_name())
        );
        assert_eq!(
            "nodes/w1.conf".parse::<CertificateName>().unwrap(),
            CertificateName::WorkerKubeletClient(w)
        );
        let err = "apiserver.crt".parse::<CertificateName>().unwrap_err();
        assert!(err.to_string().contains("etcd/server"), "{err}");
    }
}
