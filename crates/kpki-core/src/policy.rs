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
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::ca::{BACKDATE, CertificateAuthority, LeafRequest};
use crate::certificate::Certificate;
use crate::csr::{Csr, RequestedSan};
use crate::dns::{DnsName, NODE_USER_PREFIX};
use crate::duration::GoDuration;
use crate::duration::human_time;
use crate::error::{
    Choice, Error, NetworkField, NetworkProblem, Origin, PolicyRule, RequestProblem, Result,
    SanKind, SpecProblem, ValidityProblem,
};
use crate::identity::Identity;
use crate::names::{CaRole, KeyAlgorithm};
use crate::names::{MASTERS_GROUP, NODES_GROUP};
use crate::pem;
use crate::profile::{CertificateProfile, ExtendedKeyUsage, KeyUsage, Usage, check_usage_list};
use crate::san::{IpCidr, SubjectAltNames};

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

    /// `usages` if any are given, else those the CSR asks for
    /// ([`SigningRequest::for_csr`]).
    pub fn choose(
        csr: &Csr,
        policy: &SignerPolicy,
        usages: Vec<Usage>,
        expiration_seconds: Option<i64>,
    ) -> Result<SigningRequest> {
        if usages.is_empty() {
            SigningRequest::for_csr(csr, policy, expiration_seconds)
        } else {
            Ok(SigningRequest::new(usages, expiration_seconds))
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
                    policy.refuse(PolicyRule::UnnamedExtendedKeyUsage {
                        oid: eku.kubernetes_name().to_owned(),
                    })
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
                field: Choice::Signer,
                value: other.to_owned(),
                expected: "kubernetes.io/kube-apiserver-client, kubernetes.io/kube-apiserver-client-kubelet, kubernetes.io/kubelet-serving (or a policy file for any other signer)",
            }),
        }
    }

    /// A signer of your own named `signer_name` (`example.com/ci`).
    pub fn custom(signer_name: &str, rules: CustomRules) -> Result<SignerPolicy> {
        let bad = |field: &'static str, reason: String| Error::InvalidPolicy {
            what: Origin::input("signer policy"),
            field,
            reason,
        };
        check_signer_name(signer_name)
            .map_err(|reason| bad("signerName", format!("{signer_name:?} {reason}")))?;
        if signer_name.starts_with("kubernetes.io/") {
            return Err(bad(
                "signerName",
                format!(
                    "{signer_name:?}: kubernetes.io signers have fixed rules; use another domain for custom rules"
                ),
            ));
        }
        if rules.usages.is_empty() {
            return Err(bad("usages", "at least one usage must be allowed".into()));
        }
        if let Some(u) = rules
            .usages
            .iter()
            .find(|u| matches!(u, Usage::CertSign | Usage::CrlSign))
        {
            return Err(bad(
                "usages",
                format!("{:?} is for CAs; kpki never grants it from a CSR", u.name()),
            ));
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

    /// Explicitly allows each of `groups` (see [`SignerPolicy::allowing_privileged_group`]).
    pub fn allowing_privileged_groups<S: AsRef<str>>(self, groups: &[S]) -> SignerPolicy {
        groups
            .iter()
            .fold(self, |p, g| p.allowing_privileged_group(g.as_ref()))
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

    fn refuse(&self, rule: PolicyRule) -> Error {
        Error::PolicyRefused {
            signer: self.signer_name.clone(),
            rule,
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
                            return Err(self.refuse(PolicyRule::ClientUsage {
                                usage: other.name().to_owned(),
                            }));
                        }
                    }
                }
                if !has_client_auth {
                    return Err(self.refuse(PolicyRule::MissingClientAuth));
                }
            }
            SignerRules::KubeletClient => {
                self.check_nodes_group(info.organizations.as_slice())?;
                for kind in [SanKind::Dns, SanKind::Email, SanKind::Ip, SanKind::Uri] {
                    if info.sans.iter().any(|s| san_kind(s) == Some(kind)) {
                        return Err(self.refuse(PolicyRule::KubeletClientSan { kind }));
                    }
                }
                self.check_node_common_name(info.common_names.as_slice())?;
                self.check_exact_usages(&usage_set, Usage::ClientAuth)?;
            }
            SignerRules::KubeletServing => {
                self.check_nodes_group(info.organizations.as_slice())?;
                if info.dns_names().next().is_none() && info.ip_addresses().next().is_none() {
                    return Err(self.refuse(PolicyRule::DnsOrIpRequired));
                }
                if info.email_addresses().next().is_some() {
                    return Err(self.refuse(PolicyRule::KubeletServingSan {
                        kind: SanKind::Email,
                    }));
                }
                if info.uris().next().is_some() {
                    return Err(self.refuse(PolicyRule::KubeletServingSan { kind: SanKind::Uri }));
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
            return Err(self.refuse(PolicyRule::CaRequested));
        }
        if let Some(ku) = info.extensions.key_usages.as_ref().and_then(|ku| {
            ku.iter()
                .find(|k| matches!(k, KeyUsage::KeyCertSign | KeyUsage::CrlSign))
        }) {
            return Err(self.refuse(PolicyRule::CaKeyUsageRequested {
                usage: ku.kubernetes_name(),
            }));
        }
        if let Some(u) = request
            .usages
            .iter()
            .find(|u| matches!(u, Usage::CertSign | Usage::CrlSign))
        {
            return Err(self.refuse(PolicyRule::CaUsage { usage: u.name() }));
        }
        let common_name = match info.common_names.as_slice() {
            [cn] => cn,
            [] => return Err(self.refuse(PolicyRule::NoCommonName)),
            many => {
                return Err(self.refuse(PolicyRule::SeveralCommonNames { count: many.len() }));
            }
        };
        if !info.other_subject_attributes.is_empty() {
            return Err(self.refuse(PolicyRule::OtherSubjectAttributes {
                attributes: info.other_subject_attributes.clone(),
            }));
        }
        for group in &info.organizations {
            if self.privileged_groups.contains(group)
                && !self.allowed_privileged_groups.contains(group)
            {
                return Err(self.refuse(PolicyRule::PrivilegedGroup {
                    group: group.clone(),
                }));
            }
        }
        let mut sans = SubjectAltNames::new();
        for san in &info.sans {
            match san {
                RequestedSan::Dns(d) => sans.push_dns(DnsName::new(d.clone())?),
                RequestedSan::Ip(ip) => sans.push_ip(*ip),
                RequestedSan::Email(_) => {
                    return Err(self.refuse(PolicyRule::SanKind {
                        kind: "Email".into(),
                    }));
                }
                RequestedSan::Uri(_) => {
                    return Err(self.refuse(PolicyRule::SanKind { kind: "URI".into() }));
                }
                RequestedSan::Other(kind) => {
                    return Err(self.refuse(PolicyRule::SanKind { kind: kind.clone() }));
                }
            }
        }
        let identity = Identity::new(common_name.clone(), info.organizations.iter().cloned())?;

        // The signer sets usages itself, from the request.
        let (key_usages, ekus) = Usage::split(&request.usages);
        let server = ekus.contains(&ExtendedKeyUsage::ServerAuth);
        let client = ekus.contains(&ExtendedKeyUsage::ClientAuth);
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
        Ok(LeafRequest::new(identity, profile)
            .with_sans(sans)
            .with_validity(validity)
            .with_usages(key_usages, ekus)
            .with_backdate(BACKDATE))
    }

    fn validity_for(&self, expiration_seconds: Option<i64>) -> Result<Duration> {
        match expiration_seconds {
            None => Ok(self.max_validity),
            Some(s) if s < MIN_EXPIRATION_SECONDS => Err(Error::InvalidSigningRequest {
                field: "spec.expirationSeconds".into(),
                value: s.to_string(),
                problem: RequestProblem::TooShort,
            }),
            Some(s) => Ok(Duration::from_secs(s.unsigned_abs()).min(self.max_validity)),
        }
    }

    fn check_nodes_group(&self, organizations: &[String]) -> Result<()> {
        if organizations != [NODES_GROUP] {
            return Err(self.refuse(PolicyRule::NotNodesGroup));
        }
        Ok(())
    }

    fn check_node_common_name(&self, common_names: &[String]) -> Result<()> {
        // Go reads the last CN of a subject.
        let cn = common_names.last().map(String::as_str).unwrap_or("");
        if !cn.starts_with(NODE_USER_PREFIX) {
            return Err(self.refuse(PolicyRule::NodeCommonName));
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
            return Err(self.refuse(PolicyRule::UsagesNotExact {
                expected: with_rsa.into_iter().collect(),
            }));
        }
        Ok(())
    }

    fn check_custom(&self, rules: &CustomRules, csr: &Csr, request: &SigningRequest) -> Result<()> {
        let info = csr.info();
        for cn in &info.common_names {
            if !rules.common_name.matches(cn) {
                return Err(self.refuse(PolicyRule::CommonNamePattern {
                    common_name: cn.clone(),
                    pattern: rules.common_name.as_str().to_owned(),
                }));
            }
        }
        for group in &info.organizations {
            // A privileged group is judged by the privileged-group rule, not here.
            if self.allowed_privileged_groups.contains(group) {
                continue;
            }
            if !rules.groups.iter().any(|p| p.matches(group)) {
                return Err(self.refuse(PolicyRule::GroupNotAllowed {
                    group: group.clone(),
                    allowed: rules.groups.iter().map(|p| p.as_str().to_owned()).collect(),
                }));
            }
        }
        for san in &info.sans {
            match san {
                RequestedSan::Dns(d) if !rules.dns_names.iter().any(|p| p.matches(d)) => {
                    return Err(self.refuse(PolicyRule::DnsNameNotAllowed {
                        name: d.clone(),
                        allowed: rules
                            .dns_names
                            .iter()
                            .map(|p| p.as_str().to_owned())
                            .collect(),
                    }));
                }
                RequestedSan::Ip(ip) if !rules.ip_ranges.iter().any(|r| cidr_contains(r, *ip)) => {
                    return Err(self.refuse(PolicyRule::IpNotAllowed {
                        ip: *ip,
                        allowed: rules.ip_ranges.iter().map(ToString::to_string).collect(),
                    }));
                }
                _ => {} // allowed, or (email, URI) refused for every signer below
            }
        }
        for u in &request.usages {
            if !rules.usages.contains(u) {
                return Err(self.refuse(PolicyRule::UsageNotAllowed {
                    usage: u.name(),
                    allowed: rules.usages.iter().map(|u| u.name()).collect(),
                }));
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
    pub fn from_yaml(text: &str, what: impl Into<Origin>) -> Result<SignerPolicy> {
        let what = what.into();
        let file: PolicyFile = serde_saphyr::from_str(text).map_err(|e| Error::InvalidPolicy {
            what: what.clone(),
            field: "document",
            reason: e.to_string(),
        })?;
        file.into_policy(&what)
    }

    /// Reads a policy file in JSON (same fields as [`SignerPolicy::from_yaml`]).
    pub fn from_json(text: &str, what: impl Into<Origin>) -> Result<SignerPolicy> {
        let what = what.into();
        let file: PolicyFile = serde_json::from_str(text).map_err(|e| Error::InvalidPolicy {
            what: what.clone(),
            field: "document",
            reason: e.to_string(),
        })?;
        file.into_policy(&what)
    }

    /// Reads a policy file of either syntax: JSON when it starts with `{`, YAML
    /// otherwise (JSON's error messages are the clearer ones for JSON).
    pub fn load(bytes: &[u8], what: impl Into<Origin>) -> Result<SignerPolicy> {
        let what = what.into();
        let text = pem::text(bytes, &what)?;
        if text.trim_start().starts_with('{') {
            SignerPolicy::from_json(text, what)
        } else {
            SignerPolicy::from_yaml(text, what)
        }
    }

    /// The policy for objects that ask for `signer_name`: `given` when it is that
    /// signer's, else the built-in one of that name (how `kpki kube-csr sign` picks a
    /// policy per object), each with the explicitly allowed privileged groups.
    pub fn for_signer(
        signer_name: &str,
        given: Option<&SignerPolicy>,
        allowed_privileged_groups: &[String],
    ) -> Result<SignerPolicy> {
        let policy = match given {
            Some(p) if p.signer_name == signer_name => p.clone(),
            _ => SignerPolicy::builtin(signer_name)?,
        };
        Ok(policy.allowing_privileged_groups(allowed_privileged_groups))
    }

    /// The usages an object asks for when none are given: the built-in signer's
    /// defaults for the key; a signer of your own has none, so they must be given.
    pub fn usages_for(signer_name: &str, algorithm: KeyAlgorithm) -> Result<Vec<Usage>> {
        SignerPolicy::builtin(signer_name)
            .map(|p| p.default_usages(algorithm))
            .map_err(|_| Error::InvalidSpec {
                problem: SpecProblem::UsagesRequired {
                    signer: signer_name.to_owned(),
                },
            })
    }
}

fn san_kind(s: &RequestedSan) -> Option<SanKind> {
    match s {
        RequestedSan::Dns(_) => Some(SanKind::Dns),
        RequestedSan::Ip(_) => Some(SanKind::Ip),
        RequestedSan::Email(_) => Some(SanKind::Email),
        RequestedSan::Uri(_) => Some(SanKind::Uri),
        RequestedSan::Other(_) => None,
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
    let form = "must be a fully qualified domain and path of the form 'example.com/signer-name'";
    let Some((domain, path)) = name.split_once('/') else {
        return Err(form.into());
    };
    if path.contains('/') || path.is_empty() {
        return Err(form.into());
    }
    crate::dns::check_subdomain(domain).map_err(|p| p.to_string())?;
    if !domain.contains('.') {
        return Err("should be a domain with at least two segments separated by dots".into());
    }
    for label in path.split('.') {
        crate::dns::check_subdomain(label).map_err(|p| p.to_string())?;
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
    fn into_policy(self, what: &Origin) -> Result<SignerPolicy> {
        let bad = |field: &'static str, reason: String| Error::InvalidPolicy {
            what: what.clone(),
            field,
            reason,
        };
        let custom_fields = self.common_name.is_some()
            || self.groups.is_some()
            || self.dns_names.is_some()
            || self.ip_addresses.is_some()
            || self.usages.is_some();
        let mut policy = if self.signer_name.starts_with("kubernetes.io/") {
            if custom_fields {
                return Err(bad(
                    "signerName",
                    format!(
                        "{:?}: kubernetes.io signers have fixed rules; commonName, groups, dnsNames, ipAddresses and usages apply to custom signers only",
                        self.signer_name
                    ),
                ));
            }
            SignerPolicy::builtin(&self.signer_name)
                .map_err(|e| bad("signerName", e.to_string()))?
        } else {
            let common_name = self
                .common_name
                .ok_or_else(|| bad("commonName", "required for a custom signer".into()))?;
            let usage_names = self
                .usages
                .ok_or_else(|| bad("usages", "required for a custom signer".into()))?;
            let usages = usage_names
                .iter()
                .map(|u| u.parse::<Usage>().map_err(|e| bad("usages", e.to_string())))
                .collect::<Result<Vec<_>>>()?;
            let ip_ranges = self
                .ip_addresses
                .unwrap_or_default()
                .iter()
                .map(|r| parse_range(r).map_err(|e| bad("ipAddresses", e.to_string())))
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
                Error::InvalidPolicy { field, reason, .. } => bad(field, reason),
                other => other,
            })?
        };
        if let Some(d) = &self.max_validity {
            let max = d
                .parse::<GoDuration>()
                .map_err(|_| bad("maxValidity", format!("{d:?} is not a duration like 24h")))?
                .get();
            if max.as_secs() < MIN_EXPIRATION_SECONDS.unsigned_abs() {
                return Err(bad(
                    "maxValidity",
                    format!("{d:?} is shorter than the 600 s the API allows"),
                ));
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
            field: NetworkField::IpRange,
            value: s.to_owned(),
            problem: NetworkProblem::NotAnIpAddress,
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
                problem: ValidityProblem::CaExpired {
                    ca: self.common_name().to_owned(),
                    not_after: human_time(not_after),
                },
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
                    problem: ValidityProblem::OutlivesCa {
                        seconds: leaf.validity.as_secs(),
                        ca: self.common_name().to_owned(),
                        not_after: human_time(not_after),
                        left,
                    },
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
