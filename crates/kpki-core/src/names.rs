//! The shared vocabulary, the ground floor every module may stand on: which kubeadm to
//! reproduce ([`Compatibility`]), the CAs of a cluster ([`CaRole`]), the key algorithms
//! ([`KeyAlgorithm`]) and the groups Kubernetes gives meaning to. Plain values: how they
//! are read from text (with the errors that lists the choices) is `choices.rs`, one
//! floor up, so that nothing here depends on the error type.

use std::fmt;

/// The group every kubelet belongs to.
pub const NODES_GROUP: &str = "system:nodes";

/// The group Kubernetes binds to cluster-admin with no RBAC object to revoke it.
pub const MASTERS_GROUP: &str = "system:masters";

/// The group kubeadm ≥ 1.29 binds to cluster-admin through a ClusterRoleBinding.
pub const KUBEADM_CLUSTER_ADMINS_GROUP: &str = "kubeadm:cluster-admins";

/// Which kubeadm's output to reproduce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
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
    /// Every profile.
    pub const ALL: [Compatibility; 2] = [Compatibility::Current, Compatibility::Kubeadm128];

    /// The name: `current` or `kubeadm-1.28`.
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

    /// The role's name: `kubernetes`, `etcd`, `front-proxy`, `client`, `kubelet`.
    pub fn name(self) -> &'static str {
        match self {
            CaRole::Kubernetes => "kubernetes",
            CaRole::Etcd => "etcd",
            CaRole::FrontProxy => "front-proxy",
            CaRole::Client => "client",
            CaRole::Kubelet => "kubelet",
        }
    }

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

    /// The name `kubeadm certs check-expiration` gives the role's CA (`ca`, `etcd-ca`,
    /// `front-proxy-ca`; kpki's own `client-ca`, `kubelet-ca`).
    pub fn kubeadm_name(self) -> &'static str {
        match self {
            CaRole::Kubernetes => "ca",
            CaRole::Etcd => "etcd-ca",
            CaRole::FrontProxy => "front-proxy-ca",
            CaRole::Client => "client-ca",
            CaRole::Kubelet => "kubelet-ca",
        }
    }

    /// The role whose CA this one uses unless configured otherwise (client and kubelet
    /// certificates come from the cluster CA, as kubeadm issues them).
    pub fn shares_by_default(self) -> Option<CaRole> {
        match self {
            CaRole::Client | CaRole::Kubelet => Some(CaRole::Kubernetes),
            CaRole::Kubernetes | CaRole::Etcd | CaRole::FrontProxy => None,
        }
    }
}

impl fmt::Display for CaRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The key algorithms kpki generates and loads (kubeadm's `encryptionAlgorithm`,
/// plus Ed25519).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum KeyAlgorithm {
    /// RSA with a 2048-bit modulus, signing with PKCS#1 v1.5 SHA-256 (kubeadm's default).
    #[default]
    Rsa2048,
    /// RSA with a 3072-bit modulus.
    Rsa3072,
    /// RSA with a 4096-bit modulus.
    Rsa4096,
    /// ECDSA on P-256, signing with SHA-256.
    EcdsaP256,
    /// ECDSA on P-384, signing with SHA-384.
    EcdsaP384,
    /// Ed25519 (not offered by kubeadm; Kubernetes accepts it for X.509 but not for
    /// service-account tokens).
    Ed25519,
}

impl KeyAlgorithm {
    /// Every algorithm, in the order of the CLI's choices.
    pub const ALL: [KeyAlgorithm; 6] = [
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::EcdsaP384,
        KeyAlgorithm::Ed25519,
    ];

    /// The name used on the command line and in the bindings (`rsa-2048`, `ecdsa-p256`, ...).
    pub fn name(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 => "rsa-2048",
            KeyAlgorithm::Rsa3072 => "rsa-3072",
            KeyAlgorithm::Rsa4096 => "rsa-4096",
            KeyAlgorithm::EcdsaP256 => "ecdsa-p256",
            KeyAlgorithm::EcdsaP384 => "ecdsa-p384",
            KeyAlgorithm::Ed25519 => "ed25519",
        }
    }

    /// Whether this is an RSA algorithm (keyEncipherment only makes sense for those).
    pub fn is_rsa(self) -> bool {
        matches!(
            self,
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096
        )
    }

    /// kubeadm's `encryptionAlgorithm` value for this algorithm, if kubeadm has one.
    pub fn kubeadm_name(self) -> Option<&'static str> {
        match self {
            KeyAlgorithm::Rsa2048 => Some("RSA-2048"),
            KeyAlgorithm::Rsa3072 => Some("RSA-3072"),
            KeyAlgorithm::Rsa4096 => Some("RSA-4096"),
            KeyAlgorithm::EcdsaP256 => Some("ECDSA-P256"),
            KeyAlgorithm::EcdsaP384 => Some("ECDSA-P384"),
            KeyAlgorithm::Ed25519 => None,
        }
    }

    /// Parses kubeadm's `encryptionAlgorithm` spelling (`RSA-2048`, `ECDSA-P256`, ...,
    /// and `ECDSA` which kubeadm treats as P-256).
    pub fn from_kubeadm_name(value: &str) -> Option<KeyAlgorithm> {
        match value {
            "RSA-2048" => Some(KeyAlgorithm::Rsa2048),
            "RSA-3072" => Some(KeyAlgorithm::Rsa3072),
            "RSA-4096" => Some(KeyAlgorithm::Rsa4096),
            "ECDSA-P256" | "ECDSA" => Some(KeyAlgorithm::EcdsaP256),
            "ECDSA-P384" => Some(KeyAlgorithm::EcdsaP384),
            _ => None,
        }
    }

    /// The X.509 signature algorithm a key of this kind signs with, as its usual name
    /// (`sha256WithRSAEncryption`, `ecdsa-with-SHA256`, `ecdsa-with-SHA384`, `ED25519`).
    pub fn signature_algorithm_name(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                "sha256WithRSAEncryption"
            }
            KeyAlgorithm::EcdsaP256 => "ecdsa-with-SHA256",
            KeyAlgorithm::EcdsaP384 => "ecdsa-with-SHA384",
            KeyAlgorithm::Ed25519 => "ED25519",
        }
    }

    /// The algorithm of an RSA key of `bits`, if kpki supports that size.
    pub(crate) fn from_rsa_bits(bits: usize) -> Option<KeyAlgorithm> {
        match bits {
            2048 => Some(KeyAlgorithm::Rsa2048),
            3072 => Some(KeyAlgorithm::Rsa3072),
            4096 => Some(KeyAlgorithm::Rsa4096),
            _ => None,
        }
    }
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
