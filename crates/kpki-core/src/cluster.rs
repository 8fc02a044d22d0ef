//! The whole cluster PKI: [`ClusterSpec`] (what to build) → [`ClusterPki`] (everything,
//! in memory). Writing it to disk is [`crate::layout`]'s job.
//!
//! What is issued, by whom, and for whom follows `SPEC.md` (kubeadm's `init phase certs
//! all` + `init phase kubeconfig all`), in two profiles: [`Compatibility::Current`]
//! (kubeadm ≥ 1.31) and [`Compatibility::Kubeadm128`].

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use crate::ca::{
    CaRequest, CertificateAuthority, CertifiedKey, DEFAULT_CA_VALIDITY, DEFAULT_LEAF_VALIDITY,
    LeafRequest,
};
use crate::certificate::Certificate;
use crate::error::{Error, Result};
use crate::identity::{Identity, NodeName};
use crate::key::{KeyAlgorithm, PrivateKey};
use crate::kubeconfig::Kubeconfig;
use crate::profile::CertificateProfile;
use crate::san::{ClusterNetwork, DnsName, SubjectAltNames};

/// Which kubeadm's output to reproduce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Compatibility {
    /// kubeadm ≥ 1.31: `kubeadm:cluster-admins` for admin.conf and the API server's
    /// kubelet client, no `system:masters` on etcd clients, super-admin.conf, leaves
    /// backdated 5 minutes; kpki also leaves keyEncipherment off non-RSA keys.
    #[default]
    Current,
    /// kubeadm 1.28, field for field: `system:masters` where 1.28 put it, no
    /// super-admin.conf, leaf notBefore = the CA's notBefore, keyEncipherment on every key.
    Kubeadm128,
}

impl Compatibility {
    /// The CLI spelling: `current` or `kubeadm-1.28`.
    pub fn name(self) -> &'static str {
        match self {
            Compatibility::Current => "current",
            Compatibility::Kubeadm128 => "kubeadm-1.28",
        }
    }
}

impl fmt::Display for Compatibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Compatibility {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "current" => Ok(Compatibility::Current),
            "kubeadm-1.28" | "1.28" => Ok(Compatibility::Kubeadm128),
            _ => Err(Error::UnknownChoice {
                field: "profile",
                value: s.to_owned(),
                expected: "current, kubeadm-1.28",
            }),
        }
    }
}

/// The CAs of a cluster, by what they vouch for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CaRole {
    /// The cluster CA (`ca`, CN `kubernetes`): signs the API server's serving certificate
    /// and, unless a separate client CA is asked for, every client certificate.
    Kubernetes,
    /// etcd's CA (`etcd/ca`).
    Etcd,
    /// The front-proxy (requestheader) CA (`front-proxy-ca`).
    FrontProxy,
    /// A separate client CA (`client-ca`): signs the component and user client
    /// certificates and the API server's kubelet client. Shares the cluster CA by default.
    Client,
    /// A separate kubelet CA (`kubelet-ca`): signs kubelet serving certificates. Shares
    /// the cluster CA by default.
    Kubelet,
}

impl CaRole {
    /// Every role, in dependency order.
    pub const ALL: [CaRole; 5] = [
        CaRole::Kubernetes,
        CaRole::Etcd,
        CaRole::FrontProxy,
        CaRole::Client,
        CaRole::Kubelet,
    ];

    /// kubeadm's CN for the role's CA.
    pub fn default_common_name(self) -> &'static str {
        match self {
            CaRole::Kubernetes => "kubernetes",
            CaRole::Etcd => "etcd-ca",
            CaRole::FrontProxy => "front-proxy-ca",
            CaRole::Client => "kubernetes-client-ca",
            CaRole::Kubelet => "kubelet-ca",
        }
    }

    /// The role's files under the certificates directory, without extension.
    pub fn file_stem(self) -> &'static str {
        match self {
            CaRole::Kubernetes => "ca",
            CaRole::Etcd => "etcd/ca",
            CaRole::FrontProxy => "front-proxy-ca",
            CaRole::Client => "client-ca",
            CaRole::Kubelet => "kubelet-ca",
        }
    }

    fn default_source(self) -> CaSource {
        match self {
            CaRole::Kubernetes | CaRole::Etcd | CaRole::FrontProxy => CaSource::Generate,
            CaRole::Client | CaRole::Kubelet => CaSource::SameAs(CaRole::Kubernetes),
        }
    }
}

