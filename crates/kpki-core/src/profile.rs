//! What a certificate is for, and the key usages that follow from it (SPEC.md,
//! "Rules that hold for every file"); the `certificates.k8s.io` names of those usages
//! ([`Usage`]) and how they split into keyUsage bits and extended key usages.

use std::fmt;
use std::str::FromStr;

use crate::error::{Choice, Error, RequestProblem, Result, USAGE_NAMES};
use crate::names::{Compatibility, KeyAlgorithm};

/// The purpose of a certificate. The default is [`CertificateProfile::Client`], what
/// most Kubernetes identities (users, components, nodes) are.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CertificateProfile {
    /// A certificate authority; `path_len` limits the CAs below it (`None`: no limit,
    /// as kubeadm writes).
    Ca {
        /// The basicConstraints pathLenConstraint.
        path_len: Option<u8>,
    },
    /// A TLS server (EKU serverAuth).
    Server,
    /// A TLS client (EKU clientAuth).
    #[default]
    Client,
    /// Both (etcd server and peer certificates).
    ServerAndClient,
}

/// A keyUsage bit kpki sets or reads.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyUsage {
    /// digitalSignature
    DigitalSignature,
    /// nonRepudiation / contentCommitment
    ContentCommitment,
    /// keyEncipherment
    KeyEncipherment,
    /// dataEncipherment
    DataEncipherment,
    /// keyAgreement
    KeyAgreement,
    /// keyCertSign
    KeyCertSign,
    /// cRLSign
    CrlSign,
    /// encipherOnly
    EncipherOnly,
    /// decipherOnly
    DecipherOnly,
}

/// An extended key usage.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExtendedKeyUsage {
    /// id-kp-serverAuth
    ServerAuth,
    /// id-kp-clientAuth
    ClientAuth,
    /// Any other purpose, by dotted OID.
    Other(String),
}

impl CertificateProfile {
    /// Whether this is a CA profile.
    pub fn is_ca(self) -> bool {
        matches!(self, CertificateProfile::Ca { .. })
    }

    /// The keyUsage bits for a key of `algorithm`: digitalSignature always,
    /// keyCertSign for CAs, keyEncipherment for RSA keys — and, in the kubeadm-1.28
    /// profile, for every key, as kubeadm does (a known wart: keyEncipherment means
    /// nothing for an EC or Ed25519 key).
    pub fn key_usages(self, algorithm: KeyAlgorithm, compat: Compatibility) -> Vec<KeyUsage> {
        let mut ku = vec![KeyUsage::DigitalSignature];
        if algorithm.is_rsa() || compat == Compatibility::Kubeadm128 {
            ku.push(KeyUsage::KeyEncipherment);
        }
        if self.is_ca() {
            ku.push(KeyUsage::KeyCertSign);
        }
        ku
    }

    /// The extended key usages (none for a CA).
    pub fn extended_key_usages(self) -> Vec<ExtendedKeyUsage> {
        match self {
            CertificateProfile::Ca { .. } => vec![],
            CertificateProfile::Server => vec![ExtendedKeyUsage::ServerAuth],
            CertificateProfile::Client => vec![ExtendedKeyUsage::ClientAuth],
            CertificateProfile::ServerAndClient => {
                vec![ExtendedKeyUsage::ServerAuth, ExtendedKeyUsage::ClientAuth]
            }
        }
    }
}

impl CertificateProfile {
    /// The leaf profiles by name, as the bindings and the CLI spell them.
    pub const LEAF_NAMES: &'static str = "server, client, server-and-client";

    /// The profile's name: `ca`, `server`, `client`, `server-and-client`.
    pub fn name(self) -> &'static str {
        match self {
            CertificateProfile::Ca { .. } => "ca",
            CertificateProfile::Server => "server",
            CertificateProfile::Client => "client",
            CertificateProfile::ServerAndClient => "server-and-client",
        }
    }
}

impl fmt::Display for CertificateProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for CertificateProfile {
    type Err = Error;

