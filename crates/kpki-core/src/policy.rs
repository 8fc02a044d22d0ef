//! Signing under a policy: who may get what signed.
//!
//! A [`CertificateAuthority`] signs a [`Csr`] only through a [`SignerPolicy`]
//! ([`CertificateAuthority::sign_csr`]). The built-in policies are the three Kubernetes
//! signers, with the rules and the error strings of kube-controller-manager
//! (`pkg/apis/certificates/helpers.go`, `pkg/controller/certificates/signer`):
//!
//! | signer | rules |
//! |---|---|
//! | `kubernetes.io/kube-apiserver-client` | usages ⊆ {digital signature, key encipherment, client auth}, client auth required |
//! | `kubernetes.io/kube-apiserver-client-kubelet` | O exactly `system:nodes`; no DNS, email, IP or URI SANs; CN `system:node:…`; usages exactly {digital signature, (key encipherment,) client auth} |
//! | `kubernetes.io/kubelet-serving` | O exactly `system:nodes`; a DNS or IP SAN; no email or URI SANs; usages exactly {digital signature, (key encipherment,) server auth}; CN `system:node:…` |
//!
//! A [`CustomRules`] policy (loadable from YAML or JSON) allows a CN pattern, groups,
//! DNS name patterns, IP ranges, usages and a maximum validity.
//!
//! On top of any signer's rules kpki always refuses: `system:masters` and any group the
//! caller marks privileged (unless the policy explicitly allows it: a certificate in
//! `system:masters` is cluster-admin until it expires, with no revocation); a request
//! for `basicConstraints CA:TRUE` or for `keyCertSign`/`cRLSign` (the signer sets
//! extensions itself and never copies them from the CSR); SANs other than DNS and IP;
//! subject attributes other than CN and O. Validity follows kube-controller-manager:
//! `expirationSeconds` below 600 is refused, a longer one is clamped to the policy's
//! maximum, notBefore is backdated 5 minutes, and nothing outlives the CA.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::ca::{BACKDATE, CertificateAuthority, LeafRequest, NotBefore};
use crate::certificate::Certificate;
use crate::cluster::CaRole;
use crate::csr::{Csr, RequestedSan};
use crate::error::{Error, Result};
use crate::identity::{Identity, MASTERS_GROUP, NODE_USER_PREFIX, NODES_GROUP};
use crate::inspect::human_time;
use crate::key::KeyAlgorithm;
use crate::profile::{CertificateProfile, ExtendedKeyUsage, KeyUsage};
use crate::san::{DnsName, IpCidr, SubjectAltNames};

/// `kubernetes.io/kube-apiserver-client`.
pub const KUBE_APISERVER_CLIENT: &str = "kubernetes.io/kube-apiserver-client";
/// `kubernetes.io/kube-apiserver-client-kubelet`.
pub const KUBE_APISERVER_CLIENT_KUBELET: &str = "kubernetes.io/kube-apiserver-client-kubelet";
/// `kubernetes.io/kubelet-serving`.
pub const KUBELET_SERVING: &str = "kubernetes.io/kubelet-serving";

/// The shortest `expirationSeconds` the Kubernetes API accepts (twice the backdate).
pub const MIN_EXPIRATION_SECONDS: i64 = 600;
/// kube-controller-manager's default `--cluster-signing-duration` (8760h).
pub const DEFAULT_MAX_VALIDITY: Duration = Duration::from_secs(8760 * 3600);
/// kube-controller-manager does not backdate notAfter of certificates shorter than this.
const SHORT_CERTIFICATE: Duration = Duration::from_secs(8 * 3600);

/// A key usage as the `certificates.k8s.io` API names it (`spec.usages`).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Usage {
    /// `signing` (keyUsage digitalSignature).
    Signing,
    /// `digital signature`.
    DigitalSignature,
    /// `content commitment`.
    ContentCommitment,
    /// `key encipherment`.
    KeyEncipherment,
    /// `key agreement`.
    KeyAgreement,
    /// `data encipherment`.
    DataEncipherment,
    /// `cert sign` (never granted by kpki from a CSR).
    CertSign,
    /// `crl sign` (never granted by kpki from a CSR).
    CrlSign,
    /// `encipher only`.
    EncipherOnly,
    /// `decipher only`.
    DecipherOnly,
    /// `any` (anyExtendedKeyUsage).
    Any,
    /// `server auth`.
    ServerAuth,
    /// `client auth`.
    ClientAuth,
    /// `code signing`.
    CodeSigning,
    /// `email protection`.
    EmailProtection,
    /// `s/mime` (emailProtection).
    SMime,
    /// `ipsec end system`.
    IpsecEndSystem,
    /// `ipsec tunnel`.
    IpsecTunnel,
    /// `ipsec user`.
    IpsecUser,
    /// `timestamping`.
    Timestamping,
    /// `ocsp signing`.
    OcspSigning,
    /// `microsoft sgc`.
    MicrosoftSgc,
    /// `netscape sgc`.
    NetscapeSgc,
}

const USAGE_NAMES: &str = "\"any\", \"cert sign\", \"client auth\", \"code signing\", \"content commitment\", \"crl sign\", \"data encipherment\", \"decipher only\", \"digital signature\", \"email protection\", \"encipher only\", \"ipsec end system\", \"ipsec tunnel\", \"ipsec user\", \"key agreement\", \"key encipherment\", \"microsoft sgc\", \"netscape sgc\", \"ocsp signing\", \"s/mime\", \"server auth\", \"signing\", \"timestamping\"";

