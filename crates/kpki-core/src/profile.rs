//! What a certificate is for, and the key usages that follow from it (SPEC.md,
//! "Rules that hold for every file").

use std::fmt;
use std::str::FromStr;

use crate::cluster::Compatibility;
use crate::error::{Error, Result};
use crate::key::KeyAlgorithm;

/// The purpose of a certificate.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
                field: "certificate profile",
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
}
