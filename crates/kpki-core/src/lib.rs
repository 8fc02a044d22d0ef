//! # kpki — a Kubernetes cluster PKI as types
//!
//! kpki models the certificates of a Kubernetes cluster — the CAs, the service-account
//! key pair, and every component's identity — as Rust types, and issues them the way
//! kubeadm does, field for field (`SPEC.md`), fast, from one call.
//!
//! The design in five lines:
//! - **Values first.** [`Identity`], [`SubjectAltNames`], [`ClusterNetwork`],
//!   [`ClusterSpec`] are validated values: checked once, when made, and never again. The
//!   SAN set of kube-apiserver is *computed* from the network settings, never typed by
//!   hand.
//! - **The core owns every rule.** Defaults, precedence (caller over kubeadm file over
//!   kubeadm's defaults over this host), name lookups, which CA signs for a signer: all
//!   here, so the CLI, Python and C — thin doors that only translate — give the same PKI
//!   from the same inputs.
//! - **One place signs.** [`CertificateAuthority::issue`] turns a request and a public
//!   key into a certificate through one DER writer (leaves, CAs and CSRs share it, and
//!   its one subject encoder). It does no parsing and no PEM; a CA can sign through any
//!   [`Signer`] (a key that never touches disk).
//! - **Pure core, effects at the edge.** Time (`now`) is an argument; only
//!   [`KubeadmLayout`] touches files (atomic writes, kubeadm's modes, no silent
//!   overwrite) and only [`HostFacts::discover`] looks at the machine.
//! - **Errors a caller can act on.** One [`Error`] enum; where the cause matters, an enum
//!   of its own ([`PolicyRule`], [`ConfigProblem`], ...), the file at fault
//!   ([`Error::path`]) and the setting that would change the outcome ([`Error::setting`]).
//!
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use std::time::SystemTime;
//! use kpki_core::{ClusterSpec, KeyAlgorithm, NodeName, SubjectAltNames};
//!
//! # fn main() -> Result<(), kpki_core::Error> {
//! let spec = ClusterSpec::builder(NodeName::new("node01")?, Ipv4Addr::new(10, 0, 0, 10).into())
//!     .control_plane_endpoint("cp.example.internal:6443".parse()?)
//!     .apiserver_extra_sans(SubjectAltNames::parse(["extra.example.com", "192.0.2.7"])?)
//!     .key_algorithm(KeyAlgorithm::EcdsaP256)
//!     .build()?;
//! let pki = spec.generate(SystemTime::now())?;
//!
//! let apiserver = pki.named("apiserver")?.certificate().info()?;
//! assert!(apiserver.dns_names.iter().any(|d| d == "kubernetes.default.svc"));
//! assert!(apiserver.ip_addresses.contains(&IpAddr::V4(Ipv4Addr::new(10, 96, 0, 1))));
//! let admin = pki.kubeconfig("admin.conf").map(|k| k.current_context.as_str());
//! assert_eq!(admin, Some("kubernetes-admin@kubernetes"));
//!
//! // On disk, kubeadm's layout: KubeadmLayout::new("/etc/kubernetes").write(&pki, false)?
//! # Ok(())
//! # }
//! ```
//!
//! The modules are private: every public item has one path, here at the root (rcgen's
//! way), so moving code between modules never breaks a caller.
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

// The modules stand in floors: each imports only from the floors below it (no import
// circle; `farm-studio look` draws it).
// Ground: the vocabulary, DER primitives, the machine — they import nothing of kpki.
mod der;
mod host;
mod names;
// The error, about the vocabulary.
mod error;
// Text, names and times read and checked once.
mod choices;
mod dns;
mod duration;
mod pem;
// Validated values: names of certificates, identities, keys, SANs.
mod certificate_name;
mod files;
mod identity;
mod key;
mod profile;
mod san;
mod subject;
// Certificates as read, and the network a cluster's SANs come from.
mod certificate;
mod network;
// The one DER writer, and signing.
mod ca;
mod csr;
mod signer;
mod tbs;
// Who may get what signed; kubeconfigs and users.
mod kube_csr;
mod kubeconfig;
mod policy;
mod user;
// The whole cluster, from a kubeadm configuration and the caller's settings.
mod cluster;
mod kubeadm_config;
// Directories: load, write, check, renew.
mod inspect;
mod layout;
mod renew;
mod renewal;
mod rotation;