impl Usage {
    /// Every usage the API knows.
    pub const ALL: [Usage; 23] = [
        Usage::Signing,
        Usage::DigitalSignature,
        Usage::ContentCommitment,
        Usage::KeyEncipherment,
        Usage::KeyAgreement,
        Usage::DataEncipherment,
        Usage::CertSign,
        Usage::CrlSign,
        Usage::EncipherOnly,
        Usage::DecipherOnly,
        Usage::Any,
        Usage::ServerAuth,
        Usage::ClientAuth,
        Usage::CodeSigning,
        Usage::EmailProtection,
        Usage::SMime,
        Usage::IpsecEndSystem,
        Usage::IpsecTunnel,
        Usage::IpsecUser,
        Usage::Timestamping,
        Usage::OcspSigning,
        Usage::MicrosoftSgc,
        Usage::NetscapeSgc,
    ];

    /// The API's spelling (`digital signature`, `client auth`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Usage::Signing => "signing",
            Usage::DigitalSignature => "digital signature",
            Usage::ContentCommitment => "content commitment",
            Usage::KeyEncipherment => "key encipherment",
            Usage::KeyAgreement => "key agreement",
            Usage::DataEncipherment => "data encipherment",
            Usage::CertSign => "cert sign",
            Usage::CrlSign => "crl sign",
            Usage::EncipherOnly => "encipher only",
            Usage::DecipherOnly => "decipher only",
            Usage::Any => "any",
            Usage::ServerAuth => "server auth",
            Usage::ClientAuth => "client auth",
            Usage::CodeSigning => "code signing",
            Usage::EmailProtection => "email protection",
            Usage::SMime => "s/mime",
            Usage::IpsecEndSystem => "ipsec end system",
            Usage::IpsecTunnel => "ipsec tunnel",
            Usage::IpsecUser => "ipsec user",
            Usage::Timestamping => "timestamping",
            Usage::OcspSigning => "ocsp signing",
            Usage::MicrosoftSgc => "microsoft sgc",
            Usage::NetscapeSgc => "netscape sgc",
        }
    }

    /// The keyUsage bit this usage sets, if it is one.
    pub fn key_usage(self) -> Option<KeyUsage> {
        Some(match self {
            Usage::Signing | Usage::DigitalSignature => KeyUsage::DigitalSignature,
            Usage::ContentCommitment => KeyUsage::ContentCommitment,
            Usage::KeyEncipherment => KeyUsage::KeyEncipherment,
            Usage::KeyAgreement => KeyUsage::KeyAgreement,
            Usage::DataEncipherment => KeyUsage::DataEncipherment,
            Usage::CertSign => KeyUsage::KeyCertSign,
            Usage::CrlSign => KeyUsage::CrlSign,
            Usage::EncipherOnly => KeyUsage::EncipherOnly,
            Usage::DecipherOnly => KeyUsage::DecipherOnly,
            _ => return None,
        })
    }

    /// The extended key usage this usage sets, if it is one, with Go's `ExtKeyUsage`
    /// order number (the order kube-controller-manager writes them in).
    fn extended(self) -> Option<(u8, ExtendedKeyUsage)> {
        let other = |s: &str| ExtendedKeyUsage::Other(s.to_owned());
        Some(match self {
            Usage::Any => (0, other("2.5.29.37.0")),
            Usage::ServerAuth => (1, ExtendedKeyUsage::ServerAuth),
            Usage::ClientAuth => (2, ExtendedKeyUsage::ClientAuth),
            Usage::CodeSigning => (3, other("1.3.6.1.5.5.7.3.3")),
            Usage::EmailProtection | Usage::SMime => (4, other("1.3.6.1.5.5.7.3.4")),
            Usage::IpsecEndSystem => (5, other("1.3.6.1.5.5.7.3.5")),
            Usage::IpsecTunnel => (6, other("1.3.6.1.5.5.7.3.6")),
            Usage::IpsecUser => (7, other("1.3.6.1.5.5.7.3.7")),
            Usage::Timestamping => (8, other("1.3.6.1.5.5.7.3.8")),
            Usage::OcspSigning => (9, other("1.3.6.1.5.5.7.3.9")),
            Usage::MicrosoftSgc => (10, other("1.3.6.1.4.1.311.10.3.3")),
            Usage::NetscapeSgc => (11, other("2.16.840.1.113730.4.1")),
            _ => return None,
        })
    }

    /// The extended key usage this usage sets, if it is one.
    pub fn extended_key_usage(self) -> Option<ExtendedKeyUsage> {
        self.extended().map(|(_, e)| e)
    }

    fn from_key_usage(ku: KeyUsage) -> Usage {
        match ku {
            KeyUsage::DigitalSignature => Usage::DigitalSignature,
            KeyUsage::ContentCommitment => Usage::ContentCommitment,
            KeyUsage::KeyEncipherment => Usage::KeyEncipherment,
            KeyUsage::DataEncipherment => Usage::DataEncipherment,
            KeyUsage::KeyAgreement => Usage::KeyAgreement,
            KeyUsage::KeyCertSign => Usage::CertSign,
            KeyUsage::CrlSign => Usage::CrlSign,
            KeyUsage::EncipherOnly => Usage::EncipherOnly,
            KeyUsage::DecipherOnly => Usage::DecipherOnly,
        }
    }

    fn from_extended_key_usage(eku: &ExtendedKeyUsage) -> Option<Usage> {
        Usage::ALL
            .into_iter()
            .filter(|u| *u != Usage::SMime)
            .find(|u| u.extended_key_usage().as_ref() == Some(eku))
    }

    /// Parses a list of usage names, naming the index of a bad one as the API does
    /// (`spec.usages[2]`), refusing an empty list and duplicates.
    pub fn parse_list<S: AsRef<str>>(names: &[S]) -> Result<Vec<Usage>> {
        let mut out = Vec::with_capacity(names.len());
        for (i, n) in names.iter().enumerate() {
            let u = n
                .as_ref()
                .parse::<Usage>()
                .map_err(|_| Error::InvalidSigningRequest {
                    field: format!("spec.usages[{i}]"),
                    value: format!("{:?}", n.as_ref()),
                    reason: format!("Unsupported value; supported values: {USAGE_NAMES}"),
                })?;
            out.push(u);
        }
        check_usage_list(&out)?;
        Ok(out)
    }
}

