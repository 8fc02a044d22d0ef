//! Reading the vocabulary from text: one `FromStr` for each name of `names.rs`, so a
//! name means the same in the CLI, Python and C, and a wrong one is an
//! [`Error::UnknownChoice`] that lists the choices.

use std::str::FromStr;

use crate::error::{Choice, Error, Result};
use crate::names::{CaRole, Compatibility, KeyAlgorithm};

impl FromStr for Compatibility {
    type Err = Error;

    /// `current`, `kubeadm-1.28` (or `1.28`).
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "current" => Ok(Compatibility::Current),
            "kubeadm-1.28" | "1.28" => Ok(Compatibility::Kubeadm128),
            _ => Err(Error::UnknownChoice {
                field: Choice::Profile,
                value: s.to_owned(),
                expected: "current, kubeadm-1.28",
            }),
        }
    }
}

impl FromStr for CaRole {
    type Err = Error;

    /// The role names, and kubeadm's file names for them (`ca`, `etcd-ca`, ...).
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "kubernetes" | "ca" | "cluster" => Ok(CaRole::Kubernetes),
            "etcd" | "etcd-ca" => Ok(CaRole::Etcd),
            "front-proxy" | "front-proxy-ca" | "requestheader" => Ok(CaRole::FrontProxy),
            "client" | "client-ca" => Ok(CaRole::Client),
            "kubelet" | "kubelet-ca" => Ok(CaRole::Kubelet),
            _ => Err(Error::UnknownChoice {
                field: Choice::CaRole,
                value: s.to_owned(),
                expected: "kubernetes, etcd, front-proxy, client, kubelet",
            }),
        }
    }
}

impl FromStr for KeyAlgorithm {
    type Err = Error;

    /// Accepts the CLI names (`rsa-2048`, `ecdsa-p256`, ...) and kubeadm's (`RSA-2048`, `ECDSA-P256`).
    fn from_str(s: &str) -> Result<Self> {
        KeyAlgorithm::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .or_else(|| KeyAlgorithm::from_kubeadm_name(s))
            .ok_or_else(|| Error::UnknownChoice {
                field: Choice::KeyAlgorithm,
                value: s.to_owned(),
                expected: "rsa-2048, rsa-3072, rsa-4096, ecdsa-p256, ecdsa-p384, ed25519",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_from_its_display() {
        for r in CaRole::ALL {
            assert_eq!(r.to_string().parse::<CaRole>().unwrap(), r);
        }
        for c in Compatibility::ALL {
            assert_eq!(c.to_string().parse::<Compatibility>().unwrap(), c);
        }
        for a in KeyAlgorithm::ALL {
            assert_eq!(a.to_string().parse::<KeyAlgorithm>().unwrap(), a);
        }
    }

    #[test]
    fn algorithm_names_parse_both_spellings() {
        assert_eq!(
            "ecdsa-p384".parse::<KeyAlgorithm>().unwrap(),
            KeyAlgorithm::EcdsaP384
        );
        assert_eq!(
            "RSA-4096".parse::<KeyAlgorithm>().unwrap(),
            KeyAlgorithm::Rsa4096
        );
        let err = "dsa".parse::<KeyAlgorithm>().unwrap_err();
        assert!(err.to_string().contains("ecdsa-p256"), "{err}");
    }
}