impl fmt::Display for CaRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CaRole::Kubernetes => "kubernetes",
            CaRole::Etcd => "etcd",
            CaRole::FrontProxy => "front-proxy",
            CaRole::Client => "client",
            CaRole::Kubelet => "kubelet",
        })
    }
}

impl FromStr for CaRole {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "kubernetes" | "ca" | "cluster" => Ok(CaRole::Kubernetes),
            "etcd" | "etcd-ca" => Ok(CaRole::Etcd),
            "front-proxy" | "front-proxy-ca" | "requestheader" => Ok(CaRole::FrontProxy),
            "client" | "client-ca" => Ok(CaRole::Client),
            "kubelet" | "kubelet-ca" => Ok(CaRole::Kubelet),
            _ => Err(Error::UnknownChoice {
                field: "CA role",
                value: s.to_owned(),
                expected: "kubernetes, etcd, front-proxy, client, kubelet",
            }),
        }
    }
}

/// Where a role's CA comes from.
#[derive(Clone, Debug)]
pub enum CaSource {
    /// Generate a self-signed root.
    Generate,
    /// Generate an intermediate signed by this (caller-supplied) CA.
    IntermediateOf(CertificateAuthority),
    /// Use this CA (bring your own: loaded from PEM, or signing through a [`crate::Signer`]).
    Provided(CertificateAuthority),
    /// An external CA: only the certificate is known; the certificates it should sign
    /// must be supplied ([`ClusterSpec::supplied`]) and are verified against it.
    External(Certificate),
    /// Share another role's CA (one CA for several roles). The other role must not
    /// itself be `SameAs`.
    SameAs(CaRole),
}

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
    /// The certificate's file path stem under the kubeadm root (`pki/apiserver`,
    /// `nodes/w1`), if it is written as a `.crt`/`.key` pair. `pki` is the certificates
    /// directory relative to the root.
    pub fn file_stem(&self) -> Option<String> {
        let pki = |s: &str| Some(format!("pki/{s}"));
        match self {
            CertificateName::ApiServer => pki("apiserver"),
            CertificateName::ApiServerKubeletClient => pki("apiserver-kubelet-client"),
            CertificateName::ApiServerEtcdClient => pki("apiserver-etcd-client"),
            CertificateName::FrontProxyClient => pki("front-proxy-client"),
            CertificateName::EtcdServer => pki("etcd/server"),
            CertificateName::EtcdPeer => pki("etcd/peer"),
            CertificateName::EtcdHealthcheckClient => pki("etcd/healthcheck-client"),
            CertificateName::WorkerKubeletClient(n) => Some(format!("nodes/{n}")),
            CertificateName::WorkerKubeletServing(n) => Some(format!("nodes/serving/{n}")),
            _ => None,
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file_stem(), self.kubeconfig_file()) {
            (Some(stem), _) => f.write_str(stem.strip_prefix("pki/").unwrap_or(&stem)),
            (None, Some(conf)) => f.write_str(&conf),
            (None, None) => write!(f, "{self:?}"),
        }
    }
}

/// Everything needed to build a cluster PKI. Start from [`ClusterSpec::new`] (kubeadm's
/// defaults) or [`ClusterSpec::builder`], or from a kubeadm configuration file
/// ([`crate::kubeadm_config::KubeadmConfig`]).
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    /// Node name, addresses, subnets, SANs.
    pub network: ClusterNetwork,
    /// The algorithm of every generated key.
    pub key_algorithm: KeyAlgorithm,
    /// Which kubeadm to reproduce.
    pub compatibility: Compatibility,
    /// Validity of generated CAs (kubeadm: 10 years).
    pub ca_validity: Duration,
    /// Validity of leaves (kubeadm: 1 year).
    pub leaf_validity: Duration,
    /// The cluster name used in kubeconfigs (kubeadm: `kubernetes`).
    pub cluster_name: String,
    /// Worker nodes that get a kubelet client certificate + kubeconfig and a kubelet
    /// serving certificate.
    pub workers: Vec<NodeName>,
    /// Also issue kube-proxy.conf (kubeadm gives kube-proxy a service-account token instead).
    pub kube_proxy: bool,
    /// Where each CA comes from; a role not listed uses its default (generate the
    /// kubernetes, etcd and front-proxy CAs; client and kubelet share the kubernetes CA).
    pub cas: BTreeMap<CaRole, CaSource>,
    /// Certificates supplied by the caller (needed for roles whose CA is external).
    pub supplied: BTreeMap<CertificateName, CertifiedKey>,
    /// An existing service-account key to keep (a new one is generated otherwise).
    pub service_account_key: Option<PrivateKey>,
}

