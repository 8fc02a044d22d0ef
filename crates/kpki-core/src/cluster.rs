//! The whole cluster PKI: [`ClusterSpecBuilder`] (what the caller asks for) →
//! [`ClusterSpec`] (every choice made and checked) → [`ClusterPki`] (everything, in
//! memory). Writing it to disk is [`crate::KubeadmLayout`]'s job.
//!
//! Every default is decided here, once, for every door: kubeadm's defaults, the
//! settings of a kubeadm configuration file, the caller's settings over both, and —
//! when neither names the node or its address — this host's name and the address of
//! its default route ([`HostFacts`]). What is issued, by whom, and for whom follows
//! `SPEC.md` (kubeadm's `init phase certs all` + `init phase kubeconfig all`), in two
//! profiles: [`Compatibility::Current`] (kubeadm ≥ 1.31) and
//! [`Compatibility::Kubeadm128`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::ca::{
    CaRequest, CertificateAuthority, CertifiedKey, DEFAULT_CA_VALIDITY, DEFAULT_LEAF_VALIDITY,
    LeafRequest,
};
use crate::certificate::Certificate;
use crate::certificate_name::CertificateName;
use crate::dns::{DnsName, NodeName};
use crate::error::{
    ADVERTISE_ADDRESS_FIELD, CaKeyNeeded, Choice, ConfigProblem, Error, NODE_NAME_FIELD, Result,
    SpecProblem, SuppliedProblem, ValidityProblem,
};
use crate::host::{HostFacts, reachable};
use crate::identity::Identity;
use crate::key::PrivateKey;
use crate::kubeadm_config::{CertificatesDir, KubeadmConfig};
use crate::kubeconfig::{ClusterName, Kubeconfig};
use crate::names::{CaRole, Compatibility, KeyAlgorithm};
use crate::network::ClusterNetwork;
use crate::pkcs11::{CaKeyUri, Pkcs11Uri};
use crate::profile::CertificateProfile;
use crate::san::{Endpoint, IpCidr, SubjectAltNames};

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
    /// must be supplied ([`ClusterSpecBuilder::supplied`]) and are verified against it.
    External(Certificate),
    /// Share another role's CA (one CA for several roles). The other role must not
    /// itself be `SameAs`.
    SameAs(CaRole),
    /// A self-signed root whose key is in a PKCS#11 token: the key the URI names, or a
    /// new one of the spec's key algorithm generated in the token (sensitive, not
    /// extractable). No CA key file is written: kubeadm's external-CA layout, but kpki
    /// can sign through the token.
    Token(Pkcs11Uri),
}

impl CaSource {
    /// The source of `role` when nothing is configured: generate the kubernetes, etcd
    /// and front-proxy CAs; client and kubelet share the kubernetes CA.
    pub fn default_for(role: CaRole) -> CaSource {
        match role.shares_by_default() {
            Some(other) => CaSource::SameAs(other),
            None => CaSource::Generate,
        }
    }
}

impl FromStr for CaSource {
    type Err = Error;

    /// The sources a name can give: `generate`, or the role to share (`kubernetes`, ...).
    fn from_str(s: &str) -> Result<CaSource> {
        if s == "generate" {
            return Ok(CaSource::Generate);
        }
        s.parse::<CaRole>()
            .map(CaSource::SameAs)
            .map_err(|_| Error::UnknownChoice {
                field: Choice::CaSource,
                value: s.to_owned(),
                expected: "generate, kubernetes, etcd, front-proxy, client, kubelet",
            })
    }
}

/// Where a value the caller did not give came from, for [`Resolution`].
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provenance {
    /// The caller gave it.
    Given,
    /// The kubeadm configuration file.
    Config,
    /// This host's name.
    Hostname,
    /// This host's default route.
    DefaultRoute {
        /// Its interface.
        interface: String,
    },
    /// No default route: loopback, which only this machine can reach.
    Loopback,
}