    /// Parses a leaf profile name (`server`, `client`, `server-and-client`). CA
    /// certificates are made by [`crate::CertificateAuthority::new_root`] and
    /// `new_intermediate`, so `ca` is not accepted here.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "server" => Ok(CertificateProfile::Server),
            "client" => Ok(CertificateProfile::Client),
            "server-and-client" => Ok(CertificateProfile::ServerAndClient),
            _ => Err(Error::UnknownChoice {
                field: Choice::CertificateProfile,
                value: s.to_owned(),
                expected: CertificateProfile::LEAF_NAMES,
            }),
        }
    }
}

impl KeyUsage {
    /// The bits set in a parsed keyUsage extension, in [`KeyUsage`] order (the one
    /// reading shared by certificates and CSRs).
    pub(crate) fn from_x509(ku: &x509_parser::extensions::KeyUsage) -> Vec<KeyUsage> {
        [
            (ku.digital_signature(), KeyUsage::DigitalSignature),
            (ku.non_repudiation(), KeyUsage::ContentCommitment),
            (ku.key_encipherment(), KeyUsage::KeyEncipherment),
            (ku.data_encipherment(), KeyUsage::DataEncipherment),
            (ku.key_agreement(), KeyUsage::KeyAgreement),
            (ku.key_cert_sign(), KeyUsage::KeyCertSign),
            (ku.crl_sign(), KeyUsage::CrlSign),
            (ku.encipher_only(), KeyUsage::EncipherOnly),
            (ku.decipher_only(), KeyUsage::DecipherOnly),
        ]
        .into_iter()
        .filter_map(|(set, usage)| set.then_some(usage))
        .collect()
    }

    /// rcgen's value, for the tests that check `crate::tbs` against rcgen's encoding.
    #[cfg(test)]
    pub(crate) fn to_rcgen(self) -> rcgen::KeyUsagePurpose {
        use rcgen::KeyUsagePurpose as K;
        match self {
            KeyUsage::DigitalSignature => K::DigitalSignature,
            KeyUsage::ContentCommitment => K::ContentCommitment,
            KeyUsage::KeyEncipherment => K::KeyEncipherment,
            KeyUsage::DataEncipherment => K::DataEncipherment,
            KeyUsage::KeyAgreement => K::KeyAgreement,
            KeyUsage::KeyCertSign => K::KeyCertSign,
            KeyUsage::CrlSign => K::CrlSign,
            KeyUsage::EncipherOnly => K::EncipherOnly,
            KeyUsage::DecipherOnly => K::DecipherOnly,
        }
    }

    /// The name Kubernetes' `certificates.k8s.io` API uses for this usage.
    pub fn kubernetes_name(self) -> &'static str {
        match self {
            KeyUsage::DigitalSignature => "digital signature",
            KeyUsage::ContentCommitment => "content commitment",
            KeyUsage::KeyEncipherment => "key encipherment",
            KeyUsage::DataEncipherment => "data encipherment",
            KeyUsage::KeyAgreement => "key agreement",
            KeyUsage::KeyCertSign => "cert sign",
            KeyUsage::CrlSign => "crl sign",
            KeyUsage::EncipherOnly => "encipher only",
            KeyUsage::DecipherOnly => "decipher only",
        }
    }
}

impl ExtendedKeyUsage {
    /// The purposes of a parsed extKeyUsage extension: serverAuth and clientAuth by
    /// name, any other (the well-known ones x509-parser flags, then the rest) by OID.
    pub(crate) fn from_x509(
        eku: &x509_parser::extensions::ExtendedKeyUsage<'_>,
    ) -> Vec<ExtendedKeyUsage> {
        let mut v = Vec::new();
        if eku.server_auth {
            v.push(ExtendedKeyUsage::ServerAuth);
        }
        if eku.client_auth {
            v.push(ExtendedKeyUsage::ClientAuth);
        }
        for (set, oid) in [
            (eku.any, "2.5.29.37.0"),
            (eku.code_signing, "1.3.6.1.5.5.7.3.3"),
            (eku.email_protection, "1.3.6.1.5.5.7.3.4"),
            (eku.time_stamping, "1.3.6.1.5.5.7.3.8"),
            (eku.ocsp_signing, "1.3.6.1.5.5.7.3.9"),
        ] {
            if set {
                v.push(ExtendedKeyUsage::Other(oid.to_owned()));
            }
        }
        v.extend(
            eku.other
                .iter()
                .map(|o| ExtendedKeyUsage::Other(o.to_id_string())),
        );
        v
    }