impl ClusterSpec {
    /// A spec with kubeadm's defaults for everything but the network.
    pub fn new(network: ClusterNetwork) -> ClusterSpec {
        ClusterSpec {
            network,
            key_algorithm: KeyAlgorithm::Rsa2048,
            compatibility: Compatibility::Current,
            ca_validity: DEFAULT_CA_VALIDITY,
            leaf_validity: DEFAULT_LEAF_VALIDITY,
            cluster_name: "kubernetes".into(),
            workers: Vec::new(),
            kube_proxy: false,
            cas: BTreeMap::new(),
            supplied: BTreeMap::new(),
            service_account_key: None,
        }
    }

    /// A builder for node `node_name` advertising `advertise_address`.
    pub fn builder(node_name: NodeName, advertise_address: IpAddr) -> ClusterSpecBuilder {
        ClusterSpecBuilder {
            spec: ClusterSpec::new(ClusterNetwork::new(node_name, advertise_address)),
        }
    }

    /// The source configured for `role` (or its default).
    pub fn ca_source(&self, role: CaRole) -> CaSource {
        self.cas
            .get(&role)
            .cloned()
            .unwrap_or_else(|| role.default_source())
    }

    /// Checks the spec as a whole.
    pub fn validate(&self) -> Result<()> {
        self.network.validate()?;
        if self.cluster_name.is_empty() || self.cluster_name.chars().any(char::is_control) {
            return Err(Error::InvalidName {
                field: "cluster name",
                value: self.cluster_name.clone(),
                reason: "must be non-empty without control characters".into(),
            });
        }
        if self.leaf_validity < Duration::from_secs(600)
            || self.ca_validity < Duration::from_secs(600)
        {
            return Err(Error::InvalidValidity {
                reason: "validity periods must be at least 10 minutes".into(),
            });
        }
        for role in CaRole::ALL {
            if let CaSource::SameAs(other) = self.ca_source(role)
                && (other == role || matches!(self.ca_source(other), CaSource::SameAs(_)))
            {
                return Err(Error::InvalidSpec {
                    reason: format!(
                        "the {role} CA shares the {other} CA, which must have a CA of its own"
                    ),
                });
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for w in &self.workers {
            if !seen.insert(w) {
                return Err(Error::InvalidSpec {
                    reason: format!("worker node {w} is listed twice"),
                });
            }
        }
        Ok(())
    }

    /// The algorithm of the service-account key: the cluster's, except that Ed25519 (which
    /// kube-apiserver does not accept for service-account tokens) falls back to RSA-2048.
    pub fn service_account_algorithm(&self) -> KeyAlgorithm {
        match self.key_algorithm {
            KeyAlgorithm::Ed25519 => KeyAlgorithm::Rsa2048,
            other => other,
        }
    }

    /// Every certificate this spec issues, with the request for it, in file order.
    pub fn plan(&self) -> Result<Vec<(CertificateName, LeafRequest)>> {
        let c = self.compatibility;
        let n = &self.network;
        let node = &n.node_name;
        let req = |identity: Identity, profile: CertificateProfile, sans: SubjectAltNames| {
            LeafRequest::new(identity, profile)
                .with_sans(sans)
                .with_validity(self.leaf_validity)
                .with_compatibility(c)
        };
        let none = SubjectAltNames::new;
        use CertificateProfile::{Client, Server, ServerAndClient};
        let mut plan = vec![
            (
                CertificateName::ApiServer,
                req(Identity::kube_apiserver(), Server, n.apiserver_sans(c)?),
            ),
            (
                CertificateName::ApiServerKubeletClient,
                req(Identity::apiserver_kubelet_client(c), Client, none()),
            ),
            (
                CertificateName::FrontProxyClient,
                req(Identity::front_proxy_client(), Client, none()),
            ),
            (
                CertificateName::EtcdServer,
                req(
                    Identity::etcd_member(node),
                    ServerAndClient,
                    n.etcd_server_sans(),
                ),
            ),
            (
                CertificateName::EtcdPeer,
                req(
                    Identity::etcd_member(node),
                    ServerAndClient,
                    n.etcd_peer_sans(),
                ),
            ),
            (
                CertificateName::EtcdHealthcheckClient,
                req(Identity::etcd_healthcheck_client(c), Client, none()),
            ),
            (
                CertificateName::ApiServerEtcdClient,
                req(Identity::apiserver_etcd_client(c), Client, none()),
            ),
            (
                CertificateName::Admin,
                req(Identity::admin(c), Client, none()),
            ),
        ];
        if c == Compatibility::Current {
            plan.push((
                CertificateName::SuperAdmin,
                req(Identity::super_admin(), Client, none()),
            ));
        }
        plan.push((
            CertificateName::Kubelet,
            req(Identity::node(node), Client, none()),
        ));
        plan.push((
            CertificateName::ControllerManager,
            req(Identity::kube_controller_manager(), Client, none()),
        ));
        plan.push((
            CertificateName::Scheduler,
            req(Identity::kube_scheduler(), Client, none()),
        ));
        if self.kube_proxy {
            plan.push((
                CertificateName::KubeProxy,
                req(Identity::kube_proxy(), Client, none()),
            ));
        }
        for w in &self.workers {
            plan.push((
                CertificateName::WorkerKubeletClient(w.clone()),
                req(Identity::node(w), Client, none()),
            ));
            let mut sans = SubjectAltNames::new();
            sans.push_dns(DnsName::new(w.as_str())?);
            plan.push((
                CertificateName::WorkerKubeletServing(w.clone()),
                req(Identity::node(w), Server, sans),
            ));
        }
        Ok(plan)
    }

    /// Generates every key and certificate. Key generation and signing run in parallel
    /// on all cores (scoped threads: no pool to keep alive between calls, nothing
    /// global, and the per-item work — an RSA key costs ~0.1 s — dwarfs a thread's start).
    pub fn generate(&self, now: SystemTime) -> Result<ClusterPki> {
        self.validate()?;
        let plan = self.plan()?;

        // 1. Decide, per role, whether a CA is generated (and so needs a key).
        let sources: Vec<(CaRole, CaSource)> = CaRole::ALL
            .iter()
            .map(|r| (*r, self.ca_source(*r)))
            .collect();
        let can_issue = |role: CaRole| -> bool {
            let own = match sources.iter().find(|(r, _)| *r == role).map(|(_, s)| s) {
                Some(CaSource::SameAs(other)) => {
                    sources.iter().find(|(r, _)| r == other).map(|(_, s)| s)
                }
                s => s,
            };
            match own {
                Some(CaSource::External(_)) => false,
                Some(CaSource::Provided(ca)) => ca.can_issue(),
                _ => true,
            }
        };

        // 2. One batch of key generations: generated CAs, the SA key, issuable leaves.
        #[derive(Clone, Copy)]
        enum Slot {
            Ca(CaRole),
            ServiceAccount,
            Leaf(usize),
        }
        let mut slots: Vec<(Slot, KeyAlgorithm)> = Vec::new();
        for (role, src) in &sources {
            if matches!(src, CaSource::Generate | CaSource::IntermediateOf(_)) {
                slots.push((Slot::Ca(*role), self.key_algorithm));
            }
        }
        if self.service_account_key.is_none() {
            slots.push((Slot::ServiceAccount, self.service_account_algorithm()));
        }
        for (i, (name, _)) in plan.iter().enumerate() {
            if can_issue(name.ca_role()) && !self.supplied.contains_key(name) {
                slots.push((Slot::Leaf(i), self.key_algorithm));
            }
        }
        let algorithms = slots.iter().map(|(_, alg)| *alg).collect();
        let keys = parallel_map(algorithms, PrivateKey::generate)?;
        let mut ca_keys: BTreeMap<CaRole, PrivateKey> = BTreeMap::new();
        let mut leaf_keys: BTreeMap<usize, PrivateKey> = BTreeMap::new();
        let mut sa_key = self.service_account_key.clone();
        for ((slot, _), key) in slots.iter().zip(keys) {
            match slot {
                Slot::Ca(r) => {
                    ca_keys.insert(*r, key);
                }
                Slot::ServiceAccount => sa_key = Some(key),
                Slot::Leaf(i) => {
                    leaf_keys.insert(*i, key);
                }
            }
        }
        let service_account_key = sa_key.ok_or_else(|| Error::InvalidSpec {
            reason: "no service-account key".into(),
        })?;

        // 3. The CAs, roles that own one first, then the shared ones.
        let mut cas: BTreeMap<CaRole, CertificateAuthority> = BTreeMap::new();
        let mut shared: BTreeMap<CaRole, CaRole> = BTreeMap::new();
        for (role, src) in &sources {
            let ca_req = || {
                let mut r = CaRequest::new(role.default_common_name());
                r.validity = self.ca_validity;
                r.compatibility = self.compatibility;
                r
            };
            let take_key = |keys: &mut BTreeMap<CaRole, PrivateKey>| {
                keys.remove(role).ok_or_else(|| Error::InvalidSpec {
                    reason: format!("no key for the {role} CA"),
                })
            };
            let ca = match src {
                CaSource::Generate => {
                    CertificateAuthority::new_root(&ca_req(), take_key(&mut ca_keys)?, now)?
                }
                CaSource::IntermediateOf(parent) => CertificateAuthority::new_intermediate(
                    &ca_req(),
                    take_key(&mut ca_keys)?,
                    parent,
                    now,
                )?,
                CaSource::Provided(ca) => ca.clone(),
                CaSource::External(cert) => CertificateAuthority::external(cert.clone())?,
                CaSource::SameAs(other) => {
                    shared.insert(*role, *other);
                    continue;
                }
            };
            cas.insert(*role, ca);
        }
        for (role, other) in &shared {
            let ca = cas.get(other).cloned().ok_or_else(|| Error::InvalidSpec {
                reason: format!("the {role} CA shares the {other} CA, which does not exist"),
            })?;
            cas.insert(*role, ca);
        }

        // 4. The leaves: issued in parallel, or supplied and verified.
        let jobs: Vec<(usize, Option<PrivateKey>)> =
            (0..plan.len()).map(|i| (i, leaf_keys.remove(&i))).collect();
        // Keys move into their certificates: cloning one re-parses it (~0.2 ms for RSA).
        let certificates = parallel_map(jobs, |(i, key)| {
            let (name, req) = &plan[i];
            let ca = cas.get(&name.ca_role()).ok_or_else(|| Error::InvalidSpec {
                reason: format!("no CA for {name}"),
            })?;
            match key {
                Some(key) => {
                    let certificate = ca.issue(req, key.public_key(), now)?;
                    Ok((name.clone(), CertifiedKey { certificate, key }))
                }
                None => {
                    let supplied =
                        self.supplied
                            .get(name)
                            .ok_or_else(|| Error::CaKeyUnavailable {
                                ca: ca.common_name().to_owned(),
                                reason: format!(
                                    "{name} must be supplied because the CA cannot issue it"
                                ),
                            })?;
                    check_supplied(name, req, supplied, ca, now)?;
                    Ok((name.clone(), supplied.clone()))
                }
            }
        })?;

        // 5. The kubeconfigs.
        let server_ca_pem = cas
            .get(&CaRole::Kubernetes)
            .map(CertificateAuthority::chain_pem)
            .ok_or_else(|| Error::InvalidSpec {
                reason: "no kubernetes CA".into(),
            })?;
        let mut kubeconfigs = Vec::new();
        for ((name, ck), (_, req)) in certificates.iter().zip(&plan) {
            let Some(file) = name.kubeconfig_file() else {
                continue;
            };
            let server = match (name, self.compatibility) {
                // kubeadm points these two at the local API server.
                (CertificateName::ControllerManager | CertificateName::Scheduler, _) => {
                    self.network.local_apiserver_url()
                }
                _ => self.network.apiserver_url(),
            };
            // The certificate's CN (issued from `req`, or checked against it if supplied).
            let user = req.identity.common_name();
            let kc = Kubeconfig::with_client_certificate(
                &self.cluster_name,
                &server,
                &server_ca_pem,
                user,
                &ck.certificate,
                &ck.key,
            );
            kubeconfigs.push((file, kc));
        }

        Ok(ClusterPki {
            cas,
            certificates,
            service_account_key,
            kubeconfigs,
        })
    }
}

fn check_supplied(
    name: &CertificateName,
    req: &LeafRequest,
    supplied: &CertifiedKey,
    ca: &CertificateAuthority,
    now: SystemTime,
) -> Result<()> {
    ca.verify_issued(&supplied.certificate, now)?;
    let info = supplied.certificate.info()?;
    let bad = |reason: String| Error::InvalidSuppliedCertificate {
        what: name.to_string(),
        reason,
    };
    if !supplied.key.matches(&info.public_key) {
        return Err(Error::KeyMismatch {
            what: name.to_string(),
        });
    }
    if info.subject_common_name.as_deref() != Some(req.identity.common_name()) {
        return Err(bad(format!(
            "CN is {:?}, expected {:?}",
            info.subject_common_name.unwrap_or_default(),
            req.identity.common_name()
        )));
    }
    if info.organizations != req.identity.organizations() {
        return Err(bad(format!(
            "O is {:?}, expected {:?}",
            info.organizations,
            req.identity.organizations()
        )));
    }
    for d in req.sans.dns_names() {
        if !info.dns_names.iter().any(|x| x == d.as_str()) {
            return Err(bad(format!("lacks the DNS SAN {d}")));
        }
    }
    for ip in req.sans.ip_addresses() {
        if !info.ip_addresses.contains(ip) {
            return Err(bad(format!("lacks the IP SAN {ip}")));
        }
    }
    Ok(())
}

/// Runs `f` over `items` on up to `available_parallelism` scoped threads, keeping order.
/// Items are handed out one at a time (RSA key generation times vary several-fold, so
/// fixed chunks would leave a core idle). The first error wins.
pub(crate) fn parallel_map<T: Send, R: Send>(
    items: Vec<T>,
    f: impl Fn(T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let count = items.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(count);
    if threads <= 1 {
        return items.into_iter().map(f).collect();
    }
    let queue = Mutex::new(items.into_iter().enumerate());
    let results: Mutex<Vec<(usize, Result<R>)>> = Mutex::new(Vec::with_capacity(count));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut local = Vec::new();
                loop {
                    // A poisoned lock only means another worker panicked; the queue is intact.
                    let next = queue
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .next();
                    let Some((i, item)) = next else { break };
                    local.push((i, f(item)));
                }
                // A poisoned lock only means another worker panicked; keep its data.
                results
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend(local);
            });
        }
    });
    let mut results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    results.sort_by_key(|(i, _)| *i);
    if results.len() != count {
        return Err(Error::crypto(
            "parallel generation",
            "a worker thread stopped early",
        ));
    }
    results.into_iter().map(|(_, r)| r).collect()
}