/// The node name, advertise address and API server URL a spec settled on, and where
/// each came from (what `kpki init` prints before it writes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    /// The node name.
    pub node_name: NodeName,
    /// Where it came from.
    pub node_name_origin: Provenance,
    /// The advertise address.
    pub advertise_address: IpAddr,
    /// Where it came from.
    pub advertise_address_origin: Provenance,
    /// The URL clients of the API server use.
    pub apiserver_url: String,
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let node = match &self.node_name_origin {
            Provenance::Config => " (from the kubeadm configuration)",
            Provenance::Hostname => " (this host's name)",
            _ => "",
        };
        let address = match &self.advertise_address_origin {
            Provenance::Config => " (from the kubeadm configuration)".to_owned(),
            Provenance::DefaultRoute { interface } => {
                format!(" (the address of {interface}, the default route's interface)")
            }
            Provenance::Loopback => " (no default route on this host: only clients on this machine can reach it; give the advertise address to change it)".to_owned(),
            _ => String::new(),
        };
        write!(
            f,
            "node name {}{node}, advertise address {}{address}, API server {}",
            self.node_name, self.advertise_address, self.apiserver_url
        )
    }
}

/// Everything needed to build a cluster PKI, every choice made and checked. Made by
/// [`ClusterSpecBuilder::build`]; read with the accessors.
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    pub(crate) network: ClusterNetwork,
    key_algorithm: KeyAlgorithm,
    compatibility: Compatibility,
    ca_validity: Duration,
    leaf_validity: Duration,
    cluster_name: ClusterName,
    workers: Vec<NodeName>,
    kube_proxy: bool,
    pub(crate) cas: BTreeMap<CaRole, CaSource>,
    pub(crate) supplied: BTreeMap<CertificateName, CertifiedKey>,
    pub(crate) service_account_key: Option<PrivateKey>,
    certificates_dir: CertificatesDir,
    resolution: Resolution,
    /// Every certificate this spec issues, with its request, in file order.
    plan: Arc<[(CertificateName, LeafRequest)]>,
}

impl ClusterSpec {
    /// A builder for node `node_name` advertising `advertise_address`.
    pub fn builder(node_name: NodeName, advertise_address: IpAddr) -> ClusterSpecBuilder {
        ClusterSpecBuilder::new()
            .node_name(node_name)
            .advertise_address(advertise_address)
    }

    /// Node name, addresses, subnets, SANs.
    pub fn network(&self) -> &ClusterNetwork {
        &self.network
    }

    /// The algorithm of every generated key.
    pub fn key_algorithm(&self) -> KeyAlgorithm {
        self.key_algorithm
    }

    /// Which kubeadm it reproduces.
    pub fn compatibility(&self) -> Compatibility {
        self.compatibility
    }

    /// Validity of generated CAs.
    pub fn ca_validity(&self) -> Duration {
        self.ca_validity
    }

    /// Validity of leaves.
    pub fn leaf_validity(&self) -> Duration {
        self.leaf_validity
    }

    /// The cluster name of the kubeconfigs.
    pub fn cluster_name(&self) -> &ClusterName {
        &self.cluster_name
    }

    /// Worker nodes that get a kubelet client certificate + kubeconfig and a kubelet
    /// serving certificate.
    pub fn workers(&self) -> &[NodeName] {
        &self.workers
    }

    /// Whether kube-proxy.conf is issued.
    pub fn kube_proxy(&self) -> bool {
        self.kube_proxy
    }

    /// Where the certificates go under the kubeadm root.
    pub fn certificates_dir(&self) -> &CertificatesDir {
        &self.certificates_dir
    }

    /// The node name, advertise address and API server URL it settled on, and why.
    pub fn resolution(&self) -> &Resolution {
        &self.resolution
    }