    /// rcgen's value, for the test that checks `crate::tbs` against rcgen's encoding.
    #[cfg(test)]
    pub(crate) fn to_rcgen(&self) -> rcgen::ExtendedKeyUsagePurpose {
        use rcgen::ExtendedKeyUsagePurpose as E;
        match self {
            ExtendedKeyUsage::ServerAuth => E::ServerAuth,
            ExtendedKeyUsage::ClientAuth => E::ClientAuth,
            ExtendedKeyUsage::Other(oid) => {
                E::Other(oid.split('.').filter_map(|c| c.parse().ok()).collect())
            }
        }
    }

    /// The name Kubernetes' `certificates.k8s.io` API uses (`server auth`, `client auth`).
    pub fn kubernetes_name(&self) -> &str {
        match self {
            ExtendedKeyUsage::ServerAuth => "server auth",
            ExtendedKeyUsage::ClientAuth => "client auth",
            ExtendedKeyUsage::Other(oid) => oid,
        }
    }
}

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

    /// Splits usages into the keyUsage bits (sorted, each once) and the extended key
    /// usages (in Go's `ExtKeyUsage` order, each once) that a certificate carries: how
    /// kube-controller-manager turns `spec.usages` into extensions.
    pub fn split(usages: &[Usage]) -> (Vec<KeyUsage>, Vec<ExtendedKeyUsage>) {
        let mut key_usages: Vec<KeyUsage> = usages.iter().filter_map(|u| u.key_usage()).collect();
        key_usages.sort();
        key_usages.dedup();
        let mut ekus: Vec<(u8, ExtendedKeyUsage)> =
            usages.iter().filter_map(|u| u.extended()).collect();
        ekus.sort_by_key(|(n, _)| *n);
        ekus.dedup_by_key(|(n, _)| *n);
        (key_usages, ekus.into_iter().map(|(_, e)| e).collect())
    }

    pub(crate) fn from_key_usage(ku: KeyUsage) -> Usage {
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

    pub(crate) fn from_extended_key_usage(eku: &ExtendedKeyUsage) -> Option<Usage> {
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
                    problem: RequestProblem::UnsupportedUsage,
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
            problem: RequestProblem::Required,
        });
    }
    for (i, u) in usages.iter().enumerate() {
        if usages[..i].contains(u) {
            return Err(Error::InvalidSigningRequest {
                field: format!("spec.usages[{i}]"),
                value: format!("{:?}", u.name()),
                problem: RequestProblem::Duplicate,
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
                field: Choice::Usage,
                value: s.to_owned(),
                expected: USAGE_NAMES,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_profile_names_round_trip() {
        for p in [
            CertificateProfile::Server,
            CertificateProfile::Client,
            CertificateProfile::ServerAndClient,
        ] {
            assert_eq!(p.name().parse::<CertificateProfile>().unwrap(), p);
        }
    }

    #[test]
    fn ca_and_unknown_profiles_are_refused_with_the_choices() {
        for bad in ["ca", "Server", ""] {
            let err = bad.parse::<CertificateProfile>().unwrap_err();
            assert!(
                err.to_string().contains("server-and-client"),
                "{bad:?}: {err}"
            );
        }
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
    fn usages_split_into_sorted_key_usages_and_go_ordered_extended_ones() {
        let (ku, eku) = Usage::split(&[
            Usage::ClientAuth,
            Usage::KeyEncipherment,
            Usage::ServerAuth,
            Usage::DigitalSignature,
            Usage::Signing,
        ]);
        assert_eq!(ku, [KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment]);
        assert_eq!(
            eku,
            [ExtendedKeyUsage::ServerAuth, ExtendedKeyUsage::ClientAuth]
        );
    }
}