/// The API's own checks on `spec.usages`: present, no duplicates.
pub(crate) fn check_usage_list(usages: &[Usage]) -> Result<()> {
    if usages.is_empty() {
        return Err(Error::InvalidSigningRequest {
            field: "spec.usages".into(),
            value: "[]".into(),
            reason: "usages must be provided".into(),
        });
    }
    for (i, u) in usages.iter().enumerate() {
        if usages[..i].contains(u) {
            return Err(Error::InvalidSigningRequest {
                field: format!("spec.usages[{i}]"),
                value: format!("{:?}", u.name()),
                reason: "Duplicate value".into(),
            });
        }
    }
    Ok(())
}

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Usage {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Usage::ALL
            .into_iter()
            .find(|u| u.name() == s)
            .ok_or_else(|| Error::UnknownChoice {
                field: "usage",
                value: s.to_owned(),
                expected: USAGE_NAMES,
            })
    }
}

/// What is asked of a signer besides the CSR itself: the `spec` fields of a
/// CertificateSigningRequest object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SigningRequest {
    /// The requested usages (`spec.usages`). Empty: derived from the CSR's requested
    /// keyUsage/extendedKeyUsage extensions, or else the signer's defaults
    /// ([`SigningRequest::for_csr`]).
    pub usages: Vec<Usage>,
    /// The requested validity in seconds (`spec.expirationSeconds`); `None`: the
    /// policy's maximum.
    pub expiration_seconds: Option<i64>,
}

impl SigningRequest {
    /// A request for `usages` and, optionally, a validity.
    pub fn new(usages: Vec<Usage>, expiration_seconds: Option<i64>) -> SigningRequest {
        SigningRequest {
            usages,
            expiration_seconds,
        }
    }

    /// The usages a bare CSR (no API object around it) asks for: those of its requested
    /// keyUsage and extendedKeyUsage extensions if it has either, else `policy`'s
    /// defaults for its key. An extended key usage the API has no name for is refused.
    pub fn for_csr(
        csr: &Csr,
        policy: &SignerPolicy,
        expiration_seconds: Option<i64>,
    ) -> Result<SigningRequest> {
        let ext = &csr.info().extensions;
        let usages = if ext.key_usages.is_none() && ext.extended_key_usages.is_none() {
            policy.default_usages(csr.public_key().algorithm())
        } else {
            let mut v: Vec<Usage> = Vec::new();
            for ku in ext.key_usages.iter().flatten() {
                v.push(Usage::from_key_usage(*ku));
            }
            for eku in ext.extended_key_usages.iter().flatten() {
                let u = Usage::from_extended_key_usage(eku).ok_or_else(|| {
                    policy.refuse(format!(
                        "the CSR requests extended key usage {} which has no certificates.k8s.io usage name",
                        eku.kubernetes_name()
                    ))
                })?;
                v.push(u);
            }
            v.dedup();
            v
        };
        Ok(SigningRequest {
            usages,
            expiration_seconds,
        })
    }
}

/// A shell-style pattern: `*` matches any run of characters except `.` and `*`;
/// everything else matches itself. `*` therefore never spans DNS labels
/// (`*.ci.example.com` matches `a.ci.example.com`, not `a.b.ci.example.com`), and a
/// wildcard DNS name in a CSR is never matched by a pattern.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pattern(String);

impl Pattern {
    /// A pattern (any string is one).
    pub fn new(pattern: impl Into<String>) -> Pattern {
        Pattern(pattern.into())
    }

    /// The pattern's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &str) -> bool {
        glob(self.0.as_bytes(), value.as_bytes())
    }
}