    /// The source configured for `role` (or its default).
    pub fn ca_source(&self, role: CaRole) -> CaSource {
        self.cas
            .get(&role)
            .cloned()
            .unwrap_or_else(|| CaSource::default_for(role))
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
    pub fn plan(&self) -> &[(CertificateName, LeafRequest)] {
        &self.plan
    }

    /// Generates every key and certificate. Key generation and signing run in parallel
    /// on all cores (scoped threads: no pool to keep alive between calls, nothing
    /// global, and the per-item work — an RSA key costs ~0.1 s — dwarfs a thread's start).
    pub fn generate(&self, now: SystemTime) -> Result<ClusterPki> {
        let plan = &self.plan;

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
        let service_account_key =
            sa_key.ok_or_else(|| Error::internal("a service-account key was generated"))?;

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
                keys.remove(role)
                    .ok_or_else(|| Error::internal("a key was generated for every new CA"))
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
                CaSource::Token(uri) => CertificateAuthority::new_root_in_token(
                    &ca_req(),
                    uri,
                    self.key_algorithm,
                    now,
                )?,
                CaSource::External(cert) => CertificateAuthority::external(cert.clone())?,
                CaSource::SameAs(other) => {
                    shared.insert(*role, *other);
                    continue;
                }
            };
            cas.insert(*role, ca);
        }
        for (role, other) in &shared {
            let ca = cas
                .get(other)
                .cloned()
                .ok_or_else(|| Error::internal("a shared CA's role has a CA of its own"))?;
            cas.insert(*role, ca);
        }