/// A generated cluster PKI, in memory.
#[derive(Clone, Debug)]
pub struct ClusterPki {
    cas: BTreeMap<CaRole, CertificateAuthority>,
    certificates: Vec<(CertificateName, CertifiedKey)>,
    service_account_key: PrivateKey,
    kubeconfigs: Vec<(String, Kubeconfig)>,
}

impl ClusterPki {
    /// The CA of `role` (a shared CA answers for every role it serves).
    pub fn ca(&self, role: CaRole) -> Option<&CertificateAuthority> {
        self.cas.get(&role)
    }

    /// Every role with its CA (shared CAs appear under each role).
    pub fn cas(&self) -> impl Iterator<Item = (CaRole, &CertificateAuthority)> {
        self.cas.iter().map(|(r, c)| (*r, c))
    }

    /// The certificate `name`, with its key.
    pub fn certificate(&self, name: &CertificateName) -> Option<&CertifiedKey> {
        self.certificates
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
    }

    /// Every certificate, in file order.
    pub fn certificates(&self) -> &[(CertificateName, CertifiedKey)] {
        &self.certificates
    }

    /// The service-account signing key (`sa.key`; its public half is `sa.pub`).
    pub fn service_account_key(&self) -> &PrivateKey {
        &self.service_account_key
    }