fn glob(p: &[u8], v: &[u8]) -> bool {
    // Iterative matcher with one backtrack point per star (linear enough: patterns are
    // short and `*` cannot cross '.').
    let (mut pi, mut vi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, vi));
            pi += 1;
        } else if pi < p.len() && p[pi] == v[vi] && v[vi] != b'*' {
            pi += 1;
            vi += 1;
        } else if let Some((sp, sv)) = star {
            if v[sv] == b'.' || v[sv] == b'*' {
                return false;
            }
            pi = sp + 1;
            vi = sv + 1;
            star = Some((sp, sv + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The rules of a signer of your own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomRules {
    /// The CN must match this.
    pub common_name: Pattern,
    /// Each O (group) must match one of these (none: no groups allowed).
    pub groups: Vec<Pattern>,
    /// Each DNS SAN must match one of these (none: no DNS SANs allowed).
    pub dns_names: Vec<Pattern>,
    /// Each IP SAN must lie in one of these (none: no IP SANs allowed).
    pub ip_ranges: Vec<IpCidr>,
    /// The usages a request may ask for (and gets when it names none).
    pub usages: Vec<Usage>,
}

/// Which rules a signer applies.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerRules {
    /// `kubernetes.io/kube-apiserver-client`.
    KubeApiserverClient,
    /// `kubernetes.io/kube-apiserver-client-kubelet`.
    KubeletClient,
    /// `kubernetes.io/kubelet-serving`.
    KubeletServing,
    /// A signer of your own.
    Custom(CustomRules),
}

/// A signer's policy: its name, its rules, the longest validity it grants, and which
/// groups are privileged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerPolicy {
    /// The signer name (`spec.signerName`).
    pub signer_name: String,
    /// The rules.
    pub rules: SignerRules,
    /// The longest validity granted (kube-controller-manager's
    /// `--cluster-signing-duration`, default 8760h); longer requests are clamped.
    pub max_validity: Duration,
    /// Groups refused unless listed in `allowed_privileged_groups`
    /// (default: `system:masters`).
    pub privileged_groups: Vec<String>,
    /// Privileged groups this policy explicitly grants.
    pub allowed_privileged_groups: Vec<String>,
}

impl SignerPolicy {
    fn with_rules(signer_name: &str, rules: SignerRules) -> SignerPolicy {
        SignerPolicy {
            signer_name: signer_name.to_owned(),
            rules,
            max_validity: DEFAULT_MAX_VALIDITY,
            privileged_groups: vec![MASTERS_GROUP.to_owned()],
            allowed_privileged_groups: Vec::new(),
        }
    }

    /// `kubernetes.io/kube-apiserver-client`: client certificates for users and
    /// components.
    pub fn kube_apiserver_client() -> SignerPolicy {
        SignerPolicy::with_rules(KUBE_APISERVER_CLIENT, SignerRules::KubeApiserverClient)
    }

    /// `kubernetes.io/kube-apiserver-client-kubelet`: kubelet client certificates.
    pub fn kubelet_client() -> SignerPolicy {
        SignerPolicy::with_rules(KUBE_APISERVER_CLIENT_KUBELET, SignerRules::KubeletClient)
    }

    /// `kubernetes.io/kubelet-serving`: kubelet serving certificates.
    pub fn kubelet_serving() -> SignerPolicy {
        SignerPolicy::with_rules(KUBELET_SERVING, SignerRules::KubeletServing)
    }

    /// A built-in signer by name.
    pub fn builtin(signer_name: &str) -> Result<SignerPolicy> {
        match signer_name {
            KUBE_APISERVER_CLIENT => Ok(SignerPolicy::kube_apiserver_client()),
            KUBE_APISERVER_CLIENT_KUBELET => Ok(SignerPolicy::kubelet_client()),
            KUBELET_SERVING => Ok(SignerPolicy::kubelet_serving()),
            other => Err(Error::UnknownChoice {
                field: "signer",
                value: other.to_owned(),
                expected: "kubernetes.io/kube-apiserver-client, kubernetes.io/kube-apiserver-client-kubelet, kubernetes.io/kubelet-serving (or a policy file for any other signer)",
            }),
        }
    }

    /// A signer of your own named `signer_name` (`example.com/ci`).
    pub fn custom(signer_name: &str, rules: CustomRules) -> Result<SignerPolicy> {
        check_signer_name(signer_name).map_err(|reason| Error::InvalidPolicy {
            what: "signer policy".into(),
            reason: format!("signerName {signer_name:?} {reason}"),
        })?;
        if signer_name.starts_with("kubernetes.io/") {
            return Err(Error::InvalidPolicy {
                what: "signer policy".into(),
                reason: format!(
                    "signerName {signer_name:?}: kubernetes.io signers have fixed rules; use another domain for custom rules"
                ),
            });
        }
        if rules.usages.is_empty() {
            return Err(Error::InvalidPolicy {
                what: "signer policy".into(),
                reason: "usages: at least one usage must be allowed".into(),
            });
        }
        if let Some(u) = rules
            .usages
            .iter()
            .find(|u| matches!(u, Usage::CertSign | Usage::CrlSign))
        {
            return Err(Error::InvalidPolicy {
                what: "signer policy".into(),
                reason: format!(
                    "usages: {:?} is for CAs; kpki never grants it from a CSR",
                    u.name()
                ),
            });
        }
        Ok(SignerPolicy::with_rules(
            signer_name,
            SignerRules::Custom(rules),
        ))
    }

    /// Sets the longest validity granted.
    pub fn with_max_validity(mut self, max: Duration) -> SignerPolicy {
        self.max_validity = max;
        self
    }

    /// Marks `group` privileged: refused unless allowed.
    pub fn with_privileged_group(mut self, group: impl Into<String>) -> SignerPolicy {
        let g = group.into();
        if !self.privileged_groups.contains(&g) {
            self.privileged_groups.push(g);
        }
        self
    }

    /// Explicitly allows the privileged `group` (e.g. a break-glass `system:masters`
    /// certificate).
    pub fn allowing_privileged_group(mut self, group: impl Into<String>) -> SignerPolicy {
        let g = group.into();
        if !self.allowed_privileged_groups.contains(&g) {
            self.allowed_privileged_groups.push(g);
        }
        self
    }

    /// The CA roles that sign for this signer, preferred first: a separate client CA
    /// for the client signers, a separate kubelet CA for kubelet-serving, then the
    /// cluster CA (what kube-controller-manager's per-signer CA flags map to).
    pub fn ca_roles(&self) -> &'static [CaRole] {
        match self.rules {
            SignerRules::KubeApiserverClient | SignerRules::KubeletClient => {
                &[CaRole::Client, CaRole::Kubernetes]
            }
            SignerRules::KubeletServing => &[CaRole::Kubelet, CaRole::Kubernetes],
            SignerRules::Custom(_) => &[CaRole::Kubernetes],
        }
    }

    /// The usages a request gets when it names none, for a key of `algorithm`
    /// (key encipherment only for RSA keys).
    pub fn default_usages(&self, algorithm: KeyAlgorithm) -> Vec<Usage> {
        let rsa = algorithm.is_rsa();
        let base = |last: Usage| {
            let mut v = vec![Usage::DigitalSignature];
            if rsa {
                v.push(Usage::KeyEncipherment);
            }
            v.push(last);
            v
        };
        match &self.rules {
            SignerRules::KubeApiserverClient | SignerRules::KubeletClient => {
                base(Usage::ClientAuth)
            }
            SignerRules::KubeletServing => base(Usage::ServerAuth),
            SignerRules::Custom(c) => c
                .usages
                .iter()
                .copied()
                .filter(|u| rsa || *u != Usage::KeyEncipherment)
                .collect(),
        }
    }

    fn refuse(&self, reason: impl Into<String>) -> Error {
        Error::PolicyRefused {
            signer: self.signer_name.clone(),
            reason: reason.into(),
        }
    }

    /// Decides whether `csr` may be signed as `request` asks, and if so what exactly
    /// to issue: the subject and DNS/IP SANs of the CSR, the requested usages (nothing
    /// else from the CSR), and the validity (notBefore backdated 5 minutes). Pure: no
    /// CA and no clock needed; [`CertificateAuthority::sign_csr`] adds the CA's limits.
    pub fn check(&self, csr: &Csr, request: &SigningRequest) -> Result<LeafRequest> {
        // The API server's own validation comes first.
        let ttl = self.validity_for(request.expiration_seconds)?;
        check_usage_list(&request.usages)?;

        let info = csr.info();
        let usage_set: BTreeSet<&'static str> = request.usages.iter().map(|u| u.name()).collect();
        // The signer's rules, in kube-controller-manager's order and words.
        match &self.rules {
            SignerRules::KubeApiserverClient => {
                let mut has_client_auth = false;
                for u in &request.usages {
                    match u {
                        Usage::DigitalSignature | Usage::KeyEncipherment => {}
                        Usage::ClientAuth => has_client_auth = true,
                        other => {
                            return Err(self
                                .refuse(format!("invalid usage for client certificate: {other}")));
                        }
                    }
                }
                if !has_client_auth {
                    return Err(
                        self.refuse("missing required usage for client certificate: client auth")
                    );
                }
            }
            SignerRules::KubeletClient => {
                self.check_nodes_group(info.organizations.as_slice())?;
                for (kind, label) in [
                    ("dns", "DNS"),
                    ("email", "Email"),
                    ("ip", "IP"),
                    ("uri", "URI"),
                ] {
                    if info.sans.iter().any(|s| san_kind(s) == kind) {
                        return Err(self.refuse(format!("{label} subjectAltNames are not allowed")));
                    }
                }
                self.check_node_common_name(info.common_names.as_slice())?;
                self.check_exact_usages(&usage_set, Usage::ClientAuth)?;
            }
            SignerRules::KubeletServing => {
                self.check_nodes_group(info.organizations.as_slice())?;
                if info.dns_names().next().is_none() && info.ip_addresses().next().is_none() {
                    return Err(self.refuse("DNS or IP subjectAltName is required"));
                }
                if info.email_addresses().next().is_some() {
                    return Err(self.refuse("Email subjectAltNames are not allowed"));
                }
                if info.uris().next().is_some() {
                    return Err(self.refuse("URI subjectAltNames are not allowed"));
                }
                self.check_exact_usages(&usage_set, Usage::ServerAuth)?;
                self.check_node_common_name(info.common_names.as_slice())?;
            }
            SignerRules::Custom(rules) => self.check_custom(rules, csr, request)?,
        }

        // kpki's own rules, for every signer.
        if let Some(bc) = info.extensions.basic_constraints
            && bc.ca
        {
            return Err(self.refuse(
                "the CSR requests basicConstraints CA:TRUE; a signer never issues a CA certificate from a CSR",
            ));
        }
        if let Some(ku) = info.extensions.key_usages.as_ref().and_then(|ku| {
            ku.iter()
                .find(|k| matches!(k, KeyUsage::KeyCertSign | KeyUsage::CrlSign))
        }) {
            return Err(self.refuse(format!(
                "the CSR requests keyUsage {}; a signer never issues a CA certificate from a CSR",
                ku.kubernetes_name()
            )));
        }
        if let Some(u) = request
            .usages
            .iter()
            .find(|u| matches!(u, Usage::CertSign | Usage::CrlSign))
        {
            return Err(self.refuse(format!(
                "usage {:?} is for CAs; a signer never grants it from a CSR",
                u.name()
            )));
        }
        let common_name = match info.common_names.as_slice() {
            [cn] => cn,
            [] => return Err(self.refuse("the CSR subject has no common name")),
            many => {
                return Err(self.refuse(format!(
                    "the CSR subject has {} common names; exactly one is allowed",
                    many.len()
                )));
            }
        };
        if !info.other_subject_attributes.is_empty() {
            return Err(self.refuse(format!(
                "the CSR subject has attributes other than CN and O ({}); kpki issues CN and O only",
                info.other_subject_attributes.join(", ")
            )));
        }
        for group in &info.organizations {
            if self.privileged_groups.contains(group)
                && !self.allowed_privileged_groups.contains(group)
            {
                return Err(self.refuse(format!(
                    "group {group:?} is privileged{}; the policy must allow it explicitly",
                    if group == MASTERS_GROUP {
                        " (cluster-admin that no RBAC change can revoke)"
                    } else {
                        ""
                    }
                )));
            }
        }
        let mut sans = SubjectAltNames::new();
        for san in &info.sans {
            match san {
                RequestedSan::Dns(d) => sans.push_dns(DnsName::new(d.clone())?),
                RequestedSan::Ip(ip) => sans.push_ip(*ip),
                RequestedSan::Email(_) => {
                    return Err(self.refuse(
                        "Email subjectAltNames are not allowed (kpki issues DNS and IP SANs only)",
                    ));
                }
                RequestedSan::Uri(_) => {
                    return Err(self.refuse(
                        "URI subjectAltNames are not allowed (kpki issues DNS and IP SANs only)",
                    ));
                }
                RequestedSan::Other(kind) => {
                    return Err(self.refuse(format!(
                        "{kind} subjectAltNames are not allowed (kpki issues DNS and IP SANs only)"
                    )));
                }
            }
        }
        let identity = Identity::new(common_name.clone(), info.organizations.iter().cloned())?;

        // The signer sets usages itself, from the request.
        let mut key_usages: Vec<KeyUsage> = request
            .usages
            .iter()
            .filter_map(|u| u.key_usage())
            .collect();
        key_usages.sort();
        key_usages.dedup();
        let mut ekus: Vec<(u8, ExtendedKeyUsage)> =
            request.usages.iter().filter_map(|u| u.extended()).collect();
        ekus.sort_by_key(|(n, _)| *n);
        ekus.dedup_by_key(|(n, _)| *n);
        let server = ekus.iter().any(|(_, e)| *e == ExtendedKeyUsage::ServerAuth);
        let client = ekus.iter().any(|(_, e)| *e == ExtendedKeyUsage::ClientAuth);
        let profile = match (server, client) {
            (true, true) => CertificateProfile::ServerAndClient,
            (true, false) => CertificateProfile::Server,
            _ => CertificateProfile::Client,
        };
        // kube-controller-manager: notBefore = now - 5m; notAfter = now + ttl, minus
        // the backdate too unless the certificate is short (< 8h).
        let validity = if ttl < SHORT_CERTIFICATE {
            ttl
        } else {
            ttl - BACKDATE
        };
        let mut leaf = LeafRequest::new(identity, profile)
            .with_sans(sans)
            .with_validity(validity)
            .with_usages(key_usages, ekus.into_iter().map(|(_, e)| e).collect());
        leaf.not_before = NotBefore::Backdated(BACKDATE);
        Ok(leaf)
    }

    fn validity_for(&self, expiration_seconds: Option<i64>) -> Result<Duration> {
        match expiration_seconds {
            None => Ok(self.max_validity),
            Some(s) if s < MIN_EXPIRATION_SECONDS => Err(Error::InvalidSigningRequest {
                field: "spec.expirationSeconds".into(),
                value: s.to_string(),
                reason: "may not specify a duration less than 600 seconds (10 minutes)".into(),
            }),
            Some(s) => Ok(Duration::from_secs(s.unsigned_abs()).min(self.max_validity)),
        }
    }

    fn check_nodes_group(&self, organizations: &[String]) -> Result<()> {
        if organizations != [NODES_GROUP] {
            return Err(self.refuse("subject organization is not system:nodes"));
        }
        Ok(())
    }

    fn check_node_common_name(&self, common_names: &[String]) -> Result<()> {
        // Go reads the last CN of a subject.
        let cn = common_names.last().map(String::as_str).unwrap_or("");
        if !cn.starts_with(NODE_USER_PREFIX) {
            return Err(self.refuse("subject common name does not begin with system:node:"));
        }
        Ok(())
    }

    fn check_exact_usages(&self, usages: &BTreeSet<&'static str>, auth: Usage) -> Result<()> {
        let with_rsa: BTreeSet<&str> = [
            Usage::DigitalSignature.name(),
            Usage::KeyEncipherment.name(),
            auth.name(),
        ]
        .into();
        let without: BTreeSet<&str> = [Usage::DigitalSignature.name(), auth.name()].into();
        if *usages != with_rsa && *usages != without {
            // Go's sets.String.List() is sorted, printed with %v.
            return Err(self.refuse(format!(
                "usages did not match [{}]",
                with_rsa.into_iter().collect::<Vec<_>>().join(" ")
            )));
        }
        Ok(())
    }

    fn check_custom(&self, rules: &CustomRules, csr: &Csr, request: &SigningRequest) -> Result<()> {
        let info = csr.info();
        for cn in &info.common_names {
            if !rules.common_name.matches(cn) {
                return Err(self.refuse(format!(
                    "common name {cn:?} does not match the allowed pattern {:?}",
                    rules.common_name.as_str()
                )));
            }
        }
        for group in &info.organizations {
            // A privileged group is judged by the privileged-group rule, not here.
            if self.allowed_privileged_groups.contains(group) {
                continue;
            }
            if !rules.groups.iter().any(|p| p.matches(group)) {
                return Err(self.refuse(format!(
                    "group {group:?} is not allowed (allowed: {})",
                    list(rules.groups.iter().map(Pattern::as_str))
                )));
            }
        }
        for san in &info.sans {
            match san {
                RequestedSan::Dns(d) if !rules.dns_names.iter().any(|p| p.matches(d)) => {
                    return Err(self.refuse(format!(
                        "DNS name {d:?} is not allowed (allowed: {})",
                        list(rules.dns_names.iter().map(Pattern::as_str))
                    )));
                }
                RequestedSan::Ip(ip) if !rules.ip_ranges.iter().any(|r| cidr_contains(r, *ip)) => {
                    let ranges: Vec<String> =
                        rules.ip_ranges.iter().map(ToString::to_string).collect();
                    return Err(self.refuse(format!(
                        "IP address {ip} is not allowed (allowed: {})",
                        list(ranges.iter().map(String::as_str))
                    )));
                }
                _ => {} // allowed, or (email, URI) refused for every signer below
            }
        }
        for u in &request.usages {
            if !rules.usages.contains(u) {
                return Err(self.refuse(format!(
                    "usage {:?} is not allowed (allowed: {})",
                    u.name(),
                    list(rules.usages.iter().map(|u| u.name()))
                )));
            }
        }
        Ok(())
    }

    /// Reads a policy file (YAML or JSON; JSON is YAML). The format:
    ///
    /// ```yaml
    /// signerName: example.com/ci          # required; a kubernetes.io name selects a built-in
    /// commonName: "ci-*"                  # custom signers: CN pattern (required)
    /// groups: ["ci", "team-*"]            # allowed O values (default: none)
    /// dnsNames: ["*.ci.example.com"]      # allowed DNS SAN patterns (default: none)
    /// ipAddresses: ["10.0.0.0/8"]         # allowed IP SAN ranges (default: none)
    /// usages: [digital signature, client auth]   # allowed usages (required)
    /// maxValidity: 24h                    # Go duration (default 8760h)
    /// privilegedGroups: ["ops:admins"]    # refused like system:masters
    /// allowPrivilegedGroups: []           # explicitly granted privileged groups
    /// ```
    ///
    /// `*` in a pattern matches any run of characters other than `.`.
    pub fn from_yaml(text: &str, what: &str) -> Result<SignerPolicy> {
        let file: PolicyFile = serde_saphyr::from_str(text).map_err(|e| Error::InvalidPolicy {
            what: what.to_owned(),
            reason: e.to_string(),
        })?;
        file.into_policy(what)
    }

    /// Reads a policy file in JSON (same fields as [`SignerPolicy::from_yaml`]).
    pub fn from_json(text: &str, what: &str) -> Result<SignerPolicy> {
        let file: PolicyFile = serde_json::from_str(text).map_err(|e| Error::InvalidPolicy {
            what: what.to_owned(),
            reason: e.to_string(),
        })?;
        file.into_policy(what)
    }
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = items.collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

fn san_kind(s: &RequestedSan) -> &'static str {
    match s {
        RequestedSan::Dns(_) => "dns",
        RequestedSan::Ip(_) => "ip",
        RequestedSan::Email(_) => "email",
        RequestedSan::Uri(_) => "uri",
        RequestedSan::Other(_) => "other",
    }
}