        // 4. The leaves: issued in parallel, or supplied and verified.
        let jobs: Vec<(usize, Option<PrivateKey>)> =
            (0..plan.len()).map(|i| (i, leaf_keys.remove(&i))).collect();
        let certificates = parallel_map(jobs, |(i, key)| {
            let (name, req) = &plan[i];
            let ca = cas
                .get(&name.ca_role())
                .ok_or_else(|| Error::internal("every role has a CA"))?;
            match key {
                Some(key) => {
                    let certificate = ca.issue(req, key.public_key(), now)?;
                    Ok((name.clone(), CertifiedKey::issued(certificate, key)))
                }
                None => {
                    let supplied =
                        self.supplied
                            .get(name)
                            .ok_or_else(|| Error::CaKeyUnavailable {
                                ca: ca.common_name().to_owned(),
                                needed: CaKeyNeeded::Supply {
                                    name: name.to_string(),
                                },
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
            .ok_or_else(|| Error::internal("the kubernetes role has a CA"))?;
        let mut kubeconfigs = Vec::new();
        for ((name, ck), (_, req)) in certificates.iter().zip(plan.iter()) {
            let Some(file) = name.kubeconfig_file() else {
                continue;
            };
            let server = match name {
                // kubeadm points these two at the local API server.
                CertificateName::ControllerManager | CertificateName::Scheduler => {
                    self.network.local_apiserver_url()
                }
                _ => self.network.apiserver_url(),
            };
            // The certificate's CN (issued from `req`, or checked against it if supplied).
            let user = req.identity.common_name();
            let kc = Kubeconfig::with_client_certificate(
                self.cluster_name.as_str(),
                &server,
                &server_ca_pem,
                user,
                ck.certificate(),
                ck.key(),
            );
            kubeconfigs.push((file, kc));
        }

        let mut role_ca = |role: CaRole| {
            cas.remove(&role)
                .ok_or_else(|| Error::internal("every role has a CA"))
        };
        let cas = [
            role_ca(CaRole::Kubernetes)?,
            role_ca(CaRole::Etcd)?,
            role_ca(CaRole::FrontProxy)?,
            role_ca(CaRole::Client)?,
            role_ca(CaRole::Kubelet)?,
        ];
        Ok(ClusterPki {
            cas,
            certificates,
            service_account_key,
            kubeconfigs,
            certificates_dir: self.certificates_dir.clone(),
        })
    }
}

/// The requests of every certificate for these settings, in file order.
fn plan(
    n: &ClusterNetwork,
    compat: Compatibility,
    leaf_validity: Duration,
    workers: &[NodeName],
    kube_proxy: bool,
) -> Vec<(CertificateName, LeafRequest)> {
    let node = n.node_name();
    let req = |identity: Identity, profile: CertificateProfile, sans: SubjectAltNames| {
        LeafRequest::new(identity, profile)
            .with_sans(sans)
            .with_validity(leaf_validity)
            .with_compatibility(compat)
    };
    let none = SubjectAltNames::new;
    use CertificateProfile::{Client, Server, ServerAndClient};
    let mut plan = vec![
        (
            CertificateName::ApiServer,
            req(Identity::kube_apiserver(), Server, n.apiserver_sans(compat)),
        ),
        (
            CertificateName::ApiServerKubeletClient,
            req(Identity::apiserver_kubelet_client(compat), Client, none()),
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
            req(Identity::etcd_healthcheck_client(compat), Client, none()),
        ),
        (
            CertificateName::ApiServerEtcdClient,
            req(Identity::apiserver_etcd_client(compat), Client, none()),
        ),
        (
            CertificateName::Admin,
            req(Identity::admin(compat), Client, none()),
        ),
    ];
    if compat == Compatibility::Current {
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
    if kube_proxy {
        plan.push((
            CertificateName::KubeProxy,
            req(Identity::kube_proxy(), Client, none()),
        ));
    }
    for w in workers {
        plan.push((
            CertificateName::WorkerKubeletClient(w.clone()),
            req(Identity::node(w), Client, none()),
        ));
        let mut sans = SubjectAltNames::new();
        sans.push_dns(DnsName::from(w));
        plan.push((
            CertificateName::WorkerKubeletServing(w.clone()),
            req(Identity::node(w), Server, sans),
        ));
    }
    plan
}

fn check_supplied(
    name: &CertificateName,
    req: &LeafRequest,
    supplied: &CertifiedKey,
    ca: &CertificateAuthority,
    now: SystemTime,
) -> Result<()> {
    ca.verify_issued(supplied.certificate(), now)?;
    let info = supplied.certificate().info()?;
    let bad = |problem| Error::InvalidSuppliedCertificate {
        what: name.to_string(),
        problem,
    };
    if info.subject_common_name.as_deref() != Some(req.identity.common_name()) {
        return Err(bad(SuppliedProblem::CommonName {
            found: info.subject_common_name.unwrap_or_default(),
            expected: req.identity.common_name().to_owned(),
        }));
    }
    if info.organizations != req.identity.organizations() {
        return Err(bad(SuppliedProblem::Organizations {
            found: info.organizations,
            expected: req.identity.organizations().to_vec(),
        }));
    }
    for d in req.sans.dns_names() {
        if !info.dns_names.iter().any(|x| x == d.as_str()) {
            return Err(bad(SuppliedProblem::LacksDnsName {
                name: d.to_string(),
            }));
        }
    }
    for ip in req.sans.ip_addresses() {
        if !info.ip_addresses.contains(ip) {
            return Err(bad(SuppliedProblem::LacksIpAddress { ip: *ip }));
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
        return Err(Error::internal("every worker thread ran to the end"));
    }
    results.into_iter().map(|(_, r)| r).collect()
}

/// A generated cluster PKI, in memory.
#[derive(Clone, Debug)]
pub struct ClusterPki {
    /// One per role, in [`CaRole::ALL`] order.
    cas: [CertificateAuthority; 5],
    certificates: Vec<(CertificateName, CertifiedKey)>,
    service_account_key: PrivateKey,
    kubeconfigs: Vec<(String, Kubeconfig)>,
    certificates_dir: CertificatesDir,
}

impl ClusterPki {
    /// The CA of `role` (a shared CA answers for every role it serves).
    pub fn ca(&self, role: CaRole) -> &CertificateAuthority {
        let [kubernetes, etcd, front_proxy, client, kubelet] = &self.cas;
        match role {
            CaRole::Kubernetes => kubernetes,
            CaRole::Etcd => etcd,
            CaRole::FrontProxy => front_proxy,
            CaRole::Client => client,
            CaRole::Kubelet => kubelet,
        }
    }

    /// Every role with its CA (shared CAs appear under each role).
    pub fn cas(&self) -> impl Iterator<Item = (CaRole, &CertificateAuthority)> {
        CaRole::ALL.into_iter().zip(self.cas.iter())
    }

    /// The certificate `name`, with its key.
    pub fn certificate(&self, name: &CertificateName) -> Option<&CertifiedKey> {
        self.certificates
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
    }

    /// The certificate named `name` as text (`apiserver`, `etcd/server`, `admin.conf`,
    /// `nodes/w1`, ...), or `None` when this PKI has no such certificate.
    pub fn find(&self, name: &str) -> Option<&CertifiedKey> {
        self.certificate(&name.parse().ok()?)
    }

    /// As [`ClusterPki::find`], with a name this PKI lacks an
    /// [`Error::UnknownCertificate`] listing the names it has.
    pub fn named(&self, name: &str) -> Result<&CertifiedKey> {
        self.find(name).ok_or_else(|| Error::UnknownCertificate {
            name: name.to_owned(),
            available: self
                .certificates
                .iter()
                .map(|(n, _)| n.to_string())
                .collect(),
        })
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

    /// Where its certificates go under the kubeadm root (the spec's).
    pub fn certificates_dir(&self) -> &CertificatesDir {
        &self.certificates_dir
    }
}

/// What a caller asks for: every setting optional; [`ClusterSpecBuilder::build`] fills
/// in the rest and checks the whole.
///
/// Precedence, the same for every door: a setting given here beats the kubeadm
/// configuration file's ([`ClusterSpecBuilder::kubeadm_config`]), which beats kubeadm's
/// default; extra SANs from both are kept. The node name and advertise address, if
/// neither gives them, come from the host ([`ClusterSpecBuilder::host`]): its name, and
/// the address of its default route's interface (loopback if it has none, said so in
/// [`ClusterSpec::resolution`]).
#[derive(Clone, Debug, Default)]
pub struct ClusterSpecBuilder {
    config: Option<KubeadmConfig>,
    host: Option<HostFacts>,
    node_name: Option<NodeName>,
    advertise_address: Option<IpAddr>,
    bind_port: Option<u16>,
    control_plane_endpoint: Option<Endpoint>,
    service_subnets: Option<Vec<IpCidr>>,
    dns_domain: Option<DnsName>,
    apiserver_extra_sans: SubjectAltNames,
    etcd_server_extra_sans: SubjectAltNames,
    etcd_peer_extra_sans: SubjectAltNames,
    key_algorithm: Option<KeyAlgorithm>,
    compatibility: Option<Compatibility>,
    ca_validity: Option<Duration>,
    leaf_validity: Option<Duration>,
    cluster_name: Option<ClusterName>,
    workers: Vec<NodeName>,
    kube_proxy: bool,
    cas: BTreeMap<CaRole, CaSource>,
    supplied: BTreeMap<String, CertifiedKey>,
    service_account_key: Option<PrivateKey>,
}

impl ClusterSpecBuilder {
    /// A builder with nothing set (kubeadm's defaults).
    pub fn new() -> ClusterSpecBuilder {
        ClusterSpecBuilder::default()
    }

    /// A builder whose node name and advertise address default to this host's
    /// ([`HostFacts::discover`]), as `kubeadm init` takes them.
    pub fn for_this_host() -> ClusterSpecBuilder {
        ClusterSpecBuilder::new().host(HostFacts::discover())
    }

    /// The settings of a kubeadm configuration file, under the ones set here.
    pub fn kubeadm_config(mut self, config: KubeadmConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Where the node name and advertise address come from when nothing names them
    /// (usually [`HostFacts::discover`]).
    pub fn host(mut self, host: HostFacts) -> Self {
        self.host = Some(host);
        self
    }

    /// The control-plane node's name.
    pub fn node_name(mut self, name: NodeName) -> Self {
        self.node_name = Some(name);
        self
    }

    /// The API server's advertise address.
    pub fn advertise_address(mut self, address: IpAddr) -> Self {
        self.advertise_address = Some(address);
        self
    }

    /// The API server's port (default 6443).
    pub fn bind_port(mut self, port: u16) -> Self {
        self.bind_port = Some(port);
        self
    }

    /// The control-plane endpoint.
    pub fn control_plane_endpoint(mut self, endpoint: Endpoint) -> Self {
        self.control_plane_endpoint = Some(endpoint);
        self
    }

    /// The service subnets (one, or one per family).
    pub fn service_subnets(mut self, subnets: Vec<IpCidr>) -> Self {
        self.service_subnets = Some(subnets);
        self
    }

    /// The DNS domain.
    pub fn dns_domain(mut self, domain: DnsName) -> Self {
        self.dns_domain = Some(domain);
        self
    }

    /// Extra API server SANs (added to the configuration file's).
    pub fn apiserver_extra_sans(mut self, sans: SubjectAltNames) -> Self {
        self.apiserver_extra_sans.extend(&sans);
        self
    }

    /// Extra etcd server SANs (added to the configuration file's).
    pub fn etcd_server_extra_sans(mut self, sans: SubjectAltNames) -> Self {
        self.etcd_server_extra_sans.extend(&sans);
        self
    }

    /// Extra etcd peer SANs (added to the configuration file's).
    pub fn etcd_peer_extra_sans(mut self, sans: SubjectAltNames) -> Self {
        self.etcd_peer_extra_sans.extend(&sans);
        self
    }

    /// The key algorithm.
    pub fn key_algorithm(mut self, alg: KeyAlgorithm) -> Self {
        self.key_algorithm = Some(alg);
        self
    }

    /// The kubeadm profile.
    pub fn compatibility(mut self, compat: Compatibility) -> Self {
        self.compatibility = Some(compat);
        self
    }

    /// CA validity (at least 10 minutes).
    pub fn ca_validity(mut self, validity: Duration) -> Self {
        self.ca_validity = Some(validity);
        self
    }

    /// Leaf validity (at least 10 minutes).
    pub fn leaf_validity(mut self, validity: Duration) -> Self {
        self.leaf_validity = Some(validity);
        self
    }

    /// Cluster name in kubeconfigs.
    pub fn cluster_name(mut self, name: ClusterName) -> Self {
        self.cluster_name = Some(name);
        self
    }

    /// The worker nodes (each at most once).
    pub fn workers(mut self, workers: Vec<NodeName>) -> Self {
        self.workers = workers;
        self
    }

    /// One more worker node.
    pub fn worker(mut self, worker: NodeName) -> Self {
        self.workers.push(worker);
        self
    }

    /// Also issue kube-proxy.conf.
    pub fn kube_proxy(mut self, yes: bool) -> Self {
        self.kube_proxy = yes;
        self
    }

    /// Where `role`'s CA comes from.
    pub fn ca(mut self, role: CaRole, source: CaSource) -> Self {
        self.cas.insert(role, source);
        self
    }

    /// A CA whose key is in a PKCS#11 token ([`CaSource::Token`]), as `--ca-key` gives it.
    pub fn ca_key(self, key: CaKeyUri) -> Self {
        self.ca(key.role, CaSource::Token(key.uri))
    }

    /// A certificate the caller supplies, by name (`apiserver`, `admin.conf`, ...): needed
    /// for the roles whose CA is external.
    pub fn supplied(mut self, name: &str, certified: CertifiedKey) -> Self {
        self.supplied.insert(name.to_owned(), certified);
        self
    }

    /// An existing service-account key to keep (a new one is generated otherwise).
    pub fn service_account_key(mut self, key: PrivateKey) -> Self {
        self.service_account_key = Some(key);
        self
    }

    /// Makes every choice and checks the whole: the spec, or what is wrong with it.
    pub fn build(self) -> Result<ClusterSpec> {
        // With a configuration file and no host to fall back on, a missing node name or
        // address is the file's missing field (as kubeadm reports it).
        let from_file = self.config.is_some() && self.host.is_none();
        let cfg = self.config.unwrap_or_default();
        let host = self.host;
        let missing = |field: &str| Error::KubeadmConfig {
            file: cfg.file.clone(),
            field: field.to_owned(),
            problem: ConfigProblem::Missing,
        };

        let (node_name, node_name_origin) = match (self.node_name, cfg.node_name.clone()) {
            (Some(n), _) => (n, Provenance::Given),
            (None, Some(n)) => (n, Provenance::Config),
            (None, None) if from_file => return Err(missing(NODE_NAME_FIELD)),
            (None, None) => {
                let host = host.as_ref().ok_or(Error::InvalidSpec {
                    problem: SpecProblem::NodeNameRequired,
                })?;
                let hostname = host.hostname.clone();
                let node = hostname
                    .as_deref()
                    .and_then(|h| NodeName::new(h).ok())
                    .ok_or(Error::InvalidSpec {
                        problem: SpecProblem::NoNodeName { hostname },
                    })?;
                (node, Provenance::Hostname)
            }
        };
        let (advertise_address, advertise_address_origin) =
            match (self.advertise_address, cfg.advertise_address) {
                (Some(a), _) => (a, Provenance::Given),
                (None, Some(a)) => (a, Provenance::Config),
                (None, None) if from_file => return Err(missing(ADVERTISE_ADDRESS_FIELD)),
                (None, None) => {
                    let host = host.as_ref().ok_or(Error::InvalidSpec {
                        problem: SpecProblem::AdvertiseAddressRequired,
                    })?;
                    match &host.default_route {
                        Some(r) if reachable(r.address) => (
                            r.address,
                            Provenance::DefaultRoute {
                                interface: r.interface.clone(),
                            },
                        ),
                        _ => (IpAddr::V4(Ipv4Addr::LOCALHOST), Provenance::Loopback),
                    }
                }
            };

        let mut apiserver_extra_sans = cfg.apiserver_cert_sans.clone();
        apiserver_extra_sans.extend(&self.apiserver_extra_sans);
        let mut etcd_server_extra_sans = cfg.etcd_server_cert_sans.clone();
        etcd_server_extra_sans.extend(&self.etcd_server_extra_sans);
        let mut etcd_peer_extra_sans = cfg.etcd_peer_cert_sans.clone();
        etcd_peer_extra_sans.extend(&self.etcd_peer_extra_sans);

        let mut network = ClusterNetwork::new(node_name.clone(), advertise_address)
            .with_control_plane_endpoint(self.control_plane_endpoint.or(cfg.control_plane_endpoint))
            .with_apiserver_extra_sans(apiserver_extra_sans)
            .with_etcd_server_extra_sans(etcd_server_extra_sans)
            .with_etcd_peer_extra_sans(etcd_peer_extra_sans);
        if let Some(p) = self.bind_port.or(cfg.bind_port) {
            network = network.with_bind_port(p)?;
        }
        if let Some(s) = self.service_subnets.or(cfg.service_subnets) {
            network = network.with_service_subnets(s)?;
        }
        if let Some(d) = self.dns_domain.or(cfg.dns_domain) {
            network = network.with_dns_domain(d)?;
        }

        let compatibility = self.compatibility.unwrap_or_default();
        let ca_validity = self
            .ca_validity
            .or(cfg.ca_validity)
            .unwrap_or(DEFAULT_CA_VALIDITY);
        let leaf_validity = self
            .leaf_validity
            .or(cfg.leaf_validity)
            .unwrap_or(DEFAULT_LEAF_VALIDITY);
        for v in [leaf_validity, ca_validity] {
            if v < Duration::from_secs(600) {
                return Err(Error::InvalidValidity {
                    problem: ValidityProblem::TooShort {
                        what: "a validity period of",
                        seconds: v.as_secs(),
                    },
                });
            }
        }
        let source = |role: CaRole| {
            self.cas
                .get(&role)
                .cloned()
                .unwrap_or_else(|| CaSource::default_for(role))
        };
        for role in CaRole::ALL {
            if let CaSource::SameAs(other) = source(role)
                && (other == role || matches!(source(other), CaSource::SameAs(_)))
            {
                return Err(Error::InvalidSpec {
                    problem: SpecProblem::SharedCaNotOwned { role, other },
                });
            }
        }
        let mut seen = BTreeSet::new();
        for w in &self.workers {
            if !seen.insert(w) {
                return Err(Error::InvalidSpec {
                    problem: SpecProblem::DuplicateWorker {
                        node: w.to_string(),
                    },
                });
            }
        }

        let plan = plan(
            &network,
            compatibility,
            leaf_validity,
            &self.workers,
            self.kube_proxy,
        );
        let mut supplied = BTreeMap::new();
        for (name, ck) in self.supplied {
            let known = name
                .parse::<CertificateName>()
                .ok()
                .filter(|n| plan.iter().any(|(p, _)| p == n))
                .ok_or_else(|| Error::InvalidSpec {
                    problem: SpecProblem::NotInPlan { name: name.clone() },
                })?;
            supplied.insert(known, ck);
        }
        let resolution = Resolution {
            node_name: node_name.clone(),
            node_name_origin,
            advertise_address,
            advertise_address_origin,
            apiserver_url: network.apiserver_url(),
        };
        Ok(ClusterSpec {
            network,
            key_algorithm: self.key_algorithm.or(cfg.key_algorithm).unwrap_or_default(),
            compatibility,
            ca_validity,
            leaf_validity,
            cluster_name: self.cluster_name.or(cfg.cluster_name).unwrap_or_default(),
            workers: self.workers,
            kube_proxy: self.kube_proxy,
            cas: self.cas,
            supplied,
            service_account_key: self.service_account_key,
            certificates_dir: cfg.certificates_dir.unwrap_or_default(),
            resolution,
            plan: plan.into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::DefaultRoute;

    fn host(name: &str, address: Option<&str>) -> HostFacts {
        HostFacts {
            hostname: Some(name.to_owned()),
            default_route: address.map(|a| DefaultRoute {
                interface: "eth0".into(),
                address: a.parse().unwrap(),
            }),
        }
    }

    #[test]
    fn settings_beat_the_config_which_beats_the_host() {
        let cfg = KubeadmConfig::from_yaml(
            "apiVersion: kubeadm.k8s.io/v1beta4\nkind: InitConfiguration\nnodeRegistration:\n  name: cfg-node\n---\napiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\ncertificatesDir: /etc/kubernetes/certs\napiServer:\n  certSANs: [from-config.example]\n",
        )
        .unwrap();
        let spec = ClusterSpecBuilder::new()
            .kubeadm_config(cfg.clone())
            .host(host("myhost", Some("10.1.2.3")))
            .apiserver_extra_sans(SubjectAltNames::parse(["from-flag.example"]).unwrap())
            .build()
            .unwrap();
        let r = spec.resolution();
        assert_eq!(r.node_name.as_str(), "cfg-node");
        assert_eq!(r.node_name_origin, Provenance::Config);
        assert_eq!(r.advertise_address.to_string(), "10.1.2.3");
        assert!(r.to_string().contains("eth0"), "{r}");
        let sans = spec.network().apiserver_extra_sans();
        assert_eq!(sans.len(), 2);
        assert_eq!(
            spec.certificates_dir().as_path(),
            std::path::Path::new("certs")
        );

        let spec = ClusterSpecBuilder::new()
            .kubeadm_config(cfg)
            .node_name(NodeName::new("given").unwrap())
            .advertise_address("192.0.2.1".parse().unwrap())
            .build()
            .unwrap();
        assert_eq!(spec.resolution().node_name.as_str(), "given");
        assert_eq!(
            spec.resolution().advertise_address_origin,
            Provenance::Given
        );
    }

    #[test]
    fn without_a_default_route_the_address_is_loopback_and_it_says_so() {
        let spec = ClusterSpecBuilder::new()
            .host(host("lonely", None))
            .build()
            .unwrap();
        let r = spec.resolution();
        assert_eq!(r.advertise_address_origin, Provenance::Loopback);
        assert!(r.to_string().contains("no default route"), "{r}");
    }

    #[test]
    fn an_invalid_hostname_is_not_silently_replaced() {
        let err = ClusterSpecBuilder::new()
            .host(host("My_Host", Some("10.0.0.1")))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("My_Host"), "{err}");
        assert_eq!(err.setting(), Some(crate::error::Setting::NodeName));
        let err = ClusterSpecBuilder::new()
            .node_name(NodeName::new("n").unwrap())
            .build()
            .unwrap_err();
        assert_eq!(err.setting(), Some(crate::error::Setting::AdvertiseAddress));
    }

    #[test]
    fn inconsistent_specs_are_refused_at_build() {
        let b = || ClusterSpec::builder(NodeName::new("n").unwrap(), "10.0.0.1".parse().unwrap());
        let w = NodeName::new("w").unwrap();
        let err = b().worker(w.clone()).worker(w).build().unwrap_err();
        assert!(err.to_string().contains("twice"), "{err}");
        let err = b()
            .ca(CaRole::Etcd, CaSource::SameAs(CaRole::Client))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("client"), "{err}");
        let err = b()
            .leaf_validity(Duration::from_secs(60))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains("600 s"), "{err}");
    }
}
