//! # kpki — a Kubernetes cluster PKI as types
//!
//! kpki models the certificates of a Kubernetes cluster — the CAs, the service-account
//! key pair, and every component's identity — as Rust types, and issues them the way
//! kubeadm does, field for field (`SPEC.md`), fast, from one call.
//!
//! The design in four lines:
//! - **Values first.** [`Identity`], [`SubjectAltNames`], [`ClusterNetwork`],
//!   [`LeafRequest`] are validated values; once you hold one, it is correct. The SAN set
//!   of kube-apiserver is *computed* from the network settings, never typed by hand.
//! - **One place signs.** [`CertificateAuthority::issue`] turns a request and a public
//!   key into a certificate. It does no parsing and no PEM; a CA can sign through any
//!   [`Signer`] (a key that never touches disk).
//! - **Pure core, effects at the edge.** Time (`now`) is an argument; only [`layout`]
//!   touches the filesystem (atomic writes, kubeadm's modes, no silent overwrite).
//! - **Two profiles.** [`Compatibility::Current`] (kubeadm ≥ 1.31) and
//!   [`Compatibility::Kubeadm128`] reproduce the respective kubeadm output.
//!
//! ```
//! use std::time::SystemTime;
//! use kpki_core::{CertificateName, ClusterSpec, KeyAlgorithm, NodeName, SubjectAltNames};
//!
//! # fn main() -> Result<(), kpki_core::Error> {
//! let spec = ClusterSpec::builder(NodeName::new("node01")?, "10.0.0.10".parse().unwrap())
//!     .control_plane_endpoint("cp.example.internal:6443".parse()?)
//!     .apiserver_extra_sans(SubjectAltNames::parse(["extra.example.com", "192.0.2.7"])?)
//!     .key_algorithm(KeyAlgorithm::EcdsaP256)
//!     .build()?;
//! let pki = spec.generate(SystemTime::now())?;
//!
//! let apiserver = pki.certificate(&CertificateName::ApiServer).unwrap().certificate.info()?;
//! assert!(apiserver.dns_names.iter().any(|d| d == "kubernetes.default.svc"));
//! assert!(apiserver.ip_addresses.contains(&"10.96.0.1".parse().unwrap()));
//! let admin = pki.kubeconfig("admin.conf").unwrap();
//! assert_eq!(admin.current_context, "kubernetes-admin@kubernetes");
//!
//! // On disk, kubeadm's layout: KubeadmLayout::new("/etc/kubernetes").write(&pki, false)?
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod ca;
pub mod certificate;
pub mod cluster;
pub mod csr;
pub mod error;
pub mod identity;
pub mod inspect;
pub mod key;
pub mod kube_csr;
pub mod kubeadm_config;
pub mod kubeconfig;
pub mod layout;
mod pem_util;
pub mod policy;
pub mod profile;
pub mod renew;
pub mod san;
pub mod signer;
mod subject;
mod tbs;
pub mod user;

pub use ca::{CaRequest, CertificateAuthority, CertifiedKey, LeafRequest, NotBefore};
pub use certificate::{Certificate, CertificateInfo};
pub use cluster::{
    CaRole, CaSource, CertificateName, ClusterPki, ClusterSpec, ClusterSpecBuilder, Compatibility,
};
pub use csr::{Csr, CsrInfo, RequestedSan};
pub use error::{Error, Result};
pub use identity::{Identity, NodeName};
pub use inspect::{ExpiryEntry, ExpiryReport};
pub use key::{KeyAlgorithm, PrivateKey, PublicKey};
pub use kube_csr::KubeCsr;
pub use kubeadm_config::KubeadmConfig;
pub use kubeconfig::Kubeconfig;
pub use layout::{FileAction, KubeadmLayout, LoadedPki, RenewedCertificate, WriteReport};
pub use policy::{SignerPolicy, SigningRequest, Usage};
pub use profile::{CertificateProfile, ExtendedKeyUsage, KeyUsage};
pub use renew::{KeyChoice, Renewal, trust_bundle};
pub use san::{ClusterNetwork, DnsName, Endpoint, Host, IpCidr, SubjectAltName, SubjectAltNames};
pub use signer::Signer;
pub use user::{UserCredentials, UserRequest};