fn cidr_contains(range: &IpCidr, ip: IpAddr) -> bool {
    let prefix = u32::from(range.prefix_len());
    match (range.network(), ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix.min(32))
            };
            u32::from(n) & mask == u32::from(a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix.min(128))
            };
            u128::from(n) & mask == u128::from(a) & mask
        }
        _ => false,
    }
}

/// The signerName format the API enforces: `<domain>/<path>` with a dotted domain.
pub(crate) fn check_signer_name(name: &str) -> std::result::Result<(), String> {
    let Some((domain, path)) = name.split_once('/') else {
        return Err(
            "must be a fully qualified domain and path of the form 'example.com/signer-name'"
                .into(),
        );
    };
    if path.contains('/') || path.is_empty() {
        return Err(
            "must be a fully qualified domain and path of the form 'example.com/signer-name'"
                .into(),
        );
    }
    crate::san::check_dns1123_subdomain(domain)?;
    if !domain.contains('.') {
        return Err("should be a domain with at least two segments separated by dots".into());
    }
    for label in path.split('.') {
        crate::san::check_dns1123_subdomain(label)?;
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PolicyFile {
    signer_name: String,
    #[serde(default)]
    common_name: Option<String>,
    #[serde(default)]
    groups: Option<Vec<String>>,
    #[serde(default)]
    dns_names: Option<Vec<String>>,
    #[serde(default)]
    ip_addresses: Option<Vec<String>>,
    #[serde(default)]
    usages: Option<Vec<String>>,
    #[serde(default)]
    max_validity: Option<String>,
    #[serde(default)]
    privileged_groups: Vec<String>,
    #[serde(default)]
    allow_privileged_groups: Vec<String>,
}

impl PolicyFile {
    fn into_policy(self, what: &str) -> Result<SignerPolicy> {
        let bad = |reason: String| Error::InvalidPolicy {
            what: what.to_owned(),
            reason,
        };
        let custom_fields = self.common_name.is_some()
            || self.groups.is_some()
            || self.dns_names.is_some()
            || self.ip_addresses.is_some()
            || self.usages.is_some();
        let mut policy = if self.signer_name.starts_with("kubernetes.io/") {
            if custom_fields {
                return Err(bad(format!(
                    "signerName {:?}: kubernetes.io signers have fixed rules; commonName, groups, dnsNames, ipAddresses and usages apply to custom signers only",
                    self.signer_name
                )));
            }
            SignerPolicy::builtin(&self.signer_name).map_err(|e| bad(e.to_string()))?
        } else {
            let common_name = self
                .common_name
                .ok_or_else(|| bad("commonName: required for a custom signer".into()))?;
            let usage_names = self
                .usages
                .ok_or_else(|| bad("usages: required for a custom signer".into()))?;
            let usages = usage_names
                .iter()
                .map(|u| u.parse::<Usage>().map_err(|e| bad(format!("usages: {e}"))))
                .collect::<Result<Vec<_>>>()?;
            let ip_ranges = self
                .ip_addresses
                .unwrap_or_default()
                .iter()
                .map(|r| parse_range(r).map_err(|e| bad(format!("ipAddresses: {e}"))))
                .collect::<Result<Vec<_>>>()?;
            let rules = CustomRules {
                common_name: Pattern::new(common_name),
                groups: self
                    .groups
                    .unwrap_or_default()
                    .into_iter()
                    .map(Pattern::new)
                    .collect(),
                dns_names: self
                    .dns_names
                    .unwrap_or_default()
                    .into_iter()
                    .map(Pattern::new)
                    .collect(),
                ip_ranges,
                usages,
            };
            SignerPolicy::custom(&self.signer_name, rules).map_err(|e| match e {
                Error::InvalidPolicy { reason, .. } => bad(reason),
                other => other,
            })?
        };
        if let Some(d) = &self.max_validity {
            let max = crate::kubeadm_config::parse_go_duration(d)
                .ok_or_else(|| bad(format!("maxValidity: {d:?} is not a duration like 24h")))?;
            if max.as_secs() < MIN_EXPIRATION_SECONDS.unsigned_abs() {
                return Err(bad(format!(
                    "maxValidity: {d:?} is shorter than the 600 s the API allows"
                )));
            }
            policy.max_validity = max;
        }
        for g in self.privileged_groups {
            policy = policy.with_privileged_group(g);
        }
        for g in self.allow_privileged_groups {
            policy = policy.allowing_privileged_group(g);
        }
        Ok(policy)
    }
}

/// An IP range: CIDR, or a single address (a /32 or /128).
fn parse_range(s: &str) -> Result<IpCidr> {
    if s.contains('/') {
        s.parse::<IpCidr>()
    } else {
        let ip: IpAddr = s.parse().map_err(|_| Error::InvalidNetwork {
            field: "IP range",
            value: s.to_owned(),
            reason: "not an IP address or CIDR".into(),
        })?;
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        format!("{ip}/{bits}").parse::<IpCidr>()
    }
}

impl CertificateAuthority {
    /// Signs `csr` under `policy` as `request` asks ([`SignerPolicy::check`]), then
    /// applies the CA's limits: a CA that has expired signs nothing, and an explicitly
    /// requested validity that would outlive the CA is refused (without a request the
    /// certificate ends with the CA, as kube-controller-manager does).
    pub fn sign_csr(
        &self,
        csr: &Csr,
        policy: &SignerPolicy,
        request: &SigningRequest,
        now: SystemTime,
    ) -> Result<Certificate> {
        let leaf = policy.check(csr, request)?;
        let not_after = self.not_after();
        if now >= not_after {
            return Err(Error::InvalidValidity {
                reason: format!(
                    "refusing to sign a certificate that expired in the past: NotAfter={} (CA {:?})",
                    human_time(not_after),
                    self.common_name()
                ),
            });
        }
        if request.expiration_seconds.is_some() {
            let ends = now.checked_add(leaf.validity);
            if ends.is_none_or(|t| t > not_after) {
                let left = not_after
                    .duration_since(now)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                return Err(Error::InvalidValidity {
                    reason: format!(
                        "the requested validity of {} s would outlive the CA {:?} (notAfter {}); ask for at most {left} s",
                        leaf.validity.as_secs(),
                        self.common_name(),
                        human_time(not_after),
                    ),
                });
            }
        }
        self.issue(&leaf, csr.public_key(), now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_do_not_span_labels() {
        let p = Pattern::new("*.ci.example.com");
        assert!(p.matches("a.ci.example.com"));
        assert!(!p.matches("a.b.ci.example.com"));
        assert!(!p.matches("*.ci.example.com"));
        assert!(!p.matches("ci.example.com"));
        assert!(Pattern::new("ci-*").matches("ci-runner-7"));
        assert!(Pattern::new("ci-*").matches("ci-"));
        assert!(!Pattern::new("ci-*").matches("xci-1"));
        assert!(Pattern::new("a*b*c").matches("axxbyyc"));
        assert!(!Pattern::new("a*b*c").matches("axxbyy"));
        assert!(Pattern::new("exact").matches("exact"));
    }

    #[test]
    fn usage_names_round_trip() {
        for u in Usage::ALL {
            assert_eq!(u.name().parse::<Usage>().unwrap(), u);
            assert!(USAGE_NAMES.contains(&format!("{:?}", u.name())));
        }
        assert!("server-auth".parse::<Usage>().is_err());
    }

    #[test]
    fn usage_list_errors_name_the_index() {
        let err = Usage::parse_list(&["client auth", "bogus"]).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("spec.usages[1]: Invalid value: \"bogus\""),
            "{err}"
        );
        let err = Usage::parse_list(&["client auth", "client auth"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "spec.usages[1]: Invalid value: \"client auth\": Duplicate value"
        );
        let err = Usage::parse_list::<&str>(&[]).unwrap_err();
        assert!(err.to_string().contains("usages must be provided"), "{err}");
    }

    #[test]
    fn cidr_containment() {
        let r: IpCidr = "10.0.0.0/8".parse().unwrap();
        assert!(cidr_contains(&r, "10.1.2.3".parse().unwrap()));
        assert!(!cidr_contains(&r, "11.0.0.1".parse().unwrap()));
        assert!(!cidr_contains(&r, "::1".parse().unwrap()));
        let one = parse_range("192.0.2.7").unwrap();
        assert!(cidr_contains(&one, "192.0.2.7".parse().unwrap()));
        assert!(!cidr_contains(&one, "192.0.2.8".parse().unwrap()));
        let v6: IpCidr = "fd00::/16".parse().unwrap();
        assert!(cidr_contains(&v6, "fd00:1::1".parse().unwrap()));
    }

    #[test]
    fn signer_names_follow_the_api_format() {
        assert!(check_signer_name("example.com/ci").is_ok());
        assert!(check_signer_name("example.com/ns.name").is_ok());
        assert!(check_signer_name("example/ci").is_err());
        assert!(check_signer_name("example.com").is_err());
        assert!(check_signer_name("example.com/a/b").is_err());
        assert!(check_signer_name("Example.com/ci").is_err());
    }
}