    /// The kubeconfigs, by file name relative to the kubeadm root.
    pub fn kubeconfigs(&self) -> &[(String, Kubeconfig)] {
        &self.kubeconfigs
    }

    /// The kubeconfig written to `file` (`admin.conf`, ...).
    pub fn kubeconfig(&self, file: &str) -> Option<&Kubeconfig> {
        self.kubeconfigs
            .iter()
            .find(|(f, _)| f == file)
            .map(|(_, k)| k)
    }
}

/// A builder for [`ClusterSpec`]: typed setters, validation in [`ClusterSpecBuilder::build`].
#[derive(Clone, Debug)]
pub struct ClusterSpecBuilder {
    spec: ClusterSpec,
}

impl ClusterSpecBuilder {
    /// The API server's port (default 6443).
    pub fn bind_port(mut self, port: u16) -> Self {
        self.spec.network.bind_port = port;
        self
    }
    /// The control-plane endpoint.
    pub fn control_plane_endpoint(mut self, endpoint: crate::san::Endpoint) -> Self {
        self.spec.network.control_plane_endpoint = Some(endpoint);
        self
    }
    /// The service subnets (one, or one per family).
    pub fn service_subnets(mut self, subnets: Vec<crate::san::IpCidr>) -> Self {
        self.spec.network.service_subnets = subnets;
        self
    }
    /// The DNS domain.
    pub fn dns_domain(mut self, domain: DnsName) -> Self {
        self.spec.network.dns_domain = domain;
        self
    }
    /// Extra API server SANs.
    pub fn apiserver_extra_sans(mut self, sans: SubjectAltNames) -> Self {
        self.spec.network.apiserver_extra_sans = sans;
        self
    }
    /// Extra etcd server SANs.
    pub fn etcd_server_extra_sans(mut self, sans: SubjectAltNames) -> Self {
        self.spec.network.etcd_server_extra_sans = sans;
        self
    }
    /// Extra etcd peer SANs.
    pub fn etcd_peer_extra_sans(mut self, sans: SubjectAltNames) -> Self {
        self.spec.network.etcd_peer_extra_sans = sans;
        self
    }
    /// The key algorithm.
    pub fn key_algorithm(mut self, alg: KeyAlgorithm) -> Self {
        self.spec.key_algorithm = alg;
        self
    }
    /// The kubeadm profile.
    pub fn compatibility(mut self, compat: Compatibility) -> Self {
        self.spec.compatibility = compat;
        self
    }
    /// CA validity.
    pub fn ca_validity(mut self, validity: Duration) -> Self {
        self.spec.ca_validity = validity;
        self
    }
    /// Leaf validity.
    pub fn leaf_validity(mut self, validity: Duration) -> Self {
        self.spec.leaf_validity = validity;
        self
    }
    /// Cluster name in kubeconfigs.
    pub fn cluster_name(mut self, name: impl Into<String>) -> Self {
        self.spec.cluster_name = name.into();
        self
    }
    /// Worker nodes.
    pub fn workers(mut self, workers: Vec<NodeName>) -> Self {
        self.spec.workers = workers;
        self
    }
    /// Also issue kube-proxy.conf.
    pub fn kube_proxy(mut self, yes: bool) -> Self {
        self.spec.kube_proxy = yes;
        self
    }
    /// Where `role`'s CA comes from.
    pub fn ca(mut self, role: CaRole, source: CaSource) -> Self {
        self.spec.cas.insert(role, source);
        self
    }
    /// Validates and returns the spec.
    pub fn build(self) -> Result<ClusterSpec> {
        self.spec.validate()?;
        Ok(self.spec)
    }
}
