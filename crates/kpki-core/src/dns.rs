//! DNS names and node names: RFC 1123 subdomains, validated once, at construction.

use std::fmt;
use std::str::FromStr;

use crate::error::{DnsProblem, Error, NameField, NameProblem, Result};

/// Upper bound of a CN and of each O (X.520 `ub-common-name`, `ub-organization-name`).
pub const MAX_NAME_BYTES: usize = 64;

/// The prefix Kubernetes' node authorizer expects in a kubelet's CN.
pub const NODE_USER_PREFIX: &str = "system:node:";

/// The RFC 1123 subdomain rule shared by node names, DNS SANs and signer domains
/// (lowercase letters, digits, `-` inside labels, `.` between them; ≤ 253 bytes).
pub(crate) fn check_subdomain(name: &str) -> std::result::Result<(), DnsProblem> {
    if name.is_empty() {
        return Err(DnsProblem::Empty);
    }
    if name.len() > 253 {
        return Err(DnsProblem::TooLong { len: name.len() });
    }
    for label in name.split('.') {
        if label.is_empty() {
            return Err(DnsProblem::EmptyLabel);
        }
        if label.len() > 63 {
            return Err(DnsProblem::LabelTooLong {
                label: label.to_owned(),
            });
        }
        if let Some(character) = label
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(DnsProblem::Character { character });
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(DnsProblem::HyphenAtEdge {
                label: label.to_owned(),
            });
        }
    }
    Ok(())
}

/// A validated DNS name for a SAN: an RFC 1123 subdomain, optionally with a leading
/// `*.` wildcard label. Always ASCII (an IA5String in a certificate).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DnsName(String);

impl DnsName {
    /// Validates a DNS name.
    pub fn new(name: impl Into<String>) -> Result<DnsName> {
        let name = name.into();
        let rest = name.strip_prefix("*.").unwrap_or(&name);
        match check_subdomain(rest) {
            Ok(()) => Ok(DnsName(name)),
            Err(problem) => Err(Error::InvalidSan {
                value: name,
                problem,
            }),
        }
    }

    /// A name kpki itself spells (`kubernetes.default.svc`, `localhost`): a literal
    /// that is valid by inspection, so not checked again.
    pub(crate) fn known(name: &'static str) -> DnsName {
        debug_assert!(check_subdomain(name).is_ok(), "{name}");
        DnsName(name.to_owned())
    }

    /// kubeadm's default DNS domain, `cluster.local`.
    pub(crate) fn cluster_local() -> DnsName {
        DnsName::known("cluster.local")
    }

    /// `kubernetes.default.svc.cluster.local`.
    pub(crate) fn cluster_local_service() -> DnsName {
        DnsName::known("kubernetes.default.svc.cluster.local")
    }

    /// `label.` prepended to this name, if the result is still a valid name (it can
    /// only fail by length).
    pub(crate) fn prefixed(&self, labels: &str) -> Result<DnsName> {
        DnsName::new(format!("{labels}.{}", self.0))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DnsName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        DnsName::new(s)
    }
}

/// A Kubernetes node name: a lowercase RFC 1123 subdomain of at most 52 bytes, so that
/// `system:node:<name>` fits the 64-byte CN limit. Every node name is also a
/// [`DnsName`] (`DnsName::from(node)`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeName(String);

impl NodeName {
    /// The longest node name that still fits a kubelet's CN.
    pub const MAX_BYTES: usize = MAX_NAME_BYTES - NODE_USER_PREFIX.len();

    /// Validates a node name.
    pub fn new(name: impl Into<String>) -> Result<NodeName> {
        let name = name.into();
        let problem = if name.len() > NodeName::MAX_BYTES {
            Some(NameProblem::NodeNameTooLong { len: name.len() })
        } else {
            check_subdomain(&name).err().map(NameProblem::Dns)
        };
        match problem {
            None => Ok(NodeName(name)),
            Some(problem) => Err(Error::InvalidName {
                field: NameField::NodeName,
                value: name,
                problem,
            }),
        }
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

impl From<&NodeName> for DnsName {
    /// A node name is a DNS subdomain by construction: no second check.
    fn from(node: &NodeName) -> DnsName {
        DnsName(node.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_name_longer_than_52_bytes_is_refused() {
        assert!(NodeName::new("a".repeat(52)).is_ok());
        let err = NodeName::new("a".repeat(53)).unwrap_err();
        assert!(err.to_string().contains("53 bytes"), "{err}");
        assert!(matches!(
            err,
            Error::InvalidName {
                field: NameField::NodeName,
                problem: NameProblem::NodeNameTooLong { len: 53 },
                ..
            }
        ));
    }

    #[test]
    fn dns_names_follow_rfc_1123_with_a_leading_wildcard() {
        assert!(DnsName::new("*.svc.cluster.local").is_ok());
        for (bad, problem) in [
            ("", DnsProblem::Empty),
            ("a..b", DnsProblem::EmptyLabel),
            ("Upper", DnsProblem::Character { character: 'U' }),
            ("-a", DnsProblem::HyphenAtEdge { label: "-a".into() }),
            ("a.*.b", DnsProblem::Character { character: '*' }),
        ] {
            match DnsName::new(bad) {
                Err(Error::InvalidSan { problem: p, .. }) => assert_eq!(p, problem, "{bad:?}"),
                other => panic!("{bad:?}: {other:?}"),
            }
        }
    }
}
