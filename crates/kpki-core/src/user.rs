//! User certificates with a ready kubeconfig (Kismatic's `certificates generate alice
//! --organizations dev,ops`, `kubeadm kubeconfig user --client-name alice`).
//!
//! A user certificate is a CSR signed under the `kubernetes.io/kube-apiserver-client`
//! policy, so it obeys the same rules as any other client certificate — in particular
//! a user in `system:masters` (or another privileged group) is refused unless the
//! request explicitly allows that group.
//!
//! ```
//! use std::time::SystemTime;
//! use kpki_core::{
//!     CaRequest, CertificateAuthority, KeyAlgorithm, KubeconfigCluster, PrivateKey, UserRequest,
//! };
//!
//! # fn main() -> Result<(), kpki_core::Error> {
//! let now = SystemTime::now();
//! let ca = CertificateAuthority::new_root(&CaRequest::new("kubernetes"),
//!     PrivateKey::generate(KeyAlgorithm::EcdsaP256)?, now)?;
//! let cluster =
//!     KubeconfigCluster::new(None, "https://10.0.0.10:6443", Some(ca.chain_pem().as_str()))?;
//! let mut req = UserRequest::new("alice", ["dev", "ops"])?;
//! req.key_algorithm = KeyAlgorithm::EcdsaP256;
//! let alice = ca.issue_user(&req, &cluster, now)?;
//! assert_eq!(alice.kubeconfig.current_context, "alice@kubernetes");
//! assert_eq!(alice.certificate.info()?.organizations, ["dev", "ops"]);
//!
//! let admin = UserRequest::new("root", ["system:masters"])?;
//! assert!(ca.issue_user(&admin, &cluster, now).is_err()); // unless explicitly allowed
//! # Ok(())
//! # }
//! ```

use std::time::{Duration, SystemTime};

use crate::ca::CertificateAuthority;
use crate::certificate::Certificate;
use crate::csr::Csr;
use crate::error::{Error, Result, ValidityProblem};
use crate::identity::Identity;
use crate::key::PrivateKey;
use crate::kubeconfig::{Cluster, Kubeconfig};
use crate::names::KeyAlgorithm;
use crate::policy::{DEFAULT_MAX_VALIDITY, MIN_EXPIRATION_SECONDS, SignerPolicy, SigningRequest};
use crate::san::SubjectAltNames;

/// A user to issue credentials for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRequest {
    /// The user (CN) and groups (O).
    pub identity: Identity,
    /// How long the certificate is valid. `None`: a year, ending with the CA if the CA
    /// ends sooner; `Some`: exactly this (refused if it would outlive the CA).
    pub validity: Option<Duration>,
    /// The key's algorithm (kubeadm's default: RSA-2048).
    pub key_algorithm: KeyAlgorithm,
    /// Privileged groups (`system:masters`) this request explicitly asks for.
    pub allowed_privileged_groups: Vec<String>,
}

impl UserRequest {
    /// User `name` in `groups`, a year, RSA-2048, no privileged group allowed.
    pub fn new<I, S>(name: impl Into<String>, groups: I) -> Result<UserRequest>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Ok(UserRequest {
            identity: Identity::user(name, groups)?,
            validity: None,
            key_algorithm: KeyAlgorithm::Rsa2048,
            allowed_privileged_groups: Vec::new(),
        })
    }
}

/// A user's certificate, key and kubeconfig.
#[derive(Clone, Debug)]
pub struct UserCredentials {
    /// The client certificate.
    pub certificate: Certificate,
    /// Its private key.
    pub key: PrivateKey,
    /// A kubeconfig with the cluster, the embedded credentials and the context
    /// `<user>@<cluster>` selected.
    pub kubeconfig: Kubeconfig,
}

impl CertificateAuthority {
    /// Issues a user certificate (through the `kube-apiserver-client` policy) and a
    /// kubeconfig for `cluster` (its name, server and the CA bundle clients trust for
    /// the server).
    pub fn issue_user(
        &self,
        req: &UserRequest,
        cluster: &Cluster,
        now: SystemTime,
    ) -> Result<UserCredentials> {
        let mut policy = SignerPolicy::kube_apiserver_client();
        for g in &req.allowed_privileged_groups {
            policy = policy.allowing_privileged_group(g.clone());
        }
        let expiration_seconds = match req.validity {
            None => None,
            Some(v) => {
                if v.as_secs() < MIN_EXPIRATION_SECONDS.unsigned_abs() {
                    return Err(Error::InvalidValidity {
                        problem: ValidityProblem::TooShort {
                            what: "a user certificate valid for",
                            seconds: v.as_secs(),
                        },
                    });
                }
                policy.max_validity = v;
                Some(i64::try_from(v.as_secs()).unwrap_or(i64::MAX))
            }
        };
        if expiration_seconds.is_none() {
            policy.max_validity = DEFAULT_MAX_VALIDITY;
        }
        let key = PrivateKey::generate(req.key_algorithm)?;
        let csr = Csr::generate(&req.identity, &SubjectAltNames::new(), &key)?;
        let request =
            SigningRequest::new(policy.default_usages(req.key_algorithm), expiration_seconds);
        let certificate = self.sign_csr(&csr, &policy, &request, now)?;
        let ca_pem = cluster
            .certificate_authority_data
            .as_deref()
            .and_then(|d| std::str::from_utf8(d).ok())
            .map_or_else(|| self.chain_pem(), str::to_owned);
        let mut kubeconfig = Kubeconfig::with_client_certificate(
            &cluster.name,
            &cluster.server,
            &ca_pem,
            req.identity.common_name(),
            &certificate,
            &key,
        );
        if let Some(c) = kubeconfig.clusters.first_mut() {
            c.certificate_authority = cluster.certificate_authority.clone();
            c.tls_server_name = cluster.tls_server_name.clone();
            if cluster.certificate_authority_data.is_none()
                && cluster.certificate_authority.is_some()
            {
                c.certificate_authority_data = None;
            }
        }
        Ok(UserCredentials {
            certificate,
            key,
            kubeconfig,
        })
    }
}