mod pkcs11;
mod tls;

pub use ca::{
    BACKDATE, CaRequest, CertificateAuthority, CertifiedKey, DEFAULT_CA_VALIDITY,
    DEFAULT_LEAF_VALIDITY, LeafRequest, NotBefore,
};
pub use certificate::{Certificate, CertificateInfo};
pub use certificate_name::CertificateName;
pub use cluster::{CaSource, ClusterPki, ClusterSpec, ClusterSpecBuilder, Provenance, Resolution};
pub use csr::{
    CSR_PEM_LABEL, Csr, CsrInfo, RequestedBasicConstraints, RequestedExtensions, RequestedSan,
};
pub use dns::{DnsName, MAX_NAME_BYTES, NODE_USER_PREFIX, NodeName};
pub use duration::{GoDuration, human_duration, human_time, rfc3339};
pub use error::{
    CaKeyNeeded, CertificateProblem, Choice, ConfigProblem, CsrProblem, DnsProblem, Error,
    KeyProblem, KubeconfigProblem, NameField, NameProblem, NetworkField, NetworkProblem,
    NotCaProblem, Origin, PemProblem, Pkcs11Problem, PolicyRule, RenewProblem, RequestProblem,
    Result, RotationProblem, SanKind, Setting, SpecProblem, SuppliedProblem, TlsField,
    TlsFieldProblem, TlsRefusal, ValidityProblem,
};
pub use files::{OutputFile, read_file, write_new_files};
pub use host::{DefaultRoute, HostFacts};
pub use identity::Identity;
pub use inspect::{
    EXPIRATION_INFO_API_VERSION, EXPIRATION_INFO_KIND, ExpiryEntry, ExpiryFormat, ExpiryReport,
};
pub use key::{PrivateKey, PublicKey};
pub use kube_csr::{
    API_VERSION as KUBE_CSR_API_VERSION, APPROVE_REASON, Condition, DENY_REASON,
    KIND as KUBE_CSR_KIND, KubeCsr, KubeCsrDocument,
};
pub use kubeadm_config::{CertificatesDir, KUBEADM_ROOT, KubeadmConfig};
pub use kubeconfig::{
    Cluster as KubeconfigCluster, ClusterName, Context as KubeconfigContext, DEFAULT_CLUSTER_NAME,
    Kubeconfig, User as KubeconfigUser,
};
pub use layout::{
    FileAction, KubeadmLayout, LoadedCertificate, LoadedKubeconfig, LoadedPki, WriteReport,
    WrittenFile,
};
pub use names::{
    CaRole, Compatibility, KUBEADM_CLUSTER_ADMINS_GROUP, KeyAlgorithm, MASTERS_GROUP, NODES_GROUP,
};
pub use network::{ClusterNetwork, DEFAULT_BIND_PORT, DEFAULT_DNS_DOMAIN, DEFAULT_SERVICE_SUBNET};
pub use pem::as_text;
pub use pkcs11::{CaKeyUri, Pkcs11Key, Pkcs11Uri};
pub use policy::{
    CustomRules, DEFAULT_MAX_VALIDITY, KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET,
    KUBELET_SERVING, MIN_EXPIRATION_SECONDS, Pattern, SignerPolicy, SignerRules, SigningRequest,
};
pub use profile::{CertificateProfile, ExtendedKeyUsage, KeyUsage, Usage};
pub use renew::{KeyChoice, Renewal, renewal_request, trust_bundle};
pub use renewal::{
    RenewOptions, RenewReason, RenewReport, RenewTargets, RenewedCa, RenewedCertificate,
    SkippedCertificate,
};
pub use rotation::{
    ROTATABLE_ROLES, RotationPhase, RotationReport, RotationStatus, RotationStep,
    cluster_trust_bundle,
};
pub use san::{Endpoint, Host, IpCidr, SubjectAltName, SubjectAltNames, parse_cidrs, parse_ip};
pub use signer::Signer;
pub use tls::{
    DistinguishedName, GeneralName, NameAttribute, RawExtension, TlsFields, TlsPolicy, TlsRequest,
    tls_self_signed_ca, tls_sign_request,
};
pub use user::{UserCredentials, UserRequest};

/// The repository README's Rust tour, compiled and run as a doctest (so the README
/// cannot drift from the API).
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeTour;
